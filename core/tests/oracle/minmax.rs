//! `max` / `min` in Kleene logic: `max(x, unknown) >= t` is true when `x >= t` (and the
//! like), on every path — reference, index, store — directly and through a definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::outcome::Verdict;
use huiqi::schema::Schema;
use huiqi::store::{EnterpriseStore, LoadOptions};
use serde_json::json;

use crate::common::policy;

#[test]
fn a_known_argument_can_decide_a_max_or_min_comparison() {
    use Verdict::{Eligible as E, Ineligible as I, Undetermined as U};
    let conditions = [
        "max(registered_capital, total_assets@fy1) >= 500万",
        "500万 <= max(registered_capital, total_assets@fy1)",
        "max(registered_capital, total_assets@fy1) < 500万",
        "min(registered_capital, total_assets@fy1) <= 500万",
        "min(registered_capital, total_assets@fy1) > 500万",
        "best >= 500万",
        "not (best >= 500万)",
        "max(registered_capital, total_assets@fy1) = 300万",
    ];
    let file = json!({"definitions": {"best": "max(registered_capital, total_assets@fy1)"},
        "policies": conditions.iter().enumerate().map(|(i, c)| policy(&format!("p{i}"), c)).collect::<Vec<_>>()});
    let engine = Engine::from_sources(Arc::new(Schema::embedded().unwrap()), &[("t.json".into(), file.to_string())]).expect("compiles");
    let as_of = huiqi::date::Date::parse("2026-06-30").unwrap();
    // (profile, expected verdict per condition)
    let cases = [
        (json!({"name": "big", "registered_capital": "600万"}), [E, E, I, U, U, E, I, I]),
        (json!({"name": "small", "registered_capital": "100万"}), [U, U, U, E, I, U, U, U]),
        (json!({"name": "none"}), [U, U, U, U, U, U, U, U]),
        (json!({"name": "both", "registered_capital": "100万", "total_assets": {"2025": "300万"}}), [I, I, E, E, I, I, E, E]),
    ];
    let lines: String = cases.iter().map(|(p, _)| format!("{p}\n")).collect();
    let (store, _) = EnterpriseStore::load_jsonl(engine.schema(), lines.as_bytes(), LoadOptions::default()).expect("store");
    let prepared = store.prepare(&engine, as_of).expect("prepare");
    crate::common::assert_on_every_path(&engine, &prepared, as_of, &cases, &conditions);
}
