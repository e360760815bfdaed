//! The WASM package's engine handle as plain Rust over the operation layer
//! (`huiqi::ops`), so it is tested natively too (`cargo test -p huiqi-wasm`). `lib.rs`
//! only adapts it to JavaScript. Every answer is an envelope built by `huiqi::ops`, so
//! the bytes equal the CLI's `--json` output and the C ABI's.

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::ops::{self, build::Source, ErrorItem};

/// A policy file: its name (origin in error messages; a name ending in `.jsonl` is read as
/// JSON lines) and its text.
pub type PolicyFile = (String, String);

/// An engine together with what it was built from, for `serialize()`, `policyFiles()`,
/// `codeTables()` and `schemaJson()`.
pub struct Handle {
    pub engine: Arc<Engine>,
    /// The matcher of the compact verdicts, kept between calls (one thread in WASM).
    matcher: std::cell::RefCell<Option<huiqi::index::Matcher>>,
    files: Vec<PolicyFile>,
    schema_json: Option<String>,
    /// Code tables replacing the bundled ones (`huiqi --codes DIR`); empty: the bundled ones.
    codes: Vec<PolicyFile>,
}

/// The policy files embedded in the library (the bundled real policies).
pub fn bundled_files() -> Vec<PolicyFile> {
    ops::build::bundled_files()
}

fn sources(files: &[PolicyFile]) -> Vec<Source> {
    files.iter().map(|(origin, text)| Source { origin: origin.clone(), text: text.clone() }).collect()
}

/// Builds an engine: the embedded schema when `schema_json` is `None`, the bundled
/// policies when `files` is empty.
pub fn build(files: Vec<PolicyFile>, schema_json: Option<String>) -> Result<Handle, Vec<ErrorItem>> {
    build_on(files, schema_json, Vec::new())
}

/// [`build`] on code tables (file name, JSON text) replacing the bundled ones of the same
/// system, as `huiqi --codes DIR`.
pub fn build_on(files: Vec<PolicyFile>, schema_json: Option<String>, codes: Vec<PolicyFile>) -> Result<Handle, Vec<ErrorItem>> {
    let code_sources = sources(&codes);
    let engine = ops::build_engine_on(ops::Tables { schema_json: schema_json.as_deref(), codes: &code_sources }, &files)?;
    let files = if files.is_empty() { bundled_files() } else { files };
    Ok(Handle { engine: Arc::new(engine), matcher: Default::default(), files, schema_json, codes })
}

/// Builds an engine from a saved set (`huiqi compile`, or [`Handle::save`]): no condition
/// text is parsed; the answers are those of the set's files.
pub fn build_saved(saved: &[u8], schema_json: Option<String>) -> Result<Handle, Vec<ErrorItem>> {
    build_saved_on(saved, schema_json, Vec::new())
}

/// [`build_saved`] on replaced code tables, as [`build_on`].
pub fn build_saved_on(saved: &[u8], schema_json: Option<String>, codes: Vec<PolicyFile>) -> Result<Handle, Vec<ErrorItem>> {
    let code_sources = sources(&codes);
    let (engine, files) = ops::build_engine_saved_on(ops::Tables { schema_json: schema_json.as_deref(), codes: &code_sources }, saved)?;
    Ok(Handle { engine: Arc::new(engine), matcher: Default::default(), files, schema_json, codes })
}

/// Installs the bundled data the package ships beside the module ([`huiqi::bundled`]):
/// the policy files of the saved bundled set, the schema, the code tables and the sample
/// enterprises. The schema is checked on the tables first: a bad file is an error naming
/// it, and nothing is installed.
pub fn install_bundled(saved: &[u8], schema: String, codes: Vec<PolicyFile>, samples: Vec<PolicyFile>) -> Result<usize, Vec<ErrorItem>> {
    let read = huiqi::saved::read(saved).map_err(|e| vec![ErrorItem::new(ops::ErrorKind::Compiled, e.to_string())])?;
    let code_sources = sources(&codes);
    ops::build::schema_of(ops::Tables { schema_json: Some(&schema), codes: &code_sources })?;
    let policies = read.files.len();
    huiqi::bundled::install(huiqi::bundled::BundledData { policies: read.files, samples, schema: Some(schema), codes });
    Ok(policies)
}

