//! Kleene's three-valued `and`, `or` and `not`: the one definition every evaluator of a
//! compiled [`Program`](super::Program) uses.
//!
//! A program is run in four ways: by the interpreter over the flattened arena
//! ([`exec`](super::exec)), by the tree walk that explains a verdict after a match
//! (`program_tri`), 64 policies at a time on literal ranks ([`chunks`](super::chunks)),
//! and 64 enterprises at a time on words of rows (`store::blocks`). Each represents a
//! truth value differently (a [`Tri`], a rank, a pair of bit words), but the connectives
//! are the same, and they are defined here once:
//!
//! - a literal is unknown when its predicate is, else its truth, flipped when negated
//!   ([`literal`], [`signed`]);
//! - an `and` is false as soon as one part is false, true when every part is, unknown
//!   otherwise; an `or` the same with true and false swapped ([`Junction`]);
//! - `at_least(k, …)` counts true and unknown parts ([`Tri::at_least`], which lives with
//!   the reference evaluator because it uses the same rule).
//!
//! The representations are derived from [`Tri`] here too, so that each is a change of
//! coordinates rather than a second copy of the rules: the *rank* of a value (true 0 <
//! unknown 1 < false 2, `and` the maximum, `or` the minimum) and the *word pair* of a row
//! set (rows where it is true, rows where it is false; an unknown row is in neither).
//!
//! Everything here is `#[inline(always)]` and branch-free where it can be: these
//! functions sit in the hot loops, and each caller's loop fixes the junction and the
//! negation as constants, so after inlining they cost what the hand-written operator did.

use crate::eval::Tri;

/// An `and` or an `or` of three-valued parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Junction {
    And,
    Or,
}

impl Junction {
    /// The junction of `and` when `is_and`, else of `or`.
    #[inline(always)]
    pub const fn of(is_and: bool) -> Junction {
        if is_and {
            Junction::And
        } else {
            Junction::Or
        }
    }

    /// The value that decides the junction on its own: false for `and`, true for `or`.
    #[inline(always)]
    pub const fn absorbing(self) -> Tri {
        match self {
            Junction::And => Tri::False,
            Junction::Or => Tri::True,
        }
    }

    /// The value of the junction of no parts (and of parts that all have this value):
    /// true for `and`, false for `or`.
    #[inline(always)]
    pub const fn neutral(self) -> Tri {
        match self {
            Junction::And => Tri::True,
            Junction::Or => Tri::False,
        }
    }

    /// The junction of `parts`, reading them only up to the first absorbing one (the
    /// iterator is lazy, so the parts after it are never evaluated).
    #[inline(always)]
    pub fn eval(self, parts: impl IntoIterator<Item = Tri>) -> Tri {
        let stop = self.absorbing();
        let mut unknown = false;
        for t in parts {
            if t == stop {
                return stop;
            }
            unknown |= t == Tri::Unknown;
        }
        if unknown {
            Tri::Unknown
        } else {
            self.neutral()
        }
    }

    /// The junction of two ranks ([`rank`]): the maximum for `and`, the minimum for `or`.
    #[inline(always)]
    pub fn ranks(self, a: u8, b: u8) -> u8 {
        match self {
            Junction::And => a.max(b),
            Junction::Or => a.min(b),
        }
    }

    /// The junction of two word pairs ([`words`]), 64 rows at once: for `and` a row is
    /// true where both are and false where either is; for `or` the other way round.
    #[inline(always)]
    pub const fn words(self, (t, f): (u64, u64), (xt, xf): (u64, u64)) -> (u64, u64) {
        match self {
            Junction::And => (t & xt, f | xf),
            Junction::Or => (t | xt, f & xf),
        }
    }
}

/// `t`, negated when `negated` is set (`not unknown` is unknown).
#[inline(always)]
pub const fn signed(t: Tri, negated: bool) -> Tri {
    match (t, negated) {
        (Tri::Unknown, _) => Tri::Unknown,
        (Tri::True, false) | (Tri::False, true) => Tri::True,
        (Tri::True, true) | (Tri::False, false) => Tri::False,
    }
}

/// A literal's value from its predicate's bits: unknown unless `known`; else whether the
/// predicate holds (`truth`), flipped when `negated`.
#[inline(always)]
pub const fn literal(known: bool, truth: bool, negated: bool) -> Tri {
    if !known {
        Tri::Unknown
    } else if truth != negated {
        Tri::True
    } else {
        Tri::False
    }
}

/// The rank of a value: true 0 < unknown 1 < false 2. Bit 1 says false, bit 0 unknown.
#[inline(always)]
pub const fn rank(t: Tri) -> u8 {
    match t {
        Tri::True => 0,
        Tri::Unknown => 1,
        Tri::False => 2,
    }
}

/// The value of a rank, indexed by `false << 1 | unknown` (so 3, both bits set as a
/// chunk's masks can leave them, is false: a false part decides an `and`).
pub const RANK_VALUE: [Tri; 4] = [Tri::True, Tri::Unknown, Tri::False, Tri::False];

