//! Enterprise files from strangers: corrupt Parquet, files that are not what their name
//! says, CSV with a stray quote. Each load is an error naming the file (and where in it),
//! or a load that says what it lost; never a crash, never a silent success that kept nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};

fn huiqi(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi")).args(args).output().expect("run huiqi");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("huiqi-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 2,000 synthetic enterprises in Parquet: Snappy, dictionary-encoded text, 4 row groups.
fn parquet_file(path: &Path) {
    let n = 2000;
    let names: Vec<String> = (0..n).map(|i| format!("合成企业{i:05}")).collect();
    let capital: Vec<String> = (0..n).map(|i| format!("{}万元", 50 + (i * 37) % 900)).collect();
    let industry: Vec<&str> = (0..n).map(|i| ["C3911", "I6510", "C1351", "M7320"][i % 4]).collect();
    let employees: Vec<i64> = (0..n).map(|i| 5 + (i as i64 * 13) % 400).collect();
    let date: Vec<String> = (0..n).map(|i| format!("20{:02}-0{}-1{}", 5 + i % 19, 1 + i % 9, i % 10)).collect();
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("name", Arc::new(StringArray::from(names))),
        ("registered_capital", Arc::new(StringArray::from(capital))),
        ("industry", Arc::new(StringArray::from(industry))),
        ("employees_2025", Arc::new(Int64Array::from(employees))),
        ("registration_date", Arc::new(StringArray::from(date))),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_size(500)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn corrupt_parquet_is_an_error_naming_the_file_never_a_panic() {
    let good = tmp("good.parquet");
    parquet_file(&good);
    let out = tmp("out.store");
    let (code, stdout, stderr) = huiqi(&["store", "build", "--enterprises", good.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("loaded 2000 enterprises"), "{stdout}");
    let bytes = std::fs::read(&good).unwrap();
    // One byte changed at 400 places spread over the file (a fixed sequence, so a failure
    // can be found again): before the reader was guarded, about one in thirty panicked in
    // the decoders (exit 101, a backtrace on stderr).
    let bad = tmp("bad.parquet");
    let (mut refused, mut loaded) = (0, 0);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..400 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let at = (state >> 33) as usize % bytes.len();
        let mut b = bytes.clone();
        b[at] = b[at].wrapping_add(1 + (state >> 20) as u8 % 255);
        std::fs::write(&bad, &b).unwrap();
        let (code, _, stderr) = huiqi(&["store", "build", "--enterprises", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "byte {at}: {stderr}");
        match code {
            0 => loaded += 1,
            2 => {
                refused += 1;
                assert!(stderr.contains(bad.to_str().unwrap()), "byte {at}: the error names the file: {stderr}");
            }
            _ => panic!("byte {at}: exit {code}: {stderr}"),
        }
    }
    // A changed byte in the data of a page without checksums can be a valid other value;
    // the rest is refused.
    assert!(refused > 100 && loaded > 50, "refused {refused}, loaded {loaded}");
}

#[test]
fn a_failure_inside_the_data_names_the_row_group() {
    let good = tmp("rg.parquet");
    parquet_file(&good);
    let bytes = std::fs::read(&good).unwrap();
    let bad = tmp("rg-bad.parquet");
    let out = tmp("rg.store");
    // Zero a stretch in the middle of the file: the footer still parses, the pages do not.
    let mut b = bytes.clone();
    let mid = bytes.len() / 2;
    b[mid..mid + 64].fill(0xff);
    std::fs::write(&bad, &b).unwrap();
    let (code, _, stderr) = huiqi(&["store", "build", "--enterprises", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("row group "), "{stderr}");
}

#[test]
fn parquet_is_known_by_its_bytes_and_jsonl_is_not_written_as_parquet() {
    let good = tmp("named-otherwise.parquet");
    parquet_file(&good);
    let plain = tmp("enterprises.dat");
    std::fs::copy(&good, &plain).unwrap();
    let out = tmp("sniffed.store");
    // Before, a Parquet file not named .parquet was read as JSON lines ("kept no enterprise").
    let (code, stdout, stderr) = huiqi(&["store", "build", "--enterprises", plain.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("loaded 2000 enterprises"), "{stdout}");
    // `--format jsonl` to a .parquet file was silently written as pairs.
    let target = tmp("pairs.parquet");
    let (code, _, stderr) = huiqi(&[
        "bulk",
        "--enterprises",
        out.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
        "--format",
        "jsonl",
        "--as-of",
        "2026-06-30",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--format jsonl cannot be written to"), "{stderr}");
    assert!(!target.exists());
}
