//! The compiled program: a policy's condition as Kleene logic over predicate literals.
//!
//! A [`Program`] is the tree the builder produces ([`normalise`](super::normalise)) and
//! every evaluator reads: constants, literals (a predicate of the dictionary, perhaps
//! negated), other policies' verdicts (`eligible(…)`), and `and` / `or` / `at_least`
//! over them. Negation lives only on the leaves, so there is no `Not`.
//!
//! For the interpreter the trees are [flattened](flatten) into one arena of [`Instr`]s
//! in prefix order, each composite carrying the size of its subtree, so that a
//! short-circuit skips a child in one step and a match reads the arena front to back.
//! The rest of this file is the tree rewrites the builder applies once the dictionary
//! is numbered ([`remap`], [`order_children`]) and the test that files a policy among
//! the dependent ones ([`uses_policies`]).
//!
//! Every match on a [`Program`] or an [`Instr`] here names each variant, with no
//! catch-all arm: a new variant is a compile error wherever it has to be handled.

use super::PredicateId;
use crate::eval::Tri;

/// A compiled condition over predicate literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Program {
    Const(Tri),
    /// A predicate, negated when the flag is set.
    Lit(PredicateId, bool),
    /// Another policy's verdict, negated when the flag is set.
    Policy(u32, bool),
    And(Vec<Program>),
    Or(Vec<Program>),
    AtLeast(u32, Vec<Program>),
}

impl Program {
    /// Calls `f` on every leaf (constant, literal, policy verdict), left to right.
    pub fn for_each_leaf(&self, f: &mut impl FnMut(&Program)) {
        match self {
            Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => xs.iter().for_each(|x| x.for_each_leaf(f)),
            Program::Const(_) | Program::Lit(..) | Program::Policy(..) => f(self),
        }
    }
}

/// One instruction of the flattened program arena (prefix order; a composite's `size`
/// counts its whole subtree, so a short-circuit skips it in one step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Instr {
    Const(Tri),
    Lit(PredicateId, bool),
    Policy(u32, bool),
    And { n: u32, size: u32 },
    Or { n: u32, size: u32 },
    AtLeast { k: u32, n: u32, size: u32 },
}

impl Instr {
    /// The instructions of this one's subtree, itself included.
    #[inline]
    pub(super) fn size(self) -> usize {
        match self {
            Instr::And { size, .. } | Instr::Or { size, .. } | Instr::AtLeast { size, .. } => size as usize,
            Instr::Const(_) | Instr::Lit(..) | Instr::Policy(..) => 1,
        }
    }
}

/// Appends `p` to the arena in prefix order.
pub(super) fn flatten(p: &Program, out: &mut Vec<Instr>) {
    match p {
        Program::Const(t) => out.push(Instr::Const(*t)),
        Program::Lit(i, n) => out.push(Instr::Lit(*i, *n)),
        Program::Policy(i, n) => out.push(Instr::Policy(*i, *n)),
        Program::And(xs) => composite(xs, out, |n, size| Instr::And { n, size }),
        Program::Or(xs) => composite(xs, out, |n, size| Instr::Or { n, size }),
        Program::AtLeast(k, xs) => composite(xs, out, |n, size| Instr::AtLeast { k: *k, n, size }),
    }
}

/// Appends a composite: its instruction (`op` of its number of children and its
/// subtree's size), then its children.
fn composite(xs: &[Program], out: &mut Vec<Instr>, op: impl FnOnce(u32, u32) -> Instr) {
    let at = out.len();
    out.push(Instr::Const(Tri::Unknown)); // placeholder
    for x in xs {
        flatten(x, out);
    }
    let size = (out.len() - at) as u32;
    if let Some(slot) = out.get_mut(at) {
        *slot = op(xs.len() as u32, size);
    }
}

/// Renumbers the literals of `p`: predicate `i` becomes `map[i]`.
pub(super) fn remap(p: &Program, map: &[u32]) -> Program {
    match p {
        Program::Lit(i, n) => Program::Lit(map.get(*i as usize).copied().unwrap_or(*i), *n),
        Program::And(xs) => Program::And(xs.iter().map(|x| remap(x, map)).collect()),
        Program::Or(xs) => Program::Or(xs.iter().map(|x| remap(x, map)).collect()),
        Program::AtLeast(k, xs) => Program::AtLeast(*k, xs.iter().map(|x| remap(x, map)).collect()),
        Program::Const(_) | Program::Policy(..) => p.clone(),
    }
}

