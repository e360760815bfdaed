//! Arrow in and out: a store from an Arrow C stream, bulk results as one.

use std::ffi::{c_char, c_void};

use huiqi_arrow as arrow;
use huiqi_core::ops::stores::{BulkOptions, BulkWritten};
use huiqi_core::ops::{self, ErrorItem, ErrorKind, OpenStore};

use super::boundary::{must, on_store, opt, req};
use super::handles::{build, deliver, live, HuiqiEngine, HuiqiStore};

/// Opens a store from an Arrow C stream of record batches (the Arrow C stream interface,
/// `struct ArrowArrayStream`), with the engine's schema: no file and no JSON on the way.
///
/// Columns are named by schema field names or labels; a per-year field has one column per
/// year, `rd_expense_2025`; tags are a list of strings; qualifications a list of structs
/// with a profile qualification's keys; null is unknown (docs/arrow.md has the types). A
/// column that is not a schema field, or a cell that does not fit its field, fails the
/// whole call with a failure whose message names the column and the row (counted from 0
/// over the stream).
///
/// `stream` is consumed: the library releases it (also on failure) and the caller must not
/// use or release it again; NULL is a request failure. Returns a store handle (free with
/// `huiqi_store_free`), or NULL with `*error_out` set as for `huiqi_store_open`.
///
/// # Safety
/// `engine` is any pointer value (checked before use); `stream` is NULL or points to a
/// valid `struct ArrowArrayStream` the caller owns and hands over; `error_out` is NULL or
/// points to writable storage for one `char *`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_store_from_arrow(
    engine: *const HuiqiEngine,
    stream: *mut c_void,
    error_out: *mut *mut c_char,
) -> *mut HuiqiStore {
    let result = build("huiqi_store_from_arrow", || {
        let reader = if stream.is_null() {
            Err(ErrorItem::request("stream", "stream is a null pointer"))
        } else {
            // SAFETY: the caller hands over an ArrowArrayStream; `from_raw` moves it out and
            // leaves a released (empty) stream in its place, then checks what it reads.
            unsafe { super::arrow_in::Imported::from_raw(stream) }
                .map_err(|e| ErrorItem::request("stream", format!("not a readable Arrow stream: {e}")))
        };
        let engine = live(engine).map_err(|message| ErrorItem::request("engine", message));
        let (engine, reader) = match (engine, reader) {
            (Ok(e), Ok(r)) => (e, r),
            (e, r) => return Err(e.err().into_iter().chain(r.err()).collect()),
        };
        let (store, report) = arrow::store_from_batches(engine.schema(), reader).map_err(|m| vec![ErrorItem::new(ErrorKind::Store, m)])?;
        Ok(HuiqiStore::new(OpenStore::new(store, report)))
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_store_from_arrow", error_out, result) }
}

/// Every enterprise of a store against every policy version in force on `as_of`, as an
/// Arrow C stream of record batches written to `out` (a `struct ArrowArrayStream` the
/// caller allocated; the caller releases it when done).
///
/// `options_json`: NULL, or `{"output": "pairs" | "lists" | "counts", "undetermined":
/// bool, "missing": bool}` (default pairs, no undetermined, no missing fields):
///
/// - pairs: `enterprise_id`, `policy_id`, `verdict` (utf8): one row per eligible pair, and
///   per undetermined pair when asked, policy by policy, as `huiqi bulk` writes them; with
///   `missing` (and `undetermined`) a fourth column `missing_fields` (list<utf8>: the
///   field names an undetermined pair lacks, null for eligible pairs), which matches each
///   enterprise with an undetermined pair on its own (much slower than the rest);
/// - lists: `enterprise_id`, `eligible` (list<utf8> of policy ids), and `undetermined`
///   when asked: one row per enterprise, in store order;
/// - counts: `policy_id`, `eligible`, `undetermined` (uint64): one row per policy.
///
/// Returns a success envelope (`{"output": …, "undetermined": bool}`) when `out` was
/// written, else a failure envelope (`out` untouched); free it with `huiqi_string_free`.
/// NULL only when `engine` or `store` is not a live handle of its kind. The batches are
/// made as they are read (64 Ki rows each), from the bulk result computed by this call.
///
/// # Safety
/// `engine` and `store` are any pointer values (checked before use); the strings are NULL
/// or NUL-terminated strings valid for the call; `out` is NULL or points to writable
/// storage for one `struct ArrowArrayStream`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_bulk_arrow(
    engine: *const HuiqiEngine,
    store: *const HuiqiStore,
    as_of: *const c_char,
    options_json: *const c_char,
    out: *mut c_void,
) -> *mut c_char {
    let args = [req(as_of, "as_of"), opt(options_json, "options_json")];
    let answer = |engine: &std::sync::Arc<huiqi_core::engine::Engine>, open: &OpenStore, [date, options]: [Option<&str>; 2]| {
        let run = || {
            let date = ops::error::parse_date("as_of", must(date))?;
            let o = BulkOptions::from_json(options)?;
            if out.is_null() {
                return Err(vec![ErrorItem::request("out", "out is a null pointer")]);
            }
            let batches =
                arrow::bulk_batches_with(engine, &open.store, date, o.output, o.undetermined, o.missing, |d| open.prepared(engine, d))
                    .map_err(|m| vec![ErrorItem::new(ErrorKind::Store, m)])?;
            let stream = arrow_array::ffi_stream::FFI_ArrowArrayStream::new(batches);
            // SAFETY: the caller guarantees `out` points to writable storage for one
            // ArrowArrayStream; whatever was there is overwritten, not released.
            unsafe { out.cast::<arrow_array::ffi_stream::FFI_ArrowArrayStream>().write_unaligned(stream) };
            Ok(BulkWritten { output: o.output, undetermined: o.undetermined })
        };
        ops::respond(run())
    };
    // SAFETY: forwarded from the caller.
    unsafe { on_store("huiqi_bulk_arrow", engine, store, args, answer) }
}
