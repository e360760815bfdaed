//! The one JSON layer every binding speaks.
//!
//! CLI `--json`, WASM, the C ABI and Python all call these functions, so the same input
//! gives byte-identical output everywhere. Every answer is an envelope:
//!
//! ```json
//! {"type": "success", "result": { … }}
//! {"type": "failure", "errors": [{"kind": "profile", "message": "…", "path": "$.employees.2024"}]}
//! ```
//!
//! Errors are values: a kind, a message, and where (a JSON path, or file / policy /
//! line:column in a policy text). Nothing here panics on bad input.

use serde::Serialize;

use crate::date::Date;
use crate::engine::{Engine, EngineError, MatchOptions, MatchPath};
use crate::index::Matcher;
use crate::outcome::Detail;
use crate::policy::PolicySetError;
use crate::profile::ProfileErrors;

/// One error in a failure envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorItem {
    /// `profile`, `policy`, `request`, `unknown_policy`, `json`.
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ErrorItem {
    pub fn new(kind: &str, message: impl Into<String>) -> ErrorItem {
        ErrorItem {
            kind: kind.into(),
            message: message.into(),
            path: None,
            origin: None,
            policy: None,
            line: None,
            column: None,
            hint: None,
        }
    }
}

/// A tagged result envelope.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Envelope<T> {
    Success {
        result: T,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    Failure {
        errors: Vec<ErrorItem>,
    },
}

impl<T: Serialize> Envelope<T> {
    /// Serialises the envelope; serialisation of these types cannot fail, but if it did the
    /// answer is still a failure envelope.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"type\":\"failure\",\"errors\":[{{\"kind\":\"internal\",\"message\":{:?}}}]}}", e.to_string()))
    }
}

/// Failure items for profile errors.
pub fn profile_errors(e: &ProfileErrors) -> Vec<ErrorItem> {
    e.0.iter().map(|p| ErrorItem { path: Some(p.path.clone()), ..ErrorItem::new("profile", p.message.clone()) }).collect()
}

/// Failure items for policy-set errors.
pub fn policy_errors(e: &PolicySetError) -> Vec<ErrorItem> {
    e.0.iter()
        .map(|p| ErrorItem {
            path: Some(p.location.clone()),
            origin: Some(p.origin.clone()),
            policy: p.policy.clone(),
            line: p.line,
            column: p.column,
            hint: p.hint.clone(),
            ..ErrorItem::new("policy", p.message.clone())
        })
        .collect()
}

/// Failure items for any engine error.
pub fn engine_errors(e: &EngineError) -> Vec<ErrorItem> {
    match e {
        EngineError::Policies(p) => policy_errors(p),
        EngineError::Profile(p) => profile_errors(p),
        EngineError::UnknownPolicy { suggestion, .. } => vec![ErrorItem {
            hint: suggestion.as_ref().map(|s| format!("did you mean {s:?}?")),
            ..ErrorItem::new("unknown_policy", e.to_string())
        }],
    }
}

fn parse_date(as_of: &str) -> Result<Date, Vec<ErrorItem>> {
    Date::parse(as_of).map_err(|e| vec![ErrorItem { path: Some("as_of".into()), ..ErrorItem::new("request", e.to_string()) }])
}

/// The profile and date of a request, or the errors of either as failure items.
pub fn profile_and_date(engine: &Engine, profile_json: &str, as_of: &str) -> Result<(crate::profile::Profile, Date), Vec<ErrorItem>> {
    let date = parse_date(as_of)?;
    let profile = engine.profile_from_json(profile_json).map_err(|e| profile_errors(&e))?;
    Ok((profile, date))
}

/// The options of a match as the bindings send them: a JSON object, every key optional.
///
/// ```json
/// {"detail": "verdicts" | "summary" | "full", "all": false, "tags": ["科创"], "limit": 20,
///  "recommend_undetermined": false, "engine": "index" | "reference"}
/// ```
///
/// The defaults: `full` detail for the eligible and undetermined policies, with the
/// counts of all; every tag; no limit; the index.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    pub detail: Option<String>,
    pub all: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub limit: Option<usize>,
    #[serde(alias = "recommendUndetermined")]
    pub recommend_undetermined: Option<bool>,
    pub engine: Option<String>,
}

