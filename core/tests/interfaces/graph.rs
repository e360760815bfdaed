//! The policy set as a graph: prerequisites, exclusions, best combination, versions,
//! calendar and lint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::{Engine, MatchOptions, MatchPath};
use huiqi::outcome::Verdict;
use huiqi::profile::Profile;
use huiqi::schema::Schema;
use serde_json::{json, Value};

fn policy(id: &str, condition: &str, amount: &str) -> Value {
    json!({"id": id, "title": format!("政策{id}"), "issuer": "测试", "doc_no": "测〔2024〕1号", "year": 2024, "level": "municipal",
           "condition": condition, "benefit": {"kind": "fixed", "amount": amount}, "source": {"document": "测试文件"}})
}

fn engine(policies: Vec<Value>) -> Engine {
    let schema = Arc::new(Schema::embedded().unwrap());
    Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).unwrap_or_else(|e| panic!("{e}"))
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn profile(e: &Engine, v: Value) -> Profile {
    Profile::from_json(e.schema(), &v).unwrap()
}

#[test]
fn requires_makes_a_prerequisite() {
    let mut top_up = policy("top-up", "is_legal_person", "5万");
    top_up["requires"] = json!(["base"]);
    let e = engine(vec![policy("base", "registered_capital >= 100万", "10万"), top_up]);
    let yes = profile(&e, json!({"is_legal_person": true, "registered_capital": 200}));
    let no = profile(&e, json!({"is_legal_person": true, "registered_capital": 50}));
    let unknown = profile(&e, json!({"is_legal_person": true}));
    assert_eq!(e.verdicts(&yes, d("2026-06-30"))[1], Verdict::Eligible);
    assert_eq!(e.verdicts(&no, d("2026-06-30"))[1], Verdict::Ineligible);
    assert_eq!(e.verdicts(&unknown, d("2026-06-30"))[1], Verdict::Undetermined);
    assert_eq!(e.verdicts(&no, d("2026-06-30")), e.verdicts_reference(&no, d("2026-06-30")));
    let x = e.explain(&no, "top-up", d("2026-06-30")).unwrap();
    assert!(x.policy.unmet.iter().any(|u| u.message_zh.contains("注册资本 50万元，低于要求的 100万元")), "{:?}", x.policy.unmet);
}

#[test]
fn best_combination_takes_the_higher_of_a_highest_only_group_and_explains() {
    let mut a = policy("a", "is_legal_person", "20万");
    let mut b = policy("b", "is_legal_person", "30万");
    let c = policy("c", "is_legal_person", "5万");
    a["exclusive_group"] = json!("same-project");
    b["exclusive_group"] = json!("same-project");
    let mut x = policy("x", "is_legal_person", "12万");
    let mut y = policy("y", "is_legal_person", "8万");
    let z = policy("z", "is_legal_person", "7万");
    // x excludes y and z: taking y + z (15万) beats x (12万).
    x["excludes"] = json!(["y", "z"]);
    y["excludes"] = json!(["x"]);
    let mut zz = z.clone();
    zz["excludes"] = json!(["x"]);
    let e = engine(vec![a, b, c, x, y, zz]);
    let p = profile(&e, json!({"is_legal_person": true}));
    let r = e.match_profile(&p, d("2026-06-30"), MatchPath::Index);
    assert_eq!(r.recommended.policies, vec!["b", "c", "y", "z"]);
    assert_eq!(r.recommended.total_yuan, "500000");
    let a_out = r.recommended.left_out.iter().find(|l| l.id == "a").expect("a left out");
    assert_eq!(a_out.because_of, "b");
    assert!(a_out.message_zh.contains("就高享受，后者金额更高"), "{}", a_out.message_zh);
    assert_eq!(a_out.message_en, "excluded by b (only the highest is paid), which pays more");
    let x_out = r.recommended.left_out.iter().find(|l| l.id == "x").expect("x left out");
    assert!(x_out.message_zh.contains("不得重复享受，与其他政策组合总额更高"), "{}", x_out.message_zh);
}

