//! Reading a code table file: its format, the problems found in it, and the rules each
//! entry follows.
//!
//! A table is checked as strictly as a policy file (docs/limits.md, "Code tables"). The
//! format is closed: fields kept for people (notes, English names, a source) are accepted
//! and not read, any other key is refused. [`CodeSystem::from_json`] then reads the
//! entries into a [`CodeSystem`], checking each as it goes (a code well formed for its
//! system and listed once, aliases unique and no code's spelling, historical codes mapping
//! to listed codes), and hands the tree as a whole to the rules of `hierarchy`. Problems
//! are collected, not returned at the first: a table that breaks several rules is refused
//! once, naming each (as far as [`crate::policy::MAX_PROBLEMS_PER_FILE`]).

use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{CodeError, CodeKind, CodeNode, CodeSystem, SYSTEM_NAMES};
/// The longest zone code or alias, in bytes.
pub const MAX_ZONE_CODE_BYTES: usize = 64;

/// One problem of a code table: the code it concerns (if any), what is wrong, and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProblem {
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for TableProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(c) = &self.code {
            write!(f, "code {c:?}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// A code table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CodeTableError {
    #[error("code table {file}: {source}")]
    Json { file: String, source: serde_json::Error },
    #[error("code table {file}: {message}")]
    Invalid { file: String, message: String },
    /// Every problem of the table, as far as [`crate::policy::MAX_PROBLEMS_PER_FILE`]
    /// (`total` counts them all).
    #[error("{}", problems_text(.file, .problems, *.total))]
    Problems { file: String, problems: Vec<TableProblem>, total: usize },
}

fn problems_text(file: &str, problems: &[TableProblem], total: usize) -> String {
    match problems {
        [one] if total == 1 => format!("code table {file}: {one}"),
        _ => {
            let mut s = format!("code table {file} has {total} problems:");
            for p in problems {
                s.push_str(&format!("\n  {p}"));
            }
            if total > problems.len() {
                s.push_str(&format!(
                    "\n  {} more problems not shown (at most {} are shown per file)",
                    total - problems.len(),
                    crate::policy::MAX_PROBLEMS_PER_FILE
                ));
            }
            s
        }
    }
}

/// The problems of one table as they are found.
pub(super) struct Problems {
    file: String,
    list: Vec<TableProblem>,
    total: usize,
}

impl Problems {
    pub(super) fn new(file: &str) -> Problems {
        Problems { file: file.to_string(), list: Vec::new(), total: 0 }
    }

    pub(super) fn add(&mut self, code: Option<&str>, message: impl Into<String>, hint: Option<String>) {
        self.total += 1;
        if self.list.len() < crate::policy::MAX_PROBLEMS_PER_FILE {
            self.list.push(TableProblem { code: code.map(str::to_string), message: message.into(), hint });
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub(super) fn error(self) -> CodeTableError {
        CodeTableError::Problems { file: self.file, problems: self.list, total: self.total }
    }
}

// The table format. Fields that are kept for people (notes, English names, the districts a
// zone overlaps, a source) are accepted and not read; any other key is refused, as in a
// policy file, so that a misspelt `parent` is not silently ignored.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) first: String,
    pub(super) last: String,
    #[serde(default, rename = "name_en")]
    _name_en: Option<IgnoredAny>,
    #[serde(default, rename = "note")]
    _note: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    code: String,
    name: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default, rename = "name_en")]
    _name_en: Option<IgnoredAny>,
    #[serde(default, rename = "districts")]
    _districts: Option<IgnoredAny>,
    #[serde(default, rename = "note")]
    _note: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistorical {
    old: String,
    new: String,
    #[serde(default, rename = "old_name")]
    _old_name: Option<IgnoredAny>,
    #[serde(default, rename = "note")]
    _note: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCounts {
    #[serde(default)]
    pub(super) divisions: Option<usize>,
    #[serde(default)]
    pub(super) groups: Option<usize>,
    #[serde(default)]
    pub(super) classes: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    system: String,
    #[serde(default)]
    standard: String,
    #[serde(default, rename = "source")]
    _source: Option<IgnoredAny>,
    #[serde(default, rename = "$comment")]
    _comment: Option<IgnoredAny>,
    #[serde(default)]
    counts: Option<RawCounts>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    nodes: Vec<RawNode>,
    #[serde(default)]
    historical: Vec<RawHistorical>,
}

/// Why a zone code or alias is malformed, if it is.
fn zone_code_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("is empty".into());
    }
    if s.len() > MAX_ZONE_CODE_BYTES {
        return Some(format!("is {} bytes long, more than the limit of {MAX_ZONE_CODE_BYTES}", s.len()));
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Some("is malformed: a zone code is ASCII letters, digits, `_` and `-` (like 370176 or jn_ftz_bonded)".into());
    }
    None
}

