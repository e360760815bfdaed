//! `huiqi call OP [REQUEST]`: any operation of the operation layer, by name, with a JSON
//! request; the envelope is byte for byte that of the C ABI, Python and WASM.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use crate::args::CallArgs;
use crate::common::{engine, open_store, read, Fail};

pub(crate) fn run(mut out: impl Write, args: CallArgs) -> Result<ExitCode, Fail> {
    let CallArgs { op, request, set, enterprises, list, json_schema } = args;
    if json_schema {
        let doc = huiqi::ops::schemas::document().map_err(|e| Fail(e.to_string(), 1))?;
        let text = serde_json::to_string_pretty(&doc).map_err(|e| Fail(e.to_string(), 1))?;
        writeln!(out, "{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if list {
        for o in huiqi::ops::OPERATIONS {
            let store = match o.store {
                huiqi::ops::StoreUse::Required => " (needs --enterprises)",
                huiqi::ops::StoreUse::Optional => " (--enterprises optional)",
                huiqi::ops::StoreUse::None => "",
            };
            writeln!(out, "{:<16} {}{store}", o.name, o.summary)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let op = op.unwrap_or_default();
    let text = match request.as_deref() {
        None => "{}".to_string(),
        Some(p) if p.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .take(huiqi::files::MAX_TEXT_FILE_BYTES)
                .read_to_string(&mut s)
                .map_err(|e| Fail(format!("standard input: {e}"), 2))?;
            s
        }
        Some(p) => read(p)?,
    };
    let engine = Arc::new(engine(&set)?);
    let store = open_store(engine.schema(), enterprises.as_deref())?;
    let envelope = huiqi::ops::call(&engine, store.as_ref(), &op, &text);
    let failed = envelope.starts_with("{\"type\":\"failure\"");
    writeln!(out, "{envelope}")?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
