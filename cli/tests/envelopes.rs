//! The CLI's JSON output against the operation layer's recorded envelopes
//! (data/cases/ops/expected/): `huiqi call OP` for every case, and the commands with a
//! `--json` form (match, explain, lint, reverse, policies, schema) where they answer the
//! same question. The bytes must be those of the C ABI, Python and WASM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn huiqi(args: &[&str], stdin: Option<&str>) -> (String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap_or(-1))
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("data/cases/ops/expected/{name}.json"))).unwrap()
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    op: String,
    #[serde(default)]
    store: bool,
    request: serde_json::Value,
}

#[test]
fn call_gives_the_recorded_envelopes() {
    let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(root().join("data/cases/ops/cases.json")).unwrap()).unwrap();
    for c in cases {
        let mut args = vec!["call", c.op.as_str(), "-"];
        if c.store {
            args.extend(["--enterprises", "data/enterprises"]);
        }
        let (out, code) = huiqi(&args, Some(&c.request.to_string()));
        assert_eq!(out, expected(&c.name), "huiqi call {} ({})", c.op, c.name);
        assert_eq!(code, i32::from(out.starts_with(r#"{"type":"failure""#)), "exit code of {}", c.name);
    }
}

#[test]
fn the_json_forms_of_the_commands_are_the_same_envelopes() {
    let profile = "data/enterprises/01-quanzhi-software.json";
    let at = ["--as-of", "2026-06-30", "--json"];
    let with = |first: &[&str]| -> String { huiqi(&[first, &at[..]].concat(), None).0 };
    assert_eq!(with(&["match", "--profile", profile]), expected("match-full"));
    assert_eq!(with(&["explain", "--profile", profile, "--policy", "hitech-certification"]), expected("explain"));
    assert_eq!(with(&["lint"]), expected("lint"));
    assert_eq!(with(&["lint", "--enterprises", "data/enterprises"]), expected("lint-reach"));
    assert_eq!(
        with(&["reverse", "--policy", "small-low-profit-eit", "--list", "5", "--enterprises", "data/enterprises"]),
        expected("reverse")
    );
    assert_eq!(huiqi(&["policies", "--format", "json", "--as-of", "2026-06-30", "--tag", "科创"], None).0, expected("policies"));
    assert_eq!(huiqi(&["schema", "--json"], None).0, expected("schema"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .args(["policies", "--format", "csv"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `huiqi call --json-schema` is docs/operations.schema.json: the checked-in schema is the one
/// generated from the Rust types (`HUIQI_BLESS=1` writes it anew). Every operation of
/// `huiqi call --list` has a request and a response in it.
#[test]
fn the_checked_in_operation_schema_is_generated() {
    let (out, code) = huiqi(&["call", "--json-schema"], None);
    assert_eq!(code, 0, "{out}");
    let path = root().join("docs/operations.schema.json");
    if std::env::var_os("HUIQI_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (list, _) = huiqi(&["call", "--list"], None);
    for line in list.lines() {
        let op = line.split_whitespace().next().unwrap();
        for part in ["request", "response"] {
            let r = doc["operations"][op][part]["$ref"].as_str().unwrap_or_else(|| panic!("{op}.{part} is not a $ref"));
            let name = r.trim_start_matches("#/$defs/");
            assert!(doc["$defs"][name].is_object(), "{op}.{part}: {name} is not defined");
        }
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == out,
        "docs/operations.schema.json differs from `huiqi call --json-schema`: the Rust types changed; \
         HUIQI_BLESS=1 cargo test -p huiqi-cli --test envelopes records it, and scripts/test-wasm regenerates the TypeScript types"
    );
}
