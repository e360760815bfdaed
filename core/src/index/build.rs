//! Compiling a policy set into a [`PolicyIndex`], one function per phase.
//!
//! 1. **Normalise** each condition into a [`Program`] over temporary leaf ids
//!    ([`normalise`](super::normalise)).
//! 2. **Number** the dictionary source by source ([`number`]): a source's predicates get
//!    one contiguous id range, thresholds in key order within it, so that encoding sets
//!    runs of bits ([`encode`](super::encode)); generic predicates come last.
//! 3. **Observe** a sample of enterprises, when one is given ([`observe`]): how often
//!    each predicate is known and true. Verdicts never depend on it, only speed.
//! 4. **Estimate and order**: renumber each program and order its children so that
//!    evaluation short-circuits early ([`Estimates`], [`order_children`]).
//! 5. **File and lay out** the policies under guards ([`guards`](super::guards)).
//! 6. **Finish**: statistics and the policies whose score can be counted on their
//!    program.
//! 7. **Warm** the [`algebra`](super::algebra)'s class cache with the sample's values.

use std::collections::HashMap;

use super::algebra::{self, Algebra, Split};
use super::encode::{Ids, Source};
use super::exec::Matcher;
use super::guards::{self, Layout};
use super::leaves::{rebuild_leaf, Leaf};
use super::normalise::{literal_per_leaf, Builder};
use super::program::{order_children, remap, Program};
use super::{IndexStats, PolicyIndex, PredicateId};
use crate::check::Node;
use crate::date::Date;
use crate::eval::Evaluator;
use crate::policy::PolicySet;
use crate::profile::Profile;

/// The numbered dictionary.
struct Numbering {
    ids: Ids,
    sources: Vec<Source>,
    generic: Vec<(PredicateId, Node)>,
}

impl PolicyIndex {
    /// Compiles the index of a checked policy set, choosing guards by structural
    /// estimates of how often each literal is true.
    pub fn build(set: &PolicySet) -> PolicyIndex {
        Self::build_tuned(set, &[], Date::from_day_number(0))
    }

    /// Compiles the index choosing guards by how often each literal is *not false* on a
    /// sample of enterprises (on `as_of`): a platform knows its population, and the best
    /// guard is the literal that most often rules its policy out. Verdicts never depend
    /// on the sample; only speed does.
    pub fn build_tuned(set: &PolicySet, sample: &[Profile], as_of: Date) -> PolicyIndex {
        Self::build_with(set, sample, as_of, Kernel::Algebra)
    }

    /// [`build_tuned`](Self::build_tuned) with every policy on the guards and chunks, none
    /// on the [`algebra`](super::algebra) over sources: the design before it, kept to
    /// measure one against the other. Same verdicts.
    pub fn build_guards_only(set: &PolicySet, sample: &[Profile], as_of: Date) -> PolicyIndex {
        Self::build_with(set, sample, as_of, Kernel::Guards)
    }

    /// The index the enterprise store evaluates as set algebra over predicate sets.
    /// Same semantics, one difference in the dictionary: a code list (`industry under
    /// [C, I65]`) becomes an `or` of one predicate per code. The store keeps a set per
    /// predicate, so a dictionary proportional to the codes policies name (tens) rather
    /// than to their distinct lists (hundreds) keeps it small; literal `or`s cost the
    /// set algebra little. The one-enterprise matcher keeps whole lists: a list is a
    /// better guard there than an `or` it cannot guard with.
    pub fn for_sets(set: &PolicySet) -> PolicyIndex {
        Self::build_with(set, &[], Date::from_day_number(0), Kernel::Sets)
    }

