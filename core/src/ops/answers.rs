//! Answers about one enterprise: match (every detail level), verdicts, summary, next
//! questions, explain, calendar; and many enterprises at once, as an array or JSON lines.

use serde::{Deserialize, Serialize};

use super::error::{failure, parse_date, profile_errors, ErrorItem, ErrorKind, Errors};
use super::Envelope;
use crate::date::Date;
use crate::engine::{Answer, CalendarEntry, Engine, ExplainOutcome, MatchOptions, MatchPath};
use crate::index::Matcher;
use crate::outcome::{Detail, NextQuestion, Summary};
use crate::profile::Profile;
use serde_json::Value as Json;

/// The options of a match, every key optional:
///
/// ```json
/// {"detail": "verdicts" | "summary" | "full", "all": false, "tags": ["科创"], "limit": 20,
///  "recommend_undetermined": false, "engine": "index" | "reference"}
/// ```
///
/// The defaults: `full` detail for the eligible and undetermined policies, with the
/// counts of all; every tag; no limit; the index.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MatchOptions")]
#[serde(deny_unknown_fields)]
pub struct MatchOptionsJson {
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub all: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default, alias = "recommendUndetermined")]
    pub recommend_undetermined: Option<bool>,
    #[serde(default)]
    pub engine: Option<String>,
}

impl MatchOptionsJson {
    /// The evaluation path and options these name, or the request errors of bad values.
    pub fn resolve(&self) -> Result<(MatchPath, MatchOptions), Errors> {
        let detail = match self.detail.as_deref() {
            None => Detail::default(),
            Some(d) => Detail::parse(d).ok_or_else(|| {
                vec![ErrorItem::request("options.detail", format!("detail {d:?} is not one of \"verdicts\", \"summary\", \"full\""))]
            })?,
        };
        let path = match self.engine.as_deref() {
            None | Some("index") => MatchPath::Index,
            Some("reference") => MatchPath::Reference,
            Some(e) => {
                return Err(vec![ErrorItem::request("options.engine", format!("engine {e:?} is neither \"index\" nor \"reference\""))])
            }
        };
        Ok((
            path,
            MatchOptions {
                tags: self.tags.clone().unwrap_or_default(),
                recommend_undetermined: self.recommend_undetermined.unwrap_or(false),
                detail,
                all: self.all.unwrap_or(false),
                limit: self.limit,
            },
        ))
    }
}

/// Reads match options (JSON text; `None`, empty or `null`: the defaults).
pub fn match_options(options_json: Option<&str>) -> Result<(MatchPath, MatchOptions), Errors> {
    match options_json.map(str::trim).filter(|t| !t.is_empty() && *t != "null") {
        None => MatchOptionsJson::default().resolve(),
        Some(t) => serde_json::from_str::<MatchOptionsJson>(t)
            .map_err(|e| vec![ErrorItem::request("options", format!("match options: {e}"))])?
            .resolve(),
    }
}

/// One enterprise on one date: what `summary`, `next_questions` and `verdicts` take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// The enterprise profile (a JSON object; docs/profile.md).
    pub profile: Json,
    /// The evaluation date, `YYYY-MM-DD`.
    pub as_of: String,
}

/// `match`: one enterprise against every policy in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    pub profile: Json,
    pub as_of: String,
    #[serde(default)]
    pub options: MatchOptionsJson,
}

/// `match_many`: many enterprises, each answered on its own (a bad one fails alone).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchManyRequest {
    pub profiles: Vec<Json>,
    pub as_of: String,
    #[serde(default)]
    pub options: MatchOptionsJson,
}

/// `explain`: one policy for one enterprise, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    pub profile: Json,
    pub policy: String,
    pub as_of: String,
}

/// `calendar`: application windows opening or closing, and policies ending, within
/// `months` of `as_of`, for the policies the enterprise is eligible or nearly eligible for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarRequest {
    pub profile: Json,
    pub as_of: String,
    /// How far ahead (default 3).
    #[serde(default = "three")]
    pub months: i64,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn three() -> i64 {
    3
}

