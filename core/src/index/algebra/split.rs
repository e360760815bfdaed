//! Which policies the algebra decides: each policy's top-level clauses sorted into those
//! one source decides, the `or`s across sources (decided by an OR of per-source parts),
//! and the rest.

use crate::index::program::Program;
use crate::index::PredicateId;

/// What one source decides: the `and` clauses over it, and the parts over it of `or`
/// clauses across sources.
#[derive(Clone, Debug, Default, PartialEq)]
pub(in crate::index) struct Parts {
    /// Each policy the source constrains, with its clauses over the source (an `and`).
    pub(in crate::index) ands: Vec<(u32, Vec<Program>)>,
    /// Each `or` clause with disjuncts over the source: its policy, its layer, and those
    /// disjuncts.
    pub(in crate::index) ors: Vec<(u32, u16, Vec<Program>)>,
}

/// Where each policy is decided, as the algebra sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(in crate::index) struct Split {
    /// Policies the algebra decides alone.
    pub(in crate::index) exact: Vec<u32>,
    /// Policies it can rule out, whose other clauses run otherwise.
    pub(in crate::index) partial: Vec<u32>,
    /// Per partial policy, its clauses outside the algebra (an `and` of them).
    pub(in crate::index) residual: Vec<Program>,
    /// Policies for the guards: nothing the algebra decides, or reading another's verdict.
    pub(in crate::index) rest: Vec<u32>,
    /// Per layer `k`, the policies with a `k`-th `or` clause across sources.
    pub(in crate::index) layers: Vec<Vec<u32>>,
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
    crate::sort::sort_by_key(&mut by, |(s, _)| *s);
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
pub(in crate::index) fn split(programs: &[Program], source_ranges: &[(PredicateId, PredicateId)]) -> (Split, Vec<Parts>) {
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
        if crate::index::program::uses_policies(p) {
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
        crate::sort::sort_by_key(&mut ands, |(s, _)| *s);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Tri;

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
