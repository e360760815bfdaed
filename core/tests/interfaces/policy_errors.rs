//! Bad policy texts get clear errors with positions, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::policy::{PolicyProblem, PolicySet};
use huiqi::schema::Schema;
use serde_json::json;

fn compile(files: Vec<serde_json::Value>) -> Result<PolicySet, Vec<PolicyProblem>> {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let sources: Vec<(String, String)> = files.iter().enumerate().map(|(i, f)| (format!("f{i}.json"), f.to_string())).collect();
    PolicySet::compile(schema, &sources).map_err(|e| e.0)
}

use crate::common::policy;

/// Problems of one policy compiled together with the bundled set (so `eligible(…)` can
/// refer to real policies).
fn problems(condition: &str) -> Vec<PolicyProblem> {
    let mut files: Vec<serde_json::Value> =
        huiqi::policy::EMBEDDED_POLICIES.iter().map(|(_, t)| serde_json::from_str(t).expect("bundled JSON")).collect();
    files.push(json!({"policies": [policy("p", condition)]}));
    compile(files).expect_err(condition)
}

/// The single problem of a condition: (line, column, message, hint).
fn one(condition: &str) -> (usize, usize, String, String) {
    let ps = problems(condition);
    assert_eq!(ps.len(), 1, "{condition}: {ps:#?}");
    let p = &ps[0];
    let (line, column) = p.in_text.unwrap_or_default();
    (line, column, p.message.clone(), p.hint.clone().unwrap_or_default())
}

