//! Types and units: number literals and their units, comparisons (`comparable`, `compare`),
//! `in` lists and arithmetic, with the hints that explain a unit or type mismatch.

use super::{ArithOp, Checked, Checker, Const, Node, NodeKind, Ty, YearRef};
use crate::lang::ast::{BinOp, CmpOp, Expr, ExprKind, LitUnit};
use crate::lang::Span;
use crate::schema::FieldType;
use crate::units::{parse_decimal, Dim};

impl Checker<'_> {
    pub(super) fn ty_name(&self, ty: Ty) -> String {
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
            Ty::Records(_) => "a list of records".into(),
        }
    }

    pub(super) fn field_ty(&self, ty: &FieldType) -> Ty {
        match ty {
            FieldType::Bool => Ty::Bool,
            FieldType::Decimal(u) | FieldType::Integer(u) => Ty::Num(u.dim()),
            FieldType::Date => Ty::Date,
            FieldType::Enum(e) => Ty::Enum(*e),
            FieldType::Code(s) => Ty::Code(*s),
            FieldType::Tags => Ty::Tags,
            FieldType::Qualifications => Ty::Quals,
            FieldType::Text => Ty::Text,
            FieldType::Records(r) => Ty::Records(*r),
        }
    }

    pub(super) fn number(&mut self, digits: &str, unit: LitUnit, expected: Option<Ty>, span: Span) -> Checked<Node> {
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

    /// Checks that `a op b` is meaningful.
    pub(super) fn comparable(&mut self, op: CmpOp, a: &Node, b: &Node, span: Span) -> Checked<()> {
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
        } else if matches!(a.ty, Ty::Tags | Ty::Quals | Ty::Duration | Ty::Records(_)) {
            let t = self.ty_name(a.ty);
            self.err(span, format!("cannot compare {t} with `{}`", op.symbol()));
            return None;
        }
        Some(())
    }

    pub(super) fn compare(&mut self, op: CmpOp, lhs: &Expr, rhs: &Expr, span: Span) -> Checked<Node> {
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

    pub(super) fn in_set(&mut self, expr: &Expr, items: &[Expr], negated: bool, span: Span) -> Checked<Node> {
        if let ExprKind::Call { function, args } = &expr.kind {
            if (function == "first_grant" || function == "renewal") && !negated {
                return self.grant_test(function, args, items, CmpOp::Eq, span);
            }
        }
        let x = self.check(expr, None)?;
        if matches!(x.ty, Ty::Tags | Ty::Quals | Ty::Duration | Ty::Bool | Ty::Records(_)) {
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

    pub(super) fn arith(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, expected: Option<Ty>, span: Span) -> Checked<Node> {
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
}
