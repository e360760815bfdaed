//! Careless inputs get a clear answer: duplicate keys, byte-order marks, invalid UTF-8 in
//! one line, endless lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::profile::Profile;
use huiqi::schema::Schema;
use huiqi::store::{EnterpriseStore, LoadOptions};

fn schema() -> Schema {
    Schema::embedded().expect("schema")
}

#[test]
fn a_key_given_twice_is_an_error() {
    let err =
        Profile::from_json_str(&schema(), r#"{"registered_capital": "100万", "registered_capital": "900万"}"#).expect_err("duplicate");
    assert!(err.to_string().contains("\"registered_capital\" appears twice"), "{err}");
    let err = Profile::from_json_str(&schema(), r#"{"employees": {"2025": 3, "2025": 300}}"#).expect_err("nested duplicate");
    assert!(err.to_string().contains("\"2025\" appears twice"), "{err}");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let p = Profile::from_json_str(&schema(), "\u{feff}{\"registered_capital\": \"100万\"}").expect("BOM profile");
    assert!(p.warnings.is_empty());
    // The bundled files refer to each other (exclusions): all of them, the first with a BOM.
    let files: Vec<(String, String)> = huiqi::policy::EMBEDDED_POLICIES
        .iter()
        .enumerate()
        .map(|(i, (n, t))| ((*n).to_string(), if i == 0 { format!("\u{feff}{t}") } else { (*t).to_string() }))
        .collect();
    huiqi::policy::PolicySet::compile(Arc::new(schema()), &files).expect("BOM policy file");
    let (store, _) =
        EnterpriseStore::load_jsonl(&schema(), "\u{feff}{\"name\": \"a\"}\n".as_bytes(), LoadOptions::default()).expect("BOM JSON lines");
    assert_eq!(store.len(), 1);
    let (store, _) = EnterpriseStore::load_csv(&schema(), "\u{feff}name,registered_capital\na,100万\n".as_bytes(), LoadOptions::default())
        .expect("BOM CSV");
    assert_eq!(store.len(), 1);
}

#[test]
fn a_line_of_invalid_utf8_is_skipped_with_its_number() {
    let mut text = b"{\"name\": \"a\"}\n{\"name\": \"".to_vec();
    text.extend_from_slice(&[0xff, 0xfe]);
    text.extend_from_slice(b"\"}\n{\"name\": \"c\"}\n");
    let (store, report) = EnterpriseStore::load_jsonl(&schema(), text.as_slice(), LoadOptions::default()).expect("skip mode");
    assert_eq!((store.len(), report.skipped), (2, 1));
    assert_eq!(report.errors[0].line, 2);
    assert!(report.errors[0].reason.contains("not UTF-8"), "{}", report.errors[0].reason);
}

#[test]
fn an_endless_line_is_refused_not_buffered() {
    let endless = std::io::BufReader::new(std::io::repeat(b'a'));
    let err = EnterpriseStore::load_jsonl(&schema(), endless, LoadOptions::default()).map(|_| ()).expect_err("refused").to_string();
    assert!(err.contains("line 1 is longer than 1048576 bytes"), "{err}");
    // A line of exactly the limit (and its line break) is read.
    let mut at_limit = b"{\"name\": \"".to_vec();
    at_limit.resize(huiqi::store::MAX_LINE_BYTES - 2, b'a');
    at_limit.extend_from_slice(b"\"}\n");
    let (store, _) = EnterpriseStore::load_jsonl(&schema(), at_limit.as_slice(), LoadOptions::default()).expect("a line at the limit");
    assert_eq!(store.len(), 1);
    let endless = std::io::repeat(b'a');
    let err = EnterpriseStore::load_csv(&schema(), endless, LoadOptions::default()).map(|_| ()).expect_err("refused").to_string();
    assert!(err.contains("longer than 1048576 bytes"), "{err}");
}

#[test]
fn year_one_is_out_of_range_not_no_such_day() {
    let err = Profile::from_json_str(&schema(), r#"{"registration_date": "0001-01-01"}"#).expect_err("year 1");
    assert!(err.to_string().contains("year out of range"), "{err}");
}