/// The calendar of [`CalendarRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Calendar {
    pub as_of: Date,
    pub months: i64,
    pub entries: Vec<CalendarEntry>,
}

fn decode(engine: &Engine, profile: &Json, as_of: &str) -> Result<(Profile, Date), Errors> {
    let date = parse_date("as_of", as_of)?;
    let profile = Profile::from_json(engine.schema(), profile).map_err(|e| profile_errors(&e))?;
    Ok((profile, date))
}

/// The profile (JSON text) and date of a request, or the errors of either.
pub fn profile_and_date(engine: &Engine, profile_json: &str, as_of: &str) -> Result<(Profile, Date), Errors> {
    let date = parse_date("as_of", as_of)?;
    let profile = engine.profile_from_json(profile_json).map_err(|e| profile_errors(&e))?;
    Ok((profile, date))
}

/// The envelope of a match answer (its warnings are the profile's).
fn answer_json(answer: &Answer<'_>) -> String {
    Envelope::Success { warnings: answer.warnings().to_vec(), result: answer }.to_json()
}

/// `match` on a decoded request.
pub fn match_profile(engine: &Engine, m: &mut Matcher, r: &MatchRequest) -> String {
    match r.options.resolve().and_then(|o| decode(engine, &r.profile, &r.as_of).map(|pd| (o, pd))) {
        Ok(((path, opts), (profile, date))) => answer_json(&engine.answer(m, &profile, date, path, &opts)),
        Err(errors) => failure(errors),
    }
}

/// `verdicts`: the counts, and the ids and verdicts of the eligible and undetermined
/// policies (`match` at `{"detail": "verdicts"}`).
pub fn verdicts(engine: &Engine, m: &mut Matcher, r: &ProfileRequest) -> String {
    let opts = MatchOptions { detail: Detail::Verdicts, ..MatchOptions::default() };
    match decode(engine, &r.profile, &r.as_of) {
        Ok((profile, date)) => answer_json(&engine.answer(m, &profile, date, MatchPath::Index, &opts)),
        Err(errors) => failure(errors),
    }
}

/// The codes of the compact verdicts ([`verdict_bytes`]): one byte per policy of the set,
/// in the set's order (the order of [`policy_ids`]).
pub mod verdict_code {
    /// Not eligible on the date.
    pub const INELIGIBLE: u8 = 0;
    pub const ELIGIBLE: u8 = 1;
    /// Could not be decided: a field it reads is unknown, or it asks a manual review.
    pub const UNDETERMINED: u8 = 2;
    /// Not in force on the date (not matched: the summary's `not_in_force`).
    pub const NOT_IN_FORCE: u8 = 3;
}

/// The compact verdicts: the verdict of every policy as one byte ([`verdict_code`]) into
/// `out`, in the set's order, with no JSON built: the binding's fast path. `out` holds at
/// least as many bytes as the set has policies (the rest is left alone); the answer is the
/// number written. A bad profile, date or buffer is the same failure as elsewhere.
pub fn verdict_bytes(engine: &Engine, m: &mut Matcher, profile_json: &str, as_of: &str, out: &mut [u8]) -> Result<usize, Errors> {
    let n = engine.policy_set().policies.len();
    if out.len() < n {
        return Err(vec![ErrorItem::request(
            "out",
            format!("the buffer holds {} bytes; the set has {n} policies, one byte each", out.len()),
        )]);
    }
    let (profile, date) = profile_and_date(engine, profile_json, as_of)?;
    // The verdicts, then the few policies not in force (kept in the matcher for the date):
    // one pass that asked both of every policy was half of a call at 10k policies in WASM.
    let tris = engine.match_with(m, &profile, date);
    for (slot, t) in out.iter_mut().zip(tris) {
        *slot = match t {
            crate::eval::Tri::True => verdict_code::ELIGIBLE,
            crate::eval::Tri::False => verdict_code::INELIGIBLE,
            crate::eval::Tri::Unknown => verdict_code::UNDETERMINED,
        };
    }
    for &i in engine.not_in_force_with(m, date) {
        if let Some(slot) = out.get_mut(i as usize) {
            *slot = verdict_code::NOT_IN_FORCE;
        }
    }
    Ok(n)
}

