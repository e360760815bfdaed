//! The match: the interpreter over the program arena, and the loop that runs a profile
//! against every policy.
//!
//! [`PolicyIndex::match_profile`] encodes the profile ([`encode`](super::encode)),
//! expands the literal ranks the chunks read, lists the guard groups whose guard is not
//! known false, and runs each live group's chunks ([`chunks`](super::chunks)) and
//! interpreted programs ([`exec`]); then the fallback policies (no guard) and the
//! dependent ones (`eligible(…)`, in dependency order, so that the verdicts they read
//! are final). Results start `False`: a policy whose group is skipped is false.
//!
//! [`exec`] walks the flattened arena ([`Instr`]) recursively with short-circuits; an
//! `and` / `or` whose children are all literals (the common case) is one straight run.
//! [`program_tri`] evaluates a program tree after a match, for the explanations. Both
//! take the connectives from [`kleene`](super::kleene), as the chunks and the store do.
//! The reusable buffers of a match are a [`Matcher`].

use super::algebra::Scratch;
use super::bits::Bits;
use super::kleene::{self, Junction};
use super::program::{Instr, Program};
use super::{PolicyIndex, PredicateId, NO_PRED};
use crate::date::Date;
use crate::eval::{Evaluator, Tri};
use crate::policy::PolicySet;
use crate::profile::Profile;

/// A literal's value from a match's bitsets (the truth bit is read only when known).
#[inline(always)]
pub(super) fn lit(known: &Bits, truth: &Bits, p: PredicateId, neg: bool) -> Tri {
    if known.get(p) {
        kleene::literal(true, truth.get(p), neg)
    } else {
        Tri::Unknown
    }
}

/// Another policy's verdict, negated when `neg` is set (unknown when out of range).
#[inline(always)]
fn policy(results: &[Tri], p: u32, neg: bool) -> Tri {
    kleene::signed(results.get(p as usize).copied().unwrap_or(Tri::Unknown), neg)
}

/// Evaluates the instruction at `i` of the arena, three-valued.
pub(super) fn exec(code: &[Instr], i: usize, known: &Bits, truth: &Bits, results: &[Tri]) -> Tri {
    let Some(op) = code.get(i).copied() else { return Tri::Unknown };
    match op {
        Instr::Const(t) => t,
        Instr::Lit(p, neg) => lit(known, truth, p, neg),
        Instr::Policy(p, neg) => policy(results, p, neg),
        Instr::And { n, size } | Instr::Or { n, size } => {
            let junction = Junction::of(matches!(op, Instr::And { .. }));
            // Children that are all literals (the common case) are one straight run.
            if size == n + 1 {
                let children = code.get(i + 1..i + 1 + n as usize).unwrap_or(&[]);
                junction.eval(children.iter().enumerate().map(|(k, c)| match *c {
                    Instr::Lit(p, neg) => lit(known, truth, p, neg),
                    Instr::Const(_) | Instr::Policy(..) | Instr::And { .. } | Instr::Or { .. } | Instr::AtLeast { .. } => {
                        exec(code, i + 1 + k, known, truth, results)
                    }
                }))
            } else {
                let mut j = i + 1;
                junction.eval((0..n).map(|_| {
                    let t = exec(code, j, known, truth, results);
                    j += code.get(j).map_or(1, |o| o.size());
                    t
                }))
            }
        }
        Instr::AtLeast { k, n, .. } => {
            let mut counts = (0, 0);
            let mut j = i + 1;
            for _ in 0..n {
                counts = exec(code, j, known, truth, results).tally(counts);
                j += code.get(j).map_or(1, |o| o.size());
            }
            Tri::at_least(k, counts.0, counts.1)
        }
    }
}

impl PolicyIndex {
    /// A reusable matcher (bitsets and result buffers sized for this index).
    pub fn matcher(&self) -> Matcher {
        Matcher {
            known: Bits::new(self.predicates),
            truth: Bits::new(self.predicates),
            results: vec![Tri::False; self.programs.len()],
            ranks: vec![1; self.chunks.table_len()],
            alive: Vec::with_capacity(self.guards.len() + 1),
            evaluated: 0,
            text_hits: Vec::new(),
            algebra: Scratch::default(),
            listed: Vec::new(),
            marks: Vec::new(),
            not_in_force: None,
        }
    }

