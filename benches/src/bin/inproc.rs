//! The in-process baseline of the decision service's benchmark (benches/serve_bench.sh):
//! the same `match` request the service answers, called through `huiqi::ops::call` in a
//! loop on one thread for a number of seconds. Prints calls per second.
//!
//!     cargo run --release -p huiqi-bench --bin inproc -- REQUEST.json SECONDS
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark binary: a bad argument ends it")]

use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let request = std::fs::read_to_string(args.next().expect("REQUEST.json")).expect("readable request");
    let seconds: f64 = args.next().map_or(5.0, |s| s.parse().expect("SECONDS"));
    let engine = Arc::new(huiqi::engine::Engine::embedded().expect("bundled engine"));
    let first = huiqi::ops::call(&engine, None, "match", &request);
    assert!(first.starts_with(r#"{"type":"success""#), "{first}");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut calls = 0u64;
    let mut bytes = 0usize;
    while Instant::now() < deadline {
        bytes += huiqi::ops::call(&engine, None, "match", &request).len();
        calls += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"calls\": {calls}, \"seconds\": {secs:.3}, \"calls_per_second\": {:.1}, \"bytes_per_call\": {}}}",
        calls as f64 / secs,
        bytes / calls.max(1) as usize
    );
}