    fn build_with(set: &PolicySet, sample: &[Profile], as_of: Date, kernel: Kernel) -> PolicyIndex {
        let mut b = Builder::new(set, kernel == Kernel::Sets);
        let temp: Vec<Program> = set.policies.iter().map(|p| b.norm(&p.condition, false, 0)).collect();
        let leaves = b.leaves;
        let mut numbering = number(&leaves, set);
        let observed = observe(set, sample, as_of, &mut numbering);
        let estimates = Estimates::new(&leaves, &numbering.ids, observed, set);
        let estimate = |id: u32, neg: bool| estimates.not_false(id, neg);
        let programs: Vec<Program> = temp
            .iter()
            .map(|p| {
                let mut p = remap(p, &numbering.ids.map);
                order_children(&mut p, &estimate);
                p
            })
            .collect();
        // The algebra's sources: the value sources, and each generic predicate on its own.
        let ranges: Vec<(PredicateId, PredicateId)> =
            numbering.sources.iter().map(|s| (s.first, s.end)).chain(numbering.generic.iter().map(|(id, _)| (*id, id + 1))).collect();
        let (split, per_source) = match kernel {
            Kernel::Algebra => algebra::split(&programs, &ranges),
            Kernel::Guards | Kernel::Sets => (Split { rest: (0..programs.len() as u32).collect(), ..Split::default() }, Vec::new()),
        };
        let mut on_guards = vec![false; programs.len()];
        for &p in &split.rest {
            if let Some(slot) = on_guards.get_mut(p as usize) {
                *slot = true;
            }
        }
        let order: Vec<usize> = set.order.iter().copied().filter(|&i| on_guards.get(i).copied().unwrap_or(false)).collect();
        let mut filing = guards::file(&order, &programs, &estimate);
        // Their programs are laid out for explanations and scores.
        filing.passive = split.exact.iter().chain(&split.partial).copied().collect();
        let predicates = numbering.ids.next as usize;
        let layout = guards::lay_out(filing, &programs, predicates);
        let algebra = Algebra::new(&split, per_source, &ranges);
        let index = finish(set, numbering, programs, layout, algebra);
        warm(&index, set, sample, as_of);
        index
    }
}

/// Phase 7: the algebra's classes of the sample's values, computed now rather than by the
/// first matches that meet them (a cold class at 100k policies costs a millisecond).
fn warm(index: &PolicyIndex, set: &PolicySet, sample: &[Profile], as_of: Date) {
    if index.algebra.is_empty() {
        return;
    }
    let mut m = index.matcher();
    for p in sample {
        let ev = Evaluator::new(set, p, as_of);
        index.encode(&ev, &mut m);
        index.algebra.run(&m.known, &m.truth, &mut m.algebra, &mut m.results);
    }
}

/// Which kernel an index is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// One enterprise: the algebra over sources where it applies, guards for the rest.
    Algebra,
    /// One enterprise, guards and chunks only (to measure against).
    Guards,
    /// The enterprise store's set algebra over predicates ([`PolicyIndex::for_sets`]).
    Sets,
}

/// Phase 2: numbers the leaves source by source, then the generic ones.
#[expect(clippy::mutable_key_type, reason = "nodes hash and compare by regex source text, never by the regex's internal cache")]
fn number(leaves: &[Leaf], set: &PolicySet) -> Numbering {
    let mut by_source: Vec<(Node, Vec<u32>)> = Vec::new();
    let mut source_pos: HashMap<Node, usize> = HashMap::new();
    let mut generic_leaves = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        match leaf.source() {
            Some(src) => {
                let pos = *source_pos.entry(src.clone()).or_insert_with(|| {
                    by_source.push((src.clone(), Vec::new()));
                    by_source.len() - 1
                });
                if let Some(entry) = by_source.get_mut(pos) {
                    entry.1.push(i as u32);
                }
            }
            None => generic_leaves.push(i as u32),
        }
    }
    let mut ids = Ids::new(leaves.len());
    let sources: Vec<Source> =
        by_source.into_iter().map(|(node, leaf_ids)| Source::build(node, &leaf_ids, leaves, set, &mut ids, &mut generic_leaves)).collect();
    let mut generic = Vec::new();
    for l in generic_leaves {
        let node = match leaves.get(l as usize) {
            Some(Leaf::Generic { node }) => node.clone(),
            Some(other) => rebuild_leaf(other),
            None => continue,
        };
        generic.push((ids.assign(l), node));
    }
    Numbering { ids, sources, generic }
}

/// For each predicate, on how many enterprises of a sample it is known, and true; and
/// the sample's size.
struct Observed {
    known: Vec<u32>,
    truth: Vec<u32>,
    n: u32,
}

