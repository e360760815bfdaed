//! Latency harness: p50 / p99 of one enterprise against N policies, index vs the naive
//! reference evaluator in the same run, plus compile time and match rate. Prints a
//! markdown table for benches/RESULTS.md.
//!
//! `cargo run --release -p huiqi-bench --bin latency -- 1000 10000 100000`

use std::time::Instant;

use huiqi::date::Date;
use huiqi::eval::Tri;

fn main() -> Result<(), String> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000] } else { sizes };
    let as_of = Date::parse("2026-06-30").map_err(|e| e.to_string())?;
    println!("| policies | guards | compile | predicates | generic | programs run | match rate | index p50 | index p99 | naive p50 | naive p99 | ratio (mean) |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let t = Instant::now();
        let base = huiqi_bench::engine(n, 1)?;
        let compile = t.elapsed();
        let profiles = huiqi_bench::profiles(&base, 400, 2)?;
        // A different sample (seed 3) of the same population tunes the guards.
        let sample = huiqi_bench::profiles(&base, 500, 3)?;
        for (label, engine) in [("structural", base.clone()), ("tuned", base.tuned(&sample, as_of))] {
            let stats = engine.index_stats();
            let mut m = engine.matcher();
            // Warm up, and check agreement on every profile while at it.
            for p in &profiles {
                let fast: Vec<_> = engine.match_with(&mut m, p, as_of).iter().map(|t| huiqi::outcome::Verdict::from_tri(*t)).collect();
                if fast != engine.verdicts_reference(p, as_of) {
                    return Err("index and reference disagree".into());
                }
            }
            let reps = if n >= 100_000 { 1 } else { 5 };
            let mut fast_ns = Vec::new();
            let mut eligible = 0usize;
            let mut run = 0usize;
            for _ in 0..reps {
                for p in &profiles {
                    let t = Instant::now();
                    let r = engine.match_with(&mut m, p, as_of);
                    fast_ns.push(t.elapsed().as_nanos());
                    eligible += r.iter().filter(|t| **t == Tri::True).count();
                    run += m.evaluated();
                }
            }
            let mut naive_ns = Vec::new();
            let naive_profiles = if n >= 100_000 { profiles.get(..100).unwrap_or(&profiles) } else { &profiles };
            for p in naive_profiles {
                let t = Instant::now();
                let r = engine.verdicts_reference(p, as_of);
                naive_ns.push(t.elapsed().as_nanos());
                std::hint::black_box(r);
            }
            fast_ns.sort_unstable();
            naive_ns.sort_unstable();
            let mean = |v: &[u128]| v.iter().sum::<u128>() as f64 / v.len().max(1) as f64;
            let rate = eligible as f64 / (fast_ns.len() * n) as f64;
            let us = |ns: u128| format!("{:.1} µs", ns as f64 / 1000.0);
            println!(
                "| {n} | {label} | {:.0} ms | {} | {} | {} | {:.1}% | {} | {} | {} | {} | {:.0}× |",
                compile.as_secs_f64() * 1000.0,
                stats.predicates,
                stats.generic_predicates,
                run / fast_ns.len().max(1),
                rate * 100.0,
                us(huiqi_bench::percentile(&fast_ns, 0.5)),
                us(huiqi_bench::percentile(&fast_ns, 0.99)),
                us(huiqi_bench::percentile(&naive_ns, 0.5)),
                us(huiqi_bench::percentile(&naive_ns, 0.99)),
                mean(&naive_ns) / mean(&fast_ns)
            );
        }
    }
    Ok(())
}
