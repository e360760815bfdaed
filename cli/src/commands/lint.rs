//! `huiqi lint`: find what a policy set may not mean, its reach and whether it is current.

use std::io::Write;
use std::process::ExitCode;

use crate::args::LintArgs;
use crate::common::{as_of, engine, load_enterprises, Fail};

pub(crate) fn run(mut out: impl Write, args: LintArgs) -> Result<ExitCode, Fail> {
    let LintArgs { set, enterprises, as_of: date, json } = args;
    let engine = engine(&set)?;
    let reach: Option<Vec<(u64, u64)>> = match enterprises {
        Some(path) => {
            let date = as_of(&date)?;
            let (store, _) = load_enterprises(engine.schema(), &path, huiqi::store::LoadOptions::default())?;
            Some(store.prepare(&engine, date)?.bulk_counts(&engine))
        }
        None => None,
    };
    // With --as-of, also whether the set is current on that date (reviews, end
    // dates, closed windows, superseded versions).
    let currency_date = match &date {
        Some(_) => Some(as_of(&date)?),
        None => None,
    };
    let findings = huiqi::lint::lint_at(&engine, reach.as_deref(), currency_date);
    let warnings = findings.iter().filter(|f| f.level == huiqi::lint::Level::Warning).count();
    if json {
        writeln!(out, "{}", serde_json::json!({"type": "success", "result": {"findings": findings}}))?;
    } else {
        for f in &findings {
            writeln!(out, "{f}")?;
        }
        writeln!(out, "{} finding(s), {warnings} warning(s)", findings.len())?;
    }
    Ok(if warnings > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
