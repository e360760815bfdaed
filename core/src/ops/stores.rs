//! Questions about many enterprises at once: a store opened beside an engine, its load
//! report, its predicate sets prepared for a date, reverse (which enterprises qualify for
//! a policy) and bulk counts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{parse_date, store_errors, ErrorItem, ErrorKind, Errors};
use crate::date::Date;
use crate::engine::Engine;
use crate::store::{EnterpriseStore, LoadOptions, LoadReport, Prepared, PreparedCache, StoreError};

/// An enterprise store as a binding holds it: the enterprises, the report of their
/// loading, and the predicate sets of the last engine and date asked (reused by the next
/// question on that engine and date).
#[derive(Debug)]
pub struct OpenStore {
    pub store: EnterpriseStore,
    pub report: LoadReport,
    prepared: PreparedCache,
    /// The reaches of condition parts of drafts (`what_if`), kept between drafts.
    parts: super::reach_parts::PartCache,
}

impl OpenStore {
    pub fn new(store: EnterpriseStore, report: LoadReport) -> OpenStore {
        OpenStore { store, report, prepared: PreparedCache::default(), parts: Default::default() }
    }

    /// Loads enterprises with the engine's schema: a saved store, CSV (`.csv`), JSON lines,
    /// or a folder of profiles. Bad rows are skipped and reported; a load that keeps no row
    /// or skips more than it keeps is an error.
    pub fn load(engine: &Engine, path: &str) -> Result<OpenStore, Errors> {
        EnterpriseStore::load_any(engine.schema(), std::path::Path::new(path), LoadOptions::default())
            .map(|(store, report)| OpenStore::new(store, report))
            .map_err(|e| vec![ErrorItem { path: Some(path.to_string()), ..ErrorItem::new(ErrorKind::Store, e.to_string()) }])
    }

    /// The store's sets for `engine` on `date`: the kept ones, or prepared now and kept.
    pub fn prepared(&self, engine: &Arc<Engine>, date: Date) -> Result<Arc<Prepared>, StoreError> {
        self.prepared.get(&self.store, engine, date)
    }

    /// `store_info`.
    pub fn info(&self) -> StoreSummary {
        StoreSummary { enterprises: self.store.len(), report: self.report.clone() }
    }
}

/// Summary of a loaded enterprise file or store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StoreSummary {
    pub enterprises: u32,
    pub report: LoadReport,
}

/// A question on one date: `prepare`, `bulk_counts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRequest {
    pub as_of: String,
}

/// The answer of `prepare`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PrepareResult {
    pub enterprises: u32,
    pub as_of: Date,
    /// The time the call took: next to nothing when the sets were kept already.
    pub seconds: f64,
}

/// `prepare`: computes and keeps the predicate sets of every enterprise for the engine's
/// questions on a date.
pub fn prepare(engine: &Arc<Engine>, open: &OpenStore, r: &DateRequest) -> Result<PrepareResult, Errors> {
    let date = parse_date("as_of", &r.as_of)?;
    let t = std::time::Instant::now();
    open.prepared(engine, date).map_err(|e| store_errors(&e))?;
    Ok(PrepareResult { enterprises: open.store.len(), as_of: date, seconds: t.elapsed().as_secs_f64() })
}

/// `reverse`: which enterprises qualify for one policy (免申即享 / 精准推送).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseRequest {
    pub policy: String,
    pub as_of: String,
    /// List the ids of at most this many enterprises per verdict (default 20).
    #[serde(default = "twenty")]
    pub list: usize,
    /// Skip this many of each verdict's ids first: the page after `offset` (default 0).
    #[serde(default)]
    pub offset: usize,
    /// Also name, for each undetermined enterprise listed, the fields whose values would
    /// decide it (`undetermined_missing`; the reference evaluator on each listed row).
    #[serde(default)]
    pub missing: bool,
}

fn twenty() -> usize {
    20
}

/// The reach of one policy over a store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ReverseResult {
    pub policy: String,
    pub as_of: Date,
    pub enterprises: u32,
    pub eligible: u64,
    pub undetermined: u64,
    pub eligible_ids: Vec<String>,
    pub undetermined_ids: Vec<String>,
    /// With `missing`: per listed undetermined enterprise, the fields that would decide it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined_missing: Vec<MissingFields>,
}

/// The fields whose values would decide one undetermined enterprise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MissingFields {
    pub id: String,
    /// Field names, in schema order.
    pub fields: Vec<String>,
    /// A part needs a person's judgement (`manual_review`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub manual_review: bool,
}

