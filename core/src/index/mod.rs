//! The policy index: one enterprise against every policy in microseconds, with exactly the
//! reference evaluator's verdicts.
//!
//! # Design
//!
//! **Compile.** Each policy condition is normalised: definitions are inlined, negation is
//! pushed to the leaves (valid under Kleene logic: `not (a and b)` = `not a or not b`, and
//! `not at_least(k, xs)` = `at_least(n-k+1, not xs)`), `between` becomes two thresholds,
//! constants fold. Every distinct leaf predicate across all policies gets a
//! [`PredicateId`] in a dictionary, and each policy becomes a small [`Program`] over
//! predicate literals.
//!
//! **Encode.** A profile is encoded once as two bitsets over predicate ids: *known* and
//! *true*. Leaves are grouped by their *value source* (a field at a year, a derived field,
//! an arithmetic expression such as `rd_expense@fy1 / operating_revenue@fy1`), and each
//! source is evaluated once per profile. Per source: threshold predicates (`>=`, `>`, `<=`,
//! `<`) are numbered in threshold order, so one binary search sets a contiguous run of bits;
//! equality and `in` predicates are a hash lookup of the value; `under` predicates a lookup
//! per ancestor of the code; text predicates one `str::contains` per distinct literal and one
//! match per distinct regex of the source; tag tests a lookup per tag the enterprise has.
//! What cannot be indexed
//! (qualification tests, as-of-relative dates, year quantifiers…) is a *generic* predicate,
//! evaluated by the reference evaluator — the fallback set.
//!
//! **Match: set algebra over sources.** Most policies are an `and` of clauses that each
//! read one source, and `or`s whose disjuncts each read one. After encoding, a source's
//! bits have one pattern (the value's *class*), and per source and class the index keeps
//! the set of policies whose clauses over the source are true and the set where they are
//! not false, as bitsets over policies ([`algebra`]). A policy's verdict is then the AND
//! of those sets over sources (an `or` across sources: the OR of its parts' sets first):
//! a few word operations per source for every policy at once. Class sets are computed
//! the first time a class is seen and kept, bounded in bytes.
//!
//! **Match: guards, for the rest.** Policies that read another's verdict, or have no
//! clause the algebra can decide, are filed under guards.
//! Each conjunctive policy is filed under one *guard* literal it requires (the
//! k-index / percolator pre-filter idea, choosing the most selective kind: a code, enum or
//! list membership before a threshold). A guard that is known false rules out its whole
//! group without visiting it. A live group's policies that are an `and` of literals and
//! small `or`s are evaluated 64 at a time, each distinct clause once per chunk, without a
//! branch on the values (`chunks`); the others run as programs over the bits on a small
//! interpreter; policies that use `eligible(…)` run last, in dependency order.
//!
//! The trade-off: encoding costs one pass over the distinct predicates, so the index pays
//! when predicates are shared across policies (they are: thresholds come from round
//! values, regions and industries from code lists). Differential property tests check it
//! against the reference evaluator on random policy sets and profiles.
//!
//! # The files
//!
//! Read them in the order a policy goes through them:
//!
//! - [`program`]: the compiled [`Program`] tree, its flattened arena of instructions, and
//!   the rewrites applied to it once the dictionary is numbered.
//! - [`kleene`]: Kleene's `and` / `or` / `not` over true, false and unknown, defined once
//!   for the four evaluators of a program (the interpreter, the explanation walk, the
//!   chunks and the store's blocks) in each one's representation.
//! - [`leaves`]: what a leaf predicate is (threshold, membership, `under`, text, tags,
//!   boolean, generic), and the keys values are compared by.
//! - [`normalise`]: a condition to a program over temporary leaf ids.
//! - [`build`]: the compiler, one function per phase: normalise, number the dictionary,
//!   observe a sample, estimate and order, file under guards, finish.
//! - [`encode`]: the per-source lookup tables, how they are built and how a profile's
//!   values set the known and true bits.
//! - [`algebra`]: the set algebra over sources, which decides most policies: which
//!   policies it decides, the class sets, and the match's ANDs and ORs of them.
//! - [`guards`]: which literal files each policy, and the layout a match reads (groups,
//!   chunks, interpreter entries, the arena).
//! - [`chunks`]: the bit-parallel evaluation of clause-form policies, 64 at a time.
//! - [`exec`]: the match loop and the interpreter; the [`Matcher`]'s buffers.
//! - [`explain`]: why a policy is undetermined, and its score, after a match.
//! - [`bits`]: the bitsets over predicate ids.
//!
//! This file holds what they share: the [`PolicyIndex`] itself, its statistics and
//! accessors.

