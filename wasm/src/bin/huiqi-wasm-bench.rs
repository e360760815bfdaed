//! The native side of the WASM benchmark (wasm/bench/bench.mjs): the same operations on the
//! same files as the WASM build runs in Node, natively, so the two can be compared.
//!
//!   huiqi-wasm-bench POLICIES.jsonl|bundled ENTERPRISES.jsonl AS_OF [REPEAT]
//!
//! Prints one JSON object: start-up (engine from the policy texts, and from the saved
//! set with syntax trees) and per-profile times of `match` (the full envelope) and `summary` (the
//! index's verdicts only), in milliseconds, best of REPEAT (default 3) passes after a
//! warm-up pass.

use std::time::Instant;

use huiqi_wasm::api;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn best(repeat: usize, mut f: impl FnMut() -> f64) -> f64 {
    f(); // warm-up, not counted
    (0..repeat.max(1)).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, policies, enterprises, as_of, rest @ ..] = args.as_slice() else {
        return Err("usage: huiqi-wasm-bench POLICIES.jsonl|bundled ENTERPRISES.jsonl AS_OF [REPEAT]".into());
    };
    let repeat: usize = rest.first().and_then(|r| r.parse().ok()).unwrap_or(3);
    let profiles_text = std::fs::read_to_string(enterprises).map_err(|e| format!("{enterprises}: {e}"))?;
    let profiles: Vec<&str> = profiles_text.lines().filter(|l| !l.trim().is_empty()).collect();
    let files = if policies == "bundled" {
        api::bundled_files()
    } else {
        let text = std::fs::read_to_string(policies).map_err(|e| format!("{policies}: {e}"))?;
        let name = std::path::Path::new(policies).file_name().map_or("policies.jsonl".into(), |n| n.to_string_lossy().to_string());
        vec![(name, text)]
    };
    let errors = |e: Vec<huiqi::ops::ErrorItem>| e.into_iter().map(|x| x.message).collect::<Vec<_>>().join("; ");

    let startup_text = best(repeat, || {
        let t = Instant::now();
        let h = api::build(files.clone(), None);
        let d = ms(t);
        drop(h);
        d
    });
    let serialized = api::build(files.clone(), None).and_then(|h| h.save()).map_err(errors)?;
    let startup_serialized = best(repeat, || {
        let t = Instant::now();
        let h = api::build_saved(&serialized, None);
        let d = ms(t);
        drop(h);
        d
    });
    let h = api::build(files, None).map_err(errors)?;
    let n = profiles.len().max(1) as f64;
    let mut bytes = 0usize;
    let match_ms = best(repeat, || {
        let t = Instant::now();
        bytes = profiles.iter().map(|p| huiqi::ops::match_json(&h.engine, p, as_of).len()).sum();
        ms(t) / n
    });
    let verdicts_ms = best(repeat, || {
        let t = Instant::now();
        let _ = profiles.iter().map(|p| huiqi::ops::verdicts_json(&h.engine, p, as_of).len()).sum::<usize>();
        ms(t) / n
    });
    let summary_ms = best(repeat, || {
        let t = Instant::now();
        let _ = profiles.iter().map(|p| h.summary(p, as_of).len()).sum::<usize>();
        ms(t) / n
    });
    println!(
        "{}",
        serde_json::json!({
            "policies": h.engine.policy_set().policies.len(), "profiles": profiles.len(),
            "startup_text_ms": startup_text, "startup_serialized_ms": startup_serialized,
            "serialized_bytes": serialized.len(),
            "match_ms": match_ms, "verdicts_ms": verdicts_ms, "summary_ms": summary_ms, "match_bytes": bytes,
        })
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("huiqi-wasm-bench: {e}");
        std::process::exit(2);
    }
}
