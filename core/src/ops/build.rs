//! Building an engine: the schema, code tables and policy files it is compiled from,
//! read from memory or from folders, and the check of a set without keeping it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::{policy_errors, ErrorItem, ErrorKind, Errors};
use crate::engine::Engine;
use crate::schema::Schema;

/// A policy file or code table in memory: its name (the origin in error messages; a
/// policy file whose name ends in `.jsonl` is read as one policy per line) and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Source {
    pub origin: String,
    /// The file's content: a JSON string holding the text, or the JSON document itself.
    #[serde(deserialize_with = "text_or_document")]
    #[schemars(with = "serde_json::Value")]
    pub text: String,
}

pub(super) fn text_or_document<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

impl Source {
    /// Pairs of (origin, text), the form the compiler reads.
    pub fn pairs(sources: Vec<Source>) -> Vec<(String, String)> {
        sources.into_iter().map(|s| (s.origin, s.text)).collect()
    }
}

/// What an engine is built from. Every part is optional: the bundled schema, code tables
/// and real policies stand in for what is not given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngineSpec {
    /// The enterprise schema as JSON text (absent: the bundled schema).
    #[serde(default)]
    pub schema: Option<String>,
    /// Code tables, each replacing the bundled table of the same system (`industry`,
    /// `region`, `zone`) and validated as the bundled ones are (`huiqi --codes DIR`).
    #[serde(default)]
    pub codes: Vec<Source>,
    /// Policy files (absent: the bundled real policies).
    #[serde(default)]
    pub policies: Option<Vec<Source>>,
    /// With `policies`: compile them after the bundled policies, whose definitions and
    /// policies they may then use.
    #[serde(default)]
    pub include_bundled: bool,
}

impl EngineSpec {
    /// Reads a spec from JSON text (`None`, empty or `null`: every default).
    pub fn from_json(text: Option<&str>) -> Result<EngineSpec, Errors> {
        match text.map(str::trim).filter(|t| !t.is_empty() && *t != "null") {
            None => Ok(EngineSpec::default()),
            Some(t) => serde_json::from_str(t).map_err(|e| vec![ErrorItem::request("engine", format!("engine spec: {e}"))]),
        }
    }

    /// The policy files to compile: the given ones (after the bundled ones when asked), or
    /// the bundled ones.
    pub fn files(&self) -> Result<Vec<(String, String)>, Errors> {
        let bundled = || bundled_files().into_iter();
        Ok(match &self.policies {
            None => bundled().collect(),
            Some(p) if p.is_empty() && !self.include_bundled => {
                return Err(vec![ErrorItem::request("policies", "no policy sources (set include_bundled for the bundled policies)")])
            }
            Some(p) => {
                let given = p.iter().map(|s| (s.origin.clone(), s.text.clone()));
                if self.include_bundled {
                    bundled().chain(given).collect()
                } else {
                    given.collect()
                }
            }
        })
    }

    /// The schema and code tables of the spec.
    pub fn tables(&self) -> Tables<'_> {
        Tables { schema_json: self.schema.as_deref(), codes: &self.codes }
    }

    /// Builds the engine.
    pub fn build(&self) -> Result<Engine, Errors> {
        Engine::from_sources(schema_of(self.tables())?, &self.files()?).map_err(|e| super::engine_errors(&e))
    }
}

/// The bundled real policy files, as (name, text).
pub fn bundled_files() -> Vec<(String, String)> {
    crate::bundled::policies()
}

/// The schema and code tables an engine is built on: the bundled ones unless given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tables<'a> {
    /// The enterprise schema as JSON text (`None`: the bundled schema).
    pub schema_json: Option<&'a str>,
    /// Code tables, each replacing the bundled table of the same system; empty: the
    /// bundled tables.
    pub codes: &'a [Source],
}

