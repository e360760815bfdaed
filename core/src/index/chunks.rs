//! Bit-parallel evaluation of guarded policies, 64 at a time.
//!
//! Most conditions are a conjunction of *clauses*, each a literal or a small `or` of
//! literals (`region under 3701 and capital >= 500万 and (has(high_tech) or …)`). The
//! policies of one guard group are cut into chunks of up to 64; each chunk keeps its
//! distinct clauses, each with a 64-bit mask of the members that require it. A match then
//! evaluates every distinct clause of a live chunk once, whatever the number of members
//! that share it, and ORs its mask into the chunk's *false* or *unknown* set: no branch
//! on the values, no interpreter, one pass over a flat array.
//!
//! A literal's value is ranked true = 0 < unknown = 1 < false = 2 ([`kleene::rank`]). A
//! clause (an `or`) is the minimum of its literals' ranks and a conjunction the maximum of
//! its clauses': Kleene's three-valued `and` / `or` ([`Junction::ranks`]). The ranks of
//! all literals are expanded from the known / true bitsets once per profile, eight
//! predicates per step ([`ranks`]).
//!
//! Trade-off: a chunk's clauses are all evaluated even when few members are alive, so the
//! guard that files a policy (its least likely literal) matters as much as before. A
//! chunk does not stop once every member is known to be false: chunks are small (a guard
//! group holds about nine policies at 10k), and a test for it cost more in mispredicted
//! branches than the clauses it saved (measured: 15.3 → 14.4 µs at 10k without it).
//! Policies of another shape
//! (`at_least(k, …)` with k > 1, nested alternatives, `eligible(…)`) stay on the
//! interpreter.

use super::kleene::{self, Junction, RANK_VALUE};
use super::{Bits, PredicateId, Program};
use crate::eval::Tri;

/// A literal in the rank table: the predicate, plus the table's stride when negated.
type Slot = u32;

/// No literal (never stored in a built clause: a clause has at least one literal).
const NO_SLOT: Slot = Slot::MAX;

/// A literal: a predicate and whether it is negated.
pub(super) type Lit = (PredicateId, bool);

/// A policy in clause form: its id and its clauses (each an `or` of literals).
pub(super) type Clausal = (u32, Vec<Vec<Lit>>);

/// One chunk: up to 64 policies of a guard group.
#[derive(Clone, Debug)]
pub(super) struct Chunk {
    /// The members: bit `i` is policy `policies[first + i]`.
    members: u64,
    first: u32,
    units: (u32, u32),
    clauses: (u32, u32),
}

/// The chunks of every guard group, in flat arenas.
#[derive(Clone, Debug, Default)]
pub(super) struct Chunks {
    chunks: Vec<Chunk>,
    /// Policy ids of the chunks' members, in bit order.
    policies: Vec<u32>,
    /// Unit clauses: a literal's slot and the members that require it.
    units: Vec<(Slot, u64)>,
    /// Clauses of several literals: their slots (the first repeated to fill the width:
    /// `or` is idempotent), and the members that require them.
    clauses: Vec<([Slot; CLAUSE_WIDTH], u64)>,
    /// Offset of negated literals in the rank table (predicates rounded up to 64).
    stride: u32,
}

/// The most literals an `or` clause of a chunk holds: clauses are fixed-width, so that a
/// clause is evaluated without a loop (an `or` of more literals stays on the interpreter).
const CLAUSE_WIDTH: usize = 4;

/// The clauses of a program: `Some` when it is a conjunction of literals and `or`s of at
/// most [`CLAUSE_WIDTH`] literals (a single literal or `or` counts), each clause sorted
/// and deduplicated.
pub(super) fn clause_form(p: &Program) -> Option<Vec<Vec<Lit>>> {
    fn clause(p: &Program) -> Option<Vec<(PredicateId, bool)>> {
        let mut lits = match p {
            Program::Lit(id, neg) => vec![(*id, *neg)],
            Program::Or(xs) | Program::AtLeast(1, xs) if !xs.is_empty() => {
                xs.iter().map(|x| if let Program::Lit(id, neg) = x { Some((*id, *neg)) } else { None }).collect::<Option<Vec<_>>>()?
            }
            Program::Const(_) | Program::Policy(..) | Program::And(_) | Program::Or(_) | Program::AtLeast(..) => return None,
        };
        crate::sort::sort(&mut lits);
        lits.dedup();
        (lits.len() <= CLAUSE_WIDTH).then_some(lits)
    }
    let clauses = match p {
        Program::And(xs) if !xs.is_empty() => xs.iter().map(clause).collect::<Option<Vec<_>>>()?,
        Program::And(_) => return None,
        Program::Const(_) | Program::Lit(..) | Program::Policy(..) | Program::Or(_) | Program::AtLeast(..) => vec![clause(p)?],
    };
    Some(clauses)
}