/// Whether `s` is a GB/T 2260 code as a table writes it: six digits, province not 00.
fn region_code_problem(s: &str) -> Option<(String, Option<String>)> {
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.len() != 6 {
        let hint = (s.bytes().all(|b| b.is_ascii_digit()) && matches!(s.len(), 2 | 4)).then(|| format!("write it in full: {s:0<6}"));
        return Some(("is malformed: a region code in a table is 6 digits (GB/T 2260)".into(), hint));
    }
    if s.starts_with("00") {
        return Some(("is malformed: there is no province 00".into(), None));
    }
    None
}

impl CodeSystem {
    /// Loads a code table from its JSON text. `file` names it in errors. A byte-order mark
    /// at the start is skipped. The table is checked as strictly as a policy (structure,
    /// code formats, unique codes and aliases, references, cycles, depth: docs/limits.md,
    /// "Code tables"); every problem found is reported at once.
    pub fn from_json(file: &str, text: &str) -> Result<CodeSystem, CodeTableError> {
        // A byte-order mark (what some Windows editors write) is not part of the JSON.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawTable = serde_json::from_str(text).map_err(|source| CodeTableError::Json { file: file.to_string(), source })?;
        let mut problems = Problems::new(file);
        let kind = match raw.system.as_str() {
            "industry" => CodeKind::Industry,
            "region" => CodeKind::Region,
            "zone" => CodeKind::Table,
            other => {
                let known = SYSTEM_NAMES.join(", ");
                let message = if other.trim().is_empty() {
                    format!("\"system\" is empty; a code table is one of the systems {known}")
                } else {
                    format!("\"system\" is {other:?}, not a code system the schema knows ({known})")
                };
                let hint = crate::suggest::closest(other, SYSTEM_NAMES).map(|s| format!("did you mean {s:?}?"));
                problems.add(None, message, hint);
                return Err(problems.error());
            }
        };
        let mut sys = CodeSystem {
            name: raw.system.clone(),
            kind,
            standard: raw.standard,
            nodes: BTreeMap::new(),
            aliases: HashMap::new(),
            historical: HashMap::new(),
            sections: Vec::new(),
            leading_zeros: false,
            hints: Default::default(),
        };
        if raw.nodes.is_empty() {
            problems.add(None, "the table lists no codes (\"nodes\" is missing or empty)", None);
        }
        if kind == CodeKind::Industry {
            sys.read_sections(raw.sections, &mut problems);
            if !problems.is_empty() {
                // Industry codes are read against the sections: no use reading them now.
                return Err(problems.error());
            }
        } else if !raw.sections.is_empty() {
            problems.add(None, "\"sections\" is read only in an industry table", Some("remove it".into()));
        }
        if kind != CodeKind::Industry && raw.counts.is_some() {
            problems.add(None, "\"counts\" is read only in an industry table", Some("remove it".into()));
        }
        sys.read_nodes(raw.nodes, &mut problems);
        sys.read_historical(raw.historical, &mut problems);
        match kind {
            CodeKind::Industry => {
                sys.check_divisions(&mut problems);
                if let Some(counts) = raw.counts {
                    sys.check_counts(&counts, &mut problems);
                }
            }
            CodeKind::Region => sys.check_provinces(&mut problems),
            CodeKind::Table => sys.check_parents(&mut problems),
        }
        if !problems.is_empty() {
            return Err(problems.error());
        }
        sys.leading_zeros =
            sys.nodes.keys().chain(sys.aliases.keys()).any(|c| c.trim_start_matches(|x: char| x.is_ascii_alphabetic()).starts_with('0'));
        Ok(sys)
    }

