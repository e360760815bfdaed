//! `huiqi test`: the bundled policies' cases pass, the JSON form is the `test` operation's
//! envelope, a failing case is reported with what differed and the explanation (exit 1),
//! and bad input is exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `huiqi` in `dir`: stdout, stderr, exit code.
fn huiqi_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi")).args(args).current_dir(dir).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap_or(-1))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("huiqi-test-command-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    dir
}

const POLICY: &str = r#"{"policies": [{"id": "capital", "title": "注册资本奖励", "issuer": "i", "doc_no": "d", "year": 2024,
  "level": "district", "condition": "registered_capital >= 100万", "benefit": {"kind": "fixed", "amount": "3000元"},
  "source": {"document": "x"}, "tests": TESTS}]}"#;

fn policy_folder(name: &str, tests: &str) -> PathBuf {
    let dir = tempdir(name);
    std::fs::write(dir.join("policies/capital.json"), POLICY.replace("TESTS", tests)).unwrap();
    dir
}

#[test]
fn the_bundled_cases_pass() {
    let (out, err, code) = huiqi_in(&root(), &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    let summary = out.lines().last().unwrap();
    assert!(summary.contains("未通过 0") && summary.contains(" 0 failed"), "{summary}");
    assert!(out.contains("✔ 通过 pass"), "{out}");
    // The JSON form is the operation's envelope, byte for byte.
    let (json, _, code) = huiqi_in(&root(), &["test", "--policy", "hitech-certification", "--as-of", "2026-06-30", "--json"]);
    assert_eq!(code, 0);
    let want = std::fs::read_to_string(root().join("data/cases/ops/expected/test.json")).unwrap();
    assert_eq!(json, want);
}

#[test]
fn a_failing_case_says_what_differed_and_explains() {
    let dir = policy_folder(
        "fail",
        r#"[{"name": "100万 is enough", "as_of": "2026-06-30", "profile": {"registered_capital": 100}, "verdict": "eligible", "benefit_yuan": "3000"},
            {"name": "from a file", "as_of": "2026-06-30", "profile_file": "../p.json", "verdict": "eligible", "benefit_yuan": "2000", "messages": ["不存在的说明"]},
            {"name": "known", "as_of": "2026-06-30", "profile": {"registered_capital": 99}, "verdict": "eligible", "known_issue": "the text says 99万"}]"#,
    );
    std::fs::write(dir.join("p.json"), r#"{"registered_capital": "150万元"}"#).unwrap();
    let (out, err, code) = huiqi_in(&dir, &["test", "--policies", "policies"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("✔ 通过 pass   100万 is enough @ 2026-06-30"), "{out}");
    assert!(out.contains("✘ 未通过 FAIL from a file"), "{out}");
    assert!(out.contains("政策红利 benefit: 期望 expected 2000 元，实际 got 3000 元"), "{out}");
    assert!(out.contains("说明中未见 no message contains: \"不存在的说明\""), "{out}");
    assert!(
        out.contains("说明 explanation:") && out.contains("注册资本 150万元") && out.contains("registered_capital is 150万元"),
        "{out}"
    );
    assert!(out.contains("! 已知问题 known issue known") && out.contains("the text says 99万"), "{out}");
    assert!(out.lines().last().unwrap().contains("3 case(s) in 1 policy of policies: 1 passed, 1 failed, 1 known issue(s)"), "{out}");
    let (json, _, code) = huiqi_in(&dir, &["test", "--policies", "policies", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["result"]["failed"], 1);
    assert_eq!(v["result"]["policies"][0]["results"][1]["differs"], serde_json::json!(["benefit_yuan", "messages"]));
    // Only the known issue: it does not fail the run.
    let dir = policy_folder(
        "known",
        r#"[{"name": "known", "as_of": "2026-06-30", "profile": {"registered_capital": 99}, "verdict": "eligible", "known_issue": "the text says 99万"}]"#,
    );
    let (out, _, code) = huiqi_in(&dir, &["test", "--policies", "policies"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_case_without_a_date_takes_the_runs() {
    let dir = policy_folder(
        "date",
        r#"[{"name": "undated", "profile": {"registered_capital": 100, "registration_date": "2020-01-01"}, "verdict": "eligible"}]"#,
    );
    let (out, _, code) = huiqi_in(&dir, &["test", "--policies", "policies", "--as-of", "2025-01-01"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("undated @ 2025-01-01"), "{out}");
}

#[test]
fn bad_input_is_exit_2() {
    let (_, err, code) = huiqi_in(&root(), &["test", "--policy", "hitech-certifcation"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown policy") && err.contains("hitech-certification"), "{err}");
    let (json, _, code) = huiqi_in(&root(), &["test", "--policy", "nope", "--json"]);
    assert_eq!(code, 2);
    assert!(json.starts_with(r#"{"type":"failure""#), "{json}");
    let (_, err, code) = huiqi_in(&root(), &["test", "--as-of", "2026-02-30"]);
    assert_eq!(code, 2, "{err}");
    // An unknown key of a case is refused where it is, like any other policy key.
    let dir = policy_folder("key", r#"[{"name": "a", "as_of": "2026-06-30", "profile": {}, "verdcit": "eligible"}]"#);
    let (_, err, code) = huiqi_in(&dir, &["test", "--policies", "policies"]);
    assert_eq!(code, 2);
    assert!(err.contains("tests[0].verdcit") && err.contains("did you mean \"verdict\"?"), "{err}");
}
