//! Match outcomes: the per-policy verdicts, scores, benefits, unmet conditions and missing
//! fields, and the next questions worth asking — the payload of the shared envelopes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::Node;
use crate::date::Date;
use crate::eval::{Datum, Evaluator, Tri, Unknown};
use crate::explain::{Explainer, FieldRef, Trace};
use crate::policy::{Benefit, BenefitSpec, Policy};
use crate::units::{self, Dim};

/// A policy's verdict for one enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Eligible,
    Ineligible,
    Undetermined,
}

impl Verdict {
    pub fn from_tri(t: Tri) -> Verdict {
        match t {
            Tri::True => Verdict::Eligible,
            Tri::False => Verdict::Ineligible,
            Tri::Unknown => Verdict::Undetermined,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Verdict::Eligible => "符合",
            Verdict::Ineligible => "不符合",
            Verdict::Undetermined => "待确定",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Eligible => "eligible",
            Verdict::Ineligible => "ineligible",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// An estimate of what a policy pays this enterprise.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BenefitEstimate {
    // Shared strings: a benefit that does not depend on the enterprise is estimated once
    // per engine, and each match shares it.
    /// Estimated amount in 元 (exact decimal as a string), when it can be computed.
    pub amount_yuan: Option<Arc<str>>,
    /// Upper bound in 元, when known (caps, highest tier).
    pub max_yuan: Option<Arc<str>>,
    /// For people: `20万元`, `1500元 × 12人 = 1.8万元`, `企业所得税减按15%税率征收`.
    pub display: Arc<str>,
    /// The amount (or else the upper bound) in 元, for ranking.
    #[serde(skip)]
    weight: Decimal,
}

impl BenefitEstimate {
    /// An estimate of `amount` (when it can be computed) up to `max` (when known), in 元.
    pub fn new(amount: Option<Decimal>, max: Option<Decimal>, display: String) -> BenefitEstimate {
        let s = |d: Decimal| Arc::from(d.normalize().to_string());
        BenefitEstimate {
            amount_yuan: amount.map(s),
            max_yuan: max.map(s),
            display: Arc::from(display),
            weight: amount.or(max).unwrap_or(Decimal::ZERO),
        }
    }

    /// No estimate (an ineligible policy, or a benefit without an amount).
    pub fn none() -> BenefitEstimate {
        BenefitEstimate::new(None, None, String::new())
    }

    /// The amount (or else the upper bound) in 元, for ranking.
    pub fn weight(&self) -> Decimal {
        self.weight
    }
}

/// One unmet or undetermined condition, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ConditionNote {
    pub condition: String,
    pub message_zh: String,
    pub message_en: String,
}

/// One policy in a match result.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PolicyOutcome {
    // Shared with the engine's [`Head`] of the policy, not copied per outcome.
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub doc_no: Arc<str>,
    pub verdict: Verdict,
    /// Share of leaf conditions met, 0.00–1.00.
    #[schemars(with = "String")]
    pub score: Decimal,
    pub benefit: BenefitEstimate,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<ConditionNote>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<ConditionNote>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_fields: Vec<FieldRef>,
    /// Whether part of the condition needs a person's judgement.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub manual_review: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub tags: Arc<[String]>,
    /// 免申即享 (automatic) or 申报 (apply).
    pub mode: crate::policy::Mode,
    /// Application window and where it stands on the evaluation date.
    pub window: crate::graph::WindowStatus,
    pub closes: Option<Date>,
    /// Whether the policy's encoding was confirmed against its official text (absent when
    /// the policy does not say); `false` comes with what could not be confirmed.
    pub verified: Option<bool>,
    pub unverified: Option<Arc<str>>,
}

/// What a policy's outcome shows that does not depend on the enterprise, made once per
/// engine: every outcome shares these strings instead of copying them (copies were most of
/// the cost of an outcome, ~0.5 µs each, with ~900 outcomes in a 10k-policy match).
#[derive(Clone, Debug)]
pub struct Head {
    id: Arc<str>,
    title: Arc<str>,
    doc_no: Arc<str>,
    tags: Arc<[String]>,
    unverified: Option<Arc<str>>,
}

