//! Runs the shared conformance cases in data/cases/*.toml through the native engine, and
//! the test cases kept beside each bundled policy (its `tests`) through the `test`
//! operation.
//!
//! A case gives a profile, a policy (bundled, by id) or an inline condition, an evaluation
//! date, and what must come out: the verdict, message fragments that must appear in the
//! explanation (Chinese or English), the missing fields, and optionally the benefit. The
//! cases of one bundled policy live in its `tests` (data/policies/*.json); those left here
//! test the condition language with inline conditions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::explain::Explanation;
use huiqi::outcome::Verdict;
use huiqi::schema::Schema;
use serde::Deserialize;

/// The cases of data/cases/*.toml (the condition language's), at least: a case that
/// disappears fails the run. Python, Java and WASM assert the same counts.
const MIN_TOML_CASES: usize = 295;

/// The test cases of the bundled policies (data/policies/*.json `tests`), at least.
const MIN_POLICY_CASES: usize = 267;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    definitions: BTreeMap<String, String>,
    #[serde(default)]
    benefit: Option<toml::Value>,
    #[serde(default)]
    profile: Option<toml::Value>,
    #[serde(default)]
    profile_file: Option<String>,
    verdict: String,
    #[serde(default)]
    messages: Vec<String>,
    #[serde(default)]
    missing: Option<Vec<String>>,
    #[serde(default)]
    benefit_yuan: Option<String>,
    #[serde(default)]
    score: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    description: Option<String>,
    case: Vec<Case>,
}

fn messages(e: &Explanation, out: &mut Vec<String>) {
    out.push(e.message_zh.clone());
    out.push(e.message_en.clone());
    for c in &e.children {
        messages(c, out);
    }
}

