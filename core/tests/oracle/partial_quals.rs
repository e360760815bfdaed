//! A qualifications list that knows some statuses but not others: an entry
//! `{"code": …, "status": "unknown"}` makes the tests of that qualification unknown while
//! the list stays complete for the others — on every path (reference, index, store, a
//! store file read back).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::outcome::Verdict::{self, Eligible as E, Ineligible as I, Undetermined as U};
use huiqi::schema::Schema;
use huiqi::store::{EnterpriseStore, LoadOptions};
use serde_json::json;

use crate::common::policy;

#[test]
fn an_entry_of_unknown_status_leaves_only_its_qualification_unknown() {
    let conditions = [
        "has(high_tech)",
        "has(specialized_sme)",
        "has(innovative_sme)",
        "granted_in(specialized_sme, fy1)",
        "has(high_tech) or has(specialized_sme)",
        "has(innovative_sme) and has(specialized_sme)",
    ];
    let file = json!({"policies": conditions.iter().enumerate().map(|(i, c)| policy(&format!("p{i}"), c)).collect::<Vec<_>>()});
    let engine = Engine::from_sources(Arc::new(Schema::embedded().unwrap()), &[("t.json".into(), file.to_string())]).expect("compiles");
    let as_of = huiqi::date::Date::parse("2026-06-30").unwrap();
    let partial = json!({"name": "partial", "qualifications": [
        {"code": "high_tech", "granted_on": "2024-01-10"},
        {"code": "specialized_sme", "status": "unknown"}]});
    let complete = json!({"name": "complete", "qualifications": [{"code": "high_tech", "granted_on": "2024-01-10"}]});
    let cases: [(serde_json::Value, [Verdict; 6]); 2] = [(partial, [E, U, I, U, E, I]), (complete, [E, I, I, I, E, I])];
    let lines: String = cases.iter().map(|(p, _)| format!("{p}\n")).collect();
    let (store, report) = EnterpriseStore::load_jsonl(engine.schema(), lines.as_bytes(), LoadOptions::default()).expect("store");
    assert_eq!(report.skipped, 0, "{:?}", report.errors);
    let store = EnterpriseStore::from_bytes(&store.to_bytes(), engine.schema()).expect("reads back");
    let prepared = store.prepare(&engine, as_of).expect("prepare");
    crate::common::assert_on_every_path(&engine, &prepared, as_of, &cases, &conditions);
}

#[test]
fn an_entry_of_unknown_status_carries_no_grant() {
    let schema = Schema::embedded().unwrap();
    let err = huiqi::profile::Profile::from_json_str(
        &schema,
        r#"{"qualifications": [{"code": "high_tech", "status": "unknown", "granted_on": "2024-01-01"}]}"#,
    )
    .expect_err("dates with unknown status");
    assert!(err.to_string().contains("unknown status has no level, dates"), "{err}");
    let err = huiqi::profile::Profile::from_json_str(&schema, r#"{"qualifications": [{"code": "high_tech", "status": "maybe"}]}"#)
        .expect_err("bad status");
    assert!(err.to_string().contains("\"held\" (the default) or \"unknown\""), "{err}");
}
