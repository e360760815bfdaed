//! What a match says about one policy beyond its verdict: why it is undetermined, and
//! its score.
//!
//! Both read the bits and results a match left in the [`Matcher`] and the policy's
//! program: [`PolicyIndex::why_unknown`] walks the program down to its unknown literals
//! and asks the reference evaluator about their sources, so that the account is the
//! evaluator's own; [`PolicyIndex::score`] counts the met literals of the program's span
//! of the arena, when the builder found every requirement to be one literal.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::exec::{lit, program_tri, Matcher};
use super::program::{Instr, Program};
use super::{PolicyIndex, PredicateId};
use crate::eval::{Evaluator, Tri, Unknown};

impl PolicyIndex {
    /// Why policy `i` is undetermined after a match with `m`: the fields that would decide
    /// it, and whether a person's judgement (`manual_review`) is involved.
    ///
    /// The walk visits only nodes whose value is unknown (a known child cannot change an
    /// unknown parent's fate), down to the unknown literals and through `eligible(…)` into
    /// the programs of undetermined prerequisites. Each unknown literal is accounted for by
    /// the reference evaluator on its value source (or, for a generic predicate, on its
    /// node), once per match through `cache`. The union is the evaluator's own account of
    /// the policy (`Evaluator::policy`'s `Unknown`), which the differential tests check.
    /// Empty when the policy is not undetermined.
    pub fn why_unknown<'a>(&'a self, i: usize, m: &Matcher, ev: &Evaluator<'a>, cache: &mut HashMap<PredicateId, Unknown>) -> Unknown {
        let mut out = Unknown::default();
        let mut seen_policies: Vec<u32> = Vec::new();
        let mut stack: Vec<&Program> = Vec::new();
        if m.results.get(i).copied() == Some(Tri::Unknown) {
            stack.extend(self.programs.get(i));
        }
        while let Some(p) = stack.pop() {
            if program_tri(p, m) != Tri::Unknown {
                continue;
            }
            match p {
                Program::Const(_) => {}
                Program::Lit(id, _) => {
                    let u = cache.entry(*id).or_insert_with(|| self.literal_unknown(*id, ev));
                    out.fields.extend(u.fields.iter().copied());
                    out.manual |= u.manual;
                    out.undefined |= u.undefined;
                }
                Program::Policy(j, _) => {
                    if !seen_policies.contains(j) {
                        seen_policies.push(*j);
                        stack.extend(self.programs.get(*j as usize));
                    }
                }
                Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => stack.extend(xs.iter().rev()),
            }
        }
        out
    }

    /// The match score of policy `i` after a match with `m` (share of its requirement
    /// leaves met, two decimals), counted on its program's literals, when every leaf is one
    /// literal (decided when the index is built); `None` otherwise (the caller traces the
    /// explanation).
    /// Equal to the explanation's score, which the differential tests check.
    pub fn score(&self, i: usize, m: &Matcher) -> Option<Decimal> {
        let at = *self.scorable.get(i)? as usize;
        let size = self.code.get(at)?.size();
        let (mut met, mut all) = (0u64, 0u64);
        for op in self.code.get(at..at + size)? {
            if let Instr::Lit(p, neg) = *op {
                all += 1;
                met += u64::from(lit(&m.known, &m.truth, p, neg) == Tri::True);
            }
        }
        if all == 0 {
            return None;
        }
        Some(crate::explain::share(met, all))
    }

    /// The reference evaluator's account of an unknown predicate.
    fn literal_unknown<'a>(&'a self, id: PredicateId, ev: &Evaluator<'a>) -> Unknown {
        let generic_start = self.generic.first().map_or(PredicateId::MAX, |(g, _)| *g);
        if id >= generic_start {
            if let Ok(k) = self.generic.binary_search_by_key(&id, |(g, _)| *g) {
                if let Some((_, node)) = self.generic.get(k) {
                    return ev.eval(node).err().unwrap_or_default();
                }
            }
            return Unknown::default();
        }
        let k = self.sources.partition_point(|s| s.first <= id);
        let Some(src) = k.checked_sub(1).and_then(|k| self.sources.get(k)) else { return Unknown::default() };
        match ev.eval(&src.node) {
            Err(u) => u,
            // A known code too coarse for an `under` test: the field needs more detail.
            Ok(_) => {
                let mut fields = Vec::new();
                src.node.fields(&mut fields);
                Unknown { fields: fields.into_iter().collect(), ..Unknown::default() }
            }
        }
    }
}
