//! The C ABI of Huiqi: `libhuiqi.so` / `libhuiqi.a`, header `ffi/include/huiqi.h`.
//!
//! Opaque engine and store handles, JSON in and JSON out. Every answer is produced by the
//! same functions as the CLI's `--json` (`huiqi::envelope`), so C, Python and Rust give
//! byte-identical envelopes for the same input.
//!
//! The rules the header documents:
//!
//! - Every string-returning call returns an envelope (`{"type":"success",…}` or
//!   `{"type":"failure","errors":[…]}`), also for null, non-UTF-8 or malformed arguments.
//!   It returns NULL only when a handle is invalid (null, freed, foreign, or a handle of
//!   the other kind); then [`huiqi_last_error`] says why.
//! - Strings returned by the library are freed with [`huiqi_string_free`], engines with
//!   [`huiqi_engine_free`], stores with [`huiqi_store_free`].
//! - Handles are checked against a registry of live handles, which records each one's
//!   kind (engine or store), before they are touched, so a freed or foreign handle, or a
//!   store given where an engine is expected (and the reverse), is reported, not
//!   dereferenced. Each handle also carries a magic number of its kind, cleared on free,
//!   as a second check.
//! - No panic crosses the boundary: every entry point runs under `catch_unwind`.
#![allow(unsafe_code, reason = "this crate is the C ABI: raw pointers cross the boundary here and nowhere else")]

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::ptr;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use huiqi_arrow as arrow;
use huiqi_core::engine::Engine;
use huiqi_core::envelope::{self as envelopes, Envelope, ErrorItem, StoreSummary};
use huiqi_core::store::{EnterpriseStore, LoadReport};

/// An engine: a schema and a compiled policy set, immutable once built.
///
/// Opaque to C. Made by `huiqi_engine_new`, `huiqi_engine_from_dir` or
/// `huiqi_engine_from_sources`; freed by `huiqi_engine_free`.
pub struct HuiqiEngine {
    magic: u64,
    engine: Arc<Engine>,
}

/// An enterprise store: enterprises in columns, loaded from a saved store file, CSV or
/// JSON lines with an engine's schema, immutable once opened.
///
/// Opaque to C. Made by `huiqi_store_open`; freed by `huiqi_store_free`.
pub struct HuiqiStore {
    magic: u64,
    store: Arc<OpenStore>,
}

/// What a store handle holds: the enterprises, the report of their loading, and the
/// predicate sets of the last date asked (reused by the next question on that date and
/// engine).
struct OpenStore {
    store: EnterpriseStore,
    report: LoadReport,
    prepared: huiqi_core::store::PreparedCache,
}

impl OpenStore {
    fn prepared(
        &self,
        engine: &Arc<Engine>,
        date: huiqi_core::date::Date,
    ) -> Result<Arc<huiqi_core::store::Prepared>, huiqi_core::store::StoreError> {
        self.prepared.get(&self.store, engine, date)
    }
}

/// The kinds of handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Engine,
    Store,
}

impl Kind {
    fn article(self) -> &'static str {
        match self {
            Kind::Engine => "an engine",
            Kind::Store => "a store",
        }
    }
}

/// A handle type: a `Box` handed to C as an opaque pointer, registered in [`LIVE`] under
/// its kind while it lives.
trait Handle: Sized {
    type Inner: ?Sized;
    const KIND: Kind;
    /// Marks a live handle of this kind; cleared when the handle is freed.
    const MAGIC: u64;
    /// "engine" or "store", for messages.
    const NAME: &'static str;
    /// The constructors, for messages.
    const MADE_BY: &'static str;
    fn magic(&self) -> u64;
    fn clear_magic(&mut self);
    fn inner(&self) -> &Arc<Self::Inner>;
}

impl Handle for HuiqiEngine {
    type Inner = Engine;
    const KIND: Kind = Kind::Engine;
    /// "HUIQIENG".
    const MAGIC: u64 = 0x4855_4951_4945_4e47;
    const NAME: &'static str = "engine";
    const MADE_BY: &'static str = "huiqi_engine_new";
    fn magic(&self) -> u64 {
        self.magic
    }
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
    fn inner(&self) -> &Arc<Engine> {
        &self.engine
    }
}

impl HuiqiEngine {
    fn new(engine: Engine) -> HuiqiEngine {
        HuiqiEngine { magic: <HuiqiEngine as Handle>::MAGIC, engine: Arc::new(engine) }
    }
}

impl Handle for HuiqiStore {
    type Inner = OpenStore;
    const KIND: Kind = Kind::Store;
    /// "HUIQISTO".
    const MAGIC: u64 = 0x4855_4951_4953_544f;
    const NAME: &'static str = "store";
    const MADE_BY: &'static str = "huiqi_store_open";
    fn magic(&self) -> u64 {
        self.magic
    }
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
    fn inner(&self) -> &Arc<OpenStore> {
        &self.store
    }
}

impl HuiqiStore {
    fn new(store: EnterpriseStore, report: LoadReport) -> HuiqiStore {
        HuiqiStore { magic: <HuiqiStore as Handle>::MAGIC, store: Arc::new(OpenStore { store, report, prepared: Default::default() }) }
    }
}

