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

fn load_file(name: &str, bytes: &[u8]) -> Result<(EnterpriseStore, huiqi::store::LoadReport), String> {
    let dir = std::env::temp_dir().join(format!("huiqi-inputs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let r = EnterpriseStore::load_path(&schema(), &path, LoadOptions::default()).map_err(|e| e.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
    r
}

#[test]
fn a_file_is_read_by_what_it_holds_not_its_name() {
    // Parquet without its name: named, not read as "0 enterprises, skipped N".
    let err = load_file("e.jsonl", b"PAR1\x15\x04\x15\x80\x01\x00\x00PAR1").expect_err("parquet");
    assert!(err.contains("is a Parquet file"), "{err}");
    // A binary file.
    let err = load_file("e.jsonl", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00").expect_err("binary");
    assert!(err.contains("its first bytes are binary"), "{err}");
    // Text that is neither JSON lines nor CSV.
    let err = load_file("e.txt", b"enterprises of 2025\nnone yet\n").expect_err("prose");
    assert!(err.contains("starts with neither"), "{err}");
    // CSV without the .csv name is read as CSV (a header with commas), and JSON lines named
    // .csv as JSON lines.
    let (store, report) = load_file("e.txt", "name,registered_capital\nA,100万元\nB,200万元\n".as_bytes()).expect("csv by content");
    assert_eq!((store.len(), report.skipped), (2, 0));
    let (store, _) = load_file("e.csv", "{\"name\": \"A\"}\n{\"name\": \"B\"}\n".as_bytes()).expect("json lines by content");
    assert_eq!(store.len(), 2);
    // A pretty-printed profile (one document over several lines) is refused with the hint.
    let err = load_file("e.jsonl", b"{\n  \"name\": \"A\",\n  \"registered_capital\": \"100\"\n}\n").expect_err("pretty");
    assert!(err.contains("a profile spread over several lines"), "{err}");
}

#[test]
fn a_stray_quote_in_csv_counts_the_rows_it_swallowed() {
    let rows = |from: usize, to: usize| (from..to).map(|i| format!("C{i},{i}万元\n")).collect::<String>();
    // A quote never closed: before, this loaded 1 enterprise and "skipped 1 bad rows", with
    // success, the other 5,000 rows read as one cell.
    let csv = format!("name,registered_capital\nA,100万元\nB,\"200万元\n{}", rows(0, 5_000));
    let err = load_file("e.csv", csv.as_bytes()).expect_err("never closed");
    assert!(err.contains("record that starts on line 3 is never closed: lines 3 to 5003"), "{}", &err[..err.len().min(400)]);
    // A quote closed 998 lines later by another stray one: the lines in between are lost
    // and counted as skipped, so the load says so (and fails when they are most rows).
    let csv = format!("name,registered_capital\nA,100万元\nB,\"200万元\n{}C,\"1万元\n{}", rows(0, 997), rows(0, 4_000));
    let (store, report) = load_file("e.csv", csv.as_bytes()).expect("most rows kept");
    assert_eq!(
        (store.len(), report.skipped),
        (4_001, 999),
        "{:?}",
        report.errors.first().map(|e| e.reason.chars().take(200).collect::<String>())
    );
    assert!(report.errors[0].reason.ends_with("each is counted as skipped)"));
    let csv = format!("name,registered_capital\nA,100万元\nB,\"200万元\n{}C,\"1万元\n{}", rows(0, 5_000), rows(0, 10));
    let err = load_file("e.csv", csv.as_bytes()).expect_err("most rows lost");
    assert!(err.contains("kept only 11"), "{}", &err[..err.len().min(400)]);
    // Quoted cells with line breaks are fine.
    let (store, report) =
        load_file("ok.csv", "name,business_scope\nA,\"软件开发\n信息技术咨询\"\nB,x\n".as_bytes()).expect("multi-line cell");
    assert_eq!((store.len(), report.skipped), (2, 0));
}

#[test]
fn a_stray_quote_before_a_long_tail_stops_at_the_record_limit() {
    // Before, the CSV reader buffered everything after the quote as one record (2 GB of
    // tail took 2.1 GB of memory); now the record stops at the limit, naming its line.
    let mut csv = String::from("name,registered_capital\nA,100万元\nB,\"200万元\n");
    let row = "C,1万元\n";
    while csv.len() < huiqi::store::MAX_LINE_BYTES + 4096 {
        csv.push_str(row);
    }
    let err = load_file("tail.csv", csv.as_bytes()).expect_err("record limit");
    assert!(err.contains("the CSV record that starts on line 3") && err.contains("not closed"), "{}", &err[..err.len().min(400)]);
}
