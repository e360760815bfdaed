//! # huiqi-wasm: the Huiqi engine in the browser and in Node
//!
//! wasm-bindgen exports over the operation layer every binding calls ([`huiqi::ops`]):
//! an [`Engine`] built from policy files (or the bundled real policies) and answers as
//! the shared envelopes, as JSON text byte-identical to the CLI's `--json`, or parsed.
//!
//! Bad input never throws from a method: it is a failure envelope. Only building an engine
//! from a set that does not compile throws (a `HuiqiError` carrying the failure envelope).
//! A panic (a bug) is logged to the console with its message and schedules a fresh
//! instance of the module; the call that panicked throws a `WebAssembly.RuntimeError`, the
//! page goes on, and engines are built again (see wasm/README.md).

pub mod api;
#[cfg(feature = "stores")]
pub mod store;

use wasm_bindgen::prelude::*;

use huiqi::engine::{MatchOptions, MatchPath};
use huiqi::ops::{self, ErrorItem};

#[wasm_bindgen(typescript_custom_section)]
const ENVELOPE_TYPES: &str = include_str!("../types/envelopes.d.ts");

/// The request and result types, generated from the Rust types (wasm/tools/gen-types.mjs).
#[wasm_bindgen(typescript_custom_section)]
const OPERATION_TYPES: &str = include_str!("../types/operations.d.ts");

/// Installs the panic hook when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The instance is unusable after the trap that follows: the next call into the
        // module gets a fresh one.
        wasm_bindgen::handler::schedule_reinit();
    }));
}

/// A JS `Error` named `HuiqiError` with the failure envelope attached.
fn huiqi_error(errors: Vec<ErrorItem>) -> JsValue {
    let summary: Vec<String> = errors
        .iter()
        .map(|e| {
            let at = match (&e.origin, &e.policy, e.line, e.column) {
                (Some(o), Some(p), Some(l), Some(c)) => format!("{o}: {p}: {l}:{c}: "),
                (Some(o), Some(p), _, _) => format!("{o}: {p}: "),
                (Some(o), None, Some(l), Some(c)) => format!("{o}: {l}:{c}: "),
                (Some(o), None, _, _) => format!("{o}: "),
                _ => String::new(),
            };
            format!("{at}{}", e.message)
        })
        .collect();
    let envelope = ops::failure(errors);
    let err = js_sys::Error::new(&summary.join("\n"));
    err.set_name("HuiqiError");
    let errors = js_sys::JSON::parse(&envelope).ok().and_then(|v| js_sys::Reflect::get(&v, &"errors".into()).ok());
    // Setting properties on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"errors".into(), &errors.unwrap_or(JsValue::NULL));
    let _ = js_sys::Reflect::set(&err, &"envelope".into(), &envelope.into());
    err.into()
}

/// A profile given as JSON text or as an object (stringified).
fn profile_text(v: &JsValue) -> Result<String, String> {
    if let Some(s) = v.as_string() {
        return Ok(s);
    }
    if v.is_undefined() || v.is_null() {
        return Err(api::request_error("no profile given"));
    }
    match js_sys::JSON::stringify(v) {
        Ok(s) => s.as_string().ok_or_else(|| api::request_error("the profile is not JSON-serialisable")),
        Err(_) => Err(api::request_error("the profile is not JSON-serialisable")),
    }
}