/// Addresses of the live handles and their kinds. A call looks its handle up here (read
/// lock) before dereferencing it; `huiqi_engine_free` and `huiqi_store_free` remove it
/// (write lock) before freeing it, so a handle is never read after it was freed, nor read
/// as the other kind, and a call that already holds the engine or store keeps it alive
/// (`Arc`) until it returns.
static LIVE: LazyLock<RwLock<HashMap<usize, Kind>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

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

/// What is behind a handle (the engine or the store), if the handle is live and of kind `H`.
fn live<H: Handle>(handle: *const H) -> Result<Arc<H::Inner>, String> {
    if handle.is_null() {
        return Err(format!("the {} handle is a null pointer", H::NAME));
    }
    let registry = LIVE.read().unwrap_or_else(PoisonError::into_inner);
    match registry.get(&handle.addr()) {
        None => Err(format!("not a live {} handle: it was freed already, or was not made by {}", H::NAME, H::MADE_BY)),
        Some(&kind) if kind != H::KIND => Err(format!("not a live {} handle: it is {} handle", H::NAME, kind.article())),
        Some(_) => {
            // SAFETY: the address is registered with kind `H::KIND`, so it is a `Box<H>` made
            // by this library (`deliver::<H>`) and not yet freed; `free_handle` unregisters
            // under the write lock before freeing, which cannot happen while this read lock
            // is held.
            let h = unsafe { &*handle };
            if h.magic() != H::MAGIC {
                return Err(format!("not a live {} handle: bad magic number", H::NAME));
            }
            Ok(Arc::clone(h.inner()))
        }
    }
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

/// Runs a constructor's work (engine or store), catching a panic.
fn build<H>(name: &str, f: impl FnOnce() -> Result<H, Vec<ErrorItem>>) -> Result<H, Vec<ErrorItem>> {
    clear_last_error();
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(vec![ErrorItem::new("internal", format!("{name} panicked: {}", panic_message(&*payload)))]))
}

