//! `test`: runs the test cases kept beside each policy (its `tests`, see
//! [`crate::policy::TestCase`]) and says, per policy and per case, whether it passed, what
//! was expected and what came out, and for a case that did not pass the explanation.
//!
//! A case passes when everything it states holds, with the semantics of the shared
//! conformance cases (core/tests/oracle/cases.rs): the verdict of the policy's condition
//! on the case's date (`explain`'s, given also on a date the policy is not in force), each
//! message fragment in some message of the explanation (zh or en), exactly the missing
//! fields (in any order), the benefit and the score as exact decimals; and, when the case
//! says `in_force`, whether the policy is the version matched on that date. The compiled
//! index must also give the explanation's verdict.
//!
//! One runner for every binding: the CLI (`huiqi test`), the operation `test` of
//! [`call`](super::call), and the studio in the browser, which passes its own
//! [`ProfileFiles`].

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{parse_date, unknown_policy, Errors};
use crate::date::Date;
use crate::engine::Engine;
use crate::explain::Explanation;
use crate::outcome::Verdict;
use crate::policy::{Policy, TestCase};
use crate::profile::Profile;

/// `test`: the cases of every policy of the set, or of one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    /// Only the cases of this policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The evaluation date of the cases that give none (`YYYY-MM-DD`). A case with no
    /// date of its own, run without one, does not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The profile files the cases name (`profile_file`), given in memory: the path as a
    /// case writes it, relative to its policy's file (`../enterprises/01-quanzhi-software.json`),
    /// to the file's JSON text. A page or a binding without the files on disk gives them
    /// here; a file not given is read beside the policy file as before.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub files: std::collections::BTreeMap<String, String>,
}

/// The answer of `test`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TestReport {
    /// Cases run.
    pub cases: usize,
    pub passed: usize,
    /// Cases that did not pass and are not marked as a known issue: what fails a CI run.
    pub failed: usize,
    /// Cases marked `known_issue` that do not pass, as the mark says.
    pub known_issues: usize,
    /// Cases marked `known_issue` that pass: the mark no longer holds.
    pub known_issues_passing: usize,
    /// Per policy, in the order of the set (policies without cases included).
    pub policies: Vec<PolicyTests>,
}

/// The cases of one policy.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PolicyTests {
    pub policy: String,
    pub title: String,
    /// The file the policy was read from.
    pub origin: String,
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub known_issues: usize,
    pub results: Vec<CaseResult>,
}

/// How a case came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Everything the case states holds.
    Passed,
    /// Something the case states does not hold, or the case could not run.
    Failed,
    /// The case does not pass and is marked `known_issue`: a known disagreement between
    /// the policy text and its encoding.
    KnownIssue,
}

/// One case's result.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CaseResult {
    pub name: String,
    pub status: CaseStatus,
    /// The date it was evaluated on (absent when it has none).
    pub as_of: Option<Date>,
    /// The case's `known_issue` mark.
    pub known_issue: Option<String>,
    pub expected: CaseExpected,
    /// What came out (absent when the case could not run).
    pub got: Option<CaseGot>,
    /// What differs: `verdict`, `in_force`, `missing`, `benefit_yuan`, `score`,
    /// `messages`, `index` (the compiled index gives another verdict than the
    /// explanation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<String>,
    /// Why the case could not run: its profile cannot be read or does not fit the schema,
    /// it has no date.
    pub error: Option<String>,
    /// For a case that does not pass: the explanation, condition by condition, with its
    /// messages in Chinese and English.
    pub explanation: Option<Explanation>,
}

/// What a case states.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CaseExpected {
    pub verdict: Verdict,
    pub in_force: Option<bool>,
    pub missing: Option<Vec<String>>,
    pub benefit_yuan: Option<String>,
    pub score: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// What came out for a case.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CaseGot {
    /// The verdict of the policy's condition (`explain`'s).
    pub verdict: Verdict,
    /// Whether the policy is the version in force (matched) on the date.
    pub in_force: bool,
    /// Why it is not in force, in Chinese, when it is not.
    pub not_in_force: Option<String>,
    /// The missing fields, sorted.
    pub missing: Vec<String>,
    pub benefit_yuan: Option<String>,
    pub score: String,
    /// The expected message fragments that no message of the explanation contains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages_not_found: Vec<String>,
    /// The compiled index's verdict, when it is not the explanation's.
    pub index_verdict: Option<Verdict>,
}

