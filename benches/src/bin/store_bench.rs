//! Store benchmark: load (from JSON lines and from the saved file), memory, preparing the
//! predicate bitmaps, one policy over all enterprises (p50/p99), and bulk (pairs/s), each
//! against the naive path in the same run: the reference evaluator per enterprise.
//!
//! `cargo run --release -p huiqi-bench --bin store_bench -- ENTERPRISES POLICIES [SHAPE]`
//! (SHAPE: a workload shape of `huiqi gen`, `standard` by default; `records` puts a
//! quantifier over records in 10% of the policies).

use std::time::Instant;

use huiqi::date::Date;
use huiqi::store::{EnterpriseStore, LoadOptions};

fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(20_000);
    let p = args.get(1).copied().unwrap_or(1_000);
    let shape = match std::env::args().skip(1).find(|a| a.parse::<usize>().is_err()) {
        Some(name) => huiqi::gen::Shape::named(&name).ok_or(format!("no shape {name}"))?,
        None => huiqi::gen::Shape::STANDARD,
    };
    let as_of = Date::parse("2026-06-30").map_err(|e| e.to_string())?;
    let engine = huiqi_bench::shaped_engine(p, 1, shape)?;
    let text: String = huiqi::gen::enterprises(2, n).map(|v| v.to_string() + "\n").collect();
    let raw_bytes = text.len();

    let t = Instant::now();
    let (store, report) =
        EnterpriseStore::load_jsonl(engine.schema(), text.as_bytes(), LoadOptions::default()).map_err(|e| e.to_string())?;
    let load_jsonl = t.elapsed().as_secs_f64();
    drop(text);
    let path = std::env::temp_dir().join(format!("huiqi-bench-{n}.store"));
    store.write_file(&path).map_err(|e| e.to_string())?;
    drop(store);
    // First read right after writing, then the best of two more (page cache warm).
    let mut loads = Vec::new();
    let mut store = None;
    for _ in 0..3 {
        drop(store.take());
        let t = Instant::now();
        store = Some(EnterpriseStore::read_file(&path, engine.schema()).map_err(|e| e.to_string())?);
        loads.push(t.elapsed().as_secs_f64());
    }
    let store = store.ok_or("no store")?;
    let load_saved = loads.first().copied().unwrap_or_default();
    let load_best = loads.iter().copied().fold(f64::MAX, f64::min);
    let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);

    let t = Instant::now();
    let prepared = store.prepare(&engine, as_of).map_err(|e| e.to_string())?;
    let prepare = t.elapsed().as_secs_f64();
    let mem = store.memory();
    let used = store.used_columns(&engine);
    let per = |b: usize| b as f64 / f64::from(store.len().max(1));
    println!("## {n} enterprises × {p} policies ({} shape)\n", shape.name);
    println!(
        "- loaded {} ({} skipped) from JSON lines in {load_jsonl:.2} s; from the saved store ({:.1} MB) in {load_saved:.2} s (first read after writing), {load_best:.2} s (best of 3)",
        report.loaded,
        report.skipped,
        file_bytes as f64 / 1e6
    );
    println!("- raw profile JSON {:.0} B/enterprise; columns {:.0} B/enterprise (text included); predicate sets of this policy set {:.1} B/enterprise", per(raw_bytes), per(mem.columns_bytes), per(prepared.bitmap_bytes()));
    println!(
        "- columns the policies read ({} fields): {:.1} B/enterprise without free text (+ {:.1} B/enterprise of free text); with the predicate sets {:.1} B/enterprise",
        used.fields,
        per(used.bytes),
        per(used.text_bytes),
        per(used.bytes + prepared.bitmap_bytes())
    );
    println!(
        "- held by a process that only answers (the prepared sets + the ids; the store's columns dropped): {:.1} + {:.1} B/enterprise",
        per(prepared.bitmap_bytes()),
        per(mem.ids_bytes)
    );
    println!("- prepare (encode every enterprise into predicate bitmaps, all cores): {prepare:.2} s");

    // One policy over everyone.
    let ids: Vec<String> = engine.policy_set().policies.iter().map(|x| x.doc.id.clone()).collect();
    let mut times = Vec::new();
    let mut sel = 0.0;
    for id in ids.iter().step_by((ids.len() / 100).max(1)) {
        let t = Instant::now();
        let r = prepared.reverse(&engine, id).map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_nanos());
        sel += r.eligible.len() as f64 / f64::from(store.len().max(1));
    }
    times.sort_unstable();
    let sample = times.len();
    // Naive: the reference evaluator for one policy, enterprise by enterprise (rebuilding
    // each profile from the columns), over a subset, scaled to the whole store.
    let sub = store.len().min(20_000);
    let first = engine.policy_set().policies.first().map(|x| x.doc.id.clone()).unwrap_or_default();
    let idx = engine.policy_set().index_of(&first).unwrap_or(0);
    let t = Instant::now();
    let mut hits = 0u32;
    for row in 0..sub {
        let prof = store.profile(engine.schema(), row);
        let ev = huiqi::eval::Evaluator::new(engine.policy_set(), &prof, as_of);
        if ev.policy(idx) == Ok(true) {
            hits += 1;
        }
    }
    let naive_one = t.elapsed().as_secs_f64() / f64::from(sub.max(1)) * f64::from(store.len());
    std::hint::black_box(hits);
    let p50 = huiqi_bench::percentile(&times, 0.5) as f64 / 1e6;
    let p99 = huiqi_bench::percentile(&times, 0.99) as f64 / 1e6;
    let mean = times.iter().sum::<u128>() as f64 / sample.max(1) as f64 / 1e6;
    println!("- reverse, {sample} policies: p50 {p50:.3} ms, p99 {p99:.3} ms, mean selectivity {:.1}%; naive (reference per enterprise, {sub} measured, scaled) {:.1} ms → {:.0}× (mean)", sel / sample.max(1) as f64 * 100.0, naive_one * 1e3, naive_one * 1e3 / mean);

    // Bulk: best of 3 runs (the machine is shared).
    let mut bulk = f64::MAX;
    let mut all = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        all = prepared.bulk(&engine, &|| {});
        bulk = bulk.min(t.elapsed().as_secs_f64());
    }
    let pairs = f64::from(store.len()) * all.len() as f64;
    let threads = rayon::current_num_threads();
    // The same on one thread: pairs/s per core without sharing the machine's cores.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(|e| e.to_string())?;
    let mut bulk_one = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let again = one.install(|| prepared.bulk(&engine, &|| {}));
        bulk_one = bulk_one.min(t.elapsed().as_secs_f64());
        if again != all {
            return Err("bulk on one thread differs".into());
        }
    }
    // Counts only (results counted in block form, no sets built), one thread, best of 3.
    let want: Vec<(u64, u64)> = all.iter().map(|r| (r.eligible.len(), r.undetermined.len())).collect();
    let mut counts_one = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let c = one.install(|| prepared.bulk_counts(&engine));
        counts_one = counts_one.min(t.elapsed().as_secs_f64());
        if c != want {
            return Err("bulk counts differ from the sizes of the bulk sets".into());
        }
    }
    let sub = store.len().min(1_000);
    let t = Instant::now();
    for row in 0..sub {
        let prof = store.profile(engine.schema(), row);
        std::hint::black_box(engine.verdicts_reference(&prof, as_of));
    }
    let naive_rate = f64::from(sub) * all.len() as f64 / t.elapsed().as_secs_f64();
    println!("- bulk counts only (no sets built), 1 thread, best of 3: {counts_one:.3} s = {:.2e} pairs/s per core", pairs / counts_one);
    println!(
        "- bulk {} policies (best of 3): {bulk:.3} s on {threads} threads = {:.2e} pairs/s ({:.2e} per thread); on 1 thread {bulk_one:.3} s = {:.2e} pairs/s per core; with prepare {:.2e} pairs/s; naive nested loop ({sub} enterprises measured) {:.2e} pairs/s → {:.0}× (bulk), {:.0}× (prepare + bulk)",
        all.len(),
        pairs / bulk,
        pairs / bulk / threads as f64,
        pairs / bulk_one,
        pairs / (bulk + prepare),
        naive_rate,
        pairs / bulk / naive_rate,
        pairs / (bulk + prepare) / naive_rate
    );
    Ok(())
}
