//! Encoding a profile: the per-source lookup tables, how they are built from a source's
//! leaves, and how a value sets the known and true bits of its predicates.
//!
//! Predicates are numbered source by source ([`build`](super::build)), so a source owns
//! the contiguous id range `first..end`, and a known value makes that whole range known
//! at once. Within it: threshold predicates are numbered in key order per operator (a
//! [`Run`]), so one binary search sets a contiguous run of true bits; memberships are a
//! hash lookup of the value; `under` tests one lookup per ancestor of the code (and a
//! code too coarse to decide a test leaves it unknown); text tests one `str::contains`
//! per distinct literal and one match per distinct regex of the source ([`TextIndex`]);
//! tag tests a lookup per tag the enterprise has. Generic predicates are evaluated by
//! the reference evaluator.
//!
//! Each source is evaluated once per profile, whatever the number of its predicates:
//! that is what makes encoding cheaper than evaluating leaves one by one.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::bits::Mask;
use super::exec::Matcher;
use super::leaves::{eq_key, order_key, EqKey, Key, Leaf, Op, TextPattern};
use super::{PolicyIndex, PredicateId};
use crate::check::{Node, NodeKind, YearRef};
use crate::code::SystemId;
use crate::eval::{Datum, Evaluator};
use crate::policy::PolicySet;

/// The thresholds of one operator on a source, in key order: predicate `first + i`
/// compares with `keys[i]`.
pub(super) struct Run {
    pub(super) op: Op,
    pub(super) keys: Vec<Key>,
    pub(super) first: PredicateId,
}

/// The text predicates of a source: its distinct patterns, each tested once per value.
pub(super) struct TextIndex {
    /// The regexes of the source's `matches` predicates and their pattern numbers.
    regexes: Vec<(usize, regex_lite::Regex)>,
    /// The literals of its `contains` predicates and their numbers (`str::contains`).
    literals: Vec<(usize, String)>,
    /// Number of patterns.
    count: usize,
    /// Per pattern: the predicates that hold when it matches (any one of theirs does).
    any: Vec<Mask>,
    /// Predicates that need all of their patterns, and those patterns.
    all: Vec<(PredicateId, Vec<usize>)>,
}

/// The predicates of one value source and how to set their bits from the source's value.
/// Its maps are looked up on every match, so they hash with FxHash (SipHash cost about
/// a tenth of the encoding).
pub(super) struct Source {
    pub(super) node: Node,
    pub(super) first: PredicateId,
    pub(super) end: PredicateId,
    pub(super) runs: Vec<Run>,
    pub(super) members: FxHashMap<EqKey, Vec<PredicateId>>,
    /// The members that are codes or texts, by text.
    pub(super) member_texts: FxHashMap<String, Vec<PredicateId>>,
    pub(super) under_system: Option<SystemId>,
    pub(super) unders: FxHashMap<String, Mask>,
    /// Code → `under` predicates that the code is too coarse to decide.
    pub(super) coarse: FxHashMap<String, Mask>,
    pub(super) text: Option<TextIndex>,
    /// Tag → the `contains` / `contains_any` predicates that name it.
    pub(super) tags_any: FxHashMap<String, Vec<PredicateId>>,
    /// `contains_all` predicates and their tags.
    pub(super) tags_all: Vec<(PredicateId, Vec<String>)>,
    pub(super) boolean: Option<PredicateId>,
}

/// Final predicate ids, handed out in order as leaves are numbered.
pub(super) struct Ids {
    /// Per temporary leaf id ([`Builder`](super::normalise::Builder)), its final id.
    pub(super) map: Vec<u32>,
    /// The next id to hand out (at the end: the number of predicates).
    pub(super) next: PredicateId,
}

impl Ids {
    pub(super) fn new(leaves: usize) -> Ids {
        Ids { map: vec![0; leaves], next: 0 }
    }

    /// Gives leaf `l` the next id.
    pub(super) fn assign(&mut self, l: u32) -> PredicateId {
        let id = self.next;
        self.next += 1;
        if let Some(m) = self.map.get_mut(l as usize) {
            *m = id;
        }
        id
    }
}

