//! The user-facing match, piece by piece: what one enterprise's envelope costs at each
//! detail level, against the index alone and the reference evaluator in the same run.
//!
//! `cargo run --release -p huiqi-bench --bin envelope -- 1000 10000`
//!
//! For each policy-set size it prints, per enterprise (mean over the profiles; p50 / p99
//! where latency matters): decoding the profile JSON, the index's verdicts, the detail
//! work of each level (`Engine::answer`), its JSON, and the whole envelope call
//! (`huiqi::ops::match_json_reusing`, what the C ABI, Python and WASM call); then the same
//! envelope through the reference evaluator, and the JSON size. `HUIQI_PIECE=full` runs
//! only the pieces whose name contains `full` (under a profiler).

use std::time::Instant;

use huiqi::date::Date;
use huiqi::engine::{MatchOptions, MatchPath};
use huiqi::outcome::Detail;

fn main() -> Result<(), String> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000] } else { sizes };
    let as_of_s = "2026-06-30";
    let as_of = Date::parse(as_of_s).map_err(|e| e.to_string())?;
    // HUIQI_PIECE=text: only the pieces whose name contains it (for a profiler).
    let only = std::env::var("HUIQI_PIECE").ok();
    let us = |ns: f64| format!("{:.1} µs", ns / 1000.0);
    println!("| policies | piece | mean | p50 | p99 | JSON per enterprise |");
    println!("|---:|---|---:|---:|---:|---:|");
    for n in sizes {
        let engine = huiqi_bench::engine(n, 11)?;
        let count = if n >= 10_000 { 200 } else { 400 };
        let texts: Vec<String> = huiqi::gen::enterprises(12, count).map(|v| v.to_string()).collect();
        let profiles = huiqi_bench::profiles(&engine, count, 12)?;
        let mut m = engine.matcher();
        let row = |piece: &str, f: &mut dyn FnMut(usize) -> usize| {
            if !only.as_deref().is_none_or(|o| piece.contains(o)) {
                return;
            }
            let mut ns: Vec<u128> = Vec::with_capacity(count);
            let mut bytes = 0usize;
            for k in 0..count {
                let t = Instant::now();
                bytes += f(k);
                ns.push(t.elapsed().as_nanos());
            }
            ns.sort_unstable();
            let mean = ns.iter().sum::<u128>() as f64 / ns.len().max(1) as f64;
            let size = if bytes > 0 { format!("{:.1} KB", bytes as f64 / count as f64 / 1000.0) } else { String::new() };
            println!(
                "| {n} | {piece} | {} | {} | {} | {size} |",
                us(mean),
                us(huiqi_bench::percentile(&ns, 0.5) as f64),
                us(huiqi_bench::percentile(&ns, 0.99) as f64)
            );
        };
        row("decode profile JSON", &mut |k| {
            let p = texts.get(k).map(|t| engine.profile_from_json(t));
            std::hint::black_box(p);
            0
        });
        row("index verdicts (Rust)", &mut |k| {
            if let Some(p) = profiles.get(k) {
                std::hint::black_box(engine.match_with(&mut m, p, as_of));
            }
            0
        });
        for detail in [Detail::Verdicts, Detail::Summary, Detail::Full] {
            let opts = MatchOptions { detail, ..MatchOptions::default() };
            row(&format!("answer, {} (no JSON)", detail.as_str()), &mut |k| {
                if let Some(p) = profiles.get(k) {
                    std::hint::black_box(engine.answer(&mut m, p, as_of, MatchPath::Index, &opts));
                }
                0
            });
            row(&format!("envelope, {} (JSON in, JSON out)", detail.as_str()), &mut |k| {
                texts.get(k).map_or(0, |t| huiqi::ops::match_json_reusing(&engine, &mut m, t, as_of_s, MatchPath::Index, &opts).len())
            });
        }
        for detail in [Detail::Verdicts, Detail::Full].into_iter().filter(|_| only.is_none()) {
            let opts = MatchOptions { detail, ..MatchOptions::default() };
            let few = count.min(50);
            let mut ns = Vec::new();
            for t in texts.iter().take(few) {
                let s = Instant::now();
                std::hint::black_box(huiqi::ops::match_json_reusing(&engine, &mut m, t, as_of_s, MatchPath::Reference, &opts));
                ns.push(s.elapsed().as_nanos());
            }
            let mean = ns.iter().sum::<u128>() as f64 / ns.len().max(1) as f64;
            println!("| {n} | envelope, {} through the reference evaluator | {} | | | |", detail.as_str(), us(mean));
        }
    }
    Ok(())
}
