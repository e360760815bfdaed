//! Latency harness: one enterprise against N generated policies, in the same run:
//!
//! - **index**: `Engine::match_with` with a reused `Matcher` (the engine's fast path);
//! - **hand**: the hand-written baseline of `huiqi_bench::hand` (plain structs, an enum
//!   tree per policy, short-circuit evaluation, no index) — what a user would write;
//! - **reference**: the reference evaluator over every policy (the oracle);
//! - **JSON record → eligible ids**: what a caller does end to end: a parsed JSON record
//!   of the fields the policies read, decoded, matched, and the eligible policies' ids
//!   listed.
//!
//! `--guards-too` adds a row per size for the index without the algebra over sources
//! (guards and chunks only); `--index-only` prints best-of-40 means and per-source costs.
//!
//! Before timing, every measured enterprise is checked to get identical verdicts from all
//! three. Prints one markdown row per shape, size and guard choice for benches/RESULTS.md.
//!
//! ```sh
//! cargo run --release -p huiqi-bench --bin latency -- 1000 10000 100000 [--shape NAME|all] [--guards-too]
//! ```

use std::time::Instant;

use huiqi::date::Date;
use huiqi::eval::Tri;
use huiqi::gen::Shape;
use huiqi::outcome::Verdict;
use huiqi_bench::hand;

fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1000.0)
}

fn mean(v: &[u128]) -> f64 {
    v.iter().sum::<u128>() as f64 / v.len().max(1) as f64
}