/// `policy_ids`: the ids of the set's policies in its order (the order of the compact
/// verdicts), with the meaning of each verdict code.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PolicyIds {
    pub ids: Vec<String>,
    /// The verdict codes of [`verdict_bytes`], by value: `["ineligible", "eligible",
    /// "undetermined", "not_in_force"]`.
    pub codes: [&'static str; 4],
}

/// `policy_ids` (see [`PolicyIds`]).
pub fn policy_ids(engine: &Engine) -> PolicyIds {
    PolicyIds {
        ids: engine.policy_set().policies.iter().map(|p| p.doc.id.clone()).collect(),
        codes: ["ineligible", "eligible", "undetermined", "not_in_force"],
    }
}

/// `summary`: the verdict counts of the policies in force, through the index only.
pub fn summary(engine: &Engine, r: &ProfileRequest) -> Result<Summary, Errors> {
    let (profile, date) = decode(engine, &r.profile, &r.as_of)?;
    Ok(summary_of(engine, &profile, date))
}

/// The verdict counts of the policies in force for a decoded profile.
pub fn summary_of(engine: &Engine, profile: &Profile, date: Date) -> Summary {
    let mut summary = Summary::default();
    for (i, v) in engine.verdicts(profile, date).into_iter().enumerate() {
        if engine.version_in_force(i, date) {
            summary.add(v);
        } else {
            summary.not_in_force += 1;
        }
    }
    summary
}

/// `next_questions`: the fields whose answers would decide the most undetermined policies
/// (the `next_questions` of a match), with the profile's warnings.
pub fn next_questions(engine: &Engine, r: &ProfileRequest) -> Result<(Vec<NextQuestion>, Vec<String>), Errors> {
    let (profile, date) = decode(engine, &r.profile, &r.as_of)?;
    Ok(next_questions_of(engine, &profile, date))
}

/// The next questions of a decoded profile, with its warnings.
pub fn next_questions_of(engine: &Engine, profile: &Profile, date: Date) -> (Vec<NextQuestion>, Vec<String>) {
    // The next questions only: no policy needs listing.
    let opts = MatchOptions { detail: Detail::Summary, limit: Some(0), ..MatchOptions::default() };
    let m = engine.match_profile_with(profile, date, MatchPath::Index, &opts);
    (m.next_questions, m.warnings)
}

/// The envelope of `next_questions` (the profile's warnings in the envelope).
pub fn next_questions_envelope(outcome: Result<(Vec<NextQuestion>, Vec<String>), Errors>) -> String {
    match outcome {
        Ok((result, warnings)) => Envelope::Success { result, warnings }.to_json(),
        Err(errors) => failure(errors),
    }
}

/// `summary` of a profile given as JSON text.
pub fn summary_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    super::respond(profile_and_date(engine, profile_json, as_of).map(|(p, d)| summary_of(engine, &p, d)))
}

/// `next_questions` of a profile given as JSON text.
pub fn next_questions_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    next_questions_envelope(profile_and_date(engine, profile_json, as_of).map(|(p, d)| next_questions_of(engine, &p, d)))
}

/// `explain`.
pub fn explain(engine: &Engine, r: &ExplainRequest) -> Result<ExplainOutcome, Errors> {
    let (profile, date) = decode(engine, &r.profile, &r.as_of)?;
    engine.explain(&profile, &r.policy, date).map_err(|e| super::engine_errors(&e))
}