impl Source {
    /// Numbers the leaves `leaf_ids` of source `node` from `ids.next` on, thresholds
    /// first (per operator, in key order), and builds the source's tables. Text leaves
    /// whose regexes do not build are added to `fallback` (for the evaluator) instead.
    pub(super) fn build(node: Node, leaf_ids: &[u32], leaves: &[Leaf], set: &PolicySet, ids: &mut Ids, fallback: &mut Vec<u32>) -> Source {
        let first = ids.next;
        let mut src = Source {
            node,
            first,
            end: first,
            runs: Self::threshold_runs(leaf_ids, leaves, ids),
            members: FxHashMap::default(),
            member_texts: FxHashMap::default(),
            under_system: None,
            unders: FxHashMap::default(),
            coarse: FxHashMap::default(),
            text: None,
            tags_any: FxHashMap::default(),
            tags_all: Vec::new(),
            boolean: None,
        };
        // Everything else of this source, in leaf order.
        let mut patterns: Vec<TextPattern> = Vec::new();
        let mut text_preds = Vec::new();
        let mut unders: HashMap<String, Vec<PredicateId>> = HashMap::new();
        let mut coarse: HashMap<String, Vec<PredicateId>> = HashMap::new();
        for &l in leaf_ids {
            let Some(leaf) = leaves.get(l as usize) else { continue };
            match leaf {
                // Thresholds are numbered above; a generic leaf has no source.
                Leaf::Threshold { .. } | Leaf::Generic { .. } => {}
                Leaf::Member { keys, .. } => {
                    let id = ids.assign(l);
                    for k in keys {
                        match k {
                            // Looked up by the borrowed text, without building a key.
                            EqKey::S(text) => src.member_texts.entry(text.clone()).or_default().push(id),
                            other @ (EqKey::D(_) | EqKey::I(_) | EqKey::B(_)) => src.members.entry(other.clone()).or_default().push(id),
                        }
                    }
                }
                Leaf::Under { system, codes, .. } => {
                    let id = ids.assign(l);
                    src.under_system = Some(*system);
                    for c in codes {
                        unders.entry(c.clone()).or_default().push(id);
                        if let Some(sys) = set.schema.codes.get(*system) {
                            for a in sys.ancestors(c).into_iter().skip(1) {
                                let list = coarse.entry(a).or_default();
                                if !list.contains(&id) {
                                    list.push(id);
                                }
                            }
                        }
                    }
                }
                Leaf::Text { patterns: ps, all, .. } => {
                    let id = ids.assign(l);
                    let mut idx = Vec::new();
                    for p in ps {
                        let k = patterns.iter().position(|x| x == p).unwrap_or_else(|| {
                            patterns.push(p.clone());
                            patterns.len() - 1
                        });
                        idx.push(k);
                    }
                    text_preds.push((l, id, idx, *all));
                }
                Leaf::Tags { tags, all, .. } => {
                    let id = ids.assign(l);
                    if *all {
                        src.tags_all.push((id, tags.clone()));
                    } else {
                        for t in tags {
                            src.tags_any.entry(t.clone()).or_default().push(id);
                        }
                    }
                }
                Leaf::Bool { .. } => src.boolean = Some(ids.assign(l)),
            }
        }
        if !text_preds.is_empty() {
            src.text = TextIndex::build(&patterns, &text_preds);
            if src.text.is_none() {
                // A pattern that does not build here (it did in the checker, with the same
                // limits): these predicates fall back to the evaluator rather than guess.
                fallback.extend(text_preds.iter().map(|(l, ..)| *l));
            }
        }
        src.unders = unders.into_iter().map(|(c, ids)| (c, Mask::of(&ids))).collect();
        src.coarse = coarse.into_iter().map(|(c, ids)| (c, Mask::of(&ids))).collect();
        src.end = ids.next;
        src
    }

