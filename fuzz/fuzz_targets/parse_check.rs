//! Parser + checker + evaluator on arbitrary condition text: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use shared::schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = huiqi::lang::parse(text) {
        // Printing must give text that parses back to the same tree.
        let printed = huiqi::lang::print(&expr);
        let again = huiqi::lang::parse(&printed).expect("printed text parses");
        assert_eq!(again.without_spans(), expr.without_spans());
    }
    let policy = serde_json::json!({"policies": [{"id": "f", "title": "f", "issuer": "f", "doc_no": "f", "year": 2024, "level": "national",
        "condition": text, "benefit": {"kind": "none", "description": "f"}, "source": {"document": "f"}}]});
    if let Ok(engine) = huiqi::engine::Engine::from_sources(schema().clone(), &[("f.json".into(), policy.to_string())]) {
        let profile = huiqi::profile::Profile::empty(engine.schema());
        let date = huiqi::date::Date::parse("2026-06-30").expect("date");
        let _ = engine.match_reference(&profile, date);
    }
});
