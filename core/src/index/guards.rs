//! Guard layout: which literal files each policy, and how the filed policies are laid out
//! for a match.
//!
//! Each conjunctive policy is filed under one *guard* literal it requires (the k-index /
//! percolator pre-filter idea): the literal least likely to hold, by a sample of the
//! population when there is one and by [structural estimates](super::leaves::Leaf::truth_estimate)
//! otherwise. A guard that is known false rules out its whole group without a visit.
//! Policies with no required literal are *fallback* policies, run every time; policies
//! that read another's verdict (`eligible(…)`) are *dependent*, run last in dependency
//! order. This is [`file`].
//!
//! [`lay_out`] then turns the filing into what a match reads: per group, its members in
//! clause form as bit-parallel [`Chunks`] (members that share their second literal share
//! a chunk, so it is one unit clause there) and the rest as interpreter [`Entry`]s with a
//! second required literal checked first; and every program flattened into one arena
//! in group order, so that a match reads it front to back. The chunk members' programs
//! are in the arena too, for explanations and scores.

use std::collections::HashMap;

use super::chunks::{self, Chunks};
use super::program::{flatten, uses_policies, Instr, Program};
use super::PredicateId;

/// One guard group.
pub(super) struct Guard {
    /// The guard literal's slot in the rank table ([`Chunks::slot`]).
    pub(super) slot: u32,
    /// Its policies in clause form, as bit-parallel chunks (a range of [`Chunks`]).
    pub(super) chunks: (u32, u32),
    /// Its other policies, for the interpreter (a range of `PolicyIndex::entries`).
    pub(super) entries: (u32, u32),
}

/// A guarded policy run on the interpreter: where its program starts, and a second
/// required literal checked before the program runs (`NO_PRED` when there is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) policy: u32,
    pub(super) at: u32,
    pub(super) second: PredicateId,
    pub(super) second_negated: bool,
}

/// No predicate: an entry without a second required literal.
pub(super) const NO_PRED: PredicateId = PredicateId::MAX;

/// A literal: a predicate and whether it is negated.
pub(super) type Literal = (PredicateId, bool);

/// Where each policy goes: guard groups (in guard order, each policy with its second
/// best literal), fallback policies and dependent ones (both in set order).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Filing {
    pub(super) groups: Vec<(Literal, Vec<(u32, Literal)>)>,
    pub(super) fallback: Vec<u32>,
    pub(super) dependent: Vec<u32>,
    /// Policies decided elsewhere ([`algebra`](super::algebra)): their programs are laid
    /// out, for the partial ones to run and for explanations, but not filed.
    pub(super) passive: Vec<u32>,
}

/// Files every policy of `programs`, in the set's order `order`: under its required
/// literal with the lowest `estimate` (per mille not false), or among the fallback or
/// dependent policies.
pub(super) fn file(order: &[usize], programs: &[Program], estimate: &dyn Fn(u32, bool) -> u32) -> Filing {
    let mut guards: HashMap<Literal, Vec<(u32, Literal)>> = HashMap::new();
    let mut filing = Filing::default();
    for &pi in order {
        let Some(prog) = programs.get(pi) else { continue };
        let pi = pi as u32;
        if uses_policies(prog) {
            filing.dependent.push(pi);
            continue;
        }
        let mut ranked: Vec<Literal> = match prog {
            Program::Lit(i, n) => vec![(*i, *n)],
            Program::And(xs) => xs.iter().filter_map(|x| if let Program::Lit(i, n) = x { Some((*i, *n)) } else { None }).collect(),
            Program::Const(_) | Program::Policy(..) | Program::Or(_) | Program::AtLeast(..) => Vec::new(),
        };
        crate::sort::sort_by_key(&mut ranked, |(i, n)| estimate(*i, *n));
        match ranked.first() {
            Some(g) => {
                let second = ranked.get(1).copied().unwrap_or((NO_PRED, false));
                guards.entry(*g).or_default().push((pi, second));
            }
            None => filing.fallback.push(pi),
        }
    }
    filing.groups = guards.into_iter().collect();
    crate::sort::sort_by_key(&mut filing.groups, |(g, _)| *g);
    filing
}

/// What a match reads, laid out from a [`Filing`].
pub(super) struct Layout {
    pub(super) code: Vec<Instr>,
    pub(super) guards: Vec<Guard>,
    pub(super) entries: Vec<Entry>,
    pub(super) chunks: Chunks,
    /// Fallback and dependent policies with where their programs start.
    pub(super) fallback: Vec<(u32, u32)>,
    pub(super) dependent: Vec<(u32, u32)>,
    /// Per policy: where its program starts in the arena (`u32::MAX`: nowhere).
    pub(super) starts: Vec<u32>,
    /// Number of policies filed under a guard.
    pub(super) guarded: usize,
}

/// Lays out `filing` over `programs` and a dictionary of `predicates` predicates.
pub(super) fn lay_out(filing: Filing, programs: &[Program], predicates: usize) -> Layout {
    let mut code = Vec::new();
    let mut starts = vec![u32::MAX; programs.len()];
    let mut place = |p: u32, code: &mut Vec<Instr>| -> (u32, u32) {
        let at = code.len() as u32;
        if let Some(prog) = programs.get(p as usize) {
            flatten(prog, code);
        }
        if let Some(slot) = starts.get_mut(p as usize) {
            *slot = at;
        }
        (p, at)
    };
    let guarded: usize = filing.groups.iter().map(|(_, ps)| ps.len()).sum();
    let mut chunks = Chunks::new(predicates);
    let mut guards: Vec<Guard> = Vec::with_capacity(filing.groups.len());
    let mut entries: Vec<Entry> = Vec::new();
    for ((pred, negated), ps) in filing.groups {
        let mut parallel = Vec::new();
        let first_entry = entries.len() as u32;
        for (p, (second, second_negated)) in ps {
            match programs.get(p as usize).and_then(chunks::clause_form) {
                Some(mut clauses) => {
                    // The guard is tested once for the whole group.
                    clauses.retain(|c| c.as_slice() != [(pred, negated)]);
                    parallel.push((second, (p, clauses)));
                }
                None => {
                    let (policy, at) = place(p, &mut code);
                    entries.push(Entry { policy, at, second, second_negated });
                }
            }
        }
        // Members that share their second literal share a chunk, so that it is one
        // unit clause there, evaluated once for all of them.
        crate::sort::sort_by_key(&mut parallel, |(second, (p, _))| (*second, *p));
        let parallel: Vec<_> = parallel.into_iter().map(|(_, member)| member).collect();
        // Their programs stay in the arena for explanations and scores.
        for (p, _) in &parallel {
            place(*p, &mut code);
        }
        let range = chunks.add_group(&parallel);
        guards.push(Guard { slot: chunks.slot((pred, negated)), chunks: range, entries: (first_entry, entries.len() as u32) });
    }
    let fallback: Vec<(u32, u32)> = filing.fallback.into_iter().map(|p| place(p, &mut code)).collect();
    let dependent: Vec<(u32, u32)> = filing.dependent.into_iter().map(|p| place(p, &mut code)).collect();
    for p in filing.passive {
        place(p, &mut code);
    }
    Layout { code, guards, entries, chunks, fallback, dependent, starts, guarded }
}
