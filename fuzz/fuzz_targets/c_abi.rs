//! The C ABI entry points called with fuzzed arguments, as a C caller would: the ffi
//! crate's source is compiled in (it builds no Rust library to link), and fuzzed bytes are
//! split at NUL bytes into C strings (a missing piece is a null pointer). Engines are
//! built from fuzzed schema and policy texts and matched, explained and checked. Must
//! never crash; every returned string is freed with huiqi_string_free.
#![no_main]

extern crate huiqi as huiqi_core;

#[allow(dead_code, unused_imports, clippy::all, reason = "the ffi crate's source, compiled into this harness")]
#[path = "../../ffi/src/lib.rs"]
mod abi;

use std::ffi::{c_char, CString};
use std::ptr;

use libfuzzer_sys::fuzz_target;

fn take(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: a string returned by the library, freed once.
        unsafe { abi::huiqi_string_free(s) };
    }
}

/// The bundled engine's handle, as an address (kept for the whole run).
fn bundled() -> usize {
    static E: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *E.get_or_init(|| {
        let mut err: *mut c_char = ptr::null_mut();
        // SAFETY: null arguments mean the bundled schema and policies.
        let e = unsafe { abi::engine::huiqi_engine_new(ptr::null(), ptr::null(), &mut err) };
        take(err);
        assert!(!e.is_null(), "bundled engine");
        e as usize
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&op, rest)) = data.split_first() else { return };
    let parts: Vec<CString> = rest.split(|b| *b == 0).take(4).filter_map(|p| CString::new(p).ok()).collect();
    let arg = |i: usize| parts.get(i).map_or(ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is null or a NUL-terminated string alive for the call; every
    // returned string and handle is released once.
    unsafe {
        match op % 4 {
            0 => take(abi::engine::huiqi_check(arg(0), arg(1))),
            1 => {
                let mut err: *mut c_char = ptr::null_mut();
                let schema = if op & 4 == 0 { ptr::null() } else { arg(2) };
                let engine = abi::engine::huiqi_engine_new(schema, arg(0), &mut err);
                take(err);
                if !engine.is_null() {
                    take(abi::answers::huiqi_match(engine, arg(1), c"2026-06-30".as_ptr()));
                    take(abi::answers::huiqi_match_many(engine, arg(1), arg(3)));
                    abi::engine::huiqi_engine_free(engine);
                }
            }
            _ => {
                // The bundled engine (built once), fuzzed profiles, dates and policy ids.
                let engine = bundled() as *const abi::HuiqiEngine;
                take(abi::answers::huiqi_match(engine, arg(0), arg(1)));
                take(abi::answers::huiqi_explain(engine, arg(0), arg(2), arg(1)));
                take(abi::answers::huiqi_match_many(engine, arg(3), arg(1)));
            }
        }
    }
});
