//! A code table file (what `--codes DIR`, `huiqi_engine_with_tables` and `codes=` read):
//! the first byte picks the file name (industry.json, region.json, zone.json or another),
//! the rest is the table text. A table that loads replaces its system, is queried with
//! codes of the table and codes cut from the input, and a schema over it compiles a policy
//! testing `under` on a field of that system, matched against an empty profile and one
//! holding the codes. Must never panic.
//!
//! Invariants asserted for every code a loaded table lists: it normalizes to itself, it is
//! under itself, its ancestors start with it, are at most `MAX_CODE_DEPTH` and agree with
//! `for_each_ancestor` and `is_under`, and a zone's chain of parents ends at a zone without
//! a parent (the bound never cuts a loaded chain short). And `normalize` is idempotent.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use huiqi::code::{CodeKind, CodeSystem, CodeSystems, MAX_CODE_DEPTH};
use libfuzzer_sys::fuzz_target;

const FILE_NAMES: [&str; 4] = ["industry.json", "region.json", "zone.json", "codes.json"];

/// At most this many codes are cut from the input, and as many taken from the table.
const MAX_PROBES: usize = 8;

/// The field of the bundled schema bound to each system.
fn field_of(system: &str) -> Option<&'static str> {
    match system {
        "industry" => Some("industry"),
        "region" => Some("registered_region"),
        "zone" => Some("registered_zone"),
        _ => None,
    }
}

/// Strings of the input that may be codes as people write them (with spaces, any case,
/// prefixes, aliases, historical codes): the text between JSON punctuation.
fn probes(text: &str) -> Vec<&str> {
    text.split(['"', ',', ':', '[', ']', '{', '}', '\n']).filter(|s| !s.trim().is_empty() && s.len() <= 32).take(MAX_PROBES).collect()
}

/// The invariants of one loaded system, over every code it lists.
fn check_listed(sys: &CodeSystem) {
    let parents: HashMap<&str, Option<&str>> = sys.nodes().map(|n| (n.code.as_str(), n.parent.as_deref())).collect();
    for n in sys.nodes() {
        let code = n.code.as_str();
        assert_eq!(sys.normalize(code).as_deref(), Ok(code), "a listed code normalizes to itself");
        assert!(sys.is_under(code, code), "{code} is under itself");
        let ancestors = sys.ancestors(code);
        assert!(ancestors.len() <= MAX_CODE_DEPTH, "{code}: {} ancestors", ancestors.len());
        assert_eq!(ancestors.first().map(String::as_str), Some(code));
        let mut walked = Vec::new();
        sys.for_each_ancestor(code, |a| walked.push(a.to_string()));
        assert_eq!(walked, ancestors, "for_each_ancestor walks ancestors");
        for a in &ancestors {
            assert!(sys.is_under(code, a), "{code} is under its ancestor {a}");
        }
        if sys.kind() == CodeKind::Table {
            let top = ancestors.last().map(String::as_str).unwrap_or(code);
            assert_eq!(parents.get(top), Some(&None), "{code}: the chain of parents ends at a top zone, not at {top}");
        }
        let _ = sys.describe(code);
    }
}

/// Queries on a code cut from the input, in any system.
fn probe(sys: &CodeSystem, input: &str, listed: &[String]) {
    let _ = sys.historical_target(input);
    let _ = sys.historical_successors(input);
    if let Ok((c, _known)) = sys.normalize_lenient(input) {
        let _ = sys.ancestors(&c);
        let _ = sys.describe(&c);
        sys.for_each_ancestor(&c, |_| {});
    }
    if let Ok(c) = sys.normalize(input) {
        assert_eq!(sys.normalize(&c).as_deref(), Ok(c.as_str()), "normalize is idempotent ({input:?} → {c:?})");
        for l in listed {
            let _ = sys.is_under(&c, l);
            let _ = sys.is_under(l, &c);
        }
        let _ = sys.historical_successors(&c);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let file = FILE_NAMES.get(usize::from(pick) % FILE_NAMES.len()).copied().unwrap_or("codes.json");
    // Reading the table alone first spares re-reading the embedded tables (with_tables
    // starts from them) for the many inputs that do not load; a single table that loads
    // must also load in place of its system.
    let Ok(alone) = CodeSystem::from_json(file, text) else { return };
    let systems = CodeSystems::with_tables(&[(file.to_string(), text.to_string())]).expect("a table that loads alone replaces its system");
    let Some(sys) = systems.id(alone.name()).and_then(|id| systems.get(id)) else { panic!("the replaced system is there") };
    check_listed(sys);

    let nodes: Vec<String> = sys.nodes().map(|n| n.code.clone()).collect();
    let mut listed: Vec<String> = nodes.iter().take(MAX_PROBES / 2).cloned().collect();
    listed.extend(nodes.iter().rev().take(MAX_PROBES / 2).cloned());
    let inputs = probes(text);
    for name in systems.names() {
        if let Some(other) = systems.id(name).and_then(|id| systems.get(id)) {
            for input in &inputs {
                probe(other, input, &listed);
            }
        }
    }

    // A schema over the tables, and a policy naming listed codes of the replaced system.
    let Some(field) = field_of(sys.name()) else { return };
    let Ok(schema) = huiqi::schema::Schema::embedded_with_codes(systems.clone()) else { return };
    let codes: Vec<String> = listed.iter().map(|c| format!("{c:?}")).collect();
    let condition = format!("{field} under [{}]", codes.join(", "));
    let policy = serde_json::json!({"policies": [{"id": "f", "title": "f", "issuer": "f", "doc_no": "f", "year": 2024, "level": "national",
        "condition": condition, "benefit": {"kind": "none", "description": "f"}, "source": {"document": "f"}}]});
    // Not asserted to compile: the schema's own definitions name codes (industry F52, …)
    // that a replacement table may not list.
    let Ok(engine) = huiqi::engine::Engine::from_sources(Arc::new(schema), &[("f.json".into(), policy.to_string())]) else { return };
    let _ = huiqi::ops::match_json(&engine, "{}", "2026-06-30");
    for code in inputs.iter().copied().chain(listed.iter().map(String::as_str)).take(MAX_PROBES) {
        let profile = serde_json::json!({ field: code }).to_string();
        let _ = huiqi::ops::match_json(&engine, &profile, "2026-06-30");
    }
});