    /// Numbers the threshold leaves of a source, operator by operator and in key order
    /// within each, so that a value's true thresholds are one contiguous run per operator.
    fn threshold_runs(leaf_ids: &[u32], leaves: &[Leaf], ids: &mut Ids) -> Vec<Run> {
        let mut runs = Vec::new();
        for op in [Op::Ge, Op::Gt, Op::Le, Op::Lt] {
            let mut ks: Vec<(Key, u32)> = leaf_ids
                .iter()
                .filter_map(|&l| match leaves.get(l as usize) {
                    Some(Leaf::Threshold { op: o, key, .. }) if *o == op => Some((key.clone(), l)),
                    _ => None,
                })
                .collect();
            if ks.is_empty() {
                continue;
            }
            crate::sort::sort(&mut ks);
            let first = ids.next;
            for (_, l) in &ks {
                ids.assign(*l);
            }
            runs.push(Run { op, keys: ks.into_iter().map(|(k, _)| k).collect(), first });
        }
        runs
    }
}

impl TextIndex {
    /// The index of a source's text predicates (`(leaf, id, pattern numbers, needs all)`
    /// over `patterns`); `None` when one of the regexes does not build.
    fn build(patterns: &[TextPattern], preds: &[(u32, PredicateId, Vec<usize>, bool)]) -> Option<TextIndex> {
        let mut literals = Vec::new();
        let mut regexes = Vec::new();
        for (k, p) in patterns.iter().enumerate() {
            match p {
                TextPattern::Literal(l) => literals.push((k, l.clone())),
                TextPattern::Regex(r) => {
                    regexes.push((k, regex_lite::RegexBuilder::new(r).size_limit(crate::check::REGEX_SIZE_LIMIT).build().ok()?));
                }
            }
        }
        let mut any: Vec<Vec<PredicateId>> = vec![Vec::new(); patterns.len()];
        let mut all = Vec::new();
        for (_, id, idx, needs_all) in preds {
            if *needs_all && idx.len() != 1 {
                all.push((*id, idx.clone()));
            } else {
                for k in idx {
                    if let Some(list) = any.get_mut(*k) {
                        list.push(*id);
                    }
                }
            }
        }
        let any = any.iter().map(|ids| Mask::of(ids)).collect();
        Some(TextIndex { regexes, literals, count: patterns.len(), any, all })
    }
}

