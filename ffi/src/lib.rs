//! The C ABI of Huiqi: `libhuiqi.so` / `libhuiqi.a`, header `ffi/include/huiqi.h`.
//!
//! Opaque engine handles, JSON in and JSON out. Every answer is produced by the same
//! functions as the CLI's `--json` (`huiqi::ffi`), so C, Python and Rust give
//! byte-identical envelopes for the same input.
//!
//! The rules the header documents:
//!
//! - Every string-returning call returns an envelope (`{"type":"success",…}` or
//!   `{"type":"failure","errors":[…]}`), also for null, non-UTF-8 or malformed arguments.
//!   It returns NULL only when the engine handle is invalid (null, freed, foreign); then
//!   [`huiqi_last_error`] says why.
//! - Strings returned by the library are freed with [`huiqi_string_free`], engines with
//!   [`huiqi_engine_free`].
//! - Handles are checked against a registry of live engines before they are touched, so
//!   a freed or foreign handle is reported, not dereferenced. The handle also carries a
//!   magic number, cleared on free, as a second check.
//! - No panic crosses the boundary: every entry point runs under `catch_unwind`.
#![allow(unsafe_code, reason = "this crate is the C ABI: raw pointers cross the boundary here and nowhere else")]

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::ptr;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use huiqi_core::engine::Engine;
use huiqi_core::ffi::{self as envelopes, Envelope, ErrorItem};

/// "HUIQIENG": marks a live handle; cleared when the handle is freed.
const MAGIC: u64 = 0x4855_4951_4945_4e47;

/// An engine: a schema and a compiled policy set, immutable once built.
///
/// Opaque to C. Made by `huiqi_engine_new`, `huiqi_engine_from_dir` or
/// `huiqi_engine_from_sources`; freed by `huiqi_engine_free`.
pub struct HuiqiEngine {
    magic: u64,
    engine: Arc<Engine>,
}

/// Addresses of the live handles. A call looks its handle up here (read lock) before
/// dereferencing it; `huiqi_engine_free` removes it (write lock) before freeing it, so a
/// handle is never read after it was freed, and a call that already holds the engine
/// keeps it alive (`Arc`) until it returns.
static LIVE: LazyLock<RwLock<HashSet<usize>>> = LazyLock::new(|| RwLock::new(HashSet::new()));

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = Some(c);
        }
    });
}

fn clear_last_error() {
    LAST_ERROR.with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = None;
        }
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn failure(errors: Vec<ErrorItem>) -> String {
    Envelope::<()>::Failure { errors }.to_json()
}

/// The errors of the arguments that failed, in argument order.
fn errors<const N: usize>(args: [Option<Vec<ErrorItem>>; N]) -> Vec<ErrorItem> {
    args.into_iter().flatten().flatten().collect()
}

fn request_error(path: &str, message: impl Into<String>) -> ErrorItem {
    ErrorItem { path: Some(path.to_string()), ..ErrorItem::new("request", message) }
}

/// A Rust string handed to C. JSON text never contains a NUL byte (serde escapes it), but
/// if one did, the answer is still an envelope.
fn into_c(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        Err(_) => CString::new(failure(vec![ErrorItem::new("internal", "the answer contained a NUL byte")]))
            .map(CString::into_raw)
            .unwrap_or(ptr::null_mut()),
    }
}

/// Reads an optional C string argument: `Ok(None)` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unmodified for the
/// lifetime `'a` (the duration of the call).
unsafe fn arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Vec<ErrorItem>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null, and the caller guarantees a NUL-terminated string valid for 'a.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map(Some).map_err(|e| vec![request_error(name, format!("{name} is not valid UTF-8: {e}"))])
}

/// Reads a required C string argument.
///
/// # Safety
/// As [`arg`].
unsafe fn required<'a>(p: *const c_char, name: &str) -> Result<&'a str, Vec<ErrorItem>> {
    // SAFETY: forwarded from the caller.
    unsafe { arg(p, name) }?.ok_or_else(|| vec![request_error(name, format!("{name} is a null pointer"))])
}

