//! The Rust baseline of the Java binding's benchmark (benches/java_bench.sh): the calls a
//! binding makes, made from Rust through the operation layer, on one thread, over the same
//! profiles and the same policies. Prints µs per call for `match` (default envelope),
//! `verdicts` and the compact verdicts (`verdict_bytes`, the Rust index on the JSON text:
//! the baseline of benches/compact_bench.sh), as JSON.
//!
//!     cargo run --release -p huiqi-bench --bin ops_calls -- PROFILES.jsonl AS_OF SECONDS [POLICIES]
//!
//! `POLICIES`: a policy file or folder (`huiqi gen policies`); default the bundled set.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark binary: a bad argument ends it")]

use std::time::{Duration, Instant};

fn timed(seconds: f64, profiles: &[String], mut call: impl FnMut(&str) -> usize) -> (f64, usize) {
    // Warm-up: one pass.
    for p in profiles {
        call(p);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let (mut calls, mut bytes) = (0usize, 0usize);
    while Instant::now() < deadline {
        for p in profiles {
            bytes += call(p);
            calls += 1;
        }
    }
    (start.elapsed().as_secs_f64() * 1e6 / calls as f64, bytes / calls.max(1))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let profiles: Vec<String> =
        std::fs::read_to_string(args.next().expect("PROFILES.jsonl")).expect("readable profiles").lines().map(str::to_string).collect();
    let as_of = args.next().expect("AS_OF");
    let seconds: f64 = args.next().map_or(3.0, |s| s.parse().expect("SECONDS"));
    let engine = match args.next() {
        None => huiqi::engine::Engine::embedded().expect("bundled engine"),
        Some(p) => {
            let files = huiqi::ops::build::read_policy_folder(std::path::Path::new(&p)).expect("policy files");
            huiqi::ops::build::EngineSpec { policies: Some(files), ..Default::default() }.build().expect("engine")
        }
    };
    let first = huiqi::ops::match_request_json(&engine, profiles.first().expect("a profile"), &as_of, None);
    assert!(first.starts_with(r#"{"type":"success""#), "{first}");
    let (matched, match_bytes) = timed(seconds, &profiles, |p| huiqi::ops::match_request_json(&engine, p, &as_of, None).len());
    let (verdicts, verdict_bytes) = timed(seconds, &profiles, |p| huiqi::ops::verdicts_json(&engine, p, &as_of).len());
    // The compact verdicts: the Rust index on the JSON text, one kept matcher, no JSON out.
    let mut m = engine.matcher();
    let mut out = vec![0u8; engine.policy_set().policies.len()];
    let (compact, _) =
        timed(seconds, &profiles, |p| huiqi::ops::answers::verdict_bytes(&engine, &mut m, p, &as_of, &mut out).expect("verdicts"));
    println!(
        "{{\"match_us\": {matched:.2}, \"match_bytes\": {match_bytes}, \"verdicts_us\": {verdicts:.2}, \"verdicts_bytes\": {verdict_bytes}, \"verdict_bytes_us\": {compact:.2}, \"policies\": {}}}",
        engine.policy_set().policies.len()
    );
}