/// The schema of `tables`, on their code tables.
pub fn schema_of(tables: Tables<'_>) -> Result<Arc<Schema>, Errors> {
    let codes = if tables.codes.is_empty() {
        crate::code::CodeSystems::embedded().map_err(|e| vec![ErrorItem::new(ErrorKind::Codes, e.to_string())])?
    } else {
        let pairs: Vec<(String, String)> = tables.codes.iter().map(|s| (s.origin.clone(), s.text.clone())).collect();
        crate::code::CodeSystems::with_tables(&pairs).map_err(|e| vec![ErrorItem::new(ErrorKind::Codes, e.to_string())])?
    };
    match tables.schema_json {
        Some(s) => Schema::from_json(s, codes),
        None => Schema::embedded_with_codes(codes),
    }
    .map(Arc::new)
    .map_err(|e| vec![ErrorItem::new(ErrorKind::Schema, e.to_string())])
}

fn files_or_bundled(policy_files: &[(String, String)]) -> Result<Vec<(String, String)>, Errors> {
    if !policy_files.is_empty() {
        return Ok(policy_files.to_vec());
    }
    let bundled = bundled_files();
    if bundled.is_empty() {
        return Err(vec![ErrorItem::request("policies", format!("{} (policy files or a saved set)", crate::bundled::NOT_BUNDLED))]);
    }
    Ok(bundled)
}

/// Builds an engine from an optional schema (JSON text; the bundled one when `None`) and
/// policy files as (origin, JSON text) pairs (the bundled real policies when empty).
pub fn build_engine(schema_json: Option<&str>, policy_files: &[(String, String)]) -> Result<Engine, Errors> {
    build_engine_on(Tables { schema_json, codes: &[] }, policy_files)
}

/// [`build_engine`] on given schema and code tables.
pub fn build_engine_on(tables: Tables<'_>, policy_files: &[(String, String)]) -> Result<Engine, Errors> {
    Engine::from_sources(schema_of(tables)?, &files_or_bundled(policy_files)?).map_err(|e| super::engine_errors(&e))
}

/// Checks policy files (the bundled ones when empty) and saves them with their syntax
/// trees ([`crate::saved`]).
pub fn save_set_on(tables: Tables<'_>, policy_files: &[(String, String)]) -> Result<Vec<u8>, Errors> {
    crate::saved::save(schema_of(tables)?, &files_or_bundled(policy_files)?).map(|(_, bytes)| bytes).map_err(|e| policy_errors(&e))
}

/// Policy files as (origin, JSON text) pairs.
pub type PolicyFiles = Vec<(String, String)>;

/// Builds an engine from a saved set; also gives back the set's policy files.
pub fn build_engine_saved_on(tables: Tables<'_>, saved: &[u8]) -> Result<(Engine, PolicyFiles), Errors> {
    let mut read = crate::saved::read(saved).map_err(|e| vec![ErrorItem::new(ErrorKind::Compiled, e.to_string())])?;
    let (set, _) = read.compile(schema_of(tables)?).map_err(|e| policy_errors(&e))?;
    Ok((Engine::from_set(set), read.files))
}

/// What a policy set that checks holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckSummary {
    pub policies: usize,
    pub definitions: usize,
    pub ids: Vec<String>,
}

impl CheckSummary {
    /// The summary of an engine's set.
    pub fn of(engine: &Engine) -> CheckSummary {
        let set = engine.policy_set();
        CheckSummary {
            policies: set.policies.len(),
            definitions: set.definitions.len(),
            ids: set.policies.iter().map(|p| p.doc.id.clone()).collect(),
        }
    }
}

/// `check`: compiles a set and reports what it holds, or every problem.
pub fn check(spec: &EngineSpec) -> Result<CheckSummary, Errors> {
    spec.build().map(|e| CheckSummary::of(&e))
}

/// [`check`] as JSON: the request is an [`EngineSpec`].
pub fn check_json(request: &str) -> String {
    super::respond(EngineSpec::from_json(Some(request)).and_then(|s| check(&s)))
}

fn file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Errors {
    vec![ErrorItem { path: Some(path.display().to_string()), ..ErrorItem::new(ErrorKind::File, format!("cannot read {what}: {e}")) }]
}

