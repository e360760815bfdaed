//! Hierarchical code systems: industries (GB/T 4754-2017), regions (GB/T 2260) and
//! functional zones.
//!
//! A code's ancestors are what policies test (`industry under [C16, F, R90]`), so each
//! system answers two questions: what is the canonical form of a code as people write it,
//! and what are its ancestors. Industry and region codes are *structural*: the ancestors of
//! `C3911` are `C391`, `C39`, `C` and the ancestors of `370102` are `370100`, `370000`,
//! whether or not the table lists the intermediate nodes (GB/T 4754 leaves many implicit).
//! Zones are a platform-local list whose parents come from the table. Historical region
//! codes (莱芜市莱城区 371202) are mapped to the current code before anything else.

use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::Deserialize;

/// Which structural rules a system follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// GB/T 4754-2017: section letter + 2/3/4 digits.
    Industry,
    /// GB/T 2260: six digits, province / prefecture / county.
    Region,
    /// A table-defined list with explicit parents (functional zones).
    Table,
}

/// Why a code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{system} code {input:?} is malformed: {reason}")]
    Malformed { system: String, input: String, reason: String },
    #[error("{system} code {input:?} is not in the code table{}", suggestion_suffix(.suggestion))]
    Unknown { system: String, input: String, suggestion: Option<String> },
}

fn suggestion_suffix(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("; did you mean {s:?}?"),
        None => String::new(),
    }
}

/// The code systems a schema can bind a field to (`"system"` of a code field and of a code
/// table): a table naming another system is refused, not silently left unused.
pub const SYSTEM_NAMES: [&str; 3] = ["industry", "region", "zone"];

/// The most levels a zone's chain of parents may have, the zone itself included (a zone
/// at the top is one level). A deeper chain is refused when the table is loaded; every walk
/// over parents ([`CodeSystem::ancestors`], [`CodeSystem::for_each_ancestor`],
/// [`CodeSystem::is_under`], [`CodeSystem::describe`]) stops at this bound, which a loaded
/// table never reaches, so it never cuts a chain short. Industry (4 levels) and region (3)
/// ancestry follows from the code.
pub const MAX_CODE_DEPTH: usize = 64;

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
struct Problems {
    file: String,
    list: Vec<TableProblem>,
    total: usize,
}

impl Problems {
    fn new(file: &str) -> Problems {
        Problems { file: file.to_string(), list: Vec::new(), total: 0 }
    }