/// Per value source and generic predicate of the index: the mean cost of evaluating it
/// and setting its bits, on stderr, most expensive first (where encoding spends its time).
fn print_source_costs(engine: &huiqi::engine::Engine, profiles: &[huiqi::profile::Profile], as_of: Date) {
    let (ix, set) = (engine.index(), engine.policy_set());
    let mut m = engine.matcher();
    let per = |t: Instant| t.elapsed().as_nanos() / (20 * profiles.len().max(1) as u128);
    let mut costs: Vec<(u128, String)> = Vec::new();
    for s in 0..ix.source_count() {
        let Some(node) = ix.source_node(s) else { continue };
        let t = Instant::now();
        for _ in 0..20 {
            for p in profiles {
                let ev = huiqi::eval::Evaluator::new(set, p, as_of);
                if let Ok(v) = ev.eval(node) {
                    ix.encode_source_value(s, &v, set, &mut m);
                }
            }
        }
        let (first, end) = ix.source_range(s).unwrap_or_default();
        let name = match ix.source_field(s) {
            Some((f, y)) => {
                format!("{}{}", set.schema.fields.get(f).map_or("?", |f| f.name.as_str()), if y.is_some() { "@year" } else { "" })
            }
            None => match &node.kind {
                huiqi::check::NodeKind::Def(i) => format!("derived {}", set.definitions.get(*i).map_or("?", |d| d.name.as_str())),
                other => format!("expression {}", format!("{other:?}").chars().take(40).collect::<String>()),
            },
        };
        costs.push((per(t), format!("source {name}: {} predicates", end - first)));
    }
    for (id, node) in ix.generic_predicates() {
        let t = Instant::now();
        for _ in 0..20 {
            for p in profiles {
                let ev = huiqi::eval::Evaluator::new(set, p, as_of);
                std::hint::black_box(ev.eval(node).is_ok());
            }
        }
        let kind = format!("{:?}", node.kind).chars().take(40).collect::<String>();
        costs.push((per(t), format!("generic predicate {id}: {kind}")));
    }
    costs.sort();
    for (ns, what) in costs.iter().rev() {
        eprintln!("{ns:>6} ns  {what}");
    }
    eprintln!("{:>6} ns  in all", costs.iter().map(|c| c.0).sum::<u128>());
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes = Vec::new();
    let mut shapes = vec![Shape::STANDARD];
    let mut structural = false;
    let mut index_only = false;
    let mut guards_too = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--shape" => {
                let name = it.next().ok_or("--shape needs a name")?;
                shapes = if name == "all" {
                    Shape::ALL.to_vec()
                } else {
                    name.split(',').map(|n| Shape::named(n).ok_or(format!("no shape {n}"))).collect::<Result<_, _>>()?
                };
            }
            "--structural" => structural = true,
            // For `perf record`: only the index path, many times over.
            "--index-only" => index_only = true,
            "--guards-too" => guards_too = true,
            n => sizes.push(n.parse::<usize>().map_err(|e| format!("{n}: {e}"))?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    let as_of = Date::parse("2026-06-30").map_err(|e| e.to_string())?;
    println!("| shape | policies | guards | compile | index bytes / policy | generic | programs run | eligible | undetermined | index p50 / p99 / mean (µs) | of which encoding (mean µs) | decoding JSON (mean µs) | JSON record → eligible ids: fields, p50 / p99 (µs) | hand p50 / p99 / mean (µs) | reference mean (µs) | × hand (mean / p99) | × reference (mean) |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for shape in &shapes {
        for &n in &sizes {
            let t = Instant::now();
            let base = huiqi_bench::shaped_engine(n, 1, *shape)?;
            let compile = t.elapsed();
            let jsons: Vec<serde_json::Value> = huiqi::gen::enterprises(2, 400).collect();
            let profiles = huiqi_bench::profiles(&base, 400, 2)?;
            // The parsed-JSON input path: each enterprise as the JSON record a platform
            // would send for these policies, the fields they read and no others (the
            // generated ones carry every field of the schema, records included).
            let read: Vec<String> =
                base.policy_set().fields_read().into_iter().filter_map(|f| base.schema().fields.get(f).map(|f| f.name.clone())).collect();
            let records: Vec<serde_json::Value> = jsons
                .iter()
                .map(|v| match v {
                    serde_json::Value::Object(o) => {
                        serde_json::Value::Object(o.iter().filter(|(k, _)| read.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
                    }
                    other => other.clone(),
                })
                .collect();
            let record_fields =
                records.iter().map(|r| r.as_object().map_or(0, |o| o.len())).sum::<usize>() as f64 / records.len().max(1) as f64;
            // A different sample (seed 3) of the same population tunes the guards.
            let sample = huiqi_bench::profiles(&base, 500, 3)?;
            let set = base.policy_set();
            let trees: Vec<hand::Cond> = set.policies.iter().map(|p| hand::cond(set, &p.condition)).collect::<Result<_, _>>()?;
            let firms: Vec<hand::Enterprise> = profiles.iter().map(|p| hand::enterprise(set, p, as_of)).collect();
            let t = Instant::now();
            let tuned = base.tuned(&sample, as_of);
            eprintln!(
                "{} {n}: tuning on {} enterprises, with the algebra's classes warmed: {} ms ({} classes)",
                shape.name,
                sample.len(),
                t.elapsed().as_millis(),
                tuned.index().algebra_classes()
            );
            let mut engines = vec![("tuned", tuned)];
            if guards_too {
                engines.push(("guards only", base.tuned_guards_only(&sample, as_of)));
            }
            if structural {
                engines.insert(0, ("structural", base.clone()));
            }
            for (label, engine) in engines {
                let stats = engine.index_stats();
                let mut m = engine.matcher();
                // Warm up, and check agreement of all three on every profile while at it.
                let check = if index_only {
                    0
                } else if n >= 100_000 {
                    50
                } else {
                    profiles.len()
                };
                for (p, firm) in profiles.iter().zip(&firms).take(check) {
                    let fast: Vec<Verdict> = engine.match_with(&mut m, p, as_of).iter().map(|t| Verdict::from_tri(*t)).collect();
                    let reference = engine.verdicts_reference(p, as_of);
                    if fast != reference {
                        return Err(format!("{}: index and reference disagree", shape.name));
                    }
                    let by_hand: Vec<Verdict> = trees
                        .iter()
                        .map(|c| match hand::eval(c, firm, as_of) {
                            Some(true) => Verdict::Eligible,
                            Some(false) => Verdict::Ineligible,
                            None => Verdict::Undetermined,
                        })
                        .collect();
                    if let Some(i) = by_hand.iter().zip(&reference).position(|(a, b)| a != b) {
                        eprintln!("{firm:?}\n{:?}\nhand {:?} reference {:?}", trees.get(i), by_hand.get(i), reference.get(i));
                        return Err(format!(
                            "{}: hand-written and reference disagree on policy {i}: {:?}",
                            shape.name,
                            set.policies.get(i).map(|p| &p.condition_text)
                        ));
                    }
                }
                if index_only {
                    // The best of 40 passes over the profiles: the least disturbed by other
                    // work on a shared machine.
                    let mut best = f64::MAX;
                    let passes: usize = std::env::var("HUIQI_PASSES").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
                    for _ in 0..passes {
                        let t = Instant::now();
                        for p in &profiles {
                            std::hint::black_box(engine.match_with(&mut m, p, as_of));
                        }
                        best = best.min(t.elapsed().as_nanos() as f64 / profiles.len() as f64);
                    }
                    let mut decode = f64::MAX;
                    for _ in 0..40 {
                        let t = Instant::now();
                        for v in &records {
                            std::hint::black_box(huiqi::profile::Profile::from_json(engine.schema(), v).is_ok());
                        }
                        decode = decode.min(t.elapsed().as_nanos() as f64 / records.len() as f64);
                    }
                    eprintln!("decoding a record of the fields read ({record_fields:.1} fields): {} µs (best of 40 passes)", us(decode));
                    if let Some(r) = records.first() {
                        eprintln!("the first: {r}");
                    }
                    let ids: Vec<&str> = set.policies.iter().map(|p| p.doc.id.as_str()).collect();
                    let mut whole = f64::MAX;
                    for _ in 0..passes {
                        let t = Instant::now();
                        for r in &records {
                            if let Ok(p) = huiqi::profile::Profile::from_json(engine.schema(), r) {
                                let listed: Vec<&str> =
                                    engine.match_eligible(&mut m, &p, as_of).iter().filter_map(|&i| ids.get(i as usize).copied()).collect();
                                std::hint::black_box(listed);
                            }
                        }
                        whole = whole.min(t.elapsed().as_nanos() as f64 / records.len() as f64);
                    }
                    eprintln!("a JSON record to the eligible ids: {} µs (best of {passes} passes)", us(whole));
                    let jsons: Vec<serde_json::Value> = huiqi::gen::enterprises(2, 400).collect();
                    let mut decode = f64::MAX;
                    for _ in 0..40 {
                        let t = Instant::now();
                        for v in &jsons {
                            std::hint::black_box(huiqi::profile::Profile::from_json(engine.schema(), v).is_ok());
                        }
                        decode = decode.min(t.elapsed().as_nanos() as f64 / jsons.len() as f64);
                    }
                    eprintln!("decoding a profile from a JSON value: {} µs (best of 40 passes)", us(decode));
                    eprintln!("{stats:?}");
                    let mut encode = f64::MAX;
                    for _ in 0..40 {
                        let t = Instant::now();
                        for p in &profiles {
                            let ev = huiqi::eval::Evaluator::new(set, p, as_of);
                            engine.index().encode(&ev, &mut m);
                        }
                        encode = encode.min(t.elapsed().as_nanos() as f64 / profiles.len() as f64);
                    }
                    eprintln!(
                        "{} {n} {label}: index mean {} µs, of which encoding {} µs (best of 40 passes)",
                        shape.name,
                        us(best),
                        us(encode)
                    );
                    print_source_costs(&engine, &profiles, as_of);
                    eprintln!("algebra over sources: {} classes kept", engine.index().algebra_classes());
                    continue;
                }
                let reps = if n >= 100_000 { 1 } else { 5 };
                let (mut fast_ns, mut hand_ns, mut ref_ns, mut json_ns) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                // The record path decides what the full enterprise does.
                for (r, p) in records.iter().zip(&profiles).take(20) {
                    let q = huiqi::profile::Profile::from_json(engine.schema(), r).map_err(|e| e.to_string())?;
                    if engine.match_with(&mut m, &q, as_of).to_vec() != engine.match_with(&mut m, p, as_of).to_vec() {
                        return Err(format!("{}: the record of the fields read decides differently", shape.name));
                    }
                }
                let ids: Vec<&str> = set.policies.iter().map(|p| p.doc.id.as_str()).collect();
                let (mut eligible, mut unknown, mut run) = (0usize, 0usize, 0usize);
                // The three are timed in alternating passes (index, hand-written, a slice of
                // the reference), so that a burst of other work on a shared machine slows
                // them alike and the ratios stay honest. Each pass keeps its own data warm
                // (timing the baselines per profile in between would measure a cold index).
                // At 100k the hand-written loop (17 ms a profile) runs on the first 100
                // profiles and the reference on 20; at smaller sizes the reference on 100.
                let (hand_limit, ref_count): (usize, usize) = if n >= 100_000 { (100, 20) } else { (profiles.len(), 100) };
                let ref_per_pass = ref_count.div_ceil(reps);
                let mut out = vec![None; trees.len()];
                for rep in 0..reps {
                    for p in &profiles {
                        let t = Instant::now();
                        let r = engine.match_with(&mut m, p, as_of);
                        fast_ns.push(t.elapsed().as_nanos());
                        eligible += r.iter().filter(|t| **t == Tri::True).count();
                        unknown += r.iter().filter(|t| **t == Tri::Unknown).count();
                        run += m.evaluated();
                    }
                    // From a parsed JSON record to the ids of the eligible policies.
                    for r in &records {
                        let t = Instant::now();
                        let eligible_ids: Vec<&str> = match huiqi::profile::Profile::from_json(engine.schema(), r) {
                            Ok(p) => {
                                engine.match_eligible(&mut m, &p, as_of).iter().filter_map(|&i| ids.get(i as usize).copied()).collect()
                            }
                            Err(_) => Vec::new(),
                        };
                        json_ns.push(t.elapsed().as_nanos());
                        std::hint::black_box(eligible_ids);
                    }
                    if rep == 0 || n < 100_000 {
                        for firm in firms.iter().take(hand_limit) {
                            let t = Instant::now();
                            for (o, c) in out.iter_mut().zip(&trees) {
                                *o = hand::eval(c, firm, as_of);
                            }
                            hand_ns.push(t.elapsed().as_nanos());
                            std::hint::black_box(&out);
                        }
                    }
                    for p in profiles.iter().skip(rep * ref_per_pass).take(ref_per_pass.min(ref_count.saturating_sub(rep * ref_per_pass))) {
                        let t = Instant::now();
                        let r = engine.verdicts_reference(p, as_of);
                        ref_ns.push(t.elapsed().as_nanos());
                        std::hint::black_box(r);
                    }
                }
                // The encoding share: the same profiles, encoding only.
                let mut encode_ns = Vec::new();
                for p in &profiles {
                    let t = Instant::now();
                    let ev = huiqi::eval::Evaluator::new(set, p, as_of);
                    engine.index().encode(&ev, &mut m);
                    encode_ns.push(t.elapsed().as_nanos());
                }
                // Decoding the same enterprises from JSON values into profiles.
                let mut decode_ns = Vec::new();
                for v in &jsons {
                    let t = Instant::now();
                    let p = huiqi::profile::Profile::from_json(engine.schema(), v);
                    decode_ns.push(t.elapsed().as_nanos());
                    std::hint::black_box(p.is_ok());
                }
                fast_ns.sort_unstable();
                hand_ns.sort_unstable();
                json_ns.sort_unstable();
                let pairs = (fast_ns.len() * n).max(1) as f64;
                let p99 = |v: &[u128]| huiqi_bench::percentile(v, 0.99) as f64;
                println!(
                    "| {} | {n} | {label} | {:.0} ms | {} | {} | {} | {:.1}% | {:.1}% | {} / {} / {} | {} | {} | {:.0}: {} / {} | {} / {} / {} | {} | {:.1}× / {:.1}× | {:.0}× |",
                    shape.name,
                    compile.as_secs_f64() * 1000.0,
                    engine.index().heap_bytes() / n.max(1),
                    stats.generic_predicates,
                    run / fast_ns.len().max(1),
                    eligible as f64 * 100.0 / pairs,
                    unknown as f64 * 100.0 / pairs,
                    us(huiqi_bench::percentile(&fast_ns, 0.5) as f64),
                    us(p99(&fast_ns)),
                    us(mean(&fast_ns)),
                    us(mean(&encode_ns)),
                    us(mean(&decode_ns)),
                    record_fields,
                    us(huiqi_bench::percentile(&json_ns, 0.5) as f64),
                    us(p99(&json_ns)),
                    us(huiqi_bench::percentile(&hand_ns, 0.5) as f64),
                    us(p99(&hand_ns)),
                    us(mean(&hand_ns)),
                    us(mean(&ref_ns)),
                    mean(&hand_ns) / mean(&fast_ns),
                    p99(&hand_ns) / p99(&fast_ns).max(1.0),
                    mean(&ref_ns) / mean(&fast_ns),
                );
            }
        }
    }
    Ok(())
}
