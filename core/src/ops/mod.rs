//! # Operations: the one layer every binding calls
//!
//! Every question a binding can ask is an operation here: a request type (deserialised
//! from JSON, unknown keys refused), a function, and a response type (serialised into the
//! envelope). The envelope is built here and nowhere else, so the CLI's `--json`, the C
//! ABI, Python, WASM and the HTTP service give byte-identical answers to the same request:
//!
//! ```json
//! {"type": "success", "result": { … }, "warnings": ["…"]}
//! {"type": "failure", "errors": [{"kind": "profile", "message": "…", "path": "$.employees.2024"}]}
//! ```
//!
//! Errors are values of one [`ErrorKind`], with a message and where (a request argument,
//! a JSON path, file / policy / line:column in a policy text, the item of a batch).
//! Nothing here panics on bad input.
//!
//! A binding either calls the typed functions (`answers::explain(&engine, &request)`) or
//! hands an operation's name and request text to [`call`], which is what a new binding
//! needs: one entry point, every operation, the same bytes. [`OPERATIONS`] lists them.
//!
//! The modules, one area each: [`error`] (kinds, items, the envelope), [`build`] (the
//! schema, code tables and policy files an engine is built from), [`answers`] (one
//! enterprise, or many), [`authoring`] (what officers ask of a set), [`stores`] (many
//! enterprises at once), [`schema_info`] (the schema as a form needs it), [`testing`] (the
//! test cases kept beside each policy).

pub mod answers;
pub mod authoring;
pub mod build;
pub mod diff;
pub mod error;
pub mod reach_parts;
pub mod schema_info;
pub mod schemas;
pub mod stores;
pub mod testing;

use std::sync::Arc;

use serde::de::DeserializeOwned;

pub use answers::{
    explain_json, line_failure, match_json, match_json_opts, match_json_reusing, match_line, match_lines, match_lines_opts,
    match_lines_threads, match_options, match_request_json, next_questions_json, profile_and_date, summary_json, verdicts_json,
    MatchOptionsJson,
};
pub use build::{build_engine, build_engine_on, build_engine_saved_on, save_set_on, CheckSummary, EngineSpec, PolicyFiles, Source, Tables};
pub use error::{
    engine_errors, failure, policy_errors, profile_errors, respond, store_errors, success, Envelope, ErrorItem, ErrorKind, Errors,
};
pub use stores::{OpenStore, StoreSummary};

use crate::engine::Engine;

/// One operation of [`call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The name a binding passes (`match`, `reverse`).
    pub name: &'static str,
    /// Whether it needs a store beside the engine (`store`), may use one (`optional`) or
    /// takes none.
    pub store: StoreUse,
    /// What it answers, in a line.
    pub summary: &'static str,
}

/// Whether an operation asks a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreUse {
    None,
    Optional,
    Required,
}

/// Every operation [`call`] answers, by name.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "match", store: StoreUse::None, summary: "one enterprise against every policy in force, at a detail level" },
    Operation { name: "verdicts", store: StoreUse::None, summary: "the counts, ids and verdicts of a match, at the index's speed" },
    Operation { name: "summary", store: StoreUse::None, summary: "the verdict counts of a match" },
    Operation { name: "next_questions", store: StoreUse::None, summary: "the fields that would decide the most undetermined policies" },
    Operation { name: "explain", store: StoreUse::None, summary: "one policy for one enterprise, in words" },
    Operation { name: "calendar", store: StoreUse::None, summary: "application windows and end dates ahead (政策日历)" },
    Operation { name: "match_many", store: StoreUse::None, summary: "many enterprises, one envelope each" },
    Operation {
        name: "check",
        store: StoreUse::None,
        summary: "a policy set (schema, code tables, files) compiled and checked on its own",
    },
    Operation { name: "check_condition", store: StoreUse::None, summary: "a condition text checked in the set's context" },
    Operation { name: "check_policy", store: StoreUse::None, summary: "a policy file checked in the set's context" },
    Operation { name: "lint", store: StoreUse::Optional, summary: "findings on the set; with a store, each policy's reach" },
    Operation { name: "policies", store: StoreUse::None, summary: "the published policy list (政策精准公开)" },
    Operation { name: "schema", store: StoreUse::None, summary: "the schema as a form needs it" },
    Operation { name: "fields_read", store: StoreUse::None, summary: "the fields the policies read" },
    Operation {
        name: "policy_ids",
        store: StoreUse::None,
        summary: "the policies' ids in the set's order: the order of the compact verdicts",
    },
    Operation { name: "store_info", store: StoreUse::Required, summary: "the enterprises of a store and its load report" },
    Operation { name: "prepare", store: StoreUse::Required, summary: "the store's predicate sets for a date, kept for the next question" },
    Operation { name: "reverse", store: StoreUse::Required, summary: "which enterprises qualify for one policy (免申即享)" },
    Operation { name: "bulk_counts", store: StoreUse::Required, summary: "every enterprise against every policy in force, counted" },
    Operation { name: "what_if", store: StoreUse::Required, summary: "a draft of one policy: its reach against the current version's" },
    Operation { name: "test", store: StoreUse::None, summary: "the test cases kept beside each policy, run: pass or fail, and why" },
    Operation {
        name: "diff",
        store: StoreUse::Optional,
        summary: "the set against a draft of one policy or a new set: what changed, in words; with a store, who gains and who loses",
    },
];

