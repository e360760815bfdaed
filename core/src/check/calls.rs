//! Function calls: [`Checker::call`] has one arm per built-in function; the functions of a
//! concern of their own (years, qualifications, policies) are checked in its sub-module.

use super::{Agg, Checked, Checker, GrantKind, Node, NodeKind, RecordAgg, SinceUnit, Ty, YearRef, FUNCTIONS};
use crate::lang::ast::{Expr, ExprKind, LitUnit};
use crate::lang::Span;
use crate::schema::FieldType;
use crate::units::Dim;

impl Checker<'_> {
    pub(super) fn call(&mut self, function: &str, args: &[Expr], expected: Option<Ty>, span: Span) -> Checked<Node> {
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
            "any" => self.record_quantifier(RecordAgg::Any, args, span),
            "all" => self.record_quantifier(RecordAgg::All, args, span),
            "count" => self.record_quantifier(RecordAgg::Count, args, span),
            "sum" if self.records_arg(first).is_some() => self.record_quantifier(RecordAgg::Sum, args, span),
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
            "all_years" | "any_years" => self.quantified(function, args, span),
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
            "has" => self.has(function, args, span),
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
            "eligible" => self.eligible(function, args, span),
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
            "year_of" => {
                self.arg_count(function, args, 1..=1, span, "year_of(purchased_on) = fy1")?;
                let a = first?;
                let d = self.check(a, Some(Ty::Date))?;
                if d.ty != Ty::Date {
                    let t = self.ty_name(d.ty);
                    self.err(a.span, format!("year_of takes a date, but this is {t}"));
                    return None;
                }
                Some(Node::new(NodeKind::YearOf(Box::new(d)), Ty::Year, span))
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

    pub(super) fn arg_count(
        &mut self,
        function: &str,
        args: &[Expr],
        range: std::ops::RangeInclusive<usize>,
        span: Span,
        usage: &str,
    ) -> Checked<()> {
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

    fn bool_list(&mut self, e: &Expr) -> Checked<Vec<Node>> {
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
}