impl ReverseResult {
    /// The result of a reach, listing up to `list` ids per verdict.
    pub fn of(policy: &str, as_of: Date, store: &EnterpriseStore, reach: &crate::store::Reach, list: usize) -> ReverseResult {
        let ids =
            |b: &roaring::RoaringBitmap| -> Vec<String> { b.iter().take(list).filter_map(|r| store.id(r).map(str::to_string)).collect() };
        ReverseResult {
            policy: policy.to_string(),
            as_of,
            enterprises: store.len(),
            eligible: reach.eligible.len(),
            undetermined: reach.undetermined.len(),
            eligible_ids: ids(&reach.eligible),
            undetermined_ids: ids(&reach.undetermined),
            undetermined_missing: Vec::new(),
        }
    }
}

/// `reverse`. A policy that is not in force on the date is evaluated all the same, by its
/// condition alone; `bulk_counts` lists only the versions in force.
pub fn reverse(engine: &Arc<Engine>, open: &OpenStore, r: &ReverseRequest) -> Result<ReverseResult, Errors> {
    let date = parse_date("as_of", &r.as_of)?;
    let reach = open.prepared(engine, date).and_then(|p| p.reverse(engine, &r.policy)).map_err(|e| store_errors(&e))?;
    let page = |b: &roaring::RoaringBitmap| -> roaring::RoaringBitmap { b.iter().skip(r.offset).take(r.list).collect() };
    let listed = crate::store::Reach { eligible: page(&reach.eligible), undetermined: page(&reach.undetermined) };
    let mut out = ReverseResult::of(&r.policy, date, &open.store, &listed, r.list);
    (out.eligible, out.undetermined) = (reach.eligible.len(), reach.undetermined.len());
    if r.missing {
        out.undetermined_missing = missing_of(engine, &open.store, &r.policy, date, &listed.undetermined);
    }
    Ok(out)
}

/// For each row, the fields whose values would decide `policy` (the reference evaluator on
/// the row's profile, rebuilt from the store).
fn missing_of(engine: &Engine, store: &EnterpriseStore, policy: &str, date: Date, rows: &roaring::RoaringBitmap) -> Vec<MissingFields> {
    let set = engine.policy_set();
    let Some(i) = set.index_of(policy) else { return Vec::new() };
    rows.iter()
        .filter_map(|row| {
            let profile = store.profile(&set.schema, row);
            let ev = crate::eval::Evaluator::new(set, &profile, date);
            let unknown = ev.policy(i).err()?;
            let fields = unknown.fields.iter().filter_map(|f| set.schema.field_by_id(*f).map(|f| f.name.clone())).collect();
            Some(MissingFields { id: store.id(row)?.to_string(), fields, manual_review: unknown.manual })
        })
        .collect()
}

/// Per-policy counts of one bulk run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PolicyCount {
    pub policy: String,
    pub eligible: u64,
    pub undetermined: u64,
}

/// `bulk_counts`: every enterprise against every policy version in force, counted per
/// policy in the set's order.
pub fn bulk_counts(engine: &Arc<Engine>, open: &OpenStore, r: &DateRequest) -> Result<Vec<PolicyCount>, Errors> {
    let date = parse_date("as_of", &r.as_of)?;
    let prepared = open.prepared(engine, date).map_err(|e| store_errors(&e))?;
    Ok(counts_in_force(engine, &prepared, date))
}

/// The counts of a prepared store, for the versions in force on `date`.
pub fn counts_in_force(engine: &Engine, prepared: &Prepared, date: Date) -> Vec<PolicyCount> {
    let all = prepared.bulk_counts(engine);
    engine
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
        .collect()
}

/// The shape of a bulk answer in columns (Arrow, Parquet, Spark).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutput {
    /// One row per eligible (and, when asked, undetermined) pair.
    #[default]
    Pairs,
    /// One row per enterprise with the list of its eligible policies.
    Lists,
    /// One row per policy with its counts.
    Counts,
}

/// The options of a bulk run in columns: `{"output": "pairs" | "lists" | "counts",
/// "undetermined": bool, "missing": bool}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkOptions {
    #[serde(default)]
    pub output: BulkOutput,
    /// Also the undetermined pairs (or lists).
    #[serde(default)]
    pub undetermined: bool,
    /// With `undetermined` pairs: the fields each lacks (slow: matches those enterprises
    /// one by one).
    #[serde(default)]
    pub missing: bool,
}

impl BulkOptions {
    /// Reads the options (JSON text; `None`, empty or `null`: the defaults).
    pub fn from_json(text: Option<&str>) -> Result<BulkOptions, Errors> {
        match text.map(str::trim).filter(|t| !t.is_empty() && *t != "null") {
            None => Ok(BulkOptions::default()),
            Some(t) => serde_json::from_str(t).map_err(|e| vec![ErrorItem::request("options", format!("bulk options: {e}"))]),
        }
    }
}

/// What a bulk run in columns answers besides its batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BulkWritten {
    pub output: BulkOutput,
    pub undetermined: bool,
}