impl Head {
    /// The head of `p`.
    pub fn of(p: &Policy) -> Head {
        Head {
            id: Arc::from(p.doc.id.as_str()),
            title: Arc::from(p.doc.title.as_str()),
            doc_no: Arc::from(p.doc.doc_no.as_str()),
            tags: Arc::from(p.doc.tags.as_slice()),
            unverified: if p.doc.verified == Some(false) { p.doc.unverified.as_deref().map(Arc::from) } else { None },
        }
    }
}

/// A field worth asking for next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NextQuestion {
    pub field: String,
    pub label: String,
    /// Undetermined policies this field helps decide.
    pub decides: usize,
    pub policies: Vec<String>,
    /// Sum of those policies' benefit estimates (元).
    pub benefit_yuan: String,
}

/// Verdict counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub eligible: usize,
    pub undetermined: usize,
    pub ineligible: usize,
    /// Policies of the set (with the tags asked) that are not matched on the date: not
    /// yet in force, ended, or superseded by a newer version (`explain` says which).
    pub not_in_force: usize,
}

impl Summary {
    /// Counts one more verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Eligible => self.eligible += 1,
            Verdict::Undetermined => self.undetermined += 1,
            Verdict::Ineligible => self.ineligible += 1,
        }
    }
}

/// The answer to "which policies does this enterprise qualify for".
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MatchResult")]
pub struct MatchOutcome {
    pub as_of: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    pub summary: Summary,
    /// Eligible first, then undetermined, then ineligible; within each by score, then benefit.
    pub policies: Vec<PolicyOutcome>,
    pub next_questions: Vec<NextQuestion>,
    /// The policies to apply for together, respecting exclusions and 就高 groups.
    pub recommended: crate::graph::Combination,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn amount<'a>(ev: &Evaluator<'a>, n: &'a Node) -> Option<Decimal> {
    match ev.eval(n) {
        Ok(Datum::Num(d)) => Some(d),
        _ => None,
    }
}

fn money(d: Decimal) -> String {
    units::display(d, Dim::Money)
}

/// Estimates a policy's benefit for the evaluator's enterprise.
pub fn estimate<'a>(ev: &Evaluator<'a>, p: &'a Policy) -> BenefitEstimate {
    let description = match &p.doc.benefit {
        BenefitSpec::Fixed { description, .. }
        | BenefitSpec::PerUnit { description, .. }
        | BenefitSpec::Rate { description, .. }
        | BenefitSpec::Tiers { description, .. } => description.clone(),
        BenefitSpec::None { description } => Some(description.clone()),
    };
    let mut out = match &p.benefit {
        Benefit::Fixed { amount: a } => {
            let v = amount(ev, a);
            BenefitEstimate::new(v, v, v.map(money).unwrap_or_else(|| "金额未知".into()))
        }
        Benefit::PerUnit { amount: a, count, cap } => {
            let unit = amount(ev, a);
            let n = amount(ev, count);
            let cap = cap.as_ref().and_then(|c| amount(ev, c));
            let total = unit.zip(n).and_then(|(u, n)| u.checked_mul(n)).map(|t| cap.map_or(t, |c| t.min(c)));
            let display = match (unit, n, total) {
                (Some(u), Some(n), Some(t)) => format!("{} × {} = {}", money(u), units::trim(n), money(t)),
                (Some(u), _, _) => {
                    format!("每人/每件 {}，数量未知{}", money(u), cap.map(|c| format!("，最高 {}", money(c))).unwrap_or_default())
                }
                _ => "金额未知".into(),
            };
            BenefitEstimate::new(total, cap.or(total), display)
        }
        Benefit::Rate { rate, base, cap } => {
            let r = amount(ev, rate);
            let b = amount(ev, base);
            let cap = cap.as_ref().and_then(|c| amount(ev, c));
            let total = r.zip(b).and_then(|(r, b)| r.checked_mul(b)).map(|t| t.max(Decimal::ZERO)).map(|t| cap.map_or(t, |c| t.min(c)));
            let display = match total {
                Some(t) => format!("约 {}{}", money(t.round_dp(2)), cap.map(|c| format!("（上限 {}）", money(c))).unwrap_or_default()),
                None => format!("按比例计算，基数未知{}", cap.map(|c| format!("，上限 {}", money(c))).unwrap_or_default()),
            };
            BenefitEstimate::new(total.map(|t| t.round_dp(2)), cap.or(total).map(|t| t.round_dp(2)), display)
        }
        Benefit::Tiers { tiers } => {
            let max = tiers.iter().filter_map(|(_, a)| amount(ev, a)).max();
            let mut chosen: Option<Decimal> = None;
            let mut blocked = false;
            for (when, a) in tiers {
                match Tri::from_ev(&ev.eval(when)) {
                    Tri::True => {
                        if !blocked {
                            chosen = amount(ev, a);
                        }
                        break;
                    }
                    Tri::Unknown => blocked = true,
                    Tri::False => {}
                }
            }
            let display = match (chosen, max) {
                (Some(c), _) => money(c),
                (None, Some(m)) => format!("最高 {}", money(m)),
                _ => "金额未知".into(),
            };
            BenefitEstimate::new(chosen, max, display)
        }
        Benefit::None => BenefitEstimate::none(),
    };
    if let Some(d) = description {
        out.display = if out.display.is_empty() { Arc::from(d) } else { Arc::from(format!("{}（{d}）", out.display)) };
    }
    out
}

