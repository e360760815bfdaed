//! `huiqi compile`: check a policy set and save it, syntax trees included, as a saved set.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::args::CompileArgs;
use crate::common::{render_policy_errors, set_schema, set_sources, Fail};

/// The set is checked against `--schema` and `--codes` exactly as `huiqi check` checks it.
/// A saved set holds the policy files and their trees, not the schema or the code tables:
/// it is checked again against those it is loaded with, so a set saved with `--codes DIR`
/// is loaded with the same `--codes DIR`.
pub(crate) fn run(mut out: impl Write, args: CompileArgs) -> Result<ExitCode, Fail> {
    let CompileArgs { set, out: path } = args;
    let schema = Arc::new(set_schema(&set)?);
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
            if let Some(dir) = &set.codes {
                writeln!(
                    out,
                    "checked against the code tables of {}; a saved set does not carry code tables: load it with --codes {}",
                    dir.display(),
                    dir.display()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            write!(out, "{}", render_policy_errors(&e))?;
            Ok(ExitCode::from(1))
        }
    }
}
