//! Leaf classification: what each leaf predicate of a condition *is*, so that a profile
//! can set its bit by a lookup instead of evaluating it.
//!
//! Normalising a condition ([`normalise`](super::normalise)) stops at leaves; each leaf
//! is [classified](classify) as a [`Leaf`] over a *value source* (a canonical node: a
//! field at a year, a derived field, an arithmetic expression): a threshold (`>=`, `>`,
//! `<=`, `<` a constant), a membership (`=`, `in`), a code `under` a list, a text test
//! (literals or a regex), a tag test, a boolean field, or, for everything the encoder
//! cannot look up, a *generic* leaf the reference evaluator decides. Equal leaves are one
//! predicate of the dictionary, shared by every policy that names them.
//!
//! The keys here ([`Key`], [`EqKey`]) are the comparable and hashable forms of a value
//! that the encoder's tables ([`encode`](super::encode)) are sorted and hashed by, and
//! [`Leaf::truth_estimate`] is the structural guess of how often a literal holds that
//! the guard choice ([`guards`](super::guards)) uses when it has no sample.

use rust_decimal::Decimal;

use crate::check::{Const, Node, NodeKind, Ty, YearRef};
use crate::code::SystemId;
use crate::eval::Datum;
use crate::lang::ast::{CmpOp, ContainsMode};
use crate::policy::PolicySet;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Key {
    D(Decimal),
    I(i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum EqKey {
    D(Decimal),
    I(i64),
    S(String),
    B(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

/// A leaf before numbering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Leaf {
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
pub(super) enum TextPattern {
    Literal(String),
    Regex(String),
}

impl TextPattern {
    /// The pattern as a regex.
    pub(super) fn regex(&self) -> String {
        match self {
            TextPattern::Literal(s) => regex_lite::escape(s),
            TextPattern::Regex(r) => r.clone(),
        }
    }
}

impl Leaf {
    pub(super) fn source(&self) -> Option<&Node> {
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
    pub(super) fn truth_estimate(&self, negated: bool, set: &PolicySet) -> u32 {
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

pub(super) fn order_key(v: &Datum<'_>) -> Option<Key> {
    match v {
        Datum::Num(d) => Some(Key::D(*d)),
        Datum::Date(d) => Some(Key::I(i64::from(d.day_number()))),
        Datum::Year(y) => Some(Key::I(i64::from(*y))),
        Datum::Enum(e) => Some(Key::I(i64::from(*e))),
        _ => None,
    }
}

pub(super) fn eq_key(v: &Datum<'_>) -> Option<EqKey> {
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
pub(super) fn const_value(c: &Const) -> Option<Datum<'_>> {
    match c {
        Const::Year(YearRef::Abs(y)) => Some(Datum::Year(*y)),
        Const::Year(_) | Const::Duration(_) => None,
        _ => Some(Datum::of_const(c, |_| 0)), // no year reaches the closure
    }
}

pub(super) fn const_key(n: &Node) -> Option<Key> {
    match &n.kind {
        NodeKind::Const(c) => const_value(c).as_ref().and_then(order_key),
        _ => None,
    }
}

pub(super) fn const_eq(c: &Const) -> Option<EqKey> {
    const_value(c).as_ref().and_then(eq_key)
}

/// Classifies a leaf node; the flag says the leaf stands for the *negation* of the
/// returned predicate (`x != 3` is `not (x = 3)`).
pub(super) fn classify(n: &Node) -> (Leaf, bool) {
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
            let threshold = |op: Op, source: Node| match const_value(c).as_ref().and_then(order_key) {
                Some(key) => (Leaf::Threshold { source, op, key }, false),
                None => generic(),
            };
            match op {
                CmpOp::Eq | CmpOp::Ne => match const_eq(c) {
                    Some(k) => (Leaf::Member { source, keys: vec![k] }, op == CmpOp::Ne),
                    None => generic(),
                },
                CmpOp::Ge => threshold(Op::Ge, source),
                CmpOp::Gt => threshold(Op::Gt, source),
                CmpOp::Le => threshold(Op::Le, source),
                CmpOp::Lt => threshold(Op::Lt, source),
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
            crate::sort::sort(&mut tags);
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

/// Rebuilds a node for a leaf that has to fall back to the evaluator.
pub(super) fn rebuild_leaf(l: &Leaf) -> Node {
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
        // Never reached: only text leaves fall back after numbering.
        Leaf::Threshold { .. } | Leaf::Member { .. } | Leaf::Under { .. } | Leaf::Tags { .. } | Leaf::Bool { .. } => {
            Node { kind: NodeKind::Const(Const::Bool(false)), ty: Ty::Bool, span: Default::default(), percent: false }
        }
    }
}
