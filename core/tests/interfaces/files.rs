//! Damaged, short and crafted binary files (store, saved set) give clear errors, never an
//! abort or a silently empty answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::schema::Schema;
use huiqi::store::{EnterpriseStore, LoadOptions};

fn schema() -> Schema {
    Schema::embedded().expect("schema")
}

fn store_bytes(schema: &Schema) -> Vec<u8> {
    let text = "{\"name\": \"a\", \"registered_capital\": \"500万\"}\n{\"name\": \"b\", \"employees\": {\"2025\": 3}}\n";
    let (store, _) = EnterpriseStore::load_jsonl(schema, text.as_bytes(), LoadOptions::default()).expect("load");
    store.to_bytes()
}

/// Rewrites the checksum of a store's payload (bytes 20..24) after a crafted edit.
fn fix_crc(bytes: &mut [u8]) {
    let crc = crc32fast::hash(&bytes[24..]).to_le_bytes();
    bytes[20..24].copy_from_slice(&crc);
}

fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("huiqi-files-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_huge_row_count_is_refused_before_anything_is_reserved() {
    let schema = schema();
    let mut bytes = store_bytes(&schema);
    // Payload: schema version (u32 length + text), field count, field names, row count.
    let mut at = 24;
    let str_len = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    at += 4 + str_len(&bytes, at);
    let nf = str_len(&bytes, at);
    at += 4;
    for _ in 0..nf {
        at += 4 + str_len(&bytes, at);
    }
    assert_eq!(str_len(&bytes, at), 2, "row count found");
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_crc(&mut bytes);
    let err = EnterpriseStore::from_bytes(&bytes, &schema).map(|_| ()).expect_err("refused").to_string();
    assert!(err.contains("row count") && err.contains("do not fit"), "{err}");
}

#[test]
fn short_empty_and_damaged_store_files_are_errors_not_empty_stores() {
    let schema = schema();
    let good = store_bytes(&schema);
    let load = |name: &str, bytes: &[u8]| {
        EnterpriseStore::load_path(&schema, &tmp(name, bytes), LoadOptions::default()).err().map(|e| e.to_string()).unwrap_or_default()
    };
    assert!(load("empty.store", b"").contains("is empty"));
    assert!(load("short.store", &good[..5]).contains("truncated"), "{}", load("short.store", &good[..5]));
    let mut flipped = good.clone();
    flipped[3] ^= 0x04;
    assert!(load("flipped.store", &flipped).contains("header tag is damaged"), "{}", load("flipped.store", &flipped));
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    assert!(load("trailing.store", &trailing).contains("4 bytes follow the end of the data"), "{}", load("trailing.store", &trailing));
    // The good file still loads.
    let (store, _) = EnterpriseStore::load_path(&schema, &tmp("good.store", &good), LoadOptions::default()).expect("good");
    assert_eq!(store.len(), 2);
}

#[test]
fn short_and_damaged_saved_sets_say_so() {
    let schema = Arc::new(schema());
    let (_, bytes) = huiqi::saved::save(schema, &[]).expect("save");
    let err = |b: &[u8]| huiqi::saved::read(b).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(&bytes[..5]).contains("cut short"), "{}", err(&bytes[..5]));
    assert!(err(b"").contains("cut short"));
    let mut flipped = bytes.clone();
    flipped[0] ^= 0x01;
    assert!(err(&flipped).contains("damaged"), "{}", err(&flipped));
}

#[test]
fn writing_a_store_over_a_file_is_atomic() {
    let schema = schema();
    let text = "{\"name\": \"a\", \"registered_capital\": \"500万\"}\n";
    let (store, _) = EnterpriseStore::load_jsonl(&schema, text.as_bytes(), LoadOptions::default()).expect("load");
    let target = tmp("atomic.store", b"previous");
    store.write_file(&target).expect("write");
    assert_eq!(std::fs::read(&target).unwrap(), store.to_bytes());
    let siblings = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(siblings, 0, "no temporary file left behind");
}
