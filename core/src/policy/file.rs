//! Reading one policy file: `{definitions, policies}`, one policy object, an array of
//! policies, or JSON lines, straight from the text.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{PolicyDoc, PolicyProblem};

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
            message,
            hint,
            rendered: None,
        }
    };
    match read(text) {
        Ok(f) => vec![f],
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
