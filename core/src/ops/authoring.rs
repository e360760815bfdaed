//! What the officers who encode policies ask of a set: check a condition or a policy file
//! in the set's context, lint the set (with its reach over enterprises), list it, and
//! what its policies read.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::build::{CheckSummary, Source};
use super::error::{parse_date, policy_errors, ErrorItem, ErrorKind, Errors};
use super::stores::OpenStore;
use crate::check::{Checker, Scope};
use crate::engine::Engine;
use crate::policy::PolicySet;

/// `check_condition`: one condition text, checked as a condition of this set would be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionRequest {
    pub condition: String,
}

/// What a condition that checks uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ConditionCheck {
    /// The condition as the engine prints it (canonical form).
    pub canonical: String,
    /// Schema fields, derived fields and definitions it names.
    pub names: Vec<String>,
    /// Other policies it depends on through `eligible(…)`.
    pub policies: Vec<String>,
}

/// The names a condition may use besides schema fields (definitions and derived fields,
/// by name and label) and the policy ids, as `PolicySet::compile` sees them once every
/// definition has checked.
pub fn scope_of(set: &PolicySet) -> Scope {
    let mut defs = HashMap::new();
    for (i, d) in set.definitions.iter().enumerate() {
        let entry = (i, d.node.ty, d.node.percent);
        defs.insert(d.name.clone(), entry);
        if let Some(l) = &d.label {
            defs.insert(l.clone(), entry);
        }
    }
    let policies = set.policies.iter().enumerate().map(|(i, p)| (p.doc.id.clone(), i)).collect();
    Scope { defs, policies, failed: HashSet::new() }
}

/// An error item for a diagnostic in a condition text.
fn diagnostic_item(text: &str, d: &crate::lang::Diagnostic) -> ErrorItem {
    let (line, column) = d.line_col(text);
    ErrorItem {
        path: Some("condition".into()),
        origin: Some("editor".into()),
        line: Some(line),
        column: Some(column),
        hint: d.hint.clone(),
        ..ErrorItem::new(ErrorKind::Policy, d.message.clone())
    }
}

/// `check_condition`: parse errors and every name, type and unit error, each with line and
/// column in the text and a hint; on success the canonical form and what it refers to.
pub fn check_condition(engine: &Engine, r: &ConditionRequest) -> Result<ConditionCheck, Errors> {
    let text = r.condition.as_str();
    let expr = crate::lang::parse(text).map_err(|d| vec![diagnostic_item(text, &d)])?;
    let scope = scope_of(engine.policy_set());
    let mut checker = Checker::new(engine.schema(), &scope);
    let node = checker.check_condition(&expr);
    if !checker.diagnostics.is_empty() || node.is_none() {
        let mut errors: Errors = checker.diagnostics.iter().map(|d| diagnostic_item(text, d)).collect();
        if errors.is_empty() {
            errors.push(ErrorItem { path: Some("condition".into()), ..ErrorItem::new(ErrorKind::Policy, "the condition does not check") });
        }
        return Err(errors);
    }
    let mut names = Vec::new();
    crate::check::referenced_names(&expr, &mut names);
    let known: BTreeSet<String> =
        crate::sort::set_of(names.into_iter().filter(|n| engine.schema().field(n).is_some() || scope.defs.contains_key(n)));
    let mut refs = Vec::new();
    crate::check::referenced_policies(&expr, &mut refs);
    let policies: BTreeSet<String> = crate::sort::set_of(refs.into_iter().map(|(id, _)| id));
    Ok(ConditionCheck {
        canonical: crate::lang::print(&expr),
        names: known.into_iter().collect(),
        policies: policies.into_iter().collect(),
    })
}

/// `check_policy`: a policy file (one policy, an array, or `{"definitions": …,
/// "policies": […]}`) checked in the context of this set: it may use the set's
/// definitions and refer to its policies; a policy or definition of the file replaces the
/// set's one of the same id or name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFileRequest {
    /// The file's name, used as the origin of errors (default `edited.json`).
    #[serde(default = "edited")]
    pub name: String,
    /// The file's text.
    pub text: String,
}

fn edited() -> String {
    "edited.json".into()
}

/// `check_policy`: the summary counts only the file's own policies.
pub fn check_policy(engine: &Engine, r: &PolicyFileRequest) -> Result<CheckSummary, Errors> {
    let (ids, defs) = declared_in(&r.text);
    let files = vec![context_file(engine, &ids, &defs), (r.name.clone(), r.text.clone())];
    let set = PolicySet::compile(std::sync::Arc::clone(&engine.policy_set().schema), &files).map_err(|e| policy_errors(&e))?;
    // The context file's stand-in policies are not the caller's: count only theirs.
    let own: Vec<String> = set.policies.iter().map(|p| p.doc.id.clone()).filter(|id| ids.contains(id)).collect();
    Ok(CheckSummary { policies: own.len(), definitions: defs.len(), ids: own })
}

