//! The enterprise store against the oracle, and its bad inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::outcome::Verdict;
use huiqi::profile::Profile;
use huiqi::schema::Schema;
use huiqi::store::{EnterpriseStore, LoadOptions, OnError, StoreError, StoreFileError};
use proptest::prelude::*;
use serde_json::json;

use crate::common;
use common::profile;

use crate::common::engine_for;

fn jsonl(rows: &[serde_json::Value]) -> String {
    rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n")
}

/// The shared conditions, two over records, and aggregates over years (which the store
/// computes from its per-year columns, not through the evaluator).
fn conds_all() -> Vec<&'static str> {
    common::CONDS.iter().chain(common::RECORD_CONDS).chain(YEAR_AGGREGATES).copied().collect()
}

const YEAR_AGGREGATES: &[&str] = &[
    "sum(rd_expense@fy1..fy3) >= 300万",
    "avg(operating_revenue@fy1..fy2) < 2000万 or min(rd_expense@fy2..fy1) >= 50万",
    "max(operating_revenue@fy3..fy1) >= 1000万 and rd_expense@fy1 / operating_revenue@fy1 < 10%",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn reverse_and_bulk_equal_the_reference(rows in prop::collection::vec(profile(), 1..60), pick in prop::collection::vec(0..conds_all().len(), 1..6), as_of in prop::sample::select(vec!["2026-06-30", "2024-12-31"])) {
        let conds: Vec<String> = conds_all().iter().map(|s| s.to_string()).chain(pick.iter().map(|&i| format!("not ({})", conds_all()[i]))).collect();
        let engine = engine_for(&conds);
        let date = Date::parse(as_of).expect("date");
        let (store, report) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
        prop_assert_eq!(report.loaded, rows.len());
        let prepared = store.prepare(&engine, date).expect("prepare");
        let bulk = prepared.bulk(&engine, &|| {});
        for (row, r) in rows.iter().enumerate() {
            let p = Profile::from_json(engine.schema(), r).expect("profile");
            let reference = engine.verdicts_reference(&p, date);
            for (i, want) in reference.iter().enumerate() {
                prop_assert_eq!(bulk[i].verdict(row as u32), *want, "bulk: policy p{} ({}) enterprise {}", i, conds[i], r);
            }
        }
        for i in [0usize, 5, conds.len() - 1] {
            let reach = prepared.reverse(&engine, &format!("p{i}")).expect("reverse");
            prop_assert_eq!(&reach, &bulk[i]);
        }
        // Counting in block form gives the sizes of the sets.
        let counts: Vec<(u64, u64)> = bulk.iter().map(|r| (r.eligible.len(), r.undetermined.len())).collect();
        prop_assert_eq!(prepared.bulk_counts(&engine), counts);
        // The saved and reloaded store answers the same.
        let back = EnterpriseStore::from_bytes(&store.to_bytes(), engine.schema()).expect("reload");
        prop_assert_eq!(&back, &store);
    }
}

#[test]
fn rebuilt_profiles_equal_the_input() {
    let engine = Engine::embedded().expect("engine");
    let rows: Vec<serde_json::Value> = huiqi::gen::enterprises(9, 200).collect();
    let (store, _) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
    for (i, r) in rows.iter().enumerate() {
        let mut p = Profile::from_json(engine.schema(), r).expect("profile");
        p.warnings.clear();
        assert_eq!(store.profile(engine.schema(), i as u32), p, "row {i}");
    }
    assert_eq!(store.id(0), rows[0]["uscc"].as_str());
}

#[test]
fn bad_rows_are_reported_with_line_numbers_and_counted() {
    let schema = Schema::embedded().expect("schema");
    let text = [
        r#"{"name": "ok one", "registered_capital": 100}"#,
        r#"{"name": "bad type", "registered_capital": "lots"}"#,
        "",
        r#"{not json"#,
        r#"{"name": "unknown field", "registered_captial": 5}"#,
        r#"{"name": "ok two"}"#,
    ]
    .join("\n");
    let (store, report) = EnterpriseStore::load_jsonl(&schema, text.as_bytes(), LoadOptions::default()).expect("skip mode loads");
    assert_eq!((store.len(), report.loaded, report.skipped), (2, 2, 3));
    let lines: Vec<usize> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 4, 5]);
    assert!(report.errors[0].reason.contains("$.registered_capital"), "{}", report.errors[0].reason);
    assert!(report.errors[1].reason.starts_with("not valid JSON"), "{}", report.errors[1].reason);
    assert!(report.errors[2].reason.contains("did you mean"), "{}", report.errors[2].reason);
    let err =
        EnterpriseStore::load_jsonl(&schema, text.as_bytes(), LoadOptions { on_error: OnError::Reject }).expect_err("reject mode stops");
    assert!(matches!(err, StoreError::Rejected { line: 2, .. }), "{err}");
}

