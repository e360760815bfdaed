//! Set algebra over sources: the verdicts of many policies at once, as ANDs of bitsets
//! over policies, one pair per value source.
//!
//! # The idea
//!
//! Most policies are an `and` of clauses that each read one value source: `region in
//! [...]`, `registered_capital >= 500万`, `industry under C or industry under I65`. Once a
//! profile is encoded, a source's predicates have one pattern of known and true bits, and
//! that pattern (the value's *class*) decides every clause over the source, for every
//! policy at once. So per source and class keep two bitsets over policies: the policies
//! whose clauses over the source are *true* (policies the source does not constrain are
//! in it), and those whose clauses are *not false*. Then, under Kleene's `and`:
//!
//! - a policy is eligible when it is in every source's true set;
//! - it is ineligible when it is outside some source's not-false set;
//! - it is undetermined otherwise.
//!
//! A match is then one pattern lookup per source and two ANDs of `policies / 64` words,
//! instead of a visit per policy. A source whose value is missing has one class, every
//! clause unknown, and needs no lookup: its true set is the policies it does not
//! constrain, its not-false set everything.
//!
//! # What it covers, and the rest
//!
//! A clause that reads one source is decided by that source's class. An `or` whose
//! disjuncts each read one source (`industry under C or registered_region in [...]`) is
//! decided by an OR of its parts: each source keeps, per class, the policies whose part
//! of the clause is true and not false, and a match ORs them before the final AND. A
//! policy's `or`s across sources are numbered (*layers*: its first such `or` is in layer
//! 0, its second in layer 1), so a layer is one more pair of accumulators over policies.
//!
//! A policy whose top-level clauses are all of those kinds is *exact*: the algebra
//! decides it. One with some clauses of neither kind (a nested `and` inside an `or`
//! across sources, `at_least(k, …)` across sources) is *partial*: the algebra rules it
//! out when its clauses there are false, and otherwise its other clauses run on the
//! interpreter. Policies with no such clause at all, and those that read another
//! policy's verdict (`eligible(…)`), stay with the guards and chunks
//! ([`guards`](super::guards)). A generic predicate (evaluated by the reference
//! evaluator) is a source of its own, of one predicate.
//!
//! # Classes are computed when first seen
//!
//! The classes of a source cannot all be listed in advance (a text or tag source has a
//! class per combination of its patterns), so a class's bitsets are computed the first
//! time a profile shows it, by evaluating the source's clauses of every policy it
//! constrains on the pattern, and kept in the index behind a read-write lock. The number
//! of classes a source shows is bounded by its predicates (a threshold source with `k`
//! thresholds has at most `2k + 2`), and in practice is small: a region source has one
//! class per region code the policies name, and one for the others. The cache is
//! bounded in bytes ([`CACHE_BYTES`]); past it, a new class is computed for the match
//! and not kept, which costs speed, never a verdict.
//!
//! The trade-off against the guards: the algebra pays `sources × policies / 32` word
//! operations per match whatever the profile, where the guards pay per live group and
//! per program run. At 10k policies that is a few hundred nanoseconds against tens of
//! microseconds; the benchmark (`latency --guards-too`) measures both.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

use rustc_hash::FxHashMap;

use super::bits::Bits;
use super::kleene::{self, Junction};
use super::program::{flatten, Instr, Program};
use super::PredicateId;
use crate::eval::Tri;

/// Bytes of class bitsets one index keeps at most.
pub(super) const CACHE_BYTES: usize = 64 << 20;

/// A bitset over policies.
type Words = Box<[u64]>;

/// One bitset pair over policies: the true set, and the not-false set (`None` when it
/// is the true set: nothing unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pair {
    truth: Box<[u64]>,
    not_false: Option<Box<[u64]>>,
}

impl Pair {
    fn new(truth: Box<[u64]>, not_false: Box<[u64]>) -> Pair {
        let not_false = (not_false != truth).then_some(not_false);
        Pair { truth, not_false }
    }

    fn not_false(&self) -> &[u64] {
        self.not_false.as_deref().unwrap_or(&self.truth)
    }

    fn bytes(&self) -> usize {
        8 * (self.truth.len() + self.not_false.as_ref().map_or(0, |n| n.len()))
    }
}

/// One class's sets: for the source's `and` clauses (policies the source does not
/// constrain are in both sets), and per layer it takes part in, for its parts of the
/// layer's `or` clauses (only the policies whose clause has a part here are in them).
#[derive(Debug, PartialEq, Eq)]
struct ClassSets {
    and: Pair,
    ors: Vec<Pair>,
}

impl ClassSets {
    fn bytes(&self) -> usize {
        self.and.bytes() + self.ors.iter().map(Pair::bytes).sum::<usize>()
    }
}

