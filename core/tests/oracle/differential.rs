//! The index against the oracle: on random policy sets (thresholds of every kind, between,
//! negation, at_least, codes, enums, text, derived fields, eligible(…), generic leaves) and
//! random profiles with missing fields, the index gives exactly the reference evaluator's
//! verdict for every policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::{Engine, MatchOptions, MatchPath};
use huiqi::outcome::Detail;
use huiqi::profile::Profile;
use huiqi::schema::Schema;
use proptest::prelude::*;
use serde_json::json;

use crate::common;
use common::profile;

fn leaf(max_policy: usize) -> BoxedStrategy<String> {
    let op = prop::sample::select(vec![">=", ">", "<=", "<", "=", "!="]);
    let money = prop::sample::select(vec![0i64, 50, 100, 300, 500, 1000, 2000, 5000]);
    let count = prop::sample::select(vec![0i64, 5, 10, 20, 50, 100, 300]);
    let credit = prop::collection::btree_set(prop::sample::select(vec!["A", "B", "M", "C", "D"]), 1..4);
    let codes = prop::collection::btree_set(prop::sample::select(vec!["C", "C39", "C3911", "F", "F51", "I65", "H62", "K7010", "G"]), 1..4);
    let words = prop::collection::btree_set(prop::sample::select(vec!["软件", "芯片", "餐饮", "研发"]), 1..3);
    let tags = prop::collection::btree_set(prop::sample::select(vec!["数字经济", "外贸", "绿色低碳", "制造业"]), 1..4);
    let mut options: Vec<BoxedStrategy<String>> = vec![
        (op.clone(), money.clone()).prop_map(|(o, n)| format!("registered_capital {o} {n}万")).boxed(),
        (op.clone(), count.clone(), 1u32..3).prop_map(|(o, n, y)| format!("employees@fy{y} {o} {n}")).boxed(),
        (money.clone(), money.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, l, h)| {
                // Non-empty ranges only (an empty one is a compile error).
                let (a, b, l, h) = if a < b {
                    (a, b, l, h)
                } else if a > b {
                    (b, a, l, h)
                } else {
                    (a, b, true, true)
                };
                format!("registered_capital between {}{a}万, {b}万{}", if l { "[" } else { "(" }, if h { "]" } else { ")" })
            })
            .boxed(),
        (op.clone(), money.clone()).prop_map(|(o, n)| format!("operating_revenue@fy1 / 10 {o} {n}万")).boxed(),
        (op.clone(), prop::sample::select(vec!["2015-03-15", "2020-01-01", "2024-06-30"]))
            .prop_map(|(o, d)| format!("registration_date {o} {d}"))
            .boxed(),
        (credit.clone(), any::<bool>())
            .prop_map(|(c, n)| {
                format!("tax_credit@fy1 {}in [{}]", if n { "not " } else { "" }, c.into_iter().collect::<Vec<_>>().join(", "))
            })
            .boxed(),
        codes.prop_map(|c| format!("industry under [{}]", c.into_iter().collect::<Vec<_>>().join(", "))).boxed(),
        prop::sample::select(vec!["industry = C3911", "industry != F5174", "registered_region under 3701", "registered_region = 370116"])
            .prop_map(String::from)
            .boxed(),
        (words.clone(), any::<bool>())
            .prop_map(|(w, all)| {
                format!(
                    "business_scope {} [{}]",
                    if all { "contains_all" } else { "contains_any" },
                    w.into_iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", ")
                )
            })
            .boxed(),
        (tags, prop::sample::select(vec!["contains", "contains_any", "contains_all"]))
            .prop_map(|(t, mode)| {
                let t: Vec<String> = t.into_iter().map(|x| format!("\"{x}\"")).collect();
                match (mode, t.as_slice()) {
                    ("contains", [one, ..]) => format!("tags contains {one}"),
                    _ => format!("tags {mode} [{}]", t.join(", ")),
                }
            })
            .boxed(),
        prop::sample::select(vec![
            "business_scope matches /集成电路|芯片/",
            "business_scope contains \"软件\"",
            "tags contains \"数字经济\"",
        ])
        .prop_map(String::from)
        .boxed(),
        prop::sample::select(vec![
            "is_legal_person",
            "is_legal_person = false",
            "above_scale",
            "size_class <= small",
            "size_class = medium",
            "size_class in [micro, large]",
        ])
        .prop_map(String::from)
        .boxed(),
        prop::sample::select(vec![
            "has(高新技术企业)",
            "has(专精特新中小企业, level >= provincial)",
            "first_grant(高新技术企业) in fy1",
            "registration_date <= as_of - 2y",
            "full_years_since(registration_date) >= 3",
            "all_years(fy1..fy2, rd_expense / operating_revenue >= 3%)",
            "sum(rd_expense@fy1..fy3, actual) >= 300万",
            "rd_expense@fy1 / operating_revenue@fy1 >= 3%",
            "cagr(operating_revenue@fy1..fy3) >= 5%",
            "manual_review(\"专家评审\")",
            "known(registered_capital)",
            "true",
            "false",
        ])
        .prop_map(String::from)
        .boxed(),
    ];
    // Quantifiers over records (hires and loans, with unknown fields and unknown lists):
    // any / all, and count / sum compared by the range their undecided records allow.
    options.push(
        prop::sample::select(vec![
            "any(hires, group = poverty_relief and contract_months >= 12)",
            "all(hires, insured_months >= 6)",
            "any(hires, hired_on >= registration_date)",
            "all(loans, lender_kind = bank or amount < 500万)",
            "count(loans) between [1, 2]",
            "count(hires, group in [veteran, disabled]) between (0, 3]",
        ])
        .prop_map(String::from)
        .boxed(),
    );
    options.push(
        (
            op.clone(),
            prop::sample::select(vec![0i64, 1, 2, 3]),
            prop::sample::select(vec!["group = veteran", "contract_months >= 12", "hired_on >= as_of - 1y"]),
        )
            .prop_map(|(o, n, c)| format!("count(hires, {c}) {o} {n}"))
            .boxed(),
    );
    options.push(
        (op.clone(), money.clone(), any::<bool>())
            .prop_map(|(o, n, cond)| format!("sum(loans, amount{}) {o} {n}万", if cond { ", lender_kind = bank" } else { "" }))
            .boxed(),
    );
    if max_policy > 0 {
        options.push((0..max_policy).prop_map(|i| format!("eligible(p{i})")).boxed());
    }
    prop::strategy::Union::new(options).boxed()
}

