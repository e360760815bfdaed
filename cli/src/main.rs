//! `huiqi`: the command-line face of the Huiqi policy-matching engine.
//!
//! ```text
//! huiqi match --profile data/enterprises/01-quanzhi-software.json
//! huiqi explain --profile FILE --policy hitech-certification
//! huiqi check [--policies DIR]
//! huiqi profile check FILE...
//! huiqi schema [--json]
//! ```

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::envelope as ffi;
use huiqi::outcome::{MatchOutcome, Verdict};
use huiqi::policy::PolicySet;
use huiqi::profile::Profile;
use huiqi::schema::Schema;
use huiqi::store::EnterpriseStore;

#[derive(Parser)]
#[command(name = "huiqi", version, about = "惠企 Huiqi — match enterprises against support policies, with reasons", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct SetArgs {
    /// Folder (or file) of policy JSON files, or a saved set (`huiqi compile`); default:
    /// the bundled real policies.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Schema JSON file replacing the bundled enterprise schema.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Folder of code tables (industry, region, zone JSON files, each optional) replacing
    /// the bundled ones of the same system; see data/codes/PROVENANCE.md.
    #[arg(long, value_name = "DIR")]
    codes: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the fields of the enterprise profile schema.
    Schema {
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
    /// Validate enterprise profiles.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Check a policy set and report every problem.
    Check {
        #[command(flatten)]
        set: SetArgs,
    },
    /// Check a policy set and save it with the syntax tree of every text: a saved set
    /// starts an engine without parsing (--policies accepts it; the WASM page loads one).
    Compile {
        #[command(flatten)]
        set: SetArgs,
        /// Where to write the saved set (conventionally FILE.hqset).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Which policies does an enterprise qualify for, almost qualify for, and what is missing.
    Match {
        /// Profile JSON file of one enterprise.
        #[arg(long, value_name = "FILE", required_unless_present = "profiles")]
        profile: Option<PathBuf>,
        /// JSON-lines file of profiles: one JSON result line per input line.
        #[arg(long, value_name = "FILE.jsonl", conflicts_with = "profile")]
        profiles: Option<PathBuf>,
        #[command(flatten)]
        set: SetArgs,
        /// Evaluation date (YYYY-MM-DD); default: today.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Print the JSON envelope instead of a table.
        #[arg(long)]
        json: bool,
        /// List the ineligible policies too (by default only the eligible and undetermined
        /// ones are listed; the counts cover all).
        #[arg(long)]
        all: bool,
        /// How much to show of each listed policy: verdicts (ids and verdicts), summary
        /// (score, benefit, missing fields), full (also the conditions in words).
        #[arg(long, value_enum, default_value_t = DetailArg::Full)]
        detail: DetailArg,
        /// List at most N policies, the best first (counts and next questions cover all).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Evaluation path: the compiled index (default) or the reference evaluator.
        #[arg(long, value_enum, default_value_t = PathArg::Index)]
        engine: PathArg,
        /// Only policies of this package tag (政策包: 科创, 人才, 稳岗, 税费 …); repeatable.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Let the recommended combination include undetermined policies too.
        #[arg(long)]
        recommend_undetermined: bool,
    },
    /// Find what a policy set may not mean: contradictions, duplicates, one-way exclusions,
    /// windows outside validity, unused fields; with --enterprises, policies that reach nobody;
    /// with --as-of, whether the set is current on that date (reviews older than 12 months,
    /// open-ended policies older than 3 years, closed windows, superseded versions still matched).
    Lint {
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_name = "FILE")]
        enterprises: Option<PathBuf>,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The policy list for publication (政策精准公开): title, issuer, 文号, validity, window,
    /// 免申即享 or 申报, benefit and verified status, grouped by 政策包.
    Policies {
        #[command(flatten)]
        set: SetArgs,
        /// Only the policies of these 政策包 (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[arg(long, value_enum, default_value = "md")]
        format: ListFormat,
        /// Only the versions in force on this date (default: every policy of the set).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// The enterprise's policy calendar (政策日历): windows and policy end dates ahead.
    Calendar {
        #[arg(long, value_name = "FILE")]
        profile: PathBuf,
        #[arg(long, default_value_t = 3)]
        months: i64,
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Build a saved enterprise store from JSON lines or CSV.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Which enterprises qualify for one policy (免申即享 / 精准推送).
    Reverse {
        #[arg(long, value_name = "ID")]
        policy: String,
        /// Enterprises: JSON lines, CSV, or a store built by `huiqi store build`.
        #[arg(long, value_name = "FILE")]
        enterprises: PathBuf,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Evaluation path: the bitmap store (default) or the reference evaluator per enterprise.
        #[arg(long, value_enum, default_value_t = StorePath::Store)]
        engine: StorePath,
        /// How many enterprise ids to list per verdict.
        #[arg(long, default_value_t = 20)]
        list: usize,
        #[arg(long)]
        json: bool,
    },
    /// Every enterprise against every policy, written to a file.
    Bulk {
        #[arg(long, value_name = "FILE")]
        enterprises: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// csv / jsonl: one (enterprise, policy, verdict) line per eligible or undetermined pair;
        /// counts: one line per policy.
        #[arg(long, value_enum, default_value_t = BulkFormat::Csv)]
        format: BulkFormat,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = StorePath::Store)]
        engine: StorePath,
    },
    /// Generate seeded synthetic data (labelled synthetic) for benchmarks and tests.
    Gen {
        #[command(subcommand)]
        command: GenCommand,
    },
    /// Explain one policy for one enterprise, condition by condition.
    Explain {
        #[arg(long, value_name = "FILE")]
        profile: PathBuf,
        #[arg(long, value_name = "ID")]
        policy: String,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum GenCommand {
    /// Synthetic enterprise profiles, one JSON object per line.
    Enterprises {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Synthetic policies, one JSON object per line (a valid --policies file).
    Policies {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Load enterprises (JSON lines or CSV) and save them as a store file.
    Build {
        #[arg(long, value_name = "FILE")]
        enterprises: PathBuf,
        #[arg(long, value_name = "STORE")]
        out: PathBuf,
        /// Bad rows: skip (reported and counted) or reject (stop at the first).
        #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
        on_error: OnErrorArg,
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OnErrorArg {
    Skip,
    Reject,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StorePath {
    Store,
    Reference,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BulkFormat {
    Csv,
    Jsonl,
    Counts,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DetailArg {
    Verdicts,
    Summary,
    Full,
}

impl DetailArg {
    fn detail(self) -> huiqi::outcome::Detail {
        match self {
            DetailArg::Verdicts => huiqi::outcome::Detail::Verdicts,
            DetailArg::Summary => huiqi::outcome::Detail::Summary,
            DetailArg::Full => huiqi::outcome::Detail::Full,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Md,
    Csv,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PathArg {
    Index,
    Reference,
}

impl PathArg {
    fn path(self) -> huiqi::engine::MatchPath {
        match self {
            PathArg::Index => huiqi::engine::MatchPath::Index,
            PathArg::Reference => huiqi::engine::MatchPath::Reference,
        }
    }
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Validate profile files; print every error with its JSON path; exit 1 on errors.
    Check {
        /// Profile JSON files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
}

/// A CLI failure: message for stderr, exit code.
struct Fail(String, u8);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(e.to_string(), 2)
    }
}

/// Reads a text file (policy file, schema, profile): at most
/// [`huiqi::files::MAX_TEXT_FILE_BYTES`], checked before reading (so `/dev/zero` or a
/// wrong path to a huge file is refused, not read into memory).
fn read(path: &Path) -> Result<String, Fail> {
    huiqi::files::read_text(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))
}

fn load_schema(path: Option<&Path>) -> Result<Schema, Fail> {
    match path {
        None => Ok(Schema::embedded()?),
        Some(p) => {
            Ok(Schema::from_json(&read(p)?, huiqi::code::CodeSystems::embedded()?).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?)
        }
    }
}

fn policy_sources(path: &Path) -> Result<Vec<(String, String)>, Fail> {
    if path.is_file() {
        return Ok(vec![(path.display().to_string(), read(path)?)]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Fail(format!("cannot read policy folder {}: {e}", path.display()), 2))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Fail(format!("no .json or .jsonl policy files in {}", path.display()), 2));
    }
    files.iter().map(|f| Ok((f.display().to_string(), read(f)?))).collect()
}

/// Whether `path` is (or was meant to be) a saved set: its header tag, even damaged or cut
/// short, or the `.hqset` extension. Such a file is read as a saved set, which says what is
/// wrong with it, never as policy JSON.
fn is_saved_set(path: &Path) -> bool {
    use huiqi::files::Tag;
    if !path.is_file() {
        return false;
    }
    let hqset = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("hqset"));
    match huiqi::files::head(path).map(|h| (huiqi::files::tag(&h, huiqi::saved::MAGIC), h.is_empty())) {
        Ok((Tag::Exact | Tag::Damaged, _)) => true,
        Ok((Tag::Short, empty)) => !empty || hqset,
        _ => hqset,
    }
}

fn set_sources(args: &SetArgs) -> Result<Vec<(String, String)>, Fail> {
    Ok(match &args.policies {
        Some(p) => policy_sources(p)?,
        None => huiqi::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| (format!("(bundled) {n}"), (*t).to_string())).collect(),
    })
}

/// The code tables: the bundled ones, or with `--codes DIR` those of the folder replacing them.
fn load_codes(dir: Option<&Path>) -> Result<huiqi::code::CodeSystems, Fail> {
    let Some(dir) = dir else { return Ok(huiqi::code::CodeSystems::embedded()?) };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Fail(format!("cannot read code-table folder {}: {e}", dir.display()), 2))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let tables = files.iter().map(|p| Ok((p.display().to_string(), read(p)?))).collect::<Result<Vec<_>, Fail>>()?;
    huiqi::code::CodeSystems::with_tables(&tables).map_err(|e| Fail(format!("--codes: {e}"), 2))
}

fn load_set(args: &SetArgs) -> Result<Result<PolicySet, huiqi::policy::PolicySetError>, Fail> {
    let schema = match (&args.codes, &args.schema) {
        (None, _) => load_schema(args.schema.as_deref())?,
        (Some(dir), None) => Schema::embedded_with_codes(load_codes(Some(dir))?)?,
        (Some(dir), Some(p)) => {
            Schema::from_json(&read(p)?, load_codes(Some(dir))?).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?
        }
    };
    let schema = Arc::new(schema);
    if let Some(p) = args.policies.as_deref().filter(|p| is_saved_set(p)) {
        let bytes = std::fs::read(p).map_err(|e| Fail(format!("cannot read {}: {e}", p.display()), 2))?;
        let mut saved = huiqi::saved::read(&bytes).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?;
        return Ok(saved.compile(schema).map(|(set, _)| set));
    }
    Ok(PolicySet::compile(schema, &set_sources(args)?))
}

fn engine(args: &SetArgs) -> Result<Engine, Fail> {
    match load_set(args)? {
        Ok(set) => Ok(Engine::from_set(set)),
        Err(e) => Err(Fail(render_policy_errors(&e), 2)),
    }
}

fn render_policy_errors(e: &huiqi::policy::PolicySetError) -> String {
    let mut s = format!("the policy set has {} problem(s):\n\n", e.0.len());
    for p in &e.0 {
        match &p.rendered {
            Some(r) => s.push_str(r),
            None => s.push_str(&format!("error: {p}")),
        }
        s.push_str("\n\n");
    }
    s
}

fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Date::from_day_number(i32::try_from(secs / 86_400).unwrap_or(0))
}

fn as_of(s: &Option<String>) -> Result<Date, Fail> {
    match s {
        Some(s) => Date::parse(s).map_err(|e| Fail(format!("--as-of: {e}"), 2)),
        None => Ok(today()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Fail(msg, code)) => {
            let _ = writeln!(std::io::stderr(), "huiqi: {msg}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fail> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Store { command: StoreCommand::Build { enterprises, out: file, on_error, schema } } => {
            let schema = load_schema(schema.as_deref())?;
            let opts = huiqi::store::LoadOptions {
                on_error: if on_error == OnErrorArg::Reject { huiqi::store::OnError::Reject } else { huiqi::store::OnError::Skip },
            };
            let t = std::time::Instant::now();
            let (store, report) = load_enterprises(&schema, &enterprises, opts)?;
            store.write_file(&file)?;
            print_load_report(&mut out, &report)?;
            let mem = store.memory();
            writeln!(
                out,
                "saved {} enterprises to {} in {:.2} s ({} bytes of columns)",
                store.len(),
                file.display(),
                t.elapsed().as_secs_f64(),
                mem.columns_bytes
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reverse { policy, enterprises, set, as_of: date, engine: path, list, json } => {
            let engine = engine(&set)?;
            let date = as_of(&date)?;
            if engine.policy_set().index_of(&policy).is_none() {
                let suggestion = engine.policy_set().suggest_policy(&policy);
                if json {
                    let item = ffi::ErrorItem {
                        hint: suggestion.map(|s| format!("did you mean {s:?}?")),
                        ..ffi::ErrorItem::new("unknown_policy", format!("unknown policy {policy:?}"))
                    };
                    writeln!(out, "{}", ffi::Envelope::<()>::Failure { errors: vec![item] }.to_json())?;
                    return Ok(ExitCode::from(1));
                }
                let hint = suggestion.map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
                return Err(Fail(format!("unknown policy {policy:?}{hint}"), 2));
            }
            if let Some(i) = engine.policy_set().index_of(&policy) {
                if !engine.version_in_force(i, date) {
                    let _ = writeln!(std::io::stderr(), "note: {policy} is not in force on {date} (effective dates or a newer version); the reach shown is of its condition alone");
                }
            }
            let (store, report) = load_enterprises(engine.schema(), &enterprises, huiqi::store::LoadOptions::default())?;
            if report.skipped > 0 {
                let mut err = std::io::stderr();
                print_load_report(&mut err, &report)?;
            }
            if json && path == StorePath::Store {
                // The shared envelope: byte-identical to the C ABI and Python.
                writeln!(out, "{}", ffi::reverse_json(&engine, &store, &policy, &date.to_string(), list))?;
                return Ok(ExitCode::SUCCESS);
            }
            let reach = reaches(&engine, &store, date, path, Some(&policy))?
                .into_iter()
                .next()
                .unwrap_or_else(|| huiqi::store::Reach { eligible: Default::default(), undetermined: Default::default() });
            let ids = |b: &roaring::RoaringBitmap| -> Vec<String> {
                b.iter().take(list).filter_map(|r| store.id(r).map(str::to_string)).collect()
            };
            if json {
                let r = ffi::ReverseResult {
                    policy: policy.clone(),
                    as_of: date,
                    enterprises: store.len(),
                    eligible: b_len(&reach.eligible),
                    undetermined: b_len(&reach.undetermined),
                    eligible_ids: ids(&reach.eligible),
                    undetermined_ids: ids(&reach.undetermined),
                };
                writeln!(out, "{}", ffi::Envelope::Success { result: r, warnings: Vec::new() }.to_json())?;
            } else {
                writeln!(out, "{policy} · 评估日 {date} · {} 家企业", store.len())?;
                writeln!(out, "符合 {} 家 · 待确定 {} 家", b_len(&reach.eligible), b_len(&reach.undetermined))?;
                for (label, b) in [("符合", &reach.eligible), ("待确定", &reach.undetermined)] {
                    let shown = ids(b);
                    if !shown.is_empty() {
                        writeln!(out, "{label}：{}{}", shown.join("、"), if b_len(b) > shown.len() as u64 { " …" } else { "" })?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bulk { enterprises, out: file, format, set, as_of: date, engine: path } => {
            let engine = engine(&set)?;
            let date = as_of(&date)?;
            let t = std::time::Instant::now();
            let (store, report) = load_enterprises(engine.schema(), &enterprises, huiqi::store::LoadOptions::default())?;
            if report.skipped > 0 {
                let mut err = std::io::stderr();
                print_load_report(&mut err, &report)?;
            }
            // Written next to the target and renamed over it when complete: a failed or
            // killed run leaves the previous output as it was.
            let mut w = huiqi::files::AtomicFile::create(&file).map_err(|e| Fail(format!("cannot write {}: {e}", file.display()), 2))?;
            let mut pairs: u64 = 0;
            if is_parquet(&file) {
                if path != StorePath::Store {
                    return Err(Fail("Parquet output is written from the store path (--engine store)".into(), 2));
                }
                // The shapes of the Arrow path: pairs (eligible and undetermined, as the CSV)
                // or counts.
                let shape = if format == BulkFormat::Counts { huiqi_arrow::Shape::Counts } else { huiqi_arrow::Shape::Pairs };
                let batches = huiqi_arrow::bulk_batches(&engine, &store, date, shape, true, false).map_err(|e| Fail(e, 2))?;
                let parquet_fail = |e: parquet::errors::ParquetError| Fail(format!("cannot write {}: {e}", file.display()), 2);
                let mut writer = parquet::arrow::ArrowWriter::try_new(w, batches.schema(), None).map_err(parquet_fail)?;
                for batch in batches {
                    let batch = batch.map_err(|e| Fail(e.to_string(), 2))?;
                    if shape == huiqi_arrow::Shape::Pairs {
                        pairs += batch.num_rows() as u64;
                    }
                    writer.write(&batch).map_err(parquet_fail)?;
                }
                w = writer.into_inner().map_err(parquet_fail)?;
            } else {
                match format {
                    BulkFormat::Counts => {
                        // Counts need no sets: the store counts each block's result words in place.
                        let counts: Vec<(u64, u64)> = match path {
                            StorePath::Store => store.prepare(&engine, date)?.bulk_counts(&engine),
                            StorePath::Reference => reaches(&engine, &store, date, path, None)?
                                .iter()
                                .map(|r| (b_len(&r.eligible), b_len(&r.undetermined)))
                                .collect(),
                        };
                        writeln!(w, "policy_id,eligible,undetermined")?;
                        for (i, (p, (e, u))) in engine.policy_set().policies.iter().zip(&counts).enumerate() {
                            if engine.version_in_force(i, date) {
                                writeln!(w, "{},{e},{u}", p.doc.id)?;
                            }
                        }
                    }
                    BulkFormat::Csv | BulkFormat::Jsonl => {
                        let all = reaches(&engine, &store, date, path, None)?;
                        if format == BulkFormat::Csv {
                            writeln!(w, "enterprise_id,policy_id,verdict")?;
                        }
                        let bar = indicatif::ProgressBar::new(all.len() as u64);
                        for (i, (p, r)) in engine.policy_set().policies.iter().zip(&all).enumerate() {
                            if !engine.version_in_force(i, date) {
                                continue; // as in match: only the versions in force on the date
                            }
                            for (verdict, b) in [("eligible", &r.eligible), ("undetermined", &r.undetermined)] {
                                for row in b {
                                    let id = store.id(row).unwrap_or("");
                                    pairs += 1;
                                    if format == BulkFormat::Csv {
                                        writeln!(w, "{},{},{verdict}", csv_field(id), p.doc.id)?;
                                    } else {
                                        writeln!(
                                            w,
                                            "{}",
                                            serde_json::json!({"enterprise_id": id, "policy_id": p.doc.id, "verdict": verdict})
                                        )?;
                                    }
                                }
                            }
                            bar.inc(1);
                        }
                        bar.finish_and_clear();
                    }
                }
            }
            w.commit().map_err(|e| Fail(format!("cannot write {}: {e}", file.display()), 2))?;
            writeln!(
                out,
                "{} enterprises × {} policies on {date} in {:.2} s → {} ({pairs} pairs written)",
                store.len(),
                engine.policy_set().policies.len(),
                t.elapsed().as_secs_f64(),
                file.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen { command } => {
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
        Command::Schema { json, schema } => {
            let schema = load_schema(schema.as_deref())?;
            if json {
                let fields: Vec<_> = schema
                    .fields
                    .iter()
                    .map(|f| serde_json::json!({"name": f.name, "label": f.label, "type": f.type_description(&schema), "per_year": f.per_year, "description": f.description}))
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({"version": schema.version, "fields": fields}))?)?;
            } else {
                writeln!(out, "schema {} — {} fields\n", schema.version, schema.fields.len())?;
                for f in &schema.fields {
                    writeln!(out, "{:<32} {:<14} {:<28} {}", f.name, f.label, f.type_description(&schema), f.description)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Profile { command: ProfileCommand::Check { files, schema } } => {
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
        Command::Check { set } => match load_set(&set)? {
            Ok(s) => {
                writeln!(out, "ok: {} policies and {} definitions/derived fields checked", s.policies.len(), s.definitions.len())?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                write!(out, "{}", render_policy_errors(&e))?;
                Ok(ExitCode::from(1))
            }
        },
        Command::Compile { set, out: path } => {
            let schema = Arc::new(load_schema(set.schema.as_deref())?);
            match huiqi::saved::save(schema, &set_sources(&set)?) {
                Ok((s, bytes)) => {
                    huiqi::files::write_atomic(&path, &bytes).map_err(|e| Fail(format!("cannot write {}: {e}", path.display()), 2))?;
                    writeln!(
                        out,
                        "saved {} policies and {} definitions/derived fields to {} ({} bytes)",
                        s.policies.len(),
                        s.definitions.len(),
                        path.display(),
                        bytes.len()
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    write!(out, "{}", render_policy_errors(&e))?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Lint { set, enterprises, as_of: date, json } => {
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
        Command::Policies { set, tags, format, as_of: date } => {
            let engine = engine(&set)?;
            let date = match &date {
                Some(_) => Some(as_of(&date)?),
                None => None,
            };
            let rows = huiqi::catalog::list(&engine, date, &tags);
            match format {
                ListFormat::Md => {
                    let when = date.map(|d| format!("，{d} 有效")).unwrap_or_default();
                    writeln!(out, "# 惠企政策清单（共 {} 项{when}）\n", rows.len())?;
                    write!(out, "{}", huiqi::catalog::to_markdown(&rows, &tags))?;
                }
                ListFormat::Csv => write!(out, "{}", huiqi::catalog::to_csv(&rows))?,
                ListFormat::Json => writeln!(out, "{}", serde_json::json!({"type": "success", "result": {"policies": rows}}))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { profile, months, tags, set, as_of: date, json } => {
            let engine = engine(&set)?;
            let date = as_of(&date)?;
            let text = read(&profile)?;
            let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", profile.display()), 1))?;
            let entries = engine.calendar(&p, date, months, &tags);
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"type": "success", "result": {"as_of": date.to_string(), "months": months, "entries": entries}})
                )?;
            } else {
                print_calendar(&mut out, &entries, date, months)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Match {
            profile,
            profiles,
            set,
            as_of: date,
            json,
            all,
            detail,
            limit,
            engine: path_arg,
            tags,
            recommend_undetermined,
        } => {
            let opts = huiqi::engine::MatchOptions { tags, recommend_undetermined, detail: detail.detail(), all, limit };
            let engine = match load_set(&set)? {
                Ok(s) => Engine::from_set(s),
                // Asked for JSON, a broken policy set is a failure envelope too.
                Err(e) if json || profiles.is_some() => {
                    writeln!(out, "{}", ffi::Envelope::<()>::Failure { errors: ffi::policy_errors(&e) }.to_json())?;
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(Fail(render_policy_errors(&e), 2)),
            };
            let date = as_of(&date)?;
            let date_s = date.to_string();
            if let Some(path) = profiles {
                return match_lines(&mut out, &engine, &path, &date_s, path_arg.path(), &opts);
            }
            let Some(path) = profile else { return Err(Fail("give --profile FILE or --profiles FILE.jsonl".into(), 2)) };
            let text = read(&path)?;
            if json {
                let env = ffi::match_json_opts(&engine, &text, &date_s, path_arg.path(), &opts);
                let failed = env.starts_with("{\"type\":\"failure\"");
                writeln!(out, "{env}")?;
                return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
            }
            let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", path.display()), 1))?;
            match engine.answer(&mut engine.matcher(), &p, date, path_arg.path(), &opts) {
                huiqi::engine::Answer::Detailed(r) => print_match(&mut out, &r, all)?,
                huiqi::engine::Answer::Verdicts(r) => print_verdicts(&mut out, &r, engine.policy_set())?,
            }
            let entries = engine.calendar(&p, date, 3, &opts.tags);
            writeln!(out)?;
            print_calendar(&mut out, &entries, date, 3)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { profile, policy, set, as_of: date, json } => {
            let engine = engine(&set)?;
            let date = as_of(&date)?;
            let text = read(&profile)?;
            if json {
                let env = ffi::explain_json(&engine, &text, &policy, &date.to_string());
                let failed = env.starts_with("{\"type\":\"failure\"");
                writeln!(out, "{env}")?;
                return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
            }
            let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", profile.display()), 1))?;
            let r = engine.explain(&p, &policy, date)?;
            writeln!(out, "{} — {}（{}）", r.policy.title, r.policy.id, r.policy.doc_no)?;
            writeln!(
                out,
                "评估日 {} · 结论：{} ({}) · 满足率 {}%",
                r.as_of,
                r.policy.verdict.zh(),
                r.policy.verdict.as_str(),
                (r.policy.score * huiqi::Decimal::from(100)).normalize()
            )?;
            if !r.policy.benefit.display.is_empty() {
                writeln!(out, "政策红利：{}", r.policy.benefit.display)?;
            }
            writeln!(out)?;
            print_tree(&mut out, &r.explanation, 0)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The longest input line `match --profiles` reads (a profile is a few KB).
const MAX_LINE: usize = 16 << 20;

/// `match --profiles`: one envelope line per input line, in order. A line that is blank,
/// not UTF-8, too long or not a valid profile gets a failure line naming its number; the
/// batch goes on.
fn match_lines(
    out: &mut impl Write,
    engine: &Engine,
    path: &Path,
    as_of: &str,
    how: huiqi::engine::MatchPath,
    opts: &huiqi::engine::MatchOptions,
) -> Result<ExitCode, Fail> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))?;
    let mut reader = std::io::BufReader::new(file);
    let mut out = std::io::BufWriter::new(out);
    let mut m = engine.matcher();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let envelope = if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let k = (&mut reader)
                    .take(1 << 20)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))?;
                if k == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
            }
            ffi::line_failure(line_no, "json", &format!("line longer than {MAX_LINE} bytes"))
        } else {
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match std::str::from_utf8(line) {
                Ok(text) => ffi::match_line(engine, &mut m, line_no, text, as_of, how, opts),
                Err(e) => ffi::line_failure(line_no, "json", &format!("not UTF-8: {e}")),
            }
        };
        writeln!(out, "{envelope}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_verdicts(out: &mut impl Write, r: &huiqi::outcome::VerdictsOutcome<'_>, set: &PolicySet) -> std::io::Result<()> {
    writeln!(out, "惠企政策匹配 · {} · 评估日 {}", r.enterprise.as_deref().unwrap_or("(未命名企业)"), r.as_of)?;
    writeln!(out, "符合 {} · 待确定 {} · 不符合 {}\n", r.summary.eligible, r.summary.undetermined, r.summary.ineligible)?;
    for p in &r.policies {
        let title = set.policy(p.id).map_or("", |x| x.doc.title.as_str());
        writeln!(out, "{} {title} [{}]", verdict_mark(p.verdict), p.id)?;
    }
    Ok(())
}

/// Whether a file is Parquet, by its name.
fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet"))
}

/// Loads enterprises: Parquet (a `.parquet` name) through Arrow record batches (columns as
/// in docs/arrow.md; a value that does not fit stops the load, naming its column and row),
/// anything else as [`EnterpriseStore::load_path`] (a saved store, CSV or JSON lines).
fn load_enterprises(
    schema: &Schema,
    path: &Path,
    opts: huiqi::store::LoadOptions,
) -> Result<(EnterpriseStore, huiqi::store::LoadReport), Fail> {
    if !is_parquet(path) {
        return Ok(EnterpriseStore::load_path(schema, path, opts)?);
    }
    let file = std::fs::File::open(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| Fail(format!("{}: not a readable Parquet file: {e}", path.display()), 2))?;
    huiqi_arrow::store_from_batches(schema, reader).map_err(|e| Fail(format!("{}: {e}", path.display()), 2))
}

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Eligible => "✔ 符合  ",
        Verdict::Undetermined => "? 待确定",
        Verdict::Ineligible => "✘ 不符合",
    }
}

fn b_len(b: &roaring::RoaringBitmap) -> u64 {
    b.len()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn print_load_report(out: &mut impl Write, r: &huiqi::store::LoadReport) -> std::io::Result<()> {
    writeln!(out, "loaded {} enterprises, skipped {} bad rows, {} with warnings", r.loaded, r.skipped, r.warnings)?;
    for (column, n) in &r.unknown_codes {
        writeln!(out, "  {column}: {n} row(s) with a well-formed code not in the code table (kept; matched by its ancestors only)")?;
    }
    for e in r.errors.iter().take(10) {
        writeln!(out, "  line {}: {}", e.line, e.reason)?;
    }
    if r.errors.len() > 10 || r.skipped > r.errors.len() {
        writeln!(out, "  … {} more", r.skipped - r.errors.len().min(10))?;
    }
    Ok(())
}

/// The reach of one policy (or all) through the store's bitmaps or the reference evaluator.
fn reaches(
    engine: &Engine,
    store: &EnterpriseStore,
    date: Date,
    path: StorePath,
    only: Option<&str>,
) -> Result<Vec<huiqi::store::Reach>, Fail> {
    match path {
        StorePath::Store => {
            let prepared = store.prepare(engine, date)?;
            match only {
                Some(id) => Ok(vec![prepared.reverse(engine, id)?]),
                None => {
                    let bar = indicatif::ProgressBar::new(engine.policy_set().policies.len() as u64);
                    let r = prepared.bulk(engine, &|| bar.inc(1));
                    bar.finish_and_clear();
                    Ok(r)
                }
            }
        }
        StorePath::Reference => {
            let set = engine.policy_set();
            let wanted: Vec<usize> = match only {
                Some(id) => set.index_of(id).into_iter().collect(),
                None => (0..set.policies.len()).collect(),
            };
            let mut out: Vec<huiqi::store::Reach> =
                wanted.iter().map(|_| huiqi::store::Reach { eligible: Default::default(), undetermined: Default::default() }).collect();
            let bar = indicatif::ProgressBar::new(u64::from(store.len()));
            for row in 0..store.len() {
                let p = store.profile(engine.schema(), row);
                let v = engine.verdicts_reference(&p, date);
                for (k, i) in wanted.iter().enumerate() {
                    if let (Some(r), Some(verdict)) = (out.get_mut(k), v.get(*i)) {
                        match verdict {
                            Verdict::Eligible => {
                                r.eligible.insert(row);
                            }
                            Verdict::Undetermined => {
                                r.undetermined.insert(row);
                            }
                            Verdict::Ineligible => {}
                        }
                    }
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            Ok(out)
        }
    }
}

fn mark(s: huiqi::explain::Status) -> &'static str {
    match s {
        huiqi::explain::Status::Met => "✔",
        huiqi::explain::Status::Unmet => "✘",
        huiqi::explain::Status::Unknown => "?",
    }
}

fn print_tree(out: &mut impl Write, e: &huiqi::explain::Explanation, depth: usize) -> std::io::Result<()> {
    writeln!(out, "{}{} {}", "  ".repeat(depth), mark(e.status), e.message_zh)?;
    for c in &e.children {
        print_tree(out, c, depth + 1)?;
    }
    Ok(())
}

fn print_calendar(out: &mut impl Write, entries: &[huiqi::engine::CalendarEntry], as_of: Date, months: i64) -> std::io::Result<()> {
    if entries.is_empty() {
        return writeln!(out, "政策日历：{as_of} 起 {months} 个月内无申报截止或政策到期事项");
    }
    writeln!(out, "政策日历（{as_of} 起 {months} 个月）：")?;
    for e in entries {
        let what = match e.event {
            "application_opens" => "申报开始",
            "application_closes" => "申报截止",
            _ => "政策到期",
        };
        writeln!(out, "  {} {what} {} [{}]（{}）", e.date, e.title, e.policy, e.verdict.zh())?;
    }
    Ok(())
}

fn print_match(out: &mut impl Write, r: &MatchOutcome, all: bool) -> std::io::Result<()> {
    writeln!(out, "惠企政策匹配 · {} · 评估日 {}", r.enterprise.as_deref().unwrap_or("(未命名企业)"), r.as_of)?;
    writeln!(out, "符合 {} · 待确定 {} · 不符合 {}\n", r.summary.eligible, r.summary.undetermined, r.summary.ineligible)?;
    for p in &r.policies {
        if p.verdict == Verdict::Ineligible && !all {
            continue;
        }
        let m = verdict_mark(p.verdict);
        let pct = p.score * huiqi::Decimal::from(100);
        writeln!(
            out,
            "{m} {}{} [{}] 满足率 {}%{}",
            p.title,
            if p.verified == Some(false) { "（未经原文核实）" } else { "" },
            p.id,
            pct.normalize(),
            if p.benefit.display.is_empty() { String::new() } else { format!(" · {}", p.benefit.display) }
        )?;
        for u in p.unmet.iter().take(3) {
            writeln!(out, "           ✘ {}", u.message_zh)?;
        }
        for u in p.undetermined.iter().take(3) {
            writeln!(out, "           ? {}", u.message_zh)?;
        }
    }
    if !all && r.summary.ineligible > 0 {
        writeln!(out, "\n（另有 {} 项不符合，加 --all 查看原因）", r.summary.ineligible)?;
    }
    if !r.recommended.policies.is_empty() {
        let total = r.recommended.total_yuan.parse::<huiqi::Decimal>().unwrap_or_default();
        writeln!(
            out,
            "\n建议申报组合（共 {} 项，估算 {}）：{}",
            r.recommended.policies.len(),
            huiqi::units::display(total, huiqi::units::Dim::Money),
            r.recommended.policies.join("、")
        )?;
        for l in &r.recommended.left_out {
            writeln!(out, "  未列入 {}：{}", l.id, l.message_zh)?;
        }
    }
    if !r.next_questions.is_empty() {
        writeln!(out, "\n建议补充以下信息（可判定更多政策）：")?;
        for (i, q) in r.next_questions.iter().enumerate() {
            writeln!(out, "  {}. {}（{}）— 影响 {} 项政策", i + 1, q.label, q.field, q.decides)?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