fn run_case(root: &Path, file: &str, c: &Case) -> Result<(), String> {
    let profile_json: serde_json::Value = match (&c.profile, &c.profile_file) {
        (Some(toml::Value::String(s)), None) => serde_json::from_str(s).map_err(|e| format!("profile JSON: {e}"))?,
        (Some(v), None) => serde_json::to_value(v).map_err(|e| e.to_string())?,
        (None, Some(f)) => {
            serde_json::from_str(&std::fs::read_to_string(root.join(f)).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?
        }
        _ => return Err("give exactly one of profile, profile_file".into()),
    };
    let mut sources: Vec<(String, String)> =
        huiqi::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect();
    let policy_id = match (&c.policy, &c.condition) {
        (Some(id), None) => id.clone(),
        (None, Some(cond)) => {
            let benefit = match &c.benefit {
                Some(b) => serde_json::to_value(b).map_err(|e| e.to_string())?,
                None => serde_json::json!({"kind": "none", "description": "test"}),
            };
            let doc = serde_json::json!({
                "definitions": c.definitions,
                "policies": [{"id": "case", "title": c.name, "issuer": "test", "doc_no": "test", "year": 2024, "level": "national",
                              "condition": cond, "benefit": benefit, "source": {"document": "test case"}}]
            });
            sources.push(("case.json".into(), doc.to_string()));
            "case".into()
        }
        _ => return Err("give exactly one of policy, condition".into()),
    };
    let schema = Arc::new(Schema::embedded().map_err(|e| e.to_string())?);
    let engine = Engine::from_sources(schema, &sources).map_err(|e| format!("compile: {e}"))?;
    let as_of = Date::parse(c.as_of.as_deref().unwrap_or("2026-06-30")).map_err(|e| e.to_string())?;
    let profile = huiqi::profile::Profile::from_json(engine.schema(), &profile_json).map_err(|e| format!("profile: {e}"))?;
    let r = engine.explain(&profile, &policy_id, as_of).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    if r.policy.verdict.as_str() != c.verdict {
        problems.push(format!("verdict {} (expected {})", r.policy.verdict.as_str(), c.verdict));
    }
    // The fast paths and the summary must agree with explain on the verdict.
    let reference = engine.verdicts_reference(&profile, as_of);
    let idx = engine.policy_set().index_of(&policy_id).ok_or("policy index")?;
    if reference.get(idx) != Some(&r.policy.verdict) {
        problems.push("verdicts_reference disagrees with explain".into());
    }
    let mut all = Vec::new();
    messages(&r.explanation, &mut all);
    for m in &c.messages {
        if !all.iter().any(|x| x.contains(m.as_str())) {
            problems.push(format!("no message contains {m:?}; messages:\n      {}", all.join("\n      ")));
        }
    }
    if let Some(want) = &c.missing {
        let mut got: Vec<String> = r.policy.missing_fields.iter().map(|f| f.name.clone()).collect();
        got.sort();
        let mut want = want.clone();
        want.sort();
        if got != want {
            problems.push(format!("missing fields {got:?} (expected {want:?})"));
        }
    }
    if let Some(b) = &c.benefit_yuan {
        if r.policy.benefit.amount_yuan.as_deref() != Some(b.as_str()) {
            problems.push(format!("benefit {:?} (expected {b})", r.policy.benefit.amount_yuan));
        }
    }
    if let Some(s) = &c.score {
        if r.policy.score.to_string() != *s {
            problems.push(format!("score {} (expected {s})", r.policy.score));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{file} :: {}\n    {}", c.name, problems.join("\n    ")))
    }
}

#[test]
fn data_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("data/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("data/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    let filter = std::env::var("CASE").ok();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read case file");
        let parsed: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let _ = parsed.description;
        for c in &parsed.case {
            if filter.as_ref().is_some_and(|flt| !c.name.contains(flt.as_str())) {
                continue;
            }
            count += 1;
            let file = f.file_name().unwrap_or_default().to_string_lossy().to_string();
            if let Err(e) = run_case(&root, &file, c) {
                // Early errors (compile, profile) carry no case name yet: add it.
                let prefix = format!("{file} :: {}", c.name);
                failures.push(if e.starts_with(&prefix) { e } else { format!("{prefix}\n    {e}") });
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} cases failed:\n  {}", failures.len(), failures.join("\n  "));
    assert!(filter.is_some() || count >= MIN_TOML_CASES, "expected at least {MIN_TOML_CASES} cases, found {count}");
    eprintln!("{count} data cases passed");
}

/// Every test case of every bundled policy passes through the `test` operation (a case
/// marked `known_issue` is a known disagreement between the policy text and its encoding,
/// counted apart), and none has disappeared.
#[test]
fn bundled_policy_tests() {
    let engine = Arc::new(Engine::embedded().unwrap());
    let envelope: serde_json::Value = serde_json::from_str(&huiqi::ops::call(&engine, None, "test", "{}")).unwrap();
    assert_eq!(envelope["type"], "success", "{envelope}");
    let r = &envelope["result"];
    let mut failures = Vec::new();
    for p in r["policies"].as_array().unwrap() {
        for c in p["results"].as_array().unwrap() {
            if c["status"] == "failed" {
                failures.push(format!("{} :: {}\n    {}", p["policy"], c["name"], c));
            }
        }
    }
    assert!(failures.is_empty(), "{} bundled policy test case(s) failed:\n  {}", failures.len(), failures.join("\n  "));
    let cases = r["cases"].as_u64().unwrap() as usize;
    assert!(cases >= MIN_POLICY_CASES, "expected at least {MIN_POLICY_CASES} policy test cases, found {cases}");
    assert_eq!(r["known_issues_passing"], 0, "a case marked known_issue passes: remove its mark");
    eprintln!("{cases} policy test cases: {} passed, {} known issue(s)", r["passed"], r["known_issues"]);
}

/// Every bundled policy carries its tests: a case that expects it eligible (for a policy
/// only a person can make eligible, one where only the manual review is left), and one
/// that does not; a policy not in force on 2026-06-30, cases inside its window and one
/// outside it. Every case names its date, so the bundled tests do not depend on the day
/// they run.
#[test]
fn every_bundled_policy_carries_its_tests() {
    let engine = Engine::embedded().unwrap();
    let set = engine.policy_set();
    let day = Date::parse("2026-06-30").unwrap();
    let mut gaps = Vec::new();
    for (i, p) in set.policies.iter().enumerate() {
        let inside = |d: Date| Engine::in_force(p, d);
        let cases = &p.doc.tests;
        if let Some(c) = cases.iter().find(|c| c.as_of.is_none()) {
            gaps.push(format!("{}: case {:?} gives no as_of", p.doc.id, c.name));
        }
        let dated = |c: &&huiqi::policy::TestCase| c.as_of.is_some_and(inside);
        let positive = cases.iter().filter(dated).any(|c| {
            c.verdict == Verdict::Eligible
                || (huiqi::manual_only::manual_only(set, i)
                    && c.verdict == Verdict::Undetermined
                    && c.missing.as_ref().is_some_and(Vec::is_empty))
        });
        if !positive {
            gaps.push(format!("{}: no case inside its window expects it eligible", p.doc.id));
        }
        if !cases.iter().filter(dated).any(|c| c.verdict != Verdict::Eligible) {
            gaps.push(format!("{}: no case inside its window expects it not eligible", p.doc.id));
        }
        if !engine.version_in_force(i, day) && !cases.iter().any(|c| c.in_force == Some(false)) {
            gaps.push(format!("{}: not in force on {day}, and no case outside its window (in_force: false)", p.doc.id));
        }
    }
    assert!(gaps.is_empty(), "bundled policies without the tests they need:\n  {}", gaps.join("\n  "));
}
