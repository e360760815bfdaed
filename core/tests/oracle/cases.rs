//! Runs the shared conformance cases in data/cases/*.toml through the native engine.
//!
//! A case gives a profile, a policy (bundled, by id) or an inline condition, an evaluation
//! date, and what must come out: the verdict, message fragments that must appear in the
//! explanation (Chinese or English), the missing fields, and optionally the benefit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::explain::Explanation;
use huiqi::schema::Schema;
use serde::Deserialize;

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
    assert!(filter.is_some() || count >= 60, "expected at least 60 cases, found {count}");
    eprintln!("{count} data cases passed");
}