/// What one source decides: the `and` clauses over it, and the parts over it of `or`
/// clauses across sources.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Parts {
    /// Each policy the source constrains, with its clauses over the source (an `and`).
    pub(super) ands: Vec<(u32, Vec<Program>)>,
    /// Each `or` clause with disjuncts over the source: its policy, its layer, and those
    /// disjuncts.
    pub(super) ors: Vec<(u32, u16, Vec<Program>)>,
}

/// The clauses of one value source and its classes seen so far.
struct SourceSets {
    /// The source's predicate range.
    first: PredicateId,
    end: PredicateId,
    /// What it decides, over slots (see [`Algebra`]), not policy numbers.
    parts: Parts,
    /// The words of slots its `and` sets cover: outside them every slot is true.
    and_span: (usize, usize),
    /// The layers its `or` parts are in, in order (`ClassSets::ors` follows it), with
    /// the words each covers: outside them every slot is false.
    layers: Vec<(u16, (usize, usize))>,
    /// The class of a missing value (every predicate unknown).
    missing: ClassSets,
    /// Per predicate of the source (from `first`), the parts that read it: an index
    /// into `parts.ands`, or into `parts.ors` with [`OR_PART`] set.
    readers: Vec<Vec<u32>>,
    /// Class pattern (known words, then true words, of the source's range) → sets.
    classes: RwLock<FxHashMap<Box<[u64]>, ClassSets>>,
}

/// Where each policy is decided, as the algebra sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Split {
    /// Policies the algebra decides alone.
    pub(super) exact: Vec<u32>,
    /// Policies it can rule out, whose other clauses run otherwise.
    pub(super) partial: Vec<u32>,
    /// Per partial policy, its clauses outside the algebra (an `and` of them).
    pub(super) residual: Vec<Program>,
    /// Policies for the guards: nothing the algebra decides, or reading another's verdict.
    pub(super) rest: Vec<u32>,
    /// Per layer `k`, the policies with a `k`-th `or` clause across sources.
    pub(super) layers: Vec<Vec<u32>>,
}

/// The algebra of an index. Its bitsets are over *slots*, its own numbering of the
/// policies it decides ([`Algebra::new`]).
#[derive(Default)]
pub(super) struct Algebra {
    /// Slots decided here alone.
    exact: Box<[u64]>,
    /// Every slot: what the `and` accumulators start from.
    decided: Box<[u64]>,
    /// Per layer, the words of its accumulators (layer `k` covers slot words `0..w`).
    layer_words: Vec<usize>,
    /// Every layer's accumulators at the start of a match: per layer its true words
    /// then its not-false words, false for the slots with a clause in the layer and
    /// true for the others (neutral for the final `and`).
    layer_start: Box<[u64]>,
    /// Slot → policy.
    policy_of: Vec<u32>,
    /// The policies it does not decide (on the guards), in set order.
    rest: Vec<u32>,
    /// Partial policies: slot, policy, and where its residual clauses start in `code`.
    partial: Vec<(u32, u32, u32)>,
    /// The partial policies' residual clauses, flattened.
    pub(super) code: Vec<Instr>,
    sources: Vec<SourceSets>,
    cached: AtomicUsize,
}

/// The source a subprogram reads, when it reads exactly one and no other policy's
/// verdict: `Some(Some(s))`; `Some(None)` when it reads no source at all (a constant);
/// `None` when it reads several, a predicate of no source or a verdict.
fn single_source(p: &Program, source_of: &dyn Fn(PredicateId) -> Option<usize>) -> Option<Option<usize>> {
    match p {
        Program::Const(_) => Some(None),
        Program::Lit(id, _) => source_of(*id).map(Some),
        Program::Policy(..) => None,
        Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => {
            let mut found = None;
            for x in xs {
                match (single_source(x, source_of)?, found) {
                    (None, _) => {}
                    (Some(s), None) => found = Some(s),
                    (Some(s), Some(f)) if s == f => {}
                    (Some(_), Some(_)) => return None,
                }
            }
            Some(found)
        }
    }
}

/// An `or` whose every disjunct reads one source: its disjuncts by source, in source
/// order. `None` for anything else.
fn or_by_source(p: &Program, source_of: &dyn Fn(PredicateId) -> Option<usize>) -> Option<Vec<(usize, Vec<Program>)>> {
    let xs = match p {
        Program::Or(xs) | Program::AtLeast(1, xs) if !xs.is_empty() => xs,
        Program::Or(_) | Program::AtLeast(..) | Program::Const(_) | Program::Lit(..) | Program::Policy(..) | Program::And(_) => {
            return None
        }
    };
    let mut by: Vec<(usize, Vec<Program>)> = Vec::new();
    for x in xs {
        let s = single_source(x, source_of)??;
        match by.iter_mut().find(|(t, _)| *t == s) {
            Some((_, list)) => list.push(x.clone()),
            None => by.push((s, vec![x.clone()])),
        }
    }
    by.sort_by_key(|(s, _)| *s);
    Some(by)
}