/// The word pair (rows true, rows false) of a value that is the same on every row.
#[inline(always)]
pub const fn words(t: Tri) -> (u64, u64) {
    match t {
        Tri::True => (!0, 0),
        Tri::False => (0, !0),
        Tri::Unknown => (0, 0),
    }
}

/// The word pair of a literal from its predicate's words of rows where it holds
/// (`truth`) and where it is unknown (`unknown`): where it holds it is true, negated
/// false; where it is known not to hold, the other way round; unknown rows are in neither.
#[inline(always)]
pub const fn literal_words(truth: u64, unknown: u64, negated: bool) -> (u64, u64) {
    let fails = !(truth | unknown);
    if negated {
        (fails, truth)
    } else {
        (truth, fails)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests assert by panicking")]
mod tests {
    use super::*;

    const ALL: [Tri; 3] = [Tri::True, Tri::False, Tri::Unknown];
    use Tri::{False as F, True as T, Unknown as U};

    /// Kleene's tables, written out: `and`, `or` of each pair (row: left, column: right,
    /// in the order T, F, U).
    const AND: [[Tri; 3]; 3] = [[T, F, U], [F, F, F], [U, F, U]];
    const OR: [[Tri; 3]; 3] = [[T, T, T], [T, F, U], [T, U, U]];

    #[test]
    fn junctions_follow_kleenes_tables() {
        for (i, a) in ALL.iter().enumerate() {
            for (j, b) in ALL.iter().enumerate() {
                assert_eq!(Junction::And.eval([*a, *b]), AND[i][j], "{a:?} and {b:?}");
                assert_eq!(Junction::Or.eval([*a, *b]), OR[i][j], "{a:?} or {b:?}");
                // De Morgan, which normalising relies on to push negation to the leaves.
                assert_eq!(signed(Junction::And.eval([*a, *b]), true), Junction::Or.eval([signed(*a, true), signed(*b, true)]));
            }
        }
        assert_eq!((Junction::And.eval([]), Junction::Or.eval([])), (T, F));
        assert_eq!(Junction::And.eval([T, U, T]), U);
        assert_eq!(Junction::Or.eval([F, F, F]), F);
    }

    #[test]
    fn a_junction_reads_no_part_after_the_absorbing_one() {
        let mut read = 0;
        let parts = [T, F, U, T].into_iter().inspect(|_| read += 1);
        assert_eq!(Junction::And.eval(parts), F);
        assert_eq!(read, 2);
    }

    #[test]
    fn literals_and_negation() {
        assert_eq!([literal(false, true, false), literal(false, false, true)], [U, U]);
        assert_eq!([literal(true, true, false), literal(true, true, true)], [T, F]);
        assert_eq!([literal(true, false, false), literal(true, false, true)], [F, T]);
        assert_eq!(ALL.map(|t| signed(t, true)), [F, T, U]);
        assert_eq!(ALL.map(|t| signed(t, false)), ALL);
    }

    #[test]
    fn ranks_are_the_same_algebra() {
        for a in ALL {
            assert_eq!(RANK_VALUE[rank(a) as usize], a);
            for b in ALL {
                for j in [Junction::And, Junction::Or] {
                    assert_eq!(RANK_VALUE[j.ranks(rank(a), rank(b)) as usize], j.eval([a, b]), "{j:?} {a:?} {b:?}");
                }
            }
        }
        assert_eq!(RANK_VALUE[3], F);
    }

    #[test]
    fn word_pairs_are_the_same_algebra() {
        // Bit i of a word: one row. Rows 0..9 take every pair of values (a, b).
        let (mut a, mut b) = ((0u64, 0u64), (0u64, 0u64));
        let mut want = Vec::new();
        for (i, (x, y)) in ALL.iter().flat_map(|x| ALL.iter().map(move |y| (*x, *y))).enumerate() {
            let (xt, xf) = words(x);
            let (yt, yf) = words(y);
            a = (a.0 | xt & 1 << i, a.1 | xf & 1 << i);
            b = (b.0 | yt & 1 << i, b.1 | yf & 1 << i);
            want.push((x, y));
        }
        let value = |(t, f): (u64, u64), i: usize| match (t >> i & 1, f >> i & 1) {
            (1, 0) => T,
            (0, 1) => F,
            (0, 0) => U,
            other => panic!("row {i} both true and false: {other:?}"),
        };
        for j in [Junction::And, Junction::Or] {
            let out = j.words(a, b);
            for (i, (x, y)) in want.iter().enumerate() {
                assert_eq!(value(out, i), j.eval([*x, *y]), "{j:?} {x:?} {y:?}");
            }
        }
        // Literal words: row 0 holds, row 1 fails, row 2 unknown.
        let (truth, unknown) = (0b001, 0b100);
        for negated in [false, true] {
            let w = literal_words(truth, unknown, negated);
            let got = [value(w, 0), value(w, 1), value(w, 2)];
            assert_eq!(got, [literal(true, true, negated), literal(true, false, negated), U]);
        }
    }
}