    /// The nodes: each code well formed for the system and listed once; aliases (zones
    /// only) unique and no code's spelling; parents (zones only) checked later.
    fn read_nodes(&mut self, raw: Vec<RawNode>, problems: &mut Problems) {
        let mut aliases: Vec<(String, String)> = Vec::new();
        for n in raw {
            let code = match self.kind {
                CodeKind::Industry => match self.normalize_structure(&n.code) {
                    Ok(c) => c,
                    Err(CodeError::Malformed { reason, .. }) => {
                        problems.add(
                            Some(&n.code),
                            format!("is malformed: {reason}"),
                            Some("an industry code is a section letter and 2 to 4 digits (GB/T 4754)".into()),
                        );
                        continue;
                    }
                    Err(CodeError::Unknown { .. }) => {
                        problems.add(Some(&n.code), "is not a section of the table", Some("sections are listed in \"sections\"".into()));
                        continue;
                    }
                },
                CodeKind::Region => match region_code_problem(&n.code) {
                    Some((message, hint)) => {
                        problems.add(Some(&n.code), message, hint);
                        continue;
                    }
                    None => n.code.clone(),
                },
                CodeKind::Table => match zone_code_problem(&n.code) {
                    Some(message) => {
                        problems.add(Some(&n.code), message, None);
                        continue;
                    }
                    None => n.code.clone(),
                },
            };
            if n.name.trim().is_empty() {
                problems.add(Some(&code), "has an empty name", None);
            }
            if self.nodes.contains_key(&code) {
                let what =
                    if code.len() == 1 && self.kind == CodeKind::Industry { "is a section and also a node" } else { "is listed twice" };
                problems.add(Some(&code), what, None);
                continue;
            }
            let parent = match self.kind {
                CodeKind::Table => n.parent,
                // Region tables may say a node's parent (the bundled ones do, as their
                // source gives it); it is not read: ancestry follows from the code.
                CodeKind::Region => None,
                CodeKind::Industry => {
                    if n.parent.is_some() {
                        problems.add(
                            Some(&code),
                            "has a \"parent\", which an industry table does not read",
                            Some("the ancestors of an industry code follow from the code (C3911 is under C391, C39, C); remove it".into()),
                        );
                    }
                    None
                }
            };
            if !n.aliases.is_empty() && self.kind != CodeKind::Table {
                problems.add(Some(&code), "has aliases, which only a zone table reads", Some("remove them".into()));
            } else {
                aliases.extend(n.aliases.into_iter().map(|a| (a, code.clone())));
            }
            self.nodes.insert(code.clone(), CodeNode { code, name: n.name, parent });
        }
        // Aliases are read in any case: one must not be a code (of any case) or another alias.
        let lower_codes: HashMap<String, &str> = self.nodes.keys().map(|c| (c.to_ascii_lowercase(), c.as_str())).collect();
        for (alias, code) in aliases {
            if let Some(message) = zone_code_problem(&alias) {
                problems.add(Some(&code), format!("alias {alias:?} {message}"), None);
                continue;
            }
            let key = alias.to_ascii_lowercase();
            if let Some(other) = lower_codes.get(&key) {
                problems.add(
                    Some(&code),
                    format!("alias {alias:?} is also the code {other:?}"),
                    Some("an alias is another name for a code, not a code".into()),
                );
                continue;
            }
            if let Some(other) = self.aliases.get(&key) {
                let message = if *other == code {
                    format!("alias {alias:?} is listed twice")
                } else {
                    format!("alias {alias:?} is also an alias of {other:?}")
                };
                problems.add(Some(&code), message, Some("aliases are compared in any case".into()));
                continue;
            }
            self.aliases.insert(key, code);
        }
    }

    /// Historical codes (regions and zones): each maps a code no longer current to a code
    /// of the table, once.
    fn read_historical(&mut self, raw: Vec<RawHistorical>, problems: &mut Problems) {
        if self.kind == CodeKind::Industry {
            if !raw.is_empty() {
                problems.add(None, "\"historical\" is read only in region and zone tables", Some("remove it".into()));
            }
            return;
        }
        for h in raw {
            let malformed = match self.kind {
                CodeKind::Region => region_code_problem(&h.old).map(|(m, _)| m),
                _ => zone_code_problem(&h.old),
            };
            if let Some(m) = malformed {
                problems.add(Some(&h.old), format!("historical code {m}"), None);
                continue;
            }
            if self.nodes.contains_key(&h.old) {
                problems.add(
                    Some(&h.old),
                    format!("is a historical code (mapped to {}) and also a current code of the table", h.new),
                    Some("a code is either current or historical".into()),
                );
                continue;
            }
            if self.kind == CodeKind::Table && self.aliases.contains_key(&h.old.to_ascii_lowercase()) {
                problems.add(Some(&h.old), format!("is a historical code (mapped to {}) and also an alias", h.new), None);
                continue;
            }
            if !self.nodes.contains_key(&h.new) {
                let hint = crate::suggest::closest(&h.new, self.nodes.keys().map(String::as_str)).map(|s| format!("did you mean {s:?}?"));
                problems.add(Some(&h.old), format!("historical code maps to {}, which the table does not list", h.new), hint);
                continue;
            }
            if let Some(before) = self.historical.get(&h.old) {
                problems.add(Some(&h.old), format!("historical code is listed twice (mapped to {before} and to {})", h.new), None);
                continue;
            }
            self.historical.insert(h.old, h.new);
        }
    }
}
