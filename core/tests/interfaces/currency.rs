//! Whether a policy set is current: the currency fields of a policy (`reviewed_on`,
//! `open_ended`, `verified` / `unverified`) and the date-dependent lint findings, one test
//! per finding; and the bundled set, which must be current on the reference date.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::lint::{lint_at, Level};
use huiqi::schema::Schema;
use serde_json::{json, Value};

fn policy(id: &str) -> Value {
    json!({"id": id, "title": format!("政策{id}"), "issuer": "测试", "doc_no": "测〔2024〕1号", "year": 2024, "level": "municipal",
           "condition": "is_legal_person", "benefit": {"kind": "fixed", "amount": "1万"}, "source": {"document": "测试文件"},
           "reviewed_on": "2026-03-01", "effective_from": "2024-01-01", "effective_to": "2027-12-31"})
}

fn compile(policies: Vec<Value>) -> Result<Engine, String> {
    let schema = Arc::new(Schema::embedded().unwrap());
    Engine::from_sources(schema, &[("t.json".into(), json!({"policies": policies}).to_string())]).map_err(|e| e.to_string())
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// (code, policy, level) of each date-dependent finding on `as_of`.
fn findings(policies: Vec<Value>, as_of: &str) -> Vec<(String, String, Level)> {
    let e = compile(policies).unwrap_or_else(|e| panic!("{e}"));
    let without: Vec<_> = lint_at(&e, None, None).into_iter().map(|f| (f.code, f.policy)).collect();
    lint_at(&e, None, Some(d(as_of)))
        .into_iter()
        .filter(|f| !without.contains(&(f.code, f.policy.clone())))
        .map(|f| (f.code.to_string(), f.policy.unwrap_or_default(), f.level))
        .collect()
}

fn has(f: &[(String, String, Level)], code: &str, policy: &str) -> bool {
    f.iter().any(|(c, p, l)| c == code && p == policy && *l == Level::Warning)
}

#[test]
fn a_current_policy_has_no_currency_findings() {
    assert_eq!(findings(vec![policy("ok")], "2026-06-30"), vec![]);
}

#[test]
fn not_reviewed_in_twelve_months() {
    let mut never = policy("never");
    never.as_object_mut().unwrap().remove("reviewed_on");
    let mut stale = policy("stale");
    stale["reviewed_on"] = json!("2025-06-29");
    let mut edge = policy("edge");
    edge["reviewed_on"] = json!("2025-06-30"); // exactly 12 months before: still fresh
    let f = findings(vec![never, stale, edge], "2026-06-30");
    assert!(has(&f, "not-reviewed", "never"), "{f:?}");
    assert!(has(&f, "not-reviewed", "stale"), "{f:?}");
    assert!(!has(&f, "not-reviewed", "edge"), "{f:?}");
}

#[test]
fn open_ended_older_than_three_years() {
    let open = |id: &str, from: &str, declared: bool| {
        let mut p = policy(id);
        p["effective_from"] = json!(from);
        p.as_object_mut().unwrap().remove("effective_to");
        if declared {
            p["open_ended"] = json!(true);
        }
        p
    };
    let mut stale_declared = open("old-declared-stale", "2019-01-01", true);
    stale_declared["year"] = json!(2019);
    stale_declared["reviewed_on"] = json!("2024-01-01");
    let f = findings(
        vec![
            open("old", "2023-06-29", false),
            open("edge", "2023-06-30", false), // exactly 3 years: not older
            open("old-declared", "2019-01-01", true),
            stale_declared,
        ],
        "2026-06-30",
    );
    assert!(has(&f, "open-ended-old", "old"), "{f:?}");
    assert!(!f.iter().any(|(c, p, _)| c == "open-ended-old" && p == "edge"), "{f:?}");
    // Not older than 3 years, but nobody said whether it ends.
    assert!(has(&f, "no-end-date", "edge"), "{f:?}");
    // Declared open-ended and reviewed within the year: information only.
    assert!(f.iter().any(|(c, p, l)| c == "open-ended-old" && p == "old-declared" && *l == Level::Info), "{f:?}");
    assert!(has(&f, "open-ended-old", "old-declared-stale"), "{f:?}");
}

#[test]
fn application_window_closed() {
    let mut closed = policy("closed");
    closed["application_window"] = json!({"opens": "2026-03-01", "closes": "2026-06-29"});
    let mut today = policy("closes-today");
    today["application_window"] = json!({"opens": "2026-03-01", "closes": "2026-06-30"});
    let mut ended = policy("ended");
    ended["effective_to"] = json!("2026-06-29");
    ended["application_window"] = json!({"opens": "2026-03-01", "closes": "2026-05-31"});
    let f = findings(vec![closed, today, ended], "2026-06-30");
    assert!(has(&f, "window-closed", "closed"), "{f:?}");
    assert!(!has(&f, "window-closed", "closes-today"), "{f:?}");
    // An ended policy is not matched, so its closed window is history, not a problem.
    assert!(!f.iter().any(|(_, p, _)| p == "ended"), "{f:?}");
}

#[test]
fn superseded_versions_still_matched() {
    // Linked, successor in effect, but the old version's own dates run on.
    let mut old = policy("old");
    old["superseded_by"] = json!("new");
    let mut new = policy("new");
    new["effective_from"] = json!("2026-04-01");
    // Linked and ended the day before: clean.
    let mut old2 = policy("old2");
    old2["superseded_by"] = json!("new2");
    old2["effective_to"] = json!("2026-03-31");
    let mut new2 = policy("new2");
    new2["effective_from"] = json!("2026-04-01");
    // Not linked: titles differ only in the year and both are matched.
    let mut y25 = policy("refund-2025");
    y25["title"] = json!("稳岗返还（2025年）");
    let mut y26 = policy("refund-2026");
    y26["title"] = json!("稳岗返还（2026年）");
    let f = findings(vec![old, new, old2, new2, y25, y26], "2026-06-30");
    assert!(has(&f, "superseded-still-matched", "old"), "{f:?}");
    assert!(!f.iter().any(|(_, p, _)| p == "old2"), "{f:?}");
    assert!(f.iter().any(|(c, p, _)| c == "superseded-still-matched" && p.starts_with("refund-")), "{f:?}");
    // Before the successor takes effect the old version is simply current.
    let mut old = policy("old");
    old["superseded_by"] = json!("new");
    let mut new = policy("new");
    new["effective_from"] = json!("2026-04-01");
    assert!(!has(&findings(vec![old, new], "2026-03-31"), "superseded-still-matched", "old"));
}

#[test]
fn currency_fields_are_checked_when_compiled() {
    let mut both = policy("both");
    both["open_ended"] = json!(true);
    assert!(compile(vec![both]).unwrap_err().contains("open_ended is true but effective_to is set"));
    let mut silent = policy("silent");
    silent["verified"] = json!(false);
    assert!(compile(vec![silent.clone()]).unwrap_err().contains("does not say what could not be confirmed"));
    silent["unverified"] = json!("文号未核实");
    assert!(compile(vec![silent]).is_ok());
    let mut early = policy("early");
    early["reviewed_on"] = json!("2023-12-31");
    assert!(compile(vec![early]).unwrap_err().contains("before the document's year"));
}

#[test]
fn bundled_set_is_current_on_the_reference_date() {
    let e = Engine::embedded().unwrap();
    let as_of = d("2026-06-30");
    let bad: Vec<String> = lint_at(&e, None, Some(as_of))
        .into_iter()
        .filter(|f| matches!(f.code, "superseded-still-matched" | "not-reviewed" | "no-end-date" | "window-closed"))
        .map(|f| f.to_string())
        .collect();
    assert!(bad.is_empty(), "the bundled set is not current on {as_of}:\n  {}", bad.join("\n  "));
    // Policies whose end date could not be found in any source: neither an end date nor
    // a declared open end is invented for them, so lint keeps warning (open-ended-old).
    const END_UNKNOWN: &[&str] = &[];
    // No other warning of any kind on the bundled set.
    for f in lint_at(&e, None, Some(as_of)) {
        if f.level == Level::Warning {
            assert!(f.code == "open-ended-old" && f.policy.as_deref().is_some_and(|p| END_UNKNOWN.contains(&p)), "{f}");
        }
    }
    for p in &e.policy_set().policies {
        assert!(p.doc.reviewed_on.is_some(), "{} has no reviewed_on", p.doc.id);
        assert!(p.doc.verified.is_some(), "{} does not say whether it was verified", p.doc.id);
        assert!(
            p.doc.effective_to.is_some() || p.doc.open_ended || END_UNKNOWN.contains(&p.doc.id.as_str()),
            "{} has neither effective_to nor open_ended",
            p.doc.id
        );
        assert!(!p.doc.source.document.is_empty(), "{} has no source", p.doc.id);
    }
}

#[test]
fn bundled_policies_are_matched_exactly_inside_their_dates() {
    // Dates at the edges of every bundled policy: the first and last day are in, the days
    // either side are out, and a superseded version stops the day its successor starts.
    let e = Engine::embedded().unwrap();
    let set = e.policy_set();
    for (i, p) in set.policies.iter().enumerate() {
        let id = &p.doc.id;
        if let Some(f) = p.doc.effective_from {
            assert!(!e.version_in_force(i, f.add_days(-1).unwrap()), "{id} is matched the day before {f}");
            assert!(e.version_in_force(i, f), "{id} is not matched on its first day {f}");
        }
        if let Some(t) = p.doc.effective_to {
            assert!(!e.version_in_force(i, t.add_days(1).unwrap()), "{id} is matched the day after {t}");
            let next_starts = p.doc.superseded_by.as_deref().and_then(|s| set.policy(s)).and_then(|q| q.doc.effective_from);
            if next_starts.is_none_or(|n| n > t) && p.doc.effective_from.is_none_or(|f| f <= t) {
                assert!(e.version_in_force(i, t), "{id} is not matched on its last day {t}");
            }
        }
        if let Some(q) = p.doc.superseded_by.as_deref().and_then(|s| set.policy(s)) {
            let n = q.doc.effective_from.expect("a successor says when it takes effect");
            assert!(!e.version_in_force(i, n), "{id} is still matched when {} takes effect on {n}", q.doc.id);
            assert_eq!(p.doc.effective_to, n.add_days(-1), "{id} should end the day before {} starts", q.doc.id);
        }
    }
}

#[test]
fn the_published_list_shows_versions_in_force_and_verified_status() {
    let e = Engine::embedded().unwrap();
    let all = huiqi::catalog::list(&e, None, &[]);
    assert_eq!(all.len(), e.policy_set().policies.len());
    let on = huiqi::catalog::list(&e, Some(d("2026-06-30")), &[]);
    let ids: Vec<&str> = on.iter().map(|r| r.id.as_str()).collect();
    // The 2026 tiers replace the 2022 ones from 2026-04-01; the 2025 employment versions ended.
    assert!(ids.contains(&"little-giant-2026") && !ids.contains(&"little-giant"), "{ids:?}");
    assert!(ids.contains(&"ui-job-stabilization-refund-2026") && !ids.contains(&"ui-job-stabilization-refund-2025"));
    let before = huiqi::catalog::list(&e, Some(d("2026-03-31")), &[]);
    assert!(before.iter().any(|r| r.id == "little-giant") && !before.iter().any(|r| r.id == "little-giant-2026"));
    // Tags filter; every row says whether it was verified and carries its source.
    let jobs = huiqi::catalog::list(&e, Some(d("2026-06-30")), &["稳岗".to_string()]);
    assert!(!jobs.is_empty() && jobs.iter().all(|r| r.tags.iter().any(|t| t == "稳岗")));
    assert!(on.iter().all(|r| r.verified.is_some() && !r.source.is_empty()));
    let md = huiqi::catalog::to_markdown(&jobs, &["稳岗".to_string()]);
    assert!(md.starts_with("## 政策包：稳岗") && md.contains("未完全核实"), "{md}");
    let csv = huiqi::catalog::to_csv(&on);
    assert_eq!(csv.lines().count(), on.len() + 1);
    assert!(csv.lines().next().unwrap().starts_with("id,title,issuer,doc_no"));
}

#[test]
fn every_bundled_policy_has_cases() {
    // Each bundled policy carries its boundary cases (its `tests`, run by `huiqi test`, the
    // `test` operation and every binding's suite; core/tests/oracle/cases.rs checks what
    // they cover), so CI runs every policy's cases.
    let e = Engine::embedded().unwrap();
    let missing: Vec<&str> = e.policy_set().policies.iter().filter(|p| p.doc.tests.is_empty()).map(|p| p.doc.id.as_str()).collect();
    assert!(missing.is_empty(), "bundled policies without test cases: {missing:?}");
}

/// A policy not matched on the date is counted in the summary's `not_in_force`, and
/// `explain` says why: not yet in force, ended, or superseded by the version in force.
#[test]
fn policies_out_of_force_are_counted_and_explained() {
    let mut old = policy("old");
    old["effective_to"] = json!("2025-12-31");
    old["superseded_by"] = json!("new");
    let mut new = policy("new");
    new["effective_from"] = json!("2026-01-01");
    let mut later = policy("later");
    later["effective_from"] = json!("2027-01-01");
    let mut replaced = policy("replaced");
    replaced["superseded_by"] = json!("new"); // still within its own window
    let e = compile(vec![policy("now"), old, new, later, replaced]).unwrap();
    let profile = e.profile_from_json(r#"{"is_legal_person": true}"#).unwrap();
    let s = huiqi::ops::answers::summary_of(&e, &profile, d("2026-06-30"));
    assert_eq!((s.eligible, s.ineligible, s.not_in_force), (2, 0, 3), "{s:?}");
    let reason = |id: &str| e.explain(&profile, id, d("2026-06-30")).unwrap().not_in_force.map(|n| (n.reason, n.superseded_by));
    assert_eq!(reason("now"), None);
    assert_eq!(reason("new"), None);
    assert_eq!(reason("old"), Some(("ended", None)));
    assert_eq!(reason("later"), Some(("not_yet", None)));
    assert_eq!(reason("replaced"), Some(("superseded", Some("new".to_string()))));
    // Before the new version takes effect, the one it replaces is in force.
    assert_eq!(e.explain(&profile, "replaced", d("2025-06-30")).unwrap().not_in_force, None);
    let matched = huiqi::ops::match_json(&e, r#"{"is_legal_person": true}"#, "2026-06-30");
    assert!(matched.contains(r#""not_in_force":3"#), "{matched}");
}
