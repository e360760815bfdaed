//! Reading one policy file: `{definitions, policies}`, one policy object, an array of
//! policies, or JSON lines, straight from the text.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json;

use super::{PolicyDoc, PolicyProblem, RawBenefit, SourceRef, TestCase, Window};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyFile {
    #[serde(default, rename = "$comment")]
    _comment: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) definitions: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) policies: Vec<PolicyDoc>,
}

impl PolicyFile {
    fn of(policies: Vec<PolicyDoc>) -> PolicyFile {
        PolicyFile { _comment: None, definitions: BTreeMap::new(), policies }
    }
}

/// Which of the three file shapes an object is, read without keeping anything.
#[derive(Deserialize)]
struct FileShape {
    #[serde(default)]
    policies: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    definitions: Option<serde::de::IgnoredAny>,
}

/// Reads one policy file straight from its text (no `serde_json::Value` in between): a file
/// `{definitions, policies}`, one policy object, an array of policies, or — for `.jsonl` —
/// one policy per line, where each bad line is reported with its line number.
pub(super) fn read_policy_file(origin: &str, text: &str, problems: &mut Vec<PolicyProblem>) -> Vec<PolicyFile> {
    // A byte-order mark (what some Windows editors write) is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    fn read(text: &str) -> Result<PolicyFile, serde_json::Error> {
        if text.trim_start().starts_with('[') {
            return serde_json::from_str::<Vec<PolicyDoc>>(text).map(PolicyFile::of);
        }
        match serde_json::from_str::<FileShape>(text) {
            Err(e) if !e.is_data() => Err(e),
            Ok(shape) if shape.policies.is_some() || shape.definitions.is_some() => serde_json::from_str::<PolicyFile>(text),
            _ => serde_json::from_str::<PolicyDoc>(text).map(|p| PolicyFile::of(vec![p])),
        }
    }
    let problem = |e: serde_json::Error, line: usize| {
        let (message, hint) = if e.is_data() {
            (
                format!("not a policy file: {e}"),
                Some("a file holds {\"definitions\": {…}, \"policies\": [ … ]}, one policy object, or an array of policies".into()),
            )
        } else {
            (format!("not valid JSON: {e}"), None)
        };
        PolicyProblem {
            origin: origin.to_string(),
            policy: None,
            location: "file".into(),
            line: Some(line),
            column: Some(e.column()),
            in_text: None,
            message,
            hint,
            rendered: None,
        }
    };
    match read(text) {
        Ok(f) => vec![f],
        // A misspelt key: serde names the first; name every one, each with the nearest key.
        Err(e) if is_unknown_field(&e) && !unknown_keys(origin, text, problems) => {
            let line = e.line();
            problems.push(problem(e, line));
            Vec::new()
        }
        Err(e) if is_unknown_field(&e) => Vec::new(),
        // JSON lines: one policy per line (what `huiqi gen policies` writes).
        Err(e) if e.is_syntax() && origin.ends_with(".jsonl") => {
            let mut docs = Vec::new();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match serde_json::from_str::<PolicyDoc>(line) {
                    Ok(p) => docs.push(p),
                    Err(e) => problems.push(problem(e, n + 1)),
                }
            }
            vec![PolicyFile::of(docs)]
        }
        Err(e) => {
            let line = e.line();
            problems.push(problem(e, line));
            Vec::new()
        }
    }
}

fn is_unknown_field(e: &serde_json::Error) -> bool {
    e.is_data() && e.to_string().starts_with("unknown field `")
}

/// The keys a struct accepts, as serde lists them when it refuses an unknown one (the
/// struct is the one source of its keys; no second list to keep in step).
fn accepted_keys<T: DeserializeOwned>() -> Vec<String> {
    let message = match serde_json::from_str::<T>(r#"{"\u0000": 0}"#) {
        Err(e) => e.to_string(),
        Ok(_) => return Vec::new(),
    };
    let list = message.split_once("expected one of ").map(|(_, l)| l).or_else(|| message.split_once("expected ").map(|(_, l)| l));
    let list = list.map(|l| l.split(" at line").next().unwrap_or(l)).unwrap_or_default();
    list.split(", ").map(|k| k.trim_matches('`').to_string()).filter(|k| !k.is_empty()).collect()
}

/// Reports every key of every policy (and of its `source`, `application_window`,
/// `benefit` and each of its `tests`) that the policy format does not have, each with the nearest key and the
/// line of its first occurrence. Whether any was found (when none, the caller reports
/// serde's error as it is).
fn unknown_keys(origin: &str, text: &str, problems: &mut Vec<PolicyProblem>) -> bool {
    let Ok(value) = serde_json::from_str::<Json>(text) else { return false };
    let policies: Vec<&Json> = match &value {
        Json::Array(a) => a.iter().collect(),
        Json::Object(o) => match o.get("policies") {
            Some(Json::Array(a)) => a.iter().collect(),
            Some(_) => Vec::new(),
            None if o.contains_key("definitions") => Vec::new(),
            None => vec![&value],
        },
        _ => Vec::new(),
    };
    let policy_keys = accepted_keys::<PolicyDoc>();
    let nested = [
        ("source", accepted_keys::<SourceRef>()),
        ("application_window", accepted_keys::<Window>()),
        ("benefit", accepted_keys::<RawBenefit>()),
    ];
    let case_keys = accepted_keys::<TestCase>();
    let before = problems.len();
    for p in policies {
        let Json::Object(o) = p else { continue };
        let id = o.get("id").and_then(Json::as_str).map(str::to_string);
        let mut report = |location: String, key: &str, accepted: &[String]| {
            let near = crate::suggest::closest(key, accepted.iter().map(String::as_str));
            let (line, column) = line_col_of(text, &format!("{key:?}"));
            problems.push(PolicyProblem {
                origin: origin.to_string(),
                policy: id.clone(),
                location,
                line,
                column,
                in_text: None,
                message: format!("unknown key {key:?}"),
                hint: Some(near.map_or_else(|| format!("the keys are {}", accepted.join(", ")), |n| format!("did you mean {n:?}?"))),
                rendered: None,
            });
        };
        for key in o.keys().filter(|k| !policy_keys.contains(k)) {
            report(key.clone(), key, &policy_keys);
        }
        for (part, keys) in &nested {
            if let Some(Json::Object(inner)) = o.get(*part) {
                for key in inner.keys().filter(|k| !keys.contains(k)) {
                    report(format!("{part}.{key}"), key, keys);
                }
            }
        }
        if let Some(Json::Array(cases)) = o.get("tests") {
            for (i, case) in cases.iter().enumerate() {
                if let Json::Object(inner) = case {
                    for key in inner.keys().filter(|k| !case_keys.contains(k)) {
                        report(format!("tests[{i}].{key}"), key, &case_keys);
                    }
                }
            }
        }
    }
    problems.len() > before
}

/// 1-based line and column (in characters) of the first occurrence of `needle`.
fn line_col_of(text: &str, needle: &str) -> (Option<usize>, Option<usize>) {
    let Some(at) = text.find(needle) else { return (None, None) };
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (Some(line), Some(column))
}