/// Policy files from a JS value: `undefined`/`null` (bundled set), one file's text, or an
/// array of `{name, text}`.
fn policy_files(v: &JsValue) -> Result<Vec<api::PolicyFile>, Vec<ErrorItem>> {
    if v.is_undefined() || v.is_null() {
        return Ok(Vec::new());
    }
    if let Some(text) = v.as_string() {
        return Ok(vec![(single_file_name(&text), text)]);
    }
    let bad = || vec![ErrorItem::request("policies", "give a policy file's text or an array of {name, text}")];
    if !js_sys::Array::is_array(v) {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (i, item) in js_sys::Array::from(v).iter().enumerate() {
        let get = |k: &str| js_sys::Reflect::get(&item, &k.into()).ok().and_then(|x| x.as_string());
        match (get("name"), get("text")) {
            (Some(n), Some(t)) => out.push((n, t)),
            (None, Some(t)) => out.push((format!("policies-{}.json", i + 1), t)),
            _ => return Err(bad()),
        }
    }
    if out.is_empty() {
        return Err(vec![ErrorItem::request("policies", "the array of files is empty")]);
    }
    Ok(out)
}

/// Code tables given as `[{name, text}, …]` (`undefined` / `null`: none, the bundled ones).
fn code_tables(v: &JsValue) -> Result<Vec<api::PolicyFile>, Vec<ErrorItem>> {
    if v.is_undefined() || v.is_null() {
        return Ok(Vec::new());
    }
    let bad = || vec![ErrorItem::request("codes", "give an array of {name, text} code-table files")];
    if !js_sys::Array::is_array(v) {
        return Err(bad());
    }
    let mut out = Vec::new();
    for item in js_sys::Array::from(v).iter() {
        let get = |k: &str| js_sys::Reflect::get(&item, &k.into()).ok().and_then(|x| x.as_string());
        match (get("name"), get("text")) {
            (Some(n), Some(t)) => out.push((n, t)),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// The name of a policy file given as bare text: JSON lines when it is not one JSON value.
fn single_file_name(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() && text.lines().filter(|l| !l.trim().is_empty()).count() > 1 {
        "policies.jsonl".into()
    } else {
        "policies.json".into()
    }
}

/// A request given as JSON text or an object (stringified); `undefined` / `null`: `{}`.
fn request_text(request: &JsValue) -> Result<String, String> {
    if request.is_undefined() || request.is_null() {
        Ok("{}".to_string())
    } else if let Some(s) = request.as_string() {
        Ok(s)
    } else {
        js_sys::JSON::stringify(request)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| api::request_error("the request is not JSON-serialisable"))
    }
}

fn parse_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// A compiled policy set with its schema, ready to match enterprises.
#[wasm_bindgen]
pub struct Engine {
    handle: api::Handle,
}

impl Engine {
    /// An engine, or the `HuiqiError` of a build that failed: every constructor's answer.
    fn from_handle(built: Result<api::Handle, Vec<ErrorItem>>) -> Result<Engine, JsValue> {
        built.map(|handle| Engine { handle }).map_err(huiqi_error)
    }
}

#[wasm_bindgen]
impl Engine {
    /// Builds an engine from policies (`undefined`: the bundled real policies; a policy
    /// file's text; or `[{name, text}, …]`), an optional schema JSON text (the
    /// embedded schema when absent) and optional code tables `[{name, text}, …]`, each
    /// replacing the bundled table of the same system (`industry`, `region`, `zone`) as
    /// `huiqi --codes DIR` does. Throws a `HuiqiError` listing every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "PolicySource | null")] policies: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] schema: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "PolicyFile[] | null")] codes: JsValue,
    ) -> Result<Engine, JsValue> {
        let files = policy_files(&policies).map_err(huiqi_error)?;
        let codes = code_tables(&codes).map_err(huiqi_error)?;
        Engine::from_handle(api::build_on(files, schema, codes))
    }

    /// Builds an engine from a saved set (`huiqi compile --out FILE.hqset` natively, or
    /// `serialize()`): the policy files with the syntax tree of every text, so no
    /// condition is parsed. The answers are those of the set's files.
    #[wasm_bindgen(js_name = fromSerialized)]
    pub fn from_serialized(
        saved: &[u8],
        schema: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "PolicyFile[] | null")] codes: JsValue,
    ) -> Result<Engine, JsValue> {
        let codes = code_tables(&codes).map_err(huiqi_error)?;
        Engine::from_handle(api::build_saved_on(saved, schema, codes))
    }

    /// The set saved with its syntax trees (bytes of a `.hqset` file) for
    /// `Engine.fromSerialized`.
    pub fn serialize(&self) -> Result<Vec<u8>, JsValue> {
        self.handle.save().map_err(huiqi_error)
    }

    /// Matches a profile (JSON text or object) on `asOf` (`YYYY-MM-DD`). By default the
    /// eligible and undetermined policies with verdict, score, benefit, unmet and
    /// undetermined conditions and missing fields, the counts of all policies, the next
    /// questions and the recommended combination; `options` (`MatchOptions`) set the
    /// detail level (`verdicts`, `summary`, `full`), `all`, `limit`, `tags` and the path.
    /// JSON text of an `Envelope<MatchResult>` (typed so for the common case; at `verdicts`
    /// the result is a `VerdictsResult`, which `verdicts` returns typed).
    #[wasm_bindgen(js_name = "match", unchecked_return_type = "EnvelopeJson<MatchResult>")]
    pub fn match_profile(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "MatchOptions | null")] options: JsValue,
    ) -> String {
        let text = match profile_text(&profile) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let (path, opts) = match match_options(&options) {
            Ok(o) => o,
            Err(e) => return e,
        };
        ops::match_json_opts(&self.handle.engine, &text, as_of, path, &opts)
    }

    /// `match`, parsed: an `Envelope<MatchResult>` object.
    #[wasm_bindgen(js_name = matchObject, unchecked_return_type = "Envelope<MatchResult>")]
    pub fn match_object(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "MatchOptions | null")] options: JsValue,
    ) -> JsValue {
        parse_json(&self.match_profile(profile, as_of, options))
    }

    /// Explains one policy for a profile: the explanation tree. JSON text of an
    /// `Envelope<ExplainResult>`.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<ExplainResult>")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = policyId)] policy_id: &str,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> String {
        match profile_text(&profile) {
            Ok(t) => ops::explain_json(&self.handle.engine, &t, policy_id, as_of),
            Err(e) => e,
        }
    }

    /// `explain`, parsed: an `Envelope<ExplainResult>` object.
    #[wasm_bindgen(js_name = explainObject, unchecked_return_type = "Envelope<ExplainResult>")]
    pub fn explain_object(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = policyId)] policy_id: &str,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> JsValue {
        parse_json(&self.explain(profile, policy_id, as_of))
    }

    /// The next questions worth asking (the match envelope's `next_questions`).
    #[wasm_bindgen(js_name = nextQuestions, unchecked_return_type = "EnvelopeJson<NextQuestion[]>")]
    pub fn next_questions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> String {
        match profile_text(&profile) {
            Ok(t) => self.handle.next_questions(&t, as_of),
            Err(e) => e,
        }
    }

    /// The verdict counts only (policies in force), through the policy index: the fast
    /// path for live counts over large sets. Equal to `match(...).result.summary`.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<Summary>")]
    pub fn summary(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> String {
        match profile_text(&profile) {
            Ok(t) => self.handle.summary(&t, as_of),
            Err(e) => e,
        }
    }

    /// Matches profiles given as JSON lines, with the options of `match`: one envelope line
    /// per input line (a blank or bad line gets a failure line with its line number).
    #[wasm_bindgen(js_name = matchLines)]
    pub fn match_lines(
        &self,
        jsonl: &str,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "MatchOptions | null")] options: JsValue,
    ) -> String {
        match match_options(&options) {
            Ok((path, opts)) => ops::match_lines_opts(&self.handle.engine, jsonl, as_of, path, &opts),
            Err(e) => e + "\n",
        }
    }

    /// The verdicts-only match, at the policy index's speed: the counts, and the ids and
    /// verdicts of the eligible and undetermined policies (`match` with
    /// `{detail: "verdicts"}`). JSON text of an `Envelope<VerdictsResult>`.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<VerdictsResult>")]
    pub fn verdicts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> String {
        match profile_text(&profile) {
            Ok(t) => ops::verdicts_json(&self.handle.engine, &t, as_of),
            Err(e) => e,
        }
    }

    /// The compact verdicts: a `Uint8Array` of one byte per policy in the set's order (the
    /// order of `call("policy_ids")`), with no JSON built: 0 ineligible, 1 eligible,
    /// 2 undetermined, 3 not in force on `asOf`. For a bad profile or date, the failure
    /// envelope's JSON text instead (a string: test `typeof`).
    #[wasm_bindgen(js_name = verdictBytes, unchecked_return_type = "Uint8Array | EnvelopeJson<never>")]
    pub fn verdict_bytes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] profile: JsValue,
        #[wasm_bindgen(js_name = asOf)] as_of: &str,
    ) -> JsValue {
        let text = match profile_text(&profile) {
            Ok(t) => t,
            Err(e) => return e.into(),
        };
        match self.handle.verdict_bytes(&text, as_of) {
            Ok(bytes) => js_sys::Uint8Array::from(bytes.as_slice()).into(),
            Err(errors) => ops::failure(errors).into(),
        }
    }

    /// Checks one condition text against this set's schema, definitions and policies, as
    /// the policy editor does while the officer types: every error with line, column and
    /// hint, or what the condition refers to.
    #[wasm_bindgen(js_name = checkCondition, unchecked_return_type = "EnvelopeJson<ConditionCheck>")]
    pub fn check_condition(&self, text: &str) -> String {
        self.handle.check_condition(text)
    }

    /// Checks a policy file (JSON text) in the context of this set: it may use the set's
    /// definitions and policies, and replaces those it redefines.
    #[wasm_bindgen(js_name = checkPolicy, unchecked_return_type = "EnvelopeJson<CheckSummary>")]
    pub fn check_policy(&self, text: &str, name: Option<String>) -> String {
        self.handle.check_policy_file(name.as_deref().unwrap_or("policy.json"), text)
    }

    /// Lint findings for the set. In Node's and the studio's modules; the calculator's
    /// (`web/`, without the officer's workbench) answers a failure envelope saying so.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<LintResult>")]
    pub fn lint(&self) -> String {
        self.handle.lint()
    }

    /// The policies of the set.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<PolicyList>")]
    pub fn policies(&self) -> String {
        self.handle.policies()
    }

    /// The engine's schema as a form: grouped fields with labels and units.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<SchemaInfo>")]
    pub fn schema(&self) -> String {
        ops::success(ops::authoring::schema(&self.handle.engine))
    }

    /// The policy files this engine was built from.
    #[wasm_bindgen(js_name = policyFiles, unchecked_return_type = "PolicyFile[]")]
    pub fn policy_files(&self) -> JsValue {
        files_to_js(self.handle.files())
    }

    /// The code tables this engine was built on (`[]`: the bundled ones).
    #[wasm_bindgen(js_name = codeTables, unchecked_return_type = "PolicyFile[]")]
    pub fn code_tables(&self) -> JsValue {
        files_to_js(self.handle.code_tables())
    }

    /// The schema JSON text this engine was built with (`undefined`: the embedded one).
    #[wasm_bindgen(js_name = schemaJson)]
    pub fn schema_json(&self) -> Option<String> {
        self.handle.schema_json().map(str::to_string)
    }

    /// Answers any operation by name (`match`, `explain`, `calendar`, `lint`, `policies`,
    /// `check_condition` …; docs/operations.md), with its request as JSON text or an
    /// object: the same envelope, byte for byte, as `huiqi call OP` and the C ABI's
    /// `huiqi_call`. The operations on stores are in the studio's module only, and the
    /// workbench's (`lint`, `test`, `diff`) in the studio's and Node's: elsewhere they
    /// answer a failure envelope saying so.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<unknown>")]
    pub fn call(&self, op: &str, #[wasm_bindgen(unchecked_optional_param_type = "string | object | null")] request: JsValue) -> String {
        match request_text(&request) {
            Ok(t) => self.handle.call(op, &t),
            Err(e) => e,
        }
    }

    /// Shape of the compiled policy index.
    #[wasm_bindgen(unchecked_return_type = "Record<string, number>")]
    pub fn stats(&self) -> JsValue {
        parse_json(&serde_json::to_string(&self.handle.engine.index_stats()).unwrap_or_default())
    }
}

