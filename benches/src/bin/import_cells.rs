//! Column import cost per cell type: `ColumnsBuilder` filled from typed cells (what the
//! Arrow and Parquet readers hand it), one column at a time, against the same column's
//! cells only iterated (the loop a caller pays anyway).
//!
//!     cargo run --release -p huiqi-bench --bin import_cells [ROWS]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "a benchmark")]

use std::time::Instant;

use huiqi::profile::Cell;
use huiqi::schema::Schema;
use huiqi::store::{ColumnsBuilder, Target};

fn main() {
    let rows: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let schema = Schema::embedded().expect("schema");
    let floats: Vec<f64> = (0..rows).map(|i| (i % 9973) as f64 * 1.37 + 0.01).collect();
    let ints: Vec<i64> = (0..rows).map(|i| (i % 500) as i64).collect();
    let bools: Vec<bool> = (0..rows).map(|i| i % 3 == 0).collect();
    let regions = ["370102", "370112", "370181", "110105", "440305"];
    let industries = ["C3911", "I6513", "M7320", "C2710"];
    let dates: Vec<String> = (0..rows).map(|i| format!("20{:02}-0{}-1{}", i % 24, 1 + i % 9, i % 10)).collect();
    let usccs: Vec<String> =
        huiqi::gen::enterprises(1, rows.min(20_000)).map(|v| v["uscc"].as_str().unwrap_or_default().to_string()).collect();
    type Make<'a> = Box<dyn Fn(usize) -> Option<Cell<'a>> + 'a>;
    let cases: Vec<(&str, &str, Make<'_>)> = vec![
        ("bool", "serious_dishonesty", Box::new(|i| Some(Cell::Bool(bools[i])))),
        ("int → integer", "employees_2025", Box::new(|i| Some(Cell::Int(ints[i])))),
        ("float → decimal (万元)", "operating_revenue_2025", Box::new(|i| Some(Cell::Float(floats[i])))),
        ("date", "registration_date", Box::new(|i| Some(Cell::Date(huiqi::date::Date::from_day_number(10_000 + (i % 9000) as i32))))),
        ("date text", "registration_date", Box::new(|i| Some(Cell::Str(dates[i].as_str())))),
        ("code (region)", "registered_region", Box::new(|i| Some(Cell::Str(regions[i % regions.len()])))),
        ("code (industry)", "industry", Box::new(|i| Some(Cell::Str(industries[i % industries.len()])))),
        ("enum (tax credit)", "tax_credit_2025", Box::new(|i| Some(Cell::Str(["A", "B", "M"][i % 3])))),
        ("uscc text", "uscc", Box::new(|i| Some(Cell::Str(usccs[i % usccs.len()].as_str())))),
        ("null", "registered_capital", Box::new(|_| None)),
    ];
    println!("{rows} rows; ns per cell (best of 5)");
    for (what, column, make) in &cases {
        let target = Target::resolve(&schema, column).expect("column");
        let mut best = f64::MAX;
        for _ in 0..5 {
            let mut b = ColumnsBuilder::new(&schema);
            let first = b.add_rows(rows).expect("rows");
            let t = Instant::now();
            b.scalars(column, target, first, (0..rows).map(make)).expect("fill");
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(b.finish());
        }
        println!("{what:<24} {:8.1}", best * 1e9 / rows as f64);
    }
}
