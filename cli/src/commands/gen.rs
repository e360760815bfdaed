//! `huiqi gen`: seeded synthetic enterprises or policies, one JSON object per line.

use std::io::Write;
use std::process::ExitCode;

use crate::args::GenCommand;
use crate::common::Fail;

pub(crate) fn run(out: impl Write, command: GenCommand) -> Result<ExitCode, Fail> {
    let items: Box<dyn Iterator<Item = serde_json::Value>> = match command {
        GenCommand::Enterprises { count, seed } => Box::new(huiqi::gen::enterprises(seed, count)),
        GenCommand::Policies { count, seed } => Box::new(huiqi::gen::policies(seed, count)),
    };
    let mut w = std::io::BufWriter::new(out);
    for v in items {
        writeln!(w, "{v}")?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