/// Match options from a JS object (`MatchOptions`), read by the core's one options parser.
fn match_options(v: &JsValue) -> Result<(MatchPath, MatchOptions), String> {
    if v.is_undefined() || v.is_null() {
        return Ok((MatchPath::Index, MatchOptions::default()));
    }
    let text =
        js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()).ok_or_else(|| api::request_error("options: not a JSON object"))?;
    ops::match_options(Some(&text)).map_err(ops::failure)
}

fn files_to_js(files: &[api::PolicyFile]) -> JsValue {
    let out = js_sys::Array::new();
    for (name, text) in files {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"name".into(), &name.into());
        let _ = js_sys::Reflect::set(&o, &"text".into(), &text.into());
        out.push(&o);
    }
    out.into()
}

/// Checks a policy set (`undefined`: the bundled one) against a schema: a summary, or every
/// problem with file, policy, line, column and hint. Never throws.
#[wasm_bindgen(unchecked_return_type = "EnvelopeJson<CheckSummary>")]
pub fn check(
    #[wasm_bindgen(unchecked_optional_param_type = "PolicySource | null")] policies: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] schema: Option<String>,
) -> String {
    let spec = policy_files(&policies).map(|files| ops::EngineSpec {
        schema,
        policies: if files.is_empty() {
            None
        } else {
            Some(files.into_iter().map(|(origin, text)| ops::Source { origin, text }).collect())
        },
        ..ops::EngineSpec::default()
    });
    ops::respond(spec.and_then(|s| ops::build::check(&s)))
}