mod algebra;
mod bits;
mod build;
mod chunks;
mod encode;
mod exec;
mod explain;
mod guards;
pub(crate) mod kleene;
mod leaves;
mod normalise;
mod program;
#[cfg(test)]
mod tests;

use crate::check::Node;

pub use bits::Bits;
pub use exec::Matcher;
pub use program::Program;

use bits::Mask;
use chunks::Chunks;
use encode::{Run, Source};
use guards::{Entry, Guard, NO_PRED};
use leaves::{EqKey, Key};
use program::Instr;

/// Identifies a leaf predicate in the dictionary.
pub type PredicateId = u32;

/// Statistics of a compiled index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    pub policies: usize,
    pub predicates: usize,
    pub sources: usize,
    pub generic_predicates: usize,
    pub guard_groups: usize,
    pub guarded_policies: usize,
    pub fallback_policies: usize,
    pub dependent_policies: usize,
    /// Policies the algebra over sources decides alone, and those it can rule out
    /// before their program runs.
    pub algebra_exact: usize,
    pub algebra_partial: usize,
}

/// The compiled policy index. Built in [`build`](self::build), encoded into by
/// [`encode`](self::encode), matched in [`exec`](self::exec), explained in
/// [`explain`](self::explain).
pub struct PolicyIndex {
    predicates: usize,
    sources: Vec<Source>,
    generic: Vec<(PredicateId, Node)>,
    programs: Vec<Program>,
    /// Every program flattened into one arena, laid out in guard-group order so that a
    /// match reads it front to back.
    code: Vec<Instr>,
    guards: Vec<Guard>,
    entries: Vec<Entry>,
    chunks: Chunks,
    fallback: Vec<(u32, u32)>,
    dependent: Vec<(u32, u32)>,
    /// Per policy: where its program starts in the arena when its score can be counted on
    /// the program ([`literal_per_leaf`]); `u32::MAX` when it cannot.
    scorable: Vec<u32>,
    algebra: algebra::Algebra,
    stats: IndexStats,
}

impl std::fmt::Debug for PolicyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyIndex").field("stats", &self.stats).finish()
    }
}

impl PolicyIndex {
    /// Size and shape of the index.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Approximate heap bytes of the index: the program arena, clause arena, guard
    /// entries, program trees and the per-source lookup tables (keys and id lists).
    /// Generic predicates' nodes are counted at their node size only.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn program(p: &Program) -> usize {
            match p {
                Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => {
                    xs.len() * size_of::<Program>() + xs.iter().map(program).sum::<usize>()
                }
                Program::Const(_) | Program::Lit(..) | Program::Policy(..) => 0,
            }
        }
        let ids = |v: &Vec<PredicateId>| v.len() * size_of::<PredicateId>() + size_of::<Vec<PredicateId>>();
        let sources: usize = self
            .sources
            .iter()
            .map(|s| {
                size_of::<Source>()
                    + s.runs.iter().map(|r| size_of::<Run>() + r.keys.len() * size_of::<Key>()).sum::<usize>()
                    + s.members
                        .iter()
                        .map(|(k, v)| size_of::<EqKey>() + ids(v) + if let EqKey::S(x) = k { x.len() } else { 0 })
                        .sum::<usize>()
                    + s.unders.iter().chain(&s.coarse).map(|(k, v)| k.len() + size_of::<(String, Mask)>() + v.heap_bytes()).sum::<usize>()
                    + s.tags_any.iter().chain(&s.member_texts).map(|(k, v)| k.len() + size_of::<String>() + ids(v)).sum::<usize>()
                    + s.tags_all.iter().map(|(_, t)| 8 + t.iter().map(|x| x.len() + size_of::<String>()).sum::<usize>()).sum::<usize>()
            })
            .sum();
        self.code.len() * size_of::<Instr>()
            + self.chunks.heap_bytes()
            + self.guards.len() * size_of::<Guard>()
            + self.entries.len() * size_of::<Entry>()
            + (self.fallback.len() + self.dependent.len()) * 8
            + self.programs.len() * size_of::<Program>()
            + self.programs.iter().map(program).sum::<usize>()
            + self.scorable.len() * 4
            + self.generic.len() * size_of::<(PredicateId, Node)>()
            + sources
            + self.algebra.heap_bytes()
    }

    /// Classes of values the algebra over sources has seen and keeps (its cache).
    pub fn algebra_classes(&self) -> usize {
        self.algebra.classes()
    }

    /// Number of predicates in the dictionary.
    pub fn predicate_count(&self) -> usize {
        self.predicates
    }

    /// The compiled program of policy `i`.
    pub fn program(&self, i: usize) -> Option<&Program> {
        self.programs.get(i)
    }
}
