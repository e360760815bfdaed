//! Arbitrary bytes as a saved policy set (`.hqset`): header, checksum (recomputed for half
//! the inputs), the files and trees, then compiling it. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use shared::schema;

fuzz_target!(|data: &[u8]| {
    let Some((&fix, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if fix % 2 == 1 && bytes.len() >= 24 {
        // HUIQISET | version u32 | CRC-32 of the body u32 | body length u64 | body
        bytes[..8].copy_from_slice(b"HUIQISET");
        let crc = crc32fast::hash(&bytes[24..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
        let len = (bytes.len() - 24) as u64;
        bytes[16..24].copy_from_slice(&len.to_le_bytes());
    }
    if let Ok(set) = huiqi::saved::load(schema().clone(), &bytes) {
        let engine = huiqi::engine::Engine::from_set(set);
        let _ = huiqi::ops::match_json(&engine, "{}", "2026-06-30");
    }
});
