//! Explanations: why a policy is met, unmet or undetermined, leaf by leaf, in Chinese and
//! English (`注册资本 300万元，低于要求的 500万元`).
//!
//! An explanation is computed from the same semantics as the verdict: each leaf is
//! evaluated by the [`Evaluator`], and the tree's statuses are Kleene combinations of the
//! leaves. Negation is carried down as *polarity* so that a leaf under `not` is reported
//! with the requirement the policy actually makes (`列入经营异常名录：是，要求：否`).

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::{Agg, ArithOp, Const, GrantKind, Node, NodeKind, RecordAgg, SinceUnit, Ty, YearRef};
use crate::eval::{Evaluator, Range, Tri, Unknown, V};
use crate::lang::ast::{CmpOp, ContainsMode};
use crate::schema::FieldId;
use crate::units::{self, Dim};

/// Status of a node as it bears on the policy (polarity applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Unmet,
    Unknown,
}

impl Status {
    fn from_tri(t: Tri, positive: bool) -> Status {
        match (t, positive) {
            (Tri::Unknown, _) => Status::Unknown,
            (Tri::True, true) | (Tri::False, false) => Status::Met,
            _ => Status::Unmet,
        }
    }
}

/// A field named in an explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldRef {
    pub name: String,
    pub label: String,
}

/// One node of an explanation tree.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub status: Status,
    /// `all`, `any`, `not`, `at_least`, `definition`, `policy`, `leaf`, `manual_review`.
    pub kind: &'static str,
    /// The condition text this node stands for.
    pub text: String,
    pub message_zh: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<FieldRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Explanation>,
}

impl Explanation {
    /// Requirement leaves in the order they appear (the conditions of `if` excluded).
    pub fn leaves(&self) -> Vec<&Explanation> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'s>(&'s self, out: &mut Vec<&'s Explanation>) {
        if self.kind == "if_condition" {
            return; // selects a branch; not itself a requirement
        }
        if self.children.is_empty() {
            out.push(self);
        } else {
            for c in &self.children {
                c.collect_leaves(out);
            }
        }
    }

    /// Leaves that keep the policy from being met: the unmet leaves (`want_unknown` false),
    /// found through every node that is not met, or the unknown leaves (true), found
    /// through unknown nodes only.
    pub fn blocking(&self, want_unknown: bool) -> Vec<&Explanation> {
        let mut out = Vec::new();
        self.collect_blocking(want_unknown, &mut out);
        out
    }

    fn collect_blocking<'s>(&'s self, want_unknown: bool, out: &mut Vec<&'s Explanation>) {
        match blocking_step(self.status, self.kind == "if_condition", self.children.is_empty(), want_unknown) {
            Step::Skip => {}
            Step::Report => out.push(self),
            Step::Descend => self.children.iter().for_each(|c| c.collect_blocking(want_unknown, out)),
        }
    }
}

/// An explanation's statuses without its words: which nodes are met, unmet or unknown,
/// in the shape of the [`Explanation`] the same node would get. A match needs only this
/// for most policies (the score, the blocking leaves); the words, which cost most of an
/// explanation, are rendered only for the nodes that are shown ([`Explainer::render`]).
#[derive(Clone, Debug)]
pub struct Trace<'a> {
    pub status: Status,
    /// As [`Explanation::kind`]: `all`, `any`, `at_least`, `definition`, `policy`, `if`,
    /// `leaf`, `manual_review`.
    pub kind: &'static str,
    node: &'a Node,
    src: &'a str,
    positive: bool,
    /// The year of the enclosing `all_years` / `any_years`, when there is one.
    loop_year: Option<i32>,
    /// This node is one year of a quantifier: its messages start with the year.
    year_child: Option<i32>,
    /// This node is the condition of an `if`: it selects a branch, it is not required.
    if_condition: bool,
    pub children: Vec<Trace<'a>>,
}

impl<'a> Trace<'a> {
    /// The node's truth value as a child of a node of polarity `positive`.
    fn tri_as(&self, positive: bool) -> Tri {
        match (self.status, positive) {
            (Status::Unknown, _) => Tri::Unknown,
            (Status::Met, true) | (Status::Unmet, false) => Tri::True,
            _ => Tri::False,
        }
    }

    /// Share of requirement leaves met (the conditions of `if` excluded), two decimals:
    /// [`score`] of the rendered explanation.
    pub fn score(&self) -> Decimal {
        let (mut met, mut all) = (0u64, 0u64);
        self.count_leaves(&mut met, &mut all);
        if all == 0 {
            return Decimal::ONE;
        }
        (Decimal::from(met) / Decimal::from(all)).round_dp(2)
    }

    fn count_leaves(&self, met: &mut u64, all: &mut u64) {
        if self.if_condition {
            return;
        }
        if self.children.is_empty() {
            *all += 1;
            *met += u64::from(self.status == Status::Met);
        }
        for c in &self.children {
            c.count_leaves(met, all);
        }
    }

    /// As [`Explanation::blocking`], on the trace.
    pub fn blocking(&self, want_unknown: bool) -> Vec<&Trace<'a>> {
        let mut out = Vec::new();
        self.collect_blocking(want_unknown, &mut out);
        out
    }

    fn collect_blocking<'s>(&'s self, want_unknown: bool, out: &mut Vec<&'s Trace<'a>>) {
        match blocking_step(self.status, self.if_condition, self.children.is_empty(), want_unknown) {
            Step::Skip => {}
            Step::Report => out.push(self),
            Step::Descend => self.children.iter().for_each(|c| c.collect_blocking(want_unknown, out)),
        }
    }
}

