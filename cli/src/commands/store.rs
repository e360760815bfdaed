//! `huiqi store build`: load enterprises (JSON lines, CSV or Parquet) and save them as a store file.

use std::io::Write;
use std::process::ExitCode;

use crate::args::{OnErrorArg, StoreCommand};
use crate::common::{load_enterprises, load_schema, print_load_report, Fail};

pub(crate) fn run(mut out: impl Write, command: StoreCommand) -> Result<ExitCode, Fail> {
    let StoreCommand::Build { enterprises, out: file, on_error, schema } = command;
    let schema = load_schema(schema.as_deref())?;
    let opts = huiqi::store::LoadOptions {
        on_error: if on_error == OnErrorArg::Reject { huiqi::store::OnError::Reject } else { huiqi::store::OnError::Skip },
    };
    let t = std::time::Instant::now();
    let (store, report) = load_enterprises(&schema, &enterprises, opts)?;
    store.write_file(&file)?;
    print_load_report(&mut out, &report)?;
    let mem = store.memory();
    writeln!(
        out,
        "saved {} enterprises to {} in {:.2} s ({} bytes of columns)",
        store.len(),
        file.display(),
        t.elapsed().as_secs_f64(),
        mem.columns_bytes
    )?;
    Ok(ExitCode::SUCCESS)
}