impl Chunks {
    pub(super) fn new(predicates: usize) -> Chunks {
        Chunks { stride: predicates.div_ceil(64) as u32 * 64, ..Chunks::default() }
    }

    /// A literal's slot in the rank table.
    pub(super) fn slot(&self, (id, neg): Lit) -> Slot {
        if neg {
            id + self.stride
        } else {
            id
        }
    }

    /// Files the policies of one guard group (each with its clauses, the guard's unit
    /// clause left out) as chunks; returns the range of chunk indices. A chunk's unit
    /// clauses are kept in slot order, so that their ranks are read in address order.
    pub(super) fn add_group(&mut self, members: &[Clausal]) -> (u32, u32) {
        let start = self.chunks.len() as u32;
        for part in members.chunks(64) {
            let first = self.policies.len() as u32;
            let mut units: Vec<((PredicateId, bool), u64)> = Vec::new();
            let mut multi: Vec<(Vec<(PredicateId, bool)>, u64)> = Vec::new();
            for (bit, (policy, clauses)) in part.iter().enumerate() {
                self.policies.push(*policy);
                for c in clauses {
                    let mask = 1u64 << bit;
                    match c.as_slice() {
                        [lit] => match units.iter_mut().find(|(l, _)| l == lit) {
                            Some((_, m)) => *m |= mask,
                            None => units.push((*lit, mask)),
                        },
                        _ => match multi.iter_mut().find(|(l, _)| l == c) {
                            Some((_, m)) => *m |= mask,
                            None => multi.push((c.clone(), mask)),
                        },
                    }
                }
            }
            let u0 = self.units.len() as u32;
            let mut slotted: Vec<(Slot, u64)> = units.into_iter().map(|(l, m)| (self.slot(l), m)).collect();
            crate::sort::sort(&mut slotted);
            self.units.extend(slotted);
            let c0 = self.clauses.len() as u32;
            for (lits, m) in multi {
                let mut slots = [NO_SLOT; CLAUSE_WIDTH];
                for (k, slot) in slots.iter_mut().enumerate() {
                    if let Some(l) = lits.get(k).or(lits.first()) {
                        *slot = self.slot(*l);
                    }
                }
                self.clauses.push((slots, m));
            }
            let members = if part.len() == 64 { u64::MAX } else { (1u64 << part.len()) - 1 };
            self.chunks.push(Chunk { members, first, units: (u0, self.units.len() as u32), clauses: (c0, self.clauses.len() as u32) });
        }
        (start, self.chunks.len() as u32)
    }

    /// Heap bytes of the arenas.
    pub(super) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.chunks.len() * size_of::<Chunk>()
            + self.policies.len() * 4
            + self.units.len() * size_of::<(Slot, u64)>()
            + self.clauses.len() * size_of::<([Slot; CLAUSE_WIDTH], u64)>()
    }

    /// Length of the rank table.
    pub(super) fn table_len(&self) -> usize {
        self.stride as usize * 2
    }

    /// Fills `out` (of [`Chunks::table_len`]) with every literal's rank: positive
    /// literals at the predicate id, negated ones `stride` further.
    pub(super) fn ranks(&self, known: &Bits, truth: &Bits, out: &mut [u8]) {
        let (pos, neg) = out.split_at_mut(self.stride as usize);
        for (((k, t), p), n) in known.words().iter().zip(truth.words()).zip(pos.chunks_exact_mut(64)).zip(neg.chunks_exact_mut(64)) {
            for (i, (p8, n8)) in p.chunks_exact_mut(8).zip(n.chunks_exact_mut(8)).enumerate() {
                let kb = spread_byte((k >> (8 * i)) as u8);
                let tb = spread_byte((t >> (8 * i)) as u8);
                // Per byte: unknown → 1; known and holds → 0; known and fails → 2.
                let ones = 0x0101_0101_0101_0101u64;
                let positive = ones + kb - ((kb & tb) << 1);
                let negative = ones + kb - ((kb & !tb & ones) << 1);
                p8.copy_from_slice(&positive.to_le_bytes());
                n8.copy_from_slice(&negative.to_le_bytes());
            }
        }
    }

    /// Evaluates the chunks `range` of a group whose guard literal has rank `guard`
    /// (0 or 1: a false guard skips the group), writing the verdicts of members that are
    /// not false into `results` (which holds `False` for every policy beforehand).
    /// Returns the number of members evaluated.
    #[inline]
    pub(super) fn run(&self, range: (u32, u32), guard: u8, ranks: &[u8], results: &mut [Tri]) -> usize {
        let rank = |s: Slot| ranks.get(s as usize).copied().unwrap_or(1);
        let or = |a: u8, b: u8| Junction::Or.ranks(a, b);
        let unknown = kleene::rank(Tri::Unknown);
        let mut evaluated = 0;
        for c in self.chunks.get(range.0 as usize..range.1 as usize).unwrap_or(&[]) {
            evaluated += c.members.count_ones() as usize;
            let mut f = 0u64;
            let mut u = if guard == unknown { c.members } else { 0 };
            let units = self.units.get(c.units.0 as usize..c.units.1 as usize).unwrap_or(&[]);
            // The `and` of the clauses, as the union of their false masks (rank bit 1) and
            // of their unknown masks (rank bit 0): a member both false and unknown is false
            // (`RANK_VALUE[3]`). Every clause, without stopping early: a test per block for
            // "all members false" cost more in mispredicted branches than the units it saved.
            for &(s, mask) in units {
                let r = rank(s);
                f |= mask & 0u64.wrapping_sub(u64::from(r >> 1));
                u |= mask & 0u64.wrapping_sub(u64::from(r & 1));
            }
            for &([a, b, x, y], mask) in self.clauses.get(c.clauses.0 as usize..c.clauses.1 as usize).unwrap_or(&[]) {
                let r = or(or(rank(a), rank(b)), or(rank(x), rank(y)));
                f |= mask & 0u64.wrapping_sub(u64::from(r >> 1));
                u |= mask & 0u64.wrapping_sub(u64::from(r & 1));
            }
            let n = c.members.count_ones() as usize;
            let members = self.policies.get(c.first as usize..c.first as usize + n).unwrap_or(&[]);
            for (bit, p) in members.iter().enumerate() {
                let v = ((f >> bit) & 1) << 1 | ((u >> bit) & 1);
                if let (Some(slot), Some(verdict)) = (results.get_mut(*p as usize), RANK_VALUE.get(v as usize)) {
                    *slot = *verdict;
                }
            }
        }
        evaluated
    }
}

