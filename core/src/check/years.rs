//! Year references: per-year fields at a year (`x@fy1`) or over a range (`x@fy1..fy3`),
//! single years, the quantifiers `all_years` / `any_years`, and `cagr`.

use super::{Checked, Checker, Node, NodeKind, Ty, YearRef};
use crate::lang::ast::{CmpOp, Expr, ExprKind, LitUnit};
use crate::lang::Span;
use crate::schema::FieldId;
use crate::units::Dim;

impl Checker<'_> {
    pub(super) fn yearly_field(&mut self, e: &Expr) -> Checked<FieldId> {
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

    pub(super) fn numeric_yearly_field(&mut self, e: &Expr) -> Checked<FieldId> {
        let f = self.yearly_field(e)?;
        let field = self.schema.field_by_id(f)?;
        if field.ty.dim().is_none() {
            let n = field.name.clone();
            self.err(e.span, format!("`{n}` is not numeric"));
            return None;
        }
        Some(f)
    }

    pub(super) fn year_of(&mut self, e: &Expr) -> Checked<YearRef> {
        match &e.kind {
            ExprKind::FiscalYear { k } => Some(YearRef::Fy(*k)),
            ExprKind::Number { value, unit: LitUnit::Plain | LitUnit::Year } if value.len() == 4 => value.parse().ok().map(YearRef::Abs),
            _ => {
                self.err_hint(e.span, "expected a year", "fy1 (last complete year), fy2, or 2024");
                None
            }
        }
    }

    pub(super) fn range_of(&mut self, e: &Expr) -> Checked<(FieldId, YearRef, YearRef)> {
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

    /// `all_years(fy1..fy3, …)` / `any_years(…)`: the body is checked with per-year fields
    /// read at the loop year; quantifiers do not nest.
    pub(super) fn quantified(&mut self, function: &str, args: &[Expr], span: Span) -> Checked<Node> {
        let first = args.first();
        self.arg_count(function, args, 2..=2, span, &format!("{function}(fy1..fy2, rd_expense / operating_revenue >= 3%)"))?;
        let (from, to) = match first.map(|e| &e.kind) {
            Some(ExprKind::YearRange { from, to }) => (YearRef::from_period(*from), YearRef::from_period(*to)),
            _ => {
                self.err_hint(first.map_or(span, |e| e.span), "expected a year range", "fy1..fy3");
                return None;
            }
        };
        if self.in_loop || self.record.is_some() {
            self.err(span, "all_years / any_years cannot be nested in another quantifier (years or records)");
            return None;
        }
        self.in_loop = true;
        let body = self.expect_bool(args.get(1)?);
        self.in_loop = false;
        Some(Node::new(NodeKind::Quantified { all: function == "all_years", from, to, body: Box::new(body?) }, Ty::Bool, span))
    }

    pub(super) fn cagr(&mut self, op: CmpOp, args: &[Expr], rhs: &Expr, span: Span, call_span: Span) -> Checked<Node> {
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
}