/// The engine behind a handle, if the handle is live.
fn engine_of(handle: *const HuiqiEngine) -> Result<Arc<Engine>, String> {
    if handle.is_null() {
        return Err("the engine handle is a null pointer".into());
    }
    let live = LIVE.read().unwrap_or_else(PoisonError::into_inner);
    if !live.contains(&handle.addr()) {
        return Err("not a live engine handle: it was freed already, or was not made by huiqi_engine_new".into());
    }
    // SAFETY: the address is registered, so it is a `Box<HuiqiEngine>` made by this library
    // and not yet freed; `huiqi_engine_free` unregisters under the write lock before freeing,
    // which cannot happen while this read lock is held.
    let h = unsafe { &*handle };
    if h.magic != MAGIC {
        return Err("not a live engine handle: bad magic number".into());
    }
    Ok(Arc::clone(&h.engine))
}

/// Runs a string-returning entry point: an envelope, or NULL with the last error set when
/// the handle is invalid. A panic becomes an `internal` failure envelope.
fn string_call(name: &str, f: impl FnOnce() -> Result<String, String>) -> *mut c_char {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(s)) => into_c(s),
        Ok(Err(message)) => {
            set_last_error(&format!("{name}: {message}"));
            ptr::null_mut()
        }
        Err(payload) => into_c(failure(vec![ErrorItem::new("internal", format!("{name} panicked: {}", panic_message(&*payload)))])),
    }
}

/// Runs an engine constructor's work, catching a panic.
fn build(name: &str, f: impl FnOnce() -> Result<Engine, Vec<ErrorItem>>) -> Result<Engine, Vec<ErrorItem>> {
    clear_last_error();
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(vec![ErrorItem::new("internal", format!("{name} panicked: {}", panic_message(&*payload)))]))
}

/// Finishes an engine constructor: registers the engine and returns its handle, or writes
/// the failure envelope to `error_out` (when non-null), sets the last error and returns
/// NULL. `*error_out` is set to NULL on success.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for one `char *`.
unsafe fn deliver(name: &str, error_out: *mut *mut c_char, result: Result<Engine, Vec<ErrorItem>>) -> *mut HuiqiEngine {
    let outcome = catch_unwind(AssertUnwindSafe(|| match result {
        Ok(engine) => {
            let raw = Box::into_raw(Box::new(HuiqiEngine { magic: MAGIC, engine: Arc::new(engine) }));
            LIVE.write().unwrap_or_else(PoisonError::into_inner).insert(raw.addr());
            (raw, ptr::null_mut())
        }
        Err(errors) => {
            let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
            let more = errors.len().saturating_sub(1);
            set_last_error(&if more > 0 { format!("{name}: {first} (and {more} more problem(s))") } else { format!("{name}: {first}") });
            (ptr::null_mut(), into_c(failure(errors)))
        }
    }));
    let (handle, error) = outcome.unwrap_or_else(|payload| {
        let message = format!("{name} panicked: {}", panic_message(&*payload));
        set_last_error(&message);
        (ptr::null_mut(), into_c(failure(vec![ErrorItem::new("internal", message)])))
    });
    if error_out.is_null() {
        if !error.is_null() {
            // SAFETY: made by `CString::into_raw` just above and not handed out.
            drop(unsafe { CString::from_raw(error) });
        }
    } else {
        // SAFETY: the caller guarantees `error_out` points to writable storage for a pointer.
        unsafe { error_out.write(error) };
    }
    handle
}

/// Policy files of a folder (`.json` and `.jsonl`, sorted), or one file, as the CLI's
/// `--policies` reads them.
fn policy_sources(path: &Path) -> Result<Vec<(String, String)>, Vec<ErrorItem>> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|text| (p.display().to_string(), text))
            .map_err(|e| vec![request_error("policies_dir", format!("cannot read {}: {e}", p.display()))])
    };
    if path.is_file() {
        return Ok(vec![read(path)?]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| vec![request_error("policies_dir", format!("cannot read policy folder {}: {e}", path.display()))])?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![request_error("policies_dir", format!("no .json or .jsonl policy files in {}", path.display()))]);
    }
    files.iter().map(|f| read(f)).collect()
}

