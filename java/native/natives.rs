//! The natives of `io.huiqi.Native`, one per question. Each reads its `byte[]` arguments,
//! looks its handles up and asks the operation layer; see `Native.java` for the Java side.

#![expect(unsafe_code, reason = "the JVM finds natives by their exported names (`#[no_mangle]`); no other unsafe code here")]

use std::path::Path;

use jni::objects::{JByteArray, JClass, JObject};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use huiqi::ops::build::{is_saved_set, read_code_folder, read_policy_folder, EngineSpec};
use huiqi::ops::{self, ErrorItem, ErrorKind, Errors, OpenStore};
use huiqi::store::{EnterpriseStore, LoadOptions};

use super::boundary::{bytes, required, run, text, Failure};
use super::handles;

/// `byte[] version()`: the library's version, to check against the jar's.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_version<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>) -> JByteArray<'l> {
    run(&mut env, "version", |env| bytes(env, env!("CARGO_PKG_VERSION")))
}

/// `long engineBuild(byte[] spec, byte[] policiesPath, byte[] codesPath)`: an engine from a
/// spec (`EngineSpec` as JSON; null: the bundled schema, tables and policies), its policies
/// read from a folder, file or saved set (`.hqset`) when a path is given, its code tables
/// from a folder when one is given.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_engineBuild<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    spec: JByteArray<'l>,
    policies_path: JByteArray<'l>,
    codes_path: JByteArray<'l>,
) -> jlong {
    run(&mut env, "engineBuild", |env| {
        let spec = text(env, &spec, "spec")?;
        let policies = text(env, &policies_path, "policies")?;
        let codes = text(env, &codes_path, "codes")?;
        Ok(handles::add_engine(build(spec.as_deref(), policies.as_deref(), codes.as_deref())?))
    })
}

fn build(spec: Option<&str>, policies: Option<&str>, codes: Option<&str>) -> Result<huiqi::engine::Engine, Errors> {
    let mut spec = EngineSpec::from_json(spec)?;
    if let Some(dir) = codes {
        spec.codes = read_code_folder(Path::new(dir))?;
    }
    if let Some(path) = policies.map(Path::new) {
        if is_saved_set(path) {
            let saved = std::fs::read(path).map_err(|e| {
                vec![ErrorItem {
                    path: Some(path.display().to_string()),
                    ..ErrorItem::new(ErrorKind::File, format!("cannot read {}: {e}", path.display()))
                }]
            })?;
            return ops::build_engine_saved_on(spec.tables(), &saved).map(|(engine, _)| engine);
        }
        spec.policies = Some(read_policy_folder(path)?);
    }
    spec.build()
}

/// `void engineFree(long engine)`: forgets the handle; a second call does nothing.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_engineFree<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, engine: jlong) {
    run(&mut env, "engineFree", |_| {
        handles::free_engine(engine);
        Ok(())
    })
}

/// `void storeFree(long store)`.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_storeFree<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, store: jlong) {
    run(&mut env, "storeFree", |_| {
        handles::free_store(store);
        Ok(())
    })
}

/// `byte[] call(long engine, long store, byte[] op, byte[] request)`: any operation by
/// name (`ops::call`); `store` 0 for none. The envelope, success or failure.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_call<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    store: jlong,
    op: JByteArray<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "call", |env| {
        let engine = handles::engine(engine)?;
        let store = handles::store(store)?;
        let op = required(env, &op, "op")?;
        let request = text(env, &request, "request")?;
        let envelope = ops::call(&engine, store.as_deref(), &op, request.as_deref().unwrap_or("{}"));
        bytes(env, &envelope)
    })
}

/// `byte[] match(long engine, byte[] profile, byte[] asOf, byte[] options)`: the envelope
/// of `huiqi_match_opts`.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_match<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    profile: JByteArray<'l>,
    as_of: JByteArray<'l>,
    options: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "match", |env| {
        let engine = handles::engine(engine)?;
        let (profile, as_of) = (required(env, &profile, "profile")?, required(env, &as_of, "asOf")?);
        let options = text(env, &options, "options")?;
        let envelope = ops::match_request_json(&engine, &profile, &as_of, options.as_deref());
        bytes(env, &envelope)
    })
}

