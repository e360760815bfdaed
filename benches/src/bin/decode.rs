//! Decoding one enterprise: `Profile::from_json` on a parsed `serde_json::Value` and
//! `Profile::from_json_str` on its text, for profiles of the shapes issue 30 names (a
//! flat 10-field profile: region, industry, capital, revenue, R&D, founding date,
//! employees, tags; the same with per-year values; a bundled sample of 40 fields), µs per
//! profile and per field. Best of 5 rounds of N decodes.
//!
//!     cargo run --release -p huiqi-bench --bin decode -- [N=200000]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark binary: a bad argument ends it")]

use std::time::Instant;

use huiqi::profile::Profile;
use huiqi::schema::Schema;

fn best(n: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    best
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(200_000, |s| s.parse().expect("N"));
    let schema = Schema::embedded().unwrap();
    let flat = r#"{"registered_region": "370102", "industry": "I6513", "registered_capital": 800,
        "operating_revenue": {"2025": 5200}, "rd_expense": {"2025": 410}, "registration_date": "2016-04-12",
        "employees": {"2025": 86}, "tags": ["科创", "专精特新"], "is_resident_enterprise": true, "entity_type": "company_llc"}"#;
    let years = r#"{"registered_region": "370102", "industry": "C3471", "registered_capital": "1200万",
        "operating_revenue": {"2023": 3100, "2024": 4020, "2025": 5200}, "rd_expense": {"2023": 180, "2024": 260, "2025": 410},
        "registration_date": "2016-04-12", "employees": {"2023": 61, "2024": 70, "2025": 86}, "tags": ["科创"],
        "is_resident_enterprise": true, "entity_type": "company_llc"}"#;
    // Codes outside the bundled tables (a Shanghai district, an industry class of another
    // revision): each is an unknown-code warning.
    let foreign = r#"{"registered_region": "310115", "industry": "C3999", "registered_capital": 800,
        "operating_revenue": {"2025": 5200}, "rd_expense": {"2025": 410}, "registration_date": "2016-04-12",
        "employees": {"2025": 86}, "tags": ["科创", "专精特新"], "is_resident_enterprise": true, "entity_type": "company_llc"}"#;
    let sample = include_str!("../../../data/enterprises/01-quanzhi-software.json");
    println!("{:<34} {:>8} {:>10} {:>10} {:>12}", "profile", "fields", "from Value", "from text", "per field (Value)");
    for (name, text) in [
        ("flat, 10 fields", flat),
        ("10 fields, 3 years each", years),
        ("10 fields, codes not in the tables", foreign),
        ("bundled sample 01", sample),
    ] {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let fields = value.as_object().unwrap().keys().filter(|k| !k.starts_with('$')).count();
        Profile::from_json(&schema, &value).unwrap();
        let v = best(n, || {
            std::hint::black_box(Profile::from_json(&schema, std::hint::black_box(&value)).unwrap());
        });
        let t = best(n / 2, || {
            std::hint::black_box(Profile::from_json_str(&schema, std::hint::black_box(text)).unwrap());
        });
        println!("{name:<34} {fields:>8} {v:>8.2}µs {t:>8.2}µs {:>10.3}µs", v / fields as f64);
    }
    // The generator's enterprises (what the latency and compact-verdicts benches feed):
    // the mean over 300 of them (seed 12, as benches/compact_bench.sh).
    let values: Vec<serde_json::Value> = huiqi::gen::enterprises(12, 300).collect();
    let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
    let fields = values.iter().map(|v| v.as_object().map_or(0, |o| o.len())).sum::<usize>() as f64 / values.len() as f64;
    let rounds = (n / values.len()).max(1);
    let v = best(rounds, || {
        for value in &values {
            std::hint::black_box(Profile::from_json(&schema, std::hint::black_box(value)).unwrap());
        }
    }) / values.len() as f64;
    let t = best(rounds, || {
        for text in &texts {
            std::hint::black_box(Profile::from_json_str(&schema, std::hint::black_box(text)).unwrap());
        }
    }) / values.len() as f64;
    println!("{:<34} {fields:>8.1} {v:>8.2}µs {t:>8.2}µs {:>10.3}µs", "generated (300, seed 12), mean", v / fields);
}