    /// Matches one profile: the verdict of every policy, in policy-set order, as
    /// three-valued truth (eligible = true).
    pub fn match_profile<'m>(&self, set: &PolicySet, profile: &Profile, as_of: Date, m: &'m mut Matcher) -> &'m [Tri] {
        let ev = Evaluator::new(set, profile, as_of);
        self.encode(&ev, m);
        m.results.iter_mut().for_each(|r| *r = Tri::False);
        m.evaluated = self.fallback.len() + self.dependent.len();
        if !self.algebra.is_empty() {
            self.algebra.run(&m.known, &m.truth, &mut m.algebra, &mut m.results);
            for (p, at, own) in self.algebra.partial_live(&m.algebra) {
                m.evaluated += 1;
                let r = Junction::And.eval([own, exec(&self.algebra.code, at as usize, &m.known, &m.truth, &m.results)]);
                if let Some(slot) = m.results.get_mut(p as usize) {
                    *slot = r;
                }
            }
        }
        if !self.guards.is_empty() {
            m.ranks.resize(self.chunks.table_len(), 1);
            self.chunks.ranks(&m.known, &m.truth, &mut m.ranks);
        }
        // The groups whose guard is not known false, listed without a branch per group
        // (which one is alive is a coin toss the branch predictor would lose).
        // Every slot is written before it is read: only grow, never clear.
        if m.alive.len() < self.guards.len() + 1 {
            m.alive.resize(self.guards.len() + 1, 0);
        }
        let mut n = 0usize;
        for (i, g) in self.guards.iter().enumerate() {
            if let Some(slot) = m.alive.get_mut(n) {
                *slot = i as u32;
            }
            n += usize::from(m.ranks.get(g.slot as usize).copied().unwrap_or(1) != kleene::rank(Tri::False));
        }
        for &i in m.alive.get(..n).unwrap_or(&[]) {
            let Some(g) = self.guards.get(i as usize) else { continue };
            let rank = m.ranks.get(g.slot as usize).copied().unwrap_or(1);
            if g.chunks.0 < g.chunks.1 {
                m.evaluated += self.chunks.run(g.chunks, rank, &m.ranks, &mut m.results);
            }
            for e in self.entries.get(g.entries.0 as usize..g.entries.1 as usize).unwrap_or(&[]) {
                if e.second != NO_PRED && lit(&m.known, &m.truth, e.second, e.second_negated) == Tri::False {
                    continue; // the second required literal is known false
                }
                m.evaluated += 1;
                let r = exec(&self.code, e.at as usize, &m.known, &m.truth, &m.results);
                if let Some(slot) = m.results.get_mut(e.policy as usize) {
                    *slot = r;
                }
            }
        }
        for &(p, at) in self.fallback.iter().chain(&self.dependent) {
            let r = exec(&self.code, at as usize, &m.known, &m.truth, &m.results);
            if let Some(slot) = m.results.get_mut(p as usize) {
                *slot = r;
            }
        }
        &m.results
    }
}

impl PolicyIndex {
    /// The eligible policies of the last match on `m`, ascending: what a caller lists.
    /// It reads the algebra's accumulators for the policies the algebra decides (a few
    /// words per 64 policies) and the verdicts for the rest, instead of every verdict.
    pub fn eligible<'m>(&self, m: &'m mut Matcher) -> &'m [u32] {
        m.listed.clear();
        if self.algebra.is_empty() {
            m.listed.extend(m.results.iter().enumerate().filter(|(_, t)| **t == Tri::True).map(|(i, _)| i as u32));
            return &m.listed;
        }
        m.marks.clear();
        m.marks.resize(self.programs.len().div_ceil(64), 0);
        self.algebra.mark_eligible(&m.algebra, &m.results, &mut m.marks);
        let mut base = 0u32;
        for &w in &m.marks {
            let mut x = w;
            while x != 0 {
                m.listed.push(base + x.trailing_zeros());
                x &= x - 1;
            }
            base += 64;
        }
        &m.listed
    }
}

/// Three-valued value of a program after a match (the bits and the policy results of `m`).
pub(super) fn program_tri(p: &Program, m: &Matcher) -> Tri {
    match p {
        Program::Const(t) => *t,
        Program::Lit(id, neg) => lit(&m.known, &m.truth, *id, *neg),
        Program::Policy(i, neg) => policy(&m.results, *i, *neg),
        Program::And(xs) => Junction::And.eval(xs.iter().map(|x| program_tri(x, m))),
        Program::Or(xs) => Junction::Or.eval(xs.iter().map(|x| program_tri(x, m))),
        Program::AtLeast(k, xs) => {
            let (t, u) = xs.iter().fold((0, 0), |n, x| program_tri(x, m).tally(n));
            Tri::at_least(*k, t, u)
        }
    }
}

