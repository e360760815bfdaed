//! The rules on a code table's tree as a whole, per system.
//!
//! [`CodeSystem::from_json`] checks each entry of a table as it reads it; what is checked
//! here needs the whole table. An industry table's sections come first, since its codes
//! are read against them: 20 sections (A–T), each a letter and a range of 2-digit
//! divisions, letters and ranges disjoint. Then, once every code is read: an industry
//! group or class lies in a listed division and the counts the table states are those it
//! has; a region code lies in a listed province; a zone's parents are listed, its chain
//! of parents does not come back on itself and is at most [`MAX_CODE_DEPTH`] levels deep.
//! The queries rely on these: a walk over parents is bounded by [`MAX_CODE_DEPTH`] and so
//! never cuts short a chain that loaded.

use std::collections::HashMap;

use super::table::{Problems, RawCounts, RawSection};
use super::{CodeNode, CodeSystem, MAX_CODE_DEPTH};

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
    /// Industry: the sections, each a letter and a range of 2-digit divisions; 20 of them,
    /// letters and ranges disjoint.
    pub(super) fn read_sections(&mut self, raw: Vec<RawSection>, problems: &mut Problems) {
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
    /// Industry: a group or class whose division (大类) the table does not list could not be
    /// written anywhere (a code is read only in a listed division).
    pub(super) fn check_divisions(&self, problems: &mut Problems) {
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
    pub(super) fn check_counts(&self, counts: &RawCounts, problems: &mut Problems) {
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
    pub(super) fn check_provinces(&self, problems: &mut Problems) {
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
    pub(super) fn check_parents(&self, problems: &mut Problems) {
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
}

fn single_letter(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    (it.next().is_none() && c.is_ascii_uppercase()).then_some(c)
}
