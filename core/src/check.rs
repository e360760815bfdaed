//! The checker: resolves names against the schema, checks types and units, and produces
//! the typed tree ([`Node`]) that every evaluator runs.
//!
//! Errors are collected, not thrown at the first one: a policy text with three mistakes
//! gets three diagnostics, each with its span and, where it helps, a hint ("did you mean
//! `registered_capital`?", "write 500万 or 500万元"). Literal names take their meaning from
//! the other operand (`tax_credit@fy1 in [A, B]` reads `A` as an enum value, `industry
//! under [C16, F]` reads `F` as an industry section).

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::code::SystemId;
use crate::date::{Date, Duration};
use crate::lang::ast::{BinOp, CmpOp, ContainsMode, Expr, ExprKind, LitUnit, Period};
use crate::lang::{Diagnostic, Span};
use crate::schema::{EnumId, FieldId, FieldType, Schema};
use crate::units::{parse_decimal, Dim};

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
            | ManualReview(_) => vec![],
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
            | Since { date: a, .. } => vec![a],
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

    /// Fields this node reads directly (not through definitions).
    pub fn fields(&self, out: &mut Vec<FieldId>) {
        match &self.kind {
            NodeKind::Field { field, .. }
            | NodeKind::YearAgg { field, .. }
            | NodeKind::Growth { field, .. }
            | NodeKind::AvgGrowth { field, .. }
            | NodeKind::CagrCmp { field, .. }
            | NodeKind::Known(field) => out.push(*field),
            _ => {}
        }
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
    "known",
];

type C<T> = Option<T>;

