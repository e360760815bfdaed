//! Unit tests of the index's pieces on small compiled sets: leaf classification,
//! numbering and encoding, guard filing and layout, normalising. The differential tests
//! in `tests/oracle` check the whole against the reference evaluator; these pin down
//! what each piece produces, so that a change shows where it went wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::json;

use super::chunks::Chunks;
use super::guards::{file, lay_out, Entry, Filing, NO_PRED};
use super::kleene::Junction;
use super::leaves::{classify, EqKey, Key, Leaf, Op, TextPattern};
use super::normalise::fold;
use super::program::{Instr, Program};
use super::PolicyIndex;
use crate::eval::{Datum, Tri};
use crate::policy::PolicySet;
use crate::schema::Schema;

/// A set of one policy per condition, `p0`, `p1`, … in order.
fn set(conditions: &[&str]) -> PolicySet {
    let policies: Vec<_> = conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"id": format!("p{i}"), "title": format!("政策{i}"), "issuer": "测试", "doc_no": "测〔2024〕1号", "year": 2024,
                   "level": "municipal", "condition": c, "benefit": {"kind": "fixed", "amount": "1万"}, "source": {"document": "测试文件"}})
        })
        .collect();
    let schema = Arc::new(Schema::embedded().unwrap());
    PolicySet::compile(schema, &[("t.json".into(), json!({ "policies": policies }).to_string())]).unwrap_or_else(|e| panic!("{e}"))
}

fn lit(i: u32) -> Program {
    Program::Lit(i, false)
}

#[test]
fn leaves_are_classified_by_what_sets_their_bit() {
    let s = set(&[
        "registered_capital >= 100万",
        "100万 < registered_capital",
        "industry != C3911",
        "business_scope contains \"芯片\"",
        "is_legal_person",
        "has(高新技术企业)",
        "industry under [C39, I65]",
    ]);
    let leaf = |i: usize| classify(&s.policies[i].condition);
    let million = Key::D(Decimal::from(1_000_000));
    match leaf(0) {
        (Leaf::Threshold { op: Op::Ge, key, .. }, false) => assert_eq!(key, million),
        other => panic!("p0: {other:?}"),
    }
    // A constant on the left flips the operator: `100万 < x` is `x > 100万`.
    match leaf(1) {
        (Leaf::Threshold { op: Op::Gt, key, .. }, false) => assert_eq!(key, million),
        other => panic!("p1: {other:?}"),
    }
    // `!=` is the negation of a membership.
    match leaf(2) {
        (Leaf::Member { keys, .. }, true) => assert_eq!(keys, vec![EqKey::S("C3911".into())]),
        other => panic!("p2: {other:?}"),
    }
    match leaf(3) {
        (Leaf::Text { patterns, all: false, .. }, false) => assert_eq!(patterns, vec![TextPattern::Literal("芯片".into())]),
        other => panic!("p3: {other:?}"),
    }
    assert!(matches!(leaf(4), (Leaf::Bool { .. }, false)), "p4: {:?}", leaf(4));
    // A qualification test is not indexed: the evaluator decides it.
    assert!(matches!(leaf(5), (Leaf::Generic { .. }, false)), "p5: {:?}", leaf(5));
    match leaf(6) {
        (Leaf::Under { codes, .. }, false) => assert_eq!(codes, vec!["C39".to_string(), "I65".to_string()]),
        other => panic!("p6: {other:?}"),
    }
    // Both thresholds read the same source.
    assert_eq!(leaf(0).0.source(), leaf(1).0.source());
    assert_ne!(leaf(0).0.source(), leaf(2).0.source());
}

#[test]
fn predicates_are_shared_and_numbered_source_by_source() {
    let s = set(&["registered_capital >= 500万", "industry under [C39] and registered_capital >= 100万", "registered_capital >= 100万"]);
    let index = PolicyIndex::build(&s);
    let stats = index.stats();
    assert_eq!((stats.policies, stats.predicates, stats.sources, stats.generic_predicates), (3, 3, 2, 0));
    // Capital first (its leaf was seen first), thresholds in key order: ≥ 100万 is 0,
    // ≥ 500万 is 1; then the industry source: 2.
    assert_eq!(index.source_range(0), Some((0, 2)));
    assert_eq!(index.source_range(1), Some((2, 3)));
    assert_eq!(index.program(0), Some(&lit(1)));
    assert_eq!(index.program(2), Some(&lit(0)));
    // The rarer literal (a 3-character industry code) is tested first.
    assert_eq!(index.program(1), Some(&Program::And(vec![lit(2), lit(0)])));

    // Encoding a capital of 300万 sets the run of thresholds it passes.
    let mut m = index.matcher();
    index.encode_source_value(0, &Datum::Num(Decimal::from(3_000_000)), &s, &mut m);
    assert_eq!((m.known.get(0), m.known.get(1), m.known.get(2)), (true, true, false));
    assert_eq!((m.truth.get(0), m.truth.get(1)), (true, false));
    index.encode_source_value(0, &Datum::Num(Decimal::from(5_000_000)), &s, &mut m);
    assert_eq!((m.truth.get(0), m.truth.get(1)), (true, true));
    index.encode_source_value(0, &Datum::Num(Decimal::from(999_999)), &s, &mut m);
    assert_eq!((m.known.get(0), m.truth.get(0), m.truth.get(1)), (true, false, false));
}