/// The policy ids and definition names a policy file declares (best effort: a file that
/// does not parse declares nothing, and the check reports why).
pub(super) fn declared_in(text: &str) -> (HashSet<String>, HashSet<String>) {
    let mut ids = HashSet::new();
    let mut defs = HashSet::new();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return (ids, defs) };
    let policies: Vec<&serde_json::Value> = match &v {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) if o.contains_key("policies") || o.contains_key("definitions") => {
            if let Some(d) = o.get("definitions").and_then(|d| d.as_object()) {
                defs.extend(d.keys().cloned());
            }
            o.get("policies").and_then(|p| p.as_array()).map(|a| a.iter().collect()).unwrap_or_default()
        }
        other => vec![other],
    };
    ids.extend(policies.iter().filter_map(|p| p.get("id").and_then(|i| i.as_str()).map(str::to_string)));
    (ids, defs)
}

/// The set's own definitions (not the schema's derived fields), as a policy file writes
/// them, except those a file being checked redefines.
pub(super) fn definitions_except(set: &PolicySet, defs: &HashSet<String>) -> serde_json::Map<String, serde_json::Value> {
    // Inserted, not collected: `collect` into the map sorts first (a sort instance more).
    let mut map = serde_json::Map::new();
    map.extend(
        set.definitions
            .iter()
            .filter(|d| !d.derived && !defs.contains(&d.name))
            .map(|d| (d.name.clone(), serde_json::Value::String(d.text.clone()))),
    );
    map
}

/// A policy file standing for the engine's set: its definitions (except those `defs`
/// redefines) and, for every policy not in `ids`, a stand-in with the same id whose
/// condition is `true`, so `eligible(…)` and `requires` resolve.
fn context_file(engine: &Engine, ids: &HashSet<String>, defs: &HashSet<String>) -> (String, String) {
    let set = engine.policy_set();
    let definitions = definitions_except(set, defs);
    let policies: Vec<serde_json::Value> = set
        .policies
        .iter()
        .filter(|p| !ids.contains(&p.doc.id))
        .map(|p| {
            serde_json::json!({
                "id": p.doc.id, "title": p.doc.title, "issuer": "context", "doc_no": "context", "year": 2024,
                "level": "national", "condition": "true", "benefit": {"kind": "none", "description": "context"},
                "source": {"document": "context"}
            })
        })
        .collect();
    ("(policy set)".to_string(), serde_json::json!({"definitions": definitions, "policies": policies}).to_string())
}

/// `lint`: findings for the whole set; with `as_of`, also whether it is current on that
/// date; with a store, the reach of every policy in force over its enterprises.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// The answer of `lint`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LintResult {
    pub findings: Vec<crate::lint::Finding>,
    /// With a store: whom each policy in force reaches.
    pub reach: Option<Vec<PolicyReach>>,
    /// With a store of at most [`MAX_PER_ENTERPRISE`] enterprises: per enterprise, the
    /// policies only a person can make eligible.
    pub manual_only_undetermined: Option<Vec<ManualOnly>>,
}

impl LintResult {
    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.level == crate::lint::Level::Warning).count()
    }
}

/// Whom one policy reaches in a store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PolicyReach {
    pub policy: String,
    pub eligible: u64,
    pub undetermined: u64,
    /// The first few enterprises reached (eligible first).
    pub examples: Vec<String>,
}

/// The policies one enterprise can only get through manual review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ManualOnly {
    pub enterprise: String,
    /// Policies in force undetermined for this enterprise with no field missing: only a
    /// person can decide them.
    pub policies: Vec<String>,
}

/// Stores larger than this get reach counts only, not the per-enterprise account (which
/// evaluates every policy for every enterprise on the reference path).
pub const MAX_PER_ENTERPRISE: u32 = 1000;

