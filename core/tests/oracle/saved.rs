//! Saved policy sets: a set loaded from its saved form is the set its files compile to,
//! without parsing; damaged files are errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::policy::{PolicySet, EMBEDDED_POLICIES};
use huiqi::saved::{self, SavedError};
use huiqi::schema::Schema;

fn schema() -> Arc<Schema> {
    Arc::new(Schema::embedded().unwrap())
}

fn bundled() -> Vec<(String, String)> {
    EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect()
}

fn generated(count: usize) -> Vec<(String, String)> {
    let lines: Vec<String> = huiqi::gen::policies(3, count).map(|p| p.to_string()).collect();
    vec![("generated.jsonl".to_string(), lines.join("\n"))]
}

fn samples() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/enterprises");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

fn same_answers(files: &[(String, String)]) {
    let from_texts = Engine::from_set(PolicySet::compile(schema(), files).unwrap());
    let (_, bytes) = saved::save(schema(), files).unwrap();
    let mut read = saved::read(&bytes).unwrap();
    assert_eq!(read.files, files);
    assert!(read.trees() > 0);
    let (set, parsed) = read.compile(schema()).unwrap();
    assert_eq!(parsed, 0, "every text's tree came from the saved set");
    let from_saved = Engine::from_set(set);
    for p in samples() {
        for as_of in ["2025-03-31", "2026-06-30"] {
            let a = huiqi::ops::match_json(&from_texts, &p, as_of);
            let b = huiqi::ops::match_json(&from_saved, &p, as_of);
            assert!(a.contains("\"success\""), "{a}");
            assert_eq!(a, b);
        }
    }
}

#[test]
fn bundled_set_loads_without_parsing_and_answers_the_same() {
    same_answers(&bundled());
}

#[test]
fn generated_set_loads_without_parsing_and_answers_the_same() {
    same_answers(&generated(300));
}

#[test]
fn a_set_that_does_not_compile_is_not_saved() {
    let files = vec![("bad.json".to_string(), r#"{"policies": [{"id": "x"}]}"#.to_string())];
    assert!(saved::save(schema(), &files).is_err());
}

fn format_error(bytes: &[u8]) -> String {
    match saved::read(bytes) {
        Err(SavedError::Format(m)) => m,
        Err(e) => panic!("expected a format error, got {e}"),
        Ok(_) => panic!("damaged set was read"),
    }
}

#[test]
fn damaged_files_are_errors() {
    let (_, bytes) = saved::save(schema(), &bundled()).unwrap();
    assert_eq!(format_error(b"HUIQISTR\x01\0\0\0"), "it is an enterprise store file (huiqi store build), not a saved policy set");
    assert_eq!(format_error(b"{\"policies\": []}"), "it does not start with HUIQISET");
    assert_eq!(format_error(&bytes[..20]), "the header is truncated");
    for cut in [24, 25, 100, bytes.len() / 2, bytes.len() - 1] {
        assert!(format_error(&bytes[..cut]).starts_with("it is truncated"), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(format_error(&longer), "1 bytes follow the end of the set");
    let mut version = bytes.clone();
    version[8] = 9;
    assert!(format_error(&version).starts_with("it is format version 9"));
    for at in [30, bytes.len() / 3, bytes.len() - 2] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x20;
        assert_eq!(format_error(&flipped), "the checksum does not match (the file is corrupted)", "flip at {at}");
    }
}
