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
//! microseconds; the benchmark (`latency --guards-too`) measures both; benches/WHY.md
//! has the steps that got it there.
//!
//! # Slots
//!
//! The bitsets are over *slots*, the algebra's own numbering of the policies it decides:
//! policies with more `or`s across sources first, so that layer `k`'s accumulators are a
//! prefix of the words; then by the least used source a policy reads, so that a rarely
//! read source's sets cover a few neighbouring words (its *span*), not all of them.
//!
//! # The files
//!
//! - [`split`]: which policies the algebra decides, and each source's parts of them.
//! - [`classes`]: a source's class sets, computed whole or derived from the nearest kept
//!   class.
//! - this file: the [`Algebra`], its slots, and the match (folding each source's class
//!   into the accumulators, then the verdicts).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

use rustc_hash::FxHashMap;

mod classes;
mod split;

use super::bits::Bits;
use super::program::{flatten, Instr, Program};
use super::PredicateId;
use crate::eval::Tri;
use classes::{extract, span_of, ClassSets, Pair, SourceSets, OR_PART};
pub(super) use split::{split, Parts, Split};

/// Bytes of class bitsets one index keeps at most.
pub(super) const CACHE_BYTES: usize = 64 << 20;

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

pub(super) fn set_bit(words: &mut [u64], i: u32) {
    if let Some(w) = words.get_mut((i >> 6) as usize) {
        *w |= 1 << (i & 63);
    }
}

pub(super) fn get_bit(words: &[u64], i: u32) -> bool {
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
        crate::sort::sort_by_key(&mut policy_of, |&p| {
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
                crate::sort::sort(&mut layers);
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
