//! The policy index: one enterprise against every policy in microseconds, with exactly the
//! reference evaluator's verdicts.
//!
//! # Design
//!
//! **Compile.** Each policy condition is normalised: definitions are inlined, negation is
//! pushed to the leaves (valid under Kleene logic: `not (a and b)` = `not a or not b`, and
//! `not at_least(k, xs)` = `at_least(n-k+1, not xs)`), `between` becomes two thresholds,
//! constants fold. Every distinct leaf predicate across all policies gets a
//! [`PredicateId`] in a dictionary, and each policy becomes a small [`Program`] over
//! predicate literals.
//!
//! **Encode.** A profile is encoded once as two bitsets over predicate ids: *known* and
//! *true*. Leaves are grouped by their *value source* (a field at a year, a derived field,
//! an arithmetic expression such as `rd_expense@fy1 / operating_revenue@fy1`), and each
//! source is evaluated once per profile. Per source: threshold predicates (`>=`, `>`, `<=`,
//! `<`) are numbered in threshold order, so one binary search sets a contiguous run of bits;
//! equality and `in` predicates are a hash lookup of the value; `under` predicates a lookup
//! per ancestor of the code; text predicates one `str::contains` per distinct literal and one
//! match per distinct regex of the source; tag tests a lookup per tag the enterprise has.
//! What cannot be indexed
//! (qualification tests, as-of-relative dates, year quantifiers…) is a *generic* predicate,
//! evaluated by the reference evaluator — the fallback set.
//!
//! **Match.** Each conjunctive policy is filed under one *guard* literal it requires (the
//! k-index / percolator pre-filter idea, choosing the most selective kind: a code, enum or
//! list membership before a threshold). A guard that is known false rules out its whole
//! group without visiting it. A live group's policies that are an `and` of literals and
//! small `or`s are evaluated 64 at a time, each distinct clause once per chunk, without a
//! branch on the values (`chunks`); the others run as programs over the bits on a small
//! interpreter; policies that use `eligible(…)` run last, in dependency order.
//!
//! The trade-off: encoding costs one pass over the distinct predicates, so the index pays
//! when predicates are shared across policies (they are: thresholds come from round
//! values, regions and industries from code lists). Differential property tests check it
//! against the reference evaluator on random policy sets and profiles.

mod bits;
mod chunks;

use std::collections::HashMap;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::check::{Const, Node, NodeKind, Ty, YearRef};
use crate::code::SystemId;
use crate::date::Date;
use crate::eval::{Datum, Evaluator, Tri, Unknown};
use crate::lang::ast::{CmpOp, ContainsMode};
use crate::policy::PolicySet;
use crate::profile::Profile;

pub use bits::Bits;
use bits::Mask;
use chunks::Chunks;

/// Identifies a leaf predicate in the dictionary.
pub type PredicateId = u32;

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
            leaf => f(leaf),
        }
    }
}

/// One instruction of the flattened program arena (prefix order; a composite's `size`
/// counts its whole subtree, so a short-circuit skips it in one step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instr {
    Const(Tri),
    Lit(PredicateId, bool),
    Policy(u32, bool),
    And { n: u32, size: u32 },
    Or { n: u32, size: u32 },
    AtLeast { k: u32, n: u32, size: u32 },
}

impl Instr {
    #[inline]
    fn size(self) -> usize {
        match self {
            Instr::And { size, .. } | Instr::Or { size, .. } | Instr::AtLeast { size, .. } => size as usize,
            _ => 1,
        }
    }
}

fn flatten(p: &Program, out: &mut Vec<Instr>) {
    match p {
        Program::Const(t) => out.push(Instr::Const(*t)),
        Program::Lit(i, n) => out.push(Instr::Lit(*i, *n)),
        Program::Policy(i, n) => out.push(Instr::Policy(*i, *n)),
        Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => {
            let at = out.len();
            out.push(Instr::Const(Tri::Unknown)); // placeholder
            for x in xs {
                flatten(x, out);
            }
            let size = (out.len() - at) as u32;
            let n = xs.len() as u32;
            let op = match p {
                Program::And(_) => Instr::And { n, size },
                Program::Or(_) => Instr::Or { n, size },
                Program::AtLeast(k, _) => Instr::AtLeast { k: *k, n, size },
                _ => Instr::Const(Tri::Unknown),
            };
            if let Some(slot) = out.get_mut(at) {
                *slot = op;
            }
        }
    }
}

#[inline(always)]
fn lit(known: &Bits, truth: &Bits, p: PredicateId, neg: bool) -> Tri {
    if !known.get(p) {
        Tri::Unknown
    } else if truth.get(p) != neg {
        Tri::True
    } else {
        Tri::False
    }
}