/// A program's top-level clauses: the children of an `and`, or the program itself.
fn top_clauses(p: &Program) -> &[Program] {
    match p {
        Program::And(xs) => xs,
        Program::Const(_) | Program::Lit(..) | Program::Policy(..) | Program::Or(_) | Program::AtLeast(..) => std::slice::from_ref(p),
    }
}

/// Splits the policies of `programs`: `source_ranges` are the sources' predicate ranges
/// in id order. Returns the split, and per source what it decides.
pub(super) fn split(programs: &[Program], source_ranges: &[(PredicateId, PredicateId)]) -> (Split, Vec<Parts>) {
    let source_of = |id: PredicateId| -> Option<usize> {
        let at = source_ranges.partition_point(|(first, _)| *first <= id);
        let s = at.checked_sub(1)?;
        let (first, end) = *source_ranges.get(s)?;
        (first <= id && id < end).then_some(s)
    };
    let mut out = Split::default();
    let mut per_source: Vec<Parts> = vec![Parts::default(); source_ranges.len()];
    for (i, p) in programs.iter().enumerate() {
        let i = i as u32;
        if super::program::uses_policies(p) {
            out.rest.push(i);
            continue;
        }
        let mut ands: Vec<(usize, Program)> = Vec::new();
        let mut ors: Vec<Vec<(usize, Vec<Program>)>> = Vec::new();
        let mut outside = Vec::new();
        for c in top_clauses(p) {
            match single_source(c, &source_of) {
                Some(Some(s)) => ands.push((s, c.clone())),
                Some(None) | None => match or_by_source(c, &source_of) {
                    Some(by) => ors.push(by),
                    None => outside.push(c.clone()),
                },
            }
        }
        if ands.is_empty() && ors.is_empty() {
            out.rest.push(i);
            continue;
        }
        ands.sort_by_key(|(s, _)| *s);
        let mut it = ands.into_iter().peekable();
        while let Some((s, c)) = it.next() {
            let mut cs = vec![c];
            while let Some((_, c)) = it.next_if(|(t, _)| *t == s) {
                cs.push(c);
            }
            if let Some(parts) = per_source.get_mut(s) {
                parts.ands.push((i, cs));
            }
        }
        for (k, by) in ors.into_iter().enumerate() {
            if out.layers.len() <= k {
                out.layers.push(Vec::new());
            }
            if let Some(layer) = out.layers.get_mut(k) {
                layer.push(i);
            }
            for (s, xs) in by {
                if let Some(parts) = per_source.get_mut(s) {
                    parts.ors.push((i, k as u16, xs));
                }
            }
        }
        if outside.is_empty() {
            out.exact.push(i);
        } else {
            out.partial.push(i);
            out.residual.push(if outside.len() == 1 { outside.swap_remove(0) } else { Program::And(outside) });
        }
    }
    (out, per_source)
}

fn set_bit(words: &mut [u64], i: u32) {
    if let Some(w) = words.get_mut((i >> 6) as usize) {
        *w |= 1 << (i & 63);
    }
}

fn get_bit(words: &[u64], i: u32) -> bool {
    words.get((i >> 6) as usize).is_some_and(|w| w >> (i & 63) & 1 == 1)
}

fn mask_of(ids: impl IntoIterator<Item = u32>, words: usize) -> Box<[u64]> {
    let mut m = vec![0u64; words].into_boxed_slice();
    for i in ids {
        set_bit(&mut m, i);
    }
    m
}

fn and_into(acc: &mut [u64], by: &[u64]) {
    for (a, b) in acc.iter_mut().zip(by) {
        *a &= *b;
    }
}

fn or_into(acc: &mut [u64], by: &[u64]) {
    for (a, b) in acc.iter_mut().zip(by) {
        *a |= *b;
    }
}

/// Copies bits `first..end` of `words` to the front of `out` (appended, word by word).
fn extract(words: &[u64], first: PredicateId, end: PredicateId, out: &mut Vec<u64>) {
    let n = end.saturating_sub(first) as usize;
    let (base, shift) = ((first >> 6) as usize, first & 63);
    for i in 0..n.div_ceil(64) {
        let lo = words.get(base + i).copied().unwrap_or(0) >> shift;
        let hi = if shift == 0 { 0 } else { words.get(base + i + 1).copied().unwrap_or(0) << (64 - shift) };
        let left = n - i * 64;
        let keep = if left >= 64 { u64::MAX } else { (1u64 << left) - 1 };
        out.push((lo | hi) & keep);
    }
}