#[test]
fn bad_condition_texts() {
    let long_regex = "business_scope matches /((\\w{100}){100}){10}/".to_string();
    let deep = format!("{}registered_capital >= 1万{}", "(".repeat(100), ")".repeat(100));
    let cases: Vec<(String, usize, usize, &str, &str)> = vec![
        ("registered_captial >= 500万".into(), 1, 1, "unknown name `registered_captial`", "did you mean `registered_capital`?"),
        ("注册资金 >= 500万".into(), 1, 1, "unknown name `注册资金`", "did you mean `注册资本`?"),
        (
            "registered_capital >= 500".into(),
            1,
            23,
            "`500` has no unit, but it is compared with money",
            "write 500万 (万元), 500元 or 500亿",
        ),
        (
            "registered_capital >= 500美元".into(),
            1,
            26,
            "unknown unit `美元`",
            "units are 元 万 万元 亿 亿元 % 人 件 个 项 年 月, and y m d for durations",
        ),
        (
            "registered_capital >= 50人".into(),
            1,
            1,
            "unit or type mismatch: a number (money) compared with a number (persons)",
            "money is compared with money literals such as 500万 or 300万元",
        ),
        (
            "operating_revenue >= 1000万".into(),
            1,
            1,
            "`operating_revenue` is a per-year field and needs a year",
            "write operating_revenue@fy1 (last complete year), operating_revenue@fy2, or operating_revenue@2024",
        ),
        (
            "tax_credit@fy1 >= B".into(),
            1,
            1,
            "tax_credit is not ordered, so `>=` is meaningless",
            "list the values you accept: tax_credit in [A, B]",
        ),
        (
            "tax_credit@fy1 in [A, E]".into(),
            1,
            23,
            "`E` is not a value of tax_credit",
            "values: A (A级), B (B级), M (M级), C (C级), D (D级)",
        ),
        ("name = \"abc".into(), 1, 8, "unterminated text", "close it with \""),
        ("1 < employees@fy1 < 10".into(), 1, 19, "comparisons cannot be chained", "write `a <= x and x <= b`, or `x between [a, b]`"),
        (
            "registered_capital >= 500万 AND employees@fy1 > 3".into(),
            1,
            28,
            "expected an operator or the end of the condition, found `AND`",
            "keywords are lowercase: `and`, `or`",
        ),
        ("has(高新企业)".into(), 1, 5, "unknown qualification `高新企业`", "did you mean `高新技术企业`?"),
        ("eligible(hitech-certificaton)".into(), 1, 10, "unknown policy `hitech-certificaton`", "did you mean `hitech-certification`?"),
        (
            "employees@fy1 between 1, 5".into(),
            1,
            23,
            "expected `[` or `(` (the bracket says whether the bound is included), found number `1`",
            "write `x between [a, b)`: [ ] include the bound, ( ) exclude it",
        ),
        ("name@fy1 = \"x\"".into(), 1, 1, "`name` is not a per-year field; drop the `@`", ""),
        (
            "cagr(operating_revenue@fy1..fy3) + 1 > 0".into(),
            1,
            1,
            "cagr(…) can only be compared (so that it stays exact)",
            "cagr(operating_revenue@fy1..fy4) >= 20%",
        ),
        ("at_least(4, [is_legal_person, known(name)])".into(), 1, 1, "at_least(4, …) over 2 conditions can never hold", ""),
        (
            "registered_capital".into(),
            1,
            1,
            "a condition must be true or false, but this is a number (money)",
            "compare it with something, e.g. `x >= 500万`",
        ),
        ("business_scope matches /([a-z]+/".into(), 1, 1, "invalid regular expression: found open group without closing ')'", ""),
        ("business_scope matches /\\p{Han}+/".into(), 1, 1, "invalid regular expression: Unicode character classes are not supported", ""),
        (long_regex, 1, 1, "regular expression is too large (over 1024 KiB compiled)", "use contains_any with a list of words"),
        (
            "registration_date < 2025/06/30".into(),
            1,
            21,
            "`2025/06/30` is not a date: dates are written YYYY-MM-DD",
            "write the year in four digits and the month and day in two, e.g. 2025-06-30",
        ),
        (
            "registration_date >= 2025-6-30".into(),
            1,
            22,
            "`2025-6-30` is not a date: dates are written YYYY-MM-DD",
            "write the year in four digits and the month and day in two, e.g. 2025-06-30",
        ),
        (
            "(registered_capital >= 500万 and (employees@fy1 > 3人 or is_legal_person)".into(),
            1,
            1,
            "this `(` is never closed",
            "add the matching `)` (the text ended while it was open)",
        ),
        ("industry under [C39, C40".into(), 1, 16, "this `[` is never closed", "add the matching `]` (the text ended while it was open)"),
        (
            "max(registered_capital, 1万 >= 3万".into(),
            1,
            4,
            "this `(` is never closed",
            "add the matching `)` (the text ended while it was open)",
        ),
        (deep, 1, 41, "expression nested more than 40 levels deep", "this is a limit (docs/limits.md); split it into named definitions"),
        ("registered_capital >= 99999999999999999999999999999999万".into(), 1, 23, "number has 32 digits; at most 28 are supported", ""),
        (
            "registration_date <= as_of - registration_date".into(),
            1,
            30,
            "a date can only be shifted by a duration literal",
            "for the time between two dates use days_since(…) or full_years_since(…)",
        ),
        ("industry under [C16, X99]".into(), 1, 22, "industry code \"X99\" is malformed: division 99 belongs to no section", ""),
        ("industry under [C16, F".into(), 1, 16, "this `[` is never closed", "add the matching `]` (the text ended while it was open)"),
        ("growh(operating_revenue@fy1) > 10%".into(), 1, 1, "unknown function `growh`", "did you mean `growth`?"),
        ("employees@fy1 * registered_capital > 1万".into(), 1, 1, "cannot multiply persons by money", ""),
        (
            "size_class <= mediun".into(),
            1,
            15,
            "`mediun` is not a value of size_class",
            "did you mean `medium`? values: micro (微型), small (小型), medium (中型), large (大型)",
        ),
    ];
    assert!(cases.len() >= 20);
    for (text, line, col, message, hint) in cases {
        let (l, c, m, h) = one(&text);
        let shown: String = text.chars().take(60).collect();
        assert_eq!((l, c, m.as_str(), h.as_str()), (line, col, message, hint), "condition: {shown}");
    }
}

#[test]
fn several_errors_in_one_text_are_all_reported() {
    let ps = problems("registered_captial >= 500万 and tax_credit@fy1 >= B and has(高新企业)");
    assert_eq!(ps.len(), 3, "{ps:#?}");
    let cols: Vec<usize> = ps.iter().filter_map(|p| p.in_text.map(|(_, c)| c)).collect();
    assert_eq!(cols, vec![1, 32, 60]);
}

#[test]
fn errors_render_with_a_caret_under_the_mistake() {
    let ps = problems("注册资本 >= 500美元");
    let r = ps[0].rendered.clone().expect("rendered");
    assert!(r.contains("error: unknown unit `美元`"), "{r}");
    assert!(r.contains(&format!("| {}^^^^", " ".repeat(15))), "{r}");
    assert!(r.contains("= hint: units are"), "{r}");
}

#[test]
fn multi_line_conditions_report_the_line() {
    let ps = problems("is_legal_person\nand registered_capital >= 5OO万");
    assert_eq!(ps[0].in_text, Some((2, 28)), "{ps:#?}");
    // In the file (one line, as json! writes it), the column counts from the line's start:
    // past `"condition":"is_legal_person\nand registered_capital >= ` (the \n is two characters).
    let file = json!({"policies": [policy("p", "is_legal_person\nand registered_capital >= 5OO万")]}).to_string();
    let before = file.find("OO万").unwrap(); // the error is at `OO万`, after the digit
    assert_eq!((ps[0].line, ps[0].column), (Some(1), Some(file[..before].chars().count() + 1)), "{ps:#?}");
}