/// Where the profile files of cases (`profile_file`) are read from.
pub trait ProfileFiles {
    /// The text of `file`, named by a case of a policy read from `origin` (a path
    /// relative to the folder of that file).
    fn read(&self, origin: &str, file: &str) -> Result<String, String>;
}

/// The files beside the policy files on disk. A policy of the bundled set, which is read
/// from memory, finds the bundled sample enterprises where they are beside its file in
/// the source tree (`../enterprises/NAME.json`). Any other policy given in memory has no
/// folder: its cases give their profiles inline.
#[derive(Clone, Copy, Debug, Default)]
pub struct BesidePolicies;

impl ProfileFiles for BesidePolicies {
    fn read(&self, origin: &str, file: &str) -> Result<String, String> {
        let path = Path::new(origin);
        if path.is_file() {
            let full = path.parent().unwrap_or(Path::new("")).join(file);
            return crate::files::read_text(&full).map_err(|e| format!("cannot read {}: {e}", full.display()));
        }
        if crate::bundled::is_policy_file(origin) {
            let wanted = lexical(&Path::new(crate::policy::EMBEDDED_FOLDER).join(file));
            return crate::bundled::samples()
                .into_iter()
                .find(|(name, _)| lexical(&Path::new(crate::policy::EMBEDDED_SAMPLES_FOLDER).join(name)) == wanted)
                .map(|(_, text)| text)
                .ok_or_else(|| {
                    format!(
                        "{file} is not one of the bundled sample enterprises ({}/*.json, beside the bundled policies)",
                        crate::policy::EMBEDDED_SAMPLES_FOLDER
                    )
                });
        }
        Err(format!(
            "the policy was given in memory ({origin:?} is not a file), so {file} has no folder to be read from: give the profile inline"
        ))
    }
}

/// A path with `.` and `..` resolved by its text alone.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `test` with the profile files of the request, then those beside the policy files
/// ([`BesidePolicies`]).
pub fn test(engine: &Engine, r: &TestRequest) -> Result<TestReport, Errors> {
    run(engine, r, &Given { files: &r.files })
}

/// The request's files, then those beside the policies.
struct Given<'a> {
    files: &'a std::collections::BTreeMap<String, String>,
}

impl ProfileFiles for Given<'_> {
    fn read(&self, origin: &str, file: &str) -> Result<String, String> {
        let wanted = lexical(Path::new(file));
        match self.files.iter().find(|(name, _)| lexical(Path::new(name)) == wanted) {
            Some((_, text)) => Ok(text.clone()),
            None => BesidePolicies.read(origin, file),
        }
    }
}

/// `test`, reading profile files through `files`.
pub fn run(engine: &Engine, r: &TestRequest, files: &dyn ProfileFiles) -> Result<TestReport, Errors> {
    let default_date = r.as_of.as_deref().map(|d| parse_date("as_of", d)).transpose()?;
    let set = engine.policy_set();
    let chosen: Vec<usize> = match &r.policy {
        Some(id) => vec![set.index_of(id).ok_or_else(|| vec![unknown_policy(id, set.suggest_policy(id).as_deref())])?],
        None => (0..set.policies.len()).collect(),
    };
    let mut report = TestReport { cases: 0, passed: 0, failed: 0, known_issues: 0, known_issues_passing: 0, policies: Vec::new() };
    for i in chosen {
        let Some(p) = set.policies.get(i) else { continue };
        let results: Vec<CaseResult> = p.doc.tests.iter().map(|c| run_case(engine, i, p, c, default_date, files)).collect();
        let count = |s: CaseStatus| results.iter().filter(|r| r.status == s).count();
        let tests = PolicyTests {
            policy: p.doc.id.clone(),
            title: p.doc.title.clone(),
            origin: p.origin.clone(),
            cases: results.len(),
            passed: count(CaseStatus::Passed),
            failed: count(CaseStatus::Failed),
            known_issues: count(CaseStatus::KnownIssue),
            results,
        };
        report.cases += tests.cases;
        report.passed += tests.passed;
        report.failed += tests.failed;
        report.known_issues += tests.known_issues;
        report.known_issues_passing += tests.results.iter().filter(|r| r.status == CaseStatus::Passed && r.known_issue.is_some()).count();
        report.policies.push(tests);
    }
    Ok(report)
}