enum Step {
    Skip,
    Report,
    Descend,
}

/// One step of the blocking walk. Unmet leaves are found through every node that is not
/// met; unknown leaves only through unknown nodes (a decided node cannot be what keeps the
/// policy undetermined, so the leaves reported are those whose fields would decide it). A
/// decided `if` condition only picks a branch.
fn blocking_step(status: Status, if_condition: bool, leaf: bool, want_unknown: bool) -> Step {
    let enter =
        if want_unknown { status == Status::Unknown } else { status != Status::Met && !(if_condition && status != Status::Unknown) };
    let hit = if want_unknown { status == Status::Unknown } else { status == Status::Unmet };
    if !enter {
        Step::Skip
    } else if !leaf {
        Step::Descend
    } else if hit {
        Step::Report
    } else {
        Step::Skip
    }
}

/// Builds explanations against one evaluator.
pub struct Explainer<'e, 'a> {
    pub ev: &'e Evaluator<'a>,
}

fn snippet(src: &str, n: &Node) -> String {
    src.get(n.span.start as usize..n.span.end as usize).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

impl<'e, 'a> Explainer<'e, 'a> {
    pub fn new(ev: &'e Evaluator<'a>) -> Explainer<'e, 'a> {
        Explainer { ev }
    }

    fn field_ref(&self, f: FieldId) -> FieldRef {
        let field = self.ev.set.schema.field_by_id(f);
        FieldRef { name: field.map_or_else(String::new, |f| f.name.clone()), label: field.map_or_else(String::new, |f| f.label.clone()) }
    }

    fn missing(&self, u: &Unknown) -> Vec<FieldRef> {
        u.fields.iter().map(|f| self.field_ref(*f)).collect()
    }

    /// Explains a boolean node whose source text is `src`: every node with its words.
    pub fn explain(&self, n: &'a Node, src: &'a str, positive: bool) -> Explanation {
        self.render(&self.trace(n, src, positive))
    }

    /// The statuses of a boolean node's explanation, without its words (see [`Trace`]).
    pub fn trace(&self, n: &'a Node, src: &'a str, positive: bool) -> Trace<'a> {
        use NodeKind as K;
        let loop_year = self.ev.loop_year();
        let node = |kind: &'static str, status: Status, children: Vec<Trace<'a>>| Trace {
            status,
            kind,
            node: n,
            src,
            positive,
            loop_year,
            year_child: None,
            if_condition: false,
            children,
        };
        // The value of this node as the evaluator gives it (cached for definitions and
        // policies; composites of and/or/at_least are combined from their children below,
        // which is the same Kleene logic without evaluating the subtree again).
        let evaluated = || Status::from_tri(Tri::from_ev(&self.ev.eval(n)), positive);
        match &n.kind {
            K::And(xs) | K::Or(xs) => {
                let children: Vec<Trace<'a>> = xs.iter().map(|x| self.trace(x, src, positive)).collect();
                let is_and_node = matches!(n.kind, K::And(_));
                let tri = kleene(is_and_node, children.iter().map(|c| c.tri_as(positive)));
                let is_and = is_and_node == positive;
                node(if is_and { "all" } else { "any" }, Status::from_tri(tri, positive), children)
            }
            // `not` only flips polarity: the child stands in its place.
            K::Not(x) => self.trace(x, src, !positive),
            K::AtLeast(k, xs) => {
                // Under `not`, "fewer than k" of the children: each is required false, so
                // the polarity goes down as it does through `and` / `or`.
                let children: Vec<Trace<'a>> = xs.iter().map(|x| self.trace(x, src, positive)).collect();
                let (mut t, mut u) = (0u32, 0u32);
                for c in &children {
                    match c.tri_as(positive) {
                        Tri::True => t += 1,
                        Tri::Unknown => u += 1,
                        Tri::False => {}
                    }
                }
                let tri = if t >= *k {
                    Tri::True
                } else if t + u < *k {
                    Tri::False
                } else {
                    Tri::Unknown
                };
                node("at_least", Status::from_tri(tri, positive), children)
            }
            K::Def(i) if n.ty == Ty::Bool => match self.ev.set.definitions.get(*i) {
                Some(d) => node("definition", evaluated(), vec![self.trace(&d.node, &d.text, positive)]),
                None => self.trace_leaf(n, src, positive),
            },
            K::Eligible(i) => match self.ev.set.policies.get(*i) {
                Some(p) => node("policy", evaluated(), vec![self.trace(&p.condition, &p.condition_text, positive)]),
                None => self.trace_leaf(n, src, positive),
            },
            K::Quantified { all, from, to, body } => {
                let children: Vec<Trace<'a>> = self
                    .ev
                    .years_of(*from, *to)
                    .into_iter()
                    .map(|y| {
                        self.ev.with_loop_year(y, || {
                            let mut t = self.trace(body, src, positive);
                            t.year_child = Some(y);
                            t
                        })
                    })
                    .collect();
                node(if *all == positive { "all" } else { "any" }, evaluated(), children)
            }
            K::If { cond, then, otherwise } if n.ty == Ty::Bool => {
                let mut c = self.trace(cond, src, true);
                let branch = match c.tri_as(true) {
                    Tri::True => vec![then.as_ref()],
                    Tri::False => vec![otherwise.as_ref()],
                    Tri::Unknown => vec![then.as_ref(), otherwise.as_ref()],
                };
                // The condition of an `if` is not itself required: kept for reading, but
                // only the branch decides the status.
                c.if_condition = true;
                let mut children = vec![c];
                children.extend(branch.into_iter().map(|b| self.trace(b, src, positive)));
                node("if", evaluated(), children)
            }
            _ => self.trace_leaf(n, src, positive),
        }
    }

    fn trace_leaf(&self, n: &'a Node, src: &'a str, positive: bool) -> Trace<'a> {
        Trace {
            status: Status::from_tri(Tri::from_ev(&self.ev.eval(n)), positive),
            kind: if matches!(n.kind, NodeKind::ManualReview(_)) { "manual_review" } else { "leaf" },
            node: n,
            src,
            positive,
            loop_year: self.ev.loop_year(),
            year_child: None,
            if_condition: false,
            children: Vec::new(),
        }
    }

    /// Puts a trace (or any node of one) into words.
    pub fn render(&self, t: &Trace<'a>) -> Explanation {
        self.ev.with_loop_year_opt(t.loop_year, || self.render_here(t))
    }

    fn render_here(&self, t: &Trace<'a>) -> Explanation {
        use NodeKind as K;
        let (n, src, positive, status) = (t.node, t.src, t.positive, t.status);
        let composite = |kind: &'static str, children: Vec<Explanation>, zh: String, en: String| Explanation {
            status,
            kind,
            text: snippet(src, n),
            message_zh: zh,
            message_en: en,
            seen: None,
            required: None,
            missing: Vec::new(),
            children,
        };
        let children: Vec<Explanation> = t.children.iter().map(|c| self.render(c)).collect();
        let met = children.iter().filter(|c| c.status == Status::Met).count();
        // Children that hold (for `at_least`, whose messages count those, whatever the polarity).
        let holding = t.children.iter().filter(|c| c.tri_as(positive) == Tri::True).count();
        let mut e = match &n.kind {
            K::And(_) | K::Or(_) => {
                let (zh, en) = if t.kind == "all" {
                    (
                        format!("须全部满足：{met}/{} 项已满足（{}）", children.len(), verdict_zh_of(status)),
                        format!("all of {} required: {met} met ({})", children.len(), verdict_en_of(status)),
                    )
                } else {
                    (
                        format!("满足其一即可：{met}/{} 项已满足（{}）", children.len(), verdict_zh_of(status)),
                        format!("any of {} suffices: {met} met ({})", children.len(), verdict_en_of(status)),
                    )
                };
                composite(t.kind, children, zh, en)
            }
            K::AtLeast(k, _) => {
                let (zh, en) = if positive {
                    (
                        format!("至少满足 {k} 项：已满足 {holding}/{} 项（{}）", children.len(), verdict_zh_of(status)),
                        format!("at least {k} of {} required: {holding} met ({})", children.len(), verdict_en_of(status)),
                    )
                } else {
                    (
                        format!("须满足少于 {k} 项：已满足 {holding}/{} 项（{}）", children.len(), verdict_zh_of(status)),
                        format!("fewer than {k} of {} allowed: {holding} met ({})", children.len(), verdict_en_of(status)),
                    )
                };
                composite("at_least", children, zh, en)
            }
            K::Def(i) if t.kind == "definition" => {
                let d = self.ev.set.definitions.get(*i);
                let label = d.map(|d| d.label.clone().unwrap_or_else(|| d.name.clone())).unwrap_or_default();
                let name = d.map(|d| d.name.clone()).unwrap_or_default();
                composite(
                    "definition",
                    children,
                    format!("{label}：{}", verdict_zh_of(status)),
                    format!("{name}: {}", verdict_en_of(status)),
                )
            }
            K::Eligible(i) if t.kind == "policy" => {
                let (title, id) = self.ev.set.policies.get(*i).map(|p| (p.doc.title.as_str(), p.doc.id.as_str())).unwrap_or_default();
                composite(
                    "policy",
                    children,
                    format!("{}「{title}」：{}", if positive { "符合" } else { "不符合" }, verdict_zh_of(status)),
                    format!("{} policy {id}: {}", if positive { "eligible for" } else { "not eligible for" }, verdict_en_of(status)),
                )
            }
            K::Quantified { from, to, .. } => {
                let years = self.ev.years_of(*from, *to);
                let (lo, hi) = (years.first().copied().unwrap_or_default(), years.last().copied().unwrap_or_default());
                let (zh, en) = if t.kind == "all" {
                    (
                        format!("{lo}–{hi} 年每年均须满足（{}）", verdict_zh_of(status)),
                        format!("every year of {lo}–{hi} required ({})", verdict_en_of(status)),
                    )
                } else {
                    (
                        format!("{lo}–{hi} 年任一年满足即可（{}）", verdict_zh_of(status)),
                        format!("any year of {lo}–{hi} suffices ({})", verdict_en_of(status)),
                    )
                };
                composite(t.kind, children, zh, en)
            }
            K::If { .. } if t.kind == "if" => composite(
                "if",
                children,
                format!("分情形判断（{}）", verdict_zh_of(status)),
                format!("depends on a case split ({})", verdict_en_of(status)),
            ),
            _ => self.leaf(n, src, positive, status),
        };
        if let Some(y) = t.year_child {
            e.message_zh = format!("{y}年：{}", e.message_zh);
            e.message_en = format!("{y}: {}", e.message_en);
        }
        if t.if_condition {
            e.kind = "if_condition";
            e.message_zh = format!("条件：{}", e.message_zh);
            e.message_en = format!("if: {}", e.message_en);
        }
        e
    }

    /// Formats a value for people.
    pub fn fmt(&self, v: &V<'_>, n: &Node, zh: bool) -> String {
        match v {
            V::Bool(b) => if zh {
                if *b {
                    "是"
                } else {
                    "否"
                }
            } else if *b {
                "yes"
            } else {
                "no"
            }
            .to_string(),
            V::Num(d) => match n.ty {
                Ty::Num(Dim::Number) if n.percent => units::display_percent(*d),
                Ty::Num(dim) => units::display(*d, dim),
                _ => units::trim(*d),
            },
            V::Date(d) => d.to_string(),
            V::Dur(d) => d.to_string(),
            V::Enum(i) => match n.ty {
                Ty::Enum(e) => self
                    .ev
                    .set
                    .schema
                    .enum_def(e)
                    .map_or_else(|| i.to_string(), |d| if zh { d.label_of(*i).to_string() } else { d.code(*i).to_string() }),
                _ => i.to_string(),
            },
            V::Code(c) => match n.ty {
                Ty::Code(s) if zh => self.ev.set.schema.codes.get(s).map_or_else(|| (*c).to_string(), |sys| sys.describe(c)),
                _ => (*c).to_string(),
            },
            V::Text(t) => {
                let short: String = t.chars().take(40).collect();
                if short.len() < t.len() {
                    format!("“{short}…”")
                } else {
                    format!("“{short}”")
                }
            }
            V::Tags(t) => t.iter().cloned().collect::<Vec<_>>().join("、"),
            V::Quals(q) => format!("{} 项资质", q.len()),
            V::Year(y) => {
                if zh {
                    format!("{y}年")
                } else {
                    y.to_string()
                }
            }
        }
    }

    fn fmt_const(&self, c: &Const, n: &Node, zh: bool) -> String {
        let v = match c {
            Const::Bool(b) => V::Bool(*b),
            Const::Num(d) => V::Num(*d),
            Const::Date(d) => V::Date(*d),
            Const::Duration(d) => V::Dur(*d),
            Const::Enum(e) => V::Enum(*e),
            Const::Code(s) => V::Code(s),
            Const::Text(s) => V::Text(s),
            Const::Year(y) => V::Year(self.ev.year(*y)),
        };
        self.fmt(&v, n, zh)
    }

    /// Describes what a value node stands for (`营业收入（2025年）`).
    pub fn describe(&self, n: &Node, src: &str, zh: bool) -> String {
        use NodeKind as K;
        let schema = &self.ev.set.schema;
        let field_name = |f: FieldId| schema.field_by_id(f).map_or_else(String::new, |f| if zh { f.label.clone() } else { f.name.clone() });
        let year = |y: Option<YearRef>| y.map(|y| self.ev.year(y));
        match &n.kind {
            K::Field { field, year: y } => match year(*y) {
                Some(y) if zh => format!("{}（{y}年）", field_name(*field)),
                Some(y) => format!("{}@{y}", field_name(*field)),
                None => field_name(*field),
            },
            K::Def(i) => self.ev.set.definitions.get(*i).map_or_else(String::new, |d| {
                if zh {
                    d.label.clone().unwrap_or_else(|| d.name.clone())
                } else {
                    d.name.clone()
                }
            }),
            K::Const(c) => self.fmt_const(c, n, zh),
            K::AsOf => if zh { "评估日" } else { "as_of" }.to_string(),
            K::Arith { op, lhs, rhs } => {
                let additive = |c: &Node| matches!(c.kind, K::Arith { op: ArithOp::Add | ArithOp::Sub, .. });
                let wrap = |c: &Node, right: bool| {
                    let s = self.describe(c, src, zh);
                    // Parentheses only where precedence needs them: a sum inside a product or
                    // quotient, and a sum on the right of a minus or a division.
                    let needed = match op {
                        ArithOp::Mul | ArithOp::Div => additive(c) || (right && matches!(c.kind, K::Arith { .. })),
                        ArithOp::Sub => right && additive(c),
                        ArithOp::Add => false,
                    };
                    if needed {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                let sym = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "×",
                    ArithOp::Div => "/",
                };
                format!("{} {sym} {}", wrap(lhs, false), wrap(rhs, true))
            }
            K::YearAgg { agg, field, from, to, actual } => {
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                let (lo, hi) = (a.min(b), a.max(b));
                let (azh, aen) = match agg {
                    Agg::Sum => ("合计", "sum"),
                    Agg::Avg => ("平均", "average"),
                    Agg::Min => ("最小值", "minimum"),
                    Agg::Max => ("最大值", "maximum"),
                };
                if zh {
                    format!("{}{lo}–{hi}年{azh}{}", field_name(*field), if *actual { "（按实际年限）" } else { "" })
                } else {
                    format!("{aen} of {} {lo}–{hi}{}", field_name(*field), if *actual { " (actual years)" } else { "" })
                }
            }
            K::Growth { field, year: y } => {
                let y = self.ev.year(*y);
                if zh {
                    format!("{}{y}年同比增长率", field_name(*field))
                } else {
                    format!("growth of {} in {y}", field_name(*field))
                }
            }
            K::AvgGrowth { field, from, to } => {
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                if zh {
                    format!("{}{}–{}年平均增长率", field_name(*field), a.min(b), a.max(b))
                } else {
                    format!("average growth of {} {}–{}", field_name(*field), a.min(b), a.max(b))
                }
            }
            K::Since { date, unit } => {
                let d = self.describe(date, src, zh);
                match (unit, zh) {
                    (SinceUnit::Years, true) => format!("{d}至今整年数"),
                    (SinceUnit::Months, true) => format!("{d}至今整月数"),
                    (SinceUnit::Days, true) => format!("{d}至今天数"),
                    (SinceUnit::Years, false) => format!("full years since {d}"),
                    (SinceUnit::Months, false) => format!("full months since {d}"),
                    (SinceUnit::Days, false) => format!("days since {d}"),
                }
            }
            K::Band { expr, .. } => {
                if zh {
                    format!("{}对应档位分", self.describe(expr, src, zh))
                } else {
                    format!("band score of {}", self.describe(expr, src, zh))
                }
            }
            K::MinMax { max, args } => {
                let parts: Vec<String> = args.iter().map(|a| self.describe(a, src, zh)).collect();
                format!("{}({})", if *max { "max" } else { "min" }, parts.join(", "))
            }
            K::DateShift { date, duration, negate } => {
                format!("{} {} {duration}", self.describe(date, src, zh), if *negate { "-" } else { "+" })
            }
            K::YearOf(d) => {
                if zh {
                    format!("{}所属年度", self.describe(d, src, zh))
                } else {
                    format!("year of {}", self.describe(d, src, zh))
                }
            }
            K::RecordField { collection, field } => schema
                .record_def(*collection)
                .and_then(|d| d.fields.get(*field))
                .map_or_else(String::new, |f| if zh { f.label.clone() } else { f.name.clone() }),
            K::Records { agg, collection, value, cond } => {
                let c = field_name(*collection);
                let filter = cond.as_ref().map(|c| snippet(src, c)).filter(|t| !t.is_empty());
                match (agg, zh) {
                    (RecordAgg::Sum, true) => format!(
                        "{}{c}的{}合计",
                        filter.map(|f| format!("满足“{f}”的")).unwrap_or_default(),
                        value.as_ref().map(|v| self.describe(v, src, zh)).unwrap_or_default()
                    ),
                    (RecordAgg::Sum, false) => format!(
                        "sum of {} over {c}{}",
                        value.as_ref().map(|v| self.describe(v, src, zh)).unwrap_or_default(),
                        filter.map(|f| format!(" where {f}")).unwrap_or_default()
                    ),
                    (_, true) => format!("{}{c}条数", filter.map(|f| format!("满足“{f}”的")).unwrap_or_default()),
                    (_, false) => format!("number of {c}{}", filter.map(|f| format!(" where {f}")).unwrap_or_default()),
                }
            }
            _ => snippet(src, n),
        }
    }

    fn value_text(&self, n: &'a Node, _src: &str, zh: bool) -> (String, Option<Unknown>) {
        self.value_text_pct(n, zh, n.percent)
    }

    fn value_text_pct(&self, n: &'a Node, zh: bool, percent: bool) -> (String, Option<Unknown>) {
        match self.ev.eval(n) {
            Ok(V::Num(d)) if percent && n.ty == Ty::Num(Dim::Number) => (units::display_percent(d), None),
            Ok(v) => (self.fmt(&v, n, zh), None),
            // A count or sum over records some of which are undecided: what it can be.
            Err(u) if matches!(n.kind, NodeKind::Records { .. }) => {
                let shown = |d: Decimal| self.fmt(&V::Num(d), n, zh);
                let text = match self.ev.bounded(n) {
                    Some(Range { lo: Some(a), hi: Some(b) }) => format!("{}–{}", shown(a), shown(b)),
                    Some(Range { lo: Some(a), hi: None }) => {
                        if zh {
                            format!("至少 {}", shown(a))
                        } else {
                            format!("at least {}", shown(a))
                        }
                    }
                    _ => (if zh { "未知" } else { "unknown" }).to_string(),
                };
                (text, Some(u))
            }
            Err(u) => (if zh { "未知".to_string() } else { "unknown".to_string() }, Some(u)),
        }
    }

    fn leaf(&self, n: &'a Node, src: &'a str, positive: bool, status: Status) -> Explanation {
        use NodeKind as K;
        let unknown = self.ev.eval(n).err();
        let missing = unknown.as_ref().map(|u| self.missing(u)).unwrap_or_default();
        let missing_zh = missing.iter().map(|f| f.label.clone()).collect::<Vec<_>>().join("、");
        let missing_en = missing.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(", ");
        let why_unknown_zh = match &unknown {
            Some(u) if u.manual => "需人工审核".to_string(),
            Some(u) if !u.fields.is_empty() => format!("缺少：{missing_zh}"),
            Some(_) => "无法计算（如除数为零）".to_string(),
            None => String::new(),
        };
        let why_unknown_en = match &unknown {
            Some(u) if u.manual => "needs manual review".to_string(),
            Some(u) if !u.fields.is_empty() => format!("missing: {missing_en}"),
            Some(_) => "cannot be computed (e.g. division by zero)".to_string(),
            None => String::new(),
        };
        let mut e = Explanation {
            status,
            kind: "leaf",
            text: snippet(src, n),
            message_zh: String::new(),
            message_en: String::new(),
            seen: None,
            required: None,
            missing,
            children: Vec::new(),
        };
        let schema = &self.ev.set.schema;
        match &n.kind {
            K::Cmp { op, lhs, rhs } => {
                let op = if positive { *op } else { op.negate() };
                let (s_zh, s_en) = (self.describe(lhs, src, true), self.describe(lhs, src, false));
                let pct = lhs.percent || rhs.percent;
                let (v_zh, _) = self.value_text_pct(lhs, true, pct);
                let (v_en, _) = self.value_text_pct(lhs, false, pct);
                let (r_zh, _) = self.value_text_pct(rhs, true, pct);
                let (r_en, _) = self.value_text_pct(rhs, false, pct);
                let r_zh = if matches!(rhs.kind, K::Const(_)) { r_zh } else { format!("{}（{r_zh}）", self.describe(rhs, src, true)) };
                let r_en = if matches!(rhs.kind, K::Const(_)) { r_en } else { format!("{} ({r_en})", self.describe(rhs, src, false)) };
                e.seen = Some(v_zh.clone());
                e.required = Some(format!("{} {r_zh}", op.pretty()));
                (e.message_zh, e.message_en) = match status {
                    Status::Met => {
                        (format!("{s_zh} {v_zh}，满足 {} {r_zh}", op.pretty()), format!("{s_en} is {v_en}, meets {} {r_en}", op.pretty()))
                    }
                    Status::Unmet => {
                        let (zh, en) = match op {
                            CmpOp::Ge => ("低于要求的", "below the required"),
                            CmpOp::Gt => ("未超过要求的", "not above the required"),
                            CmpOp::Le => ("超过上限", "above the limit"),
                            CmpOp::Lt => ("未低于上限", "not below the limit"),
                            CmpOp::Eq => ("要求为", "required"),
                            CmpOp::Ne => ("要求不为", "must not be"),
                        };
                        (format!("{s_zh} {v_zh}，{zh} {r_zh}"), format!("{s_en} is {v_en}, {en} {r_en}"))
                    }
                    // A count or sum over records that is known only as a range says so.
                    Status::Unknown if matches!(lhs.kind, K::Records { .. }) => (
                        format!("{s_zh} 未定（可能为 {v_zh}；{why_unknown_zh}），要求 {} {r_zh}", op.pretty()),
                        format!("{s_en} is undecided (could be {v_en}; {why_unknown_en}), required {} {r_en}", op.pretty()),
                    ),
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求 {} {r_zh}", op.pretty()),
                        format!("{s_en} is unknown ({why_unknown_en}), required {} {r_en}", op.pretty()),
                    ),
                };
            }
            K::Field { .. } | K::Def(_) | K::Known(_) | K::Const(_) => {
                let subject_zh = match &n.kind {
                    K::Known(f) => format!("已填写{}", schema.field_by_id(*f).map_or("", |f| f.label.as_str())),
                    _ => self.describe(n, src, true),
                };
                let subject_en = match &n.kind {
                    K::Known(f) => format!("{} provided", schema.field_by_id(*f).map_or("", |f| f.name.as_str())),
                    _ => self.describe(n, src, false),
                };
                let (v_zh, _) = self.value_text(n, src, true);
                let (v_en, _) = self.value_text(n, src, false);
                let want_zh = if positive { "是" } else { "否" };
                let want_en = if positive { "yes" } else { "no" };
                e.seen = Some(v_zh.clone());
                e.required = Some(want_zh.into());
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{subject_zh}：未知（{why_unknown_zh}），要求：{want_zh}"),
                        format!("{subject_en}: unknown ({why_unknown_en}), required: {want_en}"),
                    ),
                    _ => (format!("{subject_zh}：{v_zh}，要求：{want_zh}"), format!("{subject_en}: {v_en}, required: {want_en}")),
                };
            }
            K::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let (v_zh, _) = self.value_text(expr, src, true);
                let (v_en, _) = self.value_text(expr, src, false);
                let (lo, _) = self.value_text(low, src, true);
                let (hi, _) = self.value_text(high, src, true);
                let range = format!("{}{lo}, {hi}{}", if *low_inclusive { "[" } else { "(" }, if *high_inclusive { "]" } else { ")" });
                let neg = if positive { "" } else { "不" };
                e.seen = Some(v_zh.clone());
                e.required = Some(format!("{neg}在 {range} 内"));
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}在 {range} 内"),
                        format!("{s_en} is unknown ({why_unknown_en}), required {}in {range}", if positive { "" } else { "not " }),
                    ),
                    _ => (
                        format!("{s_zh} {v_zh}，要求{neg}在 {range} 内（{}）", if status == Status::Met { "满足" } else { "不满足" }),
                        format!(
                            "{s_en} is {v_en}, required {}in {range} ({})",
                            if positive { "" } else { "not " },
                            if status == Status::Met { "met" } else { "not met" }
                        ),
                    ),
                };
            }
            K::InSet { expr, items, negated } => {
                let inside = positive != *negated;
                let (v_zh, _) = self.value_text(expr, src, true);
                let (v_en, _) = self.value_text(expr, src, false);
                let list_zh = items.iter().map(|c| self.fmt_const(c, expr, true)).collect::<Vec<_>>().join("、");
                let list_en = items.iter().map(|c| self.fmt_const(c, expr, false)).collect::<Vec<_>>().join(", ");
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                e.seen = Some(v_zh.clone());
                e.required = Some(format!("{}属于 {list_zh}", if inside { "" } else { "不" }));
                let req_zh = format!("要求{}为 {list_zh} 之一", if inside { "" } else { "不" });
                let req_en = format!("required {}one of {list_en}", if inside { "" } else { "not " });
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => {
                        (format!("{s_zh} 未知（{why_unknown_zh}），{req_zh}"), format!("{s_en} is unknown ({why_unknown_en}), {req_en}"))
                    }
                    Status::Met => (format!("{s_zh} 为 {v_zh}，满足{req_zh}"), format!("{s_en} is {v_en}, meets: {req_en}")),
                    Status::Unmet => (format!("{s_zh} 为 {v_zh}，{req_zh}"), format!("{s_en} is {v_en}, {req_en}")),
                };
            }
            K::Under { expr, system, codes } => {
                let sys = schema.codes.get(*system);
                let list_zh = codes.iter().map(|c| sys.map_or_else(|| c.clone(), |s| s.describe(c))).collect::<Vec<_>>().join("、");
                let list_en = codes.join(", ");
                let (v_zh, _) = self.value_text(expr, src, true);
                let (v_en, _) = self.value_text(expr, src, false);
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let neg = if positive { "" } else { "不" };
                e.seen = Some(v_zh.clone());
                e.required = Some(format!("{neg}属于 {list_zh}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}属于 {list_zh}"),
                        format!("{s_en} is unknown ({why_unknown_en}), required {}under {list_en}", if positive { "" } else { "not " }),
                    ),
                    Status::Met => (
                        format!("{s_zh} {v_zh}，{neg}属于 {list_zh}（满足）"),
                        format!("{s_en} {v_en} is {}under {list_en} (met)", if positive { "" } else { "not " }),
                    ),
                    Status::Unmet => (
                        format!("{s_zh} {v_zh}，要求{neg}属于 {list_zh}"),
                        format!("{s_en} {v_en}, required {}under {list_en}", if positive { "" } else { "not " }),
                    ),
                };
            }
            K::TagContains { expr, mode, items } | K::TextContains { expr, mode, items } => {
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let how_zh = match mode {
                    ContainsMode::All => "全部",
                    _ => "任一",
                };
                let how_en = match mode {
                    ContainsMode::All => "all of",
                    _ => "any of",
                };
                let list = items.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join("、");
                let neg_zh = if positive { "包含" } else { "不包含" };
                let neg_en = if positive { "contain" } else { "not contain" };
                e.required = Some(format!("{neg_zh}{how_zh} {list}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg_zh}{how_zh} {list}"),
                        format!("{s_en} is unknown ({why_unknown_en}), must {neg_en} {how_en} {list}"),
                    ),
                    _ => (
                        format!("{s_zh} 须{neg_zh}{how_zh} {list}（{}）", verdict_zh_of(status)),
                        format!("{s_en} must {neg_en} {how_en} {list} ({})", verdict_en_of(status)),
                    ),
                };
            }
            K::Matches { expr, pattern } => {
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let neg = if positive { "" } else { "不" };
                e.required = Some(format!("{neg}匹配 /{}/", pattern.source));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}匹配 /{}/", pattern.source),
                        format!(
                            "{s_en} is unknown ({why_unknown_en}), must {}match /{}/",
                            if positive { "" } else { "not " },
                            pattern.source
                        ),
                    ),
                    _ => (
                        format!("{s_zh} 须{neg}匹配 /{}/（{}）", pattern.source, verdict_zh_of(status)),
                        format!("{s_en} must {}match /{}/ ({})", if positive { "" } else { "not " }, pattern.source, verdict_en_of(status)),
                    ),
                };
            }
            K::Has { qual, level } => {
                let q = schema.qualifications.get(*qual);
                let label = q.map_or("", |q| q.label.as_str());
                let code = q.map_or("", |q| q.code.as_str());
                let lvl_zh = level
                    .and_then(|(op, l)| {
                        schema.qualification_levels.get(l as usize).map(|lv| format!("（级别 {} {}）", op.pretty(), lv.label))
                    })
                    .unwrap_or_default();
                let lvl_en = level
                    .and_then(|(op, l)| {
                        schema.qualification_levels.get(l as usize).map(|lv| format!(" (level {} {})", op.pretty(), lv.code))
                    })
                    .unwrap_or_default();
                let want = if positive { "须持有" } else { "须未持有" };
                e.required = Some(format!("{want}有效的{label}{lvl_zh}"));
                (e.message_zh, e.message_en) = match (status, positive) {
                    (Status::Unknown, _) => (
                        format!("{label}资质{lvl_zh}未知（{why_unknown_zh}）"),
                        format!("{code} qualification{lvl_en} unknown ({why_unknown_en})"),
                    ),
                    (Status::Met, true) | (Status::Unmet, false) => (
                        format!("持有有效的{label}{lvl_zh}{}", if positive { "" } else { "，要求未持有" }),
                        format!("holds a valid {code}{lvl_en}{}", if positive { "" } else { ", required not to" }),
                    ),
                    _ => (
                        format!("未持有有效的{label}{lvl_zh}{}", if positive { "" } else { "（满足）" }),
                        format!("holds no valid {code}{lvl_en}{}", if positive { "" } else { " (met)" }),
                    ),
                };
            }
            K::GrantedIn { qual, year, kind } => {
                let q = schema.qualifications.get(*qual);
                let label = q.map_or("", |q| q.label.as_str());
                let code = q.map_or("", |q| q.code.as_str());
                let y = self.ev.year(*year);
                let (k_zh, k_en) = match kind {
                    GrantKind::Any => ("获得", "granted"),
                    GrantKind::First => ("首次认定", "first granted"),
                    GrantKind::Renewal => ("重新认定", "renewed"),
                };
                let neg = if positive { "" } else { "未" };
                e.required = Some(format!("{y}年{neg}{k_zh}{label}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{y}年是否{k_zh}{label}未知（{why_unknown_zh}）"),
                        format!("whether {code} was {k_en} in {y} is unknown ({why_unknown_en})"),
                    ),
                    _ => (
                        format!("要求{y}年{neg}{k_zh}{label}（{}）", verdict_zh_of(status)),
                        format!("{code} {}{k_en} in {y} required ({})", if positive { "" } else { "not " }, verdict_en_of(status)),
                    ),
                };
            }
            K::Records { agg: agg @ (RecordAgg::Any | RecordAgg::All), collection, cond: Some(cond), .. } => {
                (e.message_zh, e.message_en) = self.records_message(*agg == RecordAgg::All, *collection, cond, src, positive, status);
                e.required = Some(snippet(src, n));
            }
            K::ManualReview(text) => {
                e.kind = "manual_review";
                e.required = Some(text.clone());
                e.message_zh = format!("需人工审核：{text}");
                e.message_en = format!("needs manual review: {text}");
            }
            K::CagrCmp { op, field, from, to, rate } => {
                let op = if positive { *op } else { op.negate() };
                let f = schema.field_by_id(*field);
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                let (r, _) = self.value_text(rate, src, true);
                e.required = Some(format!("{} {r}", op.pretty()));
                e.message_zh = format!(
                    "{}{}–{}年复合增长率 {} {r}（{}）",
                    f.map_or("", |f| f.label.as_str()),
                    a.min(b),
                    a.max(b),
                    op.pretty(),
                    if status == Status::Unknown { why_unknown_zh.clone() } else { verdict_zh_of(status).to_string() }
                );
                e.message_en = format!(
                    "CAGR of {} {}–{} {} {r} ({})",
                    f.map_or("", |f| f.name.as_str()),
                    a.min(b),
                    a.max(b),
                    op.pretty(),
                    if status == Status::Unknown { why_unknown_en.clone() } else { verdict_en_of(status).to_string() }
                );
            }
            _ => {
                let text = snippet(src, n);
                e.message_zh = format!(
                    "{text}：{}{}",
                    verdict_zh_of(status),
                    if status == Status::Unknown { format!("（{why_unknown_zh}）") } else { String::new() }
                );
                e.message_en = format!(
                    "{text}: {}{}",
                    verdict_en_of(status),
                    if status == Status::Unknown { format!(" ({why_unknown_en})") } else { String::new() }
                );
            }
        }
        e
    }
}

