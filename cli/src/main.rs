//! `huiqi`: the command-line face of the Huiqi policy-matching engine.
//!
//! ```text
//! huiqi match --profile data/enterprises/01-quanzhi-software.json
//! huiqi explain --profile FILE --policy hitech-certification
//! huiqi check [--policies DIR]
//! huiqi profile check FILE...
//! huiqi schema [--json]
//! ```
//!
//! This file parses and dispatches: the arguments are in `args`, each command in `commands/`,
//! the helpers several share in `common`.

mod args;
mod commands;
mod common;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::common::Fail;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `huiqi … | head`: the reader left; that is not an error to report.
        Err(Fail(msg, _)) if msg.ends_with(BROKEN_PIPE) => ExitCode::SUCCESS,
        Err(Fail(msg, code)) => {
            let _ = writeln!(std::io::stderr(), "huiqi: {msg}");
            ExitCode::from(code)
        }
    }
}

/// How an I/O error on a closed pipe ends (EPIPE).
const BROKEN_PIPE: &str = "(os error 32)";

/// Hands the parsed command to its module.
fn run(cli: Cli) -> Result<ExitCode, Fail> {
    let out = std::io::stdout().lock();
    match cli.command {
        Command::Schema(args) => commands::schema::run(out, args),
        Command::Profile { command } => commands::profile::run(out, command),
        Command::Check(args) => commands::check::run(out, args),
        Command::Compile(args) => commands::compile::run(out, args),
        Command::Match(args) => commands::match_::run(out, args),
        Command::Lint(args) => commands::lint::run(out, args),
        Command::Policies(args) => commands::policies::run(out, args),
        Command::Calendar(args) => commands::calendar::run(out, args),
        Command::Store { command } => commands::store::run(out, command),
        Command::Reverse(args) => commands::reverse::run(out, args),
        Command::Bulk(args) => commands::bulk::run(out, args),
        Command::Gen { command } => commands::gen::run(out, command),
        Command::Explain(args) => commands::explain::run(out, args),
        Command::Call(args) => commands::call::run(out, args),
    }
}