/// Policy sources given as a JSON array of `{"origin": "name.json", "text": …}` where the
/// text is the file's content as a string, or the JSON document itself.
fn parse_sources(sources_json: &str) -> Result<Vec<(String, String)>, Vec<ErrorItem>> {
    let value: serde_json::Value =
        serde_json::from_str(sources_json).map_err(|e| vec![ErrorItem::new("json", format!("sources_json is not valid JSON: {e}"))])?;
    let items = value.as_array().ok_or_else(|| vec![request_error("sources_json", "sources_json must be a JSON array")])?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let origin = item.get("origin").and_then(serde_json::Value::as_str);
        let text = match item.get("text") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
            None => None,
        };
        match (origin, text) {
            (Some(o), Some(t)) => out.push((o.to_string(), t)),
            (None, _) => problems.push(request_error(&format!("sources_json[{i}].origin"), "each source needs an \"origin\" string")),
            (_, None) => {
                problems.push(request_error(&format!("sources_json[{i}].text"), "each source needs a \"text\" (the file's content)"))
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Builds an engine from a schema and one policy-set document.
///
/// `schema_json`: the enterprise schema as JSON text, or NULL for the bundled schema.
/// `policies_json`: one policy-set JSON document (`{"definitions": …, "policies": […]}`, an
/// array of policies, or one policy), or NULL for the bundled real policies.
///
/// Returns a new engine, or NULL when the schema or the policies have problems: then
/// `*error_out` (if `error_out` is non-null) receives a failure envelope listing every
/// problem (free it with `huiqi_string_free`; it is set to NULL on success), and
/// `huiqi_last_error()` a one-line summary.
///
/// # Safety
/// The string arguments are NULL or NUL-terminated strings valid for the call;
/// `error_out` is NULL or points to writable storage for one `char *`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_new(
    schema_json: *const c_char,
    policies_json: *const c_char,
    error_out: *mut *mut c_char,
) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_new", || {
        // SAFETY: the caller guarantees NULL or NUL-terminated strings valid for the call.
        let (schema, policies) = unsafe { (arg(schema_json, "schema_json"), arg(policies_json, "policies_json")) };
        let (schema, policies) = match (schema, policies) {
            (Ok(s), Ok(p)) => (s, p),
            (s, p) => return Err(errors([s.err(), p.err()])),
        };
        let files: Vec<(String, String)> = policies.map(|p| vec![("policies.json".to_string(), p.to_string())]).unwrap_or_default();
        envelopes::build_engine(schema, &files)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_new", error_out, result) }
}

/// Builds an engine from the bundled schema and the policy files of a folder (every
/// `.json` and `.jsonl` file, in name order) or of one file, as `huiqi --policies DIR`.
///
/// Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
/// `huiqi_engine_new`.
///
/// # Safety
/// As `huiqi_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_from_dir(policies_dir: *const c_char, error_out: *mut *mut c_char) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_from_dir", || {
        // SAFETY: the caller guarantees NULL or a NUL-terminated string valid for the call.
        let dir = unsafe { required(policies_dir, "policies_dir") }?;
        let files = policy_sources(Path::new(dir))?;
        envelopes::build_engine(None, &files)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_from_dir", error_out, result) }
}

/// Builds an engine from a schema and several in-memory policy files, optionally after
/// the bundled real policies (whose definitions and policies the files may then use).
///
/// `sources_json`: a JSON array of `{"origin": "name.json", "text": …}`, where `text` is
/// the file's content as a JSON string, or the policy-set document itself. An origin
/// ending in `.jsonl` reads the text as one policy per line. The origin appears in error
/// locations.
///
/// Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
/// `huiqi_engine_new`.
///
/// # Safety
/// As `huiqi_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_from_sources(
    schema_json: *const c_char,
    sources_json: *const c_char,
    include_bundled: bool,
    error_out: *mut *mut c_char,
) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_from_sources", || {
        // SAFETY: the caller guarantees NULL or NUL-terminated strings valid for the call.
        let (schema, sources) = unsafe { (arg(schema_json, "schema_json"), required(sources_json, "sources_json")) };
        let (schema, sources) = match (schema, sources) {
            (Ok(s), Ok(p)) => (s, parse_sources(p)?),
            (s, p) => return Err(errors([s.err(), p.err()])),
        };
        let mut files: Vec<(String, String)> = Vec::new();
        if include_bundled {
            files.extend(huiqi_core::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())));
        } else if sources.is_empty() {
            return Err(vec![request_error("sources_json", "no policy sources (set include_bundled for the bundled policies)")]);
        }
        files.extend(sources);
        envelopes::build_engine(schema, &files)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_from_sources", error_out, result) }
}