impl PolicyIndex {
    /// Encodes a profile into the matcher's known/true bitsets.
    pub fn encode<'a>(&'a self, ev: &Evaluator<'a>, m: &mut Matcher) {
        self.encode_partial(ev, m, &|_| true, &|_| true);
    }

    /// Encodes the sources for which `include(source)` holds and the generic predicates
    /// for which `generic(id)` holds; the other bits stay clear. The store encodes plain
    /// field sources column by column and the rest through this.
    pub fn encode_partial<'a>(
        &'a self,
        ev: &Evaluator<'a>,
        m: &mut Matcher,
        include: &dyn Fn(usize) -> bool,
        generic: &dyn Fn(PredicateId) -> bool,
    ) {
        m.known.clear();
        m.truth.clear();
        for (s, src) in self.sources.iter().enumerate() {
            if !include(s) {
                continue;
            }
            let Ok(v) = ev.eval(&src.node) else { continue };
            Self::encode_value(src, &v, ev.set, m);
        }
        for (id, node) in &self.generic {
            if !generic(*id) {
                continue;
            }
            if let Ok(Datum::Bool(b)) = ev.eval(node) {
                m.known.set(*id);
                if b {
                    m.truth.set(*id);
                }
            }
        }
    }

    /// Number of value sources.
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// The predicate id range `first..end` of source `s`.
    pub fn source_range(&self, s: usize) -> Option<(PredicateId, PredicateId)> {
        self.sources.get(s).map(|src| (src.first, src.end))
    }

    /// The field (and year) source `s` reads, when it is a plain field read.
    pub fn source_field(&self, s: usize) -> Option<(crate::schema::FieldId, Option<YearRef>)> {
        match &self.sources.get(s)?.node.kind {
            NodeKind::Field { field, year } => Some((*field, *year)),
            _ => None,
        }
    }

    /// The node source `s` evaluates.
    pub fn source_node(&self, s: usize) -> Option<&Node> {
        self.sources.get(s).map(|src| &src.node)
    }

    /// The generic predicates (evaluated by the reference evaluator) and their nodes.
    pub fn generic_predicates(&self) -> impl Iterator<Item = (PredicateId, &Node)> {
        self.generic.iter().map(|(id, n)| (*id, n))
    }

    /// Sets the bits of source `s` for a known value `v` (clears the matcher first):
    /// exactly what [`PolicyIndex::encode`] does for that source.
    pub fn encode_source_value(&self, s: usize, v: &Datum<'_>, set: &PolicySet, m: &mut Matcher) {
        m.known.clear();
        m.truth.clear();
        if let Some(src) = self.sources.get(s) {
            Self::encode_value(src, v, set, m);
        }
    }

    fn encode_value(src: &Source, v: &Datum<'_>, set: &PolicySet, m: &mut Matcher) {
        m.known.set_range(src.first, src.end);
        if !src.runs.is_empty() {
            if let Some(k) = order_key(v) {
                for run in &src.runs {
                    let n = run.keys.len() as u32;
                    let (lo, hi) = match run.op {
                        Op::Ge => (0, run.keys.partition_point(|t| *t <= k) as u32),
                        Op::Gt => (0, run.keys.partition_point(|t| *t < k) as u32),
                        Op::Le => (run.keys.partition_point(|t| *t < k) as u32, n),
                        Op::Lt => (run.keys.partition_point(|t| *t <= k) as u32, n),
                    };
                    m.truth.set_range(run.first + lo, run.first + hi);
                }
            }
        }
        if let (false, Datum::Code(s) | Datum::Text(s)) = (src.member_texts.is_empty(), v) {
            if let Some(ps) = src.member_texts.get(*s) {
                for p in ps {
                    m.truth.set(*p);
                }
            }
        } else if !src.members.is_empty() {
            if let Some(ps) = eq_key(v).and_then(|k| src.members.get(&k)) {
                for p in ps {
                    m.truth.set(*p);
                }
            }
        }
        if let (Some(sys), Datum::Code(code)) = (src.under_system, v) {
            if let Some(system) = set.schema.codes.get(sys) {
                system.for_each_ancestor(code, |a| {
                    if let Some(mask) = src.unders.get(a) {
                        m.truth.or_mask(mask);
                    }
                });
                if let Some(mask) = src.coarse.get(*code) {
                    m.known.unset_mask_unless(mask, &m.truth);
                }
            }
        }
        if let (Some(t), Datum::Text(text)) = (&src.text, v) {
            let mut hit = std::mem::take(&mut m.text_hits);
            hit.clear();
            hit.resize(t.count, false);
            let found = t.regexes.iter().filter(|(_, re)| re.is_match(text)).map(|(k, _)| *k);
            for k in found.chain(t.literals.iter().filter(|(_, l)| text.contains(l.as_str())).map(|(k, _)| *k)) {
                if let Some(h) = hit.get_mut(k) {
                    *h = true;
                }
                if let Some(mask) = t.any.get(k) {
                    m.truth.or_mask(mask);
                }
            }
            let hits = |i: &usize| hit.get(*i).copied().unwrap_or(false);
            for (p, idx) in &t.all {
                if idx.iter().all(hits) {
                    m.truth.set(*p);
                }
            }
            m.text_hits = hit;
        }
        if let Datum::Tags(tags) = v {
            if !src.tags_any.is_empty() {
                for t in tags.iter() {
                    for p in src.tags_any.get(t).into_iter().flatten() {
                        m.truth.set(*p);
                    }
                }
            }
            for (p, need) in &src.tags_all {
                if need.iter().all(|t| tags.contains(t)) {
                    m.truth.set(*p);
                }
            }
        }
        if let (Some(p), Datum::Bool(true)) = (src.boolean, v) {
            m.truth.set(p);
        }
    }
}