/// [`spread`] of every byte, looked up: two loads per eight predicates instead of the
/// shifts and masks.
#[expect(clippy::indexing_slicing, reason = "a const loop over 0..256, the table's length; checked at compile time")]
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = spread(b as u8);
        b += 1;
    }
    table
};

#[inline(always)]
fn spread_byte(b: u8) -> u64 {
    SPREAD.get(b as usize).copied().unwrap_or(0)
}

/// Spreads the 8 bits of `b` to the low bit of 8 bytes (bit i → byte i).
#[inline(always)]
const fn spread(b: u8) -> u64 {
    let mut x = b as u64;
    x = (x | (x << 28)) & 0x0000_000F_0000_000F;
    x = (x | (x << 14)) & 0x0003_0003_0003_0003;
    x = (x | (x << 7)) & 0x0101_0101_0101_0101;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_puts_bit_i_in_byte_i() {
        for b in 0..=255u8 {
            assert_eq!(spread_byte(b), spread(b));
            let x = spread(b).to_le_bytes();
            for (i, byte) in x.iter().enumerate() {
                assert_eq!(*byte, (b >> i) & 1, "bit {i} of {b:#010b}");
            }
        }
    }

    #[test]
    fn clause_form_keeps_ors_up_to_the_width() {
        let or = |n: u32| Program::Or((0..n).map(|i| Program::Lit(i, i % 2 == 1)).collect());
        let and = |n: u32| Program::And(vec![Program::Lit(9, false), or(n)]);
        assert_eq!(clause_form(&and(4)), Some(vec![vec![(9, false)], vec![(0, false), (1, true), (2, false), (3, true)]]));
        // Five literals do not fit a fixed-width clause: the program stays on the interpreter.
        assert_eq!(clause_form(&and(5)), None);
        // Duplicates are removed before the width is checked.
        let dup = Program::Or(vec![Program::Lit(1, false); 6]);
        assert_eq!(clause_form(&dup), Some(vec![vec![(1, false)]]));
    }

    #[test]
    fn ranks_follow_known_and_truth() {
        let mut known = Bits::new(130);
        let mut truth = Bits::new(130);
        for i in [0u32, 5, 64, 129] {
            known.set(i);
        }
        for i in [5u32, 129, 7] {
            truth.set(i);
        }
        let chunks = Chunks::new(130);
        let mut out = vec![9u8; chunks.table_len()];
        chunks.ranks(&known, &truth, &mut out);
        let stride = chunks.stride as usize;
        for p in 0..130usize {
            let (k, t) = (known.get(p as u32), truth.get(p as u32));
            let want_pos = kleene::rank(kleene::literal(k, t, false));
            let want_neg = kleene::rank(kleene::literal(k, t, true));
            // The positive literal of a known false predicate (0) ranks false (2).
            if p == 0 {
                assert_eq!((want_pos, want_neg), (2, 0));
            }
            assert_eq!(out.get(p).copied(), Some(want_pos), "positive {p}");
            assert_eq!(out.get(stride + p).copied(), Some(want_neg), "negated {p}");
        }
    }
}