/// `calendar`.
pub fn calendar(engine: &Engine, r: &CalendarRequest) -> Result<Calendar, Errors> {
    if !(0..=120).contains(&r.months) {
        return Err(vec![ErrorItem::request("months", format!("months is {}: give 0 to 120", r.months))]);
    }
    let (profile, date) = decode(engine, &r.profile, &r.as_of)?;
    Ok(Calendar { as_of: date, months: r.months, entries: engine.calendar(&profile, date, r.months, &r.tags) })
}

/// `match_many`: one envelope per profile, in order; a failure carries the profile's
/// position in `item`.
pub fn match_many<'e>(engine: &'e Engine, m: &mut Matcher, r: &MatchManyRequest) -> Result<Vec<Envelope<Answer<'e>>>, Errors> {
    let (path, opts) = r.options.resolve()?;
    let date = parse_date("as_of", &r.as_of)?;
    Ok(r.profiles
        .iter()
        .enumerate()
        .map(|(k, p)| match Profile::from_json(engine.schema(), p) {
            Ok(profile) => {
                let answer = engine.answer(m, &profile, date, path, &opts);
                Envelope::Success { warnings: answer.warnings().to_vec(), result: answer }
            }
            Err(e) => Envelope::Failure { errors: profile_errors(&e).into_iter().map(|x| ErrorItem { item: Some(k), ..x }).collect() },
        })
        .collect())
}

// ----- The forms of the bindings that take text arguments (C, WASM, the CLI). -----

/// Matches a profile (JSON text) on `as_of` (`YYYY-MM-DD`) through the index, at the
/// default detail (eligible and undetermined policies in full, counts of all).
pub fn match_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    match_json_opts(engine, profile_json, as_of, MatchPath::Index, &MatchOptions::default())
}

/// Matches a profile (JSON text) on `as_of` through the given path, with options.
pub fn match_json_opts(engine: &Engine, profile_json: &str, as_of: &str, path: MatchPath, opts: &MatchOptions) -> String {
    match_json_reusing(engine, &mut engine.matcher(), profile_json, as_of, path, opts)
}

/// [`match_json_opts`] reusing a matcher (one per thread): the form for many profiles.
pub fn match_json_reusing(
    engine: &Engine,
    m: &mut Matcher,
    profile_json: &str,
    as_of: &str,
    path: MatchPath,
    opts: &MatchOptions,
) -> String {
    answer_envelope(engine, m, profile_json, as_of, path, opts, None)
}

/// The envelope of one match; failures name `line_no` when given.
fn answer_envelope(
    engine: &Engine,
    m: &mut Matcher,
    profile_json: &str,
    as_of: &str,
    path: MatchPath,
    opts: &MatchOptions,
    line_no: Option<usize>,
) -> String {
    match profile_and_date(engine, profile_json, as_of) {
        Ok((profile, date)) => answer_json(&engine.answer(m, &profile, date, path, opts)),
        Err(mut errors) => {
            for e in &mut errors {
                e.line = e.line.or(line_no);
            }
            failure(errors)
        }
    }
}

/// Matches a profile with options given as JSON text ([`MatchOptionsJson`]).
pub fn match_request_json(engine: &Engine, profile_json: &str, as_of: &str, options_json: Option<&str>) -> String {
    match match_options(options_json) {
        Ok((path, opts)) => match_json_opts(engine, profile_json, as_of, path, &opts),
        Err(errors) => failure(errors),
    }
}

/// The verdicts-only match of a profile given as JSON text.
pub fn verdicts_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    match_json_opts(engine, profile_json, as_of, MatchPath::Index, &MatchOptions { detail: Detail::Verdicts, ..MatchOptions::default() })
}

/// Explains one policy for a profile (JSON text) on `as_of`.
pub fn explain_json(engine: &Engine, profile_json: &str, policy_id: &str, as_of: &str) -> String {
    super::respond(
        profile_and_date(engine, profile_json, as_of)
            .and_then(|(profile, date)| engine.explain(&profile, policy_id, date).map_err(|e| super::engine_errors(&e))),
    )
}

