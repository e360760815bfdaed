//! `--codes DIR`: `huiqi compile` checks a set against the tables given, as `huiqi check`
//! does, and a hostile table is refused by name on every command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs huiqi; returns stdout, stderr and the exit code.
fn huiqi(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi")).args(args).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap_or(-1))
}

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-codes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A policy on a platform-local zone the bundled zone table does not have.
const POLICY: &str = r#"{"id": "zone-test", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "district",
  "condition": "registered_zone under test_zone", "benefit": {"kind": "none", "description": "t"}, "source": {"document": "d"}}"#;

/// A zone table (synthetic), with a byte-order mark as some editors write it.
const ZONES: &str = "\u{feff}{\"system\": \"zone\", \"standard\": \"test zones (synthetic)\", \"nodes\": [{\"code\": \"test_zone\", \"name\": \"test zone\"}]}";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Before: `compile` read the bundled tables whatever `--codes` said, so it refused a set
/// that `check --codes DIR` accepted.
#[test]
fn compile_honours_codes() {
    let dir = folder("compile");
    let (policy, codes, out) = (dir.join("zone-test.json"), dir.join("codes"), dir.join("set.hqset"));
    std::fs::write(&policy, POLICY).unwrap();
    std::fs::create_dir_all(&codes).unwrap();
    std::fs::write(codes.join("zones.json"), ZONES).unwrap();

    let (stdout, stderr, code) = huiqi(&["check", "--policies", s(&policy), "--codes", s(&codes)]);
    assert_eq!(code, 0, "check --codes: {stdout}{stderr}");

    let (stdout, stderr, code) = huiqi(&["compile", "--policies", s(&policy), "--codes", s(&codes), "--out", s(&out)]);
    assert_eq!(code, 0, "compile --codes: {stdout}{stderr}");
    assert!(stdout.contains("saved 1 policies") && stdout.contains("load it with --codes"), "{stdout}");
    assert!(out.is_file());

    // The saved set does not carry the tables: it loads with them, and without them it is
    // checked against the bundled zones, which do not have test_zone.
    let (stdout, stderr, code) = huiqi(&["check", "--policies", s(&out), "--codes", s(&codes)]);
    assert_eq!(code, 0, "saved set with --codes: {stdout}{stderr}");
    let (stdout, _, code) = huiqi(&["check", "--policies", s(&out)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("test_zone"), "{stdout}");

    // Without --codes, compile refuses the set as check does, and writes nothing.
    let refused = dir.join("refused.hqset");
    let (stdout, _, code) = huiqi(&["compile", "--policies", s(&policy), "--out", s(&refused)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("zone code \"test_zone\" is not in the code table"), "{stdout}");
    assert!(!refused.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A hostile table stops check and compile alike with the file, the code and the problem.
#[test]
fn a_hostile_table_is_refused_by_check_and_compile() {
    let dir = folder("hostile");
    let (policy, codes, out) = (dir.join("zone-test.json"), dir.join("codes"), dir.join("set.hqset"));
    std::fs::write(&policy, POLICY).unwrap();
    std::fs::create_dir_all(&codes).unwrap();
    let cycle = r#"{"system": "zone", "nodes": [{"code": "test_zone", "name": "t", "parent": "b"}, {"code": "b", "name": "b", "parent": "test_zone"}]}"#;
    std::fs::write(codes.join("zones.json"), cycle).unwrap();
    for args in [
        vec!["check", "--policies", s(&policy), "--codes", s(&codes)],
        vec!["compile", "--policies", s(&policy), "--codes", s(&codes), "--out", s(&out)],
    ] {
        let (_, stderr, code) = huiqi(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("--codes: code table") && stderr.contains("zones.json") && stderr.contains("cycle"), "{args:?}: {stderr}");
    }
    assert!(!out.exists());
    // A table for a system the schema does not know is refused, not silently unused.
    std::fs::write(codes.join("zones.json"), ZONES.replace("\"zone\"", "\"zones\"")).unwrap();
    let (_, stderr, code) = huiqi(&["compile", "--policies", s(&policy), "--codes", s(&codes), "--out", s(&out)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("zones.json") && stderr.contains("did you mean \"zone\"?"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