impl<'a> Explainer<'_, 'a> {
    /// Words for `any` / `all` over records, naming the record that decided
    /// (`第2条设备购置：单价 520万元，满足 > 500万元`), or, when none did, how many were looked
    /// at and the first one that is undecided.
    fn records_message(
        &self,
        all: bool,
        collection: FieldId,
        cond: &'a Node,
        src: &'a str,
        positive: bool,
        status: Status,
    ) -> (String, String) {
        let schema = &self.ev.set.schema;
        let (label, name) = schema.field_by_id(collection).map_or((String::new(), String::new()), |f| (f.label.clone(), f.name.clone()));
        let Ok(records) = self.ev.records_of(collection) else {
            return (format!("{label}：未知（缺少：{label}）"), format!("{name}: unknown (missing: {name})"));
        };
        // The record that decides: for `any`, one whose condition holds (true) or, for
        // `all`, one whose condition fails (false); else an undecided one.
        let mut decided = None;
        let mut undecided = None;
        for (i, r) in records.iter().enumerate() {
            match Tri::from_ev(&self.ev.with_record(i, r, || self.ev.eval(cond))) {
                Tri::True if !all => {
                    decided = Some((i, r));
                    break;
                }
                Tri::False if all => {
                    decided = Some((i, r));
                    break;
                }
                Tri::Unknown if undecided.is_none() => undecided = Some((i, r)),
                _ => {}
            }
        }
        let words = |i: usize, r: &'a crate::profile::Record| {
            // The record's own leaves, with the requirement the policy makes of each record
            // (its condition holds; under `not`, it does not).
            let x = self.ev.with_record(i, r, || self.explain(cond, src, positive));
            let leaves = x.leaves();
            let zh = leaves.iter().map(|l| l.message_zh.as_str()).collect::<Vec<_>>().join("；");
            let en = leaves.iter().map(|l| l.message_en.as_str()).collect::<Vec<_>>().join("; ");
            (format!("第{}条{label}：{zh}", i + 1), format!("{name} record {}: {en}", i + 1))
        };
        let text = snippet(src, cond);
        match (decided, undecided, status) {
            (Some((i, r)), _, _) => words(i, r),
            (None, Some((i, r)), Status::Unknown) => {
                let (zh, en) = words(i, r);
                (
                    format!("{label}（共 {} 条）尚不能判定：{zh}", records.len()),
                    format!("{name} ({} records) undecided: {en}", records.len()),
                )
            }
            _ if all => {
                (format!("{label}共 {} 条，均满足“{text}”", records.len()), format!("all {} {name} records meet “{text}”", records.len()))
            }
            _ => (
                format!("{label}共 {} 条，无一满足“{text}”", records.len()),
                format!("none of {} {name} records meets “{text}”", records.len()),
            ),
        }
    }
}

