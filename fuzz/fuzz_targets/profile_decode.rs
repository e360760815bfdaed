//! Profile decoding (and matching) on arbitrary JSON: must never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn engine() -> &'static huiqi::engine::Engine {
    static E: OnceLock<huiqi::engine::Engine> = OnceLock::new();
    E.get_or_init(|| huiqi::engine::Engine::embedded().expect("bundled engine"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = huiqi::ops::match_json(engine(), text, "2026-06-30");
});
