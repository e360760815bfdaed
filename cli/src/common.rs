//! What several commands share: the failure type, reading files, loading a policy set, an engine or enterprises, the date.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::outcome::Verdict;
use huiqi::policy::PolicySet;
use huiqi::schema::Schema;
use huiqi::store::EnterpriseStore;

use crate::args::{SetArgs, StorePath};

/// A CLI failure: message for stderr, exit code.
pub(crate) struct Fail(pub(crate) String, pub(crate) u8);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(e.to_string(), 2)
    }
}

/// Reads a text file (policy file, schema, profile): at most
/// [`huiqi::files::MAX_TEXT_FILE_BYTES`], checked before reading (so `/dev/zero` or a
/// wrong path to a huge file is refused, not read into memory).
pub(crate) fn read(path: &Path) -> Result<String, Fail> {
    huiqi::files::read_text(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))
}

pub(crate) fn load_schema(path: Option<&Path>) -> Result<Schema, Fail> {
    match path {
        None => Ok(Schema::embedded()?),
        Some(p) => {
            Ok(Schema::from_json(&read(p)?, huiqi::code::CodeSystems::embedded()?).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?)
        }
    }
}

fn policy_sources(path: &Path) -> Result<Vec<(String, String)>, Fail> {
    huiqi::ops::build::read_policy_folder(path).map(huiqi::ops::Source::pairs).map_err(|e| Fail(one_line(&e), 2))
}

pub(crate) fn set_sources(args: &SetArgs) -> Result<Vec<(String, String)>, Fail> {
    Ok(match &args.policies {
        Some(p) => policy_sources(p)?,
        None => huiqi::ops::build::bundled_files(),
    })
}

/// The code tables: the bundled ones, or with `--codes DIR` those of the folder replacing them.
fn load_codes(dir: Option<&Path>) -> Result<huiqi::code::CodeSystems, Fail> {
    let Some(dir) = dir else { return Ok(huiqi::code::CodeSystems::embedded()?) };
    let tables = huiqi::ops::build::read_code_folder(dir).map_err(|e| Fail(one_line(&e), 2))?;
    huiqi::code::CodeSystems::with_tables(&huiqi::ops::Source::pairs(tables)).map_err(|e| Fail(format!("--codes: {e}"), 2))
}

/// The schema a policy set is checked against: `--schema` (or the bundled one) over the
/// code tables of `--codes` (or the bundled ones). `check`, `compile` and every command that
/// loads a set use this, so they accept the same sets.
pub(crate) fn set_schema(args: &SetArgs) -> Result<Schema, Fail> {
    Ok(match (&args.codes, &args.schema) {
        (None, _) => load_schema(args.schema.as_deref())?,
        (Some(dir), None) => Schema::embedded_with_codes(load_codes(Some(dir))?)?,
        (Some(dir), Some(p)) => {
            Schema::from_json(&read(p)?, load_codes(Some(dir))?).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?
        }
    })
}

pub(crate) fn load_set(args: &SetArgs) -> Result<Result<PolicySet, huiqi::policy::PolicySetError>, Fail> {
    let schema = Arc::new(set_schema(args)?);
    if let Some(p) = args.policies.as_deref().filter(|p| huiqi::ops::build::is_saved_set(p)) {
        let bytes = std::fs::read(p).map_err(|e| Fail(format!("cannot read {}: {e}", p.display()), 2))?;
        let mut saved = huiqi::saved::read(&bytes).map_err(|e| Fail(format!("{}: {e}", p.display()), 2))?;
        return Ok(saved.compile(schema).map(|(set, _)| set));
    }
    Ok(PolicySet::compile(schema, &set_sources(args)?))
}

pub(crate) fn engine(args: &SetArgs) -> Result<Engine, Fail> {
    match load_set(args)? {
        Ok(set) => Ok(Engine::from_set(set)),
        Err(e) => Err(Fail(render_policy_errors(&e), 2)),
    }
}

pub(crate) fn render_policy_errors(e: &huiqi::policy::PolicySetError) -> String {
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

pub(crate) fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Date::from_day_number(i32::try_from(secs / 86_400).unwrap_or(0))
}

pub(crate) fn as_of(s: &Option<String>) -> Result<Date, Fail> {
    match s {
        Some(s) => Date::parse(s).map_err(|e| Fail(format!("--as-of: {e}"), 2)),
        None => Ok(today()),
    }
}

/// Failure items on one line each, for stderr.
pub(crate) fn one_line(errors: &[huiqi::ops::ErrorItem]) -> String {
    errors.iter().map(huiqi::ops::ErrorItem::one_line).collect::<Vec<_>>().join("\n")
}

/// Whether a file is Parquet, by its name.
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet"))
}

/// Loads enterprises: Parquet (a `.parquet` name) through Arrow record batches (columns as
/// in docs/arrow.md; a value that does not fit stops the load, naming its column and row),
/// anything else as [`EnterpriseStore::load_path`] (a saved store, CSV or JSON lines).
/// The store of `--enterprises`, when given, opened for the operation layer.
pub(crate) fn open_store(schema: &Schema, enterprises: Option<&Path>) -> Result<Option<huiqi::ops::OpenStore>, Fail> {
    enterprises
        .map(|path| {
            let (store, report) = load_enterprises(schema, path, huiqi::store::LoadOptions::default())?;
            Ok(huiqi::ops::OpenStore::new(store, report))
        })
        .transpose()
}

pub(crate) fn load_enterprises(
    schema: &Schema,
    path: &Path,
    opts: huiqi::store::LoadOptions,
) -> Result<(EnterpriseStore, huiqi::store::LoadReport), Fail> {
    // Parquet by its name or by its first bytes (`PAR1`), whatever it is called.
    if !huiqi_arrow::parquet_in::is_parquet(path) {
        return Ok(EnterpriseStore::load_any(schema, path, opts)?);
    }
    huiqi_arrow::parquet_in::load_store(schema, path).map_err(|e| Fail(e, 2))
}

pub(crate) fn b_len(b: &roaring::RoaringBitmap) -> u64 {
    b.len()
}

pub(crate) fn print_load_report(out: &mut impl Write, r: &huiqi::store::LoadReport) -> std::io::Result<()> {
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
pub(crate) fn reaches(
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

pub(crate) fn print_calendar(
    out: &mut impl Write,
    entries: &[huiqi::engine::CalendarEntry],
    as_of: Date,
    months: i64,
) -> std::io::Result<()> {
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
