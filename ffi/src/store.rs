//! Enterprise stores: open, free, and the questions about all their enterprises at once.

use std::ffi::c_char;

use huiqi_core::ops::stores::{self, DateRequest, ReverseRequest};
use huiqi_core::ops::{self, ErrorItem, OpenStore};

use super::boundary::{must, on_store, read_all, req, string_call};
use super::handles::{build, deliver, free_handle, live, HuiqiEngine, HuiqiStore};

/// Opens an enterprise store for `huiqi_reverse` and `huiqi_bulk_counts`: a store file
/// saved by `huiqi store build`, enterprises as CSV (a `.csv` name) or JSON lines (any
/// other name), or a folder of profiles (one JSON document per `.json` file), read with
/// the schema of `engine`, as `huiqi reverse --enterprises PATH`. Bad CSV or JSON-lines
/// rows are skipped and counted in the load report (`huiqi_store_info`); an unreadable
/// file, a store file that is corrupt or was built with another schema, or a file whose
/// rows are mostly bad (none kept, or more skipped than kept) is an error.
///
/// The store does not keep `engine`: either may be freed first. Use the store with
/// engines of the same schema as `engine` (any policy set).
///
/// Returns a new store, or NULL on failure: then `*error_out` (if `error_out` is
/// non-null) receives a failure envelope (kind `"store"` for the file, `"request"` for a
/// null, non-UTF-8 or invalid argument, including an engine handle that is not live; free
/// it with `huiqi_string_free`; it is set to NULL on success), and `huiqi_last_error()` a
/// one-line summary.
///
/// # Safety
/// `engine` is any pointer value (checked before use); `path` is NULL or a NUL-terminated
/// string valid for the call; `error_out` is NULL or points to writable storage for one
/// `char *`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_store_open(engine: *const HuiqiEngine, path: *const c_char, error_out: *mut *mut c_char) -> *mut HuiqiStore {
    let result = build("huiqi_store_open", || {
        let engine = live(engine).map_err(|message| ErrorItem::request("engine", message));
        // SAFETY: the caller guarantees NULL or a NUL-terminated string valid for the call.
        let path = unsafe { read_all([req(path, "path")]) };
        let (engine, [path]) = match (engine, path) {
            (Ok(e), Ok(p)) => (e, p),
            (e, p) => return Err(e.err().into_iter().chain(p.err().into_iter().flatten()).collect()),
        };
        OpenStore::load(&engine, must(path)).map(HuiqiStore::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_store_open", error_out, result) }
}

/// Frees a store. NULL is ignored. A handle that is not a live store (freed already, an
/// engine handle, or not made by this library) is left alone and reported by
/// `huiqi_last_error()`.
///
/// Calls already running on the store in other threads finish normally (they hold their
/// own reference); calls made after this one return NULL.
///
/// # Safety
/// `store` is NULL or any pointer value; it is only dereferenced when it is a live store
/// handle.
#[no_mangle]
pub unsafe extern "C" fn huiqi_store_free(store: *mut HuiqiStore) {
    free_handle("huiqi_store_free", store);
}

/// The load report of a store: a success envelope whose result is
/// `{"enterprises": N, "report": {"loaded": N, "skipped": N, "warnings": N, "errors":
/// [{"line": N, "reason": "…"}, …]}}` (the first 100 skipped rows; a store file reports
/// its enterprises as loaded, with no warnings).
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `store` is not
/// a live store handle.
///
/// # Safety
/// `store` is any pointer value (checked before use).
#[no_mangle]
pub unsafe extern "C" fn huiqi_store_info(store: *const HuiqiStore) -> *mut c_char {
    string_call("huiqi_store_info", || {
        let open = live(store)?;
        Ok(ops::success(open.info()))
    })
}

/// Prepares a store for the engine's questions on `as_of`: computes the predicate sets of
/// every enterprise (the work a bulk run, a reverse query or the counts would otherwise
/// do first) and keeps them with the store handle, so that `huiqi_reverse`,
/// `huiqi_bulk_counts` and `huiqi_bulk_arrow` on this engine and date answer from them.
/// A handle keeps the sets of one date: asking another date (or engine) prepares again
/// and replaces them. Calling this is optional: the first question on a date prepares.
///
/// Returns a success envelope `{"enterprises": N, "as_of": "YYYY-MM-DD", "seconds": s}`
/// (the time the call took: next to nothing when the sets were kept already), or a failure (a
/// bad date, a store of another schema); NULL only when `engine` or `store` is not a
/// live handle of its kind.
///
/// # Safety
/// `engine` and `store` are any pointer values (checked before use); `as_of` is NULL or a
/// NUL-terminated string valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_store_prepare(engine: *const HuiqiEngine, store: *const HuiqiStore, as_of: *const c_char) -> *mut c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        on_store("huiqi_store_prepare", engine, store, [req(as_of, "as_of")], |e, s, [d]| {
            ops::respond(stores::prepare(e, s, &DateRequest { as_of: must(d).to_string() }))
        })
    }
}

/// Which enterprises of a store qualify for one policy on `as_of` (免申即享 / 精准推送):
/// the envelope of `huiqi reverse --json`, byte for byte. The result has `policy`,
/// `as_of`, `enterprises`, the counts `eligible` and `undetermined`, and the ids (统一社会信用代码)
/// of the first `list` enterprises of each, in `eligible_ids` and `undetermined_ids`.
///
/// An unknown policy id gives a failure of kind `"unknown_policy"` whose message suggests
/// the nearest id ("did you mean …?"); a store of another schema than the engine's a
/// failure of kind `"store"`. A policy that is not in force on `as_of` (effective dates,
/// or replaced by a newer version) is evaluated all the same, by its condition alone, as
/// the CLI does; `huiqi_bulk_counts` lists only the versions in force.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` or
/// `store` is not a live handle of its kind.
///
/// # Safety
/// `engine` and `store` are any pointer values (checked before use); the strings are NULL
/// or NUL-terminated strings valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_reverse(
    engine: *const HuiqiEngine,
    store: *const HuiqiStore,
    policy_id: *const c_char,
    as_of: *const c_char,
    list: usize,
) -> *mut c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        on_store("huiqi_reverse", engine, store, [req(policy_id, "policy_id"), req(as_of, "as_of")], |e, s, [p, d]| {
            ops::respond(stores::reverse(
                e,
                s,
                &ReverseRequest { policy: must(p).to_string(), as_of: must(d).to_string(), list, offset: 0, missing: false },
            ))
        })
    }
}

/// Every enterprise of a store against every policy version in force on `as_of`: a
/// success envelope whose result is an array of `{"policy": id, "eligible": N,
/// "undetermined": N}`, one per policy in the engine's order, the same numbers as
/// `huiqi bulk --format counts`.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` or
/// `store` is not a live handle of its kind.
///
/// # Safety
/// As `huiqi_reverse`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_bulk_counts(engine: *const HuiqiEngine, store: *const HuiqiStore, as_of: *const c_char) -> *mut c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        on_store("huiqi_bulk_counts", engine, store, [req(as_of, "as_of")], |e, s, [d]| {
            ops::respond(stores::bulk_counts(e, s, &DateRequest { as_of: must(d).to_string() }))
        })
    }
}
