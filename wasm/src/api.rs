//! The WASM package's operations as plain Rust over the public `huiqi` API, so they are
//! tested natively too (`cargo test -p huiqi-wasm`). `lib.rs` only adapts them to
//! JavaScript. Every answer is a [`huiqi::envelope`] envelope as JSON text; matching and
//! explaining call `huiqi::envelope` itself, so the bytes equal the CLI's `--json` output.

use std::collections::{BTreeSet, HashMap, HashSet};

use huiqi::check::{Checker, Scope};
use huiqi::engine::Engine;
use huiqi::envelope::{self, Envelope, ErrorItem};
use serde::Serialize;

/// A policy file: its name (origin in error messages; a name ending in `.jsonl` is read as
/// JSON lines) and its text.
pub type PolicyFile = (String, String);

/// An engine together with what it was built from, so a condition typed in the editor can
/// be checked against the same definitions and policy ids.
pub struct Handle {
    pub engine: Engine,
    files: Vec<PolicyFile>,
    schema_json: Option<String>,
    /// Code tables replacing the bundled ones (`huiqi --codes DIR`); empty: the bundled ones.
    codes: Vec<PolicyFile>,
    scope: Scope,
}

/// The policy files embedded in the library (the bundled real policies).
pub fn bundled_files() -> Vec<PolicyFile> {
    huiqi::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect()
}

/// Builds an engine: the embedded schema when `schema_json` is `None`, the bundled
/// policies when `files` is empty.
pub fn build(files: Vec<PolicyFile>, schema_json: Option<String>) -> Result<Handle, Vec<ErrorItem>> {
    build_on(files, schema_json, Vec::new())
}

/// [`build`] on code tables (file name, JSON text) replacing the bundled ones of the same
/// system, as `huiqi --codes DIR`.
pub fn build_on(files: Vec<PolicyFile>, schema_json: Option<String>, codes: Vec<PolicyFile>) -> Result<Handle, Vec<ErrorItem>> {
    let engine = envelope::build_engine_on(envelope::Tables { schema_json: schema_json.as_deref(), codes: &codes }, &files)?;
    let files = if files.is_empty() { bundled_files() } else { files };
    let scope = scope_of(&engine);
    Ok(Handle { engine, files, schema_json, codes, scope })
}

/// Builds an engine from a saved set (`huiqi compile`, or [`Handle::save`]): no condition
/// text is parsed; the answers are those of the set's files.
pub fn build_saved(saved: &[u8], schema_json: Option<String>) -> Result<Handle, Vec<ErrorItem>> {
    build_saved_on(saved, schema_json, Vec::new())
}

/// [`build_saved`] on replaced code tables, as [`build_on`].
pub fn build_saved_on(saved: &[u8], schema_json: Option<String>, codes: Vec<PolicyFile>) -> Result<Handle, Vec<ErrorItem>> {
    let (engine, files) = envelope::build_engine_saved_on(envelope::Tables { schema_json: schema_json.as_deref(), codes: &codes }, saved)?;
    let scope = scope_of(&engine);
    Ok(Handle { engine, files, schema_json, codes, scope })
}

