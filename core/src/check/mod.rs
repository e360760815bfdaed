//! The checker: resolves names against the schema, checks types and units, and produces
//! the typed tree ([`Node`]) that every evaluator runs.
//!
//! Errors are collected, not thrown at the first one: a policy text with three mistakes
//! gets three diagnostics, each with its span and, where it helps, a hint ("did you mean
//! `registered_capital`?", "write 500万 or 500万元"). Literal names take their meaning from
//! the other operand (`tax_credit@fy1 in [A, B]` reads `A` as an enum value, `industry
//! under [C16, F]` reads `F` as an industry section).
//!
//! This module holds the types (the checked tree, [`Ty`], [`Const`], [`Scope`]), the
//! [`Checker`] and its public entry points; the checking itself is split by concern:
//! `expr` (the walk over each kind of expression), `names` (name resolution,
//! did-you-mean), `types` (literals, units, comparisons, arithmetic), `years` (year
//! references, quantifiers), `codes` (code literals, `under`), `quals` (qualifications),
//! `policies` (`eligible(...)`, references between texts) and `calls` (built-in functions).

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::code::SystemId;
use crate::date::{Date, Duration};
use crate::lang::ast::{CmpOp, ContainsMode, Expr, Period};
use crate::lang::{Diagnostic, Span};
use crate::schema::{EnumId, FieldId, FieldType, Schema};
use crate::units::Dim;

mod calls;
mod codes;
mod expr;
mod names;
mod policies;
mod quals;
mod records;
mod types;
mod years;

pub use policies::{referenced_names, referenced_policies};

/// Largest regex program accepted (bytes of compiled automaton).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Static type of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Bool,
    Num(Dim),
    Date,
    Duration,
    Enum(EnumId),
    Code(SystemId),
    Tags,
    Quals,
    Text,
    Year,
    /// A `records` field: only the quantifiers take it.
    Records(crate::schema::RecordId),
}

/// A year: relative to the evaluation date, absolute, or the loop variable of
/// `all_years` / `any_years`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum YearRef {
    Fy(u32),
    Abs(i32),
    Loop,
}

impl YearRef {
    fn from_period(p: Period) -> YearRef {
        match p {
            Period::Fy(k) => YearRef::Fy(k),
            Period::Year(y) => YearRef::Abs(y),
        }
    }
}

/// A constant value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    Bool(bool),
    /// In the dimension's base unit.
    Num(Decimal),
    Date(Date),
    Duration(Duration),
    Enum(u32),
    Code(String),
    Text(String),
    Year(YearRef),
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Aggregates over years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Agg {
    Sum,
    Avg,
    Min,
    Max,
}

/// Quantifiers over a `records` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordAgg {
    /// Some record meets the condition.
    Any,
    /// Every record meets the condition (true of none).
    All,
    /// How many records meet the condition (all, without one).
    Count,
    /// The sum of a value over the records that meet the condition.
    Sum,
}

impl RecordAgg {
    /// The function name in the language.
    pub fn name(self) -> &'static str {
        match self {
            RecordAgg::Any => "any",
            RecordAgg::All => "all",
            RecordAgg::Count => "count",
            RecordAgg::Sum => "sum",
        }
    }
}

/// Units of `*_since` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SinceUnit {
    Years,
    Months,
    Days,
}

/// Which grants `granted_in` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantKind {
    Any,
    First,
    Renewal,
}

/// A compiled regular expression (compared by pattern).
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub regex: Arc<regex_lite::Regex>,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}
impl Eq for Pattern {}
impl std::hash::Hash for Pattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

/// A checked, typed expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub kind: NodeKind,
    pub ty: Ty,
    pub span: Span,
    /// Display hint: show numbers of this node as percentages.
    pub percent: bool,
}

