//! `huiqi bulk`: every enterprise against every policy, written to a CSV, JSON-lines or Parquet file.

use std::io::Write;
use std::process::ExitCode;

use crate::args::{BulkArgs, BulkFormat, StorePath};
use crate::common::{as_of, b_len, engine, is_parquet, load_enterprises, print_load_report, reaches, Fail};

pub(crate) fn run(mut out: impl Write, args: BulkArgs) -> Result<ExitCode, Fail> {
    let BulkArgs { enterprises, out: file, format, set, as_of: date, engine: path } = args;
    let engine = engine(&set)?;
    let date = as_of(&date)?;
    let t = std::time::Instant::now();
    let (store, report) = load_enterprises(engine.schema(), &enterprises, huiqi::store::LoadOptions::default())?;
    if report.skipped > 0 {
        let mut err = std::io::stderr();
        print_load_report(&mut err, &report)?;
    }
    // Written next to the target and renamed over it when complete: a failed or
    // killed run leaves the previous output as it was.
    let mut w = huiqi::files::AtomicFile::create(&file).map_err(|e| Fail(format!("cannot write {}: {e}", file.display()), 2))?;
    let mut pairs: u64 = 0;
    if is_parquet(&file) {
        if format == BulkFormat::Jsonl {
            return Err(Fail(
                format!(
                    "--format jsonl cannot be written to {}: a .parquet file holds the pairs shape (the default, as the CSV) or, with --format counts, the counts",
                    file.display()
                ),
                2,
            ));
        }
        if path != StorePath::Store {
            return Err(Fail("Parquet output is written from the store path (--engine store)".into(), 2));
        }
        // The shapes of the Arrow path: pairs (eligible and undetermined, as the CSV)
        // or counts.
        let shape = if format == BulkFormat::Counts { huiqi_arrow::Shape::Counts } else { huiqi_arrow::Shape::Pairs };
        let batches = huiqi_arrow::bulk_batches(&engine, &store, date, shape, true, false).map_err(|e| Fail(e, 2))?;
        let parquet_fail = |e: parquet::errors::ParquetError| Fail(format!("cannot write {}: {e}", file.display()), 2);
        let mut writer = parquet::arrow::ArrowWriter::try_new(w, batches.schema(), None).map_err(parquet_fail)?;
        for batch in batches {
            let batch = batch.map_err(|e| Fail(e.to_string(), 2))?;
            if shape == huiqi_arrow::Shape::Pairs {
                pairs += batch.num_rows() as u64;
            }
            writer.write(&batch).map_err(parquet_fail)?;
        }
        w = writer.into_inner().map_err(parquet_fail)?;
    } else {
        match format {
            BulkFormat::Counts => {
                // Counts need no sets: the store counts each block's result words in place.
                let counts: Vec<(u64, u64)> = match path {
                    StorePath::Store => store.prepare(&engine, date)?.bulk_counts(&engine),
                    StorePath::Reference => {
                        reaches(&engine, &store, date, path, None)?.iter().map(|r| (b_len(&r.eligible), b_len(&r.undetermined))).collect()
                    }
                };
                writeln!(w, "policy_id,eligible,undetermined")?;
                for (i, (p, (e, u))) in engine.policy_set().policies.iter().zip(&counts).enumerate() {
                    if engine.version_in_force(i, date) {
                        writeln!(w, "{},{e},{u}", p.doc.id)?;
                    }
                }
            }
            BulkFormat::Csv | BulkFormat::Jsonl => {
                let all = reaches(&engine, &store, date, path, None)?;
                if format == BulkFormat::Csv {
                    writeln!(w, "enterprise_id,policy_id,verdict")?;
                }
                let bar = indicatif::ProgressBar::new(all.len() as u64);
                for (i, (p, r)) in engine.policy_set().policies.iter().zip(&all).enumerate() {
                    if !engine.version_in_force(i, date) {
                        continue; // as in match: only the versions in force on the date
                    }
                    for (verdict, b) in [("eligible", &r.eligible), ("undetermined", &r.undetermined)] {
                        for row in b {
                            let id = store.id(row).unwrap_or("");
                            pairs += 1;
                            if format == BulkFormat::Csv {
                                writeln!(w, "{},{},{verdict}", csv_field(id), p.doc.id)?;
                            } else {
                                writeln!(w, "{}", serde_json::json!({"enterprise_id": id, "policy_id": p.doc.id, "verdict": verdict}))?;
                            }
                        }
                    }
                    bar.inc(1);
                }
                bar.finish_and_clear();
            }
        }
    }
    w.commit().map_err(|e| Fail(format!("cannot write {}: {e}", file.display()), 2))?;
    writeln!(
        out,
        "{} enterprises × {} policies on {date} in {:.2} s → {} ({pairs} pairs written)",
        store.len(),
        engine.policy_set().policies.len(),
        t.elapsed().as_secs_f64(),
        file.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