/// The core crate's version this package was built with.
pub fn huiqi_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The names a condition may use besides schema fields — definitions and derived fields
/// (by name and label) and policy ids — exactly as `PolicySet::compile` sees them once
/// every definition has checked.
fn scope_of(engine: &Engine) -> Scope {
    let set = engine.policy_set();
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

/// A failure envelope.
pub fn failure(errors: Vec<ErrorItem>) -> String {
    Envelope::<()>::Failure { errors }.to_json()
}

/// A success envelope.
pub fn success<T: Serialize>(result: T) -> String {
    Envelope::Success { result, warnings: Vec::new() }.to_json()
}

/// A failure envelope with one error of kind `request`.
pub fn request_error(message: impl Into<String>) -> String {
    failure(vec![ErrorItem::new("request", message)])
}

/// What a condition that checks uses.
#[derive(Debug, Serialize)]
pub struct ConditionCheck {
    /// The condition as the engine prints it (canonical form).
    pub canonical: String,
    /// Schema fields, derived fields and definitions it names.
    pub names: Vec<String>,
    /// Other policies it depends on through `eligible(…)`.
    pub policies: Vec<String>,
}

impl Handle {
    /// The policy files the engine was compiled from.
    pub fn files(&self) -> &[PolicyFile] {
        &self.files
    }

    /// The set saved with its syntax trees, for [`build_saved`].
    pub fn save(&self) -> Result<Vec<u8>, Vec<ErrorItem>> {
        envelope::save_set_on(self.tables(), &self.files)
    }

    /// The schema JSON the engine was built with (`None`: the embedded one).
    pub fn schema_json(&self) -> Option<&str> {
        self.schema_json.as_deref()
    }

    /// The code tables the engine was built on (empty: the bundled ones).
    pub fn code_tables(&self) -> &[PolicyFile] {
        &self.codes
    }

    fn tables(&self) -> envelope::Tables<'_> {
        envelope::Tables { schema_json: self.schema_json.as_deref(), codes: &self.codes }
    }

    /// Checks one condition text as a policy of this set would be checked: parse errors
    /// and every name, type and unit error, each with line and column in `text` and a hint.
    /// Success carries the canonical form and what the condition refers to.
    pub fn check_condition(&self, text: &str) -> String {
        let expr = match huiqi::lang::parse(text) {
            Ok(e) => e,
            Err(d) => return failure(vec![diagnostic_item(text, &d)]),
        };
        let mut checker = Checker::new(self.engine.schema(), &self.scope);
        let node = checker.check_condition(&expr);
        if !checker.diagnostics.is_empty() || node.is_none() {
            let mut errors: Vec<ErrorItem> = checker.diagnostics.iter().map(|d| diagnostic_item(text, d)).collect();
            if errors.is_empty() {
                errors.push(ErrorItem { path: Some("condition".into()), ..ErrorItem::new("policy", "the condition does not check") });
            }
            return failure(errors);
        }
        let mut names = Vec::new();
        huiqi::check::referenced_names(&expr, &mut names);
        let known: BTreeSet<String> =
            names.into_iter().filter(|n| self.engine.schema().field(n).is_some() || self.scope.defs.contains_key(n)).collect();
        let mut refs = Vec::new();
        huiqi::check::referenced_policies(&expr, &mut refs);
        let policies: BTreeSet<String> = refs.into_iter().map(|(id, _)| id).collect();
        success(ConditionCheck {
            canonical: huiqi::lang::print(&expr),
            names: known.into_iter().collect(),
            policies: policies.into_iter().collect(),
        })
    }

    /// Checks a policy file (JSON text: one policy, an array of policies, or
    /// `{"definitions": …, "policies": […]}`) in the context of this set: it may use the
    /// set's definitions and refer to its policies; a policy or definition of the file
    /// replaces the set's one of the same id or name. The answer is `check_json`'s.
    pub fn check_policy_file(&self, name: &str, text: &str) -> String {
        let (ids, defs) = declared_in(text);
        let mut files = vec![context_file(&self.engine, &ids, &defs)];
        files.push((name.to_string(), text.to_string()));
        match envelope::build_engine_on(self.tables(), &files) {
            // The context file's stand-in policies are not the caller's: count only theirs.
            Ok(engine) => {
                let own: Vec<String> =
                    engine.policy_set().policies.iter().map(|p| p.doc.id.clone()).filter(|id| ids.contains(id)).collect();
                success(envelope::CheckSummary { policies: own.len(), definitions: defs.len(), ids: own })
            }
            Err(errors) => failure(errors),
        }
    }

    /// Lint findings for the whole set (unreachable policies, unsatisfiable bounds …).
    pub fn lint(&self) -> String {
        success(huiqi::lint::lint(&self.engine, None))
    }

    /// The policies of the set (every version, in set order).
    pub fn policies(&self) -> String {
        #[derive(Serialize)]
        struct Item<'a> {
            id: &'a str,
            title: &'a str,
            issuer: &'a str,
            doc_no: &'a str,
            year: i32,
            level: huiqi::policy::Level,
            origin: &'a str,
            condition: &'a str,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            tags: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            effective_from: Option<huiqi::date::Date>,
            #[serde(skip_serializing_if = "Option::is_none")]
            effective_to: Option<huiqi::date::Date>,
        }
        let items: Vec<Item<'_>> = self
            .engine
            .policy_set()
            .policies
            .iter()
            .map(|p| Item {
                id: &p.doc.id,
                title: &p.doc.title,
                issuer: &p.doc.issuer,
                doc_no: &p.doc.doc_no,
                year: p.doc.year,
                level: p.doc.level,
                origin: &p.origin,
                condition: &p.condition_text,
                tags: &p.doc.tags,
                effective_from: p.doc.effective_from,
                effective_to: p.doc.effective_to,
            })
            .collect();
        success(items)
    }

    /// The verdict counts of a match (policies in force), through the index only: no
    /// explanations, benefits or next questions. For live counts over large sets.
    pub fn summary(&self, profile_json: &str, as_of: &str) -> String {
        let (profile, date) = match envelope::profile_and_date(&self.engine, profile_json, as_of) {
            Ok(r) => r,
            Err(errors) => return failure(errors),
        };
        let mut summary = huiqi::outcome::Summary::default();
        for (i, v) in self.engine.verdicts(&profile, date).into_iter().enumerate() {
            if self.engine.version_in_force(i, date) {
                summary.add(v);
            }
        }
        success(summary)
    }

    /// The next questions of a match: the `next_questions` of the match envelope.
    pub fn next_questions(&self, profile_json: &str, as_of: &str) -> String {
        let (profile, date) = match envelope::profile_and_date(&self.engine, profile_json, as_of) {
            Ok(r) => r,
            Err(errors) => return failure(errors),
        };
        // The next questions only: no policy needs listing.
        let opts = huiqi::engine::MatchOptions { detail: huiqi::outcome::Detail::Summary, limit: Some(0), ..Default::default() };
        let r = self.engine.match_profile_with(&profile, date, huiqi::engine::MatchPath::Index, &opts);
        Envelope::Success { result: r.next_questions, warnings: r.warnings }.to_json()
    }
}