fn request_error(path: &str, message: impl Into<String>) -> Vec<ErrorItem> {
    vec![ErrorItem { path: Some(path.into()), ..ErrorItem::new("request", message) }]
}

/// Reads match options (JSON text; `None`, empty or `null`: the defaults).
pub fn match_options(options_json: Option<&str>) -> Result<(MatchPath, MatchOptions), Vec<ErrorItem>> {
    let text = options_json.map(str::trim).filter(|t| !t.is_empty() && *t != "null");
    let r: MatchRequest = match text {
        None => MatchRequest::default(),
        Some(t) => serde_json::from_str(t).map_err(|e| request_error("options", format!("match options: {e}")))?,
    };
    let detail = match r.detail.as_deref() {
        None => Detail::default(),
        Some(d) => Detail::parse(d)
            .ok_or_else(|| request_error("options.detail", format!("detail {d:?} is not one of \"verdicts\", \"summary\", \"full\"")))?,
    };
    let path = match r.engine.as_deref() {
        None | Some("index") => MatchPath::Index,
        Some("reference") => MatchPath::Reference,
        Some(e) => return Err(request_error("options.engine", format!("engine {e:?} is neither \"index\" nor \"reference\""))),
    };
    Ok((
        path,
        MatchOptions {
            tags: r.tags.unwrap_or_default(),
            recommend_undetermined: r.recommend_undetermined.unwrap_or(false),
            detail,
            all: r.all.unwrap_or(false),
            limit: r.limit,
        },
    ))
}

/// Matches a profile (JSON text) on `as_of` (`YYYY-MM-DD`) through the index, at the
/// default detail (eligible and undetermined policies in full, counts of all).
pub fn match_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    match_json_with(engine, profile_json, as_of, MatchPath::Index)
}

/// Matches a profile (JSON text) on `as_of` through the given path.
pub fn match_json_with(engine: &Engine, profile_json: &str, as_of: &str, path: MatchPath) -> String {
    match_json_opts(engine, profile_json, as_of, path, &MatchOptions::default())
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
        Ok((profile, date)) => {
            let r = engine.answer(m, &profile, date, path, opts);
            Envelope::Success { warnings: r.warnings().to_vec(), result: r }.to_json()
        }
        Err(mut errors) => {
            for e in &mut errors {
                e.line = e.line.or(line_no);
            }
            Envelope::<()>::Failure { errors }.to_json()
        }
    }
}

/// Matches a profile with options given as JSON text ([`MatchRequest`]): the form the C
/// ABI and WASM call.
pub fn match_request_json(engine: &Engine, profile_json: &str, as_of: &str, options_json: Option<&str>) -> String {
    match match_options(options_json) {
        Ok((path, opts)) => match_json_opts(engine, profile_json, as_of, path, &opts),
        Err(errors) => Envelope::<()>::Failure { errors }.to_json(),
    }
}

/// The verdicts-only match: counts, and the ids and verdicts of the eligible and
/// undetermined policies (`{"detail": "verdicts"}`).
pub fn verdicts_json(engine: &Engine, profile_json: &str, as_of: &str) -> String {
    match_json_opts(engine, profile_json, as_of, MatchPath::Index, &MatchOptions { detail: Detail::Verdicts, ..MatchOptions::default() })
}

/// Explains one policy for a profile (JSON text) on `as_of`.
pub fn explain_json(engine: &Engine, profile_json: &str, policy_id: &str, as_of: &str) -> String {
    let run = || -> Result<_, Vec<ErrorItem>> {
        let (profile, date) = profile_and_date(engine, profile_json, as_of)?;
        engine.explain(&profile, policy_id, date).map_err(|e| engine_errors(&e))
    };
    match run() {
        Ok(r) => Envelope::Success { result: r, warnings: Vec::new() }.to_json(),
        Err(errors) => Envelope::<()>::Failure { errors }.to_json(),
    }
}

/// Builds an engine from an optional schema (JSON text; the embedded one when `None`) and
/// policy files as (origin, JSON text) pairs (the embedded real policies when empty).
pub fn build_engine(schema_json: Option<&str>, policy_files: &[(String, String)]) -> Result<Engine, Vec<ErrorItem>> {
    build_engine_on(Tables { schema_json, codes: &[] }, policy_files)
}

