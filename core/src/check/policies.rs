//! References to other texts of the set: `eligible(policy-id)`, and the names and policy
//! ids a syntax tree refers to (for the dependency graphs of definitions and policies).

use super::{Checked, Checker, Node, NodeKind, Ty};
use crate::lang::ast::{Expr, ExprKind};
use crate::lang::Span;

impl Checker<'_> {
    /// `eligible(policy-id)`: another policy of the set, by id (with a did-you-mean).
    pub(super) fn eligible(&mut self, function: &str, args: &[Expr], span: Span) -> Checked<Node> {
        let first = args.first();
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