/// An error item for a diagnostic in a condition text.
fn diagnostic_item(text: &str, d: &huiqi::lang::Diagnostic) -> ErrorItem {
    let (line, column) = d.line_col(text);
    ErrorItem {
        path: Some("condition".into()),
        origin: Some("editor".into()),
        line: Some(line),
        column: Some(column),
        hint: d.hint.clone(),
        ..ErrorItem::new("policy", d.message.clone())
    }
}

/// The policy ids and definition names a policy file declares (best effort: a file that
/// does not parse declares nothing, and `check_json` reports why).
fn declared_in(text: &str) -> (HashSet<String>, HashSet<String>) {
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

/// A policy file standing for the engine's set: its definitions (except those `defs`
/// redefines) and, for every policy not in `ids`, a stand-in with the same id whose
/// condition is `true`, so `eligible(…)` and `requires` resolve.
fn context_file(engine: &Engine, ids: &HashSet<String>, defs: &HashSet<String>) -> PolicyFile {
    let set = engine.policy_set();
    let definitions: serde_json::Map<String, serde_json::Value> = set
        .definitions
        .iter()
        .filter(|d| !d.derived && !defs.contains(&d.name))
        .map(|d| (d.name.clone(), serde_json::Value::String(d.text.clone())))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Handle {
        build(Vec::new(), None).unwrap()
    }

    #[test]
    fn saved_set_gives_the_same_answers() {
        let a = bundled();
        let saved = a.save().unwrap();
        let b = build_saved(&saved, None).unwrap();
        assert_eq!(a.files(), b.files());
        for f in ["01-quanzhi-software.json", "02-mingchuan-hydraulics.json", "07-huadai-pharma.json"] {
            let p = std::fs::read_to_string(format!("{}/../data/enterprises/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            assert_eq!(envelope::match_json(&a.engine, &p, "2026-06-30"), envelope::match_json(&b.engine, &p, "2026-06-30"));
        }
        let bad = build_saved(b"not a set", None).err().unwrap();
        assert_eq!(bad[0].kind, "compiled");
        assert!(bad[0].message.contains("HUIQISET"), "{}", bad[0].message);
    }

    /// Code tables replace the bundled ones, as `huiqi --codes DIR`, and stay with the
    /// engine: the saved set and a policy file checked in context use them too.
    #[test]
    fn code_tables_replace_the_bundled_ones() {
        let policy = r#"{"id": "zone-test", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "district",
                         "condition": "registered_zone under test_zone", "benefit": {"kind": "none", "description": "t"},
                         "source": {"document": "d"}}"#;
        // A platform-local zone list (synthetic, for this test only).
        let zones = r#"{"system": "zone", "standard": "test zones (synthetic)",
                        "nodes": [{"code": "test_zone", "name": "test zone", "districts": ["370102"]}]}"#;
        let files = vec![("z.json".to_string(), policy.to_string())];
        let codes = vec![("zones.json".to_string(), zones.to_string())];
        let refused = build(files.clone(), None).err().unwrap();
        assert!(refused[0].message.contains("test_zone"), "{}", refused[0].message);
        let h = build_on(files, None, codes.clone()).unwrap();
        assert_eq!(h.code_tables(), codes.as_slice());
        let profile = huiqi::engine::Engine::profile_from_json(&h.engine, r#"{"registered_zone": "test_zone"}"#).unwrap();
        let date = huiqi::date::Date::parse("2026-06-30").unwrap();
        assert_eq!(h.engine.verdicts(&profile, date), vec![huiqi::outcome::Verdict::Eligible]);
        let again = build_saved_on(&h.save().unwrap(), None, codes.clone()).unwrap();
        assert_eq!(again.engine.verdicts(&profile, date), vec![huiqi::outcome::Verdict::Eligible]);
        assert!(build_saved(&h.save().unwrap(), None).is_err(), "without the tables the saved set does not check");
        let edited = h.check_policy_file("edited.json", &policy.replace("zone-test", "zone-test-2"));
        assert!(edited.starts_with(r#"{"type":"success""#), "{edited}");
        let bad =
            build_on(Vec::new(), None, vec![("industry.json".into(), r#"{"system": "industry", "nodes": []}"#.into())]).err().unwrap();
        assert_eq!(bad[0].kind, "codes");
        assert!(bad[0].message.contains("industry.json"), "{}", bad[0].message);
    }

    #[test]
    fn condition_diagnostics_have_line_column_and_hint() {
        let h = bundled();
        let bad = h.check_condition("registered_captial >= 500万");
        assert!(bad.starts_with(r#"{"type":"failure""#), "{bad}");
        assert!(bad.contains(r#""line":1,"column":1"#), "{bad}");
        assert!(bad.contains("registered_capital"), "{bad}");
        let unit = h.check_condition("注册资本 >= 500\nand employees@fy1 >= 10");
        assert!(unit.contains(r#""line":1"#), "{unit}");
        let second = h.check_condition("注册资本 >= 500万\nand employes@fy1 >= 10");
        assert!(second.contains(r#""line":2,"column":5"#), "{second}");
        let syntax = h.check_condition("注册资本 >= (500万");
        assert!(syntax.starts_with(r#"{"type":"failure""#), "{syntax}");
    }

    #[test]
    fn condition_using_definitions_and_policies_checks() {
        let h = bundled();
        // A policy id with digits before letters is one token inside eligible(…).
        let digits = h.check_condition("eligible(hitech-eit-15pct-rate)");
        assert!(digits.starts_with(r#"{"type":"success""#), "{digits}");
        let ok = h.check_condition("eligible(hitech-certification) and 注册资本 >= 500万");
        assert!(ok.starts_with(r#"{"type":"success""#), "{ok}");
        assert!(ok.contains(r#""policies":["hitech-certification"]"#), "{ok}");
        assert!(ok.contains(r#""registered_capital""#) || ok.contains("注册资本"), "{ok}");
    }

    #[test]
    fn policy_file_checks_in_context() {
        let h = bundled();
        let p = r#"{"id": "hitech-certification", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "national",
                    "condition": "registered_capital >= 500万 and eligible(small-low-profit-eit)",
                    "benefit": {"kind": "fixed", "amount": "10万"}, "source": {"document": "d"}}"#;
        let ok = h.check_policy_file("edited.json", p);
        assert_eq!(ok, r#"{"type":"success","result":{"policies":1,"definitions":0,"ids":["hitech-certification"]}}"#);
        let bad = h.check_policy_file("edited.json", &p.replace("registered_capital", "registered_captial"));
        assert!(bad.contains(r#""origin":"edited.json""#) && bad.contains(r#""line":1,"column":1"#), "{bad}");
        let not_json = h.check_policy_file("edited.json", "{");
        assert!(not_json.contains("not valid JSON"), "{not_json}");
    }

    #[test]
    fn next_questions_and_policies() {
        let h = bundled();
        let profile =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/enterprises/01-quanzhi-software.json")).unwrap();
        let q = h.next_questions(&profile, "2026-06-30");
        assert!(q.starts_with(r#"{"type":"success","result":[{"field":"#), "{q}");
        assert!(h.policies().contains("hitech-eit-15pct-rate"));
        assert!(h.lint().starts_with(r#"{"type":"success""#));
        let m: serde_json::Value = serde_json::from_str(&envelope::match_json(&h.engine, &profile, "2026-06-30")).unwrap();
        let s: serde_json::Value = serde_json::from_str(&h.summary(&profile, "2026-06-30")).unwrap();
        assert_eq!(m["result"]["summary"], s["result"]);
        let bad = h.next_questions("{", "2026-06-30");
        assert!(bad.starts_with(r#"{"type":"failure""#), "{bad}");
    }
}