/// `what_if`: a draft of one policy (a policy file's text holding it: a new policy, or a new
/// version of one in the set, by its id), checked in the context of the set, with its reach
/// over the store on `as_of` compared with the current version's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// The draft: a policy file holding one policy, as text or as the JSON document itself.
    #[serde(deserialize_with = "super::build::text_or_document")]
    #[schemars(with = "serde_json::Value")]
    pub text: String,
    pub as_of: String,
    /// List the ids of at most this many enterprises gained and lost (default 20).
    #[serde(default = "twenty")]
    pub list: usize,
}

/// Eligible and undetermined counts of one version of a policy over the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ReachCounts {
    pub eligible: u64,
    pub undetermined: u64,
}

/// The draft's reach against the current version's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WhatIfResult {
    pub policy: String,
    pub as_of: Date,
    pub enterprises: u32,
    /// The version in the set now; absent for a new policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<ReachCounts>,
    pub draft: ReachCounts,
    /// Enterprises eligible under the draft and not under the current version.
    pub gained: u64,
    /// Enterprises eligible under the current version and not under the draft.
    pub lost: u64,
    pub gained_ids: Vec<String>,
    pub lost_ids: Vec<String>,
}

/// The engine of the set with `draft` (a policy file holding one policy) in place of the
/// policy of the same id, or beside the others; and that id.
pub(super) fn with_draft(engine: &Engine, draft: &str) -> Result<(Engine, String), Errors> {
    let (ids, defs) = super::authoring::declared_in(draft);
    let mut ids = ids.into_iter();
    let (Some(id), None) = (ids.next(), ids.next()) else {
        return Err(vec![ErrorItem::request("text", "the draft holds one policy (a policy file with exactly one)")]);
    };
    let set = engine.policy_set();
    let definitions = super::authoring::definitions_except(set, &defs);
    let mut policies = Vec::with_capacity(set.policies.len());
    for p in set.policies.iter().filter(|p| p.doc.id != id) {
        policies.push(serde_json::to_value(&p.doc).map_err(|e| vec![ErrorItem::new(ErrorKind::Internal, e.to_string())])?);
    }
    let context = serde_json::json!({"definitions": definitions, "policies": policies}).to_string();
    let files = vec![("current set".to_string(), context), ("draft.json".to_string(), draft.to_string())];
    let set = crate::policy::PolicySet::compile(Arc::clone(&set.schema), &files).map_err(|e| super::policy_errors(&e))?;
    Ok((Engine::from_set(set), id))
}

/// `what_if` (see [`WhatIfRequest`]).
pub fn what_if(engine: &Arc<Engine>, open: &OpenStore, r: &WhatIfRequest) -> Result<WhatIfResult, Errors> {
    let date = parse_date("as_of", &r.as_of)?;
    let (draft_engine, id) = with_draft(engine, &r.text)?;
    // Part by part, kept between drafts, when the policy's shape allows (reach_parts).
    let draft = match super::reach_parts::draft_reach(&open.store, &open.parts, &draft_engine, &id, date).map_err(|e| store_errors(&e))? {
        Some(reach) => reach,
        None => open.store.prepare(&draft_engine, date).and_then(|p| p.reverse(&draft_engine, &id)).map_err(|e| store_errors(&e))?,
    };
    let current = match engine.policy_set().index_of(&id) {
        Some(_) => Some(open.prepared(engine, date).and_then(|p| p.reverse(engine, &id)).map_err(|e| store_errors(&e))?),
        None => None,
    };
    let empty = roaring::RoaringBitmap::new();
    let before = current.as_ref().map_or(&empty, |c| &c.eligible);
    let gained = &draft.eligible - before;
    let lost = before - &draft.eligible;
    let ids = |b: &roaring::RoaringBitmap| -> Vec<String> {
        b.iter().take(r.list).filter_map(|row| open.store.id(row).map(str::to_string)).collect()
    };
    let counts = |reach: &crate::store::Reach| ReachCounts { eligible: reach.eligible.len(), undetermined: reach.undetermined.len() };
    Ok(WhatIfResult {
        policy: id,
        as_of: date,
        enterprises: open.store.len(),
        current: current.as_ref().map(counts),
        draft: counts(&draft),
        gained: gained.len(),
        lost: lost.len(),
        gained_ids: ids(&gained),
        lost_ids: ids(&lost),
    })
}

#[cfg(test)]
mod bulk_options_tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused() {
        let e = BulkOptions::from_json(Some(r#"{"output": "pairs", "output": "counts"}"#)).err().map(|e| format!("{e:?}"));
        assert!(e.as_deref().is_some_and(|e| e.contains("duplicate field `output`")), "{e:?}");
    }
}