/// Evaluates the instruction at `i` of the arena, three-valued.
fn exec(code: &[Instr], i: usize, known: &Bits, truth: &Bits, results: &[Tri]) -> Tri {
    let Some(op) = code.get(i).copied() else { return Tri::Unknown };
    match op {
        Instr::Const(t) => t,
        Instr::Lit(p, neg) => lit(known, truth, p, neg),
        Instr::Policy(p, neg) => match (results.get(p as usize).copied().unwrap_or(Tri::Unknown), neg) {
            (Tri::Unknown, _) => Tri::Unknown,
            (Tri::True, false) | (Tri::False, true) => Tri::True,
            _ => Tri::False,
        },
        Instr::And { n, size } | Instr::Or { n, size } => {
            let (stop, otherwise) = if matches!(op, Instr::And { .. }) { (Tri::False, Tri::True) } else { (Tri::True, Tri::False) };
            let mut unknown = false;
            // Children that are all literals (the common case) are one straight run.
            if size == n + 1 {
                for (k, c) in code.get(i + 1..i + 1 + n as usize).unwrap_or(&[]).iter().enumerate() {
                    let t = match *c {
                        Instr::Lit(p, neg) => lit(known, truth, p, neg),
                        _ => exec(code, i + 1 + k, known, truth, results),
                    };
                    if t == stop {
                        return stop;
                    }
                    unknown |= t == Tri::Unknown;
                }
            } else {
                let mut j = i + 1;
                for _ in 0..n {
                    let t = exec(code, j, known, truth, results);
                    if t == stop {
                        return stop;
                    }
                    unknown |= t == Tri::Unknown;
                    j += code.get(j).map_or(1, |o| o.size());
                }
            }
            if unknown {
                Tri::Unknown
            } else {
                otherwise
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

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    D(Decimal),
    I(i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum EqKey {
    D(Decimal),
    I(i64),
    S(String),
    B(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

/// A leaf before numbering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Leaf {
    Threshold {
        source: Node,
        op: Op,
        key: Key,
    },
    Member {
        source: Node,
        keys: Vec<EqKey>,
    },
    Under {
        source: Node,
        system: SystemId,
        codes: Vec<String>,
    },
    Text {
        source: Node,
        patterns: Vec<TextPattern>,
        all: bool,
    },
    /// `tags contains …` / `contains_any` / `contains_all`.
    Tags {
        source: Node,
        tags: Vec<String>,
        all: bool,
    },
    Bool {
        source: Node,
    },
    Generic {
        node: Node,
    },
}

/// One pattern of a text predicate: a literal (`contains`) or a regex (`matches`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum TextPattern {
    Literal(String),
    Regex(String),
}

impl TextPattern {
    /// The pattern as a regex.
    fn regex(&self) -> String {
        match self {
            TextPattern::Literal(s) => regex_lite::escape(s),
            TextPattern::Regex(r) => r.clone(),
        }
    }
}

impl Leaf {
    fn source(&self) -> Option<&Node> {
        match self {
            Leaf::Threshold { source, .. }
            | Leaf::Member { source, .. }
            | Leaf::Under { source, .. }
            | Leaf::Text { source, .. }
            | Leaf::Tags { source, .. }
            | Leaf::Bool { source } => Some(source),
            Leaf::Generic { .. } => None,
        }
    }

    /// Estimated probability (per mille) that the literal is true for an enterprise: the
    /// guard of a policy is its least likely required literal. Without statistics of the
    /// enterprise population this is a structural estimate: a district or a 4-digit
    /// industry is rare, a province or a section common; one enum value of five is 20%;
    /// a threshold is a coin toss; a negated literal is the complement.
    fn truth_estimate(&self, negated: bool, set: &PolicySet) -> u32 {
        let code_share = |c: &str| -> u32 {
            if c.bytes().all(|b| b.is_ascii_digit()) {
                if c.ends_with("0000") {
                    900
                } else if c.ends_with("00") {
                    450
                } else {
                    40
                }
            } else {
                match c.len() {
                    1 => 250,
                    2 | 3 => 40,
                    4 => 15,
                    _ => 8,
                }
            }
        };
        let p: u32 = match self {
            Leaf::Member { source, keys } => {
                let per_key = match source.ty {
                    Ty::Enum(e) => set.schema.enum_def(e).map_or(200, |d| 1000 / d.values.len().max(1) as u32),
                    Ty::Code(_) => 20,
                    Ty::Bool => 500,
                    Ty::Text => 10,
                    _ => 100,
                };
                (per_key * keys.len() as u32).min(1000)
            }
            Leaf::Under { codes, .. } => codes.iter().map(|c| code_share(c)).sum::<u32>().min(1000),
            Leaf::Text { patterns, all, .. } => {
                if *all {
                    50
                } else {
                    (80 * patterns.len() as u32).min(1000)
                }
            }
            Leaf::Tags { tags, all, .. } => {
                if *all && tags.len() > 1 {
                    50
                } else {
                    (150 * tags.len() as u32).min(1000)
                }
            }
            Leaf::Bool { .. } => 500,
            Leaf::Threshold { .. } => 500,
            Leaf::Generic { .. } => 600,
        };
        if negated {
            1000 - p
        } else {
            p
        }
    }
}

fn order_key(v: &Datum<'_>) -> Option<Key> {
    match v {
        Datum::Num(d) => Some(Key::D(*d)),
        Datum::Date(d) => Some(Key::I(i64::from(d.day_number()))),
        Datum::Year(y) => Some(Key::I(i64::from(*y))),
        Datum::Enum(e) => Some(Key::I(i64::from(*e))),
        _ => None,
    }
}

fn eq_key(v: &Datum<'_>) -> Option<EqKey> {
    match v {
        Datum::Num(d) => Some(EqKey::D(d.normalize())),
        Datum::Date(d) => Some(EqKey::I(i64::from(d.day_number()))),
        Datum::Year(y) => Some(EqKey::I(i64::from(*y))),
        Datum::Enum(e) => Some(EqKey::I(i64::from(*e))),
        Datum::Code(s) | Datum::Text(s) => Some(EqKey::S((*s).to_string())),
        Datum::Bool(b) => Some(EqKey::B(*b)),
        _ => None,
    }
}

/// The runtime value of a constant that does not depend on the evaluation date.
fn const_value(c: &Const) -> Option<Datum<'_>> {
    match c {
        Const::Year(YearRef::Abs(y)) => Some(Datum::Year(*y)),
        Const::Year(_) | Const::Duration(_) => None,
        _ => Some(Datum::of_const(c, |_| 0)), // no year reaches the closure
    }
}

struct Run {
    op: Op,
    keys: Vec<Key>,
    first: PredicateId,
}

struct TextIndex {
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
struct Source {
    node: Node,
    first: PredicateId,
    end: PredicateId,
    runs: Vec<Run>,
    members: FxHashMap<EqKey, Vec<PredicateId>>,
    /// The members that are codes or texts, by text.
    member_texts: FxHashMap<String, Vec<PredicateId>>,
    under_system: Option<SystemId>,
    unders: FxHashMap<String, Mask>,
    /// Code → `under` predicates that the code is too coarse to decide.
    coarse: FxHashMap<String, Mask>,
    text: Option<TextIndex>,
    /// Tag → the `contains` / `contains_any` predicates that name it.
    tags_any: FxHashMap<String, Vec<PredicateId>>,
    /// `contains_all` predicates and their tags.
    tags_all: Vec<(PredicateId, Vec<String>)>,
    boolean: Option<PredicateId>,
}

struct Guard {
    /// The guard literal's slot in the rank table ([`Chunks::slot`]).
    slot: u32,
    /// Its policies in clause form, as bit-parallel chunks (a range of [`Chunks`]).
    chunks: (u32, u32),
    /// Its other policies, for the interpreter (a range of `PolicyIndex::entries`).
    entries: (u32, u32),
}

/// A guarded policy run on the interpreter: where its program starts, and a second
/// required literal checked before the program runs (`NO_PRED` when there is none).
#[derive(Clone, Copy)]
struct Entry {
    policy: u32,
    at: u32,
    second: PredicateId,
    second_negated: bool,
}

const NO_PRED: PredicateId = PredicateId::MAX;

/// A literal: a predicate and whether it is negated.
type Literal = (PredicateId, bool);
/// Policies filed under one guard literal, each with its second-best literal.
type GuardGroups = HashMap<Literal, Vec<(u32, Literal)>>;

/// Statistics of a compiled index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    pub policies: usize,
    pub predicates: usize,
    pub sources: usize,
    pub generic_predicates: usize,
    pub guard_groups: usize,
    pub guarded_policies: usize,
    pub fallback_policies: usize,
    pub dependent_policies: usize,
}

/// The compiled policy index.
pub struct PolicyIndex {
    predicates: usize,
    sources: Vec<Source>,
    generic: Vec<(PredicateId, Node)>,
    programs: Vec<Program>,
    /// Every program flattened into one arena, laid out in guard-group order so that a
    /// match reads it front to back.
    code: Vec<Instr>,
    guards: Vec<Guard>,
    entries: Vec<Entry>,
    chunks: Chunks,
    fallback: Vec<(u32, u32)>,
    dependent: Vec<(u32, u32)>,
    /// Per policy: where its program starts in the arena when its score can be counted on
    /// the program ([`literal_per_leaf`]); `u32::MAX` when it cannot.
    scorable: Vec<u32>,
    stats: IndexStats,
}

impl std::fmt::Debug for PolicyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyIndex").field("stats", &self.stats).finish()
    }
}

struct Builder<'s> {
    set: &'s PolicySet,
    leaves: Vec<Leaf>,
    ids: HashMap<Leaf, u32>,
    /// Split `under [A, B, …]` into one predicate per code (see [`PolicyIndex::for_sets`]).
    split_lists: bool,
}

impl Builder<'_> {
    fn leaf_id(&mut self, leaf: Leaf) -> u32 {
        if let Some(&i) = self.ids.get(&leaf) {
            return i;
        }
        let i = self.leaves.len() as u32;
        self.ids.insert(leaf.clone(), i);
        self.leaves.push(leaf);
        i
    }

    fn generic(&mut self, n: &Node, neg: bool) -> Program {
        let id = self.leaf_id(Leaf::Generic { node: n.canonical() });
        Program::Lit(id, neg)
    }

    /// Normalises a boolean node to a program (negation pushed down), with temporary ids.
    fn norm(&mut self, n: &Node, neg: bool, depth: usize) -> Program {
        use NodeKind as K;
        if depth > 256 {
            return self.generic(n, neg);
        }
        match &n.kind {
            K::Const(Const::Bool(b)) => Program::Const(if *b != neg { Tri::True } else { Tri::False }),
            K::Not(x) => self.norm(x, !neg, depth + 1),
            K::And(xs) | K::Or(xs) => {
                let parts: Vec<Program> = xs.iter().map(|x| self.norm(x, neg, depth + 1)).collect();
                let is_and = matches!(n.kind, K::And(_)) != neg;
                fold(is_and, parts)
            }
            K::AtLeast(k, xs) => {
                let parts: Vec<Program> = xs.iter().map(|x| self.norm(x, neg, depth + 1)).collect();
                let k = if neg { (xs.len() as u32 + 1).saturating_sub(*k) } else { *k };
                if k == 0 {
                    Program::Const(Tri::True)
                } else {
                    Program::AtLeast(k, parts)
                }
            }
            K::Def(i) if n.ty == Ty::Bool => match self.set.definitions.get(*i) {
                Some(d) => {
                    let node = d.node.clone();
                    self.norm(&node, neg, depth + 1)
                }
                None => self.generic(n, neg),
            },
            K::Eligible(i) => Program::Policy(*i as u32, neg),
            // For set algebra only: `x under [A, B]` is `x under A or x under B` in Kleene
            // logic too (true when any code matches; unknown when none does and one is too
            // coarse to decide): one predicate per code, shared by every list that names
            // it, instead of one per distinct list.
            K::Under { expr, system, codes } if self.split_lists && codes.len() > 1 => {
                let src = expr.canonical();
                let mut codes = codes.clone();
                codes.sort();
                codes.dedup();
                let parts: Vec<Program> = codes
                    .into_iter()
                    .map(|c| Program::Lit(self.leaf_id(Leaf::Under { source: src.clone(), system: *system, codes: vec![c] }), neg))
                    .collect();
                fold(neg, parts)
            }
            // A count or sum over records is compared by the range its records allow (the
            // reference evaluator decides it): one compound predicate, encoded once.
            K::Between { expr, .. } if crate::eval::ranged_records(self.set, expr) => self.generic(n, neg),
            K::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let (Some(lo), Some(hi)) = (const_key(low), const_key(high)) else { return self.generic(n, neg) };
                let src = expr.canonical();
                let a = self.leaf_id(Leaf::Threshold { source: src.clone(), op: if *low_inclusive { Op::Ge } else { Op::Gt }, key: lo });
                let b = self.leaf_id(Leaf::Threshold { source: src, op: if *high_inclusive { Op::Le } else { Op::Lt }, key: hi });
                fold(!neg, vec![Program::Lit(a, neg), Program::Lit(b, neg)])
            }
            // A comparison of a max(…) / min(…) may be decided by its known arguments
            // alone (Kleene), one of a count / sum over records by the range its records
            // allow: the reference evaluator decides it, as a generic predicate.
            K::Cmp { lhs, rhs, .. } if crate::eval::compared_by_range(self.set, lhs) || crate::eval::compared_by_range(self.set, rhs) => {
                self.generic(n, neg)
            }
            _ => {
                let (leaf, extra) = classify(n);
                let id = self.leaf_id(leaf);
                Program::Lit(id, neg != extra)
            }
        }
    }
}

