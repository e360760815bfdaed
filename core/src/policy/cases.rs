//! Test cases kept beside a policy (its `tests`): a profile, an evaluation date, and what
//! the policy must give for it. They are read and checked with the policy and change no
//! evaluation; `ops::testing` runs them (`huiqi test`, the `test` operation).
//!
//! The fields and their meaning are those of the shared conformance cases in
//! `data/cases/*.toml`: the verdict of the policy's condition (as `explain` gives it),
//! message fragments that must appear in the explanation (Chinese or English), the
//! missing fields (all of them, in any order), the estimated benefit and the score.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::problems::Problems;
use super::PolicyDoc;
use crate::date::Date;
use crate::outcome::Verdict;

/// One test case of a policy.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// What the case is about, unique within the policy.
    pub name: String,
    /// The evaluation date; absent: the date of the run (`huiqi test --as-of`).
    #[serde(default)]
    pub as_of: Option<Date>,
    /// The enterprise profile, inline (an object of fields, as in a profile file).
    #[serde(default)]
    pub profile: Option<Map<String, Json>>,
    /// A profile file, relative to the folder of the policy file.
    #[serde(default)]
    pub profile_file: Option<String>,
    /// The verdict the policy's condition must give (`explain`'s verdict, also on a date
    /// the policy is not in force: `in_force` says that).
    pub verdict: Verdict,
    /// Whether the policy must be the version in force on the date (matched), or not.
    #[serde(default)]
    pub in_force: Option<bool>,
    /// The fields reported missing, all of them, in any order.
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// The estimated benefit in 元, an exact decimal (`"3000"`, `"1920000"`).
    #[serde(default)]
    pub benefit_yuan: Option<String>,
    /// Fragments each of which must appear in a message of the explanation (zh or en).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// The score (share of conditions met), an exact decimal (`"0.80"`).
    #[serde(default)]
    pub score: Option<String>,
    /// The case states what the policy text requires and the encoding disagrees: what
    /// differs, in words. Such a case is reported as a known disagreement, not a failure.
    #[serde(default)]
    pub known_issue: Option<String>,
}

impl TestCase {
    /// The expected benefit as a decimal (checked when the policy compiles).
    pub fn benefit_decimal(&self) -> Option<Decimal> {
        self.benefit_yuan.as_deref().and_then(decimal)
    }

    /// The expected score as a decimal (checked when the policy compiles).
    pub fn score_decimal(&self) -> Option<Decimal> {
        self.score.as_deref().and_then(decimal)
    }
}

/// An exact decimal as written in a case (`3000`, `-12.5`, `0.80`).
pub(crate) fn decimal(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t != s || t.is_empty() || t.contains(['e', 'E']) {
        return None;
    }
    t.parse::<Decimal>().ok()
}

/// Whether a profile file path stays a plain relative path (no root, no drive, no
/// backslashes): it is read against the policy file's folder, on any system.
fn relative_path(p: &str) -> bool {
    !p.is_empty() && !p.starts_with('/') && !p.contains('\\') && !p.contains(':') && !p.contains('\0')
}