/// `lint`.
pub fn lint(engine: &std::sync::Arc<Engine>, store: Option<&OpenStore>, r: &LintRequest) -> Result<LintResult, Errors> {
    let date = r.as_of.as_deref().map(|d| parse_date("as_of", d)).transpose()?;
    let (reach, manual): (Option<Vec<PolicyReach>>, Option<Vec<ManualOnly>>) = match store {
        None => (None, None),
        #[cfg(feature = "stores")]
        Some(open) => {
            let date = date.ok_or_else(|| vec![ErrorItem::request("as_of", "give as_of: the reach over a store is counted on a date")])?;
            let (reach, manual) = whom(engine, open, date)?;
            (Some(reach), manual)
        }
        #[cfg(not(feature = "stores"))]
        Some(_) => return Err(vec![ErrorItem::request("store", "the reach over a store is not in this build")]),
    };
    let counts: Option<Vec<(u64, u64)>> = reach.as_ref().map(|r| r.iter().map(|p| (p.eligible, p.undetermined)).collect());
    let findings = crate::lint::lint_at(engine, counts.as_deref(), date);
    Ok(LintResult { findings, reach, manual_only_undetermined: manual })
}

/// Whom each policy in force reaches in a store, and (small stores) which policies each
/// enterprise can only get through manual review.
#[cfg(feature = "stores")]
fn whom(
    engine: &std::sync::Arc<Engine>,
    open: &OpenStore,
    date: crate::date::Date,
) -> Result<(Vec<PolicyReach>, Option<Vec<ManualOnly>>), Errors> {
    let set = engine.policy_set();
    let store = &open.store;
    let prepared = open.prepared(engine, date).map_err(|e| super::store_errors(&e))?;
    let bulk = prepared.bulk(engine, &|| {});
    let in_force: Vec<usize> = (0..set.policies.len()).filter(|&i| engine.version_in_force(i, date)).collect();
    let id = |row: u32| store.id(row).unwrap_or("?").to_string();
    let reach = in_force
        .iter()
        .filter_map(|&i| {
            let (p, r) = (set.policies.get(i)?, bulk.get(i)?);
            let examples = r.eligible.iter().chain(r.undetermined.iter()).take(3).map(id).collect();
            Some(PolicyReach { policy: p.doc.id.clone(), eligible: r.eligible.len(), undetermined: r.undetermined.len(), examples })
        })
        .collect();
    if store.len() > MAX_PER_ENTERPRISE {
        return Ok((reach, None));
    }
    let manual = (0..store.len())
        .map(|row| {
            let profile = store.profile(engine.schema(), row);
            let ev = crate::eval::Evaluator::new(set, &profile, date);
            let policies: Vec<String> = in_force
                .iter()
                .filter(|&&i| matches!(ev.policy(i), Err(u) if u.manual && u.fields.is_empty()))
                .filter_map(|&i| set.policies.get(i).map(|p| p.doc.id.clone()))
                .collect();
            ManualOnly { enterprise: id(row), policies }
        })
        .collect();
    Ok((reach, Some(manual)))
}

/// `policies`: the published list (政策精准公开), every version or those in force on a
/// date, optionally only the 政策包 of some tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliciesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The answer of `policies`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PolicyList {
    pub policies: Vec<crate::catalog::ListedPolicy>,
}

/// `policies`.
pub fn policies(engine: &Engine, r: &PoliciesRequest) -> Result<PolicyList, Errors> {
    let date = r.as_of.as_deref().map(|d| parse_date("as_of", d)).transpose()?;
    Ok(PolicyList { policies: crate::catalog::list(engine, date, &r.tags) })
}

/// A schema field the policies read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldRead {
    pub name: String,
    pub label: String,
    /// Whether the field has one value per year (`name_YYYY` columns).
    pub per_year: bool,
}

/// The answer of `fields_read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldsRead {
    pub fields: Vec<FieldRead>,
    /// The fields that name an enterprise (`uscc`, `name`).
    pub ids: Vec<String>,
}

/// `fields_read`: the fields the policies read (conditions and benefits, through
/// definitions and derived fields), and the fields that name an enterprise. A columnar
/// job may read only these columns: the others change no answer.
pub fn fields_read(engine: &Engine) -> FieldsRead {
    let schema = engine.schema();
    let fields = engine
        .policy_set()
        .fields_read()
        .into_iter()
        .filter_map(|f| schema.field_by_id(f))
        .map(|f| FieldRead { name: f.name.clone(), label: f.label.clone(), per_year: f.per_year })
        .collect();
    let ids = ["uscc", "name"].into_iter().filter(|n| schema.field(n).is_some()).map(str::to_string).collect();
    FieldsRead { fields, ids }
}

/// `schema`: the schema as a form needs it (fields in groups, types, units, enum values,
/// qualification codes, derived fields, code lists).
pub fn schema(engine: &Engine) -> super::schema_info::SchemaInfo {
    super::schema_info::schema_info(engine.schema())
}

/// Code tables given to an engine spec, for tests and bindings that read them from disk.
pub fn sources_of(pairs: &[(String, String)]) -> Vec<Source> {
    pairs.iter().map(|(o, t)| Source { origin: o.clone(), text: t.clone() }).collect()
}
