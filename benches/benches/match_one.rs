//! One enterprise against N policies: the compiled index vs the naive baseline (the
//! reference evaluator over every policy), in the same run.
//!
//! `cargo bench -p huiqi-bench --bench match_one` (sizes 1k, 10k, 100k);
//! `cargo bench -p huiqi-bench --bench match_one -- --test` runs a smoke test at 200.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use huiqi::date::Date;

fn sizes() -> Vec<usize> {
    if std::env::args().any(|a| a == "--test") {
        vec![200]
    } else {
        vec![1_000, 10_000, 100_000]
    }
}

fn bench(c: &mut Criterion) {
    let as_of = Date::from_ymd(2026, 6, 30).unwrap_or(Date::from_day_number(0));
    let mut group = c.benchmark_group("match_one");
    group.sample_size(20);
    for n in sizes() {
        let Ok(engine) = huiqi_bench::engine(n, 1) else { return };
        let Ok(profiles) = huiqi_bench::profiles(&engine, 64, 2) else { return };
        let mut m = engine.matcher();
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::new("index", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % profiles.len();
                profiles.get(i).map_or(0, |p| engine.match_with(&mut m, p, as_of).len())
            })
        });
        let mut j = 0usize;
        group.bench_with_input(BenchmarkId::new("naive_reference", n), &n, |b, _| {
            b.iter(|| {
                j = (j + 1) % profiles.len();
                profiles.get(j).map_or(0, |p| engine.verdicts_reference(p, as_of).len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
