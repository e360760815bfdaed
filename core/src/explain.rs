//! Explanations: why a policy is met, unmet or undetermined, leaf by leaf, in Chinese and
//! English (`注册资本 300万元，低于要求的 500万元`).
//!
//! An explanation is computed from the same semantics as the verdict: each leaf is
//! evaluated by the [`Evaluator`], and the tree's statuses are Kleene combinations of the
//! leaves. Negation is carried down as *polarity* so that a leaf under `not` is reported
//! with the requirement the policy actually makes (`列入经营异常名录：是，要求：否`).

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::{Agg, ArithOp, Const, GrantKind, Node, NodeKind, SinceUnit, Ty, YearRef};
use crate::eval::{Evaluator, Tri, Unknown, V};
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

    /// Leaves that keep the policy from being met: walking down only through nodes that
    /// are not met, the leaves that are unmet (`want_unknown` false) or unknown (true).
    pub fn blocking(&self, want_unknown: bool) -> Vec<&Explanation> {
        let mut out = Vec::new();
        self.collect_blocking(want_unknown, &mut out);
        out
    }

    fn collect_blocking<'s>(&'s self, want_unknown: bool, out: &mut Vec<&'s Explanation>) {
        // An `if` condition that is decided only picks a branch; an undecided one blocks.
        if self.status == Status::Met || (self.kind == "if_condition" && self.status != Status::Unknown) {
            return;
        }
        if self.children.is_empty() {
            let hit = if want_unknown { self.status == Status::Unknown } else { self.status == Status::Unmet };
            if hit {
                out.push(self);
            }
            return;
        }
        for c in &self.children {
            c.collect_blocking(want_unknown, out);
        }
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

    /// Explains a boolean node whose source text is `src`.
    pub fn explain(&self, n: &'a Node, src: &str, positive: bool) -> Explanation {
        use NodeKind as K;
        let composite = |kind: &'static str, children: Vec<Explanation>, status: Status, zh: String, en: String| Explanation {
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
        let tri = Tri::from_ev(&self.ev.eval(n));
        let status = Status::from_tri(tri, positive);
        let verdict_zh = |s: Status| match s {
            Status::Met => "满足",
            Status::Unmet => "不满足",
            Status::Unknown => "待确定",
        };
        let verdict_en = |s: Status| match s {
            Status::Met => "met",
            Status::Unmet => "not met",
            Status::Unknown => "undetermined",
        };
        match &n.kind {
            K::And(xs) | K::Or(xs) => {
                let is_and = matches!(n.kind, K::And(_)) == positive;
                let children: Vec<Explanation> = xs.iter().map(|x| self.explain(x, src, positive)).collect();
                let met = children.iter().filter(|c| c.status == Status::Met).count();
                let (zh, en) = if is_and {
                    (
                        format!("须全部满足：{met}/{} 项已满足（{}）", children.len(), verdict_zh(status)),
                        format!("all of {} required: {met} met ({})", children.len(), verdict_en(status)),
                    )
                } else {
                    (
                        format!("满足其一即可：{met}/{} 项已满足（{}）", children.len(), verdict_zh(status)),
                        format!("any of {} suffices: {met} met ({})", children.len(), verdict_en(status)),
                    )
                };
                composite(if is_and { "all" } else { "any" }, children, status, zh, en)
            }
            K::Not(x) => {
                let child = self.explain(x, src, !positive);
                // `not` only flips polarity: show the child directly.
                child
            }
            K::AtLeast(k, xs) => {
                let children: Vec<Explanation> = xs.iter().map(|x| self.explain(x, src, true)).collect();
                let met = children.iter().filter(|c| c.status == Status::Met).count();
                let (zh, en) = if positive {
                    (
                        format!("至少满足 {k} 项：已满足 {met}/{} 项（{}）", children.len(), verdict_zh(status)),
                        format!("at least {k} of {} required: {met} met ({})", children.len(), verdict_en(status)),
                    )
                } else {
                    (
                        format!("须满足少于 {k} 项：已满足 {met}/{} 项（{}）", children.len(), verdict_zh(status)),
                        format!("fewer than {k} of {} allowed: {met} met ({})", children.len(), verdict_en(status)),
                    )
                };
                composite("at_least", children, status, zh, en)
            }
            K::Def(i) if n.ty == Ty::Bool => {
                let Some(d) = self.ev.set.definitions.get(*i) else { return self.leaf(n, src, positive, status) };
                let child = self.explain(&d.node, &d.text, positive);
                let label = d.label.clone().unwrap_or_else(|| d.name.clone());
                composite(
                    "definition",
                    vec![child],
                    status,
                    format!("{label}：{}", verdict_zh(status)),
                    format!("{}: {}", d.name, verdict_en(status)),
                )
            }
            K::Eligible(i) => {
                let Some(p) = self.ev.set.policies.get(*i) else { return self.leaf(n, src, positive, status) };
                let child = self.explain(&p.condition, &p.condition_text, positive);
                let mut e = composite(
                    "policy",
                    vec![child],
                    status,
                    format!("{}「{}」：{}", if positive { "符合" } else { "不符合" }, p.doc.title, verdict_zh(status)),
                    format!("{} policy {}: {}", if positive { "eligible for" } else { "not eligible for" }, p.doc.id, verdict_en(status)),
                );
                e.text = snippet(src, n);
                e
            }
            K::Quantified { all, from, to, body } => {
                let years = self.ev.years_of(*from, *to);
                let (lo, hi) = (years.first().copied().unwrap_or_default(), years.last().copied().unwrap_or_default());
                // One child per year, explained with that year bound.
                let children: Vec<Explanation> = years
                    .iter()
                    .map(|y| {
                        self.ev.with_loop_year(*y, || {
                            let mut e = self.explain(body, src, positive == *all || !*all && positive);
                            e.message_zh = format!("{y}年：{}", e.message_zh);
                            e.message_en = format!("{y}: {}", e.message_en);
                            e
                        })
                    })
                    .collect();
                let (zh, en) = if *all == positive {
                    (
                        format!("{lo}–{hi} 年每年均须满足（{}）", verdict_zh(status)),
                        format!("every year of {lo}–{hi} required ({})", verdict_en(status)),
                    )
                } else {
                    (
                        format!("{lo}–{hi} 年任一年满足即可（{}）", verdict_zh(status)),
                        format!("any year of {lo}–{hi} suffices ({})", verdict_en(status)),
                    )
                };
                composite(if *all == positive { "all" } else { "any" }, children, status, zh, en)
            }
            K::If { cond, then, otherwise } if n.ty == Ty::Bool => {
                let c = self.explain(cond, src, true);
                let mut children = vec![c];
                let branch = match Tri::from_ev(&self.ev.eval(cond)) {
                    Tri::True => vec![then.as_ref()],
                    Tri::False => vec![otherwise.as_ref()],
                    Tri::Unknown => vec![then.as_ref(), otherwise.as_ref()],
                };
                for b in branch {
                    children.push(self.explain(b, src, positive));
                }
                // The condition of an `if` is not itself required: keep it for reading, but
                // only the branch decides the status.
                if let Some(first) = children.first_mut() {
                    first.kind = "if_condition";
                    first.message_zh = format!("条件：{}", first.message_zh);
                    first.message_en = format!("if: {}", first.message_en);
                }
                composite(
                    "if",
                    children,
                    status,
                    format!("分情形判断（{}）", verdict_zh(status)),
                    format!("depends on a case split ({})", verdict_en(status)),
                )
            }
            _ => self.leaf(n, src, positive, status),
        }
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
            Err(u) => (if zh { "未知".to_string() } else { "unknown".to_string() }, Some(u)),
        }
    }

    fn leaf(&self, n: &'a Node, src: &str, positive: bool, status: Status) -> Explanation {
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