/// Frees an engine. NULL is ignored. A handle that is not live (freed already, or not
/// made by this library) is left alone and reported by `huiqi_last_error()`.
///
/// Calls already running on the engine in other threads finish normally (they hold
/// their own reference); calls made after this one return NULL.
///
/// # Safety
/// `engine` is NULL or any pointer value; it is only dereferenced when it is a live handle.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_free(engine: *mut HuiqiEngine) {
    clear_last_error();
    if engine.is_null() {
        return;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut live = LIVE.write().unwrap_or_else(PoisonError::into_inner);
        if !live.remove(&engine.addr()) {
            return Err("huiqi_engine_free: not a live engine handle: it was freed already, or was not made by huiqi_engine_new");
        }
        if live.is_empty() {
            // Give the table's memory back once no engine is left, so that a program that
            // freed every engine ends with nothing allocated (leak checkers stay quiet).
            live.shrink_to_fit();
        }
        drop(live);
        // SAFETY: the address was registered, so it came from `Box::into_raw` in
        // `deliver`; removing it from the registry made this the only release.
        let mut boxed = unsafe { Box::from_raw(engine) };
        boxed.magic = 0;
        drop(boxed);
        Ok(())
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(message)) => set_last_error(message),
        Err(payload) => set_last_error(&format!("huiqi_engine_free panicked: {}", panic_message(&*payload))),
    }
}

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
    string_call("huiqi_match", || {
        let engine = engine_of(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(profile), Ok(date)) => envelopes::match_json(&engine, profile, date),
            (p, d) => failure(errors([p.err(), d.err()])),
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
    string_call("huiqi_explain", || {
        let engine = engine_of(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(policy_id, "policy_id"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(profile), Ok(id), Ok(date)) => envelopes::explain_json(&engine, profile, id, date),
            (p, i, d) => failure(errors([p.err(), i.err(), d.err()])),
        })
    })
}

/// Matches many profiles given as JSON lines: one envelope line (ending in `\n`) per
/// non-empty input line, in order. A bad line gives a failure line; the batch goes on.
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
        let engine = engine_of(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(jsonl, "jsonl"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(lines), Ok(date)) => envelopes::match_lines(&engine, lines, date),
            (l, d) => failure(errors([l.err(), d.err()])) + "\n",
        })
    })
}

/// Checks a schema and a policy-set document, as `huiqi check`: a success envelope with a
/// summary (`policies`, `definitions`, `ids`), or a failure envelope with every problem
/// (origin, policy, line, column, hint).
///
/// `schema_json`: NULL for the bundled schema. `policies_json`: one policy-set document,
/// or NULL for the bundled policies. Never returns NULL.
///
/// # Safety
/// The strings are NULL or NUL-terminated strings valid for the call.
#[no_mangle]
pub unsafe extern "C" fn huiqi_check(schema_json: *const c_char, policies_json: *const c_char) -> *mut c_char {
    string_call("huiqi_check", || {
        // SAFETY: forwarded from the caller.
        let args = unsafe { (arg(schema_json, "schema_json"), arg(policies_json, "policies_json")) };
        Ok(match args {
            (Ok(schema), Ok(policies)) => {
                let files: Vec<(String, String)> = policies.map(|p| vec![("policies.json".to_string(), p.to_string())]).unwrap_or_default();
                envelopes::check_json(schema, &files)
            }
            (s, p) => failure(errors([s.err(), p.err()])),
        })
    })
}

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

