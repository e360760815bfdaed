//! Answers about enterprises on one engine: match, verdicts, explain, many at once, and
//! `huiqi_call`, the one entry point for every operation.

use std::ffi::c_char;

use huiqi_core::ops;

use super::boundary::{must, opt, read_all, req, string_call};
use super::handles::{live, HuiqiEngine, HuiqiStore};

/// Matches one enterprise profile (JSON text) against every policy in force on `as_of`
/// (`YYYY-MM-DD`): the envelope of `huiqi match --json`.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle.
///
/// # Safety
/// `engine` is any pointer value (checked before use); the strings are NULL or
/// NUL-terminated strings valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_match(engine: *const HuiqiEngine, profile_json: *const c_char, as_of: *const c_char) -> *mut c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        super::boundary::on_engine("huiqi_match", engine, [req(profile_json, "profile_json"), req(as_of, "as_of")], |e, [p, d]| {
            ops::match_json(e, must(p), must(d))
        })
    }
}

/// Matches one enterprise profile with options: the envelope of `huiqi match --json` with
/// the same options. `options_json` is NULL (the defaults) or a JSON object, every key
/// optional:
///
/// ```json
/// {"detail": "verdicts" | "summary" | "full", "all": false, "tags": ["科创"], "limit": 20,
///  "recommend_undetermined": false, "engine": "index" | "reference"}
/// ```
///
/// By default (`full`) the eligible and undetermined policies are listed with score,
/// benefit, unmet and undetermined conditions and missing fields, with the counts of all
/// policies; `"all": true` lists the ineligible ones too. `summary` leaves out the
/// conditions in words; `verdicts` lists only ids and verdicts (the fast form for bulk
/// callers, see also `huiqi_verdicts`). Unknown keys or values are a failure envelope
/// (kind `"request"`).
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle.
///
/// # Safety
/// As `huiqi_match`; `options_json` is NULL or a NUL-terminated string valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_match_opts(
    engine: *const HuiqiEngine,
    profile_json: *const c_char,
    as_of: *const c_char,
    options_json: *const c_char,
) -> *mut c_char {
    let args = [req(profile_json, "profile_json"), req(as_of, "as_of"), opt(options_json, "options_json")];
    // SAFETY: forwarded from the caller.
    unsafe { super::boundary::on_engine("huiqi_match_opts", engine, args, |e, [p, d, o]| ops::match_request_json(e, must(p), must(d), o)) }
}

/// The verdicts-only match: the counts of every policy in force, and the ids and verdicts
/// of the eligible and undetermined ones (`huiqi_match_opts` with
/// `{"detail": "verdicts"}`), at the policy index's speed.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle.
///
/// # Safety
/// As `huiqi_match`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_verdicts(engine: *const HuiqiEngine, profile_json: *const c_char, as_of: *const c_char) -> *mut c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        super::boundary::on_engine("huiqi_verdicts", engine, [req(profile_json, "profile_json"), req(as_of, "as_of")], |e, [p, d]| {
            ops::verdicts_json(e, must(p), must(d))
        })
    }
}

/// The compact verdicts: the verdict of every policy as one byte in `out`, in the set's
/// order, with no JSON built (the fast path for callers that keep the ids): 0 ineligible,
/// 1 eligible, 2 undetermined, 3 not in force on `as_of`. The ids, in that order, come
/// once from `huiqi_call(engine, "policy_ids", NULL)`. `out` holds `out_len` bytes, at
/// least one per policy; bytes past the set's are left alone. Each thread keeps one
/// matcher for the last engine it matched on, so no buffer is allocated per call.
///
/// Returns the number of policies written (>= 0). Returns -1 when the engine is not a live
/// handle (`huiqi_last_error()` says why) or the profile, date or buffer is bad
/// (`huiqi_last_error()` holds the failure envelope, as `huiqi_verdicts` would answer it).
///
/// # Safety
/// `profile_json` and `as_of` as in `huiqi_match`; `out` is NULL or points to `out_len`
/// writable bytes that nothing else touches during the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_verdict_bytes(
    engine: *const HuiqiEngine,
    profile_json: *const c_char,
    as_of: *const c_char,
    out: *mut u8,
    out_len: usize,
) -> i64 {
    let args = [req(profile_json, "profile_json"), req(as_of, "as_of")];
    // SAFETY: forwarded from the caller (the strings and `out` for the call's duration).
    unsafe { super::boundary::verdict_bytes_call("huiqi_verdict_bytes", engine, args, out, out_len) }
}

