//! `huiqi calendar`: the enterprise's policy calendar (政策日历), windows and end dates ahead.

use std::io::Write;
use std::process::ExitCode;

use crate::args::CalendarArgs;
use crate::common::{as_of, engine, print_calendar, read, Fail};

pub(crate) fn run(mut out: impl Write, args: CalendarArgs) -> Result<ExitCode, Fail> {
    let CalendarArgs { profile, months, tags, set, as_of: date, json } = args;
    let engine = engine(&set)?;
    let date = as_of(&date)?;
    let text = read(&profile)?;
    let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", profile.display()), 1))?;
    let entries = engine.calendar(&p, date, months, &tags);
    if json {
        writeln!(out, "{}", huiqi::ops::success(huiqi::ops::answers::Calendar { as_of: date, months, entries }))?;
    } else {
        print_calendar(&mut out, &entries, date, months)?;
    }
    Ok(ExitCode::SUCCESS)
}
