//! `huiqi profile check`: validate profile files and print every error with its JSON path.

use std::io::Write;
use std::process::ExitCode;

use huiqi::profile::Profile;

use crate::args::ProfileCommand;
use crate::common::{load_schema, read, Fail};

pub(crate) fn run(mut out: impl Write, command: ProfileCommand) -> Result<ExitCode, Fail> {
    let ProfileCommand::Check { files, schema } = command;
    let schema = load_schema(schema.as_deref())?;
    let mut bad = 0;
    for f in &files {
        let text = read(f)?;
        match Profile::from_json_str(&schema, &text) {
            Ok(p) => {
                writeln!(out, "ok    {} ({} fields known)", f.display(), p.known_count())?;
                for w in &p.warnings {
                    writeln!(out, "      warning: {}: {}", w.path, w.message)?;
                }
            }
            Err(e) => {
                bad += 1;
                writeln!(out, "error {}: {} problem(s)", f.display(), e.0.len())?;
                for p in &e.0 {
                    writeln!(out, "      {}: {}", p.path, p.message)?;
                }
            }
        }
    }
    Ok(if bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