/// Orders the children of and/or so evaluation short-circuits early: in an `and` the
/// literal most likely to be false first, in an `or` the one most likely true; composite
/// children last. Kleene and/or are commutative, so verdicts do not change.
pub(super) fn order_children(p: &mut Program, estimate: &dyn Fn(u32, bool) -> u32) {
    let key = |x: &Program, and: bool| -> u32 {
        match x {
            Program::Const(_) => 0,
            Program::Lit(i, n) => {
                let e = estimate(*i, *n);
                if and {
                    e
                } else {
                    1000 - e.min(1000)
                }
            }
            Program::Policy(..) => 900,
            Program::And(_) | Program::Or(_) | Program::AtLeast(..) => 2000,
        }
    };
    match p {
        Program::And(xs) => {
            xs.iter_mut().for_each(|x| order_children(x, estimate));
            crate::sort::sort_by_key(xs, |x| key(x, true));
        }
        Program::Or(xs) => {
            xs.iter_mut().for_each(|x| order_children(x, estimate));
            crate::sort::sort_by_key(xs, |x| key(x, false));
        }
        Program::AtLeast(_, xs) => xs.iter_mut().for_each(|x| order_children(x, estimate)),
        Program::Const(_) | Program::Lit(..) | Program::Policy(..) => {}
    }
}

/// Whether `p` reads another policy's verdict (`eligible(…)`): such a policy runs after
/// the others, in dependency order.
pub(super) fn uses_policies(p: &Program) -> bool {
    match p {
        Program::Policy(..) => true,
        Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => xs.iter().any(uses_policies),
        Program::Const(_) | Program::Lit(..) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(i: u32) -> Program {
        Program::Lit(i, false)
    }

    #[test]
    fn flatten_lays_out_prefix_order_with_subtree_sizes() {
        // and(0, or(1, not 2), at_least(1, eligible(7), const true))
        let p = Program::And(vec![
            lit(0),
            Program::Or(vec![lit(1), Program::Lit(2, true)]),
            Program::AtLeast(1, vec![Program::Policy(7, false), Program::Const(Tri::True)]),
        ]);
        let mut code = vec![Instr::Const(Tri::False)]; // an earlier program's instruction
        flatten(&p, &mut code);
        assert_eq!(
            code,
            vec![
                Instr::Const(Tri::False),
                Instr::And { n: 3, size: 8 },
                Instr::Lit(0, false),
                Instr::Or { n: 2, size: 3 },
                Instr::Lit(1, false),
                Instr::Lit(2, true),
                Instr::AtLeast { k: 1, n: 2, size: 3 },
                Instr::Policy(7, false),
                Instr::Const(Tri::True),
            ]
        );
        assert_eq!(code.iter().map(|i| i.size()).collect::<Vec<_>>(), vec![1, 8, 1, 3, 1, 1, 3, 1, 1]);
    }

    #[test]
    fn remap_renumbers_only_literals() {
        let p = Program::Or(vec![Program::Lit(0, true), Program::Policy(0, false), Program::AtLeast(2, vec![lit(1), lit(2)])]);
        let q = remap(&p, &[5, 3, 9]);
        assert_eq!(q, Program::Or(vec![Program::Lit(5, true), Program::Policy(0, false), Program::AtLeast(2, vec![lit(3), lit(9)])]));
    }

    #[test]
    fn order_children_puts_the_deciding_literal_first() {
        // Estimates: literal i is true i × 100 per mille of the time.
        let estimate = |i: u32, neg: bool| if neg { 1000 - i * 100 } else { i * 100 };
        let mut p = Program::And(vec![lit(7), Program::Or(vec![lit(2), lit(8), Program::Lit(1, true)]), lit(3), Program::Policy(4, false)]);
        order_children(&mut p, &estimate);
        // `and`: least likely true first, policies then composites last; `or`: most likely true first.
        let or = Program::Or(vec![Program::Lit(1, true), lit(8), lit(2)]);
        assert_eq!(p, Program::And(vec![lit(3), lit(7), Program::Policy(4, false), or]));
    }

    #[test]
    fn uses_policies_looks_through_composites() {
        assert!(!uses_policies(&Program::And(vec![lit(0), Program::Or(vec![lit(1)])])));
        assert!(uses_policies(&Program::And(vec![lit(0), Program::AtLeast(1, vec![Program::Policy(3, true)])])));
        let mut leaves = 0;
        Program::And(vec![lit(0), Program::Or(vec![lit(1), Program::Const(Tri::True)])]).for_each_leaf(&mut |_| leaves += 1);
        assert_eq!(leaves, 3);
    }
}
