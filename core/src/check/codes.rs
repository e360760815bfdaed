//! Code lists: code literals normalized in their code system, and `x under [codes]`.

use super::{Checked, Checker, Const, Node, NodeKind, Ty};
use crate::code::SystemId;
use crate::lang::ast::{Expr, ExprKind, LitUnit};
use crate::lang::Span;

impl Checker<'_> {
    pub(super) fn code_literal(&mut self, sys: SystemId, s: &str, span: Span) -> Checked<Node> {
        let system = self.schema.codes.get(sys)?;
        match system.normalize(s) {
            Ok(c) => Some(Node::new(NodeKind::Const(Const::Code(c)), Ty::Code(sys), span)),
            Err(e) => {
                self.err(span, e.to_string());
                None
            }
        }
    }

    /// `x under [codes]`: each code normalized in the field's code system; a historical
    /// region code whose area has been split is refused with the current codes.
    pub(super) fn under(&mut self, expr: &Expr, codes: &[Expr], span: Span) -> Checked<Node> {
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
                    self.err(c.span, "expected a code such as C39, F, 3701 or \"370176\"");
                    continue;
                }
            };
            if let Some(system) = self.schema.codes.get(sys) {
                let padded = format!("{raw:0<6}");
                if system.kind() == crate::code::CodeKind::Region && padded.ends_with("00") && system.historical_target(&padded).is_some() {
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
}