/// `byte[] verdicts(long engine, byte[] profile, byte[] asOf)`.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_verdicts<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    profile: JByteArray<'l>,
    as_of: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "verdicts", |env| {
        let engine = handles::engine(engine)?;
        let (profile, as_of) = (required(env, &profile, "profile")?, required(env, &as_of, "asOf")?);
        let envelope = ops::verdicts_json(&engine, &profile, &as_of);
        bytes(env, &envelope)
    })
}

thread_local! {
    /// The matcher of the last engine this thread asked compact verdicts of (weakly, so a
    /// closed engine's matcher is never reused).
    static VERDICT_MATCHER: std::cell::RefCell<Option<(std::sync::Weak<huiqi::engine::Engine>, huiqi::index::Matcher)>> =
        const { std::cell::RefCell::new(None) };
}

/// `byte[] verdictBytes(long engine, byte[] profile, byte[] asOf)`: the compact verdicts,
/// one byte per policy in the set's order (`ops::answers::verdict_bytes`); a bad profile
/// or date is thrown as the failure envelope.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_verdictBytes<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    profile: JByteArray<'l>,
    as_of: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "verdictBytes", |env| {
        let engine = handles::engine(engine)?;
        let (profile, as_of) = (required(env, &profile, "profile")?, required(env, &as_of, "asOf")?);
        let mut out = vec![0u8; engine.policy_set().policies.len()];
        VERDICT_MATCHER.with(|cell| -> Result<(), Failure> {
            let mut slot = cell.try_borrow_mut().map_err(|_| ErrorItem::new(ErrorKind::Internal, "re-entered"))?;
            if !slot.as_ref().is_some_and(|(w, _)| std::ptr::eq(w.as_ptr(), std::sync::Arc::as_ptr(&engine))) {
                *slot = Some((std::sync::Arc::downgrade(&engine), engine.matcher()));
            }
            let Some((_, m)) = slot.as_mut() else { return Err(ErrorItem::new(ErrorKind::Internal, "no matcher").into()) };
            ops::answers::verdict_bytes(&engine, m, &profile, &as_of, &mut out)?;
            Ok(())
        })?;
        Ok(env.byte_array_from_slice(&out)?)
    })
}

/// `byte[] explain(long engine, byte[] profile, byte[] policy, byte[] asOf)`.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_explain<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    profile: JByteArray<'l>,
    policy: JByteArray<'l>,
    as_of: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "explain", |env| {
        let engine = handles::engine(engine)?;
        let profile = required(env, &profile, "profile")?;
        let policy = required(env, &policy, "policyId")?;
        let as_of = required(env, &as_of, "asOf")?;
        let envelope = ops::explain_json(&engine, &profile, &policy, &as_of);
        bytes(env, &envelope)
    })
}

/// `byte[] matchMany(long engine, byte[] jsonl, byte[] asOf, byte[] options, long firstLine,
/// int threads)`: one envelope line per profile line, in order, on up to `threads` threads
/// (0: every core).
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_matchMany<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    jsonl: JByteArray<'l>,
    as_of: JByteArray<'l>,
    options: JByteArray<'l>,
    first_line: jlong,
    threads: jint,
) -> JByteArray<'l> {
    run(&mut env, "matchMany", |env| {
        let engine = handles::engine(engine)?;
        let (lines, as_of) = (required(env, &jsonl, "profiles")?, required(env, &as_of, "asOf")?);
        let options = text(env, &options, "options")?;
        let (path, opts) = ops::match_options(options.as_deref())?;
        let first = usize::try_from(first_line).unwrap_or(1);
        let threads = usize::try_from(threads).unwrap_or(0);
        let out = ops::match_lines_threads(&engine, &lines, &as_of, path, &opts, first, threads);
        bytes(env, &out)
    })
}

/// `long storeOpen(long engine, byte[] path)`: a store of enterprises with the engine's
/// schema from a file or folder: a saved store, CSV, JSON lines, a folder of profiles, or
/// Parquet (by name or content), as `huiqi bulk --enterprises PATH` reads it.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_storeOpen<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    path: JByteArray<'l>,
) -> jlong {
    run(&mut env, "storeOpen", |env| {
        let engine = handles::engine(engine)?;
        let path = required(env, &path, "path")?;
        let open = if huiqi_arrow::parquet_in::is_parquet(Path::new(&path)) {
            let (store, report) = huiqi_arrow::parquet_in::load_store(engine.schema(), Path::new(&path))
                .map_err(|e| ErrorItem { path: Some(path.clone()), ..ErrorItem::new(ErrorKind::Store, e) })?;
            OpenStore::new(store, report)
        } else {
            OpenStore::load(&engine, &path)?
        };
        Ok(handles::add_store(open))
    })
}