/// Kinds of checked expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Const(Const),
    AsOf,
    Field {
        field: FieldId,
        year: Option<YearRef>,
    },
    /// A derived field or definition, by index.
    Def(usize),
    /// Another policy's verdict, by index.
    Eligible(usize),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    AtLeast(u32, Vec<Node>),
    Cmp {
        op: CmpOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Between {
        expr: Box<Node>,
        low: Box<Node>,
        high: Box<Node>,
        low_inclusive: bool,
        high_inclusive: bool,
    },
    InSet {
        expr: Box<Node>,
        items: Vec<Const>,
        negated: bool,
    },
    Under {
        expr: Box<Node>,
        system: SystemId,
        codes: Vec<String>,
    },
    TagContains {
        expr: Box<Node>,
        mode: ContainsMode,
        items: Vec<String>,
    },
    TextContains {
        expr: Box<Node>,
        mode: ContainsMode,
        items: Vec<String>,
    },
    Matches {
        expr: Box<Node>,
        pattern: Pattern,
    },
    Arith {
        op: ArithOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Neg(Box<Node>),
    MinMax {
        max: bool,
        args: Vec<Node>,
    },
    If {
        cond: Box<Node>,
        then: Box<Node>,
        otherwise: Box<Node>,
    },
    Band {
        expr: Box<Node>,
        rows: Vec<(CmpOp, Node, Node)>,
        otherwise: Option<Box<Node>>,
    },
    YearAgg {
        agg: Agg,
        field: FieldId,
        from: YearRef,
        to: YearRef,
        actual: bool,
    },
    Quantified {
        all: bool,
        from: YearRef,
        to: YearRef,
        body: Box<Node>,
    },
    Growth {
        field: FieldId,
        year: YearRef,
    },
    AvgGrowth {
        field: FieldId,
        from: YearRef,
        to: YearRef,
    },
    CagrCmp {
        op: CmpOp,
        field: FieldId,
        from: YearRef,
        to: YearRef,
        rate: Box<Node>,
    },
    DateShift {
        date: Box<Node>,
        duration: Duration,
        negate: bool,
    },
    Since {
        date: Box<Node>,
        unit: SinceUnit,
    },
    /// The calendar year of a date (`year_of(purchased_on) = fy1`).
    YearOf(Box<Node>),
    Has {
        qual: usize,
        level: Option<(CmpOp, u32)>,
    },
    GrantedIn {
        qual: usize,
        year: YearRef,
        kind: GrantKind,
    },
    Known(FieldId),
    ManualReview(String),
    /// A field of the record the enclosing record quantifier is visiting.
    RecordField {
        collection: FieldId,
        field: usize,
    },
    /// `any` / `all` / `count` / `sum` over the records of a `records` field: `cond` is the
    /// condition on each record (required for `any` / `all`), `value` the summed value.
    Records {
        agg: RecordAgg,
        collection: FieldId,
        value: Option<Box<Node>>,
        cond: Option<Box<Node>>,
    },
}

/// The one list of a node's direct children, for [`Node::children`] (`&`) and
/// `children_mut` (`&mut`): `$kind` is `&self.kind` or `&mut self.kind`, `$iter` is `iter`
/// or `iter_mut`, and `$($m)?` is empty or `mut`.
macro_rules! children {
    ($kind:expr, $iter:ident $(, $m:tt)?) => {{
        use NodeKind::*;
        match $kind {
            Const(_)
            | AsOf
            | Field { .. }
            | Def(_)
            | Eligible(_)
            | YearAgg { .. }
            | Growth { .. }
            | AvgGrowth { .. }
            | Has { .. }
            | GrantedIn { .. }
            | Known(_)
            | ManualReview(_)
            | RecordField { .. } => vec![],
            Records { value, cond, .. } => value.$iter().chain(cond.$iter()).map(|b| &$($m)? **b).collect(),
            Not(a)
            | Neg(a)
            | InSet { expr: a, .. }
            | Under { expr: a, .. }
            | TagContains { expr: a, .. }
            | TextContains { expr: a, .. }
            | Matches { expr: a, .. }
            | Quantified { body: a, .. }
            | CagrCmp { rate: a, .. }
            | DateShift { date: a, .. }
            | Since { date: a, .. }
            | YearOf(a) => vec![a],
            And(xs) | Or(xs) | AtLeast(_, xs) | MinMax { args: xs, .. } => xs.$iter().collect(),
            Cmp { lhs, rhs, .. } | Arith { lhs, rhs, .. } => vec![lhs, rhs],
            Between { expr, low, high, .. } => vec![expr, low, high],
            If { cond, then, otherwise } => vec![cond, then, otherwise],
            Band { expr, rows, otherwise } => {
                let mut v: Vec<&$($m)? Node> = vec![expr];
                for (_, t, s) in rows {
                    v.push(t);
                    v.push(s);
                }
                if let Some(o) = otherwise {
                    v.push(o);
                }
                v
            }
        }
    }};
}

impl Node {
    fn new(kind: NodeKind, ty: Ty, span: Span) -> Node {
        Node { kind, ty, span, percent: false }
    }

    fn pct(mut self, p: bool) -> Node {
        self.percent = p;
        self
    }

    /// Visits direct children.
    pub fn children(&self) -> Vec<&Node> {
        children!(&self.kind, iter)
    }

    /// Direct children, mutably.
    fn children_mut(&mut self) -> Vec<&mut Node> {
        children!(&mut self.kind, iter_mut, mut)
    }

    /// The same tree with spans and display hints cleared: equal conditions written in
    /// different places compare equal (used to deduplicate predicates).
    pub fn canonical(&self) -> Node {
        let mut n = self.clone();
        n.clear_spans();
        n
    }

    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.percent = false;
        for c in self.children_mut() {
            c.clear_spans();
        }
    }

    /// `eligible(policy)` as a node.
    pub fn eligible(policy: usize, span: Span) -> Node {
        Node::new(NodeKind::Eligible(policy), Ty::Bool, span)
    }

    /// The conjunction of boolean nodes.
    pub fn all(items: Vec<Node>) -> Node {
        let span = items.iter().map(|n| n.span).reduce(Span::to).unwrap_or_default();
        Node::new(NodeKind::And(items), Ty::Bool, span)
    }

    /// Whether the node is a constant.
    pub fn is_const(&self) -> bool {
        matches!(self.kind, NodeKind::Const(_))
    }

    /// The field this node itself reads (not its children's).
    pub fn field(&self) -> Option<FieldId> {
        match &self.kind {
            NodeKind::Field { field, .. }
            | NodeKind::YearAgg { field, .. }
            | NodeKind::Growth { field, .. }
            | NodeKind::AvgGrowth { field, .. }
            | NodeKind::CagrCmp { field, .. }
            | NodeKind::Records { collection: field, .. }
            | NodeKind::Known(field) => Some(*field),
            _ => None,
        }
    }

    /// Fields this node reads directly (not through definitions).
    pub fn fields(&self, out: &mut Vec<FieldId>) {
        out.extend(self.field());
        for c in self.children() {
            c.fields(out);
        }
    }
}

