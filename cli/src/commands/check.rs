//! `huiqi check`: check a policy set and report every problem.

use std::io::Write;
use std::process::ExitCode;

use crate::args::CheckArgs;
use crate::common::{load_set, render_policy_errors, Fail};

pub(crate) fn run(mut out: impl Write, args: CheckArgs) -> Result<ExitCode, Fail> {
    let CheckArgs { set } = args;
    match load_set(&set)? {
        Ok(s) => {
            writeln!(out, "ok: {} policies and {} definitions/derived fields checked", s.policies.len(), s.definitions.len())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            write!(out, "{}", render_policy_errors(&e))?;
            Ok(ExitCode::from(1))
        }
    }
}