/// The files of a folder with one of `extensions`, sorted by name.
fn folder_files(dir: &Path, what: &str, extensions: &[&str]) -> Result<Vec<PathBuf>, Errors> {
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, what, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && p.extension().and_then(|x| x.to_str()).is_some_and(|x| extensions.iter().any(|e| x.eq_ignore_ascii_case(e)))
        })
        .collect();
    crate::sort::sort(&mut files);
    Ok(files)
}

/// Reads a text file as a [`Source`] named by its path.
pub fn read_source(path: &Path) -> Result<Source, Errors> {
    crate::files::read_text(path)
        .map(|text| Source { origin: path.display().to_string(), text })
        .map_err(|e| file_error(path, &path.display().to_string(), e))
}

/// The policy files of a folder (every `.json` and `.jsonl` file, in name order) or one
/// file: what `huiqi --policies PATH`, `huiqi_engine_from_dir` and `Engine.from_dir` read.
pub fn read_policy_folder(path: &Path) -> Result<Vec<Source>, Errors> {
    if path.is_file() {
        return Ok(vec![read_source(path)?]);
    }
    let files = folder_files(path, &format!("policy folder {}", path.display()), &["json", "jsonl"])?;
    if files.is_empty() {
        return Err(vec![ErrorItem {
            path: Some(path.display().to_string()),
            ..ErrorItem::new(ErrorKind::File, format!("no .json or .jsonl policy files in {}", path.display()))
        }]);
    }
    files.iter().map(|f| read_source(f)).collect()
}

/// The code tables of a folder (every `.json` file, in name order): `huiqi --codes DIR`.
pub fn read_code_folder(dir: &Path) -> Result<Vec<Source>, Errors> {
    folder_files(dir, &format!("code-table folder {}", dir.display()), &["json"])?.iter().map(|f| read_source(f)).collect()
}

/// Whether `path` is (or was meant to be) a saved set: its header tag, even damaged or cut
/// short, or the `.hqset` extension. Such a file is read as a saved set, which says what
/// is wrong with it, never as policy JSON.
pub fn is_saved_set(path: &Path) -> bool {
    use crate::files::Tag;
    if !path.is_file() {
        return false;
    }
    let hqset = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("hqset"));
    match crate::files::head(path).map(|h| (crate::files::tag(&h, crate::saved::MAGIC), h.is_empty())) {
        Ok((Tag::Exact | Tag::Damaged, _)) => true,
        Ok((Tag::Short, empty)) => !empty || hqset,
        _ => hqset,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn a_source_text_is_a_string_or_the_document() {
        let s: Vec<Source> =
            serde_json::from_str(r#"[{"origin": "a.json", "text": "{\"x\":1}"}, {"origin": "b.json", "text": {"x": 1}}]"#).unwrap();
        assert_eq!(s[0].text, s[1].text);
        let bad = EngineSpec::from_json(Some(r#"{"polices": []}"#)).unwrap_err();
        assert_eq!(bad[0].kind, ErrorKind::Request);
        assert!(bad[0].message.contains("unknown field `polices`"), "{}", bad[0].message);
    }

    #[test]
    fn no_files_is_an_error_unless_the_bundled_ones_are_asked_for() {
        let none = EngineSpec { policies: Some(Vec::new()), ..EngineSpec::default() };
        assert_eq!(none.files().unwrap_err()[0].path.as_deref(), Some("policies"));
        let bundled = EngineSpec { include_bundled: true, ..none };
        assert_eq!(bundled.files().unwrap().len(), crate::policy::EMBEDDED_POLICIES.len());
    }

    #[test]
    fn a_missing_folder_is_a_file_error_naming_it() {
        let e = read_policy_folder(Path::new("/nonexistent/policies")).unwrap_err();
        assert_eq!(e[0].kind, ErrorKind::File);
        assert!(e[0].message.contains("/nonexistent/policies"), "{}", e[0].message);
    }
}
