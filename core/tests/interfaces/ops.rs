//! The operation layer's conformance cases (data/cases/ops/cases.json): every operation,
//! through `huiqi::ops::call`, against the envelopes recorded in data/cases/ops/expected/.
//! The CLI (`huiqi call`), C and Python (`huiqi_call`, `Engine.call_json`) and WASM
//! (`Engine.call`) run the same cases against the same files, so the five give the same
//! bytes. `HUIQI_BLESS=1 cargo test -p huiqi --test interfaces ops::` records the envelopes anew
//! (review the diff: it is the change every binding will show).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::PathBuf;
use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::ops::{self, OpenStore};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    op: String,
    #[serde(default)]
    store: bool,
    request: serde_json::Value,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("data/cases/ops/cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_case_gives_the_recorded_envelope() {
    let engine = Arc::new(Engine::embedded().unwrap());
    let store = OpenStore::load(&engine, root().join("data/enterprises").to_str().unwrap()).unwrap();
    let bless = std::env::var_os("HUIQI_BLESS").is_some();
    let cases = cases();
    let mut differ = Vec::new();
    for c in &cases {
        let got = ops::call(&engine, c.store.then_some(&store), &c.op, &c.request.to_string());
        let path = root().join(format!("data/cases/ops/expected/{}.json", c.name));
        if bless {
            std::fs::write(&path, format!("{got}\n")).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want.trim_end() != got {
            differ.push(c.name.clone());
        }
    }
    assert!(differ.is_empty(), "envelopes differ from data/cases/ops/expected/ for {differ:?} (HUIQI_BLESS=1 records them)");
    // Every operation has a case, and the recorded files are exactly the cases'.
    for op in ops::OPERATIONS.iter().filter(|o| o.name != "prepare") {
        assert!(cases.iter().any(|c| c.op == op.name), "no case for {}", op.name);
    }
    let mut files: Vec<String> = std::fs::read_dir(root().join("data/cases/ops/expected"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".json").to_string())
        .collect();
    files.sort();
    let mut names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    names.sort();
    assert_eq!(files, names);
}

#[test]
fn prepare_keeps_the_sets_for_the_next_question() {
    let engine = Arc::new(Engine::embedded().unwrap());
    let store = OpenStore::load(&engine, root().join("data/enterprises").to_str().unwrap()).unwrap();
    let got: serde_json::Value = serde_json::from_str(&ops::call(&engine, Some(&store), "prepare", r#"{"as_of": "2026-06-30"}"#)).unwrap();
    assert_eq!(got["result"]["enterprises"], 15);
    assert_eq!(got["result"]["as_of"], "2026-06-30");
    let bad = ops::call(&engine, Some(&store), "prepare", r#"{"as_of": "2026-13-01"}"#);
    assert!(bad.contains(r#""path":"as_of""#), "{bad}");
}

/// A load that keeps no row, or skips most of them, is an error: a pretty-printed profile
/// read as JSON lines used to give "loaded 0 enterprises" and a success.
#[test]
fn a_load_that_keeps_nothing_is_an_error() {
    let engine = Engine::embedded().unwrap();
    let pretty = root().join("data/enterprises/01-quanzhi-software.json");
    let e = OpenStore::load(&engine, pretty.to_str().unwrap()).unwrap_err();
    assert_eq!(e[0].kind, ops::ErrorKind::Store);
    assert!(e[0].message.contains("kept no enterprise") && e[0].message.contains("--profile"), "{}", e[0].message);
    let dir = std::env::temp_dir().join(format!("huiqi-ops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mostly_bad = dir.join("m.jsonl");
    std::fs::write(&mostly_bad, "{\"name\": \"a\"}\nnot json\n{\"registered_capital\": \"lots\"}\n").unwrap();
    let e = OpenStore::load(&engine, mostly_bad.to_str().unwrap()).unwrap_err();
    assert!(e[0].message.contains("skipped 2 bad row(s) and kept only 1"), "{}", e[0].message);
    let half = dir.join("h.jsonl");
    std::fs::write(&half, "{\"name\": \"a\"}\nnot json\n").unwrap();
    assert_eq!(OpenStore::load(&engine, half.to_str().unwrap()).unwrap().report.skipped, 1);
    std::fs::remove_dir_all(dir).unwrap();
}