/// A schema (JSON text; the embedded one when absent) as a form: fields grouped, with
/// Chinese labels, types, units, enum values and code lists.
#[wasm_bindgen(js_name = schemaInfo, unchecked_return_type = "EnvelopeJson<SchemaInfo>")]
pub fn schema_info_json(schema: Option<String>) -> String {
    let tables = ops::Tables { schema_json: schema.as_deref(), codes: &[] };
    ops::respond(ops::build::schema_of(tables).map(|s| ops::schema_info::schema_info(&s)))
}

/// Installs the bundled data that ships beside the module (the package's loaders call
/// it: `loadBundled()`): the saved bundled set (`data/policies.hqset`), the schema
/// (`data/schema/enterprise.json`), the code tables (`data/codes/*.json`) and the sample
/// enterprises that the bundled test cases name (`data/enterprises/*.json`). From then
/// on the bundled defaults (an engine of no policy files, the schema and tables when none
/// are given) are these. Throws a `HuiqiError` for a file that does not load, and
/// installs nothing then. Returns the number of bundled policy files.
#[wasm_bindgen(js_name = installBundled)]
pub fn install_bundled(
    saved: &[u8],
    schema: String,
    #[wasm_bindgen(unchecked_param_type = "PolicyFile[]")] codes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PolicyFile[]")] samples: JsValue,
) -> Result<usize, JsValue> {
    let codes = code_tables(&codes).map_err(huiqi_error)?;
    let samples = code_tables(&samples).map_err(huiqi_error)?;
    api::install_bundled(saved, schema, codes, samples).map_err(huiqi_error)
}

/// The bundled real policy files (name and JSON text): none before `installBundled`.
#[wasm_bindgen(js_name = bundledPolicies, unchecked_return_type = "PolicyFile[]")]
pub fn bundled_policies() -> JsValue {
    files_to_js(&api::bundled_files())
}

/// Version of the huiqi engine in this build.
#[wasm_bindgen]
pub fn version() -> String {
    api::huiqi_version()
}

/// Panics on purpose: the tests use it to check that a panic is logged, throws a
/// `RuntimeError` to the caller only, and leaves the module usable.
#[wasm_bindgen(js_name = __panicForTests, skip_typescript)]
#[allow(clippy::panic, reason = "the one deliberate panic, to test the panic path")]
pub fn panic_for_tests() {
    panic!("deliberate panic (huiqi-wasm panic-path test)");
}