fn verdict_zh_of(s: Status) -> &'static str {
    match s {
        Status::Met => "满足",
        Status::Unmet => "不满足",
        Status::Unknown => "待确定",
    }
}

fn verdict_en_of(s: Status) -> &'static str {
    match s {
        Status::Met => "met",
        Status::Unmet => "not met",
        Status::Unknown => "undetermined",
    }
}

/// Share of leaves met, as a fraction with two decimals.
pub fn score(e: &Explanation) -> Decimal {
    // An `if` condition only selects a branch; it is not a requirement to count.
    let leaves = e.leaves();
    if leaves.is_empty() {
        return Decimal::ONE;
    }
    let met = leaves.iter().filter(|l| l.status == Status::Met).count();
    (Decimal::from(met as u64) / Decimal::from(leaves.len() as u64)).round_dp(2)
}

/// Kleene `and` (`is_and`) or `or` of three-valued values, as the evaluator combines them.
fn kleene(is_and: bool, xs: impl Iterator<Item = Tri>) -> Tri {
    let (stop, otherwise) = if is_and { (Tri::False, Tri::True) } else { (Tri::True, Tri::False) };
    let mut unknown = false;
    for x in xs {
        if x == stop {
            return stop;
        }
        unknown |= x == Tri::Unknown;
    }
    if unknown {
        Tri::Unknown
    } else {
        otherwise
    }
}