/// The schema and code tables an engine is built on: the bundled ones unless given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tables<'a> {
    /// The enterprise schema as JSON text (`None`: the bundled schema).
    pub schema_json: Option<&'a str>,
    /// Code tables as (file name, JSON text), each replacing the bundled table of the same
    /// system (`industry`, `region`, `zone`) with the same validation, as
    /// `huiqi --codes DIR` reads them; empty: the bundled tables.
    pub codes: &'a [(String, String)],
}

/// [`build_engine`] on given schema and code tables.
pub fn build_engine_on(tables: Tables<'_>, policy_files: &[(String, String)]) -> Result<Engine, Vec<ErrorItem>> {
    Engine::from_sources(schema_of(tables)?, &files_or_bundled(policy_files)).map_err(|e| engine_errors(&e))
}

fn schema_of(tables: Tables<'_>) -> Result<std::sync::Arc<crate::schema::Schema>, Vec<ErrorItem>> {
    let codes = if tables.codes.is_empty() {
        crate::code::CodeSystems::embedded().map_err(|e| vec![ErrorItem::new("schema", e.to_string())])?
    } else {
        crate::code::CodeSystems::with_tables(tables.codes).map_err(|e| vec![ErrorItem::new("codes", e.to_string())])?
    };
    match tables.schema_json {
        Some(s) => crate::schema::Schema::from_json(s, codes),
        None => crate::schema::Schema::from_json(include_str!("../../data/schema/enterprise.json"), codes),
    }
    .map(std::sync::Arc::new)
    .map_err(|e| vec![ErrorItem::new("schema", e.to_string())])
}

fn files_or_bundled(policy_files: &[(String, String)]) -> Vec<(String, String)> {
    if policy_files.is_empty() {
        crate::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect()
    } else {
        policy_files.to_vec()
    }
}

/// Checks policy files (the embedded ones when empty) and saves them with their syntax
/// trees ([`crate::saved`]).
pub fn save_set(schema_json: Option<&str>, policy_files: &[(String, String)]) -> Result<Vec<u8>, Vec<ErrorItem>> {
    save_set_on(Tables { schema_json, codes: &[] }, policy_files)
}

/// [`save_set`] on given schema and code tables.
pub fn save_set_on(tables: Tables<'_>, policy_files: &[(String, String)]) -> Result<Vec<u8>, Vec<ErrorItem>> {
    crate::saved::save(schema_of(tables)?, &files_or_bundled(policy_files)).map(|(_, bytes)| bytes).map_err(|e| policy_errors(&e))
}

/// Policy files as (origin, JSON text) pairs.
pub type PolicyFiles = Vec<(String, String)>;

/// Builds an engine from a saved set; also gives back the set's policy files.
pub fn build_engine_saved(schema_json: Option<&str>, saved: &[u8]) -> Result<(Engine, PolicyFiles), Vec<ErrorItem>> {
    build_engine_saved_on(Tables { schema_json, codes: &[] }, saved)
}

/// [`build_engine_saved`] on given schema and code tables.
pub fn build_engine_saved_on(tables: Tables<'_>, saved: &[u8]) -> Result<(Engine, PolicyFiles), Vec<ErrorItem>> {
    let mut read = crate::saved::read(saved).map_err(|e| vec![ErrorItem::new("compiled", e.to_string())])?;
    let (set, _) = read.compile(schema_of(tables)?).map_err(|e| policy_errors(&e))?;
    Ok((Engine::from_set(set), read.files))
}

/// Summary of a checked policy set.
#[derive(Clone, Debug, Serialize)]
pub struct CheckSummary {
    pub policies: usize,
    pub definitions: usize,
    pub ids: Vec<String>,
}

/// Checks a policy set: a success envelope with a summary, or every problem.
pub fn check_json(schema_json: Option<&str>, policy_files: &[(String, String)]) -> String {
    check_json_on(Tables { schema_json, codes: &[] }, policy_files)
}