/// Reusable buffers for matching.
#[derive(Clone, Debug)]
pub struct Matcher {
    pub(super) known: Bits,
    pub(super) truth: Bits,
    pub(super) results: Vec<Tri>,
    /// Every literal's rank for the chunks (see `chunks`), expanded from the bitsets.
    pub(super) ranks: Vec<u8>,
    /// Guard groups alive in this match.
    pub(super) alive: Vec<u32>,
    pub(super) evaluated: usize,
    /// Which patterns of a text source matched (reused between sources and profiles).
    pub(super) text_hits: Vec<bool>,
    /// The algebra over sources' accumulators.
    pub(super) algebra: Scratch,
    /// The eligible policies of the last match ([`PolicyIndex::eligible`]), and the
    /// bits over policies it collects them in.
    pub(super) listed: Vec<u32>,
    pub(super) marks: Vec<u64>,
    /// The engine's policies not in force on a day, kept for the day of the last call
    /// that asked (`Engine::not_in_force_with`), with the set's number and that day.
    pub(crate) not_in_force: Option<(u64, i32, Vec<u32>)>,
}

impl Matcher {
    /// Known predicates of the last encoded profile.
    pub fn known(&self) -> &Bits {
        &self.known
    }
    /// True predicates of the last encoded profile.
    pub fn truth(&self) -> &Bits {
        &self.truth
    }
    /// Programs evaluated in the last match (the rest were ruled out by their guard).
    pub fn evaluated(&self) -> usize {
        self.evaluated
    }
}

#[cfg(test)]
mod tests {
    use super::super::program::flatten;
    use super::*;

    fn lit(i: u32) -> Program {
        Program::Lit(i, false)
    }

    fn not(i: u32) -> Program {
        Program::Lit(i, true)
    }

    #[test]
    fn the_interpreter_and_the_tree_walk_follow_kleene() {
        // Predicate 0 true, 1 false, 2 unknown, 3 true; policy 0 false, policy 1 unknown.
        let mut m = Matcher {
            known: Bits::new(8),
            truth: Bits::new(8),
            results: vec![Tri::False, Tri::Unknown],
            ranks: Vec::new(),
            alive: Vec::new(),
            evaluated: 0,
            text_hits: Vec::new(),
            algebra: Scratch::default(),
            listed: Vec::new(),
            marks: Vec::new(),
            not_in_force: None,
        };
        for p in [0, 1, 3] {
            m.known.set(p);
        }
        for p in [0, 3] {
            m.truth.set(p);
        }
        use Program::{And, AtLeast, Const, Or, Policy};
        let cases = [
            (And(vec![lit(0), lit(2)]), Tri::Unknown),
            (And(vec![lit(0), lit(2), lit(1)]), Tri::False),
            (And(vec![lit(0), not(1), lit(3)]), Tri::True),
            (Or(vec![lit(2), lit(3)]), Tri::True),
            (Or(vec![lit(1), lit(2)]), Tri::Unknown),
            (Or(vec![lit(1), not(0)]), Tri::False),
            (AtLeast(2, vec![lit(0), lit(2), lit(3)]), Tri::True),
            (AtLeast(3, vec![lit(0), lit(2), lit(3)]), Tri::Unknown),
            (AtLeast(2, vec![lit(1), lit(2), not(0)]), Tri::False),
            (Policy(0, true), Tri::True),
            (Policy(1, true), Tri::Unknown),
            (Policy(5, false), Tri::Unknown),
            // Composite children: the general path, with skips over subtrees.
            (And(vec![Or(vec![lit(1), lit(2)]), lit(3)]), Tri::Unknown),
            (And(vec![Or(vec![lit(1), not(3)]), lit(2)]), Tri::False),
            (Or(vec![And(vec![lit(0), lit(1)]), AtLeast(1, vec![lit(2), lit(3)]), lit(2)]), Tri::True),
            (Or(vec![And(vec![lit(0), lit(2)]), Policy(0, false), Const(Tri::False)]), Tri::Unknown),
            (And(vec![Const(Tri::True), Or(vec![Policy(0, false), not(1)])]), Tri::True),
        ];
        let mut code = Vec::new();
        let mut starts = Vec::new();
        for (p, _) in &cases {
            starts.push(code.len());
            flatten(p, &mut code);
        }
        for ((p, want), at) in cases.iter().zip(starts) {
            assert_eq!(exec(&code, at, &m.known, &m.truth, &m.results), *want, "exec {p:?}");
            assert_eq!(program_tri(p, &m), *want, "program_tri {p:?}");
        }
        // Past the arena: unknown, not a panic.
        assert_eq!(exec(&code, code.len(), &m.known, &m.truth, &m.results), Tri::Unknown);
        m.results = vec![Tri::True];
        assert_eq!(program_tri(&Policy(0, true), &m), Tri::False);
    }
}
