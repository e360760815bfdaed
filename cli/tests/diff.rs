//! `huiqi diff`: two versions of a policy set compared in words, and their reach over a
//! store of enterprises, from the command line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn huiqi(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi")).args(args).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap_or(-1))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A copy of the bundled policies with `from` replaced by `to` in small-low-profit.json.
fn draft(dir: &Path, from: &str, to: &str) -> PathBuf {
    let new = dir.join(format!("new-{}", to.len()));
    std::fs::create_dir_all(&new).unwrap();
    for f in std::fs::read_dir(root().join("data/policies")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|x| x == "json") {
            let mut text = std::fs::read_to_string(&f).unwrap();
            if f.file_name().unwrap() == "small-low-profit.json" {
                assert!(text.contains(from), "{from}");
                text = text.replacen(from, to, 1);
            }
            std::fs::write(new.join(f.file_name().unwrap()), text).unwrap();
        }
    }
    new
}

#[test]
fn a_moved_bound_is_said_in_words_and_counted_over_the_samples() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The policy's own condition (its JSON text has the line breaks as \n).
    let new = draft(&dir, "\\nand employees@fy1 <= 300人", "\\nand employees@fy1 <= 200人");
    let old = root().join("data/policies");
    let samples = root().join("data/enterprises");
    let (out, err, code) = huiqi(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("新增 0 · 删去 0 · 变更 1 · 未变 61"), "{out}");
    assert!(out.contains("条件 employees@fy1 <= 的界限由 300人 改为 200人"), "{out}");
    assert!(out.contains("condition employees@fy1 <=: the bound changed from 300人 to 200人"), "{out}");
    // Over the samples: the envelope, with counts that the match of each sample agrees with.
    let (json, err, code) = huiqi(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--enterprises",
        samples.to_str().unwrap(),
        "--as-of",
        "2026-06-30",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["type"], "success");
    let p = &v["result"]["policies"][0];
    assert_eq!(p["id"], "small-low-profit-eit");
    let eligible_under = |policies: &Path| -> u64 {
        let mut n = 0;
        for f in std::fs::read_dir(&samples).unwrap() {
            let f = f.unwrap().path();
            let (m, _, _) = huiqi(&[
                "explain",
                "--policies",
                policies.to_str().unwrap(),
                "--profile",
                f.to_str().unwrap(),
                "--policy",
                "small-low-profit-eit",
                "--as-of",
                "2026-06-30",
                "--json",
            ]);
            let m: serde_json::Value = serde_json::from_str(&m).unwrap();
            n += u64::from(m["result"]["policy"]["verdict"] == "eligible");
        }
        n
    };
    assert_eq!(p["reach"]["old"]["eligible"], eligible_under(&old));
    assert_eq!(p["reach"]["new"]["eligible"], eligible_under(&new));
    assert_eq!(v["result"]["enterprises"], 15);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_changed_definition_lists_the_policies_whose_reach_moved() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-diff-def-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The definition small_low_profit_size, which several policies use: a bound few samples meet.
    let new = draft(
        &dir,
        "taxable_income@fy1 <= 300万 and employees@fy1 <= 300人 and total_assets@fy1 <= 5000万",
        "taxable_income@fy1 <= 100亿 and employees@fy1 <= 100000人 and total_assets@fy1 <= 1000亿",
    );
    let old = root().join("data/policies");
    let (out, err, code) = huiqi(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("变更 0 · 未变 62"), "{out}");
    assert!(out.contains("定义 small_low_profit_size 由 taxable_income@fy1 <= 300万"), "{out}");
    assert!(out.contains("所用定义变更 (a definition it uses changed) rd-super-deduction-100pct"), "{out}");
    let samples = root().join("data/enterprises");
    let (json, err, code) = huiqi(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--enterprises",
        samples.to_str().unwrap(),
        "--as-of",
        "2026-06-30",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let listed = v["result"]["policies"].as_array().unwrap();
    // The policies that use the definition, in a condition or a benefit, each as a change
    // through a definition, with its reach.
    let ids: Vec<&str> = listed.iter().map(|p| p["id"].as_str().unwrap()).collect();
    // (small-low-profit-eit spells its bounds out instead of using the definition.)
    assert_eq!(ids, ["rd-super-deduction-100pct"]);
    for p in listed {
        assert_eq!(p["change"], "definition", "{p}");
    }
    // A looser size: for eligible samples that were not small and low-profit (nor 高新),
    // the R&D deduction's rate falls from 25% to 5%: eligibility stays, its benefit
    // estimate moves (down).
    let rd = &listed[0]["reach"];
    assert_eq!(rd["gained"], 0);
    assert!(rd["benefit"]["changed_yuan"].as_str().unwrap().starts_with('-'), "{rd}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_set_that_does_not_check_is_named_as_old_or_new() {
    let (_, err, code) = huiqi(&["diff", "/nonexistent/policies", root().join("data/policies").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/policies (old)"), "{err}");
}