/// Matches many profiles given as JSON lines, with options (as `huiqi_match_opts`; use
/// `{"detail": "verdicts"}` for bulk work): one envelope line (ending in `\n`) per input
/// line, in order, so that output line N answers input line N. A bad or blank line gives
/// a failure line carrying its line number (counted from `first_line`, 0 or 1 for the
/// first line of `jsonl`: a caller sending a long stream in chunks passes the number of
/// each chunk's first line); the batch goes on. The lines are shared out
/// over up to `threads` threads (0: as many as the machine has cores), each with its
/// own reusable matcher; the answer is the same for any thread count.
///
/// Returns the lines (free them with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle. Bad options or a null argument give a single failure line.
///
/// # Safety
/// As `huiqi_match_opts`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_match_many_opts(
    engine: *const HuiqiEngine,
    jsonl: *const c_char,
    as_of: *const c_char,
    options_json: *const c_char,
    first_line: u64,
    threads: u32,
) -> *mut c_char {
    string_call("huiqi_match_many_opts", || {
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { read_all([req(jsonl, "jsonl"), req(as_of, "as_of"), opt(options_json, "options_json")]) };
        let run = || {
            let [lines, date, options] = args?;
            let (path, opts) = ops::match_options(options)?;
            let first = usize::try_from(first_line).unwrap_or(usize::MAX);
            Ok(ops::match_lines_threads(&engine, must(lines), must(date), path, &opts, first, threads as usize))
        };
        Ok(run().unwrap_or_else(|e| ops::failure(e) + "\n"))
    })
}

/// Matches many profiles given as JSON lines, at the default detail: one envelope line
/// (ending in `\n`) per input line, in order. A bad or blank line gives a failure line
/// carrying its line number; the batch goes on (see `huiqi_match_many_opts` for options
/// and threads).
/// A bad `as_of` gives a failure line for every input line; a null or non-UTF-8 argument
/// gives a single failure line.
///
/// Returns the lines (free them with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle.
///
/// # Safety
/// As `huiqi_match`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_match_many(engine: *const HuiqiEngine, jsonl: *const c_char, as_of: *const c_char) -> *mut c_char {
    string_call("huiqi_match_many", || {
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        Ok(match unsafe { read_all([req(jsonl, "jsonl"), req(as_of, "as_of")]) } {
            Ok([lines, date]) => ops::match_lines(&engine, must(lines), must(date)),
            Err(e) => ops::failure(e) + "\n",
        })
    })
}

/// Explains one policy for one enterprise profile on `as_of`: the envelope of
/// `huiqi explain --json`.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
/// a live handle.
///
/// # Safety
/// As `huiqi_match`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_explain(
    engine: *const HuiqiEngine,
    profile_json: *const c_char,
    policy_id: *const c_char,
    as_of: *const c_char,
) -> *mut c_char {
    let args = [req(profile_json, "profile_json"), req(policy_id, "policy_id"), req(as_of, "as_of")];
    // SAFETY: forwarded from the caller.
    unsafe { super::boundary::on_engine("huiqi_explain", engine, args, |e, [p, i, d]| ops::explain_json(e, must(p), must(i), must(d))) }
}

/// The schema fields the engine's policies read (conditions and benefits, through
/// definitions and derived fields) and the fields that name an enterprise: a success
/// envelope `{"fields": [{"name": …, "label": …, "per_year": bool}], "ids": ["uscc",
/// "name"]}`. A columnar job (Arrow, Parquet, Spark) may hand over only these columns
/// (for a per-year field, its `name_YYYY` columns): the others change no answer, and
/// moving them costs time.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
/// a live engine handle.
///
/// # Safety
/// `engine` is any pointer value (checked before use).
#[no_mangle]
pub unsafe extern "C" fn huiqi_fields_read(engine: *const HuiqiEngine) -> *mut c_char {
    // SAFETY: no string arguments.
    unsafe { super::boundary::on_engine("huiqi_fields_read", engine, [], |e, []| ops::call(e, None, "fields_read", "{}")) }
}

/// Answers any operation by name, with its request as JSON text: the one entry point
/// that covers everything the other bindings offer, byte for byte the same envelopes
/// (`huiqi call OP` on the command line, `Engine.call` in Python and WASM, `POST
/// /v1/OP` on the HTTP service). docs/operations.md lists the operations and their
/// requests: `match`, `verdicts`, `summary`, `next_questions`, `explain`, `calendar`,
/// `match_many`, `check_condition`, `check_policy`, `lint`, `policies`, `schema`,
/// `fields_read`, and on a store `store_info`, `prepare`, `reverse`, `bulk_counts`
/// (`lint` counts each policy's reach when given a store).
///
/// `store` is NULL or a store handle, for the operations on enterprises in bulk.
/// `request_json` is NULL or empty for `{}`. An unknown operation, an unknown request
/// key or a missing store is a failure envelope of kind `"request"`.
///
/// Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine`, or a
/// non-null `store`, is not a live handle of its kind.
///
/// # Safety
/// `engine` and `store` are any pointer values (checked before use); the strings are NULL
/// or NUL-terminated strings valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_call(
    engine: *const HuiqiEngine,
    store: *const HuiqiStore,
    op: *const c_char,
    request_json: *const c_char,
) -> *mut c_char {
    string_call("huiqi_call", || {
        let engine = live(engine)?;
        let open = if store.is_null() { None } else { Some(live(store)?) };
        // SAFETY: forwarded from the caller.
        Ok(match unsafe { read_all([req(op, "op"), opt(request_json, "request_json")]) } {
            Ok([op, request]) => ops::call(&engine, open.as_deref(), must(op), request.unwrap_or("{}")),
            Err(e) => ops::failure(e),
        })
    })
}
