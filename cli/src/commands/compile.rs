//! `huiqi compile`: check a policy set and save it, syntax trees included, as a saved set.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::args::CompileArgs;
use crate::common::{load_schema, render_policy_errors, set_sources, Fail};

pub(crate) fn run(mut out: impl Write, args: CompileArgs) -> Result<ExitCode, Fail> {
    let CompileArgs { set, out: path } = args;
    let schema = Arc::new(load_schema(set.schema.as_deref())?);
    match huiqi::saved::save(schema, &set_sources(&set)?) {
        Ok((s, bytes)) => {
            huiqi::files::write_atomic(&path, &bytes).map_err(|e| Fail(format!("cannot write {}: {e}", path.display()), 2))?;
            writeln!(
                out,
                "saved {} policies and {} definitions/derived fields to {} ({} bytes)",
                s.policies.len(),
                s.definitions.len(),
                path.display(),
                bytes.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            write!(out, "{}", render_policy_errors(&e))?;
            Ok(ExitCode::from(1))
        }
    }
}
