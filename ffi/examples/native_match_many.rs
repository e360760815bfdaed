//! The native-Rust baseline of the match_many benchmark (python/bench/bench_match_many.py):
//! `huiqi::ops::match_lines` called directly, on the same JSON lines and engine as the C ABI
//! and Python runs.
//!
//! cargo run --release -p huiqi-ffi --example native_match_many -- PROFILES.jsonl AS_OF REPS [OUT]
//!
//! Prints one JSON line: {"profiles", "reps", "seconds": [...], "bytes"}; writes the answer
//! lines of the last repetition to OUT when given.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, as_of, reps, rest @ ..] = args.as_slice() else {
        return Err("usage: native_match_many PROFILES.jsonl AS_OF REPS [OUT]".into());
    };
    let reps: usize = reps.parse()?;
    let text = std::fs::read_to_string(path)?;
    let profiles = text.lines().filter(|l| !l.trim().is_empty()).count();
    let engine = huiqi_core::ops::build_engine(None, &[]).map_err(|e| format!("{e:?}"))?;
    let mut seconds = Vec::new();
    let mut out = String::new();
    for _ in 0..reps {
        let t = Instant::now();
        out = huiqi_core::ops::match_lines(&engine, &text, as_of);
        seconds.push(t.elapsed().as_secs_f64());
    }
    if let Some(file) = rest.first() {
        std::fs::write(file, &out)?;
    }
    println!("{}", serde_json::json!({"profiles": profiles, "reps": reps, "seconds": seconds, "bytes": out.len()}));
    Ok(())
}