/// How much a match shows of each listed policy. Verdicts come from the index for every
/// policy at every level; the rest is computed only for the policies listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Ids and verdicts, with the counts: for bulk callers.
    Verdicts,
    /// Also title, document number, score, benefit, missing fields, mode and window; the
    /// next questions and the recommended combination.
    Summary,
    /// Also the unmet and undetermined conditions in words (zh and en). The default.
    #[default]
    Full,
}

impl Detail {
    /// The level's name, as every binding spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Verdicts => "verdicts",
            Detail::Summary => "summary",
            Detail::Full => "full",
        }
    }

    /// Parses a level name (`verdicts`, `summary`, `full`).
    pub fn parse(s: &str) -> Option<Detail> {
        match s {
            "verdicts" => Some(Detail::Verdicts),
            "summary" => Some(Detail::Summary),
            "full" => Some(Detail::Full),
            _ => None,
        }
    }
}

/// One listed policy at the `verdicts` level (its id borrowed from the policy set: the
/// level exists to be cheap).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PolicyVerdict<'a> {
    pub id: &'a str,
    pub verdict: Verdict,
}

/// The answer at the `verdicts` level: counts and the listed policies' verdicts.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "VerdictsResult")]
pub struct VerdictsOutcome<'a> {
    pub as_of: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    pub summary: Summary,
    /// Eligible first, then undetermined, then ineligible; within each in policy-set order.
    pub policies: Vec<PolicyVerdict<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The rank of a verdict in a listing: eligible, undetermined, ineligible.
pub fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Eligible => 0,
        Verdict::Undetermined => 1,
        Verdict::Ineligible => 2,
    }
}

/// Field references, in schema order, for a set of field ids.
pub fn field_refs(schema: &crate::schema::Schema, fields: &std::collections::BTreeSet<crate::schema::FieldId>) -> Vec<FieldRef> {
    fields.iter().filter_map(|f| schema.field_by_id(*f)).map(|f| FieldRef { name: f.name.clone(), label: f.label.clone() }).collect()
}

/// Per policy, its benefit estimate when it does not depend on the enterprise or the date
/// (a fixed amount written as a number, or no amount): what [`estimate`] gives for it on
/// any profile, computed once per engine.
pub fn constant_estimates(set: &crate::policy::PolicySet) -> Vec<Option<BenefitEstimate>> {
    let empty = crate::profile::Profile::empty(&set.schema);
    let ev = Evaluator::new(set, &empty, Date::from_day_number(0));
    set.policies
        .iter()
        .map(|p| match &p.benefit {
            Benefit::Fixed { amount } if matches!(amount.kind, crate::check::NodeKind::Const(crate::check::Const::Num(_))) => {
                Some(estimate(&ev, p))
            }
            Benefit::None => Some(estimate(&ev, p)),
            _ => None,
        })
        .collect()
}

