//! Property tests of the language and the reference evaluator:
//! - pretty-print then parse gives the same tree; the JSON and binary forms round-trip;
//! - Kleene laws hold on random conditions and random profiles (with unknowns);
//! - monotonicity: supplying a missing field never changes a decided verdict.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::lang::ast::{BandRow, BinOp, CmpOp, ContainsMode, Expr, ExprKind, LitUnit, Period, Span};
use huiqi::outcome::Verdict;
use huiqi::profile::Profile;
use huiqi::schema::Schema;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::common;
use common::profile;

// ---------- syntax trees ----------

fn e(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn b(x: Expr) -> Box<Expr> {
    Box::new(x)
}

fn leaf() -> impl Strategy<Value = Expr> {
    let names = prop::sample::select(vec!["registered_capital", "注册资本", "x", "a_b", "企业标签", "C39", "Ⅰ类知识产权"]);
    let units = prop::sample::select(LitUnit::ALL.to_vec());
    let digits = prop::sample::select(vec!["0", "7", "12", "500", "3.5", "0.06", "0610", "2021"]);
    prop_oneof![
        any::<bool>().prop_map(|value| e(ExprKind::Bool { value })),
        (digits, units).prop_map(|(d, unit)| e(ExprKind::Number { value: d.to_string(), unit })),
        (2000i32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| e(ExprKind::Date {
            value: huiqi::date::Date::from_ymd(y, m, d).unwrap_or(huiqi::date::Date::from_day_number(0))
        })),
        (0i64..400, 0u8..3).prop_map(|(n, k)| e(ExprKind::Duration {
            value: match k {
                0 => huiqi::date::Duration::Years(n),
                1 => huiqi::date::Duration::Months(n),
                _ => huiqi::date::Duration::Days(n),
            }
        })),
        "[a-z软件 \"\\\\]{0,6}".prop_map(|value| e(ExprKind::Text { value })),
        names.prop_map(|n| e(ExprKind::Name { name: n.to_string() })),
        (1u32..5).prop_map(|k| e(ExprKind::FiscalYear { k })),
        Just(e(ExprKind::AsOf)),
        (prop::sample::select(vec!["operating_revenue", "营业收入"]), 1u32..4, prop::option::of(2u32..6), 2015i32..2026, any::<bool>())
            .prop_map(|(n, k, to, y, abs)| {
                let period = if abs { Period::Year(y) } else { Period::Fy(k) };
                e(ExprKind::At { expr: b(e(ExprKind::Name { name: n.to_string() })), period, to: to.map(Period::Fy) })
            }),
        (1u32..3, 2u32..5).prop_map(|(a, z)| e(ExprKind::YearRange { from: Period::Fy(a), to: Period::Fy(z) })),
    ]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge])
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let bin = prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::And, BinOp::Or]);
        let funcs = prop::sample::select(vec!["has", "min", "max", "sum", "at_least", "manual_review", "full_years_since", "known"]);
        prop_oneof![
            inner.clone().prop_map(|x| e(ExprKind::Not { expr: b(x) })),
            inner.clone().prop_map(|x| e(ExprKind::Neg { expr: b(x) })),
            (bin, inner.clone(), inner.clone()).prop_map(|(op, l, r)| e(ExprKind::Binary { op, lhs: b(l), rhs: b(r) })),
            (cmp_op(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| e(ExprKind::Compare { op, lhs: b(l), rhs: b(r) })),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>(), any::<bool>()).prop_map(|(x, lo, hi, li, hi_i)| e(
                ExprKind::Between { expr: b(x), low: b(lo), high: b(hi), low_inclusive: li, high_inclusive: hi_i }
            )),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..4), any::<bool>()).prop_map(|(x, items, negated)| e(ExprKind::In {
                expr: b(x),
                items,
                negated
            })),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..3)).prop_map(|(x, codes)| e(ExprKind::Under { expr: b(x), codes })),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..3), prop::sample::select(vec![ContainsMode::Any, ContainsMode::All]))
                .prop_map(|(x, items, mode)| e(ExprKind::Contains { expr: b(x), mode, items })),
            (inner.clone(), inner.clone()).prop_map(|(x, item)| e(ExprKind::Contains {
                expr: b(x),
                mode: ContainsMode::One,
                items: vec![item]
            })),
            (inner.clone(), "[a-z|/芯片]{1,8}").prop_map(|(x, pattern)| e(ExprKind::Matches { expr: b(x), pattern })),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| e(ExprKind::If { cond: b(c), then: b(t), otherwise: b(o) })),
            (funcs, prop::collection::vec(inner.clone(), 0..3)).prop_map(|(f, args)| e(ExprKind::Call { function: f.to_string(), args })),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|items| e(ExprKind::List { items })),
            (inner.clone(), prop::collection::vec((cmp_op(), inner.clone(), inner.clone()), 1..3), prop::option::of(inner)).prop_map(
                |(x, rows, o)| e(ExprKind::Band {
                    expr: b(x),
                    rows: rows.into_iter().map(|(op, threshold, score)| BandRow { op, threshold, score }).collect(),
                    otherwise: o.map(b),
                })
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_is_identity(x in expr()) {
        let text = huiqi::lang::print(&x);
        let parsed = huiqi::lang::parse(&text);
        prop_assert!(parsed.is_ok(), "{text}: {:?}", parsed.err());
        prop_assert_eq!(parsed.map(|p| p.without_spans()).ok(), Some(x), "{}", text);
    }

    #[test]
    fn json_form_round_trips(x in expr()) {
        let j = serde_json::to_string(&x).expect("serialise");
        let back: Expr = serde_json::from_str(&j).expect("deserialise");
        prop_assert_eq!(back, x);
    }

    #[test]
    fn binary_form_round_trips_with_spans(x in expr()) {
        let parsed = huiqi::lang::parse(&huiqi::lang::print(&x)).expect("printed trees parse");
        let mut bytes = Vec::new();
        huiqi::lang::binary::encode(&parsed, &mut bytes);
        let mut r = huiqi::lang::binary::Reader::new(&bytes);
        prop_assert_eq!(r.expr().ok(), Some(parsed));
        prop_assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn parser_never_panics(s in "[a-z0-9 ()\\[\\],.@<>=!+*/\"万%且或非-]{0,40}") {
        let _ = huiqi::lang::parse(&s);
    }
}

// ---------- semantics on random conditions and profiles ----------

const LEAVES: &[&str] = &[
    "registered_capital >= 500万",
    "registered_capital between [100万, 1000万)",
    "employees@fy1 < 50",
    "tax_credit@fy1 in [A, B]",
    "tax_credit@fy1 not in [D]",
    "industry under [C39, F, I65]",
    "registered_region under 3701",
    "is_legal_person",
    "has(高新技术企业)",
    "has(专精特新中小企业, level >= provincial)",
    "first_grant(高新技术企业) in fy1",
    "business_scope contains_any [\"软件\", \"芯片\"]",
    "business_scope matches /集成电路|芯片/",
    "tags contains \"数字经济\"",
    "registration_date <= as_of - 2y",
    "full_years_since(registration_date) >= 3",
    "rd_expense@fy1 / operating_revenue@fy1 >= 3%",
    "sum(rd_expense@fy1..fy3, actual) >= 300万",
    "avg_growth(operating_revenue@fy1..fy3) >= 10%",
    "cagr(operating_revenue@fy1..fy3) >= 5%",
    "size_class <= small",
    "above_scale",
    "band(rd_expense@fy1 / operating_revenue@fy1; >= 6%: 50, >= 3%: 20, else: 0) + band(employees@fy1; >= 100: 10) >= 20",
    "max(registered_capital, operating_revenue@fy1) >= 1000万",
    "if operating_revenue@fy1 <= 5000万 then rd_ratio >= 5% else rd_ratio >= 3%",
    "all_years(fy1..fy2, rd_expense / operating_revenue >= 3%)",
    "manual_review(\"专家评审\")",
    "eligible(base)",
];

#[derive(Clone, Debug)]
enum Cond {
    Leaf(usize),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    AtLeast(usize, Vec<Cond>),
}

impl Cond {
    fn text(&self) -> String {
        match self {
            Cond::Leaf(i) => format!("({})", LEAVES.get(*i).copied().unwrap_or("true")),
            Cond::Not(c) => format!("not {}", c.text()),
            Cond::And(a, b) => format!("({} and {})", a.text(), b.text()),
            Cond::Or(a, b) => format!("({} or {})", a.text(), b.text()),
            Cond::AtLeast(k, cs) => format!("at_least({k}, [{}])", cs.iter().map(Cond::text).collect::<Vec<_>>().join(", ")),
        }
    }
}

fn cond() -> impl Strategy<Value = Cond> {
    (0..LEAVES.len()).prop_map(Cond::Leaf).prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
            prop::collection::vec(inner, 1..4).prop_flat_map(|cs| {
                let n = cs.len();
                (1..=n).prop_map(move |k| Cond::AtLeast(k, cs.clone()))
            }),
        ]
    })
}

