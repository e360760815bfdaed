//! `huiqi-serve` (`huiqi serve`): the decision service the platform calls over HTTP, one
//! more thin binding over the operation layer (`huiqi::ops`); and `huiqi-serve replay`
//! (`huiqi replay`), the audit of its decision log.
//!
//! The service binds first and loads the ruleset off the request path, so `/health/live`
//! answers at once and `/health/ready` once a set is loaded. A reload (SIGHUP, or a change
//! to a watched file) loads and checks the new ruleset on a blocking thread and swaps it
//! in atomically; a failed one keeps the previous revision serving and says why on
//! `/v1/ruleset` and in the metrics. SIGTERM (or Ctrl-C) stops accepting connections and
//! lets in-flight requests finish.

mod app;
mod batch;
mod decisions;
mod metrics;
mod openapi;
mod ruleset;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use app::AppState;
use decisions::{DecisionLog, Profiles};
use ruleset::Sources;

#[derive(Parser)]
#[command(name = "huiqi-serve", version, about = "The Huiqi decision service, and the replay of its decision log")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the operation layer over HTTP (docs/serve.md).
    Serve(ServeArgs),
    /// Recomputes every logged decision on a ruleset and reports those that differ.
    Replay(ReplayArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A policy folder, a policy file or a saved set (.hqset); the bundled policies when absent.
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// A folder of code tables replacing the bundled ones.
    #[arg(long, value_name = "DIR")]
    codes: Option<PathBuf>,
    /// Enterprises (a store, or anything `huiqi store build` reads) for the reach queries.
    #[arg(long, value_name = "PATH")]
    enterprises: Option<PathBuf>,
    /// Where to listen (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// A file holding the bearer token every /v1 request must carry.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Write a decision log (JSON lines, rotated by size) into this folder.
    #[arg(long, value_name = "DIR")]
    decision_log: Option<PathBuf>,
    /// Rotate the decision log past this many bytes.
    #[arg(long, default_value_t = 64 << 20)]
    decision_log_max_bytes: u64,
    /// Keep each decision's profile in the log (USCC and name masked), so `replay` can
    /// recompute it.
    #[arg(long)]
    log_profiles: bool,
    /// With --log-profiles: keep USCC and name as sent.
    #[arg(long, requires = "log_profiles")]
    unmasked_profiles: bool,
    /// Largest request body, in bytes (larger: 413).
    #[arg(long, default_value_t = 32 << 20)]
    max_body_bytes: usize,
    /// Longest time for one request, in seconds (longer: 408).
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Requests answered at once; the rest wait.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Do not watch the policy, code and store files for changes (SIGHUP still reloads).
    #[arg(long)]
    no_watch: bool,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// Decision logs (decisions.jsonl and its rotations).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    #[arg(long, value_name = "DIR")]
    codes: Option<PathBuf>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Replay(args) => replay(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("huiqi-serve: {message}");
            ExitCode::from(2)
        }
    }
}

fn replay(args: ReplayArgs) -> Result<ExitCode, String> {
    let sources = Sources { policies: args.policies, codes: args.codes, enterprises: None };
    let rs = ruleset::load(&sources).map_err(|e| one_line(&e))?;
    let mut out = std::io::stdout().lock();
    let r = decisions::replay(&rs.engine, &rs.revision, &args.logs, &mut out).map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "replayed {} decision(s) on {}: {} differ; {} logged without a profile (only hashed); {} unreadable line(s)",
        r.replayed,
        rs.revision,
        r.differ.len(),
        r.without_profile,
        r.unreadable.len()
    );
    Ok(if r.differ.is_empty() && r.unreadable.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn one_line(errors: &[huiqi::ops::ErrorItem]) -> String {
    errors.iter().map(huiqi::ops::ErrorItem::one_line).collect::<Vec<_>>().join("; ")
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let token = match &args.token_file {
        Some(f) => {
            let t = std::fs::read_to_string(f).map_err(|e| format!("--token-file {}: {e}", f.display()))?.trim().to_string();
            if t.is_empty() {
                return Err(format!("--token-file {}: the file is empty", f.display()));
            }
            Some(t)
        }
        None => None,
    };
    let log = match &args.decision_log {
        Some(dir) => {
            let how = match (args.log_profiles, args.unmasked_profiles) {
                (false, _) => Profiles::Hash,
                (true, false) => Profiles::Masked,
                (true, true) => Profiles::Full,
            };
            Some(DecisionLog::start(dir, args.decision_log_max_bytes, how).map_err(|e| format!("--decision-log {}: {e}", dir.display()))?)
        }
        None => None,
    };
    let state = Arc::new(AppState {
        current: arc_swap::ArcSwapOption::empty(),
        last_error: std::sync::Mutex::new(None),
        metrics: metrics::Metrics::new(),
        log,
        token,
        limit: Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1))),
        max_body: args.max_body_bytes,
        idle: std::time::Duration::from_secs(args.timeout_secs.max(1)),
        decisions: std::sync::atomic::AtomicU64::new(0),
    });
    let sources = Sources { policies: args.policies.clone(), codes: args.codes.clone(), enterprises: args.enterprises.clone() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(run(state, sources, &args))
}

