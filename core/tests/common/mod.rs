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

/// A test policy with a condition (a fixed 10万 benefit, a cited test source).
pub fn policy(id: &str, condition: &str) -> Value {
    json!({"id": id, "title": "测试政策", "issuer": "测试", "doc_no": "测〔2024〕1号", "year": 2024, "level": "municipal",
           "condition": condition, "benefit": {"kind": "fixed", "amount": "10万"}, "source": {"document": "测试文件"}})
}

/// Conditions covering the kinds of leaf and connective the fast paths handle, for the
/// tests that compare them with the reference evaluator (`p0`, `p1` name policies).
pub const CONDS: &[&str] = &[
    "registered_capital >= 500万 and employees@fy1 < 100",
    "tax_credit@fy1 in [A, B] or industry under [C39, I65]",
    "not (registered_region under 3701) or has(高新技术企业)",
    "at_least(2, [registered_capital between [100万, 1000万), is_legal_person, business_scope contains_any [\"软件\", \"芯片\"]])",
    "size_class <= small and full_years_since(registration_date) >= 3",
    "eligible(p0) and not eligible(p1)",
    "rd_expense@fy1 / operating_revenue@fy1 >= 3% or manual_review(\"专家\")",
    "sum(rd_expense@fy1..fy3, actual) >= 300万 and tags contains \"数字经济\"",
    "at_least(1, [first_grant(高新技术企业) in fy1, registration_date <= as_of - 10y])",
    "operating_revenue@fy1 - operating_revenue@fy2 >= 100万 or total_assets@fy2 / registered_capital < 2",
];

/// Conditions over record collections: a quantifier, a count and a sum by their ranges,
/// with unknown fields.
pub const RECORD_CONDS: &[&str] = &[
    "any(hires, group = poverty_relief and contract_months >= 12) or count(hires, hired_on >= as_of - 1y) >= 2",
    "sum(loans, amount, lender_kind = bank) >= 500万 and not all(hires, insured_months >= 6)",
];

/// An engine of one policy per condition, `p0`, `p1`, … (no benefit; a test source).
pub fn engine_for<S: AsRef<str>>(conds: &[S]) -> huiqi::engine::Engine {
    let policies: Vec<Value> = conds
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
            "condition": c.as_ref(), "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})
        })
        .collect();
    let schema = std::sync::Arc::new(huiqi::schema::Schema::embedded().expect("schema"));
    huiqi::engine::Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Each profile's verdicts on every path — reference, index, and the store's sets for
/// `prepared` (rows in the order of `cases`) — are the expected ones; `conditions` name the
/// policies `p0`, `p1`, … in messages.
pub fn assert_on_every_path<const N: usize>(
    engine: &huiqi::engine::Engine,
    prepared: &huiqi::store::Prepared,
    as_of: huiqi::date::Date,
    cases: &[(Value, [huiqi::outcome::Verdict; N])],
    conditions: &[&str],
) {
    for (row, (profile, want)) in cases.iter().enumerate() {
        let p = engine.profile_from_json(&profile.to_string()).expect("profile");
        assert_eq!(engine.verdicts_reference(&p, as_of), want.to_vec(), "reference, {profile}");
        assert_eq!(engine.verdicts(&p, as_of), want.to_vec(), "index, {profile}");
        for (i, w) in want.iter().enumerate() {
            let reach = prepared.reverse(engine, &format!("p{i}")).expect("reverse");
            assert_eq!(reach.verdict(row as u32), *w, "store, {profile}, {}", conditions[i]);
        }
    }
}