fn condition(max_policy: usize) -> impl Strategy<Value = String> {
    leaf(max_policy).prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("not ({c})")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|cs| format!("({})", cs.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|cs| format!("({})", cs.join(" or "))),
            prop::collection::vec(inner, 1..4).prop_flat_map(|cs| {
                let n = cs.len();
                (0..=n + 1).prop_map(move |k| format!("at_least({}, [{}])", k.min(n).max(1), cs.join(", ")))
            }),
        ]
    })
}

fn policy_set() -> impl Strategy<Value = Vec<String>> {
    (1usize..12).prop_flat_map(|n| (0..n).map(condition).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn index_equals_reference(conds in policy_set(), profiles in prop::collection::vec(profile(), 1..5), as_of in prop::sample::select(vec!["2026-06-30", "2025-01-01", "2026-12-31"])) {
        let policies: Vec<_> = conds.iter().enumerate().map(|(i, c)| json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024,
            "level": "national", "condition": c, "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})).collect();
        let schema = Arc::new(Schema::embedded().expect("schema"));
        let engine = Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).unwrap_or_else(|e| panic!("{e}"));
        let date = huiqi::date::Date::parse(as_of).expect("date");
        let decoded: Vec<Profile> = profiles.iter().map(|p| Profile::from_json(engine.schema(), p).unwrap_or_else(|e| panic!("{e}"))).collect();
        // Guards tuned on (part of) the same profiles: speed may change, verdicts may not.
        let tuned = engine.tuned(decoded.get(..1).unwrap_or(&[]), date);
        // The guards and chunks alone, without the algebra over sources.
        let guards = engine.tuned_guards_only(decoded.get(..1).unwrap_or(&[]), date);
        let mut m = engine.matcher();
        let mut mt = tuned.matcher();
        let mut mg = guards.matcher();
        for (p, profile) in profiles.iter().zip(&decoded) {
            let reference = engine.verdicts_reference(profile, date);
            let fast: Vec<_> = engine.match_with(&mut m, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "conditions {:#?}\nprofile {}", conds, p);
            let fast: Vec<_> = tuned.match_with(&mut mt, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "tuned; conditions {:#?}\nprofile {}", conds, p);
            let fast: Vec<_> = guards.match_with(&mut mg, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "guards only; conditions {:#?}\nprofile {}", conds, p);
            // The listing of eligible policies reads the algebra's sets: the same policies.
            let want: Vec<u32> = reference.iter().enumerate().filter(|(_, v)| **v == huiqi::outcome::Verdict::Eligible).map(|(i, _)| i as u32).collect();
            prop_assert_eq!(tuned.match_eligible(&mut mt, profile, date), want.as_slice(), "eligible listed; conditions {:#?}", conds);
            prop_assert_eq!(guards.match_eligible(&mut mg, profile, date), want.as_slice(), "eligible listed, guards only");
            // The envelope at every detail level, every policy listed: the index's scores
            // (counted on its literals), missing fields and manual-review flags (from its
            // unknown literals) are exactly the reference evaluator's.
            for detail in [Detail::Verdicts, Detail::Summary, Detail::Full] {
                let opts = MatchOptions { detail, all: true, ..MatchOptions::default() };
                let fast = serde_json::to_string(&engine.answer(&mut m, profile, date, MatchPath::Index, &opts)).expect("json");
                let slow = serde_json::to_string(&engine.answer(&mut m, profile, date, MatchPath::Reference, &opts)).expect("json");
                prop_assert_eq!(&fast, &slow, "{:?}; conditions {:#?}\nprofile {}", detail, conds, p);
            }
            // A match words its notes without each node's `seen`, `required` and `missing`
            // (Explainer::for_notes): the notes are still the explanation's own.
            let opts = MatchOptions { detail: Detail::Full, all: true, ..MatchOptions::default() };
            for o in &engine.match_profile_with(profile, date, MatchPath::Index, &opts).policies {
                let explained = engine.explain(profile, &o.id, date).expect("explain");
                prop_assert_eq!(&o.unmet, &explained.policy.unmet, "unmet notes of {}; conditions {:#?}\nprofile {}", o.id, conds, p);
                prop_assert_eq!(&o.undetermined, &explained.policy.undetermined, "undetermined notes of {}", o.id);
            }
        }
    }

    /// What the index says about an undetermined policy is the evaluator's own account:
    /// the fields that would decide it and whether a person must judge; and its score
    /// counted on literals, where it can be, is the explanation's.
    #[test]
    fn index_reasons_equal_reference(conds in policy_set(), profiles in prop::collection::vec(profile(), 1..4)) {
        let policies: Vec<_> = conds.iter().enumerate().map(|(i, c)| json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024,
            "level": "national", "condition": c, "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})).collect();
        let schema = Arc::new(Schema::embedded().expect("schema"));
        let engine = Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).unwrap_or_else(|e| panic!("{e}"));
        let date = huiqi::date::Date::parse("2026-06-30").expect("date");
        let mut m = engine.matcher();
        let mut scored = 0;
        for p in &profiles {
            let profile = Profile::from_json(engine.schema(), p).unwrap_or_else(|e| panic!("{e}"));
            engine.match_with(&mut m, &profile, date);
            let ev = huiqi::eval::Evaluator::new(engine.policy_set(), &profile, date);
            let ex = huiqi::explain::Explainer::new(&ev);
            let mut cache = std::collections::HashMap::new();
            for (i, pol) in engine.policy_set().policies.iter().enumerate() {
                let reference = ev.policy(i);
                let fast = engine.index().why_unknown(i, &m, &ev, &mut cache);
                match &reference {
                    Err(u) => {
                        prop_assert_eq!(&fast.fields, &u.fields, "p{} of {:#?}\nprofile {}", i, conds, p);
                        prop_assert_eq!(fast.manual, u.manual, "p{} of {:#?}\nprofile {}", i, conds, p);
                    }
                    Ok(_) => prop_assert_eq!(fast, huiqi::eval::Unknown::default()),
                }
                if let Some(score) = engine.index().score(i, &m) {
                    scored += 1;
                    prop_assert_eq!(score, ex.trace(&pol.condition, &pol.condition_text, true).score(), "p{} of {:#?}\nprofile {}", i, conds, p);
                }
            }
        }
        prop_assert!(scored <= conds.len() * profiles.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    /// Policy sets large enough that guard groups hold more than 64 policies (the index
    /// evaluates them bit-parallel in chunks of 64): every policy shares one of a few
    /// common tests, so the groups are big, and the rest are random conditions.
    #[test]
    fn large_groups_equal_reference(
        common in prop::collection::vec(prop::sample::select(vec![
            "registered_capital >= 0万", "not abnormal_operation_list", "tax_credit@fy1 in [A, B]", "registered_region under 37",
            "tags contains \"制造业\"",
        ]), 65..160),
        rest in prop::collection::vec(prop::collection::vec(condition(0), 1..4), 65..160),
        profiles in prop::collection::vec(profile(), 1..4),
    ) {
        let conds: Vec<String> = common.iter().zip(&rest).map(|(c, r)| format!("{c} and ({})", r.join(") and ("))).collect();
        let policies: Vec<_> = conds.iter().enumerate().map(|(i, c)| json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024,
            "level": "national", "condition": c, "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})).collect();
        let schema = Arc::new(Schema::embedded().expect("schema"));
        let engine = Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).unwrap_or_else(|e| panic!("{e}"));
        let date = huiqi::date::Date::parse("2026-06-30").expect("date");
        let decoded: Vec<Profile> = profiles.iter().map(|p| Profile::from_json(engine.schema(), p).unwrap_or_else(|e| panic!("{e}"))).collect();
        let tuned = engine.tuned(&decoded, date);
        let guards = engine.tuned_guards_only(&decoded, date);
        let (mut m, mut mt, mut mg) = (engine.matcher(), tuned.matcher(), guards.matcher());
        for (p, profile) in profiles.iter().zip(&decoded) {
            let reference = engine.verdicts_reference(profile, date);
            let fast: Vec<_> = engine.match_with(&mut m, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "profile {}", p);
            let fast: Vec<_> = tuned.match_with(&mut mt, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "tuned; profile {}", p);
            let fast: Vec<_> = guards.match_with(&mut mg, profile, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            prop_assert_eq!(&fast, &reference, "guards only; profile {}", p);
        }
    }
}

/// Every generated workload shape, 600 policies × 60 enterprises: index and reference agree.
#[test]
fn generated_shapes_equal_reference() {
    let date = huiqi::date::Date::parse("2026-06-30").expect("date");
    for shape in huiqi::gen::Shape::ALL {
        let lines: Vec<String> = huiqi::gen::shaped_policies(5, 600, shape).map(|v| v.to_string()).collect();
        let engine = Engine::from_sources(Arc::new(Schema::embedded().expect("schema")), &[("g.jsonl".into(), lines.join("\n"))])
            .unwrap_or_else(|e| panic!("{}: {e}", shape.name));
        let profiles: Vec<Profile> =
            huiqi::gen::enterprises(6, 60).map(|v| Profile::from_json(engine.schema(), &v).unwrap_or_else(|e| panic!("{e}"))).collect();
        let tuned = engine.tuned(profiles.get(..20).unwrap_or(&[]), date);
        let guards = engine.tuned_guards_only(profiles.get(..20).unwrap_or(&[]), date);
        // Not vacuous: the algebra over sources decides most of these policies, the
        // guards-only index none.
        assert!(tuned.index_stats().algebra_exact * 2 > lines.len(), "{}: {:?}", shape.name, tuned.index_stats());
        assert_eq!(guards.index_stats().algebra_exact + guards.index_stats().algebra_partial, 0);
        let (mut m, mut mt, mut mg) = (engine.matcher(), tuned.matcher(), guards.matcher());
        let mut decided = 0;
        for p in &profiles {
            let reference = engine.verdicts_reference(p, date);
            let fast: Vec<_> = engine.match_with(&mut m, p, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            assert_eq!(fast, reference, "{}", shape.name);
            let fast: Vec<_> = tuned.match_with(&mut mt, p, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            assert_eq!(fast, reference, "{} tuned", shape.name);
            let fast: Vec<_> = guards.match_with(&mut mg, p, date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
            assert_eq!(fast, reference, "{} guards only", shape.name);
            let want: Vec<u32> =
                reference.iter().enumerate().filter(|(_, v)| **v == huiqi::outcome::Verdict::Eligible).map(|(i, _)| i as u32).collect();
            assert_eq!(tuned.match_eligible(&mut mt, p, date), want.as_slice(), "{} eligible listed", shape.name);
            decided += reference.iter().filter(|v| **v == huiqi::outcome::Verdict::Eligible).count();
        }
        assert!(decided > 0, "{}: some pairs are eligible", shape.name);
    }
}

/// The algebra's class cache is shared by the threads that match with one engine (behind
/// a read-write lock): four threads, each with its own matcher, on a cold index, agree
/// with the reference on every enterprise.
#[test]
fn threads_sharing_one_index_agree_with_the_reference() {
    let date = huiqi::date::Date::parse("2026-06-30").expect("date");
    let lines: Vec<String> =
        huiqi::gen::shaped_policies(7, 800, huiqi::gen::Shape::named("outside").expect("shape")).map(|v| v.to_string()).collect();
    let engine = Engine::from_sources(Arc::new(Schema::embedded().expect("schema")), &[("g.jsonl".into(), lines.join("\n"))])
        .unwrap_or_else(|e| panic!("{e}"));
    let profiles: Vec<Profile> =
        huiqi::gen::enterprises(8, 80).map(|v| Profile::from_json(engine.schema(), &v).unwrap_or_else(|e| panic!("{e}"))).collect();
    let want: Vec<Vec<huiqi::outcome::Verdict>> = profiles.iter().map(|p| engine.verdicts_reference(p, date)).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (engine, profiles, want) = (&engine, &profiles, &want);
            s.spawn(move || {
                let mut m = engine.matcher();
                // Each thread walks the profiles from a different start, so classes are
                // first computed by different threads.
                for k in 0..profiles.len() {
                    let i = (k + t * 20) % profiles.len();
                    let got: Vec<_> =
                        engine.match_with(&mut m, &profiles[i], date).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
                    assert_eq!(got, want[i], "thread {t}, enterprise {i}");
                }
            });
        }
    });
    assert!(engine.index().algebra_classes() > 0, "the classes were kept");
}

/// Most random policies are scored on their literals (the check above is not vacuous).
#[test]
fn most_policies_are_scored_on_literals() {
    let engine = Engine::from_sources(
        Arc::new(Schema::embedded().expect("schema")),
        &[("g.jsonl".into(), huiqi::gen::policies(3, 300).map(|v| v.to_string()).collect::<Vec<_>>().join("\n"))],
    )
    .expect("generated");
    let profile = Profile::empty(engine.schema());
    let mut m = engine.matcher();
    let date = huiqi::date::Date::parse("2026-06-30").expect("date");
    engine.match_with(&mut m, &profile, date);
    let scored = (0..300).filter(|i| engine.index().score(*i, &m).is_some()).count();
    assert!(scored >= 250, "{scored} of 300 generated policies scored on literals");
}

#[test]
fn bundled_policies_and_samples_agree() {
    let engine = Engine::embedded().expect("bundled");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/enterprises");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("samples") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let profile = engine.profile_from_json(&std::fs::read_to_string(&path).expect("read")).expect("valid sample");
        for as_of in ["2024-06-30", "2026-06-30", "2027-03-01"] {
            let date = huiqi::date::Date::parse(as_of).expect("date");
            assert_eq!(engine.verdicts(&profile, date), engine.verdicts_reference(&profile, date), "{} on {as_of}", path.display());
            n += 1;
        }
    }
    assert!(n >= 24);
}