#[test]
fn csv_loads_with_per_year_columns_and_reports_bad_cells() {
    let schema = Schema::embedded().expect("schema");
    let csv = "uscc,企业名称,注册资本,employees@2025,is_legal_person,tags,industry\n\
               914403001922038216,甲公司,500万,80,是,数字经济;外贸,C3911\n\
               ,乙公司,,12,maybe,,F5174\n\
               ,丙公司,30,,false,,6513\n";
    let (store, report) = EnterpriseStore::load_csv(&schema, csv.as_bytes(), LoadOptions::default()).expect("csv");
    assert_eq!((report.loaded, report.skipped), (2, 1));
    assert_eq!(report.errors[0].line, 3);
    assert!(report.errors[0].reason.contains("\"maybe\" is not true/false"), "{}", report.errors[0].reason);
    let p = store.profile(&schema, 0);
    let cap = schema.field("registered_capital").expect("field").id;
    assert_eq!(p.scalar(cap), Some(&huiqi::profile::Scalar::Num(huiqi::Decimal::from(5_000_000))));
    assert_eq!(store.id(1), Some("丙公司"), "name stands in for a missing USCC");
    let bad = EnterpriseStore::load_csv(&schema, "uscc,registered_captial\n1,2\n".as_bytes(), LoadOptions::default())
        .expect_err("unknown column");
    assert!(bad.to_string().contains("did you mean \"registered_capital\""), "{bad}");
    let bad = EnterpriseStore::load_csv(&schema, "operating_revenue\n5\n".as_bytes(), LoadOptions::default()).expect_err("year missing");
    assert!(bad.to_string().contains("operating_revenue@2024"), "{bad}");
}

/// In CSV a records field is one cell holding the JSON array of its records (as
/// qualifications are); it loads as the same records JSON lines give, and a cell that is
/// not such an array is a bad row naming the field.
#[test]
fn csv_records_are_a_json_array_in_the_cell() {
    let schema = Schema::embedded().expect("schema");
    let csv = "name,hires,loans\n\
               甲公司,\"[{\"\"group\"\": \"\"veteran\"\", \"\"contract_months\"\": 24}, {\"\"hired_on\"\": \"\"2026-03-01\"\"}]\",[]\n\
               乙公司,,\"[{\"\"amount\"\": 500}]\"\n\
               丙公司,not json,\n";
    let (store, report) = EnterpriseStore::load_csv(&schema, csv.as_bytes(), LoadOptions::default()).expect("csv");
    assert_eq!((report.loaded, report.skipped), (2, 1), "{:?}", report.errors);
    assert!(report.errors[0].reason.contains("hires: not a JSON array of records"), "{}", report.errors[0].reason);
    let json = r#"{"name": "甲公司", "hires": [{"group": "veteran", "contract_months": 24}, {"hired_on": "2026-03-01"}], "loans": []}"#;
    let want = Profile::from_json_str(&schema, json).expect("profile");
    let hires = schema.field("hires").expect("hires").id;
    let loans = schema.field("loans").expect("loans").id;
    let got = store.profile(&schema, 0);
    assert_eq!(got.get(hires), want.get(hires));
    assert_eq!(got.get(loans), want.get(loans), "an empty array is a known empty list");
    assert_eq!(store.profile(&schema, 1).get(hires), None, "an empty cell is unknown");
}

#[test]
fn truncated_and_corrupted_files_are_errors() {
    let engine = Engine::embedded().expect("engine");
    let rows: Vec<serde_json::Value> = huiqi::gen::enterprises(4, 50).collect();
    let (store, _) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
    let bytes = store.to_bytes();
    assert_eq!(EnterpriseStore::from_bytes(&bytes, engine.schema()).expect("round trip"), store);
    // Every truncation fails cleanly.
    for cut in [0, 7, 12, 23, 24, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = EnterpriseStore::from_bytes(&bytes[..cut], engine.schema()).expect_err("truncated");
        assert!(matches!(e, StoreFileError::Magic | StoreFileError::Truncated(_)), "cut {cut}: {e}");
    }
    // A flipped byte in the data is caught by the checksum.
    let mut bad = bytes.clone();
    let last = bad.len() - 10;
    bad[last] ^= 0x5a;
    assert!(matches!(EnterpriseStore::from_bytes(&bad, engine.schema()), Err(StoreFileError::Checksum { .. })));
    // Wrong magic and version.
    // A tag a few bits off is a damaged store file; other bytes are not a store at all.
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(
        matches!(EnterpriseStore::from_bytes(&bad, engine.schema()), Err(StoreFileError::Corrupt(m)) if m.contains("header tag is damaged"))
    );
    let mut bad = bytes.clone();
    bad[..8].copy_from_slice(b"{\"id\": 1");
    assert!(matches!(EnterpriseStore::from_bytes(&bad, engine.schema()), Err(StoreFileError::Magic)));
    let mut bad = bytes.clone();
    bad[8] = 9;
    assert!(matches!(EnterpriseStore::from_bytes(&bad, engine.schema()), Err(StoreFileError::Version(9))));
    // Another schema.
    let other = Schema::from_json(
        r#"{"fields": [{"name": "x", "label": "X", "type": "bool"}]}"#,
        huiqi::code::CodeSystems::embedded().expect("codes"),
    )
    .expect("schema");
    assert!(matches!(EnterpriseStore::from_bytes(&bytes, &other), Err(StoreFileError::Schema(_))));
}