/// Checks the test cases of one policy: a name each, unique; exactly one of `profile`
/// and `profile_file`; a relative profile file; the decimals written as decimals.
pub(super) fn check_cases(origin: &str, doc: &PolicyDoc, problems: &mut Problems) {
    let pid = Some(doc.id.as_str());
    let mut names = std::collections::HashSet::new();
    for (i, c) in doc.tests.iter().enumerate() {
        let at = |key: &str| format!("tests[{i}].{key}");
        if c.name.trim().is_empty() {
            problems.plain(origin, pid, &at("name"), "a test case needs a name".into(), None);
        } else if !names.insert(c.name.as_str()) {
            problems.plain(
                origin,
                pid,
                &at("name"),
                format!("two test cases of the policy are named {:?}", c.name),
                Some("name each case for what it checks".into()),
            );
        }
        match (&c.profile, &c.profile_file) {
            (Some(_), Some(_)) | (None, None) => problems.plain(
                origin,
                pid,
                &format!("tests[{i}]"),
                format!(
                    "test case {:?} gives {} of profile and profile_file",
                    c.name,
                    if c.profile.is_some() { "both" } else { "neither" }
                ),
                Some("give the profile inline (\"profile\": {…}) or as a file beside the policy (\"profile_file\": \"…\")".into()),
            ),
            (None, Some(f)) if !relative_path(f) => problems.plain(
                origin,
                pid,
                &at("profile_file"),
                format!("profile_file {f:?} of test case {:?} is not a relative path", c.name),
                Some("write the path from the policy file's folder with /, e.g. \"../enterprises/01-quanzhi-software.json\"".into()),
            ),
            _ => {}
        }
        for (key, value) in [("benefit_yuan", &c.benefit_yuan), ("score", &c.score)] {
            if let Some(v) = value.as_deref().filter(|v| decimal(v).is_none()) {
                problems.plain(
                    origin,
                    pid,
                    &at(key),
                    format!("{key} {v:?} of test case {:?} is not a decimal number", c.name),
                    Some("write it as digits, e.g. \"3000\" or \"0.80\"".into()),
                );
            }
        }
        if let Some(k) = c.messages.iter().position(|m| m.is_empty()) {
            problems.plain(origin, pid, &format!("tests[{i}].messages[{k}]"), "an empty message fragment matches anything".into(), None);
        }
        if c.known_issue.as_deref().is_some_and(|k| k.trim().is_empty()) {
            problems.plain(
                origin,
                pid,
                &at("known_issue"),
                "known_issue says what the policy text requires and what the encoding gives: it cannot be empty".into(),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn decimals_are_written_plainly() {
        assert_eq!(decimal("3000"), Some(Decimal::from(3000)));
        assert_eq!(decimal("0.80").map(|d| d.to_string()), Some("0.80".into()));
        assert_eq!(decimal("-1.5").map(|d| d.to_string()), Some("-1.5".into()));
        for bad in ["", " 1", "1e3", "3,000", "三千", "1万"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    fn compile(tests: &str) -> Result<crate::policy::PolicySet, crate::policy::PolicySetError> {
        let file = format!(
            "{{\"policies\": [{{\"id\": \"p\", \"title\": \"P\", \"issuer\": \"i\", \"doc_no\": \"d\", \"year\": 2024,\n  \"level\": \"national\", \"condition\": \"registered_capital >= 100万\",\n  \"benefit\": {{\"kind\": \"none\", \"description\": \"x\"}}, \"source\": {{\"document\": \"x\"}},\n  \"tests\": {tests}}}]}}"
        );
        let schema = std::sync::Arc::new(crate::schema::Schema::embedded().unwrap());
        crate::policy::PolicySet::compile(schema, &[("p.json".into(), file)])
    }

    #[test]
    fn an_unknown_key_of_a_case_is_refused_where_it_is() {
        let e = compile("[\n {\"name\": \"a\", \"profile\": {}, \"verdcit\": \"eligible\"}]").unwrap_err();
        let p = &e.0[0];
        assert_eq!(p.location, "tests[0].verdcit");
        assert_eq!((p.line, p.column), (Some(5), Some(31)), "{p}");
        assert_eq!(p.hint.as_deref(), Some("did you mean \"verdict\"?"));
        let e = compile("[{\"name\": \"a\", \"profile\": {}, \"verdict\": \"eligble\"}]").unwrap_err();
        assert!(e.0[0].message.contains("unknown variant `eligble`"), "{}", e.0[0]);
        assert_eq!(e.0[0].line, Some(4));
    }

    #[test]
    fn cases_are_checked_with_the_policy() {
        let e = compile(
            r#"[{"name": "a", "profile": {}, "profile_file": "x.json", "verdict": "eligible"},
                {"name": "a", "profile_file": "/etc/x.json", "verdict": "eligible", "benefit_yuan": "3千", "score": "0.8"},
                {"name": " ", "verdict": "ineligible", "messages": [""], "known_issue": ""}]"#,
        )
        .unwrap_err();
        let got: Vec<(String, String)> = e.0.iter().map(|p| (p.location.clone(), p.message.clone())).collect();
        let locations: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            locations,
            [
                "tests[0]",
                "tests[1].name",
                "tests[1].profile_file",
                "tests[1].benefit_yuan",
                "tests[2].name",
                "tests[2]",
                "tests[2].messages[0]",
                "tests[2].known_issue"
            ],
            "{got:?}"
        );
        assert!(got[0].1.contains("both"), "{got:?}");
        assert!(got[5].1.contains("neither"), "{got:?}");
        assert!(compile(r#"[{"name": "a", "as_of": "2024-06-30", "profile": {"registered_capital": 100}, "verdict": "eligible"}]"#).is_ok());
    }

    #[test]
    fn cases_round_trip_through_a_saved_set() {
        let files = crate::ops::build::bundled_files();
        let schema = std::sync::Arc::new(crate::schema::Schema::embedded().unwrap());
        let (set, bytes) = crate::saved::save(std::sync::Arc::clone(&schema), &files).unwrap();
        let (again, _) = crate::saved::read(&bytes).unwrap().compile(schema).unwrap();
        let tests = |s: &crate::policy::PolicySet| s.policies.iter().map(|p| p.doc.tests.clone()).collect::<Vec<_>>();
        assert_eq!(tests(&set), tests(&again));
        assert!(set.policies.iter().all(|p| !p.doc.tests.is_empty()));
        // A policy written out again (what `what_if` does with the set) keeps its cases.
        let doc = &set.policies[0].doc;
        let back: crate::policy::PolicyDoc = serde_json::from_value(serde_json::to_value(doc).unwrap()).unwrap();
        assert_eq!(&back, doc);
    }

    #[test]
    fn profile_files_are_relative() {
        assert!(relative_path("../enterprises/01-quanzhi-software.json"));
        assert!(relative_path("p.json"));
        for bad in ["", "/etc/passwd", "C:\\x.json", "c:x.json", "a\\b.json"] {
            assert!(!relative_path(bad), "{bad}");
        }
    }
}
