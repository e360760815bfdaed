//! A whole policy file (any of its shapes, `.json` and `.jsonl`), compiled against the
//! bundled schema, then saved and loaded as a set. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod shared;
use shared::schema;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let origin = if kind % 2 == 0 { "f.json" } else { "f.jsonl" };
    let sources = [(origin.to_string(), text.to_string())];
    if let Ok((_, bytes)) = huiqi::saved::save(schema().clone(), &sources) {
        let set = huiqi::saved::load(schema().clone(), &bytes).expect("a set that compiles also loads");
        let engine = huiqi::engine::Engine::from_set(set);
        let _ = huiqi::ops::match_json(&engine, "{\"registered_capital\": \"500万\"}", "2026-06-30");
    }
});