async fn run(state: Arc<AppState>, sources: Sources, args: &ServeArgs) -> Result<ExitCode, String> {
    let listener = tokio::net::TcpListener::bind(&args.addr).await.map_err(|e| format!("--addr {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The line a supervisor (or a test) waits for.
    println!("huiqi-serve listening on http://{addr}");
    let _ = std::io::stdout().flush();

    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel::<&'static str>(16);
    tokio::spawn(reloader(state.clone(), sources.clone(), reload_rx));
    let _ = reload_tx.send("start").await;
    let _watcher = if args.no_watch { None } else { watch(&sources, reload_tx.clone()) };
    tokio::spawn(on_hangup(reload_tx));

    let app = app::router(state, Duration::from_secs(args.timeout_secs.max(1)));
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await.map_err(|e| e.to_string())?;
    eprintln!("huiqi-serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Loads a ruleset for each request on `rx` (coalescing a burst), off the async threads.
async fn reloader(state: Arc<AppState>, sources: Sources, mut rx: tokio::sync::mpsc::Receiver<&'static str>) {
    while let Some(why) = rx.recv().await {
        // A save is often several file events: wait for the burst to end.
        tokio::time::sleep(Duration::from_millis(if why == "start" { 0 } else { 200 })).await;
        while rx.try_recv().is_ok() {}
        let s = sources.clone();
        let loaded = tokio::task::spawn_blocking(move || ruleset::load(&s)).await;
        let first = state.current.load().is_none();
        match loaded {
            Ok(Ok(rs)) => {
                eprintln!("huiqi-serve: loaded {} ({why}) from {}", rs.revision, rs.source);
                state.current.store(Some(Arc::new(rs)));
                if let Ok(mut e) = state.last_error.lock() {
                    *e = None;
                }
                if !first {
                    state.metrics.reloads.inc();
                }
            }
            Ok(Err(errors)) => {
                eprintln!("huiqi-serve: the ruleset did not load ({why}), the previous one keeps serving: {}", one_line(&errors));
                state.metrics.reload_failures.inc();
                if let Ok(mut e) = state.last_error.lock() {
                    *e = Some(serde_json::json!({"at": ruleset::now(), "trigger": why, "errors": errors}));
                }
            }
            Err(_) => {
                state.metrics.reload_failures.inc();
                if let Ok(mut e) = state.last_error.lock() {
                    *e = Some(
                        serde_json::json!({"at": ruleset::now(), "trigger": why, "errors": [{"kind": "internal", "message": "the load failed inside the service"}]}),
                    );
                }
            }
        }
    }
}

/// Watches the ruleset's files; each change asks for a reload.
fn watch(sources: &Sources, tx: tokio::sync::mpsc::Sender<&'static str>) -> Option<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove()) {
            let _ = tx.try_send("file change");
        }
    })
    .map_err(|e| eprintln!("huiqi-serve: not watching files ({e}); SIGHUP reloads"))
    .ok()?;
    for path in sources.watched() {
        if let Err(e) = watcher.watch(&path, RecursiveMode::NonRecursive) {
            eprintln!("huiqi-serve: not watching {} ({e}); SIGHUP reloads", path.display());
        }
    }
    Some(watcher)
}

async fn on_hangup(tx: tokio::sync::mpsc::Sender<&'static str>) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            let _ = tx.send("SIGHUP").await;
        }
    }
    #[cfg(not(unix))]
    drop(tx);
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = term => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("huiqi-serve: shutting down; in-flight requests finish");
}