/// Finishes a constructor: registers the engine or store and returns its handle, or writes
/// the failure envelope to `error_out` (when non-null), sets the last error and returns
/// NULL. `*error_out` is set to NULL on success.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for one `char *`.
unsafe fn deliver<H: Handle>(name: &str, error_out: *mut *mut c_char, result: Result<H, Vec<ErrorItem>>) -> *mut H {
    let outcome = catch_unwind(AssertUnwindSafe(|| match result {
        Ok(handle) => {
            let raw = Box::into_raw(Box::new(handle));
            LIVE.write().unwrap_or_else(PoisonError::into_inner).insert(raw.addr(), H::KIND);
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
        envelopes::build_engine(schema, &files).map(HuiqiEngine::new)
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
        envelopes::build_engine(None, &files).map(HuiqiEngine::new)
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
        envelopes::build_engine(schema, &files).map(HuiqiEngine::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_from_sources", error_out, result) }
}

/// Builds an engine on replaced code tables (and optionally a schema), from in-memory
/// policy files or the bundled policies: what `huiqi --codes DIR` does on the command
/// line, for a platform whose data follows another revision of the region or industry
/// codes, or another province's zones.
///
/// `codes_json`: a JSON array of `{"origin": "industry.json", "text": …}` (the table
/// file's name and content, as for `sources_json`); each table replaces the bundled table
/// of the same system (`industry`, `region`, `zone`) and is validated as the bundled ones
/// are. NULL or `[]`: the bundled tables.
/// `sources_json`: as for `huiqi_engine_from_sources`, or NULL for the bundled policies
/// (`include_bundled` then has no effect).
///
/// Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
/// `huiqi_engine_new`; a bad table is an error of kind `codes` naming the file.
///
/// # Safety
/// As `huiqi_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_with_tables(
    schema_json: *const c_char,
    codes_json: *const c_char,
    sources_json: *const c_char,
    include_bundled: bool,
    error_out: *mut *mut c_char,
) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_with_tables", || {
        // SAFETY: the caller guarantees NULL or NUL-terminated strings valid for the call.
        let (schema, codes, sources) =
            unsafe { (arg(schema_json, "schema_json"), arg(codes_json, "codes_json"), arg(sources_json, "sources_json")) };
        let (schema, codes, sources) = match (schema, codes, sources) {
            (Ok(s), Ok(c), Ok(p)) => (s, c, p),
            (s, c, p) => return Err(errors([s.err(), c.err(), p.err()])),
        };
        let codes = match codes {
            Some(text) => parse_sources(text).map_err(|e| rename_sources(e, "codes_json"))?,
            None => Vec::new(),
        };
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(text) = sources {
            if include_bundled {
                files.extend(huiqi_core::policy::EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())));
            }
            files.extend(parse_sources(text)?);
        }
        envelopes::build_engine_on(envelopes::Tables { schema_json: schema, codes: &codes }, &files).map(HuiqiEngine::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_with_tables", error_out, result) }
}

/// The problems of `parse_sources` for another argument than `sources_json`.
fn rename_sources(items: Vec<ErrorItem>, name: &str) -> Vec<ErrorItem> {
    items
        .into_iter()
        .map(|mut e| {
            e.message = e.message.replace("sources_json", name);
            if let Some(p) = e.path.as_mut() {
                *p = p.replace("sources_json", name);
            }
            e
        })
        .collect()
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
    free_handle("huiqi_engine_free", engine);
}

/// Frees a handle of kind `H`: NULL is ignored; a handle that is not a live one of this
/// kind is left alone and reported by the last error.
fn free_handle<H: Handle>(name: &str, handle: *mut H) {
    clear_last_error();
    if handle.is_null() {
        return;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut registry = LIVE.write().unwrap_or_else(PoisonError::into_inner);
        match registry.get(&handle.addr()) {
            None => return Err(format!("{name}: not a live {} handle: it was freed already, or was not made by {}", H::NAME, H::MADE_BY)),
            Some(&kind) if kind != H::KIND => {
                return Err(format!("{name}: not a live {} handle: it is {} handle", H::NAME, kind.article()))
            }
            Some(_) => {}
        }
        registry.remove(&handle.addr());
        if registry.is_empty() {
            // Give the table's memory back once no handle is left, so that a program that
            // freed every engine and store ends with nothing allocated (leak checkers stay
            // quiet).
            registry.shrink_to_fit();
        }
        drop(registry);
        // SAFETY: the address was registered with kind `H::KIND`, so it came from
        // `Box::into_raw` in `deliver::<H>`; removing it from the registry made this the
        // only release.
        let mut boxed = unsafe { Box::from_raw(handle) };
        boxed.clear_magic();
        drop(boxed);
        Ok(())
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(message)) => set_last_error(&message),
        Err(payload) => set_last_error(&format!("{name} panicked: {}", panic_message(&*payload))),
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
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(profile), Ok(date)) => envelopes::match_json(&engine, profile, date),
            (p, d) => failure(errors([p.err(), d.err()])),
        })
    })
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
    string_call("huiqi_match_opts", || {
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(as_of, "as_of"), arg(options_json, "options_json")) };
        Ok(match args {
            (Ok(profile), Ok(date), Ok(options)) => envelopes::match_request_json(&engine, profile, date, options),
            (p, d, o) => failure(errors([p.err(), d.err(), o.err()])),
        })
    })
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
    string_call("huiqi_verdicts", || {
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(profile), Ok(date)) => envelopes::verdicts_json(&engine, profile, date),
            (p, d) => failure(errors([p.err(), d.err()])),
        })
    })
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
        let args = unsafe { (required(jsonl, "jsonl"), required(as_of, "as_of"), arg(options_json, "options_json")) };
        let (lines, date, options) = match args {
            (Ok(l), Ok(d), Ok(o)) => (l, d, o),
            (l, d, o) => return Ok(failure(errors([l.err(), d.err(), o.err()])) + "\n"),
        };
        let (path, opts) = match envelopes::match_options(options) {
            Ok(x) => x,
            Err(e) => return Ok(failure(e) + "\n"),
        };
        let first = usize::try_from(first_line.max(1)).unwrap_or(usize::MAX);
        Ok(match_lines_parallel(&engine, lines, date, path, &opts, first, threads))
    })
}

/// [`huiqi_match_many_opts`]'s work: the lines in contiguous chunks, one per thread.
fn match_lines_parallel(
    engine: &Engine,
    jsonl: &str,
    as_of: &str,
    path: huiqi_core::engine::MatchPath,
    opts: &huiqi_core::engine::MatchOptions,
    first_line: usize,
    threads: u32,
) -> String {
    let body = jsonl.strip_suffix('\n').unwrap_or(jsonl);
    let lines: Vec<&str> = if jsonl.is_empty() { Vec::new() } else { body.split('\n').collect() };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let n = if threads == 0 { cores } else { threads as usize }.clamp(1, lines.len().max(1));
    let per = lines.len().div_ceil(n).max(1);
    let run = |start: usize, chunk: &[&str]| -> String {
        let mut m = engine.matcher();
        let mut out = String::new();
        for (k, line) in chunk.iter().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let number = first_line.saturating_add(start + k);
            out.push_str(&envelopes::match_line(engine, &mut m, number, line, as_of, path, opts));
            out.push('\n');
        }
        out
    };
    if n == 1 {
        return run(0, &lines);
    }
    let parts: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines.chunks(per).enumerate().map(|(c, chunk)| scope.spawn(move || run(c * per, chunk))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|payload| {
                    failure(vec![ErrorItem::new("internal", format!("a matching thread panicked: {}", panic_message(&*payload)))]) + "\n"
                })
            })
            .collect()
    });
    parts.concat()
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
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(profile_json, "profile_json"), required(policy_id, "policy_id"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(profile), Ok(id), Ok(date)) => envelopes::explain_json(&engine, profile, id, date),
            (p, i, d) => failure(errors([p.err(), i.err(), d.err()])),
        })
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
        let args = unsafe { (required(jsonl, "jsonl"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(lines), Ok(date)) => envelopes::match_lines(&engine, lines, date),
            (l, d) => failure(errors([l.err(), d.err()])) + "\n",
        })
    })
}

