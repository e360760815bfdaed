//! Match outcomes: the per-policy verdicts, scores, benefits, unmet conditions and missing
//! fields, and the next questions worth asking — the payload of the shared envelopes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::Node;
use crate::date::Date;
use crate::eval::{Evaluator, Tri, V};
use crate::explain::{Explanation, FieldRef};
use crate::policy::{Benefit, BenefitSpec, Policy};
use crate::units::{self, Dim};

/// A policy's verdict for one enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BenefitEstimate {
    /// Estimated amount in 元 (exact decimal as a string), when it can be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_yuan: Option<String>,
    /// Upper bound in 元, when known (caps, highest tier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_yuan: Option<String>,
    /// For people: `20万元`, `1500元 × 12人 = 1.8万元`, `企业所得税减按15%税率征收`.
    pub display: String,
}

impl BenefitEstimate {
    /// The amount (or else the upper bound) in 元, for ranking.
    pub fn weight(&self) -> Decimal {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<Decimal>().ok());
        parse(&self.amount_yuan).or_else(|| parse(&self.max_yuan)).unwrap_or(Decimal::ZERO)
    }
}

/// One unmet or undetermined condition, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConditionNote {
    pub condition: String,
    pub message_zh: String,
    pub message_en: String,
}

/// One policy in a match result.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyOutcome {
    pub id: String,
    pub title: String,
    pub doc_no: String,
    pub verdict: Verdict,
    /// Share of leaf conditions met, 0.00–1.00.
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// 免申即享 (automatic) or 申报 (apply).
    pub mode: crate::policy::Mode,
    /// Application window and where it stands on the evaluation date.
    pub window: crate::graph::WindowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes: Option<Date>,
}

/// A field worth asking for next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub eligible: usize,
    pub undetermined: usize,
    pub ineligible: usize,
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
#[derive(Clone, Debug, Serialize)]
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
        Ok(V::Num(d)) => Some(d),
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
    let s = |d: Decimal| d.normalize().to_string();
    let mut out = match &p.benefit {
        Benefit::Fixed { amount: a } => {
            let v = amount(ev, a);
            BenefitEstimate { amount_yuan: v.map(s), max_yuan: v.map(s), display: v.map(money).unwrap_or_else(|| "金额未知".into()) }
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
            BenefitEstimate { amount_yuan: total.map(s), max_yuan: cap.or(total).map(s), display }
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
            BenefitEstimate { amount_yuan: total.map(|t| s(t.round_dp(2))), max_yuan: cap.or(total).map(|t| s(t.round_dp(2))), display }
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
            BenefitEstimate { amount_yuan: chosen.map(s), max_yuan: max.map(s), display }
        }
        Benefit::None => BenefitEstimate { amount_yuan: None, max_yuan: None, display: String::new() },
    };
    if let Some(d) = description {
        out.display = if out.display.is_empty() { d } else { format!("{}（{d}）", out.display) };
    }
    out
}

/// Builds a policy outcome from its verdict and explanation.
pub fn outcome<'a>(ev: &Evaluator<'a>, p: &'a Policy, verdict: Verdict, explanation: &Explanation) -> PolicyOutcome {
    let note =
        |e: &&Explanation| ConditionNote { condition: e.text.clone(), message_zh: e.message_zh.clone(), message_en: e.message_en.clone() };
    let unmet: Vec<ConditionNote> = explanation.blocking(false).iter().map(note).collect();
    let undetermined_leaves = explanation.blocking(true);
    let undetermined: Vec<ConditionNote> = undetermined_leaves.iter().map(note).collect();
    let manual_review = undetermined_leaves.iter().any(|l| l.kind == "manual_review");
    let mut missing: Vec<FieldRef> = Vec::new();
    if verdict == Verdict::Undetermined {
        for l in &undetermined_leaves {
            for f in &l.missing {
                if !missing.contains(f) {
                    missing.push(f.clone());
                }
            }
        }
    }
    PolicyOutcome {
        id: p.doc.id.clone(),
        title: p.doc.title.clone(),
        doc_no: p.doc.doc_no.clone(),
        verdict,
        score: crate::explain::score(explanation),
        benefit: if verdict == Verdict::Ineligible {
            BenefitEstimate { amount_yuan: None, max_yuan: None, display: String::new() }
        } else {
            estimate(ev, p)
        },
        unmet: if verdict == Verdict::Eligible { Vec::new() } else { unmet },
        undetermined: if verdict == Verdict::Undetermined { undetermined } else { Vec::new() },
        missing_fields: missing,
        manual_review,
        tags: p.doc.tags.clone(),
        mode: p.doc.mode,
        window: crate::graph::window_status(
            p.doc.application_window.as_ref().and_then(|w| w.opens),
            p.doc.application_window.as_ref().and_then(|w| w.closes),
            ev.as_of,
            30,
        ),
        closes: p.doc.application_window.as_ref().and_then(|w| w.closes),
    }
}

/// Orders outcomes (eligible, undetermined, ineligible; then score and benefit, descending)
/// and derives the summary and next questions.
pub fn assemble(as_of: Date, enterprise: Option<String>, mut policies: Vec<PolicyOutcome>, warnings: Vec<String>) -> MatchOutcome {
    let rank = |v: Verdict| match v {
        Verdict::Eligible => 0,
        Verdict::Undetermined => 1,
        Verdict::Ineligible => 2,
    };
    policies.sort_by(|a, b| {
        rank(a.verdict)
            .cmp(&rank(b.verdict))
            .then(b.score.cmp(&a.score))
            .then(b.benefit.weight().cmp(&a.benefit.weight()))
            .then(a.id.cmp(&b.id))
    });
    let mut summary = Summary::default();
    let mut questions: BTreeMap<String, (String, Vec<String>, Decimal)> = BTreeMap::new();
    for p in &policies {
        summary.add(p.verdict);
        match p.verdict {
            Verdict::Eligible | Verdict::Ineligible => {}
            Verdict::Undetermined => {
                for f in &p.missing_fields {
                    let e = questions.entry(f.name.clone()).or_insert_with(|| (f.label.clone(), Vec::new(), Decimal::ZERO));
                    e.1.push(p.id.clone());
                    e.2 += p.benefit.weight();
                }
            }
        }
    }
    let mut next: Vec<NextQuestion> = questions
        .into_iter()
        .map(|(field, (label, ps, b))| NextQuestion {
            field,
            label,
            decides: ps.len(),
            policies: ps,
            benefit_yuan: b.normalize().to_string(),
        })
        .collect();
    next.sort_by(|a, b| {
        b.decides
            .cmp(&a.decides)
            .then_with(|| {
                let (x, y) = (a.benefit_yuan.parse::<Decimal>().unwrap_or_default(), b.benefit_yuan.parse::<Decimal>().unwrap_or_default());
                y.cmp(&x)
            })
            .then(a.field.cmp(&b.field))
    });
    next.truncate(5);
    MatchOutcome { as_of, enterprise, summary, policies, next_questions: next, recommended: crate::graph::Combination::default(), warnings }
}
