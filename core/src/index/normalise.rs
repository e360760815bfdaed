//! Normalising a condition into a [`Program`] over leaf predicates.
//!
//! The [`Builder`] walks each policy's checked condition once: definitions are inlined,
//! negation is pushed to the leaves (valid in Kleene logic: `not (a and b)` is
//! `not a or not b`, and `not at_least(k, xs)` is `at_least(n-k+1, not xs)`), `between`
//! becomes two thresholds, constants fold into their `and` / `or` ([`fold`]), and every
//! other leaf is [classified](super::leaves::classify) and given a temporary id in the
//! builder's dictionary, one per distinct [`Leaf`]. The builder
//! ([`build`](super::build)) later renumbers the dictionary source by source.
//!
//! [`literal_per_leaf`] decides, on the same condition, whether the explanation's score
//! can be counted on the program's literals.

use std::collections::HashMap;

use super::kleene::{self, Junction};
use super::leaves::{classify, const_key, Leaf, Op};
use super::program::Program;
use crate::check::{Const, Node, NodeKind, Ty};
use crate::eval::Tri;
use crate::policy::PolicySet;

/// The dictionary of leaves being built, and the set whose definitions it inlines.
pub(super) struct Builder<'s> {
    pub(super) set: &'s PolicySet,
    /// The distinct leaves, by temporary id.
    pub(super) leaves: Vec<Leaf>,
    ids: HashMap<Leaf, u32>,
    /// Split `under [A, B, …]` into one predicate per code (see [`PolicyIndex::for_sets`]).
    split_lists: bool,
}

impl<'s> Builder<'s> {
    pub(super) fn new(set: &'s PolicySet, split_lists: bool) -> Builder<'s> {
        Builder { set, leaves: Vec::new(), ids: HashMap::new(), split_lists }
    }

    /// The temporary id of `leaf`, a new one when it is new.
    fn leaf_id(&mut self, leaf: Leaf) -> u32 {
        if let Some(&i) = self.ids.get(&leaf) {
            return i;
        }
        let i = self.leaves.len() as u32;
        self.ids.insert(leaf.clone(), i);
        self.leaves.push(leaf);
        i
    }

    fn generic(&mut self, n: &Node, neg: bool) -> Program {
        let id = self.leaf_id(Leaf::Generic { node: n.canonical() });
        Program::Lit(id, neg)
    }

    /// Normalises a boolean node to a program (negation pushed down), with temporary ids.
    pub(super) fn norm(&mut self, n: &Node, neg: bool, depth: usize) -> Program {
        use NodeKind as K;
        if depth > 256 {
            return self.generic(n, neg);
        }
        match &n.kind {
            K::Const(Const::Bool(b)) => Program::Const(kleene::literal(true, *b, neg)),
            K::Not(x) => self.norm(x, !neg, depth + 1),
            K::And(xs) | K::Or(xs) => {
                let parts: Vec<Program> = xs.iter().map(|x| self.norm(x, neg, depth + 1)).collect();
                let is_and = matches!(n.kind, K::And(_)) != neg;
                fold(Junction::of(is_and), parts)
            }
            K::AtLeast(k, xs) => {
                let parts: Vec<Program> = xs.iter().map(|x| self.norm(x, neg, depth + 1)).collect();
                let k = if neg { (xs.len() as u32 + 1).saturating_sub(*k) } else { *k };
                if k == 0 {
                    Program::Const(Tri::True)
                } else {
                    Program::AtLeast(k, parts)
                }
            }
            K::Def(i) if n.ty == Ty::Bool => match self.set.definitions.get(*i) {
                Some(d) => {
                    let node = d.node.clone();
                    self.norm(&node, neg, depth + 1)
                }
                None => self.generic(n, neg),
            },
            K::Eligible(i) => Program::Policy(*i as u32, neg),
            // For set algebra only: `x under [A, B]` is `x under A or x under B` in Kleene
            // logic too (true when any code matches; unknown when none does and one is too
            // coarse to decide): one predicate per code, shared by every list that names
            // it, instead of one per distinct list.
            K::Under { expr, system, codes } if self.split_lists && codes.len() > 1 => {
                let src = expr.canonical();
                let mut codes = codes.clone();
                crate::sort::sort(&mut codes);
                codes.dedup();
                let parts: Vec<Program> = codes
                    .into_iter()
                    .map(|c| Program::Lit(self.leaf_id(Leaf::Under { source: src.clone(), system: *system, codes: vec![c] }), neg))
                    .collect();
                fold(Junction::of(neg), parts)
            }
            // A count or sum over records is compared by the range its records allow (the
            // reference evaluator decides it): one compound predicate, encoded once.
            K::Between { expr, .. } if crate::eval::ranged_records(self.set, expr) => self.generic(n, neg),
            K::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let (Some(lo), Some(hi)) = (const_key(low), const_key(high)) else { return self.generic(n, neg) };
                let src = expr.canonical();
                let a = self.leaf_id(Leaf::Threshold { source: src.clone(), op: if *low_inclusive { Op::Ge } else { Op::Gt }, key: lo });
                let b = self.leaf_id(Leaf::Threshold { source: src, op: if *high_inclusive { Op::Le } else { Op::Lt }, key: hi });
                fold(Junction::of(!neg), vec![Program::Lit(a, neg), Program::Lit(b, neg)])
            }
            // A comparison of a max(…) / min(…) may be decided by its known arguments
            // alone (Kleene), one of a count / sum over records by the range its records
            // allow: the reference evaluator decides it, as a generic predicate.
            K::Cmp { lhs, rhs, .. } if crate::eval::compared_by_range(self.set, lhs) || crate::eval::compared_by_range(self.set, rhs) => {
                self.generic(n, neg)
            }
            _ => {
                let (leaf, extra) = classify(n);
                let id = self.leaf_id(leaf);
                Program::Lit(id, neg != extra)
            }
        }
    }
}