/// Opens an enterprise store for `huiqi_reverse` and `huiqi_bulk_counts`: a store file
/// saved by `huiqi store build`, or enterprises as CSV (a `.csv` name) or JSON lines (any
/// other name), read with the schema of `engine`, as `huiqi reverse --enterprises FILE`.
/// Bad CSV or JSON-lines rows are skipped and counted in the load report
/// (`huiqi_store_info`); an unreadable file, or a store file that is corrupt or was built
/// with another schema, is an error.
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
        // SAFETY: the caller guarantees NULL or a NUL-terminated string valid for the call.
        let path = unsafe { required(path, "path") };
        let engine = live(engine).map_err(|message| vec![request_error("engine", message)]);
        let (engine, path) = match (engine, path) {
            (Ok(e), Ok(p)) => (e, p),
            (e, p) => return Err(errors([e.err(), p.err()])),
        };
        let (store, report) = envelopes::load_store(&engine, path)?;
        Ok(HuiqiStore::new(store, report))
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
        let result = StoreSummary { enterprises: open.store.len(), report: open.report.clone() };
        Ok(Envelope::Success { result, warnings: Vec::new() }.to_json())
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
    string_call("huiqi_store_prepare", || {
        let engine = live(engine)?;
        let open = live(store)?;
        // SAFETY: forwarded from the caller.
        let as_of = unsafe { required(as_of, "as_of") };
        let run = || -> Result<String, Vec<ErrorItem>> {
            let date = huiqi_core::date::Date::parse(as_of?).map_err(|e| vec![request_error("as_of", e.to_string())])?;
            let t = std::time::Instant::now();
            open.prepared(&engine, date).map_err(|e| vec![ErrorItem::new("store", e.to_string())])?;
            let result =
                serde_json::json!({"enterprises": open.store.len(), "as_of": date.to_string(), "seconds": t.elapsed().as_secs_f64()});
            Ok(Envelope::Success { result, warnings: Vec::new() }.to_json())
        };
        Ok(run().unwrap_or_else(|errors| Envelope::<()>::Failure { errors }.to_json()))
    })
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
    string_call("huiqi_reverse", || {
        let engine = live(engine)?;
        let open = live(store)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(policy_id, "policy_id"), required(as_of, "as_of")) };
        Ok(match args {
            (Ok(id), Ok(date)) => envelopes::reverse_json_with(&engine, &open.store, id, date, list, |d| open.prepared(&engine, d)),
            (i, d) => failure(errors([i.err(), d.err()])),
        })
    })
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
    string_call("huiqi_bulk_counts", || {
        let engine = live(engine)?;
        let open = live(store)?;
        // SAFETY: forwarded from the caller.
        Ok(match unsafe { required(as_of, "as_of") } {
            Ok(date) => envelopes::bulk_counts_json_with(&engine, date, |d| open.prepared(&engine, d)),
            Err(e) => failure(e),
        })
    })
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
    string_call("huiqi_fields_read", || {
        let engine = live(engine)?;
        Ok(envelopes::fields_read_json(&engine))
    })
}

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
            Err(vec![request_error("stream", "stream is a null pointer")])
        } else {
            // SAFETY: the caller hands over a valid ArrowArrayStream; `from_raw` moves it out
            // and leaves a released (empty) stream in its place.
            unsafe { arrow_array::ffi_stream::ArrowArrayStreamReader::from_raw(stream.cast()) }
                .map_err(|e| vec![request_error("stream", format!("not a readable Arrow stream: {e}"))])
        };
        let engine = live(engine).map_err(|message| vec![request_error("engine", message)]);
        let (engine, reader) = match (engine, reader) {
            (Ok(e), Ok(r)) => (e, r),
            (e, r) => return Err(errors([e.err(), r.err()])),
        };
        let (store, report) = arrow::store_from_batches(engine.schema(), reader).map_err(|m| vec![ErrorItem::new("store", m)])?;
        Ok(HuiqiStore::new(store, report))
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
/// Returns a success envelope (`{"output": …}`) when `out` was written, else a failure
/// envelope (`out` untouched); free it with `huiqi_string_free`. NULL only when `engine` or
/// `store` is not a live handle of its kind. The batches are made as they are read (64 Ki
/// rows each), from the bulk result computed by this call.
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
    string_call("huiqi_bulk_arrow", || {
        let engine = live(engine)?;
        let open = live(store)?;
        // SAFETY: forwarded from the caller.
        let args = unsafe { (required(as_of, "as_of"), arg(options_json, "options_json")) };
        let run = || -> Result<String, Vec<ErrorItem>> {
            let (date, options) = match args {
                (Ok(d), Ok(o)) => (d, o),
                (d, o) => return Err(errors([d.err(), o.err()])),
            };
            let date = huiqi_core::date::Date::parse(date).map_err(|e| vec![request_error("as_of", e.to_string())])?;
            let (shape, undetermined, missing) = bulk_options(options)?;
            if out.is_null() {
                return Err(vec![request_error("out", "out is a null pointer")]);
            }
            let batches = arrow::bulk_batches_with(&engine, &open.store, date, shape, undetermined, missing, |d| open.prepared(&engine, d))
                .map_err(|m| vec![ErrorItem::new("store", m)])?;
            let stream = arrow_array::ffi_stream::FFI_ArrowArrayStream::new(batches);
            // SAFETY: the caller guarantees `out` points to writable storage for one
            // ArrowArrayStream; whatever was there is overwritten, not released.
            unsafe { out.cast::<arrow_array::ffi_stream::FFI_ArrowArrayStream>().write_unaligned(stream) };
            let name = match shape {
                arrow::Shape::Pairs => "pairs",
                arrow::Shape::Lists => "lists",
                arrow::Shape::Counts => "counts",
            };
            Ok(Envelope::Success { result: serde_json::json!({"output": name, "undetermined": undetermined}), warnings: Vec::new() }
                .to_json())
        };
        Ok(run().unwrap_or_else(failure))
    })
}