#[test]
fn a_code_sets_the_under_tests_of_its_ancestors_and_leaves_finer_ones_unknown() {
    let s = set(&["registered_region under [3701]", "registered_region under [370116]"]);
    let index = PolicyIndex::build(&s);
    assert_eq!(index.stats().predicates, 2);
    let (p3701, p370116) = match (index.program(0), index.program(1)) {
        (Some(Program::Lit(a, false)), Some(Program::Lit(b, false))) => (*a, *b),
        other => panic!("{other:?}"),
    };
    let mut m = index.matcher();
    index.encode_source_value(0, &Datum::Code("370116"), &s, &mut m);
    assert_eq!((m.known.get(p3701), m.truth.get(p3701), m.known.get(p370116), m.truth.get(p370116)), (true, true, true, true));
    // A city code decides the city test, not the district one.
    index.encode_source_value(0, &Datum::Code("370100"), &s, &mut m);
    assert_eq!((m.known.get(p3701), m.truth.get(p3701), m.known.get(p370116)), (true, true, false));
    // Another province decides both: false.
    index.encode_source_value(0, &Datum::Code("110101"), &s, &mut m);
    assert_eq!((m.known.get(p3701), m.truth.get(p3701), m.known.get(p370116), m.truth.get(p370116)), (true, false, true, false));
}

#[test]
fn guards_file_each_policy_under_its_least_likely_literal() {
    // Literal i holds i × 100 per mille of the time; a negated one 900.
    let estimate = |i: u32, neg: bool| if neg { 900 } else { i * 100 };
    let programs = vec![
        Program::And(vec![lit(3), Program::Lit(1, true)]),
        lit(3),
        Program::Or(vec![lit(2), lit(0)]),
        Program::And(vec![lit(4), Program::Policy(0, false)]),
        Program::And(vec![lit(3), Program::AtLeast(2, vec![lit(5), lit(6), lit(7)])]),
        Program::And(vec![lit(6), lit(5)]),
    ];
    let filing = file(&[0, 1, 2, 3, 4, 5], &programs, &estimate);
    let want = Filing {
        groups: vec![((3, false), vec![(0, (1, true)), (1, (NO_PRED, false)), (4, (NO_PRED, false))]), ((5, false), vec![(5, (6, false))])],
        fallback: vec![2],
        dependent: vec![3],
        passive: vec![],
    };
    assert_eq!(filing, want);

    let layout = lay_out(filing, &programs, 8);
    // Policy 4 is not in clause form (`at_least(2, …)`): an interpreter entry, placed
    // first; then the group's chunk members in (second literal, policy) order; then the
    // other group, the fallback and the dependent policies.
    assert_eq!(layout.entries, vec![Entry { policy: 4, at: 0, second: NO_PRED, second_negated: false }]);
    assert_eq!(layout.starts, vec![6, 9, 13, 16, 0, 10]);
    assert_eq!((layout.fallback.clone(), layout.dependent.clone()), (vec![(2, 13)], vec![(3, 16)]));
    assert_eq!(layout.guarded, 4);
    assert_eq!(layout.guards.len(), 2);
    let chunks = Chunks::new(8);
    assert_eq!(
        layout.guards.iter().map(|g| (g.slot, g.entries, g.chunks)).collect::<Vec<_>>(),
        vec![(chunks.slot((3, false)), (0, 1), (0, 1)), (chunks.slot((5, false)), (1, 1), (1, 2))]
    );
    assert_eq!(
        layout.code.get(..3),
        Some(&[Instr::And { n: 2, size: 6 }, Instr::Lit(3, false), Instr::AtLeast { k: 2, n: 3, size: 4 }][..])
    );
}

#[test]
fn fold_absorbs_constants_and_flattens_same_kind_parts() {
    let and = |xs: Vec<Program>| fold(Junction::And, xs);
    let or = |xs: Vec<Program>| fold(Junction::Or, xs);
    assert_eq!(
        and(vec![Program::Const(Tri::True), lit(0), Program::And(vec![lit(1), lit(2)])]),
        Program::And(vec![lit(0), lit(1), lit(2)])
    );
    assert_eq!(and(vec![lit(0), Program::Const(Tri::False), lit(1)]), Program::Const(Tri::False));
    assert_eq!(or(vec![lit(0), Program::Const(Tri::True)]), Program::Const(Tri::True));
    assert_eq!(or(vec![Program::Const(Tri::False)]), Program::Const(Tri::False));
    assert_eq!(and(vec![]), Program::Const(Tri::True));
    assert_eq!(and(vec![Program::Const(Tri::True), lit(3)]), lit(3));
    // An unknown constant is neither absorbing nor neutral: it stays a part.
    assert_eq!(or(vec![Program::Const(Tri::Unknown), lit(1)]), Program::Or(vec![Program::Const(Tri::Unknown), lit(1)]));
    // An `or` inside an `and` stays nested.
    assert_eq!(and(vec![lit(0), Program::Or(vec![lit(1), lit(2)])]), Program::And(vec![lit(0), Program::Or(vec![lit(1), lit(2)])]));
}

#[test]
fn negation_is_pushed_to_the_leaves() {
    let s = set(&[
        "not (registered_capital >= 100万 and industry under [C39])",
        "not at_least(2, [is_legal_person, industry = C3911, registered_region under [3701]])",
    ]);
    let index = PolicyIndex::build(&s);
    match index.program(0) {
        Some(Program::Or(xs)) => {
            assert_eq!(xs.len(), 2);
            assert!(xs.iter().all(|x| matches!(x, Program::Lit(_, true))), "{xs:?}");
        }
        other => panic!("{other:?}"),
    }
    // not at_least(2, three) = at_least(3 - 2 + 1, three negated).
    match index.program(1) {
        Some(Program::AtLeast(2, xs)) => assert!(xs.len() == 3 && xs.iter().all(|x| matches!(x, Program::Lit(_, true))), "{xs:?}"),
        other => panic!("{other:?}"),
    }
}
