//! Quantifiers over record collections: `any(C, cond)`, `all(C, cond)`, `count(C)`,
//! `count(C, cond)`, `sum(C, value)` and `sum(C, value, cond)`, where `C` is a `records`
//! field (equipment purchases, hires, loans …) and `cond` / `value` are written over the
//! record's own fields (which shadow the profile's fields of the same name) and any
//! profile field. Quantifiers over records do not nest, and do not go inside
//! `all_years` / `any_years` (nor those inside them): one loop variable at a time.

use super::{Checked, Checker, Node, NodeKind, RecordAgg, Ty};
use crate::lang::ast::{Expr, ExprKind};
use crate::lang::Span;
use crate::schema::{FieldId, FieldType};
use crate::units::{Dim, Unit};

impl Checker<'_> {
    /// Inside a record quantifier: `name` as a field of the record visited, if it is one.
    pub(super) fn record_field(&mut self, name: &str, span: Span) -> Option<Node> {
        let c = self.record?;
        let def = self.schema.record_def(c)?;
        let f = def.field(name)?;
        let ty = self.field_ty(&f.ty);
        let pct = matches!(f.ty, FieldType::Decimal(Unit::Percent));
        Some(Node::new(NodeKind::RecordField { collection: c, field: f.id }, ty, span).pct(pct))
    }

    /// The `records` field `e` names, if it names one.
    pub(super) fn records_arg(&self, e: Option<&Expr>) -> Option<FieldId> {
        match e.map(|e| &e.kind) {
            Some(ExprKind::Name { name }) => self.schema.field(name).filter(|f| matches!(f.ty, FieldType::Records(_))).map(|f| f.id),
            _ => None,
        }
    }

    /// `any` / `all` / `count` / `sum` over a `records` field.
    pub(super) fn record_quantifier(&mut self, agg: RecordAgg, args: &[Expr], span: Span) -> Checked<Node> {
        let function = agg.name();
        let (range, usage) = match agg {
            RecordAgg::Any | RecordAgg::All => (2..=2, format!("{function}(equipment_purchases, unit_value > 500万)")),
            RecordAgg::Count => (1..=2, "count(hires, group = poverty_relief and contract_months >= 12) >= 3".to_string()),
            RecordAgg::Sum => (2..=3, "sum(equipment_purchases, unit_value, purchase_date >= 2024-01-01) >= 1000万".to_string()),
        };
        self.arg_count(function, args, range, span, &usage)?;
        let first = args.first();
        let Some(collection) = self.records_arg(first) else {
            let at = first.map_or(span, |e| e.span);
            let records: Vec<&str> =
                self.schema.fields.iter().filter(|f| matches!(f.ty, FieldType::Records(_))).map(|f| f.name.as_str()).collect();
            let near = match first.map(|e| &e.kind) {
                Some(ExprKind::Name { name }) => crate::suggest::closest(
                    name,
                    self.schema
                        .fields
                        .iter()
                        .filter(|f| matches!(f.ty, FieldType::Records(_)))
                        .flat_map(|f| [f.name.as_str(), f.label.as_str()]),
                ),
                _ => None,
            };
            let hint = match near {
                Some(n) => format!("did you mean `{n}`? usage: {usage}"),
                None if records.is_empty() => "the schema has no records fields".to_string(),
                None => format!("records fields: {}", records.join(", ")),
            };
            self.err_hint(at, format!("`{function}` takes a records field first"), hint);
            return None;
        };
        if self.record.is_some() || self.in_loop {
            self.err(span, "a quantifier over records cannot be nested in another quantifier (records or years)");
            return None;
        }
        self.record = Some(collection);
        let checked = self.record_parts(agg, args);
        self.record = None;
        let (value, cond) = checked?;
        let (ty, pct) = match (&agg, &value) {
            (RecordAgg::Any | RecordAgg::All, _) => (Ty::Bool, false),
            (RecordAgg::Count, _) => (Ty::Num(self.schema.record_def(collection).map_or(Dim::Number, |d| d.count_unit.dim())), false),
            (RecordAgg::Sum, Some(v)) => (v.ty, v.percent),
            (RecordAgg::Sum, None) => return None,
        };
        let node = NodeKind::Records { agg, collection, value: value.map(Box::new), cond: cond.map(Box::new) };
        Some(Node::new(node, ty, span).pct(pct))
    }

    /// The value and condition of a quantifier, checked with the record in scope.
    fn record_parts(&mut self, agg: RecordAgg, args: &[Expr]) -> Checked<(Option<Node>, Option<Node>)> {
        match agg {
            RecordAgg::Any | RecordAgg::All => Some((None, Some(self.expect_bool(args.get(1)?)?))),
            RecordAgg::Count => match args.get(1) {
                Some(c) => Some((None, Some(self.expect_bool(c)?))),
                None => Some((None, None)),
            },
            RecordAgg::Sum => {
                let v = args.get(1)?;
                let value = self.check_value(v);
                let cond = match args.get(2) {
                    Some(c) => Some(self.expect_bool(c)?),
                    None => None,
                };
                let value = value?;
                if !matches!(value.ty, Ty::Num(_)) {
                    let t = self.ty_name(value.ty);
                    self.err_hint(v.span, format!("`sum` over records adds numbers, but this is {t}"), "e.g. sum(loans, amount)");
                    return None;
                }
                Some((Some(value), cond))
            }
        }
    }
}