/// A clause's value on a class pattern (`known` and `truth` words of the source's range,
/// which starts at predicate `first`).
fn clause_tri(p: &Program, first: PredicateId, known: &[u64], truth: &[u64]) -> Tri {
    match p {
        Program::Const(t) => *t,
        Program::Lit(id, neg) => {
            let at = id.saturating_sub(first);
            if get_bit(known, at) {
                kleene::literal(true, get_bit(truth, at), *neg)
            } else {
                Tri::Unknown
            }
        }
        // Not a single-source clause: never filed here ([`split`]).
        Program::Policy(..) => Tri::Unknown,
        Program::And(xs) => Junction::And.eval(xs.iter().map(|x| clause_tri(x, first, known, truth))),
        Program::Or(xs) => Junction::Or.eval(xs.iter().map(|x| clause_tri(x, first, known, truth))),
        Program::AtLeast(k, xs) => {
            let (t, u) = xs.iter().fold((0, 0), |n, x| clause_tri(x, first, known, truth).tally(n));
            Tri::at_least(*k, t, u)
        }
    }
}

/// Marks an index into a source's `or` parts in its readers (else: into its `and` parts).
const OR_PART: u32 = 1 << 31;

/// Kept classes a new class is derived from are looked for among at most this many.
const NEAREST_SCAN: usize = 256;

/// Sets or clears policy `p`'s bits in a pair by its value `t`.
fn put(t: Tri, p: u32, truth: &mut [u64], not_false: &mut [u64]) {
    let (w, bit) = ((p >> 6) as usize, 1u64 << (p & 63));
    if let Some(x) = not_false.get_mut(w) {
        *x = if t == Tri::False { *x & !bit } else { *x | bit };
    }
    if let Some(x) = truth.get_mut(w) {
        *x = if t == Tri::True { *x | bit } else { *x & !bit };
    }
}

/// Sets policy `p`'s bits in a pair under construction by its value `t`.
fn mark(t: Tri, p: u32, truth: &mut [u64], not_false: &mut [u64]) {
    if t != Tri::False {
        set_bit(not_false, p);
    }
    if t == Tri::True {
        set_bit(truth, p);
    }
}

/// The words `[a, b)` that hold the slots of `slots` (empty when there are none).
fn span_of(slots: impl Iterator<Item = u32>) -> (usize, usize) {
    let (mut a, mut b) = (usize::MAX, 0);
    for p in slots {
        let w = (p >> 6) as usize;
        a = a.min(w);
        b = b.max(w + 1);
    }
    if a == usize::MAX {
        (0, 0)
    } else {
        (a, b)
    }
}