#[test]
fn definition_cycles_are_named() {
    let ps = compile(vec![json!({"definitions": {"a": "b and is_legal_person", "b": "c", "c": "a"}, "policies": [policy("p", "a")]})])
        .expect_err("cycle");
    let m: Vec<&str> = ps.iter().map(|p| p.message.as_str()).collect();
    assert!(
        m.iter().any(|m| m.starts_with("definitions form a cycle: ") && m.contains('a') && m.contains('b') && m.contains('c')),
        "{m:?}"
    );
    let cycle = m.iter().find(|m| m.contains("cycle")).expect("cycle message");
    let path: Vec<&str> = cycle.trim_start_matches("definitions form a cycle: ").split(" → ").collect();
    assert_eq!(path.len(), 4, "a cycle of three names returns to its start: {cycle}");
    assert_eq!(path.first(), path.last());
}

#[test]
fn eligible_cycles_are_named() {
    let ps = compile(vec![json!({"policies": [policy("p1", "eligible(p2)"), policy("p2", "is_legal_person and eligible(p1)")]})])
        .expect_err("cycle");
    assert!(
        ps.iter().any(|p| p.message.starts_with("policies depend on each other in a cycle: ")
            && p.message.contains("p1")
            && p.message.contains("p2")),
        "{ps:#?}"
    );
}

#[test]
fn metadata_problems() {
    let mut bad = policy("Bad_Id", "is_legal_person");
    bad["year"] = json!(1800);
    bad["requires"] = json!(["hitech-certificaton"]);
    let ps = compile(vec![json!({"policies": [bad, policy("dup", "true"), policy("dup", "true")]})]).expect_err("bad metadata");
    let msgs: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
    assert!(msgs.iter().any(|m| m.contains("policy id \"Bad_Id\" must be lowercase")), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("year 1800 is not plausible")), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("policy id \"dup\" is used twice")), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("unknown policy \"hitech-certificaton\"")), "{msgs:#?}");
}

#[test]
fn not_json_and_unknown_keys() {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let e = PolicySet::compile(schema.clone(), &[("x.json".into(), "{".into())]).expect_err("json");
    assert!(e.0[0].message.starts_with("not valid JSON"));
    let mut p = policy("p", "true");
    p["conditon"] = json!("x");
    let e = PolicySet::compile(schema, &[("x.json".into(), json!({"policies": [p]}).to_string())]).expect_err("unknown key");
    assert_eq!(e.0[0].message, "unknown key \"conditon\"");
    assert_eq!(e.0[0].hint.as_deref(), Some("did you mean \"condition\"?"));
}

#[test]
fn bundled_policies_compile_cleanly() {
    let set = PolicySet::embedded().expect("bundled set compiles");
    assert!(set.policies.len() >= 12);
    for p in &set.policies {
        assert!(!p.doc.doc_no.is_empty() && !p.doc.issuer.is_empty() && p.doc.year > 1990, "{} cites its source", p.doc.id);
    }
}

/// Quantifiers over records: names, types and units are checked inside the record's
/// condition, with positions and did-you-mean, like anywhere else.
#[test]
fn record_quantifier_errors() {
    let cases: Vec<(&str, usize, &str, &str)> = vec![
        // A misspelt record field suggests the record's own field.
        ("any(asset_purchases, unit_valeu > 500万)", 22, "unknown name `unit_valeu`", "did you mean `unit_value`?"),
        // The list itself is not a value.
        ("asset_purchases = 3", 1, "`asset_purchases` is a list of records, not a value", "any(asset_purchases, …)"),
        // The first argument must be a records field; a near miss is suggested.
        ("any(asset_purchase, unit_value > 5万)", 5, "`any` takes a records field first", "did you mean `asset_purchases`?"),
        // Units inside the record: money with a bare number.
        ("any(loans, amount > 500)", 21, "`500` has no unit, but it is compared with money", "write 500万"),
        // A count of people is not money.
        ("count(hires) >= 3万", 1, "a number (persons) compared with a number (money)", ""),
        // Quantifiers do not nest.
        ("any(hires, any(loans, amount > 1万))", 12, "cannot be nested", ""),
        ("all_years(fy1..fy2, any(hires, contract_months >= 12月))", 21, "cannot be nested", ""),
        // `sum` adds numbers.
        ("sum(hires, group) >= 1", 12, "`sum` over records adds numbers", "sum(loans, amount)"),
        // `any` needs a condition.
        ("any(hires)", 1, "`any` takes 2 argument(s), found 1", "usage: any(equipment_purchases"),
        // A record field outside a quantifier is not a profile field.
        ("unit_value > 500万", 1, "unknown name `unit_value`", ""),
    ];
    for (cond, col, msg, hint) in cases {
        let ps = problems(cond);
        assert_eq!(ps.len(), 1, "{cond}: {ps:#?}");
        let p = &ps[0];
        assert_eq!(p.in_text.map(|(_, c)| c), Some(col), "{cond}: {p:?}");
        assert!(p.message.contains(msg), "{cond}: {p:?}");
        assert!(p.hint.clone().unwrap_or_default().contains(hint), "{cond}: {p:?}");
    }
}