/// Folds an and/or: constants are absorbed, nested same-kind nodes flattened.
pub(super) fn fold(junction: Junction, parts: Vec<Program>) -> Program {
    let (absorb, neutral) = (junction.absorbing(), junction.neutral());
    let mut out = Vec::new();
    for p in parts {
        match (p, junction) {
            (Program::Const(t), _) if t == absorb => return Program::Const(absorb),
            (Program::Const(t), _) if t == neutral => {}
            (Program::And(xs), Junction::And) | (Program::Or(xs), Junction::Or) => out.extend(xs),
            (other, _) => out.push(other),
        }
    }
    match (out.len(), junction) {
        (0, _) => Program::Const(neutral),
        (1, _) => out.pop().unwrap_or(Program::Const(neutral)),
        (_, Junction::And) => Program::And(out),
        (_, Junction::Or) => Program::Or(out),
    }
}

/// Whether every requirement leaf of a condition becomes exactly one literal of its
/// program, so that the explanation's score (share of leaves met) can be counted on the
/// program's literals. Not so for what normalising folds or splits (constants, `between`,
/// an `at_least` that becomes a constant), nor for what the explanation opens up and the
/// program keeps whole (`eligible(…)`, `if`, year quantifiers).
pub(super) fn literal_per_leaf(n: &Node, set: &PolicySet, depth: usize) -> bool {
    use NodeKind as K;
    if depth > 200 {
        return false;
    }
    match &n.kind {
        K::Not(x) => literal_per_leaf(x, set, depth + 1),
        K::And(xs) | K::Or(xs) => !xs.is_empty() && xs.iter().all(|x| literal_per_leaf(x, set, depth + 1)),
        K::AtLeast(k, xs) => *k >= 1 && (*k as usize) <= xs.len() && xs.iter().all(|x| literal_per_leaf(x, set, depth + 1)),
        K::Def(i) if n.ty == Ty::Bool => set.definitions.get(*i).is_some_and(|d| literal_per_leaf(&d.node, set, depth + 1)),
        K::Const(_) | K::Between { .. } | K::Eligible(_) | K::If { .. } | K::Quantified { .. } => false,
        _ => n.ty == Ty::Bool,
    }
}