/// The core crate's version this package was built with.
pub fn huiqi_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// A failure envelope with one error of kind `request`.
pub fn request_error(message: impl Into<String>) -> String {
    ops::failure(vec![ErrorItem::new(ops::ErrorKind::Request, message)])
}

impl Handle {
    /// The compact verdicts ([`huiqi::ops::answers::verdict_bytes`]): one byte per policy
    /// in the set's order, or the errors.
    pub fn verdict_bytes(&self, profile_json: &str, as_of: &str) -> Result<Vec<u8>, Vec<ErrorItem>> {
        let mut out = vec![0u8; self.engine.policy_set().policies.len()];
        let mut slot = self.matcher.try_borrow_mut().map_err(|_| vec![ErrorItem::new(ops::ErrorKind::Internal, "re-entered")])?;
        let m = slot.get_or_insert_with(|| self.engine.matcher());
        ops::answers::verdict_bytes(&self.engine, m, profile_json, as_of, &mut out)?;
        Ok(out)
    }

    /// The policy files the engine was compiled from.
    pub fn files(&self) -> &[PolicyFile] {
        &self.files
    }

    /// The set saved with its syntax trees, for [`build_saved`].
    pub fn save(&self) -> Result<Vec<u8>, Vec<ErrorItem>> {
        let codes = sources(&self.codes);
        ops::save_set_on(ops::Tables { schema_json: self.schema_json.as_deref(), codes: &codes }, &self.files)
    }

    /// The schema JSON the engine was built with (`None`: the embedded one).
    pub fn schema_json(&self) -> Option<&str> {
        self.schema_json.as_deref()
    }

    /// The code tables the engine was built on (empty: the bundled ones).
    pub fn code_tables(&self) -> &[PolicyFile] {
        &self.codes
    }

    /// Any operation by name, with its request as JSON text (`huiqi::ops::call`).
    pub fn call(&self, op: &str, request: &str) -> String {
        ops::call(&self.engine, None, op, request)
    }

    /// `check_condition`.
    pub fn check_condition(&self, text: &str) -> String {
        ops::respond(ops::authoring::check_condition(&self.engine, &ops::authoring::ConditionRequest { condition: text.to_string() }))
    }

    /// `check_policy`: a policy file checked in the context of this set.
    pub fn check_policy_file(&self, name: &str, text: &str) -> String {
        let r = ops::authoring::PolicyFileRequest { name: name.to_string(), text: text.to_string() };
        ops::respond(ops::authoring::check_policy(&self.engine, &r))
    }

    /// `lint` of the set.
    pub fn lint(&self) -> String {
        // Through `ops::call`, which answers "not in this build" without feature `workbench`.
        ops::call(&self.engine, None, "lint", "{}")
    }

    /// `policies`: every version, in set order.
    pub fn policies(&self) -> String {
        ops::respond(ops::authoring::policies(&self.engine, &ops::authoring::PoliciesRequest::default()))
    }

    /// `summary` of a profile (JSON text).
    pub fn summary(&self, profile_json: &str, as_of: &str) -> String {
        ops::summary_json(&self.engine, profile_json, as_of)
    }

    /// `next_questions` of a profile (JSON text).
    pub fn next_questions(&self, profile_json: &str, as_of: &str) -> String {
        ops::next_questions_json(&self.engine, profile_json, as_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_files(dir: &str) -> Vec<PolicyFile> {
        let dir = format!("{}/../data/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "region-full.json")
            .collect();
        huiqi::sort::sort(&mut names);
        names.into_iter().map(|n| (n.clone(), std::fs::read_to_string(format!("{dir}/{n}")).unwrap())).collect()
    }

    /// Installs the bundled data as the package's loaders do, from the files beside the
    /// module (here: data/ in the source tree), once per test process.
    fn install_from_disk() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/schema/enterprise.json")).unwrap();
            let codes = data_files("codes");
            let code_sources = sources(&codes);
            let saved =
                ops::build::save_set_on(ops::Tables { schema_json: Some(&schema), codes: &code_sources }, &data_files("policies")).unwrap();
            let n = install_bundled(&saved, schema, codes, data_files("enterprises")).unwrap();
            assert_eq!(n, data_files("policies").len());
        });
    }

    fn bundled() -> Handle {
        install_from_disk();
        build(Vec::new(), None).unwrap()
    }