impl<'a> Checker<'a> {
    pub fn new(schema: &'a Schema, scope: &'a Scope) -> Checker<'a> {
        let qual_field = schema.fields.iter().find(|f| f.ty == FieldType::Qualifications).map(|f| f.id);
        let registration_field = schema.field("registration_date").filter(|f| f.ty == FieldType::Date).map(|f| f.id);
        Checker { schema, scope, diagnostics: Vec::new(), in_loop: false, qual_field, registration_field }
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(msg, span));
    }

    fn err_hint(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(msg, span).with_hint(hint));
    }

    fn ty_name(&self, ty: Ty) -> String {
        match ty {
            Ty::Bool => "a condition (true/false)".into(),
            Ty::Num(d) => format!("a number ({})", d.en()),
            Ty::Date => "a date".into(),
            Ty::Duration => "a duration".into(),
            Ty::Enum(e) => format!("a {} value", self.schema.enum_def(e).map_or("?", |d| d.name.as_str())),
            Ty::Code(s) => format!("a {} code", self.schema.codes.get(s).map_or("?", |s| s.name())),
            Ty::Tags => "a set of tags".into(),
            Ty::Quals => "qualifications".into(),
            Ty::Text => "text".into(),
            Ty::Year => "a year".into(),
        }
    }

    /// Checks a condition: the result must be boolean.
    pub fn check_condition(&mut self, e: &Expr) -> C<Node> {
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
    pub fn check_value(&mut self, e: &Expr) -> C<Node> {
        self.check(e, None)
    }

    /// Checks a value expression whose type is declared (literals take it).
    pub fn check_typed(&mut self, e: &Expr, ty: Ty) -> C<Node> {
        let n = self.check(e, Some(ty))?;
        if n.ty != ty {
            let (a, b) = (self.ty_name(ty), self.ty_name(n.ty));
            self.err(e.span, format!("declared as {a}, but the expression is {b}"));
            return None;
        }
        Some(n)
    }

    fn expect_bool(&mut self, e: &Expr) -> C<Node> {
        let n = self.check(e, Some(Ty::Bool))?;
        if n.ty != Ty::Bool {
            let t = self.ty_name(n.ty);
            self.err(e.span, format!("expected a condition, found {t}"));
            return None;
        }
        Some(n)
    }

    fn is_unresolved_name(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name { name } => self.schema.field(name).is_none() && !self.scope.defs.contains_key(name),
            ExprKind::Number { unit: LitUnit::Plain, .. } | ExprKind::Text { .. } => true,
            _ => false,
        }
    }

    fn check(&mut self, e: &Expr, expected: Option<Ty>) -> C<Node> {
        let span = e.span;
        match &e.kind {
            ExprKind::Bool { value } => Some(Node::new(NodeKind::Const(Const::Bool(*value)), Ty::Bool, span)),
            ExprKind::Number { value, unit } => self.number(value, *unit, expected, span),
            ExprKind::Date { value } => Some(Node::new(NodeKind::Const(Const::Date(*value)), Ty::Date, span)),
            ExprKind::Duration { value } => Some(Node::new(NodeKind::Const(Const::Duration(*value)), Ty::Duration, span)),
            ExprKind::Text { value } => match expected {
                Some(Ty::Enum(en)) => self.enum_literal(en, value, span),
                Some(Ty::Code(sys)) => self.code_literal(sys, value, span),
                _ => Some(Node::new(NodeKind::Const(Const::Text(value.clone())), Ty::Text, span)),
            },
            ExprKind::Regex { .. } => {
                self.err(span, "a regular expression may only follow `matches`");
                None
            }
            ExprKind::AsOf => Some(Node::new(NodeKind::AsOf, Ty::Date, span)),
            ExprKind::FiscalYear { k } => Some(Node::new(NodeKind::Const(Const::Year(YearRef::Fy(*k))), Ty::Year, span)),
            ExprKind::YearRange { .. } => {
                self.err_hint(
                    span,
                    "a year range may only be used in all_years / any_years or after `@` inside sum/avg/min/max",
                    "e.g. sum(rd_expense@fy1..fy3)",
                );
                None
            }
            ExprKind::Name { name } => self.name(name, expected, span),
            ExprKind::At { expr, period, to } => {
                if to.is_some() {
                    self.err_hint(
                        span,
                        "a year range gives several values; aggregate them",
                        "wrap it: sum(…), avg(…), min(…), max(…), avg_growth(…), cagr(…)",
                    );
                    return None;
                }
                let field = self.yearly_field(expr)?;
                let f = self.schema.field_by_id(field)?;
                let ty = self.field_ty(&f.ty);
                let pct = matches!(f.ty, FieldType::Decimal(crate::units::Unit::Percent));
                Some(Node::new(NodeKind::Field { field, year: Some(YearRef::from_period(*period)) }, ty, span).pct(pct))
            }
            ExprKind::Neg { expr } => {
                let n = self.check(expr, expected)?;
                if !matches!(n.ty, Ty::Num(_)) {
                    let t = self.ty_name(n.ty);
                    self.err(span, format!("cannot negate {t}"));
                    return None;
                }
                let (ty, p) = (n.ty, n.percent);
                Some(Node::new(NodeKind::Neg(Box::new(n)), ty, span).pct(p))
            }
            ExprKind::Not { expr } => {
                let n = self.expect_bool(expr)?;
                Some(Node::new(NodeKind::Not(Box::new(n)), Ty::Bool, span))
            }
            ExprKind::Binary { op: op @ (BinOp::And | BinOp::Or), lhs, rhs } => {
                let l = self.expect_bool(lhs);
                let r = self.expect_bool(rhs);
                let (l, r) = (l?, r?);
                // Flatten nested and/or of the same kind.
                let mut items = Vec::new();
                for n in [l, r] {
                    match (op, n.kind) {
                        (BinOp::And, NodeKind::And(xs)) | (BinOp::Or, NodeKind::Or(xs)) if n.span != span => items.extend(xs),
                        (_, kind) => items.push(Node { kind, ..n }),
                    }
                }
                let kind = if *op == BinOp::And { NodeKind::And(items) } else { NodeKind::Or(items) };
                Some(Node::new(kind, Ty::Bool, span))
            }
            ExprKind::Binary { op, lhs, rhs } => self.arith(*op, lhs, rhs, expected, span),
            ExprKind::Compare { op, lhs, rhs } => self.compare(*op, lhs, rhs, span),
            ExprKind::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let x = self.check(expr, None)?;
                let lo = self.check(low, Some(x.ty));
                let hi = self.check(high, Some(x.ty));
                let (lo, hi) = (lo?, hi?);
                for b in [&lo, &hi] {
                    self.comparable(CmpOp::Lt, &x, b, span)?;
                }
                if let (NodeKind::Const(a), NodeKind::Const(z)) = (&lo.kind, &hi.kind) {
                    let empty = match (a, z) {
                        (Const::Num(a), Const::Num(z)) => a > z || (a == z && !(*low_inclusive && *high_inclusive)),
                        (Const::Date(a), Const::Date(z)) => a > z || (a == z && !(*low_inclusive && *high_inclusive)),
                        _ => false,
                    };
                    if empty {
                        self.err_hint(
                            span,
                            "this range is empty, so the condition can never hold",
                            "the lower bound comes first: x between [low, high]",
                        );
                        return None;
                    }
                }
                let p = x.percent || lo.percent || hi.percent;
                Some(
                    Node::new(
                        NodeKind::Between {
                            expr: Box::new(x),
                            low: Box::new(lo),
                            high: Box::new(hi),
                            low_inclusive: *low_inclusive,
                            high_inclusive: *high_inclusive,
                        },
                        Ty::Bool,
                        span,
                    )
                    .pct(p),
                )
            }
            ExprKind::In { expr, items, negated } => self.in_set(expr, items, *negated, span),
            ExprKind::Under { expr, codes } => {
                let x = self.check(expr, None)?;
                let Ty::Code(sys) = x.ty else {
                    let t = self.ty_name(x.ty);
                    self.err_hint(
                        expr.span,
                        format!("`under` needs a code field (industry, region, zone), found {t}"),
                        "for lists of values use `in [...]`",
                    );
                    return None;
                };
                let mut out = Vec::new();
                for c in codes {
                    let raw = match &c.kind {
                        ExprKind::Name { name } => name.clone(),
                        ExprKind::Number { value, unit: LitUnit::Plain } => value.clone(),
                        ExprKind::Text { value } => value.clone(),
                        _ => {
                            self.err(c.span, "expected a code such as C39, F, 3701 or \"370171\"");
                            continue;
                        }
                    };
                    if let Some(system) = self.schema.codes.get(sys) {
                        let padded = format!("{raw:0<6}");
                        if system.kind() == crate::code::CodeKind::Region
                            && padded.ends_with("00")
                            && system.historical_target(&padded).is_some()
                        {
                            let now = system.historical_successors(&padded);
                            self.err_hint(
                                c.span,
                                format!("{raw} is a historical code ({padded}) whose area now has its own codes"),
                                format!("write the current codes: [{}]", now.join(", ")),
                            );
                            continue;
                        }
                        match system.normalize(&raw) {
                            Ok(code) => out.push(code),
                            Err(err) => self.err(c.span, err.to_string()),
                        }
                    }
                }
                if out.len() != codes.len() {
                    return None;
                }
                Some(Node::new(NodeKind::Under { expr: Box::new(x), system: sys, codes: out }, Ty::Bool, span))
            }
            ExprKind::Contains { expr, mode, items } => {
                let x = self.check(expr, None)?;
                let mut strs = Vec::new();
                for it in items {
                    match &it.kind {
                        ExprKind::Text { value } => strs.push(value.clone()),
                        _ => self.err_hint(it.span, "expected text in double quotes", "e.g. contains_any [\"软件开发\", \"集成电路设计\"]"),
                    }
                }
                if strs.len() != items.len() {
                    return None;
                }
                let kind = match x.ty {
                    Ty::Tags => NodeKind::TagContains { expr: Box::new(x), mode: *mode, items: strs },
                    Ty::Text => NodeKind::TextContains { expr: Box::new(x), mode: *mode, items: strs },
                    other => {
                        let t = self.ty_name(other);
                        self.err(expr.span, format!("`contains` needs text or tags, found {t}"));
                        return None;
                    }
                };
                Some(Node::new(kind, Ty::Bool, span))
            }
            ExprKind::Matches { expr, pattern } => {
                let x = self.check(expr, None)?;
                if x.ty != Ty::Text {
                    let t = self.ty_name(x.ty);
                    self.err(expr.span, format!("`matches` needs text, found {t}"));
                    return None;
                }
                match regex_lite::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build() {
                    Ok(re) => Some(Node::new(
                        NodeKind::Matches { expr: Box::new(x), pattern: Pattern { source: pattern.clone(), regex: Arc::new(re) } },
                        Ty::Bool,
                        span,
                    )),
                    Err(e) if e.to_string().contains("exceeded size limit") => {
                        self.err_hint(
                            span,
                            format!("regular expression is too large (over {} KiB compiled)", REGEX_SIZE_LIMIT / 1024),
                            "use contains_any with a list of words",
                        );
                        None
                    }
                    Err(e) => {
                        self.err(span, format!("invalid regular expression: {e}"));
                        None
                    }
                }
            }
            ExprKind::If { cond, then, otherwise } => {
                let c = self.expect_bool(cond);
                // Type the branch that knows its type first; a bare literal borrows it.
                let (t, o) = if expected.is_none() && self.is_unresolved_name(then) && !self.is_unresolved_name(otherwise) {
                    let o = self.check(otherwise, None);
                    let t = o.as_ref().and_then(|o| self.check(then, Some(o.ty)));
                    (t, o)
                } else {
                    let t = self.check(then, expected);
                    let o = t.as_ref().and_then(|t| self.check(otherwise, Some(t.ty)));
                    (t, o)
                };
                let (c, t, o) = (c?, t?, o?);
                // A bare literal in the then-branch takes the else-branch's type.
                let t = if t.ty != o.ty && self.is_unresolved_name(then) { self.check(then, Some(o.ty))? } else { t };
                if t.ty != o.ty {
                    let (a, b) = (self.ty_name(t.ty), self.ty_name(o.ty));
                    self.err(span, format!("the branches of `if` differ: {a} vs {b}"));
                    return None;
                }
                let (ty, p) = (t.ty, t.percent || o.percent);
                Some(Node::new(NodeKind::If { cond: Box::new(c), then: Box::new(t), otherwise: Box::new(o) }, ty, span).pct(p))
            }
            ExprKind::Call { function, args } => self.call(function, args, expected, span),
            ExprKind::List { .. } => {
                self.err_hint(
                    span,
                    "a list may only follow `in`, `under`, `contains_any` or be a function argument",
                    "e.g. tax_credit@fy1 in [A, B]",
                );
                None
            }
            ExprKind::Band { expr, rows, otherwise } => {
                let x = self.check(expr, None)?;
                let mut out = Vec::new();
                let mut score_ty: Option<Ty> = None;
                for r in rows {
                    let t = self.check(&r.threshold, Some(x.ty));
                    let s = self.check(&r.score, score_ty.or(Some(Ty::Num(Dim::Number))));
                    let (Some(t), Some(s)) = (t, s) else { continue };
                    if self.comparable(r.op, &x, &t, r.threshold.span).is_none() {
                        continue;
                    }
                    match score_ty {
                        None => score_ty = Some(s.ty),
                        Some(st) if st != s.ty => {
                            self.err(r.score.span, "all scores of a band must have the same unit");
                            continue;
                        }
                        _ => {}
                    }
                    out.push((r.op, t, s));
                }
                if out.len() != rows.len() {
                    return None;
                }
                let ty = score_ty.unwrap_or(Ty::Num(Dim::Number));
                let o = match otherwise {
                    Some(o) => Some(Box::new(self.check(o, Some(ty))?)),
                    None => None,
                };
                if let Some(o) = &o {
                    if o.ty != ty {
                        self.err(span, "the else score must have the same unit as the others");
                        return None;
                    }
                }
                if !matches!(ty, Ty::Num(_)) {
                    self.err(span, "band scores must be numbers");
                    return None;
                }
                Some(Node::new(NodeKind::Band { expr: Box::new(x), rows: out, otherwise: o }, ty, span))
            }
        }
    }

    fn field_ty(&self, ty: &FieldType) -> Ty {
        match ty {
            FieldType::Bool => Ty::Bool,
            FieldType::Decimal(u) | FieldType::Integer(u) => Ty::Num(u.dim()),
            FieldType::Date => Ty::Date,
            FieldType::Enum(e) => Ty::Enum(*e),
            FieldType::Code(s) => Ty::Code(*s),
            FieldType::Tags => Ty::Tags,
            FieldType::Qualifications => Ty::Quals,
            FieldType::Text => Ty::Text,
        }
    }

    fn unknown_name(&mut self, name: &str, span: Span) {
        let candidates: Vec<&str> = self
            .schema
            .fields
            .iter()
            .flat_map(|f| [f.name.as_str(), f.label.as_str()])
            .chain(self.scope.defs.keys().map(String::as_str))
            .chain(FUNCTIONS.iter().copied())
            .collect();
        match crate::suggest::closest(name, candidates) {
            Some(s) => self.err_hint(span, format!("unknown name `{name}`"), format!("did you mean `{s}`?")),
            None => self.err_hint(
                span,
                format!("unknown name `{name}`"),
                "names are schema fields (English or Chinese label), derived fields or definitions; `huiqi schema` lists them",
            ),
        }
    }

    fn name(&mut self, name: &str, expected: Option<Ty>, span: Span) -> C<Node> {
        if let Some(f) = self.schema.field(name) {
            let ty = self.field_ty(&f.ty);
            let pct = matches!(f.ty, FieldType::Decimal(crate::units::Unit::Percent));
            if f.per_year {
                if self.in_loop {
                    return Some(Node::new(NodeKind::Field { field: f.id, year: Some(YearRef::Loop) }, ty, span).pct(pct));
                }
                self.err_hint(
                    span,
                    format!("`{name}` is a per-year field and needs a year"),
                    format!("write {name}@fy1 (last complete year), {name}@fy2, or {name}@2024"),
                );
                return None;
            }
            return Some(Node::new(NodeKind::Field { field: f.id, year: None }, ty, span).pct(pct));
        }
        if let Some(&(idx, ty, pct)) = self.scope.defs.get(name) {
            return Some(Node::new(NodeKind::Def(idx), ty, span).pct(pct));
        }
        if self.scope.failed.contains(name) {
            return None; // already reported where it is defined
        }
        match expected {
            Some(Ty::Enum(e)) => return self.enum_literal(e, name, span),
            Some(Ty::Code(s)) => return self.code_literal(s, name, span),
            _ => {}
        }
        self.unknown_name(name, span);
        None
    }

    fn enum_literal(&mut self, e: EnumId, s: &str, span: Span) -> C<Node> {
        let def = self.schema.enum_def(e)?;
        match def.index_of(s) {
            Some(i) => Some(Node::new(NodeKind::Const(Const::Enum(i)), Ty::Enum(e), span)),
            None => {
                let choices = def.values.iter().map(|v| format!("{} ({})", v.code, v.label)).collect::<Vec<_>>().join(", ");
                let near = crate::suggest::closest(s, def.values.iter().flat_map(|v| [v.code.as_str(), v.label.as_str()]));
                let hint = match near {
                    Some(n) => format!("did you mean `{n}`? values: {choices}"),
                    None => format!("values: {choices}"),
                };
                let name = def.name.clone();
                self.err_hint(span, format!("`{s}` is not a value of {name}"), hint);
                None
            }
        }
    }

    fn code_literal(&mut self, sys: SystemId, s: &str, span: Span) -> C<Node> {
        let system = self.schema.codes.get(sys)?;
        match system.normalize(s) {
            Ok(c) => Some(Node::new(NodeKind::Const(Const::Code(c)), Ty::Code(sys), span)),
            Err(e) => {
                self.err(span, e.to_string());
                None
            }
        }
    }

    fn number(&mut self, digits: &str, unit: LitUnit, expected: Option<Ty>, span: Span) -> C<Node> {
        match expected {
            Some(Ty::Code(sys)) if unit == LitUnit::Plain => return self.code_literal(sys, digits, span),
            Some(Ty::Year) if matches!(unit, LitUnit::Plain | LitUnit::Year) && digits.len() == 4 => {
                let y: i32 = digits.parse().ok()?;
                return Some(Node::new(NodeKind::Const(Const::Year(YearRef::Abs(y))), Ty::Year, span));
            }
            _ => {}
        }
        let Some(v) = parse_decimal(digits) else {
            self.err(span, format!("`{digits}` is not a number"));
            return None;
        };
        let u = unit.unit();
        let Some(base) = u.to_base(v) else {
            self.err(span, "number is too large");
            return None;
        };
        let mut dim = u.dim();
        if unit == LitUnit::Plain {
            if let Some(Ty::Num(d)) = expected {
                if d.accepts_bare_number() {
                    dim = d;
                } else {
                    self.err_hint(
                        span,
                        format!("`{digits}` has no unit, but it is compared with money"),
                        format!("write {digits}万 (万元), {digits}元 or {digits}亿"),
                    );
                    return None;
                }
            }
        }
        Some(Node::new(NodeKind::Const(Const::Num(base)), Ty::Num(dim), span).pct(unit == LitUnit::Percent))
    }

    fn yearly_field(&mut self, e: &Expr) -> C<FieldId> {
        let ExprKind::Name { name } = &e.kind else {
            self.err_hint(e.span, "`@` applies to a per-year field", "e.g. operating_revenue@fy1");
            return None;
        };
        match self.schema.field(name) {
            Some(f) if f.per_year => Some(f.id),
            Some(f) => {
                let n = f.name.clone();
                self.err(e.span, format!("`{n}` is not a per-year field; drop the `@`"));
                None
            }
            None => {
                self.unknown_name(name, e.span);
                None
            }
        }
    }

    fn numeric_yearly_field(&mut self, e: &Expr) -> C<FieldId> {
        let f = self.yearly_field(e)?;
        let field = self.schema.field_by_id(f)?;
        if field.ty.dim().is_none() {
            let n = field.name.clone();
            self.err(e.span, format!("`{n}` is not numeric"));
            return None;
        }
        Some(f)
    }

    /// Checks that `a op b` is meaningful.
    fn comparable(&mut self, op: CmpOp, a: &Node, b: &Node, span: Span) -> C<()> {
        if a.ty != b.ty {
            let (x, y) = (self.ty_name(a.ty), self.ty_name(b.ty));
            let hint = match (a.ty, b.ty) {
                (Ty::Num(Dim::Money), Ty::Num(_)) | (Ty::Num(_), Ty::Num(Dim::Money)) => {
                    "money is compared with money literals such as 500万 or 300万元"
                }
                (Ty::Date, Ty::Num(_)) | (Ty::Num(_), Ty::Date) => {
                    "for ages use full_years_since(registration_date) >= 2 or registration_date <= as_of - 2y"
                }
                _ => "both sides must have the same type and unit",
            };
            self.err_hint(span, format!("unit or type mismatch: {x} compared with {y}"), hint);
            return None;
        }
        if op.is_ordering() {
            match a.ty {
                Ty::Num(_) | Ty::Date | Ty::Year => {}
                Ty::Enum(e) => {
                    let def = self.schema.enum_def(e)?;
                    if !def.ordered {
                        let name = def.name.clone();
                        self.err_hint(
                            span,
                            format!("{name} is not ordered, so `{}` is meaningless", op.symbol()),
                            format!("list the values you accept: {name} in [A, B]"),
                        );
                        return None;
                    }
                }
                other => {
                    let t = self.ty_name(other);
                    self.err(span, format!("`{}` needs ordered values, found {t}", op.symbol()));
                    return None;
                }
            }
        } else if matches!(a.ty, Ty::Tags | Ty::Quals | Ty::Duration) {
            let t = self.ty_name(a.ty);
            self.err(span, format!("cannot compare {t} with `{}`", op.symbol()));
            return None;
        }
        Some(())
    }

    fn compare(&mut self, op: CmpOp, lhs: &Expr, rhs: &Expr, span: Span) -> C<Node> {
        // cagr(...) is comparison-only so that it stays exact.
        if let ExprKind::Call { function, args } = &lhs.kind {
            if function == "cagr" {
                return self.cagr(op, args, rhs, span, lhs.span);
            }
            if function == "first_grant" || function == "renewal" {
                return self.grant_test(function, args, std::slice::from_ref(rhs), op, span);
            }
        }
        // Resolve the side that gives a type first, so literals can borrow it.
        let (l, r) = if self.is_unresolved_name(lhs) && !self.is_unresolved_name(rhs) {
            let r = self.check(rhs, None)?;
            let l = self.check(lhs, Some(r.ty))?;
            (l, r)
        } else {
            let l = self.check(lhs, None)?;
            let r = self.check(rhs, Some(l.ty))?;
            // A bare number on the left borrows the right side's dimension.
            let l = if l.ty != r.ty && matches!(lhs.kind, ExprKind::Number { unit: LitUnit::Plain, .. }) {
                self.check(lhs, Some(r.ty))?
            } else {
                l
            };
            (l, r)
        };
        self.comparable(op, &l, &r, span)?;
        let p = l.percent || r.percent;
        // `x <= as_of - 1y` is read as `x + 1y <= as_of`: the anniversary reading (满一年),
        // which agrees with full_years_since at month ends (02-29 + 1y = 02-28).
        let (l, r) = match (l, r) {
            (l, Node { kind: NodeKind::DateShift { date, duration, negate: true }, span: rs, .. }) if l.ty == Ty::Date => {
                let ls = l.span;
                (Node::new(NodeKind::DateShift { date: Box::new(l), duration, negate: false }, Ty::Date, ls.to(rs)), *date)
            }
            (Node { kind: NodeKind::DateShift { date, duration, negate: true }, span: ls, .. }, r) if r.ty == Ty::Date => {
                let rs = r.span;
                (*date, Node::new(NodeKind::DateShift { date: Box::new(r), duration, negate: false }, Ty::Date, rs.to(ls)))
            }
            other => other,
        };
        Some(Node::new(NodeKind::Cmp { op, lhs: Box::new(l), rhs: Box::new(r) }, Ty::Bool, span).pct(p))
    }

    fn in_set(&mut self, expr: &Expr, items: &[Expr], negated: bool, span: Span) -> C<Node> {
        if let ExprKind::Call { function, args } = &expr.kind {
            if (function == "first_grant" || function == "renewal") && !negated {
                return self.grant_test(function, args, items, CmpOp::Eq, span);
            }
        }
        let x = self.check(expr, None)?;
        if matches!(x.ty, Ty::Tags | Ty::Quals | Ty::Duration | Ty::Bool) {
            let t = self.ty_name(x.ty);
            self.err_hint(
                span,
                format!("`in` does not apply to {t}"),
                if x.ty == Ty::Tags { "for tags use `contains` / `contains_any`" } else { "" },
            );
            return None;
        }
        let mut consts = Vec::new();
        for it in items {
            let Some(n) = self.check(it, Some(x.ty)) else { continue };
            match n.kind {
                NodeKind::Const(c) if n.ty == x.ty => consts.push(c),
                NodeKind::Const(_) => {
                    let (a, b) = (self.ty_name(x.ty), self.ty_name(n.ty));
                    self.err(it.span, format!("list item is {b}, but the value is {a}"));
                }
                _ => self.err(it.span, "list items must be literal values"),
            }
        }
        if consts.len() != items.len() {
            return None;
        }
        if consts.is_empty() {
            self.err(span, "empty list");
            return None;
        }
        let p = x.percent;
        Some(Node::new(NodeKind::InSet { expr: Box::new(x), items: consts, negated }, Ty::Bool, span).pct(p))
    }

    fn arith(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, expected: Option<Ty>, span: Span) -> C<Node> {
        let aop = match op {
            BinOp::Add => ArithOp::Add,
            BinOp::Sub => ArithOp::Sub,
            BinOp::Mul => ArithOp::Mul,
            _ => ArithOp::Div,
        };
        // Date ± duration.
        let l = if matches!(op, BinOp::Add | BinOp::Sub) {
            self.check(lhs, expected.filter(|t| matches!(t, Ty::Num(_))))?
        } else {
            self.check(lhs, None)?
        };
        if l.ty == Ty::Date && matches!(op, BinOp::Add | BinOp::Sub) {
            let r = self.check(rhs, None)?;
            let NodeKind::Const(Const::Duration(d)) = r.kind else {
                let hint = if r.ty == Ty::Date {
                    "for the time between two dates use days_since(…) or full_years_since(…)"
                } else {
                    "write a duration such as 1y, 6m or 365d"
                };
                self.err_hint(rhs.span, "a date can only be shifted by a duration literal", hint);
                return None;
            };
            return Some(Node::new(NodeKind::DateShift { date: Box::new(l), duration: d, negate: op == BinOp::Sub }, Ty::Date, span));
        }
        let Ty::Num(ld) = l.ty else {
            let t = self.ty_name(l.ty);
            self.err(lhs.span, format!("arithmetic needs numbers, found {t}"));
            return None;
        };
        let r = match op {
            BinOp::Add | BinOp::Sub => self.check(rhs, Some(l.ty))?,
            _ => self.check(rhs, None)?,
        };
        let Ty::Num(rd) = r.ty else {
            let t = self.ty_name(r.ty);
            self.err(rhs.span, format!("arithmetic needs numbers, found {t}"));
            return None;
        };
        // A bare literal on the left of + - borrows the right's dimension.
        let (l, ld) =
            if ld != rd && matches!(op, BinOp::Add | BinOp::Sub) && matches!(lhs.kind, ExprKind::Number { unit: LitUnit::Plain, .. }) {
                let l = self.check(lhs, Some(r.ty))?;
                (l, rd)
            } else {
                (l, ld)
            };
        let dim = match op {
            BinOp::Add | BinOp::Sub => {
                if ld != rd {
                    self.err_hint(
                        span,
                        format!("cannot add or subtract {} and {}", ld.en(), rd.en()),
                        "both sides must have the same unit",
                    );
                    return None;
                }
                ld
            }
            BinOp::Mul => match (ld, rd) {
                (Dim::Number, d) | (d, Dim::Number) => d,
                _ => {
                    self.err(span, format!("cannot multiply {} by {}", ld.en(), rd.en()));
                    return None;
                }
            },
            _ => match (ld, rd) {
                (a, b) if a == b => Dim::Number,
                (d, Dim::Number) => d,
                _ => {
                    self.err_hint(
                        span,
                        format!("cannot divide {} by {}", ld.en(), rd.en()),
                        "a ratio divides like by like, e.g. money by money",
                    );
                    return None;
                }
            },
        };
        let p = if op == BinOp::Div && dim == Dim::Number { true } else { l.percent || r.percent };
        Some(Node::new(NodeKind::Arith { op: aop, lhs: Box::new(l), rhs: Box::new(r) }, Ty::Num(dim), span).pct(p))
    }

    fn arg_count(&mut self, function: &str, args: &[Expr], range: std::ops::RangeInclusive<usize>, span: Span, usage: &str) -> C<()> {
        if range.contains(&args.len()) {
            Some(())
        } else {
            self.err_hint(
                span,
                format!(
                    "`{function}` takes {} argument(s), found {}",
                    if range.start() == range.end() { range.start().to_string() } else { format!("{} to {}", range.start(), range.end()) },
                    args.len()
                ),
                format!("usage: {usage}"),
            );
            None
        }
    }

    fn bool_list(&mut self, e: &Expr) -> C<Vec<Node>> {
        let ExprKind::List { items } = &e.kind else {
            self.err_hint(e.span, "expected a list of conditions", "e.g. [a, b, c]");
            return None;
        };
        let mut out = Vec::new();
        for it in items {
            if let Some(n) = self.expect_bool(it) {
                out.push(n);
            }
        }
        (out.len() == items.len()).then_some(out)
    }

    fn year_of(&mut self, e: &Expr) -> C<YearRef> {
        match &e.kind {
            ExprKind::FiscalYear { k } => Some(YearRef::Fy(*k)),
            ExprKind::Number { value, unit: LitUnit::Plain | LitUnit::Year } if value.len() == 4 => value.parse().ok().map(YearRef::Abs),
            _ => {
                self.err_hint(e.span, "expected a year", "fy1 (last complete year), fy2, or 2024");
                None
            }
        }
    }

    fn range_of(&mut self, e: &Expr) -> C<(FieldId, YearRef, YearRef)> {
        match &e.kind {
            ExprKind::At { expr, period, to: Some(to) } => {
                let f = self.numeric_yearly_field(expr)?;
                Some((f, YearRef::from_period(*period), YearRef::from_period(*to)))
            }
            _ => {
                self.err_hint(e.span, "expected a per-year field over a range of years", "e.g. rd_expense@fy1..fy3");
                None
            }
        }
    }

    fn qualification(&mut self, e: &Expr) -> C<usize> {
        let name = match &e.kind {
            ExprKind::Name { name } | ExprKind::Text { value: name } => name.clone(),
            _ => {
                self.err(e.span, "expected a qualification such as 高新技术企业 or high_tech");
                return None;
            }
        };
        if self.qual_field.is_none() {
            self.err(e.span, "the schema has no qualifications field");
            return None;
        }
        match self.schema.qualification(&name) {
            Some(q) => Some(q),
            None => {
                let near =
                    crate::suggest::closest(&name, self.schema.qualifications.iter().flat_map(|q| [q.code.as_str(), q.label.as_str()]));
                let all = self.schema.qualifications.iter().map(|q| q.label.as_str()).collect::<Vec<_>>().join("、");
                match near {
                    Some(n) => self.err_hint(e.span, format!("unknown qualification `{name}`"), format!("did you mean `{n}`?")),
                    None => self.err_hint(e.span, format!("unknown qualification `{name}`"), format!("known: {all}")),
                }
                None
            }
        }
    }

    fn grant_test(&mut self, function: &str, args: &[Expr], items: &[Expr], op: CmpOp, span: Span) -> C<Node> {
        self.arg_count(function, args, 1..=1, span, "first_grant(高新技术企业) in fy1")?;
        let q = self.qualification(args.first()?)?;
        if op != CmpOp::Eq || items.len() != 1 {
            self.err_hint(span, format!("`{function}(…)` is tested against one year"), format!("{function}(…) in fy1"));
            return None;
        }
        let year = self.year_of(items.first()?)?;
        let kind = if function == "first_grant" { GrantKind::First } else { GrantKind::Renewal };
        Some(Node::new(NodeKind::GrantedIn { qual: q, year, kind }, Ty::Bool, span))
    }

    fn cagr(&mut self, op: CmpOp, args: &[Expr], rhs: &Expr, span: Span, call_span: Span) -> C<Node> {
        self.arg_count("cagr", args, 1..=1, call_span, "cagr(operating_revenue@fy1..fy4) >= 20%")?;
        let (field, from, to) = self.range_of(args.first()?)?;
        let rate = self.check(rhs, Some(Ty::Num(Dim::Number)))?;
        if rate.ty != Ty::Num(Dim::Number) {
            self.err(rhs.span, "a growth rate is a plain number or percentage, e.g. 20%");
            return None;
        }
        if from == to {
            self.err(call_span, "cagr needs at least two years");
            return None;
        }
        Some(Node::new(NodeKind::CagrCmp { op, field, from, to, rate: Box::new(rate) }, Ty::Bool, span).pct(true))
    }

    fn call(&mut self, function: &str, args: &[Expr], expected: Option<Ty>, span: Span) -> C<Node> {
        let first = args.first();
        match function {
            "at_least" => {
                self.arg_count(function, args, 2..=2, span, "at_least(2, [a, b, c])")?;
                let k = match first.map(|e| &e.kind) {
                    Some(ExprKind::Number { value, unit: LitUnit::Plain }) => value.parse::<u32>().ok(),
                    _ => None,
                };
                let Some(k) = k else {
                    self.err(first.map_or(span, |e| e.span), "at_least needs a whole number first");
                    return None;
                };
                let list = self.bool_list(args.get(1)?)?;
                if k as usize > list.len() {
                    self.err(span, format!("at_least({k}, …) over {} conditions can never hold", list.len()));
                    return None;
                }
                Some(Node::new(NodeKind::AtLeast(k, list), Ty::Bool, span))
            }
            "none_of" | "all_of" | "any_of" => {
                self.arg_count(function, args, 1..=1, span, &format!("{function}([a, b])"))?;
                let list = self.bool_list(first?)?;
                let kind = match function {
                    "all_of" => NodeKind::And(list),
                    "any_of" => NodeKind::Or(list),
                    _ => NodeKind::Not(Box::new(Node::new(NodeKind::Or(list), Ty::Bool, span))),
                };
                Some(Node::new(kind, Ty::Bool, span))
            }
            "min" | "max" | "sum" | "avg" => {
                let is_range = matches!(first.map(|e| &e.kind), Some(ExprKind::At { to: Some(_), .. }));
                if is_range {
                    self.arg_count(
                        function,
                        args,
                        1..=2,
                        span,
                        &format!("{function}(rd_expense@fy1..fy3) or {function}(rd_expense@fy1..fy3, actual)"),
                    )?;
                    let (field, from, to) = self.range_of(first?)?;
                    let actual = match args.get(1).map(|e| &e.kind) {
                        None => false,
                        Some(ExprKind::Name { name }) if name == "actual" => true,
                        Some(_) => {
                            self.err_hint(
                                args.get(1).map_or(span, |e| e.span),
                                "the second argument may only be `actual`",
                                "actual = use only the years since registration (成立不足 n 年按实际年限)",
                            );
                            return None;
                        }
                    };
                    if actual && self.registration_field.is_none() {
                        self.err(span, "`actual` needs a registration_date field in the schema");
                        return None;
                    }
                    let agg = match function {
                        "sum" => Agg::Sum,
                        "avg" => Agg::Avg,
                        "min" => Agg::Min,
                        _ => Agg::Max,
                    };
                    let f = self.schema.field_by_id(field)?;
                    let ty = self.field_ty(&f.ty);
                    let pct = matches!(f.ty, FieldType::Decimal(crate::units::Unit::Percent));
                    return Some(Node::new(NodeKind::YearAgg { agg, field, from, to, actual }, ty, span).pct(pct));
                }
                if matches!(function, "sum" | "avg") {
                    self.err_hint(
                        span,
                        format!("`{function}` aggregates a per-year field over years"),
                        format!("{function}(rd_expense@fy1..fy3); to add values use +"),
                    );
                    return None;
                }
                if args.len() < 2 {
                    self.err_hint(
                        span,
                        format!("`{function}` needs two or more values, or a year range"),
                        format!("{function}(a, b) or {function}(x@fy1..fy3)"),
                    );
                    return None;
                }
                let mut nodes: Vec<Node> = Vec::new();
                for a in args {
                    let want = nodes.first().map(|n| n.ty).or(expected);
                    if let Some(n) = self.check(a, want) {
                        nodes.push(n);
                    }
                }
                if nodes.len() != args.len() {
                    return None;
                }
                let ty = nodes.first()?.ty;
                if !matches!(ty, Ty::Num(_)) || nodes.iter().any(|n| n.ty != ty) {
                    self.err(span, format!("`{function}` needs numbers of the same unit"));
                    return None;
                }
                let p = nodes.iter().any(|n| n.percent);
                Some(Node::new(NodeKind::MinMax { max: function == "max", args: nodes }, ty, span).pct(p))
            }
            "all_years" | "any_years" => {
                self.arg_count(function, args, 2..=2, span, &format!("{function}(fy1..fy2, rd_expense / operating_revenue >= 3%)"))?;
                let (from, to) = match first.map(|e| &e.kind) {
                    Some(ExprKind::YearRange { from, to }) => (YearRef::from_period(*from), YearRef::from_period(*to)),
                    _ => {
                        self.err_hint(first.map_or(span, |e| e.span), "expected a year range", "fy1..fy3");
                        return None;
                    }
                };
                if self.in_loop {
                    self.err(span, "all_years / any_years cannot be nested");
                    return None;
                }
                self.in_loop = true;
                let body = self.expect_bool(args.get(1)?);
                self.in_loop = false;
                Some(Node::new(NodeKind::Quantified { all: function == "all_years", from, to, body: Box::new(body?) }, Ty::Bool, span))
            }
            "growth" => {
                self.arg_count(function, args, 1..=1, span, "growth(main_business_revenue@fy1)")?;
                match first.map(|e| &e.kind) {
                    Some(ExprKind::At { expr, period, to: None }) => {
                        let f = self.numeric_yearly_field(expr)?;
                        Some(
                            Node::new(NodeKind::Growth { field: f, year: YearRef::from_period(*period) }, Ty::Num(Dim::Number), span)
                                .pct(true),
                        )
                    }
                    _ => {
                        self.err_hint(
                            span,
                            "growth needs a per-year field at one year",
                            "growth(main_business_revenue@fy1) = x@fy1 / x@fy2 - 1",
                        );
                        None
                    }
                }
            }
            "avg_growth" => {
                self.arg_count(function, args, 1..=1, span, "avg_growth(operating_revenue@fy1..fy3)")?;
                let (field, from, to) = self.range_of(first?)?;
                if from == to {
                    self.err(span, "avg_growth needs at least two years");
                    return None;
                }
                Some(Node::new(NodeKind::AvgGrowth { field, from, to }, Ty::Num(Dim::Number), span).pct(true))
            }
            "cagr" => {
                self.err_hint(span, "cagr(…) can only be compared (so that it stays exact)", "cagr(operating_revenue@fy1..fy4) >= 20%");
                None
            }
            "has" => {
                self.arg_count(function, args, 1..=2, span, "has(高新技术企业) or has(专精特新中小企业, level >= provincial)")?;
                let q = self.qualification(first?)?;
                let level = match args.get(1) {
                    None => None,
                    Some(Expr { kind: ExprKind::Compare { op, lhs, rhs }, .. }) if matches!(&lhs.kind, ExprKind::Name { name } if name == "level" || name == "级别") =>
                    {
                        let lname = match &rhs.kind {
                            ExprKind::Name { name } => name.clone(),
                            ExprKind::Text { value } => value.clone(),
                            _ => String::new(),
                        };
                        match self.schema.qualification_level(&lname) {
                            Some(l) => Some((*op, l)),
                            None => {
                                let levels = self
                                    .schema
                                    .qualification_levels
                                    .iter()
                                    .map(|l| format!("{} ({})", l.code, l.label))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                self.err_hint(rhs.span, format!("unknown level `{lname}`"), format!("levels, lowest first: {levels}"));
                                return None;
                            }
                        }
                    }
                    Some(other) => {
                        self.err_hint(other.span, "expected a level condition", "has(专精特新中小企业, level >= provincial)");
                        return None;
                    }
                };
                Some(Node::new(NodeKind::Has { qual: q, level }, Ty::Bool, span))
            }
            "granted_in" | "first_granted_in" | "renewed_in" => {
                self.arg_count(function, args, 2..=2, span, &format!("{function}(高新技术企业, fy1)"))?;
                let q = self.qualification(first?)?;
                let year = self.year_of(args.get(1)?)?;
                let kind = match function {
                    "granted_in" => GrantKind::Any,
                    "first_granted_in" => GrantKind::First,
                    _ => GrantKind::Renewal,
                };
                Some(Node::new(NodeKind::GrantedIn { qual: q, year, kind }, Ty::Bool, span))
            }
            "first_grant" | "renewal" => {
                self.err_hint(span, format!("`{function}(…)` is tested against a year"), format!("{function}(高新技术企业) in fy1"));
                None
            }
            "eligible" => {
                self.arg_count(function, args, 1..=1, span, "eligible(policy-id)")?;
                let Some(ExprKind::Name { name }) = first.map(|e| &e.kind) else {
                    self.err(span, "expected a policy id");
                    return None;
                };
                match self.scope.policies.get(name) {
                    Some(&i) => Some(Node::new(NodeKind::Eligible(i), Ty::Bool, span)),
                    None => {
                        let near = crate::suggest::closest(name, self.scope.policies.keys().map(String::as_str));
                        let sp = first.map_or(span, |e| e.span);
                        match near {
                            Some(n) => self.err_hint(sp, format!("unknown policy `{name}`"), format!("did you mean `{n}`?")),
                            None => self.err(sp, format!("unknown policy `{name}`")),
                        }
                        None
                    }
                }
            }
            "manual_review" => {
                self.arg_count(function, args, 1..=1, span, "manual_review(\"专家评审\")")?;
                match first.map(|e| &e.kind) {
                    Some(ExprKind::Text { value }) => Some(Node::new(NodeKind::ManualReview(value.clone()), Ty::Bool, span)),
                    _ => {
                        self.err(span, "manual_review needs a text saying what a person must judge");
                        None
                    }
                }
            }
            "full_years_since" | "full_months_since" | "days_since" => {
                self.arg_count(function, args, 1..=1, span, &format!("{function}(registration_date)"))?;
                let d = self.check(first?, None)?;
                if d.ty != Ty::Date {
                    let t = self.ty_name(d.ty);
                    self.err(span, format!("`{function}` needs a date, found {t}"));
                    return None;
                }
                let (unit, dim) = match function {
                    "full_years_since" => (SinceUnit::Years, Dim::Years),
                    "full_months_since" => (SinceUnit::Months, Dim::Months),
                    _ => (SinceUnit::Days, Dim::Number),
                };
                Some(Node::new(NodeKind::Since { date: Box::new(d), unit }, Ty::Num(dim), span))
            }
            "known" => {
                self.arg_count(function, args, 1..=1, span, "known(registered_capital)")?;
                let f = match first.map(|e| &e.kind) {
                    Some(ExprKind::Name { name }) => self.schema.field(name).map(|f| f.id),
                    _ => None,
                };
                match f {
                    Some(f) => Some(Node::new(NodeKind::Known(f), Ty::Bool, span)),
                    None => {
                        self.err(span, "known(…) takes a schema field name");
                        None
                    }
                }
            }
            _ => {
                let near = crate::suggest::closest(function, FUNCTIONS.iter().copied());
                match near {
                    Some(n) => self.err_hint(span, format!("unknown function `{function}`"), format!("did you mean `{n}`?")),
                    None => self.err_hint(span, format!("unknown function `{function}`"), format!("functions: {}", FUNCTIONS.join(", "))),
                }
                None
            }
        }
    }
}

/// Names a syntax tree refers to (for dependency graphs of definitions).
pub fn referenced_names(e: &Expr, out: &mut Vec<String>) {
    if let ExprKind::Name { name } = &e.kind {
        out.push(name.clone());
    }
    e.for_each_child(&mut |c| referenced_names(c, out));
}

/// Policy ids referenced by `eligible(...)`.
pub fn referenced_policies(e: &Expr, out: &mut Vec<(String, Span)>) {
    if let ExprKind::Call { function, args } = &e.kind {
        if function == "eligible" {
            if let Some(Expr { kind: ExprKind::Name { name }, span }) = args.first() {
                out.push((name.clone(), *span));
            }
        }
    }
    e.for_each_child(&mut |c| referenced_policies(c, out));
}