fn const_key(n: &Node) -> Option<Key> {
    match &n.kind {
        NodeKind::Const(c) => const_value(c).as_ref().and_then(order_key),
        _ => None,
    }
}

fn const_eq(c: &Const) -> Option<EqKey> {
    const_value(c).as_ref().and_then(eq_key)
}

/// Folds an and/or: constants are absorbed, nested same-kind nodes flattened.
fn fold(is_and: bool, parts: Vec<Program>) -> Program {
    let (absorb, neutral) = if is_and { (Tri::False, Tri::True) } else { (Tri::True, Tri::False) };
    let mut out = Vec::new();
    for p in parts {
        match p {
            Program::Const(t) if t == absorb => return Program::Const(absorb),
            Program::Const(t) if t == neutral => {}
            Program::And(xs) if is_and => out.extend(xs),
            Program::Or(xs) if !is_and => out.extend(xs),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Program::Const(neutral),
        1 => out.pop().unwrap_or(Program::Const(neutral)),
        _ => {
            if is_and {
                Program::And(out)
            } else {
                Program::Or(out)
            }
        }
    }
}

/// Classifies a leaf node; the flag says the leaf stands for the *negation* of the
/// returned predicate (`x != 3` is `not (x = 3)`).
fn classify(n: &Node) -> (Leaf, bool) {
    use NodeKind as K;
    let generic = || (Leaf::Generic { node: n.canonical() }, false);
    match &n.kind {
        K::Cmp { op, lhs, rhs } => {
            let (src, c, op) = match (&lhs.kind, &rhs.kind) {
                (_, K::Const(c)) if !lhs.is_const() => (lhs, c, *op),
                (K::Const(c), _) if !rhs.is_const() => (rhs, c, op.flip()),
                _ => return generic(),
            };
            let source = src.canonical();
            match op {
                CmpOp::Eq | CmpOp::Ne => match const_eq(c) {
                    Some(k) => (Leaf::Member { source, keys: vec![k] }, op == CmpOp::Ne),
                    None => generic(),
                },
                _ => match const_value(c).as_ref().and_then(order_key) {
                    Some(key) => {
                        let op = match op {
                            CmpOp::Ge => Op::Ge,
                            CmpOp::Gt => Op::Gt,
                            CmpOp::Le => Op::Le,
                            _ => Op::Lt,
                        };
                        (Leaf::Threshold { source, op, key }, false)
                    }
                    None => generic(),
                },
            }
        }
        K::InSet { expr, items, negated } => {
            let keys: Option<Vec<EqKey>> = items.iter().map(const_eq).collect();
            match keys {
                Some(mut keys) => {
                    keys.dedup();
                    (Leaf::Member { source: expr.canonical(), keys }, *negated)
                }
                None => generic(),
            }
        }
        K::Under { expr, system, codes } => (Leaf::Under { source: expr.canonical(), system: *system, codes: codes.clone() }, false),
        K::TextContains { expr, mode, items } => (
            Leaf::Text {
                source: expr.canonical(),
                patterns: items.iter().map(|s| TextPattern::Literal(s.clone())).collect(),
                all: *mode == ContainsMode::All,
            },
            false,
        ),
        K::TagContains { expr, mode, items } => {
            let mut tags = items.clone();
            tags.sort();
            tags.dedup();
            (Leaf::Tags { source: expr.canonical(), tags, all: *mode == ContainsMode::All }, false)
        }
        K::Matches { expr, pattern } => {
            (Leaf::Text { source: expr.canonical(), patterns: vec![TextPattern::Regex(pattern.source.clone())], all: false }, false)
        }
        K::Field { .. } if n.ty == Ty::Bool => (Leaf::Bool { source: n.canonical() }, false),
        _ => generic(),
    }
}

fn remap(p: &Program, map: &[u32]) -> Program {
    match p {
        Program::Lit(i, n) => Program::Lit(map.get(*i as usize).copied().unwrap_or(*i), *n),
        Program::And(xs) => Program::And(xs.iter().map(|x| remap(x, map)).collect()),
        Program::Or(xs) => Program::Or(xs.iter().map(|x| remap(x, map)).collect()),
        Program::AtLeast(k, xs) => Program::AtLeast(*k, xs.iter().map(|x| remap(x, map)).collect()),
        other => other.clone(),
    }
}

/// Orders the children of and/or so evaluation short-circuits early: in an `and` the
/// literal most likely to be false first, in an `or` the one most likely true; composite
/// children last. Kleene and/or are commutative, so verdicts do not change.
fn order_children(p: &mut Program, estimate: &dyn Fn(u32, bool) -> u32) {
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
            _ => 2000,
        }
    };
    match p {
        Program::And(xs) => {
            xs.iter_mut().for_each(|x| order_children(x, estimate));
            xs.sort_by_key(|x| key(x, true));
        }
        Program::Or(xs) => {
            xs.iter_mut().for_each(|x| order_children(x, estimate));
            xs.sort_by_key(|x| key(x, false));
        }
        Program::AtLeast(_, xs) => xs.iter_mut().for_each(|x| order_children(x, estimate)),
        _ => {}
    }
}

