//! `huiqi`: the command-line face of the Huiqi policy-matching engine.
//!
//! ```text
//! huiqi match --profile data/enterprises/01-quanzhi-software.json
//! huiqi explain --profile FILE --policy hitech-certification
//! huiqi check [--policies DIR]
//! huiqi test [--policies DIR] [--policy ID]
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
        Command::Test(args) => commands::test::run(out, args),
        Command::Diff(args) => commands::diff::run(out, args),
        Command::Serve { args } => service("serve", args),
        Command::Replay { args } => service("replay", args),
    }
}

/// `huiqi serve` and `huiqi replay`: the service is its own binary (its HTTP stack stays
/// out of the CLI), `huiqi-serve` beside this one, which takes over this process.
fn service(command: &str, args: Vec<std::ffi::OsString>) -> Result<ExitCode, Fail> {
    let exe = std::env::current_exe().map_err(|e| Fail(format!("cannot find huiqi-serve: {e}"), 2))?;
    let serve = exe.with_file_name(format!("huiqi-serve{}", std::env::consts::EXE_SUFFIX));
    if !serve.is_file() {
        return Err(Fail(format!("huiqi {command} runs {}, which is not built: cargo build --release -p huiqi-serve", serve.display()), 2));
    }
    let mut cmd = std::process::Command::new(&serve);
    cmd.arg(command).args(args);
    #[cfg(unix)]
    {
        // Signals (SIGHUP reload, SIGTERM shutdown) then reach the service itself.
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        Err(Fail(format!("cannot run {}: {e}", serve.display()), 2))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(|e| Fail(format!("cannot run {}: {e}", serve.display()), 2))?;
        Ok(ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)))
    }
}
