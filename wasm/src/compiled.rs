//! A policy set saved in pre-parsed form, for start-up without parsing condition texts.
//!
//! What the public `huiqi` API allows: `PolicySet::compile` takes policy files as JSON
//! text only, and accepts a policy's `condition` either as text or as the syntax tree
//! (`huiqi::lang::Expr`, serde). So the saved form is the set's files with every condition
//! replaced by its parsed tree — where that is lossless. A tree condition's text (shown in
//! explanations) is the tree printed back, so a condition is saved as a tree only when
//! printing its tree gives back exactly its text; otherwise it stays text and the answers
//! stay byte-identical to an engine built from the original files (the tests check it).
//!
//! What is *not* saved: checking (name resolution, types, units), the policy index and
//! the conflict graph are rebuilt on load, and the tree's JSON is several times larger
//! than its text. Measured (see wasm/README.md), loading this form is slower than
//! compiling the texts; a real compiled-set format needs serialisable checked nodes and
//! index in the core crate.

use huiqi::ffi::ErrorItem;
use huiqi::policy::ConditionSpec;
use serde::{Deserialize, Serialize};

use crate::api::PolicyFile;

/// The format name written in every saved set.
pub const FORMAT: &str = "huiqi-preparsed-set";
/// The format version.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct SavedFile {
    name: String,
    text: String,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    format: String,
    version: u32,
    /// Version of the huiqi crate that wrote it.
    huiqi: String,
    /// Conditions saved as trees / as text.
    trees: usize,
    texts: usize,
    files: Vec<SavedFile>,
}

fn error(message: impl Into<String>) -> Vec<ErrorItem> {
    vec![ErrorItem::new("compiled", message)]
}

/// One policy object with its condition replaced by its tree, when lossless.
fn preparse_policy(p: &mut serde_json::Value, trees: &mut usize, texts: &mut usize) {
    let Some(text) = p.get("condition").and_then(|c| c.as_str()).map(str::to_string) else { return };
    let tree = huiqi::lang::parse(&text).ok().filter(|e| huiqi::lang::print(e) == text);
    match tree.and_then(|e| serde_json::to_value(ConditionSpec::Tree(e)).ok()) {
        Some(t) => {
            if let Some(o) = p.as_object_mut() {
                o.insert("condition".into(), t);
                *trees += 1;
            }
        }
        None => *texts += 1,
    }
}

/// Saves policy files (already known to compile) in pre-parsed form.
pub fn save(files: &[PolicyFile]) -> Result<String, Vec<ErrorItem>> {
    let (mut trees, mut texts) = (0, 0);
    let mut out = Vec::new();
    for (name, text) in files {
        // Same reading as PolicySet::compile: a JSON value, or JSON lines for `.jsonl`.
        let mut value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) if name.ends_with(".jsonl") => serde_json::Value::Array(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(serde_json::from_str)
                    .collect::<Result<_, _>>()
                    .map_err(|e| error(format!("{name}: {e}")))?,
            ),
            Err(e) => return Err(error(format!("{name}: {e}"))),
        };
        match &mut value {
            serde_json::Value::Array(a) => a.iter_mut().for_each(|p| preparse_policy(p, &mut trees, &mut texts)),
            serde_json::Value::Object(o) if o.contains_key("policies") || o.contains_key("definitions") => {
                if let Some(serde_json::Value::Array(a)) = o.get_mut("policies") {
                    a.iter_mut().for_each(|p| preparse_policy(p, &mut trees, &mut texts));
                }
            }
            p => preparse_policy(p, &mut trees, &mut texts),
        }
        // A `.jsonl` file is now one JSON array: name it so.
        let name = match name.strip_suffix(".jsonl") {
            Some(stem) => format!("{stem}.json"),
            None => name.clone(),
        };
        out.push(SavedFile { name, text: value.to_string() });
    }
    let saved = Saved { format: FORMAT.into(), version: VERSION, huiqi: huiqi_version(), trees, texts, files: out };
    serde_json::to_string(&saved).map_err(|e| error(e.to_string()))
}

/// The policy files of a saved set.
pub fn load(text: &str) -> Result<Vec<PolicyFile>, Vec<ErrorItem>> {
    let saved: Saved = serde_json::from_str(text).map_err(|e| error(format!("not a saved policy set: {e}")))?;
    if saved.format != FORMAT || saved.version != VERSION {
        return Err(error(format!("saved set is {} v{}; this build reads {FORMAT} v{VERSION}", saved.format, saved.version)));
    }
    Ok(saved.files.into_iter().map(|f| (f.name, f.text)).collect())
}

/// The core crate's version this package was built with.
pub fn huiqi_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_set_gives_the_same_answers() {
        let files = crate::api::bundled_files();
        let saved = save(&files).unwrap();
        let loaded = load(&saved).unwrap();
        let a = crate::api::build(files, None).unwrap();
        let b = crate::api::build(loaded, None).unwrap();
        for f in ["01-quanzhi-software.json", "02-mingchuan-hydraulics.json", "07-huadai-pharma.json"] {
            let p = std::fs::read_to_string(format!("{}/../data/enterprises/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            assert_eq!(huiqi::ffi::match_json(&a.engine, &p, "2026-06-30"), huiqi::ffi::match_json(&b.engine, &p, "2026-06-30"));
        }
        assert!(load("{}").is_err());
        assert!(load(r#"{"format":"x","version":1,"huiqi":"0","trees":0,"texts":0,"files":[]}"#).is_err());
    }
}
