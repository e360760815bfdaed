use super::answers::*;
use super::columns::*;
use super::engine::*;
use super::store::*;
use super::*;
use huiqi_core::engine::Engine;
use huiqi_core::ops::{self as envelopes, Envelope, StoreSummary};
use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::ptr;
use std::sync::Arc;

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
        take(unsafe { huiqi_match_many_opts(engine, c"{}\nnot json\n\n{}\n".as_ptr(), c"2026-06-30".as_ptr(), ptr::null(), 1, threads) })
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
                let got = take(unsafe { huiqi_match(engine, c(r#"{"registered_capital": "50000万"}"#).as_ptr(), c"2026-06-30".as_ptr()) });
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
    let store = envelopes::OpenStore::load(&engine, jsonl.to_str().unwrap()).unwrap().store;
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
    let native = Arc::new(Engine::embedded().unwrap());
    for path in [&jsonl, &saved] {
        let store = open(engine, path);
        let want_store = envelopes::OpenStore::load(&native, path.to_str().unwrap()).unwrap();
        let info = take(unsafe { huiqi_store_info(store) });
        let want = Envelope::Success { result: StoreSummary { enterprises: 300, report: want_store.report.clone() }, warnings: Vec::new() }
            .to_json();
        assert_eq!(info, want);
        for (policy, list) in [("six-taxes-two-fees-halved", 5), ("small-low-profit-eit", 0), ("hitech-certification", 1000)] {
            let got = take(unsafe { huiqi_reverse(engine, store, c(policy).as_ptr(), c"2026-06-30".as_ptr(), list) });
            let request = format!(r#"{{"policy": "{policy}", "as_of": "2026-06-30", "list": {list}}}"#);
            assert_eq!(got, envelopes::call(&native, Some(&want_store), "reverse", &request));
            assert_eq!(got, take(unsafe { huiqi_call(engine, store, c"reverse".as_ptr(), c(&request).as_ptr()) }));
            assert!(got.starts_with(r#"{"type":"success""#), "{got}");
        }
        let got = take(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) });
        assert_eq!(got, envelopes::call(&native, Some(&want_store), "bulk_counts", r#"{"as_of": "2026-06-30"}"#));
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
    let ids: Vec<String> =
        batches.iter().flat_map(|b| b.column(0).as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>()).collect();
    let counts: serde_json::Value =
        serde_json::from_str(&take(unsafe { huiqi_bulk_counts(engine, store, c"2026-06-30".as_ptr()) })).unwrap();
    let want: Vec<String> = counts["result"].as_array().unwrap().iter().map(|c| c["policy"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, want);
    let undetermined: u64 =
        batches.iter().map(|b| b.column(2).as_primitive::<arrow_array::types::UInt64Type>().iter().map(Option::unwrap).sum::<u64>()).sum();
    let want_u: u64 = counts["result"].as_array().unwrap().iter().map(|c| c["undetermined"].as_u64().unwrap()).sum();
    assert_eq!(undetermined, want_u);

    // Bad options are a failure envelope; `out` is not written.
    let mut out = arrow_array::ffi_stream::FFI_ArrowArrayStream::empty();
    let env = take(unsafe {
        huiqi_bulk_arrow(engine, store, c"2026-06-30".as_ptr(), c"{\"output\": \"wide\"}".as_ptr(), ptr::from_mut(&mut out).cast())
    });
    assert!(env.contains("unknown variant `wide`, expected one of `pairs`, `lists`, `counts`"), "{env}");
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

#[path = "../../fuzz/fuzz_targets/shared/arrow_producer.rs"]
mod producer;

/// `huiqi_store_from_arrow` on a stream with `attack`: the failure envelope, or "ok" when
/// a store was made.
fn import_with(engine: *const HuiqiEngine, attack: producer::Attack) -> String {
    import_batches(engine, vec![producer::sample_batch(5), producer::sample_batch(3)], attack)
}

fn import_batches(engine: *const HuiqiEngine, batches: Vec<arrow_array::RecordBatch>, attack: producer::Attack) -> String {
    let mut stream = producer::stream(batches, attack);
    let mut error: *mut c_char = ptr::null_mut();
    let store = unsafe { huiqi_store_from_arrow(engine, ptr::from_mut(&mut stream).cast(), &mut error) };
    assert!(stream.release.is_none(), "the stream is consumed, also on failure");
    if store.is_null() {
        take(error)
    } else {
        assert!(error.is_null());
        let n: serde_json::Value = serde_json::from_str(&take(unsafe { huiqi_store_info(store) })).unwrap();
        unsafe { huiqi_store_free(store) };
        format!("ok {}", n["result"]["enterprises"])
    }
}

#[test]
fn a_hostile_arrow_stream_is_a_failure_naming_the_column_never_a_crash() {
    use producer::Attack as A;
    let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
    assert_eq!(import_with(engine, A::None), "ok 8");
    // (attack, words the failure must contain). Before the stream was checked, the first
    // two segfaulted, the metadata one aborted on allocation, the NULL message panicked,
    // and the rest came back as "internal: … panicked" with a trace on stderr.
    let cases: Vec<(A, &str)> = vec![
        (A::OffsetValue(1, 2, 1_000_000), "column \\\"registered_capital\\\""),
        (A::OffsetValue(0, 1, -5), "column \\\"name\\\""),
        (A::ChildLength(2, 1), "column \\\"tags\\\""),
        (A::Metadata(None, producer::metadata(i32::MAX, &[])), "claims 2147483647 keys"),
        (A::Metadata(Some(1), [1i32, -4].iter().flat_map(|v| v.to_ne_bytes()).collect()), "column \\\"registered_capital\\\""),
        (A::NextFails(None), "the producer gave no error message"),
        (A::NextFails(Some("disk on fire".into())), "disk on fire"),
        (A::SchemaFails(None), "get_schema failed"),
        (A::SchemaChildren(1_000_000_000), "children"),
        (A::NullSchemaChild(2), "child 2 is NULL"),
        (A::NullFormat, "format string is NULL"),
        (A::Length(3, -1), "column \\\"employees_2025\\\""),
        (A::Length(3, 2), "column \\\"employees_2025\\\""),
        (A::Offset(0, -3), "column \\\"name\\\""),
        (A::NullCount(3, 99), "null count 99"),
        (A::Buffers(1, 1), "column \\\"registered_capital\\\": 1 buffers"),
        (A::Children(2, 0), "column \\\"tags\\\": 0 children"),
        (A::NullBuffer(1, 2), "the data buffer is NULL though the offsets say it holds"),
        (A::NullBuffer(3, 1), "column \\\"employees_2025\\\": buffer 1 is NULL"),
        (A::BatchChildren(2), "2 children"),
        (A::BatchLength(-7), "must not be negative"),
        (A::NoGetNext, "get_next callback is NULL"),
    ];
    // A buffer that holds no bytes may be NULL (Polars exports text that way): accepted.
    let empty: arrow_array::ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["", "", ""]));
    let names: arrow_array::ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["a", "b", "c"]));
    let batch = arrow_array::RecordBatch::try_from_iter([("name", names), ("business_scope", empty)]).unwrap();
    assert_eq!(import_batches(engine, vec![batch], A::NullBuffer(1, 2)), "ok 3");
    for (attack, words) in cases {
        let shown = format!("{attack:?}");
        let env = import_with(engine, attack);
        assert!(env.starts_with(r#"{"type":"failure""#), "{shown}: {env}");
        assert!(!env.contains("internal") && !env.contains("panicked"), "{shown}: {env}");
        assert!(env.contains(words), "{shown}: wanted {words:?} in {env}");
    }
    unsafe { huiqi_engine_free(engine) };
}

#[test]
fn compact_verdicts_fill_the_callers_bytes() {
    let engine = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
    let native = Engine::embedded().unwrap();
    let n = native.policy_set().policies.len();
    let mut want = vec![0u8; n];
    envelopes::answers::verdict_bytes(&native, &mut native.matcher(), PROFILE, "2026-06-30", &mut want).unwrap();
    let mut out = vec![7u8; n + 2];
    let got = unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), out.as_mut_ptr(), out.len()) };
    assert_eq!(got, n as i64);
    assert_eq!(&out[..n], want.as_slice());
    assert_eq!(&out[n..], &[7, 7]);
    assert!(want.contains(&1) && want.contains(&0) && want.contains(&3), "eligible, ineligible and out-of-force policies: {want:?}");
    // Again on the same thread (its kept matcher), then on another engine: the same bytes.
    let again = unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), out.as_mut_ptr(), out.len()) };
    assert_eq!((again, &out[..n]), (n as i64, want.as_slice()));
    let other = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
    let mut out2 = vec![0u8; n];
    assert_eq!(unsafe { huiqi_verdict_bytes(other, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), out2.as_mut_ptr(), n) }, n as i64);
    assert_eq!(out2, want);
    // Bad input: -1 and the failure envelope as the last error.
    let small = unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), out.as_mut_ptr(), 2) };
    assert_eq!(small, -1);
    assert!(last_error().starts_with(r#"{"type":"failure""#) && last_error().contains(r#""path":"out""#), "{}", last_error());
    let bad = unsafe { huiqi_verdict_bytes(engine, c(r#"{"employees": "many"}"#).as_ptr(), c"2026-06-30".as_ptr(), out.as_mut_ptr(), n) };
    assert_eq!(bad, -1);
    assert!(last_error().contains(r#""kind":"profile""#), "{}", last_error());
    let null_out = unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), ptr::null_mut(), n) };
    assert_eq!(null_out, -1);
    assert!(last_error().contains("out is a null pointer"));
    let null_date = unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), ptr::null(), out.as_mut_ptr(), n) };
    assert_eq!(null_date, -1);
    assert!(last_error().contains(r#""path":"as_of""#), "{}", last_error());
    unsafe { huiqi_engine_free(other) };
    unsafe { huiqi_engine_free(engine) };
    // A freed engine: -1 and a message naming the entry point.
    assert_eq!(unsafe { huiqi_verdict_bytes(engine, c(PROFILE).as_ptr(), c"2026-06-30".as_ptr(), out.as_mut_ptr(), n) }, -1);
    assert!(last_error().contains("huiqi_verdict_bytes: not a live engine handle"), "{}", last_error());
    // The ids in the same order, once.
    let e2 = unsafe { huiqi_engine_new(ptr::null(), ptr::null(), ptr::null_mut()) };
    let ids: serde_json::Value =
        serde_json::from_str(&take(unsafe { huiqi_call(e2, ptr::null(), c"policy_ids".as_ptr(), ptr::null()) })).unwrap();
    assert_eq!(ids["result"]["ids"].as_array().unwrap().len(), n);
    assert_eq!(ids["result"]["codes"][3], "not_in_force");
    unsafe { huiqi_engine_free(e2) };
}