/// [`check_json`] on given schema and code tables.
pub fn check_json_on(tables: Tables<'_>, policy_files: &[(String, String)]) -> String {
    match build_engine_on(tables, policy_files) {
        Ok(e) => {
            let set = e.policy_set();
            let result = CheckSummary {
                policies: set.policies.len(),
                definitions: set.definitions.len(),
                ids: set.policies.iter().map(|p| p.doc.id.clone()).collect(),
            };
            Envelope::Success { result, warnings: Vec::new() }.to_json()
        }
        Err(errors) => Envelope::<()>::Failure { errors }.to_json(),
    }
}

/// Matches many profiles given as JSON lines, at the default detail: one envelope line
/// per input line, in order (see [`match_lines_opts`]).
pub fn match_lines(engine: &Engine, jsonl: &str, as_of: &str) -> String {
    match_lines_opts(engine, jsonl, as_of, MatchPath::Index, &MatchOptions::default())
}

/// Matches many profiles given as JSON lines: one envelope line per input line, in order,
/// so that output line N answers input line N. A bad or blank line gives a failure line
/// naming its line number, never an aborted batch. One matcher serves the whole batch.
pub fn match_lines_opts(engine: &Engine, jsonl: &str, as_of: &str, path: MatchPath, opts: &MatchOptions) -> String {
    let mut out = String::new();
    let mut m = engine.matcher();
    // A final newline ends the last line; it does not start another.
    for (n, line) in jsonl.strip_suffix('\n').unwrap_or(jsonl).split('\n').enumerate() {
        if jsonl.is_empty() {
            break;
        }
        out.push_str(&match_line(engine, &mut m, n + 1, line.strip_suffix('\r').unwrap_or(line), as_of, path, opts));
        out.push('\n');
    }
    out
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
        return line_failure(line_no, "json", "empty line: every input line is one profile (JSON object)");
    }
    answer_envelope(engine, m, line, as_of, path, opts, Some(line_no))
}

/// A failure envelope for input line `line_no`.
pub fn line_failure(line_no: usize, kind: &str, message: &str) -> String {
    Envelope::<()>::Failure { errors: vec![ErrorItem { line: Some(line_no), ..ErrorItem::new(kind, message) }] }.to_json()
}

/// Summary of a loaded enterprise file or store.
#[derive(Clone, Debug, Serialize)]
pub struct StoreSummary {
    pub enterprises: u32,
    pub report: crate::store::LoadReport,
}

/// Loads enterprises for reverse and bulk: a saved store, CSV, or JSON lines (by content
/// and extension); bad rows are skipped and reported.
pub fn load_store(engine: &Engine, path: &str) -> Result<(crate::store::EnterpriseStore, crate::store::LoadReport), Vec<ErrorItem>> {
    crate::store::EnterpriseStore::load_path(engine.schema(), std::path::Path::new(path), crate::store::LoadOptions::default())
        .map_err(|e| vec![ErrorItem { path: Some(path.to_string()), ..ErrorItem::new("store", e.to_string()) }])
}

/// The reach of one policy over a store, listing up to `list` enterprise ids per verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ReverseResult {
    pub policy: String,
    pub as_of: Date,
    pub enterprises: u32,
    pub eligible: u64,
    pub undetermined: u64,
    pub eligible_ids: Vec<String>,
    pub undetermined_ids: Vec<String>,
}

/// Which enterprises of a store qualify for one policy (免申即享 / 精准推送).
pub fn reverse_json(engine: &Engine, store: &crate::store::EnterpriseStore, policy_id: &str, as_of: &str, list: usize) -> String {
    reverse_json_with(engine, store, policy_id, as_of, list, |date| store.prepare(engine, date).map(std::sync::Arc::new))
}