/// Phase 3: encodes every profile of `sample` with the numbered sources and counts.
fn observe(set: &PolicySet, sample: &[Profile], as_of: Date, numbering: &mut Numbering) -> Option<Observed> {
    if sample.is_empty() {
        return None;
    }
    let next = numbering.ids.next;
    let probe = PolicyIndex {
        predicates: next as usize,
        sources: std::mem::take(&mut numbering.sources),
        generic: std::mem::take(&mut numbering.generic),
        programs: Vec::new(),
        code: Vec::new(),
        guards: Vec::new(),
        entries: Vec::new(),
        chunks: Default::default(),
        fallback: Vec::new(),
        dependent: Vec::new(),
        scorable: Vec::new(),
        algebra: Algebra::default(),
        stats: IndexStats::default(),
    };
    let mut m: Matcher = probe.matcher();
    let (mut known, mut truth) = (vec![0u32; next as usize], vec![0u32; next as usize]);
    for p in sample {
        let ev = Evaluator::new(set, p, as_of);
        probe.encode(&ev, &mut m);
        for i in 0..next {
            if m.known.get(i) {
                if let Some(k) = known.get_mut(i as usize) {
                    *k += 1;
                }
                if m.truth.get(i) {
                    if let Some(t) = truth.get_mut(i as usize) {
                        *t += 1;
                    }
                }
            }
        }
    }
    numbering.sources = probe.sources;
    numbering.generic = probe.generic;
    Some(Observed { known, truth, n: sample.len() as u32 })
}

/// Phase 4: how often a literal is not false, per mille of enterprises: observed on a
/// sample, or estimated from the leaf's structure.
struct Estimates<'a> {
    observed: Option<Observed>,
    leaves: &'a [Leaf],
    /// Per final predicate id, its temporary leaf id.
    inverse: Vec<usize>,
    set: &'a PolicySet,
}

impl<'a> Estimates<'a> {
    fn new(leaves: &'a [Leaf], ids: &Ids, observed: Option<Observed>, set: &'a PolicySet) -> Estimates<'a> {
        let mut inverse = vec![usize::MAX; ids.next as usize];
        for (l, m) in ids.map.iter().enumerate() {
            if let Some(slot) = inverse.get_mut(*m as usize) {
                *slot = l;
            }
        }
        Estimates { observed, leaves, inverse, set }
    }

    /// Per mille of enterprises for which the literal is not known to be false.
    fn not_false(&self, id: u32, neg: bool) -> u32 {
        match &self.observed {
            Some(Observed { known, truth, n }) => {
                let k = known.get(id as usize).copied().unwrap_or(0);
                let t = truth.get(id as usize).copied().unwrap_or(0);
                let satisfied = if neg { k - t.min(k) } else { t };
                let not_false = satisfied + (n - k.min(*n));
                not_false * 1000 / (*n).max(1)
            }
            None => {
                let leaf = self.inverse.get(id as usize).and_then(|l| self.leaves.get(*l));
                leaf.map_or(500, |l| l.truth_estimate(neg, self.set))
            }
        }
    }
}

/// Phase 6: the index, with its statistics and the policies whose score is counted on
/// their program.
fn finish(set: &PolicySet, numbering: Numbering, programs: Vec<Program>, layout: Layout, algebra: Algebra) -> PolicyIndex {
    let Numbering { ids, sources, generic } = numbering;
    let Layout { code, guards, entries, chunks, fallback, dependent, starts, guarded } = layout;
    let stats = IndexStats {
        policies: programs.len(),
        predicates: ids.next as usize,
        sources: sources.len(),
        generic_predicates: generic.len(),
        guard_groups: guards.len(),
        guarded_policies: guarded,
        fallback_policies: fallback.len(),
        dependent_policies: dependent.len(),
        algebra_exact: algebra.exact_count(),
        algebra_partial: algebra.partial_count(),
    };
    let scorable =
        set.policies.iter().zip(&starts).map(|(p, at)| if literal_per_leaf(&p.condition, set, 0) { *at } else { u32::MAX }).collect();
    PolicyIndex {
        predicates: ids.next as usize,
        sources,
        generic,
        programs,
        code,
        guards,
        entries,
        chunks,
        fallback,
        dependent,
        scorable,
        algebra,
        stats,
    }
}
