//! The class sets of one source: how a class's bitsets are computed from its pattern
//! (whole, or from the nearest kept class), and the pattern itself.

use std::sync::RwLock;

use rustc_hash::FxHashMap;

use super::split::Parts;
use super::{get_bit, set_bit};
use crate::eval::Tri;
use crate::index::kleene::{self, Junction};
use crate::index::program::Program;
use crate::index::PredicateId;

/// A bitset over policies.
pub(super) type Words = Box<[u64]>;

/// One bitset pair over policies: the true set, and the not-false set (`None` when it
/// is the true set: nothing unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pair {
    pub(super) truth: Box<[u64]>,
    pub(super) not_false: Option<Box<[u64]>>,
}

impl Pair {
    pub(super) fn new(truth: Box<[u64]>, not_false: Box<[u64]>) -> Pair {
        let not_false = (not_false != truth).then_some(not_false);
        Pair { truth, not_false }
    }

    pub(super) fn not_false(&self) -> &[u64] {
        self.not_false.as_deref().unwrap_or(&self.truth)
    }

    pub(super) fn bytes(&self) -> usize {
        8 * (self.truth.len() + self.not_false.as_ref().map_or(0, |n| n.len()))
    }
}

/// One class's sets: for the source's `and` clauses (policies the source does not
/// constrain are in both sets), and per layer it takes part in, for its parts of the
/// layer's `or` clauses (only the policies whose clause has a part here are in them).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ClassSets {
    pub(super) and: Pair,
    pub(super) ors: Vec<Pair>,
}

impl ClassSets {
    pub(super) fn bytes(&self) -> usize {
        self.and.bytes() + self.ors.iter().map(Pair::bytes).sum::<usize>()
    }
}

/// The clauses of one value source and its classes seen so far.
pub(super) struct SourceSets {
    /// The source's predicate range.
    pub(super) first: PredicateId,
    pub(super) end: PredicateId,
    /// What it decides, over slots (see [`Algebra`]), not policy numbers.
    pub(super) parts: Parts,
    /// The words of slots its `and` sets cover: outside them every slot is true.
    pub(super) and_span: (usize, usize),
    /// The layers its `or` parts are in, in order (`ClassSets::ors` follows it), with
    /// the words each covers: outside them every slot is false.
    pub(super) layers: Vec<(u16, (usize, usize))>,
    /// The class of a missing value (every predicate unknown).
    pub(super) missing: ClassSets,
    /// Per predicate of the source (from `first`), the parts that read it: an index
    /// into `parts.ands`, or into `parts.ors` with [`OR_PART`] set.
    pub(super) readers: Vec<Vec<u32>>,
    /// Class pattern (known words, then true words, of the source's range) → sets.
    pub(super) classes: RwLock<FxHashMap<Box<[u64]>, ClassSets>>,
}

/// Copies bits `first..end` of `words` to the front of `out` (appended, word by word).
pub(super) fn extract(words: &[u64], first: PredicateId, end: PredicateId, out: &mut Vec<u64>) {
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
pub(super) const OR_PART: u32 = 1 << 31;

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
pub(super) fn span_of(slots: impl Iterator<Item = u32>) -> (usize, usize) {
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
    pub(super) fn class_near(&self, pattern: &[u64], kept: &FxHashMap<Box<[u64]>, ClassSets>) -> ClassSets {
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
        crate::sort::sort(&mut touched);
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
    pub(super) fn class(&self, pattern: &[u64]) -> ClassSets {
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

#[cfg(test)]
mod tests {
    use super::super::{split, Algebra};
    use super::*;
    use crate::index::bits::Bits;

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
}