    fn add(&mut self, code: Option<&str>, message: impl Into<String>, hint: Option<String>) {
        self.total += 1;
        if self.list.len() < crate::policy::MAX_PROBLEMS_PER_FILE {
            self.list.push(TableProblem { code: code.map(str::to_string), message: message.into(), hint });
        }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    fn error(self) -> CodeTableError {
        CodeTableError::Problems { file: self.file, problems: self.list, total: self.total }
    }
}

/// One node of a code table.
#[derive(Clone, Debug)]
pub struct CodeNode {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

/// A code system: canonical forms, names and ancestry.
#[derive(Clone, Debug)]
pub struct CodeSystem {
    name: String,
    kind: CodeKind,
    standard: String,
    nodes: BTreeMap<String, CodeNode>,
    aliases: HashMap<String, String>,
    historical: HashMap<String, String>,
    /// Industry only: section letter per 2-digit division number.
    sections: Vec<(char, u32, u32)>,
    /// Whether a code's digits may start with 0 (industry `0141`): then a code given as a
    /// number has lost that zero, and is refused rather than read as another code.
    leading_zeros: bool,
}

// The table format. Fields that are kept for people (notes, English names, the districts a
// zone overlaps, a source) are accepted and not read; any other key is refused, as in a
// policy file, so that a misspelt `parent` is not silently ignored.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    code: String,
    name: String,
    first: String,
    last: String,
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
struct RawCounts {
    #[serde(default)]
    divisions: Option<usize>,
    #[serde(default)]
    groups: Option<usize>,
    #[serde(default)]
    classes: Option<usize>,
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

/// A chain of codes for a message, shortened in the middle past 8 codes.
fn chain_text(codes: &[&str]) -> String {
    if codes.len() <= 8 {
        return codes.join(" → ");
    }
    let head = codes.get(..4).unwrap_or_default().join(" → ");
    let tail = codes.get(codes.len() - 3..).unwrap_or_default().join(" → ");
    format!("{head} → … → {tail}")
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

    /// Industry: the sections, each a letter and a range of 2-digit divisions; 20 of them,
    /// letters and ranges disjoint.
    fn read_sections(&mut self, raw: Vec<RawSection>, problems: &mut Problems) {
        let two_digits = |s: &str| (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten();
        let count = raw.len();
        for s in raw {
            let Some(letter) = single_letter(&s.code) else {
                problems.add(Some(&s.code), "is not a section code (one capital letter A–T)", None);
                continue;
            };
            let (Some(first), Some(last)) = (two_digits(&s.first), two_digits(&s.last)) else {
                problems.add(
                    Some(&s.code),
                    format!("bad section range {:?}–{:?}", s.first, s.last),
                    Some("\"first\" and \"last\" are 2-digit division numbers such as \"01\"".into()),
                );
                continue;
            };
            if first > last {
                problems.add(Some(&s.code), format!("section range {:02}–{:02} runs backwards", first, last), None);
                continue;
            }
            if self.nodes.contains_key(&letter.to_string()) {
                problems.add(Some(&s.code), "section listed twice", None);
                continue;
            }
            if let Some((other, lo, hi)) = self.sections.iter().find(|(_, lo, hi)| first <= *hi && *lo <= last) {
                problems.add(
                    Some(&s.code),
                    format!("section range {first:02}–{last:02} overlaps section {other} ({lo:02}–{hi:02})"),
                    Some("each division belongs to one section".into()),
                );
                continue;
            }
            self.sections.push((letter, first, last));
            self.nodes.insert(letter.to_string(), CodeNode { code: letter.to_string(), name: s.name, parent: None });
        }
        if count != 20 {
            problems.add(None, format!("expected 20 sections (A–T), found {count}"), None);
        }
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

    /// Industry: a group or class whose division (大类) the table does not list could not be
    /// written anywhere (a code is read only in a listed division).
    fn check_divisions(&self, problems: &mut Problems) {
        for code in self.nodes.keys().filter(|c| c.len() > 3) {
            let division = code.get(..3).unwrap_or(code);
            if !self.nodes.contains_key(division) {
                problems.add(
                    Some(code),
                    format!("its division {division} is not in the table"),
                    Some(format!("add {division} or remove the code")),
                );
            }
        }
    }

    /// Industry: the counts a table states, if any, are those it has.
    fn check_counts(&self, counts: &RawCounts, problems: &mut Problems) {
        for (what, digits, stated) in [("divisions", 2, counts.divisions), ("groups", 3, counts.groups), ("classes", 4, counts.classes)] {
            let Some(stated) = stated else { continue };
            let found = self.nodes.keys().filter(|c| c.len() == 1 + digits).count();
            if found != stated {
                problems.add(None, format!("\"counts\" says {stated} {what}, the table lists {found}"), None);
            }
        }
    }

    /// Region: every code's province is in the table (a code is read only under a listed
    /// province).
    fn check_provinces(&self, problems: &mut Problems) {
        for code in self.nodes.keys() {
            let province = format!("{}0000", code.get(..2).unwrap_or("00"));
            if !self.nodes.contains_key(&province) {
                problems.add(
                    Some(code),
                    format!("its province {province} is not in the table"),
                    Some(format!("add {province} or remove the code")),
                );
            }
        }
    }

    /// Zones: every parent is a code of the table, no chain of parents comes back on
    /// itself, and none is longer than [`MAX_CODE_DEPTH`]. Iterative: each code is walked
    /// once, whatever the depth.
    fn check_parents(&self, problems: &mut Problems) {
        for n in self.nodes.values() {
            match n.parent.as_deref() {
                Some(p) if p == n.code => problems.add(Some(&n.code), "is its own parent", None),
                Some(p) if !self.nodes.contains_key(p) => {
                    let hint = crate::suggest::closest(p, self.nodes.keys().map(String::as_str)).map(|s| format!("did you mean {s:?}?"));
                    problems.add(Some(&n.code), format!("has parent {p:?}, which the table does not list"), hint);
                }
                _ => {}
            }
        }
        // Per code: its depth (levels, itself included) and its top code, or None when its
        // chain ends at an unknown parent or in a cycle (reported once).
        let mut depth: HashMap<&str, Option<(usize, &str)>> = HashMap::new();
        for start in self.nodes.keys() {
            if depth.contains_key(start.as_str()) {
                continue;
            }
            let mut path: Vec<&str> = Vec::new();
            let mut on_path: HashMap<&str, usize> = HashMap::new();
            let mut cur: &str = start;
            let above: Option<(usize, &str)> = loop {
                if let Some(known) = depth.get(cur) {
                    break *known;
                }
                if let Some(&at) = on_path.get(cur) {
                    let mut cycle: Vec<&str> = path.get(at..).unwrap_or_default().to_vec();
                    if cycle.len() > 1 {
                        let codes = cycle.len();
                        cycle.push(cur);
                        problems.add(
                            Some(cur),
                            format!("its chain of parents is a cycle of {codes} codes: {}", chain_text(&cycle)),
                            Some("a zone's parents must end at a zone without a parent".into()),
                        );
                    }
                    break None;
                }
                on_path.insert(cur, path.len());
                path.push(cur);
                match self.nodes.get(cur).and_then(|n| n.parent.as_deref()) {
                    None => break Some((0, cur)),
                    Some(p) if self.nodes.contains_key(p) => cur = p,
                    Some(_) => break None,
                }
            };
            let mut level = above;
            for code in path.iter().rev() {
                level = level.map(|(d, top)| (d + 1, top));
                depth.insert(code, level);
                if let Some((d, top)) = level {
                    if d == MAX_CODE_DEPTH + 1 {
                        problems.add(
                            Some(code),
                            format!(
                                "its chain of parents up to {top} is more than {MAX_CODE_DEPTH} levels deep (the limit, MAX_CODE_DEPTH)"
                            ),
                            Some("docs/limits.md, \"Code tables\"".into()),
                        );
                    }
                }
            }
        }
    }

    /// Whether a code's digits may start with 0, so that a code written as a number (not
    /// text) may have lost a digit.
    pub fn has_leading_zeros(&self) -> bool {
        self.leading_zeros
    }

    /// The system's name (`industry`, `region`, `zone`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The standard the table follows.
    pub fn standard(&self) -> &str {
        &self.standard
    }

    /// The structural kind.
    pub fn kind(&self) -> CodeKind {
        self.kind
    }

    /// All listed nodes, in code order.
    pub fn nodes(&self) -> impl Iterator<Item = &CodeNode> {
        self.nodes.values()
    }

    /// The name of a canonical code, or of its nearest listed ancestor.
    pub fn describe(&self, code: &str) -> String {
        if let Some(n) = self.nodes.get(code) {
            return format!("{code} {}", n.name);
        }
        for a in self.ancestors(code).into_iter().skip(1) {
            if let Some(n) = self.nodes.get(&a) {
                return format!("{code}（属 {a} {}）", n.name);
            }
        }
        code.to_string()
    }

    fn section_of(&self, division: u32) -> Option<char> {
        self.sections.iter().find(|(_, lo, hi)| (*lo..=*hi).contains(&division)).map(|(c, _, _)| *c)
    }

    fn malformed(&self, input: &str, reason: impl Into<String>) -> CodeError {
        CodeError::Malformed { system: self.name.clone(), input: input.to_string(), reason: reason.into() }
    }

    fn unknown(&self, input: &str) -> CodeError {
        // An industry code in a known division is compared with that division's codes
        // only: C3999 should suggest a code of C39, not C3099.
        if self.kind == CodeKind::Industry {
            // Parsed here without normalize_structure, which reports through this function.
            let s: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
            let digits = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let section = digits.get(..2).and_then(|d| d.parse::<u32>().ok()).and_then(|d| self.section_of(d));
            if let (Some(section), true) = (section, (3..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())) {
                let c = format!("{section}{digits}");
                let division = c.get(..3).unwrap_or(&c);
                if self.nodes.contains_key(division) {
                    let suggestion = crate::suggest::closest(&c, self.nodes.keys().map(String::as_str).filter(|k| k.starts_with(division)));
                    return CodeError::Unknown { system: self.name.clone(), input: input.to_string(), suggestion };
                }
            }
        }
        let suggestion =
            crate::suggest::closest(input, self.nodes.keys().map(String::as_str).chain(self.aliases.keys().map(String::as_str)));
        CodeError::Unknown { system: self.name.clone(), input: input.to_string(), suggestion }
    }

    /// Industry: structural normalisation without checking the division table.
    fn normalize_structure(&self, input: &str) -> Result<String, CodeError> {
        let s: String = input.trim().chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let (letter, digits) = match s.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c), s.get(1..).unwrap_or("")),
            Some(_) => (None, s.as_str()),
            None => return Err(self.malformed(input, "empty")),
        };
        if digits.is_empty() {
            return match letter {
                Some(l) if self.nodes.contains_key(&l.to_string()) => Ok(l.to_string()),
                Some(_) => Err(self.unknown(input)),
                None => Err(self.malformed(input, "empty")),
            };
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !(2..=4).contains(&digits.len()) {
            return Err(self.malformed(input, "expected a section letter A–T and/or 2 to 4 digits"));
        }
        let division: u32 = digits.get(..2).and_then(|d| d.parse().ok()).ok_or_else(|| self.malformed(input, "bad digits"))?;
        let section =
            self.section_of(division).ok_or_else(|| self.malformed(input, format!("division {division:02} belongs to no section")))?;
        if let Some(l) = letter {
            if l != section {
                return Err(self.malformed(input, format!("division {division:02} is in section {section}, not {l}")));
            }
        }
        Ok(format!("{section}{digits}"))
    }

    /// Canonical form of a code as people write it: `c3911` → `C3911`, `3911` → `C3911`,
    /// `371202` → `370116`, `3701` → `370100`, `jn_hitech` → `370176`.
    pub fn normalize(&self, input: &str) -> Result<String, CodeError> {
        match self.kind {
            CodeKind::Industry => {
                // A condition or a lookup names a code of the table: `C3999` is well formed
                // but no such class exists, so it is an error with the nearest code.
                let (c, known) = self.normalize_lenient(input)?;
                if !known {
                    return Err(self.unknown(input));
                }
                Ok(c)
            }
            CodeKind::Region => {
                // A condition names a code of the table: a county that does not exist is
                // an error with the nearest code of its prefecture.
                let (c, known) = self.normalize_lenient(input)?;
                if !known {
                    return Err(self.unknown_region(input, &c));
                }
                Ok(c)
            }
            CodeKind::Table => {
                let s = input.trim();
                // A code that was replaced (济南高新区 370171 → 370176 in the 2023 statistical
                // division codes) reads as its successor.
                if let Some(now) = self.historical.get(s) {
                    return Ok(now.clone());
                }
                if self.nodes.contains_key(s) {
                    return Ok(s.to_string());
                }
                if let Some(c) = self.aliases.get(&s.to_ascii_lowercase()) {
                    return Ok(c.clone());
                }
                Err(self.unknown(input))
            }
        }
    }

    /// Canonical form of a well-formed code, and whether the table lists it. A profile keeps
    /// a well-formed industry code the table does not list, with a warning (its data may
    /// follow another revision of the standard); conditions must name codes the table has.
    /// The division (2-digit level) must exist either way.
    pub fn normalize_lenient(&self, input: &str) -> Result<(String, bool), CodeError> {
        match self.kind {
            CodeKind::Industry => {
                let c = self.normalize_structure(input)?;
                let division = c.get(..3).unwrap_or(&c);
                if !self.nodes.contains_key(division) {
                    return Err(self.unknown(input));
                }
                let known = self.nodes.contains_key(&c);
                Ok((c, known))
            }
            CodeKind::Region => {
                let s = input.trim();
                if !s.bytes().all(|b| b.is_ascii_digit()) || !matches!(s.len(), 2 | 4 | 6) {
                    return Err(self.malformed(input, "expected 6 digits (or a 2/4-digit prefix)"));
                }
                let full = format!("{s:0<6}");
                let current = self.historical.get(&full).cloned().unwrap_or(full);
                if current.get(..2) == Some("00") {
                    return Err(self.malformed(input, "no province 00"));
                }
                // The province must exist; the code itself should (a table without counties
                // outside some provinces still knows every province and prefecture).
                let province = format!("{}0000", current.get(..2).unwrap_or("00"));
                if !self.nodes.is_empty() && !self.nodes.contains_key(&province) {
                    return Err(self.unknown_region(input, &current));
                }
                let known = self.nodes.is_empty() || self.nodes.contains_key(&current);
                Ok((current, known))
            }
            CodeKind::Table => self.normalize(input).map(|c| (c, true)),
        }
    }

    /// An unknown region code, with the nearest code under the same prefecture (or
    /// province), and a word on the bundled table's coverage.
    fn unknown_region(&self, input: &str, code: &str) -> CodeError {
        let stem = |n: usize| code.get(..n).unwrap_or("");
        let near = |prefix: &str| crate::suggest::closest(code, self.nodes.keys().map(String::as_str).filter(|k| k.starts_with(prefix)));
        let suggestion =
            near(stem(4)).or_else(|| near(stem(2))).or_else(|| crate::suggest::closest(code, self.nodes.keys().map(String::as_str)));
        CodeError::Unknown { system: self.name.clone(), input: input.to_string(), suggestion }
    }

    /// Current codes that replaced historical codes under a historical prefix
    /// (`371200` 莱芜市 → `370116`, `370117`).
    pub fn historical_successors(&self, prefix_code: &str) -> Vec<String> {
        let stem = prefix_code.trim_end_matches("00");
        let mut v: Vec<String> = self
            .historical
            .iter()
            .filter(|(old, _)| old.starts_with(stem) && old.as_str() != prefix_code)
            .map(|(_, new)| new.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether a historical code was mapped (for warnings).
    pub fn historical_target(&self, input: &str) -> Option<&str> {
        self.historical.get(input.trim()).map(String::as_str)
    }

    /// Ancestors of a canonical code, nearest first, starting with the code itself.
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out = vec![code.to_string()];
        match self.kind {
            CodeKind::Industry => {
                let mut c = code.to_string();
                while c.len() > 1 {
                    c.pop();
                    if c.len() == 2 {
                        // "C3" is not a level: from C39 go straight to C.
                        c.pop();
                    }
                    out.push(c.clone());
                }
            }
            CodeKind::Region => {
                if code.len() == 6 {
                    if code.get(4..) != Some("00") {
                        out.push(format!("{}00", code.get(..4).unwrap_or("")));
                    }
                    if code.get(2..) != Some("0000") {
                        out.push(format!("{}0000", code.get(..2).unwrap_or("")));
                    }
                }
            }
            CodeKind::Table => {
                // A loaded table has no chain deeper than MAX_CODE_DEPTH (the code and its
                // parents), so the bound never cuts one short.
                let mut cur = code;
                for _ in 1..MAX_CODE_DEPTH {
                    let Some(p) = self.nodes.get(cur).and_then(|n| n.parent.as_deref()) else { break };
                    out.push(p.to_string());
                    cur = p;
                }
            }
        }
        out
    }

    /// Calls `f` on each ancestor of a canonical code, nearest first, starting with the
    /// code itself: [`Self::ancestors`] without building the list (the index asks this
    /// once per code field, per enterprise).
    pub fn for_each_ancestor(&self, code: &str, mut f: impl FnMut(&str)) {
        f(code);
        match self.kind {
            CodeKind::Industry => {
                let mut c = code;
                while c.len() > 1 {
                    c = drop_last_char(c);
                    if c.len() == 2 {
                        c = drop_last_char(c);
                    }
                    f(c);
                }
            }
            CodeKind::Region => {
                if code.len() == 6 && code.is_ascii() {
                    let mut buf = *b"000000";
                    for (keep, zeros) in [(4usize, "00"), (2, "0000")] {
                        if code.get(keep..) != Some(zeros) {
                            if let (Some(head), Some(dst)) = (code.as_bytes().get(..keep), buf.get_mut(..keep)) {
                                dst.copy_from_slice(head);
                                if let Some(rest) = buf.get_mut(keep..) {
                                    rest.fill(b'0');
                                }
                                if let Ok(a) = std::str::from_utf8(&buf) {
                                    f(a);
                                }
                            }
                        }
                    }
                }
            }
            CodeKind::Table => {
                // The bound of `ancestors`.
                let mut cur = code;
                for _ in 1..MAX_CODE_DEPTH {
                    let Some(p) = self.nodes.get(cur).and_then(|n| n.parent.as_deref()) else { break };
                    f(p);
                    cur = p;
                }
            }
        }
    }

    /// Whether canonical `code` lies in the subtree of canonical `ancestor`: whether
    /// `ancestor` is one of [`Self::ancestors`]`(code)`, walked without building the list
    /// (the evaluator asks this once per code of a list, per enterprise).
    pub fn is_under(&self, code: &str, ancestor: &str) -> bool {
        if code == ancestor {
            return true;
        }
        match self.kind {
            CodeKind::Industry => {
                // The walk of `ancestors`: drop the last character; a two-character
                // prefix is not a level ("C3" of C39), so drop one more.
                let mut c = code;
                while c.len() > 1 {
                    c = drop_last_char(c);
                    if c.len() == 2 {
                        c = drop_last_char(c);
                    }
                    if c == ancestor {
                        return true;
                    }
                }
                false
            }
            CodeKind::Region => {
                // `ancestors` adds "{first 4}00" and "{first 2}0000" of a 6-character code.
                let is = |keep: usize, zeros: &str| {
                    let head = code.get(..keep).unwrap_or("");
                    code.get(keep..) != Some(zeros)
                        && ancestor.len() == head.len() + zeros.len()
                        && ancestor.starts_with(head)
                        && ancestor.ends_with(zeros)
                };
                code.len() == 6 && (is(4, "00") || is(2, "0000"))
            }
            CodeKind::Table => {
                // The bound of `ancestors`.
                let mut cur = code;
                for _ in 1..MAX_CODE_DEPTH {
                    match self.nodes.get(cur).and_then(|n| n.parent.as_deref()) {
                        Some(p) if p == ancestor => return true,
                        Some(p) => cur = p,
                        None => return false,
                    }
                }
                false
            }
        }
    }
}

/// `s` without its last character.
fn drop_last_char(s: &str) -> &str {
    s.char_indices().next_back().and_then(|(i, _)| s.get(..i)).unwrap_or("")
}

fn single_letter(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    (it.next().is_none() && c.is_ascii_uppercase()).then_some(c)
}

/// The code systems a schema binds fields to.
#[derive(Clone, Debug, Default)]
pub struct CodeSystems {
    systems: Vec<CodeSystem>,
}

/// Identifies a system within [`CodeSystems`].
pub type SystemId = usize;

impl CodeSystems {
    /// The systems embedded in the library (data/codes at build time).
    pub fn embedded() -> Result<CodeSystems, CodeTableError> {
        let mut s = CodeSystems::default();
        s.add(CodeSystem::from_json("industry.json", include_str!("../../data/codes/industry.json"))?);
        s.add(CodeSystem::from_json("region.json", include_str!("../../data/codes/region.json"))?);
        s.add(CodeSystem::from_json("zone.json", include_str!("../../data/codes/zone.json"))?);
        Ok(s)
    }

    /// The embedded systems, with those given as (file name, JSON text) pairs replacing the
    /// systems of the same name (`industry`, `region`, `zone`) and read with the same rules:
    /// a platform whose data follows another revision, or another province's zones, brings
    /// its own tables. Two files for one system are an error, and so is a table whose
    /// `"system"` is empty or not one of [`SYSTEM_NAMES`] (it would replace nothing and
    /// be silently left unused).
    pub fn with_tables(files: &[(String, String)]) -> Result<CodeSystems, CodeTableError> {
        let mut s = CodeSystems::embedded()?;
        let mut seen: Vec<(String, String)> = Vec::new();
        for (file, text) in files {
            // `from_json` refuses a system name outside SYSTEM_NAMES, naming the file.
            let sys = CodeSystem::from_json(file, text)?;
            if !SYSTEM_NAMES.contains(&sys.name.as_str()) {
                return Err(CodeTableError::Invalid {
                    file: file.clone(),
                    message: format!("code system {:?} is not one the schema knows ({})", sys.name, SYSTEM_NAMES.join(", ")),
                });
            }
            if let Some((_, other)) = seen.iter().find(|(name, _)| *name == sys.name) {
                return Err(CodeTableError::Invalid {
                    file: file.clone(),
                    message: format!("code system {:?} is also defined by {other}", sys.name),
                });
            }
            seen.push((sys.name.clone(), file.clone()));
            s.add(sys);
        }
        Ok(s)
    }

    /// Adds (or replaces, by name) a system.
    pub fn add(&mut self, sys: CodeSystem) {
        if let Some(existing) = self.systems.iter_mut().find(|s| s.name == sys.name) {
            *existing = sys;
        } else {
            self.systems.push(sys);
        }
    }

    /// Looks a system up by name.
    pub fn id(&self, name: &str) -> Option<SystemId> {
        self.systems.iter().position(|s| s.name == name)
    }

    /// A system by id.
    pub fn get(&self, id: SystemId) -> Option<&CodeSystem> {
        self.systems.get(id)
    }

    /// Names of all systems.
    pub fn names(&self) -> Vec<&str> {
        self.systems.iter().map(|s| s.name.as_str()).collect()
    }
}
