//! The walk over the syntax tree: [`Checker::check`] dispatches on each kind of expression,
//! handing names, literals, comparisons, arithmetic, codes and calls to the other
//! sub-modules and checking here the rest (not, and/or, between, contains, matches, if, band).

use std::sync::Arc;

use super::{Checked, Checker, Const, Node, NodeKind, Pattern, Ty, YearRef, REGEX_SIZE_LIMIT};
use crate::lang::ast::{BinOp, CmpOp, Expr, ExprKind, LitUnit};
use crate::schema::FieldType;
use crate::units::Dim;

impl Checker<'_> {
    pub(super) fn expect_bool(&mut self, e: &Expr) -> Checked<Node> {
        let n = self.check(e, Some(Ty::Bool))?;
        if n.ty != Ty::Bool {
            let t = self.ty_name(n.ty);
            self.err(e.span, format!("expected a condition, found {t}"));
            return None;
        }
        Some(n)
    }

    pub(super) fn is_unresolved_name(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name { name } => self.schema.field(name).is_none() && !self.scope.defs.contains_key(name),
            ExprKind::Number { unit: LitUnit::Plain, .. } | ExprKind::Text { .. } => true,
            _ => false,
        }
    }

    pub(super) fn check(&mut self, e: &Expr, expected: Option<Ty>) -> Checked<Node> {
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
            ExprKind::Under { expr, codes } => self.under(expr, codes, span),
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
}