/// Why the most recent failing call on this thread returned NULL (an engine constructor,
/// or a call with an invalid handle; `huiqi_engine_free` with an invalid handle also sets
/// it). NULL when that call succeeded. Owned by the library: valid until the next call of
/// a constructor, `huiqi_engine_free`, `huiqi_match`, `huiqi_explain`,
/// `huiqi_match_many` or `huiqi_check` on this thread; do not free it.
#[no_mangle]
pub extern "C" fn huiqi_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.try_borrow().ok().and_then(|e| e.as_ref().map(|c| c.as_ptr())).unwrap_or(ptr::null()))
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
mod tests {
    use super::*;

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    /// Takes ownership of a returned string.
    fn take(p: *mut c_char) -> String {
        assert!(!p.is_null());
        let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
        unsafe { huiqi_string_free(p) };
        s
    }

    fn last_error() -> String {
        let p = huiqi_last_error();
        assert!(!p.is_null());
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    const PROFILE: &str = include_str!("../../data/enterprises/01-quanzhi-software.json");

    #[test]
    fn answers_are_the_core_envelopes() {
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        assert!(!engine.is_null());
        let got = take(unsafe { huiqi_match(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr()) });
        let want = envelopes::match_json(&Engine::embedded().unwrap(), PROFILE, "2026-06-30");
        assert_eq!(got, want);
        unsafe { huiqi_engine_free(engine) };
        assert!(huiqi_last_error().is_null());
    }

    #[test]
    fn invalid_handles_give_null_and_a_message() {
        let got = unsafe { huiqi_match(ptr::null(), c"{}".as_ptr(), c"2026-06-30".as_ptr()) };
        assert!(got.is_null());
        assert!(last_error().contains("null pointer"));

        let foreign = 7u64;
        let got = unsafe { huiqi_explain(ptr::from_ref(&foreign).cast(), c"{}".as_ptr(), c"x".as_ptr(), c"2026-06-30".as_ptr()) };
        assert!(got.is_null());
        assert!(last_error().contains("not a live engine handle"));

        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        unsafe { huiqi_engine_free(engine) };
        assert!(unsafe { huiqi_match_many(engine, c"{}".as_ptr(), c"2026-06-30".as_ptr()) }.is_null());
        assert!(last_error().contains("not a live engine handle"));
        unsafe { huiqi_engine_free(engine) };
        assert!(last_error().contains("huiqi_engine_free"));
    }

    #[test]
    fn bad_arguments_give_failure_envelopes() {
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let got = take(unsafe { huiqi_match(engine, ptr::null(), ptr::null()) });
        assert!(got.contains("profile_json is a null pointer") && got.contains("as_of is a null pointer"), "{got}");
        let bad = [b'{', 0xff, b'}', 0];
        let got = take(unsafe { huiqi_match(engine, bad.as_ptr().cast(), c"2026-06-30".as_ptr()) });
        assert!(got.contains("not valid UTF-8"), "{got}");
        let got = take(unsafe { huiqi_match_many(engine, c"{}\nnot json\n\n{}\n".as_ptr(), c"2026-06-30".as_ptr()) });
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(r#"{"type":"success""#) && lines[1].starts_with(r#"{"type":"failure""#));
        unsafe { huiqi_engine_free(engine) };

        let mut err: *mut c_char = ptr::null_mut();
        let engine = unsafe { huiqi_engine_new(ptr::null(), c"{\"policies\": [".as_ptr(), &mut err) };
        assert!(engine.is_null());
        assert!(take(err).contains(r#""kind":"policy""#));
        assert!(last_error().starts_with("huiqi_engine_new: "));
    }

    #[test]
    fn one_engine_serves_many_threads() {
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let addr = engine.expose_provenance();
        let want = take(unsafe { huiqi_match(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr()) });
        let answers: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(move || {
                        let e: *const HuiqiEngine = ptr::with_exposed_provenance(addr);
                        take(unsafe { huiqi_match(e, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr()) })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(answers.iter().all(|a| *a == want));
        unsafe { huiqi_engine_free(engine) };
    }
}