fn engine_for(conds: &[String]) -> Engine {
    let mut policies = vec![json!({"id": "base", "title": "base", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
        "condition": "registered_capital >= 100万 or has(高新技术企业)", "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})];
    for (i, c) in conds.iter().enumerate() {
        policies.push(json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
            "condition": c, "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}}));
    }
    let schema = Arc::new(Schema::embedded().expect("schema"));
    Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).unwrap_or_else(|e| panic!("{e}"))
}

fn verdicts(engine: &Engine, profile: &Value) -> Vec<Verdict> {
    let p = Profile::from_json(engine.schema(), profile).unwrap_or_else(|e| panic!("{e}"));
    let as_of = huiqi::date::Date::parse("2026-06-30").expect("date");
    engine.verdicts_reference(&p, as_of).into_iter().skip(1).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn kleene_laws_hold(a in cond(), bb in cond(), p in profile()) {
        let (at, bt) = (a.text(), bb.text());
        let conds = vec![
            format!("not ({at} and {bt})"), format!("(not {at}) or (not {bt})"),        // De Morgan
            format!("not ({at} or {bt})"), format!("(not {at}) and (not {bt})"),        // De Morgan
            format!("not not {at}"), at.clone(),                                         // double negation
            format!("{at} or ({at} and {bt})"), at.clone(),                              // absorption
            format!("{at} and ({at} or {bt})"), at.clone(),                              // absorption
            format!("none_of([{at}, {bt}])"), format!("not ({at} or {bt})"),            // none_of
            format!("at_least(1, [{at}, {bt}])"), format!("{at} or {bt}"),              // at_least 1 = or
            format!("at_least(2, [{at}, {bt}])"), format!("{at} and {bt}"),             // at_least n = and
        ];
        let engine = engine_for(&conds);
        let v = verdicts(&engine, &p);
        for pair in v.chunks(2) {
            prop_assert_eq!(pair[0], pair[1], "{:?}", conds);
        }
    }

    #[test]
    fn supplying_a_missing_field_never_changes_a_decided_verdict(c in cond(), p in profile(), filled in profile()) {
        let engine = engine_for(&[c.text()]);
        let before = verdicts(&engine, &p);
        // Fill every field missing in p with filled's value (when filled has one).
        let mut more = p.clone();
        if let (Some(m), Some(f)) = (more.as_object_mut(), filled.as_object()) {
            for (k, v) in f {
                match (m.get_mut(k), v) {
                    // Per-year fields: fill the missing years too.
                    (Some(Value::Object(years)), Value::Object(fv)) => {
                        for (y, x) in fv {
                            years.entry(y.clone()).or_insert(x.clone());
                        }
                    }
                    (Some(_), _) => {}
                    (None, _) => {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let after = verdicts(&engine, &more);
        if before[0] != Verdict::Undetermined {
            prop_assert_eq!(before[0], after[0], "{}\nbefore {}\nafter {}", c.text(), p, more);
        }
    }
}