#[test]
fn versions_and_windows_follow_the_date() {
    let mut old = policy("reward-2023", "is_legal_person", "10万");
    old["superseded_by"] = json!("reward-2025");
    let mut new = policy("reward-2025", "is_legal_person", "20万");
    new["effective_from"] = json!("2025-01-01");
    new["application_window"] = json!({"opens": "2026-05-01", "closes": "2026-07-15"});
    new["tags"] = json!(["科创"]);
    let e = engine(vec![old, new, policy("other", "is_legal_person", "1万")]);
    let p = profile(&e, json!({"is_legal_person": true}));
    let ids = |date: &str| e.match_profile(&p, d(date), MatchPath::Index).policies.iter().map(|o| o.id.to_string()).collect::<Vec<_>>();
    assert!(ids("2024-06-30").contains(&"reward-2023".to_string()) && !ids("2024-06-30").contains(&"reward-2025".to_string()));
    assert!(!ids("2026-06-30").contains(&"reward-2023".to_string()) && ids("2026-06-30").contains(&"reward-2025".to_string()));
    let r = e.match_profile(&p, d("2026-07-01"), MatchPath::Index);
    let w = r.policies.iter().find(|o| &*o.id == "reward-2025").unwrap();
    assert_eq!(w.window, huiqi::graph::WindowStatus::ClosingSoon);
    // Tag filter (政策包).
    let tagged =
        e.match_profile_with(&p, d("2026-06-30"), MatchPath::Index, &MatchOptions { tags: vec!["科创".into()], ..MatchOptions::default() });
    assert_eq!(tagged.policies.iter().map(|o| &*o.id).collect::<Vec<_>>(), vec!["reward-2025"]);
    // Calendar: the window closing within three months.
    let cal = e.calendar(&p, d("2026-06-01"), 3, &[]);
    assert_eq!(cal.len(), 1);
    assert_eq!((cal[0].date, cal[0].event, cal[0].policy.as_str()), (d("2026-07-15"), "application_closes", "reward-2025"));
}

#[test]
fn bundled_small_firm_gets_the_highest_eit_preference_only() {
    // Both 高企 15% and 小型微利 are eligible: 就高 keeps the one worth more.
    let e = Engine::embedded().unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/enterprises/01-quanzhi-software.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["taxable_income"] = json!({"2025": 200});
    v["employees"] = json!({"2025": 120});
    v["total_assets"] = json!({"2025": 3000});
    v["entity_type"] = json!("company_llc");
    let p = profile(&e, v);
    let r = e.match_profile(&p, d("2026-06-30"), MatchPath::Index);
    let eligible: Vec<&str> = r.policies.iter().filter(|o| o.verdict == Verdict::Eligible).map(|o| &*o.id).collect();
    if eligible.contains(&"hitech-eit-15pct-rate") && eligible.contains(&"small-low-profit-eit") {
        let both =
            ["hitech-eit-15pct-rate", "small-low-profit-eit"].iter().filter(|id| r.recommended.policies.iter().any(|p| p == *id)).count();
        assert_eq!(both, 1, "{:?}", r.recommended);
        assert!(r.recommended.left_out.iter().any(|l| l.message_zh.contains("就高享受")));
    } else {
        panic!("expected both EIT preferences to be eligible, got {eligible:?}");
    }
}

fn lint_codes(policies: Vec<Value>) -> Vec<(String, Option<String>)> {
    let e = engine(policies);
    huiqi::lint::lint(&e, None).into_iter().filter(|f| f.code != "unused-fields").map(|f| (f.code.to_string(), f.policy)).collect()
}