/// [`reverse_json`] with the store's sets from `prepare` (a [`crate::store::PreparedCache`]).
pub fn reverse_json_with(
    engine: &Engine,
    store: &crate::store::EnterpriseStore,
    policy_id: &str,
    as_of: &str,
    list: usize,
    prepare: impl FnOnce(Date) -> Result<std::sync::Arc<crate::store::Prepared>, crate::store::StoreError>,
) -> String {
    let run = || -> Result<ReverseResult, Vec<ErrorItem>> {
        let date = parse_date(as_of)?;
        let store_err = |e: crate::store::StoreError| match &e {
            crate::store::StoreError::UnknownPolicy { id, suggestion } => vec![ErrorItem {
                hint: suggestion.as_ref().map(|s| format!("did you mean {s:?}?")),
                ..ErrorItem::new("unknown_policy", format!("unknown policy {id:?}"))
            }],
            _ => vec![ErrorItem::new("store", e.to_string())],
        };
        let reach = prepare(date).map_err(store_err)?.reverse(engine, policy_id).map_err(store_err)?;
        let ids =
            |b: &roaring::RoaringBitmap| -> Vec<String> { b.iter().take(list).filter_map(|r| store.id(r).map(str::to_string)).collect() };
        Ok(ReverseResult {
            policy: policy_id.to_string(),
            as_of: date,
            enterprises: store.len(),
            eligible: reach.eligible.len(),
            undetermined: reach.undetermined.len(),
            eligible_ids: ids(&reach.eligible),
            undetermined_ids: ids(&reach.undetermined),
        })
    };
    match run() {
        Ok(r) => Envelope::Success { result: r, warnings: Vec::new() }.to_json(),
        Err(errors) => Envelope::<()>::Failure { errors }.to_json(),
    }
}

/// Per-policy counts of one bulk run.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyCount {
    pub policy: String,
    pub eligible: u64,
    pub undetermined: u64,
}

/// A schema field the policies read, as [`fields_read_json`] lists it.
#[derive(Serialize)]
pub struct FieldRead {
    pub name: String,
    pub label: String,
    /// Whether the field has one value per year (`name_YYYY` columns).
    pub per_year: bool,
}

/// The fields the engine's policies read (conditions and benefits, through definitions
/// and derived fields; [`crate::policy::PolicySet::fields_read`]), and the fields that
/// name an enterprise: a success envelope `{"fields": [{"name", "label", "per_year"}],
/// "ids": ["uscc", "name"]}`. A columnar job may read only these columns: the others
/// change no answer.
pub fn fields_read_json(engine: &Engine) -> String {
    #[derive(Serialize)]
    struct Read {
        fields: Vec<FieldRead>,
        ids: Vec<&'static str>,
    }
    let schema = engine.schema();
    let fields = engine
        .policy_set()
        .fields_read()
        .into_iter()
        .filter_map(|f| schema.field_by_id(f))
        .map(|f| FieldRead { name: f.name.clone(), label: f.label.clone(), per_year: f.per_year })
        .collect();
    let ids = ["uscc", "name"].into_iter().filter(|n| schema.field(n).is_some()).collect();
    Envelope::Success { result: Read { fields, ids }, warnings: Vec::new() }.to_json()
}

/// Every enterprise of a store against every policy version in force: counts per policy.
pub fn bulk_counts_json(engine: &Engine, store: &crate::store::EnterpriseStore, as_of: &str) -> String {
    bulk_counts_json_with(engine, as_of, |date| store.prepare(engine, date).map(std::sync::Arc::new))
}

/// [`bulk_counts_json`] with the store's sets from `prepare` (a [`crate::store::PreparedCache`]).
pub fn bulk_counts_json_with(
    engine: &Engine,
    as_of: &str,
    prepare: impl FnOnce(Date) -> Result<std::sync::Arc<crate::store::Prepared>, crate::store::StoreError>,
) -> String {
    let run = || -> Result<Vec<PolicyCount>, Vec<ErrorItem>> {
        let date = parse_date(as_of)?;
        let prepared = prepare(date).map_err(|e| vec![ErrorItem::new("store", e.to_string())])?;
        let all = prepared.bulk_counts(engine);
        Ok(engine
            .policy_set()
            .policies
            .iter()
            .zip(&all)
            .enumerate()
            .filter(|(i, _)| engine.version_in_force(*i, date))
            .map(|(_, (p, (eligible, undetermined)))| PolicyCount {
                policy: p.doc.id.clone(),
                eligible: *eligible,
                undetermined: *undetermined,
            })
            .collect())
    };
    match run() {
        Ok(r) => Envelope::Success { result: r, warnings: Vec::new() }.to_json(),
        Err(errors) => Envelope::<()>::Failure { errors }.to_json(),
    }
}