impl SourceSets {
    /// The sets of the class `pattern`, derived from the nearest kept class when there
    /// is one: only the parts that read a predicate whose bits differ are evaluated
    /// again. A source's classes differ in few predicates (a threshold source's next
    /// interval in one), so a new class costs a few parts instead of all.
    fn class_near(&self, pattern: &[u64], kept: &FxHashMap<Box<[u64]>, ClassSets>) -> ClassSets {
        let mut best: Option<(u32, &[u64], &ClassSets)> = None;
        for (k, c) in kept.iter().take(NEAREST_SCAN) {
            let d: u32 = k.iter().zip(pattern).map(|(a, b)| (a ^ b).count_ones()).sum();
            if best.is_none_or(|(bd, _, _)| d < bd) {
                best = Some((d, k, c));
            }
        }
        let Some((d, near, base)) = best else { return self.class(pattern) };
        // Past a quarter of the parts, evaluating them all is as cheap.
        let half = pattern.len() / 2;
        let (known, truth) = pattern.split_at(half);
        let mut touched: Vec<u32> = Vec::new();
        let budget = (self.parts.ands.len() + self.parts.ors.len()) / 4 + 1;
        if d as usize > budget {
            return self.class(pattern);
        }
        for (i, (a, b)) in near.iter().zip(pattern).enumerate() {
            let mut x = a ^ b;
            while x != 0 {
                let bit = (i % half.max(1)) * 64 + x.trailing_zeros() as usize;
                x &= x - 1;
                for r in self.readers.get(bit).map_or(&[][..], Vec::as_slice) {
                    touched.push(*r);
                }
                if touched.len() > budget {
                    return self.class(pattern);
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        let own = |p: &Pair| (p.truth.clone(), p.not_false.clone().unwrap_or_else(|| p.truth.clone()));
        let (mut t, mut nf) = own(&base.and);
        let mut ors: Vec<(Words, Words)> = base.ors.iter().map(own).collect();
        let base_slot = (self.and_span.0 * 64) as u32;
        for r in touched {
            if r & OR_PART == 0 {
                let Some((p, cs)) = self.parts.ands.get(r as usize) else { continue };
                let v = Junction::And.eval(cs.iter().map(|c| clause_tri(c, self.first, known, truth)));
                put(v, *p - base_slot, &mut t, &mut nf);
            } else {
                let Some((p, layer, xs)) = self.parts.ors.get((r & !OR_PART) as usize) else { continue };
                let Some(at) = self.layers.iter().position(|(l, _)| l == layer) else { continue };
                let (Some((lt, lnf)), Some((_, (a, _)))) = (ors.get_mut(at), self.layers.get(at)) else { continue };
                let v = Junction::Or.eval(xs.iter().map(|c| clause_tri(c, self.first, known, truth)));
                put(v, *p - (*a * 64) as u32, lt, lnf);
            }
        }
        ClassSets { and: Pair::new(t, nf), ors: ors.into_iter().map(|(t, nf)| Pair::new(t, nf)).collect() }
    }

    /// Computes the sets of the class `pattern` (known words, then true words).
    fn class(&self, pattern: &[u64]) -> ClassSets {
        let (known, truth) = pattern.split_at(pattern.len() / 2);
        let (a, b) = self.and_span;
        // Bit `p - 64a` of a set over the span is slot `p`.
        let base = (a * 64) as u32;
        let mut t = vec![u64::MAX; b - a].into_boxed_slice();
        for (p, _) in &self.parts.ands {
            if let Some(w) = t.get_mut(((*p - base) >> 6) as usize) {
                *w &= !(1 << (*p & 63));
            }
        }
        let mut nf = t.clone();
        for (p, cs) in &self.parts.ands {
            mark(Junction::And.eval(cs.iter().map(|c| clause_tri(c, self.first, known, truth))), *p - base, &mut t, &mut nf);
        }
        let and = Pair::new(t, nf);
        let mut ors: Vec<(Words, Words)> =
            self.layers.iter().map(|(_, (a, b))| (vec![0u64; b - a].into_boxed_slice(), vec![0u64; b - a].into_boxed_slice())).collect();
        for (p, layer, xs) in &self.parts.ors {
            let Some(at) = self.layers.iter().position(|(l, _)| l == layer) else { continue };
            let (Some((t, nf)), Some((_, (a, _)))) = (ors.get_mut(at), self.layers.get(at)) else { continue };
            let v = Junction::Or.eval(xs.iter().map(|c| clause_tri(c, self.first, known, truth)));
            mark(v, *p - (*a * 64) as u32, t, nf);
        }
        ClassSets { and, ors: ors.into_iter().map(|(t, nf)| Pair::new(t, nf)).collect() }
    }
}

/// A match's accumulators and scratch, kept in the [`Matcher`](super::Matcher).
#[derive(Clone, Debug, Default)]
pub(super) struct Scratch {
    truth: Vec<u64>,
    not_false: Vec<u64>,
    /// Per layer, its true words then its not-false words (see `Algebra::layer_words`).
    layers: Vec<u64>,
    pattern: Vec<u64>,
}

impl Algebra {
    /// The algebra of `split` and `per_source` (from [`split`]).
    ///
    /// The policies it decides get *slots*, numbered so that the bitsets a match reads
    /// are short: policies with more `or`s across sources first (so layer `k` is the
    /// slots before the count of policies with more than `k` of them, a prefix), and
    /// within that by the least used source they read (so that a rarely read source's
    /// policies are neighbours, and its sets cover a few words).
    pub(super) fn new(split: &Split, per_source: Vec<Parts>, source_ranges: &[(PredicateId, PredicateId)]) -> Algebra {
        let decided: Vec<u32> = split.exact.iter().chain(&split.partial).copied().collect();
        let top = decided.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut layers_of = vec![0usize; top];
        for members in &split.layers {
            for &p in members {
                if let Some(n) = layers_of.get_mut(p as usize) {
                    *n += 1;
                }
            }
        }
        let mut rarest = vec![(usize::MAX, usize::MAX); top];
        for (s, parts) in per_source.iter().enumerate() {
            for (p, _) in &parts.ands {
                if let Some(r) = rarest.get_mut(*p as usize) {
                    *r = (*r).min((parts.ands.len(), s));
                }
            }
        }
        let mut policy_of = decided;
        policy_of.sort_by_key(|&p| {
            let i = p as usize;
            (std::cmp::Reverse(layers_of.get(i).copied().unwrap_or(0)), rarest.get(i).copied().unwrap_or((usize::MAX, usize::MAX)), p)
        });
        let mut slot_of = vec![u32::MAX; top];
        for (slot, &p) in policy_of.iter().enumerate() {
            if let Some(x) = slot_of.get_mut(p as usize) {
                *x = slot as u32;
            }
        }
        let slot = |p: u32| slot_of.get(p as usize).copied().unwrap_or(u32::MAX);
        let words = policy_of.len().div_ceil(64);
        let sources = per_source
            .into_iter()
            .zip(source_ranges)
            .filter(|(parts, _)| !parts.ands.is_empty() || !parts.ors.is_empty())
            .map(|(parts, &(first, end))| {
                let parts = Parts {
                    ands: parts.ands.into_iter().map(|(p, cs)| (slot(p), cs)).collect(),
                    ors: parts.ors.into_iter().map(|(p, l, xs)| (slot(p), l, xs)).collect(),
                };
                let mut layers: Vec<u16> = parts.ors.iter().map(|(_, l, _)| *l).collect();
                layers.sort_unstable();
                layers.dedup();
                let layers =
                    layers.into_iter().map(|l| (l, span_of(parts.ors.iter().filter(|(_, k, _)| *k == l).map(|(p, _, _)| *p)))).collect();
                let n = end.saturating_sub(first) as usize;
                let mut readers: Vec<Vec<u32>> = vec![Vec::new(); n];
                let mut note = |prog: &Program, r: u32| {
                    prog.for_each_leaf(&mut |leaf| {
                        if let Program::Lit(id, _) = leaf {
                            if let Some(list) = readers.get_mut(id.saturating_sub(first) as usize) {
                                if list.last() != Some(&r) {
                                    list.push(r);
                                }
                            }
                        }
                    })
                };
                for (i, (_, cs)) in parts.ands.iter().enumerate() {
                    cs.iter().for_each(|c| note(c, i as u32));
                }
                for (i, (_, _, xs)) in parts.ors.iter().enumerate() {
                    xs.iter().for_each(|x| note(x, i as u32 | OR_PART));
                }
                let mut src = SourceSets {
                    first,
                    end,
                    readers,
                    and_span: span_of(parts.ands.iter().map(|(p, _)| *p)),
                    parts,
                    layers,
                    missing: ClassSets { and: Pair { truth: Box::new([]), not_false: None }, ors: Vec::new() },
                    classes: RwLock::new(FxHashMap::default()),
                };
                src.missing = src.class(&vec![0u64; 2 * n.div_ceil(64)]);
                src
            })
            .collect();
        let mut code = Vec::new();
        let mut partial = Vec::with_capacity(split.partial.len());
        for (&p, r) in split.partial.iter().zip(&split.residual) {
            partial.push((slot(p), p, code.len() as u32));
            flatten(r, &mut code);
        }
        // Layer `k`: the slots of policies with more than `k` ors across sources, a prefix;
        // its accumulators start false there and true past it (neutral for the `and`).
        let mut layer_words = Vec::new();
        let mut layer_start = Vec::new();
        for members in &split.layers {
            let n = members.len();
            let w = n.div_ceil(64);
            let mut start = vec![0u64; w];
            if let Some(last) = start.last_mut() {
                if n % 64 != 0 {
                    *last = !((1u64 << (n % 64)) - 1);
                }
            }
            layer_words.push(w);
            layer_start.extend_from_slice(&start);
            layer_start.extend_from_slice(&start);
        }
        let exact = mask_of(split.exact.iter().map(|&p| slot(p)), words);
        Algebra {
            code,
            exact,
            decided: mask_of(0..policy_of.len() as u32, words),
            layer_words,
            layer_start: layer_start.into_boxed_slice(),
            policy_of,
            rest: split.rest.clone(),
            partial,
            sources,
            cached: AtomicUsize::new(0),
        }
    }

    /// Whether it decides anything.
    pub(super) fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Number of policies it decides alone.
    pub(super) fn exact_count(&self) -> usize {
        self.exact.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of policies it can rule out before their other clauses run.
    pub(super) fn partial_count(&self) -> usize {
        self.partial.len()
    }

    /// Bytes of class sets kept so far, and the fixed part.
    pub(super) fn heap_bytes(&self) -> usize {
        let parts: usize = self.sources.iter().map(|s| (s.parts.ands.len() + s.parts.ors.len()) * 40 + s.missing.bytes()).sum();
        self.cached.load(Ordering::Relaxed)
            + parts
            + (self.exact.len() + self.decided.len() + self.layer_start.len() + self.policy_of.len() / 2) * 8
            + self.partial.len() * 12
            + self.code.len() * std::mem::size_of::<Instr>()
    }

    /// Classes kept so far, over every source.
    pub(super) fn classes(&self) -> usize {
        self.sources.iter().map(|s| s.classes.read().unwrap_or_else(PoisonError::into_inner).len()).sum()
    }

    /// Folds one source's class into the accumulators.
    fn fold(&self, src: &SourceSets, c: &ClassSets, s: &mut Scratch) {
        let (a, b) = src.and_span;
        if let Some(t) = s.truth.get_mut(a..b) {
            and_into(t, &c.and.truth);
        }
        if let Some(nf) = s.not_false.get_mut(a..b) {
            and_into(nf, c.and.not_false());
        }
        for ((layer, (a, b)), pair) in src.layers.iter().zip(&c.ors) {
            let at: usize = self.layer_words.iter().take(*layer as usize).map(|w| 2 * w).sum();
            let w = self.layer_words.get(*layer as usize).copied().unwrap_or(0);
            if let Some(t) = s.layers.get_mut(at + a..at + b) {
                or_into(t, &pair.truth);
            }
            if let Some(nf) = s.layers.get_mut(at + w + a..at + w + b) {
                or_into(nf, pair.not_false());
            }
        }
    }

    /// Runs the algebra on an encoded profile (`known`, `truth`): writes the verdicts of
    /// the exact policies into `results` (whose other entries it leaves alone). The
    /// partial policies to run next are [`Algebra::partial_live`].
    pub(super) fn run(&self, known: &Bits, truth: &Bits, s: &mut Scratch, results: &mut [Tri]) {
        s.truth.clear();
        s.truth.extend_from_slice(&self.decided);
        s.not_false.clear();
        s.not_false.extend_from_slice(&self.decided);
        s.layers.clear();
        s.layers.extend_from_slice(&self.layer_start);
        for src in &self.sources {
            s.pattern.clear();
            extract(known.words(), src.first, src.end, &mut s.pattern);
            if s.pattern.iter().all(|w| *w == 0) {
                // A missing value: one class, kept apart.
                self.fold(src, &src.missing, s);
                continue;
            }
            extract(truth.words(), src.first, src.end, &mut s.pattern);
            let classes = src.classes.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(c) = classes.get(s.pattern.as_slice()) {
                self.fold(src, c, s);
                continue;
            }
            let c = src.class_near(&s.pattern, &classes);
            drop(classes);
            self.fold(src, &c, s);
            let bytes = c.bytes();
            if self.cached.load(Ordering::Relaxed) + bytes <= CACHE_BYTES {
                let mut classes = src.classes.write().unwrap_or_else(PoisonError::into_inner);
                if !classes.contains_key(s.pattern.as_slice()) {
                    classes.insert(s.pattern.clone().into_boxed_slice(), c);
                    self.cached.fetch_add(bytes, Ordering::Relaxed);
                }
            }
        }
        let mut at = 0;
        for w in &self.layer_words {
            if let (Some(t), Some(nf)) = (s.layers.get(at..at + w), s.layers.get(at + w..at + 2 * w)) {
                if let Some(acc) = s.truth.get_mut(..*w) {
                    and_into(acc, t);
                }
                if let Some(acc) = s.not_false.get_mut(..*w) {
                    and_into(acc, nf);
                }
            }
            at += 2 * w;
        }
        for (((&t, &nf), &exact), slots) in s.truth.iter().zip(&s.not_false).zip(self.exact.iter()).zip(self.policy_of.chunks(64)) {
            let mut x = nf & exact;
            while x != 0 {
                let b = x.trailing_zeros();
                x &= x - 1;
                if let Some(slot) = slots.get(b as usize).and_then(|&p| results.get_mut(p as usize)) {
                    *slot = if t >> b & 1 == 1 { Tri::True } else { Tri::Unknown };
                }
            }
        }
    }

    /// Marks in `marks` (bits over policies) the eligible policies of the last match:
    /// the exact ones from the accumulators, the others from `results`.
    pub(super) fn mark_eligible(&self, s: &Scratch, results: &[Tri], marks: &mut [u64]) {
        for ((&t, &exact), slots) in s.truth.iter().zip(self.exact.iter()).zip(self.policy_of.chunks(64)) {
            let mut x = t & exact;
            while x != 0 {
                let b = x.trailing_zeros();
                x &= x - 1;
                if let Some(&p) = slots.get(b as usize) {
                    set_bit(marks, p);
                }
            }
        }
        for &p in self.partial.iter().map(|(_, p, _)| p).chain(&self.rest) {
            if results.get(p as usize) == Some(&Tri::True) {
                set_bit(marks, p);
            }
        }
    }

    /// The partial policies the last [`Algebra::run`] did not rule out: each with where
    /// its residual clauses start in [`Algebra::code`], and the value of its clauses in
    /// the algebra (true or unknown), to `and` with theirs.
    pub(super) fn partial_live<'a>(&'a self, s: &'a Scratch) -> impl Iterator<Item = (u32, u32, Tri)> + 'a {
        self.partial
            .iter()
            .filter(|(slot, _, _)| get_bit(&s.not_false, *slot))
            .map(|&(slot, p, at)| (p, at, if get_bit(&s.truth, slot) { Tri::True } else { Tri::Unknown }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_shifts_any_range_to_the_front() {
        let mut bits = Bits::new(300);
        for i in [3u32, 64, 70, 127, 128, 200, 299] {
            bits.set(i);
        }
        for (first, end) in [(0u32, 300u32), (3, 4), (60, 140), (64, 128), (65, 300), (199, 201), (10, 10)] {
            let mut out = Vec::new();
            extract(bits.words(), first, end, &mut out);
            assert_eq!(out.len(), ((end - first) as usize).div_ceil(64));
            for i in first..end {
                assert_eq!(get_bit(&out, i - first), bits.get(i), "bit {i} of {first}..{end}");
            }
            // Nothing past the range.
            let n = (end - first) as usize;
            for j in n..out.len() * 64 {
                assert!(!get_bit(&out, j as u32), "bit {j} past {first}..{end}");
            }
        }
    }

    /// A class derived from a kept one equals the class computed from scratch, for
    /// every pair of patterns over a small source, with `and` and `or` parts.
    #[test]
    fn a_class_derived_from_a_neighbour_equals_one_computed_whole() {
        let lit = |i, n| Program::Lit(i, n);
        // Source 0 is predicates 0..5, source 1 predicate 5.
        let ranges = [(0, 5), (5, 6)];
        let programs = vec![
            Program::And(vec![lit(0, false), lit(1, true)]),
            Program::Or(vec![lit(2, false), lit(3, false)]),
            Program::And(vec![Program::Or(vec![lit(4, false), lit(5, false)]), lit(0, true)]),
            Program::AtLeast(2, vec![lit(1, false), lit(2, false), lit(4, true)]),
            Program::Or(vec![lit(3, true), lit(5, true)]),
            lit(4, false),
        ];
        let (split, per_source) = split(&programs, &ranges);
        let algebra = Algebra::new(&split, per_source, &ranges);
        let src = algebra.sources.first().expect("source 0");
        // Every (known, truth) pattern over 5 predicates: known 0..32, truth within it.
        let patterns: Vec<Vec<u64>> = (0u64..32).flat_map(|k| (0u64..32).filter(move |t| t & !k == 0).map(move |t| vec![k, t])).collect();
        assert_eq!(patterns.len(), 243);
        let mut derived = 0;
        for (i, a) in patterns.iter().enumerate().step_by(7) {
            let mut kept = FxHashMap::default();
            kept.insert(a.clone().into_boxed_slice(), src.class(a));
            for b in patterns.iter().skip(i % 5).step_by(3) {
                let whole = src.class(b);
                assert_eq!(src.class_near(b, &kept), whole, "{b:?} from {a:?}");
                derived += 1;
            }
        }
        assert!(derived > 500);
    }

    #[test]
    fn split_sorts_policies_by_what_decides_them() {
        // Sources: 0..3, 3..5, 5..6; predicate 6 is in none.
        let ranges = [(0, 3), (3, 5), (5, 6)];
        let lit = |i| Program::Lit(i, false);
        let and = Program::And;
        let or = Program::Or;
        let programs = vec![
            and(vec![lit(0), lit(3)]),                                                      // exact, two sources
            or(vec![lit(0), lit(1)]),                                                       // exact, one clause
            and(vec![lit(0), or(vec![lit(1), lit(3)])]),                                    // exact: an or across sources
            and(vec![lit(0), lit(5), or(vec![and(vec![lit(0), lit(3)]), lit(4)]), lit(6)]), // partial
            or(vec![lit(0), lit(4)]),                                                       // exact: one or across sources
            and(vec![lit(0), Program::Policy(0, false)]),                                   // rest: reads a verdict
            Program::Const(Tri::True),                                                      // rest
        ];
        let (s, per) = split(&programs, &ranges);
        let residual = vec![Program::And(vec![Program::Or(vec![Program::And(vec![lit(0), lit(3)]), lit(4)]), lit(6)])];
        let want = Split { exact: vec![0, 1, 2, 4], partial: vec![3], residual, rest: vec![5, 6], layers: vec![vec![2, 4]] };
        assert_eq!(s, want);
        let ands = |p: &Parts| p.ands.iter().map(|(p, c)| (*p, c.len())).collect::<Vec<_>>();
        let ors = |p: &Parts| p.ors.iter().map(|(p, l, c)| (*p, *l, c.len())).collect::<Vec<_>>();
        assert_eq!(ands(&per[0]), vec![(0, 1), (1, 1), (2, 1), (3, 1)]);
        assert_eq!(ors(&per[0]), vec![(2, 0, 1), (4, 0, 1)]);
        assert_eq!(ands(&per[1]), vec![(0, 1)]);
        assert_eq!(ors(&per[1]), vec![(2, 0, 1), (4, 0, 1)]);
        assert_eq!(ands(&per[2]), vec![(3, 1)]);
    }
}