/// `long storeFromJsonLines(long engine, byte[] jsonl)`: a store from JSON lines in
/// memory. Bad rows are skipped and reported (`store_info`); a load that keeps no row, or
/// skips more than it keeps, is an error.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_storeFromJsonLines<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    jsonl: JByteArray<'l>,
) -> jlong {
    run(&mut env, "storeFromJsonLines", |env| {
        let engine = handles::engine(engine)?;
        let lines = required(env, &jsonl, "jsonLines")?;
        let store_error = |e: huiqi::store::StoreError| -> Failure {
            ErrorItem { path: Some("jsonLines".into()), ..ErrorItem::new(ErrorKind::Store, e.to_string()) }.into()
        };
        let (store, report) =
            EnterpriseStore::load_jsonl(engine.schema(), lines.as_bytes(), LoadOptions::default()).map_err(store_error)?;
        report.kept_enough("the JSON lines", lines.trim_start().starts_with('{')).map_err(store_error)?;
        Ok(handles::add_store(OpenStore::new(store, report)))
    })
}

/// `byte[] parquetRowGroups(byte[] path)`: the rows of each row group of a Parquet file, as
/// a JSON array, to cut files into units of work (the Spark job's driver).
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_parquetRowGroups<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    path: JByteArray<'l>,
) -> JByteArray<'l> {
    run(&mut env, "parquetRowGroups", |env| {
        let path = required(env, &path, "path")?;
        let rows = huiqi_arrow::parquet_in::row_group_rows(Path::new(&path))
            .map_err(|e| ErrorItem { path: Some(path.clone()), ..ErrorItem::new(ErrorKind::Store, e) })?;
        bytes(env, &serde_json::to_string(&rows).unwrap_or_default())
    })
}

/// `long storeOpenParquet(Object keep, long engine, byte[] path, byte[] rowGroups, boolean
/// allColumns)`: a store from some row groups of a Parquet file (`rowGroups`: a JSON array
/// of indices; null: all), reading only the columns the engine's policies read unless
/// `allColumns` (every column name is checked either way).
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_storeOpenParquet<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    engine: jlong,
    path: JByteArray<'l>,
    row_groups: JByteArray<'l>,
    all_columns: jni::sys::jboolean,
) -> jlong {
    run(&mut env, "storeOpenParquet", |env| {
        let engine = handles::engine(engine)?;
        let path = required(env, &path, "path")?;
        let groups = match text(env, &row_groups, "rowGroups")? {
            None => None,
            Some(t) => Some(
                serde_json::from_str::<Vec<usize>>(&t)
                    .map_err(|e| ErrorItem::request("rowGroups", format!("rowGroups must be a list of row-group numbers: {e}")))?,
            ),
        };
        let pick = |s: &huiqi_arrow::arrow_schema::Schema| huiqi_arrow::columns_read(&engine, s);
        let selection = huiqi_arrow::parquet_in::Selection { row_groups: groups, columns: if all_columns { None } else { Some(&pick) } };
        let (store, report) = huiqi_arrow::parquet_in::load_store_selected(engine.schema(), Path::new(&path), &selection)
            .map_err(|e| ErrorItem { path: Some(path.clone()), ..ErrorItem::new(ErrorKind::Store, e) })?;
        Ok(handles::add_store(OpenStore::new(store, report)))
    })
}

/// `byte[] storeInfo(Object keep, long store)`: the store's enterprises and load report
/// (`store_info`), asked of the store alone, so that it answers after its engine is closed.
#[no_mangle]
pub extern "system" fn Java_io_huiqi_Native_storeInfo<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    _keep: JObject<'l>,
    store: jlong,
) -> JByteArray<'l> {
    run(&mut env, "storeInfo", |env| {
        let open = handles::store(store)?.ok_or_else(|| vec![ErrorItem::request("store", "this store is closed")])?;
        bytes(env, &ops::respond(Ok::<_, Errors>(open.info())))
    })
}