/// Matches many profiles given as JSON lines, at the default detail: one envelope line
/// per input line, in order (see [`match_lines_opts`]).
pub fn match_lines(engine: &Engine, jsonl: &str, as_of: &str) -> String {
    match_lines_opts(engine, jsonl, as_of, MatchPath::Index, &MatchOptions::default())
}

/// Matches many profiles given as JSON lines: one envelope line per input line, in order,
/// so that output line N answers input line N. A bad or blank line gives a failure line
/// naming its line number, never an aborted batch.
pub fn match_lines_opts(engine: &Engine, jsonl: &str, as_of: &str, path: MatchPath, opts: &MatchOptions) -> String {
    match_lines_threads(engine, jsonl, as_of, path, opts, 1, 1)
}

/// [`match_lines_opts`] with the lines numbered from `first_line` (a caller sending a long
/// stream in chunks passes the number of each chunk's first line) and shared out in
/// contiguous chunks over up to `threads` threads (0: as many as the machine has cores),
/// each with its own matcher. The answer is the same for any thread count. Without the
/// `parallel` feature (the WASM build) the lines are matched on the calling thread.
pub fn match_lines_threads(
    engine: &Engine,
    jsonl: &str,
    as_of: &str,
    path: MatchPath,
    opts: &MatchOptions,
    first_line: usize,
    threads: usize,
) -> String {
    let body = jsonl.strip_suffix('\n').unwrap_or(jsonl);
    let lines: Vec<&str> = if jsonl.is_empty() { Vec::new() } else { body.split('\n').collect() };
    let first_line = first_line.max(1);
    let run = |start: usize, chunk: &[&str]| -> String {
        let mut m = engine.matcher();
        let mut out = String::new();
        for (k, line) in chunk.iter().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            out.push_str(&match_line(engine, &mut m, first_line.saturating_add(start + k), line, as_of, path, opts));
            out.push('\n');
        }
        out
    };
    let n = thread_count(threads, lines.len());
    if n <= 1 {
        return run(0, &lines);
    }
    let per = lines.len().div_ceil(n).max(1);
    parallel_chunks(&lines, per, &run)
}

#[cfg(feature = "parallel")]
fn thread_count(threads: usize, lines: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads == 0 { cores } else { threads }.clamp(1, lines.max(1))
}

#[cfg(not(feature = "parallel"))]
fn thread_count(_threads: usize, _lines: usize) -> usize {
    1
}

#[cfg(feature = "parallel")]
fn parallel_chunks(lines: &[&str], per: usize, run: &(dyn Fn(usize, &[&str]) -> String + Sync)) -> String {
    use rayon::prelude::*;
    let parts: Vec<String> = lines.par_chunks(per).enumerate().map(|(c, chunk)| run(c * per, chunk)).collect();
    parts.concat()
}

#[cfg(not(feature = "parallel"))]
fn parallel_chunks(lines: &[&str], _per: usize, run: &(dyn Fn(usize, &[&str]) -> String + Sync)) -> String {
    run(0, lines)
}

/// One line of a JSON-lines batch: its envelope, failures carrying the line number.
pub fn match_line(
    engine: &Engine,
    m: &mut Matcher,
    line_no: usize,
    line: &str,
    as_of: &str,
    path: MatchPath,
    opts: &MatchOptions,
) -> String {
    if line.trim().is_empty() {
        return line_failure(line_no, "empty line: every input line is one profile (JSON object)");
    }
    answer_envelope(engine, m, line, as_of, path, opts, Some(line_no))
}

/// A failure envelope (kind `json`) for input line `line_no`.
pub fn line_failure(line_no: usize, message: &str) -> String {
    failure(vec![ErrorItem { line: Some(line_no), ..ErrorItem::new(ErrorKind::Json, message) }])
}