/// Whether this build has the officer's workbench operations (`lint`, `test`, `diff`:
/// feature `workbench`, on by default; off in the calculator's WASM module).
pub const WORKBENCH: bool = cfg!(feature = "workbench");

/// Reads a request: strict JSON (a key given twice is an error, as in a profile), then
/// the operation's type. Empty text or `null` is `{}`.
pub fn request<R: DeserializeOwned>(op: &str, text: &str) -> Result<R, Errors> {
    let text = text.trim();
    let value = if text.is_empty() || text == "null" {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        crate::profile::parse_json(text)
            .map_err(|e| vec![ErrorItem::new(ErrorKind::Json, format!("the {op} request is not valid JSON: {e}"))])?
    };
    serde_json::from_value(value).map_err(|e| vec![ErrorItem::request("request", format!("{op} request: {e}"))])
}

/// Answers operation `op` with `request` (JSON text) on `engine`, and on `store` when the
/// operation asks one: the envelope as JSON text. An unknown operation, a bad request or
/// a missing store is a failure envelope of kind `request`.
pub fn call(engine: &Arc<Engine>, store: Option<&OpenStore>, op: &str, request_json: &str) -> String {
    fn run<R: DeserializeOwned, T: serde::Serialize>(op: &str, text: &str, f: impl FnOnce(R) -> Result<T, Errors>) -> String {
        respond(request::<R>(op, text).and_then(f))
    }
    let needs_store = || -> Result<&OpenStore, Errors> {
        store.ok_or_else(|| vec![ErrorItem::request("store", format!("{op} asks a store of enterprises: open one and pass it"))])
    };
    match op {
        "match" => match request::<answers::MatchRequest>(op, request_json) {
            Ok(r) => answers::match_profile(engine, &mut engine.matcher(), &r),
            Err(e) => failure(e),
        },
        "verdicts" => match request::<answers::ProfileRequest>(op, request_json) {
            Ok(r) => answers::verdicts(engine, &mut engine.matcher(), &r),
            Err(e) => failure(e),
        },
        "summary" => run(op, request_json, |r| answers::summary(engine, &r)),
        "next_questions" => answers::next_questions_envelope(request(op, request_json).and_then(|r| answers::next_questions(engine, &r))),
        "explain" => run(op, request_json, |r| answers::explain(engine, &r)),
        "calendar" => run(op, request_json, |r| answers::calendar(engine, &r)),
        "match_many" => run(op, request_json, |r| answers::match_many(engine, &mut engine.matcher(), &r)),
        "check_condition" => run(op, request_json, |r| authoring::check_condition(engine, &r)),
        "check_policy" => run(op, request_json, |r| authoring::check_policy(engine, &r)),
        "check" => run(op, request_json, |r| build::check(&r)),
        #[cfg(feature = "workbench")]
        "lint" => run(op, request_json, |r| authoring::lint(engine, store, &r)),
        "policies" => run(op, request_json, |r| authoring::policies(engine, &r)),
        "schema" => run(op, request_json, |_: Empty| Ok(authoring::schema(engine))),
        "fields_read" => run(op, request_json, |_: Empty| Ok(authoring::fields_read(engine))),
        "policy_ids" => run(op, request_json, |_: Empty| Ok(answers::policy_ids(engine))),
        #[cfg(feature = "workbench")]
        "test" => run(op, request_json, |r| testing::test(engine, &r)),
        #[cfg(feature = "workbench")]
        "diff" => run(op, request_json, |r| diff::diff(engine, store, &r)),
        #[cfg(feature = "stores")]
        "store_info" => run(op, request_json, |_: Empty| needs_store().map(OpenStore::info)),
        #[cfg(feature = "stores")]
        "prepare" => run(op, request_json, |r| stores::prepare(engine, needs_store()?, &r)),
        #[cfg(feature = "stores")]
        "reverse" => run(op, request_json, |r| stores::reverse(engine, needs_store()?, &r)),
        #[cfg(feature = "stores")]
        "bulk_counts" => run(op, request_json, |r| stores::bulk_counts(engine, needs_store()?, &r)),
        #[cfg(feature = "stores")]
        "what_if" => run(op, request_json, |r| stores::what_if(engine, needs_store()?, &r)),
        #[cfg(not(feature = "stores"))]
        "store_info" | "prepare" | "reverse" | "bulk_counts" | "what_if" => {
            let _ = needs_store;
            failure(vec![ErrorItem::request(
                "op",
                format!(
                    "{op} is an operation on a store: not in this build (built without feature `stores`; in the WASM package, the studio's module has it)"
                ),
            )])
        }
        #[cfg(not(feature = "workbench"))]
        "lint" | "test" | "diff" => failure(vec![ErrorItem::request(
            "op",
            format!(
                "{op} is an operation of the officer's workbench: not in this build (built without feature `workbench`; in the WASM package, the studio's and Node's modules have it)"
            ),
        )]),
        _ => failure(vec![ErrorItem {
            hint: crate::suggest::closest(op, OPERATIONS.iter().map(|o| o.name)).map(|s| format!("did you mean {s:?}?")),
            ..ErrorItem::request("op", format!("unknown operation {op:?}"))
        }]),
    }
}

