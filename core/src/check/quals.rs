//! Qualifications: names of qualifications (did-you-mean), `has(…)` with an optional level,
//! and `first_grant(…)` / `renewal(…)` tested against a year.

use super::{Checked, Checker, GrantKind, Node, NodeKind, Ty};
use crate::lang::ast::{CmpOp, Expr, ExprKind};
use crate::lang::Span;

impl Checker<'_> {
    pub(super) fn qualification(&mut self, e: &Expr) -> Checked<usize> {
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

    /// `has(qualification)` or `has(qualification, level >= provincial)`.
    pub(super) fn has(&mut self, function: &str, args: &[Expr], span: Span) -> Checked<Node> {
        let first = args.first();
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

    pub(super) fn grant_test(&mut self, function: &str, args: &[Expr], items: &[Expr], op: CmpOp, span: Span) -> Checked<Node> {
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
}