/// Whether every requirement leaf of a condition becomes exactly one literal of its
/// program, so that the explanation's score (share of leaves met) can be counted on the
/// program's literals. Not so for what normalising folds or splits (constants, `between`,
/// an `at_least` that becomes a constant), nor for what the explanation opens up and the
/// program keeps whole (`eligible(…)`, `if`, year quantifiers).
fn literal_per_leaf(n: &Node, set: &PolicySet, depth: usize) -> bool {
    use NodeKind as K;
    if depth > 200 {
        return false;
    }
    match &n.kind {
        K::Not(x) => literal_per_leaf(x, set, depth + 1),
        K::And(xs) | K::Or(xs) => !xs.is_empty() && xs.iter().all(|x| literal_per_leaf(x, set, depth + 1)),
        K::AtLeast(k, xs) => *k >= 1 && (*k as usize) <= xs.len() && xs.iter().all(|x| literal_per_leaf(x, set, depth + 1)),
        K::Def(i) if n.ty == Ty::Bool => set.definitions.get(*i).is_some_and(|d| literal_per_leaf(&d.node, set, depth + 1)),
        K::Const(_) | K::Between { .. } | K::Eligible(_) | K::If { .. } | K::Quantified { .. } => false,
        _ => n.ty == Ty::Bool,
    }
}