#[test]
fn lint_findings() {
    let has = |codes: &[(String, Option<String>)], code: &str, p: &str| codes.iter().any(|(c, q)| c == code && q.as_deref() == Some(p));
    let mut win = policy("win", "is_legal_person", "1万");
    win["effective_from"] = json!("2026-01-01");
    win["application_window"] = json!({"opens": "2025-01-01", "closes": "2025-06-30"});
    let mut late = policy("late", "is_legal_person", "2万");
    late["effective_to"] = json!("2025-12-31");
    late["application_window"] = json!({"opens": "2026-03-01", "closes": "2026-04-30"});
    let mut one_way = policy("one-way", "is_legal_person", "3万");
    one_way["excludes"] = json!(["win"]);
    let mut auto = policy("auto", "is_legal_person and manual_review(\"专家评审\")", "4万");
    auto["mode"] = json!("automatic");
    let mut req_ex = policy("req-ex", "is_legal_person", "5万");
    req_ex["requires"] = json!(["win"]);
    req_ex["excludes"] = json!(["win"]);
    let mut lonely = policy("lonely", "is_legal_person", "6万");
    lonely["exclusive_group"] = json!("g1");
    let codes = lint_codes(vec![
        policy("bounds", "registered_capital >= 500万 and registered_capital < 300万", "7万"),
        policy("between", "employees@fy1 between [10, 20] and employees@fy1 > 30", "8万"),
        policy("codes", "industry under [C39] and industry under [F, G]", "9万"),
        policy("zero", "registered_capital >= 0万 and is_legal_person", "10万"),
        policy("allenum", "tax_credit@fy1 in [A, B, M, C, D]", "11万"),
        policy("const", "true", "12万"),
        policy("dup-a", "is_legal_person and registered_capital >= 100万", "13万"),
        policy("dup-b", "is_legal_person", "13万"),
        win,
        late,
        one_way,
        auto,
        req_ex,
        lonely,
    ]);
    let expected = [
        ("unsatisfiable-bounds", "bounds"),
        ("unsatisfiable-bounds", "between"),
        ("disjoint-codes", "codes"),
        ("always-true", "zero"),
        ("always-true", "allenum"),
        ("constant-condition", "const"),
        ("possible-duplicate", "dup-a"),
        ("window-before-effect", "win"),
        ("window-after-end", "late"),
        ("one-way-exclusion", "one-way"),
        ("automatic-needs-review", "auto"),
        ("requires-excluded", "req-ex"),
        ("lonely-group", "lonely"),
    ];
    for (code, p) in expected {
        assert!(has(&codes, code, p), "{code} on {p}: {codes:?}");
    }
    assert!(expected.len() >= 10);
    // Positions point into the condition text.
    let e = engine(vec![policy("bounds", "is_legal_person\nand registered_capital >= 500万 and registered_capital < 300万", "7万")]);
    let f = huiqi::lint::lint(&e, None).into_iter().find(|f| f.code == "unsatisfiable-bounds").unwrap();
    assert_eq!((f.line, f.column), (Some(2), Some(5)));
}

#[test]
fn no_false_findings_on_the_bundled_policies() {
    let e = Engine::embedded().unwrap();
    let warnings: Vec<String> =
        huiqi::lint::lint(&e, None).into_iter().filter(|f| f.level == huiqi::lint::Level::Warning).map(|f| f.to_string()).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

/// Many copies of one policy give one duplicate finding for the group, not one per pair
/// (2,000 copies once printed 328 MB of findings); findings of a kind are capped.
#[test]
fn duplicates_are_grouped_and_findings_capped() {
    let copies: Vec<serde_json::Value> =
        (0..2000).map(|i| policy(&format!("copy-{i:04}"), "is_legal_person and registered_capital >= 100万", "1万")).collect();
    let e = engine(copies);
    let t = std::time::Instant::now();
    let findings = huiqi::lint::lint(&e, None);
    assert!(t.elapsed().as_secs() < 20, "lint took {:?}", t.elapsed());
    let dups: Vec<_> = findings.iter().filter(|f| f.code == "possible-duplicate").collect();
    assert_eq!(dups.len(), 1, "{dups:#?}");
    assert!(dups[0].message.contains("and 1989 more: possibly the same item 2000 times"), "{}", dups[0].message);
    // 300 distinct windows closing before they open: 200 listed, the rest counted.
    let wins: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            let mut p = policy(&format!("w{i:03}"), &format!("registered_capital >= {}万", i + 1), "1万");
            p["effective_from"] = json!("2025-01-01");
            p["application_window"] = json!({"opens": "2024-01-01", "closes": "2024-06-30"});
            p
        })
        .collect();
    let findings = huiqi::lint::lint(&engine(wins), None);
    let w: Vec<_> = findings.iter().filter(|f| f.code == "window-before-effect").collect();
    assert_eq!(w.len(), 201);
    assert!(w.last().is_some_and(|f| f.policy.is_none() && f.message.contains("100 more window-before-effect findings")), "{:?}", w.last());
}