    #[test]
    fn compact_verdicts_are_the_core_bytes_call_after_call() {
        let h = bundled();
        let n = h.engine.policy_set().policies.len();
        for f in ["01-quanzhi-software.json", "05-xincheng-hardware.json", "01-quanzhi-software.json"] {
            let p = std::fs::read_to_string(format!("{}/../data/enterprises/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let mut want = vec![0u8; n];
            ops::answers::verdict_bytes(&h.engine, &mut h.engine.matcher(), &p, "2026-06-30", &mut want).unwrap();
            assert_eq!(h.verdict_bytes(&p, "2026-06-30").unwrap(), want, "{f}");
        }
        assert_eq!(h.verdict_bytes("{", "2026-06-30").unwrap_err()[0].kind, ops::ErrorKind::Json);
    }

    #[test]
    fn installing_bad_bundled_data_says_which_and_installs_nothing() {
        install_from_disk();
        let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/schema/enterprise.json")).unwrap();
        let bad = install_bundled(b"not a set", schema.clone(), Vec::new(), Vec::new()).unwrap_err();
        assert_eq!(bad[0].kind, ops::ErrorKind::Compiled);
        let saved = bundled().save().unwrap();
        let bad = install_bundled(&saved, "{".into(), data_files("codes"), Vec::new()).unwrap_err();
        assert_eq!(bad[0].kind, ops::ErrorKind::Schema);
        // Still the data installed first: the bundled engine and its tests' sample files.
        let h = build(Vec::new(), None).unwrap();
        assert_eq!(h.files().len(), data_files("policies").len());
        let report = ops::call(&h.engine, None, "test", "{}");
        if ops::WORKBENCH {
            assert!(report.contains(r#""failed":0"#), "{}", &report[..report.len().min(400)]);
        } else {
            // `cargo test -p huiqi-wasm` alone: the core without its workbench, as in the
            // calculator's module.
            assert!(report.contains("not in this build"), "{report}");
        }
    }

    #[test]
    fn saved_set_gives_the_same_answers() {
        let a = bundled();
        let saved = a.save().unwrap();
        let b = build_saved(&saved, None).unwrap();
        assert_eq!(a.files(), b.files());
        for f in ["01-quanzhi-software.json", "02-mingchuan-hydraulics.json", "07-huadai-pharma.json"] {
            let p = std::fs::read_to_string(format!("{}/../data/enterprises/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            assert_eq!(ops::match_json(&a.engine, &p, "2026-06-30"), ops::match_json(&b.engine, &p, "2026-06-30"));
        }
        let bad = build_saved(b"not a set", None).err().unwrap();
        assert_eq!(bad[0].kind, ops::ErrorKind::Compiled);
        assert!(bad[0].message.contains("HUIQISET"), "{}", bad[0].message);
    }

    /// Code tables replace the bundled ones, as `huiqi --codes DIR`, and stay with the
    /// engine: the saved set and a policy file checked in context use them too.
    #[test]
    fn code_tables_replace_the_bundled_ones() {
        install_from_disk();
        let policy = r#"{"id": "zone-test", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "district",
                         "condition": "registered_zone under test_zone", "benefit": {"kind": "none", "description": "t"},
                         "source": {"document": "d"}}"#;
        // A platform-local zone list (synthetic, for this test only).
        let zones = r#"{"system": "zone", "standard": "test zones (synthetic)",
                        "nodes": [{"code": "test_zone", "name": "test zone", "districts": ["370102"]}]}"#;
        let files = vec![("z.json".to_string(), policy.to_string())];
        let codes = vec![("zones.json".to_string(), zones.to_string())];
        let refused = build(files.clone(), None).err().unwrap();
        assert!(refused[0].message.contains("test_zone"), "{}", refused[0].message);
        let h = build_on(files, None, codes.clone()).unwrap();
        assert_eq!(h.code_tables(), codes.as_slice());
        let profile = huiqi::engine::Engine::profile_from_json(&h.engine, r#"{"registered_zone": "test_zone"}"#).unwrap();
        let date = huiqi::date::Date::parse("2026-06-30").unwrap();
        assert_eq!(h.engine.verdicts(&profile, date), vec![huiqi::outcome::Verdict::Eligible]);
        let again = build_saved_on(&h.save().unwrap(), None, codes.clone()).unwrap();
        assert_eq!(again.engine.verdicts(&profile, date), vec![huiqi::outcome::Verdict::Eligible]);
        assert!(build_saved(&h.save().unwrap(), None).is_err(), "without the tables the saved set does not check");
        let edited = h.check_policy_file("edited.json", &policy.replace("zone-test", "zone-test-2"));
        assert!(edited.starts_with(r#"{"type":"success""#), "{edited}");
        let bad =
            build_on(Vec::new(), None, vec![("industry.json".into(), r#"{"system": "industry", "nodes": []}"#.into())]).err().unwrap();
        assert_eq!(bad[0].kind, ops::ErrorKind::Codes);
        assert!(bad[0].message.contains("industry.json"), "{}", bad[0].message);
    }

    #[test]
    fn condition_diagnostics_have_line_column_and_hint() {
        let h = bundled();
        let bad = h.check_condition("registered_captial >= 500万");
        assert!(bad.starts_with(r#"{"type":"failure""#), "{bad}");
        assert!(bad.contains(r#""line":1,"column":1"#), "{bad}");
        assert!(bad.contains("registered_capital"), "{bad}");
        let unit = h.check_condition("注册资本 >= 500\nand employees@fy1 >= 10");
        assert!(unit.contains(r#""line":1"#), "{unit}");
        let second = h.check_condition("注册资本 >= 500万\nand employes@fy1 >= 10");
        assert!(second.contains(r#""line":2,"column":5"#), "{second}");
        let syntax = h.check_condition("注册资本 >= (500万");
        assert!(syntax.starts_with(r#"{"type":"failure""#), "{syntax}");
    }

    #[test]
    fn condition_using_definitions_and_policies_checks() {
        let h = bundled();
        // A policy id with digits before letters is one token inside eligible(…).
        let digits = h.check_condition("eligible(hitech-eit-15pct-rate)");
        assert!(digits.starts_with(r#"{"type":"success""#), "{digits}");
        let ok = h.check_condition("eligible(hitech-certification) and 注册资本 >= 500万");
        assert!(ok.starts_with(r#"{"type":"success""#), "{ok}");
        assert!(ok.contains(r#""policies":["hitech-certification"]"#), "{ok}");
        assert!(ok.contains(r#""registered_capital""#) || ok.contains("注册资本"), "{ok}");
    }

    #[test]
    fn policy_file_checks_in_context() {
        let h = bundled();
        let p = r#"{"id": "hitech-certification", "title": "t", "issuer": "i", "doc_no": "d", "year": 2024, "level": "national",
                    "condition": "registered_capital >= 500万 and eligible(small-low-profit-eit)",
                    "benefit": {"kind": "fixed", "amount": "10万"}, "source": {"document": "d"}}"#;
        let ok = h.check_policy_file("edited.json", p);
        assert_eq!(ok, r#"{"type":"success","result":{"policies":1,"definitions":0,"ids":["hitech-certification"]}}"#);
        let bad = h.check_policy_file("edited.json", &p.replace("registered_capital", "registered_captial"));
        // Placed in the file: line 2, where `"condition"` is, at the misspelt name.
        assert!(bad.contains(r#""origin":"edited.json""#) && bad.contains(r#""line":2,"column":35"#), "{bad}");
        let not_json = h.check_policy_file("edited.json", "{");
        assert!(not_json.contains("not valid JSON"), "{not_json}");
    }

    #[test]
    fn next_questions_and_policies() {
        let h = bundled();
        let profile =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/enterprises/01-quanzhi-software.json")).unwrap();
        let q = h.next_questions(&profile, "2026-06-30");
        assert!(q.starts_with(r#"{"type":"success","result":[{"field":"#), "{q}");
        assert!(h.policies().contains("hitech-eit-15pct-rate"));
        let lint = h.lint();
        if ops::WORKBENCH {
            assert!(lint.starts_with(r#"{"type":"success""#), "{lint}");
        } else {
            assert!(lint.starts_with(r#"{"type":"failure""#) && lint.contains("officer's workbench: not in this build"), "{lint}");
        }
        let m: serde_json::Value = serde_json::from_str(&ops::match_json(&h.engine, &profile, "2026-06-30")).unwrap();
        let s: serde_json::Value = serde_json::from_str(&h.summary(&profile, "2026-06-30")).unwrap();
        assert_eq!(m["result"]["summary"], s["result"]);
        let bad = h.next_questions("{", "2026-06-30");
        assert!(bad.starts_with(r#"{"type":"failure""#), "{bad}");
    }
}