/// Two versions that supersede each other would both vanish from every match: the cycle
/// is a check error naming it (it passed `check` before).
#[test]
fn a_superseded_by_cycle_is_an_error() {
    let mut a = policy("ver-a", "is_legal_person");
    a["superseded_by"] = json!("ver-b");
    let mut b = policy("ver-b", "is_legal_person");
    b["superseded_by"] = json!("ver-a");
    let mut c = policy("ver-c", "is_legal_person");
    c["superseded_by"] = json!("ver-a");
    let ps = compile(vec![json!({"policies": [a, b, c]})]).expect_err("cycle");
    let cycles: Vec<&PolicyProblem> = ps.iter().filter(|p| p.message.contains("superseded_by forms a cycle")).collect();
    assert_eq!(cycles.len(), 1, "{ps:#?}");
    assert!(cycles[0].message.contains("ver-a → ver-b → ver-a"), "{}", cycles[0].message);
    // A chain without a cycle is fine.
    let mut old = policy("old", "is_legal_person");
    old["superseded_by"] = json!("new");
    assert!(compile(vec![json!({"policies": [old, policy("new", "is_legal_person")]})]).is_ok());
}

/// `policy_from` / `policy_to` are the policy's own window: a date in its condition, an
/// error where the policy has no such date or outside a policy's condition.
#[test]
fn the_policy_window_names_its_dates() {
    let mut p = policy("w", "any(hires, hired_on >= policy_from and hired_on <= 政策截止日)");
    p["effective_from"] = json!("2026-01-01");
    p["effective_to"] = json!("2026-12-31");
    assert!(compile(vec![json!({"policies": [p]})]).is_ok());
    let mut open = policy("o", "any(hires, hired_on <= policy_to)");
    open["effective_from"] = json!("2026-01-01");
    let ps = compile(vec![json!({"policies": [open]})]).expect_err("no end");
    assert!(ps.iter().any(|x| x.message.contains("this policy has no effective_to")), "{ps:#?}");
    let ps = compile(vec![json!({"definitions": {"d": "registration_date >= policy_from"}, "policies": [policy("q", "d")]})])
        .expect_err("definition");
    assert!(ps.iter().any(|x| x.message.contains("only in a policy's condition")), "{ps:#?}");
}

/// Every misspelt key of a policy file is named (not only serde's first), with the
/// nearest key and the line it is on; nested `source` keys too.
#[test]
fn every_misspelt_key_is_named_with_the_nearest() {
    let mut p = policy("p", "is_legal_person");
    p["titel"] = json!("x");
    p["efective_from"] = json!("2024-01-01");
    p["source"]["artcle"] = json!("第一条");
    let text = serde_json::to_string_pretty(&json!({"policies": [p]})).unwrap();
    let schema = Arc::new(Schema::embedded().unwrap());
    let ps = PolicySet::compile(schema, &[("f.json".into(), text.clone())]).unwrap_err().0;
    let got: Vec<(String, String, Option<usize>)> =
        ps.iter().map(|p| (p.location.clone(), p.hint.clone().unwrap_or_default(), p.line)).collect();
    let line_of = |key: &str| text.lines().position(|l| l.contains(&format!("\"{key}\""))).map(|i| i + 1);
    assert_eq!(
        got,
        vec![
            ("efective_from".to_string(), "did you mean \"effective_from\"?".to_string(), line_of("efective_from")),
            ("titel".to_string(), "did you mean \"title\"?".to_string(), line_of("titel")),
            ("source.artcle".to_string(), "did you mean \"article\"?".to_string(), line_of("artcle")),
        ]
    );
    assert!(ps.iter().all(|p| p.policy.as_deref() == Some("p") && p.message.starts_with("unknown key")), "{ps:#?}");
}