/// The options of `huiqi_bulk_arrow`.
fn bulk_options(options_json: Option<&str>) -> Result<(arrow::Shape, bool, bool), Vec<ErrorItem>> {
    let Some(text) = options_json else { return Ok((arrow::Shape::Pairs, false, false)) };
    let bad = |m: String| vec![request_error("options_json", m)];
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(format!("options_json is not valid JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| bad("options_json is a JSON object".into()))?;
    let mut shape = arrow::Shape::Pairs;
    let mut undetermined = false;
    let mut missing = false;
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("output", serde_json::Value::String(s)) => {
                shape = arrow::Shape::parse(s).ok_or_else(|| bad(format!("output {s:?} is one of pairs, lists, counts")))?;
            }
            ("undetermined", serde_json::Value::Bool(b)) => undetermined = *b,
            ("missing", serde_json::Value::Bool(b)) => missing = *b,
            (k, _) => {
                return Err(bad(format!(
                    "unknown option or wrong type: {k:?} (output: pairs | lists | counts; undetermined, missing: bool)"
                )))
            }
        }
    }
    Ok((shape, undetermined, missing))
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

/// Why the most recent failing call on this thread returned NULL (a constructor —
/// `huiqi_engine_*` or `huiqi_store_open` — or a call with an invalid handle;
/// `huiqi_engine_free` and `huiqi_store_free` with an invalid handle also set it). NULL
/// when that call succeeded. Owned by the library: valid until the next call on this
/// thread of any function but `huiqi_string_free`, `huiqi_version` and
/// `huiqi_last_error`; do not free it.
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
        // One line per input line: the blank third line gets a failure naming it.
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with(r#"{"type":"success""#) && lines[1].starts_with(r#"{"type":"failure""#));
        assert!(lines[2].contains(r#""line":3"#) && lines[2].contains("empty line"), "{}", lines[2]);
        assert!(lines[3].starts_with(r#"{"type":"success""#));
        // The threaded form gives the same lines for any thread count.
        let many = |threads: u32| {
            take(unsafe {
                huiqi_match_many_opts(engine, c"{}\nnot json\n\n{}\n".as_ptr(), c"2026-06-30".as_ptr(), ptr::null(), 1, threads)
            })
        };
        assert_eq!(many(1), got);
        assert_eq!(many(3), got);
        assert_eq!(many(0), got);
        unsafe { huiqi_engine_free(engine) };

        let mut err: *mut c_char = ptr::null_mut();
        let engine = unsafe { huiqi_engine_new(ptr::null(), c"{\"policies\": [".as_ptr(), &mut err) };
        assert!(engine.is_null());
        assert!(take(err).contains(r#""kind":"policy""#));
        assert!(last_error().starts_with("huiqi_engine_new: "));
    }

    /// A 10,000-term chain builds and matches through the C ABI on a thread
    /// with the documented 256 KB stack (4 MB in a debug build, whose frames are larger),
    /// and a chain past a limit is a failure envelope naming it, not a crash.
    #[test]
    fn long_chains_on_a_small_stack() {
        let stack = if cfg!(debug_assertions) { 4 << 20 } else { 256 << 10 };
        let chain = |n: usize, op: &str| (0..n).map(|i| format!("registered_capital >= {i}万")).collect::<Vec<_>>().join(op);
        let run = |cond: String| {
            std::thread::Builder::new()
                .stack_size(stack)
                .spawn(move || {
                    let policies = format!(
                        r#"{{"policies": [{{"id": "p", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "municipal",
                            "condition": "{cond}", "benefit": {{"kind": "fixed", "amount": "1万"}}, "source": {{"document": "s"}}}}]}}"#
                    );
                    let mut err: *mut c_char = ptr::null_mut();
                    let engine = unsafe { huiqi_engine_new(ptr::null(), c(&policies).as_ptr(), &mut err) };
                    if engine.is_null() {
                        return Err(take(err));
                    }
                    let got =
                        take(unsafe { huiqi_match(engine, c(r#"{"registered_capital": "50000万"}"#).as_ptr(), c"2026-06-30".as_ptr()) });
                    unsafe { huiqi_engine_free(engine) };
                    Ok(got)
                })
                .unwrap()
                .join()
                .unwrap()
        };
        let ok = run(chain(10_000, " and ")).unwrap();
        assert!(ok.contains("\"type\":\"success\"") && ok.contains("\"summary\":{\"eligible\":1,"), "{}", &ok[..200.min(ok.len())]);
        let err = run(chain(10_001, " or ")).unwrap_err();
        assert!(err.contains("more than 10000 terms joined by `or`"), "{}", &err[..300.min(err.len())]);
        let err = run(format!("{} >= 1万", vec!["registered_capital"; 100].join(" + "))).unwrap_err();
        assert!(err.contains("terms joined by `+` / `-`"), "{}", &err[..300.min(err.len())]);
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

    /// A scratch folder of this test process.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("huiqi-ffi-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// 300 synthetic enterprises as JSON lines, and the same saved as a store file.
    fn enterprise_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
        let jsonl = dir.join("f.jsonl");
        let text: String = huiqi_core::gen::enterprises(7, 300).map(|v| v.to_string() + "\n").collect();
        std::fs::write(&jsonl, text).unwrap();
        let engine = Engine::embedded().unwrap();
        let (store, _) = envelopes::load_store(&engine, jsonl.to_str().unwrap()).unwrap();
        let saved = dir.join("f.store");
        store.write_file(&saved).unwrap();
        (jsonl, saved)
    }

    fn open(engine: *const HuiqiEngine, path: &Path) -> *mut HuiqiStore {
        let mut err: *mut c_char = ptr::null_mut();
        let store = unsafe { huiqi_store_open(engine, c(path.to_str().unwrap()).as_ptr(), &mut err) };
        assert!(!store.is_null(), "{}", take(err));
        assert!(err.is_null());
        store
    }

    #[test]
    fn reverse_and_bulk_counts_are_the_core_envelopes() {
        let dir = scratch("reverse");
        let (jsonl, saved) = enterprise_files(&dir);
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let native = Engine::embedded().unwrap();
        for path in [&jsonl, &saved] {
            let store = open(engine, path);
            let (want_store, want_report) = envelopes::load_store(&native, path.to_str().unwrap()).unwrap();
            let info = take(unsafe { huiqi_store_info(store) });
            let want = Envelope::Success { result: StoreSummary { enterprises: 300, report: want_report }, warnings: Vec::new() }.to_json();
            assert_eq!(info, want);
            for (policy, list) in [("six-taxes-two-fees-halved", 5), ("small-low-profit-eit", 0), ("hitech-certification", 1000)] {
                let got = take(unsafe { huiqi_reverse(engine, store, c(policy).as_ptr(), c"2026-06-30".as_ptr(), list) });
                assert_eq!(got, envelopes::reverse_json(&native, &want_store, policy, "2026-06-30", list));
                assert!(got.starts_with(r#"{"type":"success""#), "{got}");
            }
            let got = take(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) });
            assert_eq!(got, envelopes::bulk_counts_json(&native, &want_store, "2026-06-30"));
            assert!(got.contains(r#""policy":"six-taxes-two-fees-halved""#), "{got}");
            unsafe { huiqi_store_free(store) };
            assert!(huiqi_last_error().is_null());
        }
        // The store outlives the engine it was opened with.
        let store = open(engine, &saved);
        unsafe { huiqi_engine_free(engine) };
        let other = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let got = take(unsafe { huiqi_reverse(other, store, c"six-taxes-two-fees-halved".as_ptr(), c"2026-06-30".as_ptr(), 2) });
        assert!(got.contains(r#""enterprises":300"#), "{got}");
        unsafe { huiqi_store_free(store) };
        unsafe { huiqi_engine_free(other) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn store_errors() {
        let dir = scratch("errors");
        let (jsonl, saved) = enterprise_files(&dir);
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };

        // Missing file, corrupt store file, null and bad arguments: NULL, an envelope, a last error.
        let mut err: *mut c_char = ptr::null_mut();
        let missing = dir.join("missing.store");
        let store = unsafe { huiqi_store_open(engine, c(missing.to_str().unwrap()).as_ptr(), &mut err) };
        assert!(store.is_null());
        let envelope = take(err);
        assert!(envelope.contains(r#""kind":"store""#) && envelope.contains("cannot read"), "{envelope}");
        assert!(last_error().starts_with("huiqi_store_open: cannot read"));

        let bytes = std::fs::read(&saved).unwrap();
        let corrupt = dir.join("corrupt.store");
        std::fs::write(&corrupt, bytes.get(..bytes.len() / 2).unwrap()).unwrap();
        let store = unsafe { huiqi_store_open(engine, c(corrupt.to_str().unwrap()).as_ptr(), &mut err) };
        assert!(store.is_null());
        assert!(take(err).contains(r#""kind":"store""#));

        let store = unsafe { huiqi_store_open(ptr::null(), ptr::null(), &mut err) };
        assert!(store.is_null());
        let envelope = take(err);
        assert!(envelope.contains("the engine handle is a null pointer") && envelope.contains("path is a null pointer"), "{envelope}");
        let bad = [b'f', 0xff, 0];
        let store = unsafe { huiqi_store_open(engine, bad.as_ptr().cast(), ptr::null_mut()) };
        assert!(store.is_null() && last_error().contains("path is not valid UTF-8"));

        // Bad rows are skipped and reported.
        let rows = dir.join("rows.jsonl");
        let first = std::fs::read_to_string(&jsonl).unwrap().lines().next().unwrap().to_string();
        std::fs::write(&rows, format!("{first}\n{{not json\n{first}\n")).unwrap();
        let store = open(engine, &rows);
        let info = take(unsafe { huiqi_store_info(store) });
        assert!(info.contains(r#""enterprises":2"#) && info.contains(r#""skipped":1"#) && info.contains(r#""line":2"#), "{info}");

        // Unknown policy, bad date, null arguments: failure envelopes.
        let got = take(unsafe { huiqi_reverse(engine, store, c"six-taxes-two-fees-halve".as_ptr(), c"2026-06-30".as_ptr(), 5) });
        assert!(got.contains(r#""kind":"unknown_policy""#) && got.contains(r#"did you mean \"six-taxes-two-fees-halved\"?"#), "{got}");
        let got = take(unsafe { huiqi_reverse(engine, store, ptr::null(), c"2026-02-30".as_ptr(), 5) });
        assert!(got.contains("policy_id is a null pointer"), "{got}");
        let got = take(unsafe { huiqi_reverse(engine, store, c"six-taxes-two-fees-halved".as_ptr(), c"2026-02-30".as_ptr(), 5) });
        assert!(got.contains(r#""path":"as_of""#), "{got}");
        let got = take(unsafe { huiqi_bulk_counts(engine, store, ptr::null()) });
        assert!(got.contains("as_of is a null pointer"), "{got}");

        // Handles of the wrong kind, freed, null.
        let as_store: *const HuiqiStore = engine.cast();
        assert!(unsafe { huiqi_store_info(as_store) }.is_null());
        assert_eq!(last_error(), "huiqi_store_info: not a live store handle: it is an engine handle");
        assert!(unsafe { huiqi_reverse(engine, as_store, c"x".as_ptr(), c"2026-06-30".as_ptr(), 1) }.is_null());
        assert!(last_error().contains("it is an engine handle"));
        let as_engine: *const HuiqiEngine = store.cast();
        assert!(unsafe { huiqi_match(as_engine, c"{}".as_ptr(), c"2026-06-30".as_ptr()) }.is_null());
        assert_eq!(last_error(), "huiqi_match: not a live engine handle: it is a store handle");
        unsafe { huiqi_engine_free(as_engine.cast_mut()) };
        assert!(last_error().contains("huiqi_engine_free: not a live engine handle: it is a store handle"));
        unsafe { huiqi_store_free(as_store.cast_mut()) };
        assert!(last_error().contains("huiqi_store_free: not a live store handle: it is an engine handle"));
        let got = take(unsafe { huiqi_store_info(store) }); // both still live
        assert!(got.contains(r#""enterprises":2"#));

        unsafe { huiqi_store_free(store) };
        assert!(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) }.is_null());
        assert!(last_error().contains("not a live store handle: it was freed already"));
        unsafe { huiqi_store_free(store) };
        assert!(last_error().starts_with("huiqi_store_free: not a live store handle"));
        assert!(unsafe { huiqi_store_info(ptr::null()) }.is_null());
        assert!(last_error().contains("the store handle is a null pointer"));
        unsafe { huiqi_store_free(ptr::null_mut()) };
        assert!(huiqi_last_error().is_null());
        unsafe { huiqi_engine_free(engine) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_store_of_another_schema_is_refused() {
        let dir = scratch("schema");
        let (jsonl, saved) = enterprise_files(&dir);
        // The bundled schema less its last field, and one policy of our own.
        let mut schema: serde_json::Value = serde_json::from_str(include_str!("../../data/schema/enterprise.json")).unwrap();
        schema["fields"].as_array_mut().unwrap().pop();
        let policies = r#"{"policies": [{"id": "big", "title": "Big", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
            "condition": "registered_capital >= 500万", "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}}]}"#;
        let mut err: *mut c_char = ptr::null_mut();
        let narrow = unsafe { huiqi_engine_new(c(&schema.to_string()).as_ptr(), c(policies).as_ptr(), &mut err) };
        assert!(!narrow.is_null(), "{}", take(err));
        let bundled = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };

        // A saved store is checked when it is opened ...
        let store = unsafe { huiqi_store_open(narrow, c(saved.to_str().unwrap()).as_ptr(), &mut err) };
        assert!(store.is_null());
        assert!(take(err).contains(r#""kind":"store""#));
        // ... enterprises loaded with one schema when they are used with another.
        let store = open(bundled, &jsonl);
        let got = take(unsafe { huiqi_reverse(narrow, store, c"big".as_ptr(), c"2026-06-30".as_ptr(), 1) });
        assert!(got.contains(r#""kind":"store""#) && got.contains("another schema"), "{got}");
        let got = take(unsafe { huiqi_bulk_counts(narrow, store, c"2026-06-30".as_ptr()) });
        assert!(got.contains("another schema"), "{got}");
        unsafe { huiqi_store_free(store) };
        unsafe { huiqi_engine_free(bundled) };
        unsafe { huiqi_engine_free(narrow) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn one_store_serves_many_threads() {
        let dir = scratch("threads");
        let (_, saved) = enterprise_files(&dir);
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let store = open(engine, &saved);
        let (e, s) = (engine.expose_provenance(), store.expose_provenance());
        let want = take(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) });
        let answers: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(move || {
                        let (e, s): (*const HuiqiEngine, *const HuiqiStore) =
                            (ptr::with_exposed_provenance(e), ptr::with_exposed_provenance(s));
                        take(unsafe { huiqi_bulk_counts(e, s, c"2026-06-30".as_ptr()) })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(answers.iter().all(|a| *a == want));
        unsafe { huiqi_store_free(store) };
        unsafe { huiqi_engine_free(engine) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A record batch handed over as an Arrow C stream.
    fn stream_of(batch: arrow_array::RecordBatch) -> arrow_array::ffi_stream::FFI_ArrowArrayStream {
        let schema = batch.schema();
        let reader = arrow_array::RecordBatchIterator::new(vec![Ok(batch)], schema);
        arrow_array::ffi_stream::FFI_ArrowArrayStream::new(Box::new(reader))
    }

    #[test]
    fn arrow_in_and_out() {
        use arrow_array::cast::AsArray;
        use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
        let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
        let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
        let capital: ArrayRef = Arc::new(Float64Array::from(vec![Some(600.0), None, Some(12.5)]));
        let staff: ArrayRef = Arc::new(Float64Array::from(vec![Some(30.0), Some(5.0), None]));
        let batch = RecordBatch::try_from_iter([("name", names), ("注册资本", capital), ("employees_2025", staff)]).unwrap();
        let mut stream = stream_of(batch);
        let mut error: *mut c_char = ptr::null_mut();
        let store = unsafe { huiqi_store_from_arrow(engine, ptr::from_mut(&mut stream).cast(), &mut error) };
        assert!(!store.is_null() && error.is_null());
        // The stream was consumed: released in place.
        assert!(stream.release.is_none());

        let mut out = arrow_array::ffi_stream::FFI_ArrowArrayStream::empty();
        let env = take(unsafe {
            huiqi_bulk_arrow(engine, store, c"2026-06-30".as_ptr(), c"{\"output\": \"counts\"}".as_ptr(), ptr::from_mut(&mut out).cast())
        });
        assert_eq!(env, r#"{"type":"success","result":{"output":"counts","undetermined":false}}"#);
        let reader = unsafe { arrow_array::ffi_stream::ArrowArrayStreamReader::from_raw(&mut out) }.unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        let ids: Vec<String> = batches
            .iter()
            .flat_map(|b| b.column(0).as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>())
            .collect();
        let counts: serde_json::Value =
            serde_json::from_str(&take(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) })).unwrap();
        let want: Vec<String> = counts["result"].as_array().unwrap().iter().map(|c| c["policy"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, want);
        let undetermined: u64 = batches
            .iter()
            .map(|b| b.column(2).as_primitive::<arrow_array::types::UInt64Type>().iter().map(Option::unwrap).sum::<u64>())
            .sum();
        let want_u: u64 = counts["result"].as_array().unwrap().iter().map(|c| c["undetermined"].as_u64().unwrap()).sum();
        assert_eq!(undetermined, want_u);

        // Bad options are a failure envelope; `out` is not written.
        let mut out = arrow_array::ffi_stream::FFI_ArrowArrayStream::empty();
        let env = take(unsafe {
            huiqi_bulk_arrow(engine, store, c"2026-06-30".as_ptr(), c"{\"output\": \"wide\"}".as_ptr(), ptr::from_mut(&mut out).cast())
        });
        assert!(env.contains(r#"output \"wide\" is one of pairs, lists, counts"#), "{env}");
        assert!(out.release.is_none());

        // A cell that does not fit: the failure names the column and the row.
        let bad: ArrayRef = Arc::new(StringArray::from(vec!["1", "lots"]));
        let mut stream = stream_of(RecordBatch::try_from_iter([("registered_capital", bad)]).unwrap());
        let none = unsafe { huiqi_store_from_arrow(engine, ptr::from_mut(&mut stream).cast(), &mut error) };
        assert!(none.is_null());
        let env = take(error);
        assert!(env.contains(r#"column \"registered_capital\", row 1: \"lots\" is not a number"#), "{env}");
        assert!(last_error().starts_with("huiqi_store_from_arrow: column"));
        unsafe { huiqi_store_free(store) };
        unsafe { huiqi_engine_free(engine) };
    }
}