/// Builds a policy outcome (the `summary` level) from its verdict and score (the share of
/// its requirement leaves met: [`Trace::score`]). `why` is the evaluator's account of an undetermined verdict (the fields
/// that would decide it, and whether a person must judge); `benefit` the estimate, when
/// already computed.
pub fn outcome<'a>(
    ev: &Evaluator<'a>,
    p: &'a Policy,
    head: &Head,
    verdict: Verdict,
    score: Decimal,
    why: Option<&Unknown>,
    benefit: Option<BenefitEstimate>,
) -> PolicyOutcome {
    let undetermined = verdict == Verdict::Undetermined;
    PolicyOutcome {
        id: Arc::clone(&head.id),
        title: Arc::clone(&head.title),
        doc_no: Arc::clone(&head.doc_no),
        verdict,
        score,
        benefit: if verdict == Verdict::Ineligible { BenefitEstimate::none() } else { benefit.unwrap_or_else(|| estimate(ev, p)) },
        unmet: Vec::new(),
        undetermined: Vec::new(),
        missing_fields: match why {
            Some(u) if undetermined => field_refs(&ev.set.schema, &u.fields),
            _ => Vec::new(),
        },
        manual_review: undetermined && why.is_some_and(|u| u.manual),
        tags: Arc::clone(&head.tags),
        mode: p.doc.mode,
        window: crate::graph::window_status(
            p.doc.application_window.as_ref().and_then(|w| w.opens),
            p.doc.application_window.as_ref().and_then(|w| w.closes),
            ev.as_of,
            30,
        ),
        closes: p.doc.application_window.as_ref().and_then(|w| w.closes),
        verified: p.doc.verified,
        unverified: head.unverified.clone(),
    }
}

/// Adds the `full` level to an outcome: the conditions that keep it from being met, in
/// words (only the blocking leaves are rendered).
pub fn put_into_words<'a>(o: &mut PolicyOutcome, ex: &Explainer<'_, 'a>, trace: &Trace<'a>) {
    let note = |t: &&Trace<'a>| {
        let e = ex.render(t);
        ConditionNote { condition: e.text, message_zh: e.message_zh, message_en: e.message_en }
    };
    if o.verdict != Verdict::Eligible {
        o.unmet = trace.blocking(false).iter().map(note).collect();
    }
    if o.verdict == Verdict::Undetermined {
        o.undetermined = trace.blocking(true).iter().map(note).collect();
    }
}

/// The order of a listing: eligible, undetermined, ineligible; then score and benefit,
/// descending; then id.
pub fn order(a: &PolicyOutcome, b: &PolicyOutcome) -> std::cmp::Ordering {
    order_key(a).cmp(&order_key(b))
}

/// The key of [`order`]: sorting by it is sorting by `order` (a caller sorting many
/// outcomes gathers the keys once instead of reading the large outcomes in every
/// comparison).
pub fn order_key(o: &PolicyOutcome) -> (u8, std::cmp::Reverse<Decimal>, std::cmp::Reverse<Decimal>, &str) {
    (rank(o.verdict), std::cmp::Reverse(o.score), std::cmp::Reverse(o.benefit.weight()), &o.id)
}

/// The next questions worth asking: from the undetermined policies (id, the fields that
/// would decide each, its benefit weight), the fields that decide the most policies, then
/// the most benefit; at most five.
pub fn next_questions<'x>(
    schema: &crate::schema::Schema,
    undetermined: impl Iterator<Item = (&'x str, &'x std::collections::BTreeSet<crate::schema::FieldId>, Decimal)>,
) -> Vec<NextQuestion> {
    let mut questions: BTreeMap<crate::schema::FieldId, (Vec<String>, Decimal)> = BTreeMap::new();
    for (id, fields, weight) in undetermined {
        for f in fields {
            let e = questions.entry(*f).or_insert_with(|| (Vec::new(), Decimal::ZERO));
            e.0.push(id.to_string());
            e.1 += weight;
        }
    }
    let mut next: Vec<(NextQuestion, Decimal)> = questions
        .into_iter()
        .filter_map(|(f, (ps, b))| {
            let field = schema.field_by_id(f)?;
            Some((
                NextQuestion {
                    field: field.name.clone(),
                    label: field.label.clone(),
                    decides: ps.len(),
                    policies: ps,
                    benefit_yuan: b.normalize().to_string(),
                },
                b,
            ))
        })
        .collect();
    crate::sort::sort_by(&mut next, |(a, x), (b, y)| b.decides.cmp(&a.decides).then_with(|| y.cmp(x)).then(a.field.cmp(&b.field)));
    next.truncate(5);
    next.into_iter().map(|(q, _)| q).collect()
}