/// What names a checker can see besides the schema's fields.
#[derive(Default)]
pub struct Scope {
    /// Definition / derived-field names and labels → (index, type).
    pub defs: HashMap<String, (usize, Ty, bool)>,
    /// Policy ids → index.
    pub policies: HashMap<String, usize>,
    /// Definitions that failed to check: their uses report nothing more.
    pub failed: std::collections::HashSet<String>,
}

/// Checks expressions against a schema and scope.
pub struct Checker<'a> {
    pub schema: &'a Schema,
    pub scope: &'a Scope,
    pub diagnostics: Vec<Diagnostic>,
    in_loop: bool,
    /// The `records` field whose records the enclosing quantifier visits.
    record: Option<FieldId>,
    /// The validity window of the policy whose condition is checked (`policy_from` /
    /// `policy_to` name its days); `None` outside a policy's condition.
    pub window: Option<(Option<Date>, Option<Date>)>,
    qual_field: Option<FieldId>,
    registration_field: Option<FieldId>,
}

const FUNCTIONS: &[&str] = &[
    "at_least",
    "none_of",
    "all_of",
    "any_of",
    "min",
    "max",
    "sum",
    "avg",
    "all_years",
    "any_years",
    "growth",
    "avg_growth",
    "cagr",
    "band",
    "has",
    "granted_in",
    "first_granted_in",
    "renewed_in",
    "first_grant",
    "renewal",
    "eligible",
    "manual_review",
    "full_years_since",
    "full_months_since",
    "days_since",
    "year_of",
    "known",
    "any",
    "all",
    "count",
];

/// What checking a part gives: its checked node (or other result), or `None` when it
/// failed and the problem is in the diagnostics.
type Checked<T> = Option<T>;

impl<'a> Checker<'a> {
    pub fn new(schema: &'a Schema, scope: &'a Scope) -> Checker<'a> {
        let qual_field = schema.fields.iter().find(|f| f.ty == FieldType::Qualifications).map(|f| f.id);
        let registration_field = schema.field("registration_date").filter(|f| f.ty == FieldType::Date).map(|f| f.id);
        Checker { schema, scope, diagnostics: Vec::new(), in_loop: false, record: None, window: None, qual_field, registration_field }
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(msg, span));
    }

    fn err_hint(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(msg, span).with_hint(hint));
    }

    /// Checks a condition: the result must be boolean.
    pub fn check_condition(&mut self, e: &Expr) -> Checked<Node> {
        let n = self.check(e, Some(Ty::Bool))?;
        if n.ty != Ty::Bool {
            let t = self.ty_name(n.ty);
            self.err_hint(
                e.span,
                format!("a condition must be true or false, but this is {t}"),
                "compare it with something, e.g. `x >= 500万`",
            );
            return None;
        }
        Some(n)
    }

    /// Checks a value expression of any type.
    pub fn check_value(&mut self, e: &Expr) -> Checked<Node> {
        self.check(e, None)
    }

    /// Checks a value expression whose type is declared (literals take it).
    pub fn check_typed(&mut self, e: &Expr, ty: Ty) -> Checked<Node> {
        let n = self.check(e, Some(ty))?;
        if n.ty != ty {
            let (a, b) = (self.ty_name(ty), self.ty_name(n.ty));
            self.err(e.span, format!("declared as {a}, but the expression is {b}"));
            return None;
        }
        Some(n)
    }
}
