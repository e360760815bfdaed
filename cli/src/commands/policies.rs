//! `huiqi policies`: the policy list for publication (政策精准公开), as Markdown, CSV or JSON.

use std::io::Write;
use std::process::ExitCode;

use crate::args::{ListFormat, PoliciesArgs};
use crate::common::{as_of, engine, Fail};

pub(crate) fn run(mut out: impl Write, args: PoliciesArgs) -> Result<ExitCode, Fail> {
    let PoliciesArgs { set, tags, format, as_of: date } = args;
    let engine = engine(&set)?;
    let request = huiqi::ops::authoring::PoliciesRequest { as_of: date.clone(), tags: tags.clone() };
    let date = match &date {
        Some(_) => Some(as_of(&date)?),
        None => None,
    };
    if format == ListFormat::Json {
        writeln!(out, "{}", huiqi::ops::respond(huiqi::ops::authoring::policies(&engine, &request)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = huiqi::catalog::list(&engine, date, &tags);
    match format {
        ListFormat::Md => {
            let when = date.map(|d| format!("，{d} 有效")).unwrap_or_default();
            writeln!(out, "# 惠企政策清单（共 {} 项{when}）\n", rows.len())?;
            write!(out, "{}", huiqi::catalog::to_markdown(&rows, &tags))?;
        }
        ListFormat::Csv => write!(out, "{}", huiqi::catalog::to_csv(&rows))?,
        ListFormat::Json => {}
    }
    Ok(ExitCode::SUCCESS)
}
