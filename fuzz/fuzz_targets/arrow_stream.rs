//! The Arrow C stream import (`huiqi_store_from_arrow`) against a structure-aware hostile
//! producer: fuzzed bytes choose the columns (names from the schema or not, types among
//! those a store reads and some it refuses, nulls, rows), how many batches, and one attack
//! on the raw structs or the callbacks (fuzz_targets/shared/arrow_producer.rs, also used
//! by the ffi crate's tests). Must never crash, abort or leak; every failure is an
//! envelope. Run under ASan (`cargo fuzz` builds with it).
#![no_main]

extern crate huiqi as huiqi_core;

#[allow(dead_code, unused_imports, clippy::all, reason = "the ffi crate's source, compiled into this harness")]
#[path = "../../ffi/src/lib.rs"]
mod abi;

#[allow(dead_code, clippy::all, reason = "shared with the ffi tests")]
#[path = "shared/arrow_producer.rs"]
mod producer;

use std::ffi::c_char;
use std::ptr;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray};
use libfuzzer_sys::fuzz_target;

/// Reads fuzzed bytes as small numbers.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }
    fn int(&mut self) -> i64 {
        i64::from(self.byte() as i8) * i64::from(self.byte())
    }
    fn text(&mut self) -> String {
        let n = usize::from(self.byte() % 12);
        let s: Vec<u8> = (0..n).map(|_| self.byte()).collect();
        String::from_utf8_lossy(&s).into_owned()
    }
}

const NAMES: &[&str] = &["name", "uscc", "registered_capital", "industry", "tags", "employees_2025", "rd_expense_2024", "registration_date", "注册资本", "nope"];

fn column(b: &mut Bytes, rows: usize) -> ArrayRef {
    let null = |b: &mut Bytes| b.byte() % 5 == 0;
    match b.byte() % 8 {
        0 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.text()) }).collect::<StringArray>()),
        1 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.text()) }).collect::<LargeStringArray>()),
        2 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.int()) }).collect::<Int64Array>()),
        3 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.int() as f64 / 7.0) }).collect::<Float64Array>()),
        4 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.byte() % 2 == 0) }).collect::<BooleanArray>()),
        5 => Arc::new((0..rows).map(|_| if null(b) { None } else { Some(b.int() as i32 * 37) }).collect::<Date32Array>()),
        6 => {
            let mut l = ListBuilder::new(StringBuilder::new());
            for _ in 0..rows {
                for _ in 0..b.byte() % 3 {
                    l.values().append_value(b.text());
                }
                l.append(!null(b));
            }
            Arc::new(l.finish())
        }
        _ => {
            let mut d = StringDictionaryBuilder::<Int32Type>::new();
            for _ in 0..rows {
                if null(b) {
                    d.append_null();
                } else {
                    d.append_value(b.text());
                }
            }
            Arc::new(d.finish())
        }
    }
}

fn attack(b: &mut Bytes) -> producer::Attack {
    use producer::Attack as A;
    let c = usize::from(b.byte() % 4);
    match b.byte() % 20 {
        0 => A::None,
        1 => A::SchemaFails(if b.byte() % 2 == 0 { None } else { Some(b.text()) }),
        2 => A::NextFails(if b.byte() % 2 == 0 { None } else { Some(b.text()) }),
        3 => {
            let n = i32::from(b.byte() as i8) * i32::from(b.byte()) * 65_537;
            let parts: Vec<i32> = (0..b.byte() % 6).map(|_| i32::from(b.byte() as i8)).collect();
            let mut bytes = n.to_ne_bytes().to_vec();
            for p in parts {
                bytes.extend(p.to_ne_bytes());
                bytes.extend(std::iter::repeat_n(b'k', usize::try_from(p).unwrap_or(0).min(64)));
            }
            bytes.resize(bytes.len() + 512, 0);
            A::Metadata(if b.byte() % 2 == 0 { None } else { Some(c) }, bytes)
        }
        4 => A::SchemaChildren(b.int() * 10_000),
        5 => A::NullSchemaChild(c),
        6 => A::NullFormat,
        7 => A::Length(c, b.int()),
        8 => A::Offset(c, b.int()),
        9 => A::NullCount(c, b.int()),
        10 => A::Buffers(c, b.int()),
        11 => A::Children(c, b.int()),
        12 => A::NullBuffer(c, usize::from(b.byte() % 4)),
        13 => A::OffsetValue(c, usize::from(b.byte() % 8), (b.int() * 1_000) as i32),
        14 => A::ChildLength(c, b.int()),
        15 => A::BatchChildren(b.int()),
        16 => A::BatchLength(b.int()),
        17 => A::NoGetNext,
        _ => A::None,
    }
}

fn engine() -> usize {
    static E: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *E.get_or_init(|| {
        // SAFETY: null arguments mean the bundled schema and policies.
        let e = unsafe { abi::engine::huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        assert!(!e.is_null(), "bundled engine");
        e as usize
    })
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let rows = usize::from(b.byte() % 9);
    let n_cols = 1 + usize::from(b.byte() % 4);
    let mut cols: Vec<(String, ArrayRef)> = Vec::new();
    for _ in 0..n_cols {
        let name = NAMES[usize::from(b.byte()) % NAMES.len()].to_string();
        if cols.iter().any(|(n, _)| *n == name) {
            continue;
        }
        cols.push((name, column(&mut b, rows)));
    }
    let Ok(batch) = RecordBatch::try_from_iter(cols) else { return };
    let batches: Vec<RecordBatch> = (0..1 + b.byte() % 3).map(|_| batch.clone()).collect();
    let mut stream = producer::stream(batches, attack(&mut b));
    let mut error: *mut c_char = ptr::null_mut();
    // SAFETY: a live engine; the stream is handed over; error_out is writable.
    let store = unsafe { abi::columns::huiqi_store_from_arrow(engine() as *const _, ptr::from_mut(&mut stream).cast(), &mut error) };
    assert!(stream.release.is_none(), "the stream is consumed");
    if !error.is_null() {
        // SAFETY: made by the library.
        let text = unsafe { std::ffi::CStr::from_ptr(error) }.to_string_lossy().into_owned();
        assert!(!text.contains("\"internal\""), "{text}");
        // SAFETY: freed once.
        unsafe { abi::huiqi_string_free(error) };
    }
    if !store.is_null() {
        // SAFETY: a live store, freed once.
        unsafe { abi::store::huiqi_store_free(store) };
    }
});
