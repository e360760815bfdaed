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
use crate::eval::{Datum, Evaluator, Range, Tri, Unknown};
use crate::lang::ast::{CmpOp, ContainsMode};
use crate::schema::FieldId;
use crate::units::{self, Dim};

mod words;

/// Status of a node as it bears on the policy (polarity applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ExplanationStatus")]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldRef {
    pub name: String,
    pub label: String,
}

/// One node of an explanation tree.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Explanation {
    pub status: Status,
    /// `all`, `any`, `not`, `at_least`, `definition`, `policy`, `leaf`, `manual_review`.
    pub kind: &'static str,
    /// The condition text this node stands for.
    pub text: String,
    pub message_zh: String,
    pub message_en: String,
    pub seen: Option<String>,
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
        share(met, all)
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
    /// Only the text and the two messages of each node are wanted (a match's notes on the
    /// blocking conditions): `seen`, `required` and `missing` are left empty, not computed.
    notes_only: bool,
}

/// The source text of `n`, its runs of whitespace (line breaks, indentation) made single
/// spaces.
fn snippet(src: &str, n: &Node) -> String {
    let Some(s) = src.get(n.span.start as usize..n.span.end as usize) else { return String::new() };
    // Most conditions are written on one line with single spaces: copied as they are.
    let plain = !s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  ") && !s.contains(|c: char| c.is_whitespace() && c != ' ');
    if plain {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl<'e, 'a> Explainer<'e, 'a> {
    pub fn new(ev: &'e Evaluator<'a>) -> Explainer<'e, 'a> {
        Explainer { ev, notes_only: false }
    }

    /// An explainer for notes ([`crate::outcome::ConditionNote`]): the same text and
    /// messages, without the `seen`, `required` and `missing` of each node.
    pub fn for_notes(ev: &'e Evaluator<'a>) -> Explainer<'e, 'a> {
        Explainer { ev, notes_only: true }
    }

    /// A detail of a node (`seen`, `required`), computed unless only notes are wanted.
    fn detail(&self, f: impl FnOnce() -> String) -> Option<String> {
        (!self.notes_only).then(f)
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
                let (t, u) = children.iter().fold((0, 0), |n, c| c.tri_as(positive).tally(n));
                let tri = Tri::at_least(*k, t, u);
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
    share(met as u64, leaves.len() as u64)
}

/// `met / all` rounded to two decimals: the score of a policy whose `all` requirement
/// leaves include `met` met ones. One definition for the explanation, its trace and the
/// index. A decimal division costs about as much as the rest of an outcome, so the shares
/// of up to 64 leaves are computed once, by the same expression, and looked up.
pub fn share(met: u64, all: u64) -> Decimal {
    const SMALL: u64 = 64;
    static TABLE: std::sync::OnceLock<Vec<Decimal>> = std::sync::OnceLock::new();
    let compute = |met: u64, all: u64| (Decimal::from(met) / Decimal::from(all)).round_dp(2);
    if all == 0 {
        return Decimal::ONE;
    }
    if all > SMALL || met > all {
        return compute(met, all);
    }
    // Row `all` (1..=64) starts at the triangle number of `all`; entries 0..=all.
    let table = TABLE.get_or_init(|| (1..=SMALL).flat_map(|a| (0..=a).map(move |m| (m, a))).map(|(m, a)| compute(m, a)).collect());
    let at = (all * (all + 1) / 2 - 1 + met) as usize;
    table.get(at).copied().unwrap_or_else(|| compute(met, all))
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

#[cfg(test)]
mod tests {
    use super::share;
    use rust_decimal::Decimal;

    /// The table gives what the division gives, scale included (it is serialised), inside
    /// and beyond the table's 64 leaves.
    #[test]
    fn share_is_the_rounded_division() {
        for all in 0..=80u64 {
            for met in 0..=all {
                let want = if all == 0 { Decimal::ONE } else { (Decimal::from(met) / Decimal::from(all)).round_dp(2) };
                let got = share(met, all);
                assert_eq!((got, got.to_string()), (want, want.to_string()), "{met}/{all}");
            }
        }
    }
}
