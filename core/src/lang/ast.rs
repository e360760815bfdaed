//! The syntax tree of a condition, as parsed from text or received as JSON.
//!
//! Names are unresolved here (a `Name` may be a field, a Chinese label, a definition, an
//! enum value or a code); the checker resolves them against the schema. Number literals
//! keep their digits as written, so `0610` stays an industry code and `500万` stays exact.

use serde::{Deserialize, Serialize};

use crate::date::{Date, Duration};

/// Byte range in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: u32::try_from(start).unwrap_or(u32::MAX), end: u32::try_from(end).unwrap_or(u32::MAX) }
    }
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
    pub fn is_empty(&self) -> bool {
        self.start == 0 && self.end == 0
    }
}

/// Unit suffix of a number literal as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LitUnit {
    /// No unit.
    Plain,
    /// `元`
    Yuan,
    /// `万` or `万元`
    Wan,
    /// `亿` or `亿元`
    Yi,
    /// `%`
    Percent,
    /// `人`
    Person,
    /// `件`, `个`, `项`
    Piece,
    /// `年` (a quantity of years)
    Year,
    /// `月` (a quantity of months)
    Month,
}

impl LitUnit {
    /// Every unit, in declaration order.
    pub const ALL: [LitUnit; 9] = [
        LitUnit::Plain,
        LitUnit::Yuan,
        LitUnit::Wan,
        LitUnit::Yi,
        LitUnit::Percent,
        LitUnit::Person,
        LitUnit::Piece,
        LitUnit::Year,
        LitUnit::Month,
    ];

    /// Spelling used by the pretty-printer.
    pub fn suffix(self) -> &'static str {
        match self {
            LitUnit::Plain => "",
            LitUnit::Yuan => "元",
            LitUnit::Wan => "万",
            LitUnit::Yi => "亿",
            LitUnit::Percent => "%",
            LitUnit::Person => "人",
            LitUnit::Piece => "件",
            LitUnit::Year => "年",
            LitUnit::Month => "月",
        }
    }

    /// The schema unit this literal unit denotes.
    pub fn unit(self) -> crate::units::Unit {
        use crate::units::Unit;
        match self {
            LitUnit::Plain => Unit::Plain,
            LitUnit::Yuan => Unit::Yuan,
            LitUnit::Wan => Unit::WanYuan,
            LitUnit::Yi => Unit::YiYuan,
            LitUnit::Percent => Unit::Percent,
            LitUnit::Person => Unit::Person,
            LitUnit::Piece => Unit::Piece,
            LitUnit::Year => Unit::Year,
            LitUnit::Month => Unit::Month,
        }
    }
}

/// A fiscal year reference after `@`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// `fyN`: N years before the evaluation year (fy1 = last complete year).
    Fy(u32),
    /// A calendar year.
    Year(i32),
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Or,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    /// Typographic symbol for messages.
    pub fn pretty(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
        }
    }
    /// Whether `ord` (lhs compared to rhs) satisfies the operator.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
    /// Whether the operator needs an ordering (not just equality).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
    /// The operator with operands swapped (`a < b` ⇔ `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
    /// The negated operator (`not (a < b)` ⇔ `a >= b` on known values).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

/// `contains` flavours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainsMode {
    One,
    Any,
    All,
}

/// One row of a band table: `>= 6%: 50`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandRow {
    pub op: CmpOp,
    pub threshold: Expr,
    pub score: Expr,
}

/// An expression with its source span. Its JSON form is written by the derived
/// `Serialize` and read by hand: `Deserialize` (and `TryFrom<serde_json::Value>`) for `Expr`
/// are implemented in the `json` module, which depends on this one, not the reverse.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    #[serde(flatten)]
    pub kind: ExprKind,
    #[serde(default, skip_serializing_if = "Span::is_empty")]
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    Bool {
        value: bool,
    },
    /// Digits as written (`"500"`, `"0.6"`, `"0610"`) and the unit suffix.
    Number {
        value: String,
        unit: LitUnit,
    },
    Date {
        value: Date,
    },
    Duration {
        value: Duration,
    },
    Text {
        value: String,
    },
    Regex {
        pattern: String,
    },
    AsOf,
    FiscalYear {
        k: u32,
    },
    Name {
        name: String,
    },
    At {
        expr: Box<Expr>,
        period: Period,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Period>,
    },
    YearRange {
        from: Period,
        to: Period,
    },
    Neg {
        expr: Box<Expr>,
    },
    Not {
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        low_inclusive: bool,
        high_inclusive: bool,
    },
    In {
        expr: Box<Expr>,
        items: Vec<Expr>,
        negated: bool,
    },
    Under {
        expr: Box<Expr>,
        codes: Vec<Expr>,
    },
    Contains {
        expr: Box<Expr>,
        mode: ContainsMode,
        items: Vec<Expr>,
    },
    Matches {
        expr: Box<Expr>,
        pattern: String,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Call {
        function: String,
        args: Vec<Expr>,
    },
    List {
        items: Vec<Expr>,
    },
    Band {
        expr: Box<Expr>,
        rows: Vec<BandRow>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<Box<Expr>>,
    },
}