fn uses_policies(p: &Program) -> bool {
    match p {
        Program::Policy(..) => true,
        Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => xs.iter().any(uses_policies),
        _ => false,
    }
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
        Self::build_with(set, sample, as_of, false)
    }

    /// The index the enterprise store evaluates as set algebra over predicate sets.
    /// Same semantics, one difference in the dictionary: a code list (`industry under
    /// [C, I65]`) becomes an `or` of one predicate per code. The store keeps a set per
    /// predicate, so a dictionary proportional to the codes policies name (tens) rather
    /// than to their distinct lists (hundreds) keeps it small; literal `or`s cost the
    /// set algebra little. The one-enterprise matcher keeps whole lists: a list is a
    /// better guard there than an `or` it cannot guard with.
    pub fn for_sets(set: &PolicySet) -> PolicyIndex {
        Self::build_with(set, &[], Date::from_day_number(0), true)
    }

    #[expect(clippy::mutable_key_type, reason = "nodes hash and compare by regex source text, never by the regex's internal cache")]
    fn build_with(set: &PolicySet, sample: &[Profile], as_of: Date, split_lists: bool) -> PolicyIndex {
        let mut b = Builder { set, leaves: Vec::new(), ids: HashMap::new(), split_lists };
        let temp: Vec<Program> = set.policies.iter().map(|p| b.norm(&p.condition, false, 0)).collect();

        // Number predicates source by source, thresholds in key order, so that a source's
        // predicates are one contiguous id range and a threshold run is contiguous too.
        let mut by_source: Vec<(Node, Vec<u32>)> = Vec::new();
        let mut source_pos: HashMap<Node, usize> = HashMap::new();
        let mut generic_leaves = Vec::new();
        for (i, leaf) in b.leaves.iter().enumerate() {
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
        let mut map = vec![0u32; b.leaves.len()];
        let mut next: u32 = 0;
        let mut sources = Vec::new();
        for (node, leaf_ids) in by_source {
            let first = next;
            let mut src = Source {
                node,
                first,
                end: first,
                runs: Vec::new(),
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
            // Threshold runs.
            for op in [Op::Ge, Op::Gt, Op::Le, Op::Lt] {
                let mut ks: Vec<(Key, u32)> = leaf_ids
                    .iter()
                    .filter_map(|&l| match b.leaves.get(l as usize) {
                        Some(Leaf::Threshold { op: o, key, .. }) if *o == op => Some((key.clone(), l)),
                        _ => None,
                    })
                    .collect();
                if ks.is_empty() {
                    continue;
                }
                ks.sort();
                let run_first = next;
                for (_, l) in &ks {
                    if let Some(m) = map.get_mut(*l as usize) {
                        *m = next;
                    }
                    next += 1;
                }
                src.runs.push(Run { op, keys: ks.into_iter().map(|(k, _)| k).collect(), first: run_first });
            }
            // Everything else of this source.
            let mut patterns: Vec<TextPattern> = Vec::new();
            let mut text_preds = Vec::new();
            let mut unders: HashMap<String, Vec<PredicateId>> = HashMap::new();
            let mut coarse: HashMap<String, Vec<PredicateId>> = HashMap::new();
            for &l in &leaf_ids {
                let id = match b.leaves.get(l as usize) {
                    Some(Leaf::Threshold { .. }) | None => continue,
                    Some(_) => {
                        let id = next;
                        next += 1;
                        if let Some(m) = map.get_mut(l as usize) {
                            *m = id;
                        }
                        id
                    }
                };
                match b.leaves.get(l as usize) {
                    Some(Leaf::Member { keys, .. }) => {
                        for k in keys {
                            match k {
                                // Looked up by the borrowed text, without building a key.
                                EqKey::S(text) => src.member_texts.entry(text.clone()).or_default().push(id),
                                other => src.members.entry(other.clone()).or_default().push(id),
                            }
                        }
                    }
                    Some(Leaf::Under { system, codes, .. }) => {
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
                    Some(Leaf::Text { patterns: ps, all, .. }) => {
                        let mut idx = Vec::new();
                        for p in ps {
                            let k = patterns.iter().position(|x| x == p).unwrap_or_else(|| {
                                patterns.push(p.clone());
                                patterns.len() - 1
                            });
                            idx.push(k);
                        }
                        text_preds.push((id, idx, *all));
                    }
                    Some(Leaf::Tags { tags, all, .. }) => {
                        if *all {
                            src.tags_all.push((id, tags.clone()));
                        } else {
                            for t in tags {
                                src.tags_any.entry(t.clone()).or_default().push(id);
                            }
                        }
                    }
                    Some(Leaf::Bool { .. }) => src.boolean = Some(id),
                    _ => {}
                }
            }
            if !text_preds.is_empty() {
                let mut literals = Vec::new();
                let mut regexes = Vec::new();
                let mut failed = false;
                for (k, p) in patterns.iter().enumerate() {
                    match p {
                        TextPattern::Literal(l) => literals.push((k, l.clone())),
                        TextPattern::Regex(r) => {
                            match regex_lite::RegexBuilder::new(r).size_limit(crate::check::REGEX_SIZE_LIMIT).build() {
                                Ok(re) => regexes.push((k, re)),
                                Err(_) => failed = true,
                            }
                        }
                    }
                }
                if failed {
                    // A pattern that does not build here (it did in the checker, with the same
                    // limits): these predicates fall back to the evaluator rather than guess.
                    for (id, _, _) in text_preds {
                        if let Some(l) = map.iter().position(|m| *m == id) {
                            generic_leaves.push(l as u32);
                        }
                    }
                } else {
                    let mut any: Vec<Vec<PredicateId>> = vec![Vec::new(); patterns.len()];
                    let mut all = Vec::new();
                    for (id, idx, needs_all) in text_preds {
                        if needs_all && idx.len() != 1 {
                            all.push((id, idx));
                        } else {
                            for k in idx {
                                if let Some(list) = any.get_mut(k) {
                                    list.push(id);
                                }
                            }
                        }
                    }
                    let any = any.iter().map(|ids| Mask::of(ids)).collect();
                    src.text = Some(TextIndex { regexes, literals, count: patterns.len(), any, all });
                }
            }
            src.unders = unders.into_iter().map(|(c, ids)| (c, Mask::of(&ids))).collect();
            src.coarse = coarse.into_iter().map(|(c, ids)| (c, Mask::of(&ids))).collect();
            src.end = next;
            sources.push(src);
        }
        let mut generic = Vec::new();
        for l in generic_leaves {
            let node = match b.leaves.get(l as usize) {
                Some(Leaf::Generic { node }) => node.clone(),
                Some(other) => rebuild_leaf(other),
                None => continue,
            };
            let id = next;
            next += 1;
            if let Some(m) = map.get_mut(l as usize) {
                *m = id;
            }
            generic.push((id, node));
        }
        let mut inverse = vec![usize::MAX; next as usize];
        for (l, m) in map.iter().enumerate() {
            if let Some(slot) = inverse.get_mut(*m as usize) {
                *slot = l;
            }
        }
        let final_leaf = |id: u32| inverse.get(id as usize).and_then(|l| b.leaves.get(*l));
        // Observed: for each predicate, how often it is known, and how often true.
        let mut observed: Option<(Vec<u32>, Vec<u32>, u32)> = None;
        if !sample.is_empty() {
            let probe = PolicyIndex {
                predicates: next as usize,
                sources: std::mem::take(&mut sources),
                generic: std::mem::take(&mut generic),
                programs: Vec::new(),
                code: Vec::new(),
                guards: Vec::new(),
                entries: Vec::new(),
                chunks: Chunks::default(),
                fallback: Vec::new(),
                dependent: Vec::new(),
                scorable: Vec::new(),
                stats: IndexStats::default(),
            };
            let mut m = probe.matcher();
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
            sources = probe.sources;
            generic = probe.generic;
            observed = Some((known, truth, sample.len() as u32));
        }
        // Per mille of enterprises for which the literal is not known to be false.
        let estimate = |id: u32, neg: bool| -> u32 {
            match &observed {
                Some((known, truth, n)) => {
                    let k = known.get(id as usize).copied().unwrap_or(0);
                    let t = truth.get(id as usize).copied().unwrap_or(0);
                    let satisfied = if neg { k - t.min(k) } else { t };
                    let not_false = satisfied + (n - k.min(*n));
                    not_false * 1000 / (*n).max(1)
                }
                None => final_leaf(id).map_or(500, |l| l.truth_estimate(neg, set)),
            }
        };
        let programs: Vec<Program> = temp
            .iter()
            .map(|p| {
                let mut p = remap(p, &map);
                order_children(&mut p, &estimate);
                p
            })
            .collect();

        // Guards.
        let mut guards: GuardGroups = HashMap::new();
        let mut fallback = Vec::new();
        let mut dependent = Vec::new();
        let order: Vec<usize> = set.order.clone();
        for &pi in &order {
            let Some(prog) = programs.get(pi) else { continue };
            let pi = pi as u32;
            if uses_policies(prog) {
                dependent.push(pi);
                continue;
            }
            let candidates: Vec<(u32, bool)> = match prog {
                Program::Lit(i, n) => vec![(*i, *n)],
                Program::And(xs) => xs.iter().filter_map(|x| if let Program::Lit(i, n) = x { Some((*i, *n)) } else { None }).collect(),
                _ => Vec::new(),
            };
            let mut ranked = candidates;
            ranked.sort_by_key(|(i, n)| estimate(*i, *n));
            match ranked.first() {
                Some(g) => {
                    let second = ranked.get(1).copied().unwrap_or((NO_PRED, false));
                    guards.entry(*g).or_default().push((pi, second));
                }
                None => fallback.push(pi),
            }
        }
        let mut groups: Vec<(Literal, Vec<(u32, Literal)>)> = guards.into_iter().collect();
        groups.sort_by_key(|(g, _)| *g);
        let mut code = Vec::new();
        let mut placed: Vec<(u32, u32)> = Vec::with_capacity(programs.len());
        let mut place = |p: u32, code: &mut Vec<Instr>| -> (u32, u32) {
            let at = code.len() as u32;
            if let Some(prog) = programs.get(p as usize) {
                flatten(prog, code);
            }
            placed.push((p, at));
            (p, at)
        };
        let guarded: usize = groups.iter().map(|(_, ps)| ps.len()).sum();
        let mut chunks = Chunks::new(next as usize);
        let mut guards: Vec<Guard> = Vec::with_capacity(groups.len());
        let mut entries: Vec<Entry> = Vec::new();
        for ((pred, negated), ps) in groups {
            let mut parallel = Vec::new();
            let first_entry = entries.len() as u32;
            for (p, (second, second_negated)) in ps {
                match programs.get(p as usize).and_then(chunks::clause_form) {
                    Some(mut clauses) => {
                        // The guard is tested once for the whole group.
                        clauses.retain(|c| c.as_slice() != [(pred, negated)]);
                        parallel.push((second, (p, clauses)));
                    }
                    None => {
                        let (policy, at) = place(p, &mut code);
                        entries.push(Entry { policy, at, second, second_negated });
                    }
                }
            }
            // Members that share their second literal share a chunk, so that it is one
            // unit clause there, evaluated once for all of them.
            parallel.sort_by_key(|(second, (p, _))| (*second, *p));
            let parallel: Vec<_> = parallel.into_iter().map(|(_, member)| member).collect();
            // Their programs stay in the arena for explanations and scores.
            for (p, _) in &parallel {
                place(*p, &mut code);
            }
            let range = chunks.add_group(&parallel);
            guards.push(Guard { slot: chunks.slot((pred, negated)), chunks: range, entries: (first_entry, entries.len() as u32) });
        }
        let fallback: Vec<(u32, u32)> = fallback.into_iter().map(|p| place(p, &mut code)).collect();
        let dependent: Vec<(u32, u32)> = dependent.into_iter().map(|p| place(p, &mut code)).collect();
        let stats = IndexStats {
            policies: programs.len(),
            predicates: next as usize,
            sources: sources.len(),
            generic_predicates: generic.len(),
            guard_groups: guards.len(),
            guarded_policies: guarded,
            fallback_policies: fallback.len(),
            dependent_policies: dependent.len(),
        };
        let mut at_of = vec![u32::MAX; programs.len()];
        for (p, at) in placed.iter().copied() {
            if let Some(slot) = at_of.get_mut(p as usize) {
                *slot = at;
            }
        }
        let scorable =
            set.policies.iter().zip(&at_of).map(|(p, at)| if literal_per_leaf(&p.condition, set, 0) { *at } else { u32::MAX }).collect();
        PolicyIndex {
            predicates: next as usize,
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
            stats,
        }
    }

    /// Size and shape of the index.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Approximate heap bytes of the index: the program arena, clause arena, guard
    /// entries, program trees and the per-source lookup tables (keys and id lists).
    /// Generic predicates' nodes are counted at their node size only.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn program(p: &Program) -> usize {
            match p {
                Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => {
                    xs.len() * size_of::<Program>() + xs.iter().map(program).sum::<usize>()
                }
                _ => 0,
            }
        }
        let ids = |v: &Vec<PredicateId>| v.len() * size_of::<PredicateId>() + size_of::<Vec<PredicateId>>();
        let sources: usize = self
            .sources
            .iter()
            .map(|s| {
                size_of::<Source>()
                    + s.runs.iter().map(|r| size_of::<Run>() + r.keys.len() * size_of::<Key>()).sum::<usize>()
                    + s.members
                        .iter()
                        .map(|(k, v)| size_of::<EqKey>() + ids(v) + if let EqKey::S(x) = k { x.len() } else { 0 })
                        .sum::<usize>()
                    + s.unders.iter().chain(&s.coarse).map(|(k, v)| k.len() + size_of::<(String, Mask)>() + v.heap_bytes()).sum::<usize>()
                    + s.tags_any.iter().chain(&s.member_texts).map(|(k, v)| k.len() + size_of::<String>() + ids(v)).sum::<usize>()
                    + s.tags_all.iter().map(|(_, t)| 8 + t.iter().map(|x| x.len() + size_of::<String>()).sum::<usize>()).sum::<usize>()
            })
            .sum();
        self.code.len() * size_of::<Instr>()
            + self.chunks.heap_bytes()
            + self.guards.len() * size_of::<Guard>()
            + self.entries.len() * size_of::<Entry>()
            + (self.fallback.len() + self.dependent.len()) * 8
            + self.programs.len() * size_of::<Program>()
            + self.programs.iter().map(program).sum::<usize>()
            + self.scorable.len() * 4
            + self.generic.len() * size_of::<(PredicateId, Node)>()
            + sources
    }

    /// Number of predicates in the dictionary.
    pub fn predicate_count(&self) -> usize {
        self.predicates
    }

    /// The compiled program of policy `i`.
    pub fn program(&self, i: usize) -> Option<&Program> {
        self.programs.get(i)
    }

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
        }
    }

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

    /// Matches one profile: the verdict of every policy, in policy-set order, as
    /// three-valued truth (eligible = true).
    pub fn match_profile<'m>(&self, set: &PolicySet, profile: &Profile, as_of: Date, m: &'m mut Matcher) -> &'m [Tri] {
        let ev = Evaluator::new(set, profile, as_of);
        self.encode(&ev, m);
        m.results.iter_mut().for_each(|r| *r = Tri::False);
        m.evaluated = self.fallback.len() + self.dependent.len();
        m.ranks.resize(self.chunks.table_len(), 1);
        self.chunks.ranks(&m.known, &m.truth, &mut m.ranks);
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
            n += usize::from(m.ranks.get(g.slot as usize).copied().unwrap_or(1) != 2);
        }
        for &i in m.alive.get(..n).unwrap_or(&[]) {
            let Some(g) = self.guards.get(i as usize) else { continue };
            let rank = m.ranks.get(g.slot as usize).copied().unwrap_or(1);
            if g.chunks.0 < g.chunks.1 {
                m.evaluated += self.chunks.run(g.chunks, rank, &m.ranks, &mut m.results);
            }
            for e in self.entries.get(g.entries.0 as usize..g.entries.1 as usize).unwrap_or(&[]) {
                if e.second != NO_PRED && m.known.get(e.second) && m.truth.get(e.second) == e.second_negated {
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

/// Three-valued value of a program after a match (the bits and the policy results of `m`).
fn program_tri(p: &Program, m: &Matcher) -> Tri {
    match p {
        Program::Const(t) => *t,
        Program::Lit(id, neg) => lit(&m.known, &m.truth, *id, *neg),
        Program::Policy(i, neg) => match (m.results.get(*i as usize).copied().unwrap_or(Tri::Unknown), neg) {
            (Tri::Unknown, _) => Tri::Unknown,
            (Tri::True, false) | (Tri::False, true) => Tri::True,
            _ => Tri::False,
        },
        Program::And(xs) | Program::Or(xs) => {
            let (stop, otherwise) = if matches!(p, Program::And(_)) { (Tri::False, Tri::True) } else { (Tri::True, Tri::False) };
            let mut unknown = false;
            for x in xs {
                match program_tri(x, m) {
                    t if t == stop => return stop,
                    Tri::Unknown => unknown = true,
                    _ => {}
                }
            }
            if unknown {
                Tri::Unknown
            } else {
                otherwise
            }
        }
        Program::AtLeast(k, xs) => {
            let (t, u) = xs.iter().fold((0, 0), |n, x| program_tri(x, m).tally(n));
            Tri::at_least(*k, t, u)
        }
    }
}

impl PolicyIndex {
    /// Why policy `i` is undetermined after a match with `m`: the fields that would decide
    /// it, and whether a person's judgement (`manual_review`) is involved.
    ///
    /// The walk visits only nodes whose value is unknown (a known child cannot change an
    /// unknown parent's fate), down to the unknown literals and through `eligible(…)` into
    /// the programs of undetermined prerequisites. Each unknown literal is accounted for by
    /// the reference evaluator on its value source (or, for a generic predicate, on its
    /// node), once per match through `cache`. The union is the evaluator's own account of
    /// the policy (`Evaluator::policy`'s `Unknown`), which the differential tests check.
    /// Empty when the policy is not undetermined.
    pub fn why_unknown<'a>(&'a self, i: usize, m: &Matcher, ev: &Evaluator<'a>, cache: &mut HashMap<PredicateId, Unknown>) -> Unknown {
        let mut out = Unknown::default();
        let mut seen_policies: Vec<u32> = Vec::new();
        let mut stack: Vec<&Program> = Vec::new();
        if m.results.get(i).copied() == Some(Tri::Unknown) {
            stack.extend(self.programs.get(i));
        }
        while let Some(p) = stack.pop() {
            if program_tri(p, m) != Tri::Unknown {
                continue;
            }
            match p {
                Program::Const(_) => {}
                Program::Lit(id, _) => {
                    let u = cache.entry(*id).or_insert_with(|| self.literal_unknown(*id, ev));
                    out.fields.extend(u.fields.iter().copied());
                    out.manual |= u.manual;
                    out.undefined |= u.undefined;
                }
                Program::Policy(j, _) => {
                    if !seen_policies.contains(j) {
                        seen_policies.push(*j);
                        stack.extend(self.programs.get(*j as usize));
                    }
                }
                Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => stack.extend(xs.iter().rev()),
            }
        }
        out
    }

    /// The match score of policy `i` after a match with `m` (share of its requirement
    /// leaves met, two decimals), counted on its program's literals, when every leaf is one
    /// literal (decided when the index is built); `None` otherwise (the caller traces the
    /// explanation).
    /// Equal to the explanation's score, which the differential tests check.
    pub fn score(&self, i: usize, m: &Matcher) -> Option<Decimal> {
        let at = *self.scorable.get(i)? as usize;
        let size = self.code.get(at)?.size();
        let (mut met, mut all) = (0u64, 0u64);
        for op in self.code.get(at..at + size)? {
            if let Instr::Lit(p, neg) = *op {
                all += 1;
                met += u64::from(lit(&m.known, &m.truth, p, neg) == Tri::True);
            }
        }
        if all == 0 {
            return None;
        }
        Some((Decimal::from(met) / Decimal::from(all)).round_dp(2))
    }

    /// The reference evaluator's account of an unknown predicate.
    fn literal_unknown<'a>(&'a self, id: PredicateId, ev: &Evaluator<'a>) -> Unknown {
        let generic_start = self.generic.first().map_or(PredicateId::MAX, |(g, _)| *g);
        if id >= generic_start {
            if let Ok(k) = self.generic.binary_search_by_key(&id, |(g, _)| *g) {
                if let Some((_, node)) = self.generic.get(k) {
                    return ev.eval(node).err().unwrap_or_default();
                }
            }
            return Unknown::default();
        }
        let k = self.sources.partition_point(|s| s.first <= id);
        let Some(src) = k.checked_sub(1).and_then(|k| self.sources.get(k)) else { return Unknown::default() };
        match ev.eval(&src.node) {
            Err(u) => u,
            // A known code too coarse for an `under` test: the field needs more detail.
            Ok(_) => {
                let mut fields = Vec::new();
                src.node.fields(&mut fields);
                Unknown { fields: fields.into_iter().collect(), ..Unknown::default() }
            }
        }
    }
}

/// Rebuilds a node for a leaf that has to fall back to the evaluator.
fn rebuild_leaf(l: &Leaf) -> Node {
    match l {
        Leaf::Text { source, patterns, all } => {
            // Only reached when a source's regexes could not be built; evaluate them one by one.
            let items: Vec<Node> = patterns
                .iter()
                .map(TextPattern::regex)
                .filter_map(|p| regex_lite::Regex::new(&p).ok().map(|r| (p, r)))
                .map(|(p, r)| Node {
                    kind: NodeKind::Matches {
                        expr: Box::new(source.clone()),
                        pattern: crate::check::Pattern { source: p, regex: std::sync::Arc::new(r) },
                    },
                    ty: Ty::Bool,
                    span: Default::default(),
                    percent: false,
                })
                .collect();
            let kind = if *all { NodeKind::And(items) } else { NodeKind::Or(items) };
            Node { kind, ty: Ty::Bool, span: Default::default(), percent: false }
        }
        Leaf::Generic { node } => node.clone(),
        _ => Node { kind: NodeKind::Const(Const::Bool(false)), ty: Ty::Bool, span: Default::default(), percent: false },
    }
}

/// Reusable buffers for matching.
#[derive(Clone, Debug)]
pub struct Matcher {
    known: Bits,
    truth: Bits,
    results: Vec<Tri>,
    /// Every literal's rank for the chunks (see `chunks`), expanded from the bitsets.
    ranks: Vec<u8>,
    /// Guard groups alive in this match.
    alive: Vec<u32>,
    evaluated: usize,
    /// Which patterns of a text source matched (reused between sources and profiles).
    text_hits: Vec<bool>,
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