/// The request of an operation that takes no arguments: `{}`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::embedded().unwrap())
    }

    #[test]
    fn every_listed_operation_is_answered() {
        let e = engine();
        for op in OPERATIONS {
            let got = call(&e, None, op.name, "{}");
            assert!(!got.contains("unknown operation"), "{}: {got}", op.name);
        }
    }

    #[test]
    fn unknown_operations_and_keys_are_request_errors() {
        let e = engine();
        let got = call(&e, None, "mach", "{}");
        assert!(got.contains(r#""kind":"request""#) && got.contains(r#"did you mean \"match\"?"#), "{got}");
        let got = call(&e, None, "summary", r#"{"profile": {}, "as_of": "2026-06-30", "asof": 1}"#);
        assert!(got.contains("unknown field `asof`"), "{got}");
        let got = call(&e, None, "summary", r#"{"profile": {"name": "a", "name": "b"}, "as_of": "2026-06-30"}"#);
        assert!(got.contains(r#""kind":"json""#) && got.contains("appears twice"), "{got}");
        let got = call(&e, None, "reverse", r#"{"policy": "x", "as_of": "2026-06-30"}"#);
        assert!(got.contains(r#""path":"store""#), "{got}");
    }

    #[test]
    fn compact_verdicts_are_the_verdicts_envelope_in_bytes() {
        let e = engine();
        let ids = answers::policy_ids(&e);
        let listed = call(&e, None, "policy_ids", "{}");
        assert!(listed.starts_with(r#"{"type":"success","result":{"ids":["#), "{listed}");
        let mut m = e.matcher();
        for date in ["2026-06-30", "2019-01-01"] {
            for f in ["01-quanzhi-software.json", "07-huadai-pharma.json", "13-huangtu-agri.json"] {
                let profile = crate::bundled::samples().into_iter().find(|(n, _)| n == f).unwrap().1;
                let mut out = vec![9u8; ids.ids.len() + 3];
                let n = answers::verdict_bytes(&e, &mut m, &profile, date, &mut out).unwrap();
                assert_eq!(n, ids.ids.len());
                assert_eq!(&out[n..], &[9, 9, 9], "bytes past the set's are left alone");
                // The verdicts envelope lists the eligible and undetermined ones in force.
                let env: serde_json::Value = serde_json::from_str(&verdicts_json(&e, &profile, date)).unwrap();
                let mut want = vec![None; n];
                for p in env["result"]["policies"].as_array().unwrap() {
                    let i = ids.ids.iter().position(|x| x == p["id"].as_str().unwrap()).unwrap();
                    want[i] = Some(p["verdict"].as_str().unwrap().to_string());
                }
                let summary = &env["result"]["summary"];
                let count = |c: u8| out[..n].iter().filter(|b| **b == c).count() as u64;
                assert_eq!(count(answers::verdict_code::NOT_IN_FORCE), summary["not_in_force"].as_u64().unwrap(), "{f} {date}");
                assert_eq!(count(answers::verdict_code::INELIGIBLE), summary["ineligible"].as_u64().unwrap(), "{f} {date}");
                for (i, b) in out[..n].iter().enumerate() {
                    let code = ids.codes[*b as usize];
                    match &want[i] {
                        Some(v) => assert_eq!(code, v, "{} {f} {date}", ids.ids[i]),
                        None => assert!(code == "ineligible" || code == "not_in_force", "{} {f} {date}: {code}", ids.ids[i]),
                    }
                }
            }
        }
        let mut small = vec![0u8; 3];
        let err = answers::verdict_bytes(&e, &mut m, "{}", "2026-06-30", &mut small).unwrap_err();
        assert_eq!(err[0].path.as_deref(), Some("out"));
        let mut out = vec![0u8; ids.ids.len()];
        let err = answers::verdict_bytes(&e, &mut m, r#"{"employees": "many"}"#, "2026-06-30", &mut out).unwrap_err();
        assert_eq!(err[0].kind, ErrorKind::Profile);
        let err = answers::verdict_bytes(&e, &mut m, "{}", "30/06/2026", &mut out).unwrap_err();
        assert_eq!(err[0].path.as_deref(), Some("as_of"));
    }

    #[test]
    fn the_typed_match_is_the_text_match() {
        let e = engine();
        let profile = include_str!("../../../data/enterprises/01-quanzhi-software.json");
        let request = format!(r#"{{"profile": {profile}, "as_of": "2026-06-30", "options": {{"detail": "summary"}}}}"#);
        let want = match_request_json(&e, profile, "2026-06-30", Some(r#"{"detail": "summary"}"#));
        assert_eq!(call(&e, None, "match", &request), want);
    }
}
