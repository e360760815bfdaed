//! The C ABI of Huiqi: `libhuiqi.so` / `libhuiqi.a`, header `ffi/include/huiqi.h`.
//!
//! Opaque engine and store handles, JSON in and JSON out. Every answer is produced by the
//! operation layer of the core crate (`huiqi::ops`), so C, Python, WASM and the CLI's
//! `--json` give byte-identical envelopes for the same input. This crate only translates:
//! C strings and handles in, envelopes out.
//!
//! The rules the header documents:
//!
//! - Every string-returning call returns an envelope (`{"type":"success",…}` or
//!   `{"type":"failure","errors":[…]}`), also for null, non-UTF-8 or malformed arguments.
//!   It returns NULL only when a handle is invalid (null, freed, foreign, or a handle of
//!   the other kind); then [`huiqi_last_error`] says why.
//! - Strings returned by the library are freed with [`huiqi_string_free`], engines with
//!   `huiqi_engine_free`, stores with `huiqi_store_free`.
//! - Handles are checked against a registry of live handles, which records each one's
//!   kind (engine or store), before they are touched, so a freed or foreign handle, or a
//!   store given where an engine is expected (and the reverse), is reported, not
//!   dereferenced. Each handle also carries a magic number of its kind, cleared on free,
//!   as a second check.
//! - No panic crosses the boundary: every entry point runs under `catch_unwind`, quietly
//!   (`huiqi::guard::quietly`: nothing is printed on the host's stderr).
//! - An Arrow C stream is checked before arrow-rs imports it ([`arrow_in`]).
//!
//! One file per area: [`boundary`] (strings, the last error, the shared entry body),
//! [`handles`] (the registry), `engine` (building, checking), `answers` (matching,
//! explaining, `huiqi_call`), `store` (stores and their questions), `columns` (Arrow),
//! [`arrow_in`] (reading an Arrow C stream from a stranger).
#![allow(unsafe_code, reason = "this crate is the C ABI: raw pointers cross the boundary here and nowhere else")]
// Submodules name each other through `super::`, not `crate::`, so the fuzz harness can
// compile this source as a module (fuzz/fuzz_targets/c_abi.rs).

pub mod answers;
pub mod arrow_in;
pub mod boundary;
pub mod columns;
pub mod engine;
pub mod handles;
pub mod store;

use std::ffi::{c_char, CStr, CString};

pub use handles::{HuiqiEngine, HuiqiStore};

/// Frees a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn huiqi_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `s` came from `CString::into_raw` in this library and
    // is freed once. Dropping a CString does not panic.
    drop(unsafe { CString::from_raw(s) });
}

/// Why the most recent failing call on this thread returned NULL (a constructor —
/// `huiqi_engine_*` or `huiqi_store_open` — or a call with an invalid handle;
/// `huiqi_engine_free` and `huiqi_store_free` with an invalid handle also set it). NULL
/// when that call succeeded. Owned by the library: valid until the next call on this
/// thread of any function but `huiqi_string_free`, `huiqi_version` and
/// `huiqi_last_error`; do not free it.
#[no_mangle]
pub extern "C" fn huiqi_last_error() -> *const c_char {
    boundary::last_error_ptr()
}

static VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(v) => v,
    Err(_) => c"unknown",
};

/// The library version (`MAJOR.MINOR.PATCH`), a static string: do not free it.
#[no_mangle]
pub extern "C" fn huiqi_version() -> *const c_char {
    VERSION.as_ptr()
}

#[cfg(test)]
mod tests;
