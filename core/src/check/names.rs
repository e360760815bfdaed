//! Name resolution: a name is a schema field (English or Chinese label), a definition or
//! derived field, or — where the other operand says so — an enum value or a code; unknown
//! names get a did-you-mean.

use super::{Checked, Checker, Const, Node, NodeKind, Ty, YearRef, FUNCTIONS};
use crate::lang::Span;
use crate::schema::{EnumId, FieldType};

impl Checker<'_> {
    pub(super) fn unknown_name(&mut self, name: &str, span: Span) {
        let record = self.record.and_then(|c| self.schema.record_def(c));
        let candidates: Vec<&str> = record
            .into_iter()
            .flat_map(|r| r.fields.iter())
            .chain(self.schema.fields.iter())
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

    pub(super) fn name(&mut self, name: &str, expected: Option<Ty>, span: Span) -> Checked<Node> {
        // Inside a record quantifier, the record's own fields come first.
        if let Some(n) = self.record_field(name, span) {
            return Some(n);
        }
        if let Some(f) = self.schema.field(name) {
            if let FieldType::Records(_) = f.ty {
                let n = f.name.clone();
                self.err_hint(
                    span,
                    format!("`{name}` is a list of records, not a value"),
                    format!("test its records with any({n}, …), all({n}, …), count({n}, …) or sum({n}, value, …)"),
                );
                return None;
            }
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
        // The policy's own window: `purchased_on >= policy_from` ("bought while the policy
        // is in force"), as a date constant of the policy being checked.
        if let Some(first) = match name {
            "policy_from" | "政策起始日" => Some(true),
            "policy_to" | "政策截止日" => Some(false),
            _ => None,
        } {
            let which = if first { "effective_from" } else { "effective_to" };
            return match self.window {
                None => {
                    self.err(span, format!("`{name}` is the {which} of a policy: it can be used only in a policy's condition"));
                    None
                }
                Some(w) => match if first { w.0 } else { w.1 } {
                    Some(d) => Some(Node::new(NodeKind::Const(Const::Date(d)), Ty::Date, span)),
                    None => {
                        self.err_hint(
                            span,
                            format!("`{name}`: this policy has no {which}"),
                            format!("give the policy an {which}, or write the date"),
                        );
                        None
                    }
                },
            };
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

    pub(super) fn enum_literal(&mut self, e: EnumId, s: &str, span: Span) -> Checked<Node> {
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
}
