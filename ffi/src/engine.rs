//! Building and freeing engines, and checking a set without keeping it.

use std::ffi::c_char;
use std::path::Path;

use huiqi_core::ops::build::{read_policy_folder, EngineSpec, Source};
use huiqi_core::ops::{self, ErrorItem, Errors};

use super::boundary::{must, opt, read_all, req, string_call};
use super::handles::{build, deliver, free_handle, HuiqiEngine};

/// Policy sources given as a JSON array of `{"origin": "name.json", "text": …}` where the
/// text is the file's content as a string, or the JSON document itself; `name` is the
/// argument's name in messages.
fn sources(text: &str, name: &str) -> Result<Vec<Source>, Errors> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| vec![ErrorItem::new(ops::ErrorKind::Json, format!("{name} is not valid JSON: {e}"))])?;
    let items = value.as_array().ok_or_else(|| vec![ErrorItem::request(name, format!("{name} must be a JSON array"))])?;
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
            (Some(o), Some(t)) => out.push(Source { origin: o.to_string(), text: t }),
            (None, _) => problems.push(ErrorItem::request(&format!("{name}[{i}].origin"), "each source needs an \"origin\" string")),
            (_, None) => {
                problems.push(ErrorItem::request(&format!("{name}[{i}].text"), "each source needs a \"text\" (the file's content)"))
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One policy-set document as the policy files of a spec.
fn one_document(policies: Option<&str>) -> Option<Vec<Source>> {
    policies.map(|p| vec![Source { origin: "policies.json".into(), text: p.to_string() }])
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
        let [schema, policies] = unsafe { read_all([opt(schema_json, "schema_json"), opt(policies_json, "policies_json")]) }?;
        let spec = EngineSpec { schema: schema.map(str::to_string), policies: one_document(policies), ..EngineSpec::default() };
        spec.build().map(HuiqiEngine::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_new", error_out, result) }
}

/// Builds an engine from what an engine spec (JSON text) names, every key optional:
///
/// ```json
/// {"schema": "<schema JSON text>", "codes": [{"origin": "industry.json", "text": …}],
///  "policies": [{"origin": "a.json", "text": …}], "include_bundled": false}
/// ```
///
/// Absent parts are the bundled schema, code tables and policies; `include_bundled`
/// compiles the given policies after the bundled ones. The form of the other bindings
/// (Python `Engine(spec=…)`, the HTTP service), for callers who build a spec anyway.
///
/// Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
/// `huiqi_engine_new`.
///
/// # Safety
/// As `huiqi_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_from_spec(spec_json: *const c_char, error_out: *mut *mut c_char) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_from_spec", || {
        // SAFETY: the caller guarantees NULL or a NUL-terminated string valid for the call.
        let [spec] = unsafe { read_all([opt(spec_json, "spec_json")]) }?;
        EngineSpec::from_json(spec)?.build().map(HuiqiEngine::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_from_spec", error_out, result) }
}

/// Builds an engine from the bundled schema and the policy files of a folder (every
/// `.json` and `.jsonl` file, in name order) or of one file, as `huiqi --policies DIR`.
///
/// Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
/// `huiqi_engine_new`; a folder or file that cannot be read is an error of kind `file`.
///
/// # Safety
/// As `huiqi_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn huiqi_engine_from_dir(policies_dir: *const c_char, error_out: *mut *mut c_char) -> *mut HuiqiEngine {
    let result = build("huiqi_engine_from_dir", || {
        // SAFETY: the caller guarantees NULL or a NUL-terminated string valid for the call.
        let [dir] = unsafe { read_all([req(policies_dir, "policies_dir")]) }?;
        let files = read_policy_folder(Path::new(must(dir)))?;
        EngineSpec { policies: Some(files), ..EngineSpec::default() }.build().map(HuiqiEngine::new)
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
        let [schema, text] = unsafe { read_all([opt(schema_json, "schema_json"), req(sources_json, "sources_json")]) }?;
        let policies = sources(must(text), "sources_json")?;
        let spec = EngineSpec { schema: schema.map(str::to_string), policies: Some(policies), include_bundled, ..EngineSpec::default() };
        spec.build().map(HuiqiEngine::new)
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
        let [schema, codes, policies] =
            unsafe { read_all([opt(schema_json, "schema_json"), opt(codes_json, "codes_json"), opt(sources_json, "sources_json")]) }?;
        let spec = EngineSpec {
            schema: schema.map(str::to_string),
            codes: codes.map(|c| sources(c, "codes_json")).transpose()?.unwrap_or_default(),
            policies: policies.map(|p| sources(p, "sources_json")).transpose()?,
            include_bundled,
        };
        spec.build().map(HuiqiEngine::new)
    });
    // SAFETY: the caller guarantees `error_out` is NULL or writable.
    unsafe { deliver("huiqi_engine_with_tables", error_out, result) }
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
        let args = unsafe { read_all([opt(schema_json, "schema_json"), opt(policies_json, "policies_json")]) };
        Ok(ops::respond(args.and_then(|[schema, policies]| {
            ops::build::check(&EngineSpec { schema: schema.map(str::to_string), policies: one_document(policies), ..EngineSpec::default() })
        })))
    })
}
