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
//!
//! # Design
//!
//! The module has three parts, one concept each:
//!
//! - this file: the systems and their queries ([`CodeSystem`]: `normalize`,
//!   `normalize_lenient`, `ancestors`, `is_under`, `describe`, historical mappings) and the
//!   set a schema binds fields to ([`CodeSystems`]). Queries trust the table: they run
//!   per code, per enterprise, and check nothing a loaded table already guarantees.
//! - `table`: reading a table file ([`CodeSystem::from_json`]): its format (closed keys),
//!   the problems found ([`TableProblem`], [`CodeTableError::Problems`], every one at
//!   once) and the rules each entry follows (code formats per system, unique codes and
//!   aliases, historical codes mapping to listed codes).
//! - `hierarchy`: the rules on a table's tree as a whole, per system: industry sections
//!   (20 disjoint ranges of divisions) and the divisions and counts under them, each
//!   region's province, and zone chains of parents (present, without cycles, at most
//!   [`MAX_CODE_DEPTH`] levels).
//!
//! The split is what lets the queries go without checks of their own: a [`CodeSystem`]
//! is only built by `from_json`, so what they assume was checked once, when the table was
//! read. A walk over a zone's parents stops after [`MAX_CODE_DEPTH`] levels, a bound no
//! loaded chain exceeds, and a cycle of parents never loads.

use std::collections::{BTreeMap, HashMap};

mod hierarchy;
mod table;

pub use table::{CodeTableError, TableProblem, MAX_ZONE_CODE_BYTES};

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
    /// The hints of codes a profile gave that the table does not list, by code: finding the
    /// nearest code walks the table, and a population of enterprises repeats its codes.
    hints: HintMemo,
}

/// A bounded memo of [`CodeSystem::unknown_hint`] (cleared when full); a clone starts empty.
#[derive(Debug, Default)]
pub(crate) struct HintMemo(std::sync::RwLock<HashMap<String, String>>);

/// At most this many hints are kept per system.
const HINTS_KEPT: usize = 4096;

impl Clone for HintMemo {
    fn clone(&self) -> HintMemo {
        HintMemo::default()
    }
}

impl CodeSystem {
    /// Why a well-formed code is not in the table, with the nearest code that is (the
    /// error of [`CodeSystem::normalize`] in words): computed once per distinct code.
    pub fn unknown_hint(&self, raw: &str) -> String {
        let read = self.hints.0.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(h) = read.get(raw) {
            return h.clone();
        }
        drop(read);
        let hint = self.normalize(raw).err().map(|e| e.to_string()).unwrap_or_default();
        let mut write = self.hints.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if write.len() >= HINTS_KEPT {
            write.clear();
        }
        write.insert(raw.to_string(), hint.clone());
        hint
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
        crate::sort::sort(&mut v);
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

/// The code systems a schema binds fields to.
#[derive(Clone, Debug, Default)]
pub struct CodeSystems {
    systems: Vec<CodeSystem>,
}

/// Identifies a system within [`CodeSystems`].
pub type SystemId = usize;

impl CodeSystems {
    /// The bundled systems ([`crate::bundled::code_tables`]: installed, else embedded
    /// from data/codes at build time); none in a build without either, where the tables
    /// given to [`CodeSystems::with_tables`] are all there are.
    pub fn embedded() -> Result<CodeSystems, CodeTableError> {
        let mut s = CodeSystems::default();
        for (name, text) in crate::bundled::code_tables() {
            s.add(CodeSystem::from_json(&name, &text)?);
        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn the_hint_of_an_unknown_code_is_the_normalize_error_once_per_code() {
        let systems = CodeSystems::embedded().unwrap();
        let industry = systems.systems.iter().find(|s| s.name() == "industry").unwrap();
        let region = systems.systems.iter().find(|s| s.name() == "region").unwrap();
        for (system, raw) in [(industry, "C3999"), (region, "310115"), (region, "370199")] {
            let want = system.normalize(raw).unwrap_err().to_string();
            assert_eq!(system.unknown_hint(raw), want);
            assert_eq!(system.unknown_hint(raw), want, "from the memo");
        }
        // Bounded: a stream of distinct codes never holds more than the bound.
        for i in 0..(HINTS_KEPT + 10) {
            region.unknown_hint(&format!("37{:04}", i % 10_000));
        }
        assert!(region.hints.0.read().unwrap().len() <= HINTS_KEPT);
        // A clone starts with an empty memo and answers the same.
        let copy = region.clone();
        assert!(copy.hints.0.read().unwrap().is_empty());
        assert_eq!(copy.unknown_hint("310115"), region.unknown_hint("310115"));
    }
}