#[test]
fn unknown_policy_in_reverse_suggests() {
    let engine = Engine::embedded().expect("engine");
    let (store, _) = EnterpriseStore::load_jsonl(engine.schema(), "{}".as_bytes(), LoadOptions::default()).expect("load");
    let prepared = store.prepare(&engine, Date::parse("2026-06-30").expect("date")).expect("prepare");
    let e = prepared.reverse(&engine, "hitech-certificaton").expect_err("unknown");
    assert!(e.to_string().contains("did you mean \"hitech-certification\""), "{e}");
    let all_undetermined_or_ineligible =
        prepared.bulk(&engine, &|| {}).iter().all(|r| r.verdict(0) != Verdict::Eligible || r.eligible.len() == 1);
    assert!(all_undetermined_or_ineligible);
}

/// More rows than one 65,536-row block: the column-wise prepare and the block-wise
/// evaluation agree with the reference on both sides of the block boundary, and on the
/// generated policy set (many thresholds per source: dense, sparse, full and empty blocks).
#[test]
fn several_blocks_equal_the_reference() {
    let conds: Vec<String> = conds_all().iter().map(|s| s.to_string()).chain(conds_all().iter().map(|s| format!("not ({s})"))).collect();
    let policies: Vec<serde_json::Value> = huiqi::gen::policies(1, 60).collect();
    let generated = Engine::from_sources(
        Arc::new(Schema::embedded().expect("schema")),
        &[("gen.json".into(), json!({ "policies": policies }).to_string())],
    )
    .expect("generated engine");
    let rows: Vec<serde_json::Value> = huiqi::gen::enterprises(5, 66_000).collect();
    let date = Date::parse("2026-06-30").expect("date");
    for engine in [engine_for(&conds), generated] {
        let (store, _) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
        let prepared = store.prepare(&engine, date).expect("prepare");
        let bulk = prepared.bulk(&engine, &|| {});
        let counts: Vec<(u64, u64)> = bulk.iter().map(|r| (r.eligible.len(), r.undetermined.len())).collect();
        assert_eq!(prepared.bulk_counts(&engine), counts, "counts across blocks");
        let probe: Vec<usize> = (0..rows.len()).step_by(97).chain(65_400..65_700).chain(rows.len() - 50..rows.len()).collect();
        for row in probe {
            let p = store.profile(engine.schema(), row as u32);
            let reference = engine.verdicts_reference(&p, date);
            for (i, want) in reference.iter().enumerate() {
                assert_eq!(bulk[i].verdict(row as u32), *want, "policy {i} enterprise {row}");
            }
        }
        for (i, r) in bulk.iter().enumerate().step_by(7) {
            let id = &engine.policy_set().policies[i].doc.id;
            assert_eq!(&prepared.reverse(&engine, id).expect("reverse"), r, "reverse {id}");
            assert!(r.eligible.max().is_none_or(|m| m < store.len()) && r.undetermined.max().is_none_or(|m| m < store.len()));
        }
        // The prepared sets borrow nothing from the store: a process that only answers can
        // let the columns go and keep the ids.
        let (n, last) = (store.len(), store.id(store.len() - 1).map(str::to_string));
        let ids = store.into_ids();
        assert_eq!((ids.len(), ids.get(n as usize - 1).map(str::to_string)), (n as usize, last));
        let id = &engine.policy_set().policies[0].doc.id;
        assert_eq!(prepared.reverse(&engine, id).expect("reverse after the store is gone"), bulk[0]);
    }
}

/// Decimals are saved compactly (i64 mantissa + scale) when they round-trip exactly, and in
/// the full 16-byte form otherwise; a version 1 file (full form only) still reads.
#[test]
fn decimals_round_trip_in_both_forms_and_version_1_reads() {
    let engine = Engine::embedded().expect("engine");
    let rows = [
        json!({"registered_capital": 123.45}),
        json!({"registered_capital": 0}),
        json!({}),
        json!({"registered_capital": "5万", "employees": {"2025": 12}}),
    ];
    let (small, _) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
    let bytes = small.to_bytes();
    assert_eq!(EnterpriseStore::from_bytes(&bytes, engine.schema()).expect("compact"), small);
    // A mantissa beyond i64 keeps the full form.
    let big = [json!({"registered_capital": 123456789012345678901234.5}), json!({"registered_capital": -1})];
    let (big, _) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&big).as_bytes(), LoadOptions::default()).expect("load");
    let mut bytes = big.to_bytes();
    assert_eq!(EnterpriseStore::from_bytes(&bytes, engine.schema()).expect("full form"), big);
    // The same payload labelled version 1 (the header is outside the checksum).
    bytes[8] = 1;
    assert_eq!(EnterpriseStore::from_bytes(&bytes, engine.schema()).expect("version 1"), big);
}
