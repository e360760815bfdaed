//! `huiqi lint`: find what a policy set may not mean, its reach and whether it is current.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use huiqi::ops::authoring::{lint, LintRequest};

use crate::args::LintArgs;
use crate::common::{engine, open_store, Fail};

pub(crate) fn run(mut out: impl Write, args: LintArgs) -> Result<ExitCode, Fail> {
    let LintArgs { set, enterprises, as_of: date, json } = args;
    let engine = Arc::new(engine(&set)?);
    let store = open_store(engine.schema(), enterprises.as_deref())?;
    // The reach over enterprises is counted on a date: today's unless given. With
    // --as-of, also whether the set is current on that date (reviews, end dates, closed
    // windows, superseded versions).
    let as_of = date.or_else(|| store.as_ref().map(|_| crate::common::today().to_string()));
    let result = lint(&engine, store.as_ref(), &LintRequest { as_of }).map_err(|e| Fail(crate::common::one_line(&e), 2))?;
    let warnings = result.warnings();
    if json {
        writeln!(out, "{}", huiqi::ops::success(&result))?;
    } else {
        for f in &result.findings {
            writeln!(out, "{f}")?;
        }
        if let Some(reach) = &result.reach {
            writeln!(out, "\nreach of each policy in force (eligible, undetermined; first ids):")?;
            for r in reach {
                writeln!(out, "  {:<48} {:>6} {:>6}  {}", r.policy, r.eligible, r.undetermined, r.examples.join(", "))?;
            }
        }
        if let Some(manual) = result.manual_only_undetermined.as_ref().filter(|m| !m.is_empty()) {
            writeln!(out, "\nundetermined through manual review alone, per enterprise:")?;
            for m in manual {
                writeln!(out, "  {:<24} {:>3}  {}", m.enterprise, m.policies.len(), m.policies.join(", "))?;
            }
        }
        writeln!(out, "{} finding(s), {warnings} warning(s)", result.findings.len())?;
    }
    Ok(if warnings > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
