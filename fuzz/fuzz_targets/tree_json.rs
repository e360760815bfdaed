//! The JSON tree form of a condition (what platforms send instead of text): decoding, the
//! depth limit, printing, and a policy set compiled from it. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use shared::schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return };
    if let Ok(expr) = huiqi::lang::json::expr_from_json(&value) {
        assert!(expr.depth() <= huiqi::lang::ast::MAX_TREE_DEPTH);
        let _ = huiqi::lang::print(&expr);
    }
    let policy = serde_json::json!({"policies": [{"id": "f", "title": "f", "issuer": "f", "doc_no": "f", "year": 2024, "level": "national",
        "condition": value, "benefit": {"kind": "none", "description": "f"}, "source": {"document": "f"}}]});
    if let Ok(engine) = huiqi::engine::Engine::from_sources(schema().clone(), &[("f.json".into(), policy.to_string())]) {
        let _ = huiqi::ops::match_json(&engine, "{}", "2026-06-30");
    }
});
