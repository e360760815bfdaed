//! The Parquet reader path of `huiqi store build --enterprises X.parquet` and `huiqi bulk`:
//! `huiqi_arrow::parquet_in` (the guarded reader the CLI and Java use) and
//! `huiqi_arrow::store_from_batches`.
//! The first byte picks the input: the fuzzed bytes as a whole file, or a valid file of
//! enterprises (written once, Snappy, dictionaries, three row groups) with bytes changed
//! at fuzzed places. Must never panic or abort: a bad file is an error.
#![no_main]

use huiqi_arrow::parquet_in;

#[path = "shared/mod.rs"]
mod shared;

use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use libfuzzer_sys::fuzz_target;

fn valid_file() -> &'static [u8] {
    static F: OnceLock<Vec<u8>> = OnceLock::new();
    F.get_or_init(|| {
        let n = 300;
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("name", Arc::new(StringArray::from((0..n).map(|i| format!("企业{i}")).collect::<Vec<_>>()))),
            ("registered_capital", Arc::new(StringArray::from((0..n).map(|i| format!("{}万元", i * 7)).collect::<Vec<_>>()))),
            ("industry", Arc::new(StringArray::from((0..n).map(|i| ["C3911", "I6510"][i % 2]).collect::<Vec<_>>()))),
            ("employees_2025", Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>()))),
        ];
        let batch = RecordBatch::try_from_iter(cols).expect("batch");
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_size(100)
            .build();
        let mut out = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        out
    })
}

fn scratch() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("huiqi-fuzz-parquet-{}.parquet", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut f = valid_file().to_vec();
        // Pairs of (position, value); positions spread over the whole file.
        for pair in rest.chunks(4) {
            if let [a, b, c, v] = pair {
                let at = (usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c)) % f.len();
                f[at] = *v;
            }
        }
        f
    };
    let path = scratch();
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    if let Ok((reader, _failure)) = parquet_in::Batches::open(&path) {
        let _ = huiqi_arrow::store_from_batches(shared::schema(), reader);
    }
});
