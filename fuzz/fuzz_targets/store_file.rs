//! Arbitrary bytes as a store file: header, checksum (a valid checksum is recomputed for
//! half the inputs, so the payload reader is reached), every count and column. A store
//! that reads is prepared and counted. Must never panic or allocate by a header's word.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn engine() -> &'static huiqi::engine::Engine {
    static E: OnceLock<huiqi::engine::Engine> = OnceLock::new();
    E.get_or_init(|| huiqi::engine::Engine::embedded().expect("bundled engine"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&fix, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if fix % 2 == 1 && bytes.len() >= 24 {
        // A well-formed header over the fuzzed payload.
        bytes[..8].copy_from_slice(b"HUIQISTR");
        let len = (bytes.len() - 24) as u64;
        bytes[12..20].copy_from_slice(&len.to_le_bytes());
        let crc = crc32fast::hash(&bytes[24..]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    }
    if let Ok(store) = huiqi::store::EnterpriseStore::from_bytes(&bytes, engine().schema()) {
        let as_of = huiqi::date::Date::parse("2026-06-30").expect("date");
        if let Ok(p) = store.prepare(engine(), as_of) {
            let _ = p.bulk_counts(engine());
        }
    }
});