/// The one list of an expression's direct children, for [`Expr::for_each_child`] (`&`)
/// and `for_each_child_mut` (`&mut`): `$kind` is `&self.kind` or `&mut self.kind`, `$iter`
/// is `iter` or `iter_mut`, and `$($m)?` is empty or `mut`.
macro_rules! for_each_child {
    ($kind:expr, $f:ident, $iter:ident $(, $m:tt)?) => {{
        use ExprKind::*;
        match $kind {
            Bool { .. }
            | Number { .. }
            | Date { .. }
            | Duration { .. }
            | Text { .. }
            | Regex { .. }
            | AsOf
            | FiscalYear { .. }
            | Name { .. }
            | YearRange { .. } => {}
            At { expr, .. } | Neg { expr } | Not { expr } | Matches { expr, .. } => $f(expr),
            Binary { lhs, rhs, .. } | Compare { lhs, rhs, .. } => {
                $f(lhs);
                $f(rhs);
            }
            Between { expr, low, high, .. } => {
                $f(expr);
                $f(low);
                $f(high);
            }
            In { expr, items, .. } | Contains { expr, items, .. } => {
                $f(expr);
                items.$iter().for_each(&mut *$f);
            }
            Under { expr, codes } => {
                $f(expr);
                codes.$iter().for_each(&mut *$f);
            }
            If { cond, then, otherwise } => {
                $f(cond);
                $f(then);
                $f(otherwise);
            }
            Call { args, .. } => args.$iter().for_each(&mut *$f),
            List { items } => items.$iter().for_each(&mut *$f),
            Band { expr, rows, otherwise } => {
                $f(expr);
                for r in rows {
                    $f(&$($m)? r.threshold);
                    $f(&$($m)? r.score);
                }
                if let Some(o) = otherwise {
                    $f(o);
                }
            }
        }
    }};
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// The same tree with every span zeroed (for comparing trees from different texts).
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        e.clear_spans();
        e
    }

    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.for_each_child_mut(&mut |c| c.clear_spans());
    }

    /// Visits direct children.
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        for_each_child!(&self.kind, f, iter);
    }

    fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        for_each_child!(&mut self.kind, f, iter_mut, mut);
    }

    /// Depth of the tree (1 for a leaf). Iterative: safe on any tree.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack: Vec<(&Expr, usize)> = vec![(self, 1)];
        while let Some((e, d)) = stack.pop() {
            deepest = deepest.max(d);
            e.for_each_child(&mut |c| stack.push((c, d + 1)));
        }
        deepest
    }

    /// Refuses a tree deeper than [`MAX_TREE_DEPTH`] (every tree, however it was written —
    /// text, JSON or a saved set — passes this before anything walks it recursively).
    pub fn check_depth(&self) -> Result<(), String> {
        let d = self.depth();
        if d > MAX_TREE_DEPTH {
            return Err(format!("the condition nests {d} levels deep, more than the limit of {MAX_TREE_DEPTH} (see docs/limits.md)"));
        }
        Ok(())
    }
}

/// Deepest syntax tree accepted from any source (text, JSON tree, saved set). A chain of
/// `and` / `or` counts as about log2 of its terms (the parser builds it balanced), so this
/// limits nesting, not length. It bounds every recursive walk of a condition (checker,
/// evaluator, index, printer, encoders) well within a 256 KB stack; see docs/limits.md.
pub const MAX_TREE_DEPTH: usize = 48;

/// Most terms in one `and` / `or` chain.
pub const MAX_CHAIN_TERMS: usize = 10_000;

/// Most terms in one chain of `+ -` or `* /` (kept left-nested: each term is one level).
pub const MAX_ARITH_TERMS: usize = 32;

/// Most items in one list (`in [...]`, `under [...]`, `contains_any [...]`, call arguments).
pub const MAX_LIST_ITEMS: usize = 10_000;

/// Builds a balanced tree of `op` over `terms` (in order). `and` / `or` are associative, so
/// the shape does not change the meaning; balanced, a chain of n terms is only log2 n
/// deep. The left half takes the extra term, so two or three terms nest as they are read
/// (`(a and b) and c`). The printer prints exactly this shape without parentheses.
pub fn balanced(op: BinOp, mut terms: Vec<Expr>) -> Option<Expr> {
    fn build(op: BinOp, terms: &mut std::vec::Drain<'_, Expr>, n: usize) -> Option<Expr> {
        if n <= 1 {
            return terms.next();
        }
        let left = n.div_ceil(2);
        let lhs = build(op, terms, left)?;
        let rhs = build(op, terms, n - left)?;
        let span = lhs.span.to(rhs.span);
        Some(Expr::new(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span))
    }
    let n = terms.len();
    build(op, &mut terms.drain(..), n)
}

/// The number of terms of a chain of `op` if `e` has exactly the shape [`balanced`]
/// builds (its terms are the maximal subtrees that are not `op`), else `None`.
pub fn balanced_terms(e: &Expr, op: BinOp) -> Option<usize> {
    match &e.kind {
        ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
            let a = balanced_terms(lhs, op)?;
            let b = balanced_terms(rhs, op)?;
            let n = a + b;
            (a == n.div_ceil(2)).then_some(n)
        }
        _ => Some(1),
    }
}

/// The terms of a chain of `op`, in order (the maximal subtrees that are not `op`).
pub fn chain_terms(e: &Expr, op: BinOp) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match &x.kind {
            ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
                stack.push(rhs);
                stack.push(lhs);
            }
            _ => out.push(x),
        }
    }
    out
}