/// Runs one case of policy `i`.
fn run_case(engine: &Engine, i: usize, p: &Policy, c: &TestCase, default_date: Option<Date>, files: &dyn ProfileFiles) -> CaseResult {
    let expected = CaseExpected {
        verdict: c.verdict,
        in_force: c.in_force,
        missing: c.missing.clone(),
        benefit_yuan: c.benefit_yuan.clone(),
        score: c.score.clone(),
        messages: c.messages.clone(),
    };
    let as_of = c.as_of.or(default_date);
    let mut result = CaseResult {
        name: c.name.clone(),
        status: CaseStatus::Failed,
        as_of,
        known_issue: c.known_issue.clone(),
        expected,
        got: None,
        differs: Vec::new(),
        error: None,
        explanation: None,
    };
    let outcome = as_of
        .ok_or_else(|| "the case gives no as_of and the run no date (--as-of)".to_string())
        .and_then(|date| profile_of(engine, p, c, files).map(|profile| (date, profile)))
        .and_then(|(date, profile)| {
            let ex = engine.explain(&profile, &p.doc.id, date).map_err(|e| e.to_string())?;
            let index = engine.verdicts(&profile, date).get(i).copied();
            Ok((ex, index))
        });
    let (ex, index) = match outcome {
        Ok(x) => x,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    let mut all = Vec::new();
    messages(&ex.explanation, &mut all);
    let mut missing: Vec<String> = ex.policy.missing_fields.iter().map(|f| f.name.clone()).collect();
    crate::sort::sort(&mut missing);
    let got = CaseGot {
        verdict: ex.policy.verdict,
        in_force: ex.not_in_force.is_none(),
        not_in_force: ex.not_in_force.as_ref().map(|n| n.message_zh.clone()),
        missing,
        benefit_yuan: ex.policy.benefit.amount_yuan.as_deref().map(str::to_string),
        score: ex.policy.score.to_string(),
        messages_not_found: c.messages.iter().filter(|m| !all.iter().any(|x| x.contains(m.as_str()))).cloned().collect(),
        index_verdict: index.filter(|v| *v != ex.policy.verdict),
    };
    let mut differs = Vec::new();
    if got.verdict != c.verdict {
        differs.push("verdict");
    }
    if c.in_force.is_some_and(|f| f != got.in_force) {
        differs.push("in_force");
    }
    if let Some(want) = &c.missing {
        let mut want = want.clone();
        crate::sort::sort(&mut want);
        if want != got.missing {
            differs.push("missing");
        }
    }
    if let Some(want) = c.benefit_decimal() {
        if got.benefit_yuan.as_deref().and_then(|b| b.parse::<rust_decimal::Decimal>().ok()) != Some(want) {
            differs.push("benefit_yuan");
        }
    }
    if let Some(want) = c.score_decimal() {
        if got.score.parse::<rust_decimal::Decimal>().ok() != Some(want) {
            differs.push("score");
        }
    }
    if !got.messages_not_found.is_empty() {
        differs.push("messages");
    }
    if got.index_verdict.is_some() {
        differs.push("index");
    }
    result.differs = differs.into_iter().map(str::to_string).collect();
    result.status = match (result.differs.is_empty(), c.known_issue.is_some()) {
        (true, _) => CaseStatus::Passed,
        (false, true) => CaseStatus::KnownIssue,
        (false, false) => CaseStatus::Failed,
    };
    if result.status != CaseStatus::Passed {
        result.explanation = Some(ex.explanation);
    }
    result.got = Some(got);
    result
}

/// The case's profile: inline, or read through `files`.
fn profile_of(engine: &Engine, p: &Policy, c: &TestCase, files: &dyn ProfileFiles) -> Result<Profile, String> {
    match (&c.profile, &c.profile_file) {
        (Some(inline), None) => {
            Profile::from_json(engine.schema(), &serde_json::Value::Object(inline.clone())).map_err(|e| format!("profile: {e}"))
        }
        (None, Some(file)) => {
            let text = files.read(&p.origin, file).map_err(|e| format!("profile_file {file}: {e}"))?;
            engine.profile_from_json(&text).map_err(|e| format!("profile_file {file}: {e}"))
        }
        // Refused when the policy compiles.
        _ => Err("give exactly one of profile and profile_file".into()),
    }
}

/// Every message of an explanation, Chinese and English, depth first.
fn messages(e: &Explanation, out: &mut Vec<String>) {
    out.push(e.message_zh.clone());
    out.push(e.message_en.clone());
    for c in &e.children {
        messages(c, out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    fn engine(tests: &str) -> Engine {
        let file = format!(
            r#"{{"policies": [{{"id": "p", "title": "P", "issuer": "i", "doc_no": "d", "year": 2024, "level": "national",
                "effective_from": "2024-01-01", "effective_to": "2024-12-31",
                "condition": "employees@2023 >= 10", "benefit": {{"kind": "fixed", "amount": "1000元"}},
                "source": {{"document": "x"}}, "tests": {tests}}}]}}"#
        );
        let schema = std::sync::Arc::new(crate::schema::Schema::embedded().unwrap());
        Engine::from_sources(schema, &[("mem.json".into(), file)]).unwrap()
    }

    #[test]
    fn cases_pass_fail_and_say_what_differs() {
        let e = engine(
            r#"[{"name": "ten", "as_of": "2024-06-30", "profile": {"employees": {"2023": 10}}, "verdict": "eligible", "benefit_yuan": "1000", "in_force": true},
                {"name": "nine", "profile": {"employees": {"2023": 9}}, "verdict": "eligible", "messages": ["不在此"]},
                {"name": "unknown", "as_of": "2025-01-01", "profile": {}, "verdict": "undetermined", "missing": ["employees"], "in_force": false},
                {"name": "known", "as_of": "2024-06-30", "profile": {"employees": {"2023": 9}}, "verdict": "eligible", "known_issue": "the text says 9"}]"#,
        );
        let r = test(&e, &TestRequest { policy: None, as_of: Some("2024-06-30".into()), files: Default::default() }).unwrap();
        assert_eq!((r.cases, r.passed, r.failed, r.known_issues), (4, 2, 1, 1));
        let cases = &r.policies[0].results;
        assert_eq!(cases[0].status, CaseStatus::Passed);
        assert!(cases[0].explanation.is_none());
        assert_eq!(cases[1].differs, vec!["verdict", "messages"]);
        assert_eq!(cases[1].got.as_ref().unwrap().messages_not_found, vec!["不在此"]);
        assert!(cases[1].explanation.as_ref().unwrap().message_zh.contains('9'), "{:?}", cases[1].explanation);
        assert_eq!(cases[2].status, CaseStatus::Passed, "{:?}", cases[2]);
        assert_eq!(cases[3].status, CaseStatus::KnownIssue);
    }

    #[test]
    fn a_case_without_a_date_or_a_readable_profile_fails_with_the_reason() {
        let e = engine(
            r#"[{"name": "no date", "profile": {}, "verdict": "undetermined"},
                {"name": "file", "as_of": "2024-06-30", "profile_file": "p.json", "verdict": "eligible"}]"#,
        );
        let r = test(&e, &TestRequest::default()).unwrap();
        let cases = &r.policies[0].results;
        assert!(cases[0].error.as_deref().unwrap().contains("no as_of"), "{:?}", cases[0].error);
        assert!(cases[1].error.as_deref().unwrap().contains("given in memory"), "{:?}", cases[1].error);
        assert_eq!(r.failed, 2);
        let bad = test(&e, &TestRequest { policy: Some("q".into()), as_of: None, files: Default::default() }).unwrap_err();
        assert_eq!(bad[0].kind, super::super::ErrorKind::UnknownPolicy);
        // The file given in the request (by another spelling of the same path) is read.
        let files = [("./p.json".to_string(), r#"{"employees": {"2023": 12}}"#.to_string())].into_iter().collect();
        let r = test(&e, &TestRequest { policy: None, as_of: None, files }).unwrap();
        let cases = &r.policies[0].results;
        assert!(cases[1].error.is_none(), "{:?}", cases[1]);
        assert_eq!(cases[1].status, CaseStatus::Passed, "{:?}", cases[1]);
    }

    #[test]
    fn bundled_policies_find_the_bundled_samples() {
        let text = BesidePolicies.read("hitech.json", "../enterprises/01-quanzhi-software.json").unwrap();
        assert!(text.contains("91370100MA3D7K2N8B"));
        assert!(BesidePolicies.read("hitech.json", "../enterprises/none.json").unwrap_err().contains("bundled sample"));
        assert_eq!(lexical(Path::new("data/policies/../enterprises/./a.json")), PathBuf::from("data/enterprises/a.json"));
    }
}
