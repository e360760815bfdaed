//! Generators shared by the property tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
#![allow(dead_code, reason = "each test binary uses a different subset")]

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A random profile: every field present or missing at random, values from the ranges
/// policies care about.
pub fn profile() -> impl Strategy<Value = Value> {
    let year_map = |lo: i64, hi: i64| prop::collection::btree_map(prop::sample::select(vec!["2023", "2024", "2025"]), lo..hi, 0..4);
    (
        (prop::option::of(0i64..3000), prop::option::of(year_map(0, 300)), prop::option::of(prop::sample::select(vec!["A", "B", "M", "C", "D"]))),
        (prop::option::of(prop::sample::select(vec!["C3911", "C3420", "F5174", "I6513", "H6210", "K7010", "G5431"])), prop::option::of(prop::sample::select(vec!["370102", "371202", "370202", "370116"])), prop::option::of(any::<bool>())),
        (prop::option::of(prop::collection::vec((prop::sample::select(vec!["high_tech", "specialized_sme", "innovative_sme"]), prop::sample::select(vec!["municipal", "provincial", "national"]), 2019i32..2026, any::<bool>()), 0..3)),
         prop::option::of(prop::sample::select(vec!["软件开发", "集成电路设计", "餐饮服务", "芯片研发；软件"])), prop::option::of(prop::collection::vec(prop::sample::select(vec!["数字经济", "外贸"]), 0..2))),
        (prop::option::of(2010i32..2026), year_map(0, 5000), year_map(0, 500), year_map(0, 2000)),
        (prop::option::of(prop::collection::vec(hire(), 0..4)), prop::option::of(prop::collection::vec(loan(), 0..4))),
    )
        .prop_map(|((cap, emp, credit), (ind, region, legal), (quals, scope, tags), (reg, rev, rd, assets), (hires, loans))| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            };
            put("registered_capital", cap.map(|c| json!(c)));
            put("employees", emp.map(|e| json!(e)));
            put("tax_credit", credit.map(|c| json!({"2025": c})));
            put("industry", ind.map(|c| json!(c)));
            put("registered_region", region.map(|c| json!(c)));
            put("is_legal_person", legal.map(|c| json!(c)));
            put("qualifications", quals.map(|qs| json!(qs.into_iter().map(|(code, level, y, first)| json!({"code": code, "level": level, "granted_on": format!("{y}-06-01"), "expires_on": format!("{}-05-31", y + 3), "first_grant": first})).collect::<Vec<_>>())));
            put("business_scope", scope.map(|s| json!(s)));
            put("tags", tags.map(|t| json!(t)));
            put("registration_date", reg.map(|y| json!(format!("{y}-03-15"))));
            if !rev.is_empty() { put("operating_revenue", Some(json!(rev))); }
            if !rd.is_empty() { put("rd_expense", Some(json!(rd))); }
            if !assets.is_empty() { put("total_assets", Some(json!(assets))); }
            put("hires", hires.map(|h| json!(h)));
            put("loans", loans.map(|l| json!(l)));
            Value::Object(m)
        })
}

/// A record object from optional fields: an absent one is unknown.
fn record(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(fields.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect())
}

/// A random hire: group, contract and insurance months, date, each possibly unknown.
pub fn hire() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec!["poverty_relief", "veteran", "college_graduate", "disabled", "other"])),
        prop::option::of(prop::sample::select(vec![3i64, 6, 12, 24, 36])),
        prop::option::of(prop::sample::select(vec![0i64, 3, 6, 12])),
        prop::option::of(prop::sample::select(vec!["2019-05-01", "2024-03-01", "2025-11-15", "2026-05-20"])),
    )
        .prop_map(|(group, contract, insured, date)| {
            record(vec![
                ("group", group.map(|g| json!(g))),
                ("contract_months", contract.map(|c| json!(c))),
                ("insured_months", insured.map(|c| json!(c))),
                ("hired_on", date.map(|d| json!(d))),
            ])
        })
}

/// A random loan: lender kind and amount (万元), each possibly unknown.
pub fn loan() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec!["bank", "microcredit", "other"])),
        prop::option::of(prop::sample::select(vec![0i64, 100, 300, 500, 800, 1200])),
    )
        .prop_map(|(kind, amount)| record(vec![("lender_kind", kind.map(|k| json!(k))), ("amount", amount.map(|a| json!(a)))]))
}
