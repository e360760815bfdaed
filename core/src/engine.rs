//! The [`Engine`]: a schema and a compiled policy set, immutable after build, `Send +
//! Sync`, cheap to share across threads (clone the `Arc`). Every binding (CLI, WASM, C,
//! Python) goes through it.

use std::sync::Arc;

use serde::Serialize;

use crate::date::Date;
use crate::eval::{Evaluator, Tri, Unknown};
use crate::explain::{Explainer, Explanation};
use crate::index::{IndexStats, Matcher, PolicyIndex};
use crate::outcome::{self, BenefitEstimate, Detail, MatchOutcome, PolicyOutcome, PolicyVerdict, Summary, Verdict, VerdictsOutcome};
use crate::policy::{Policy, PolicySet, PolicySetError};
use crate::profile::{Profile, ProfileErrors};
use crate::schema::Schema;

/// Errors an engine call can return.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Policies(#[from] PolicySetError),
    #[error(transparent)]
    Profile(#[from] ProfileErrors),
    #[error("unknown policy {id:?}{}", .suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    UnknownPolicy { id: String, suggestion: Option<String> },
}

/// A compiled policy set, ready to match enterprises.
#[derive(Clone, Debug)]
pub struct Engine {
    set: Arc<PolicySet>,
    index: Arc<PolicyIndex>,
    conflicts: Arc<crate::graph::ConflictGraph>,
    /// Per policy: its benefit estimate when it is the same for every enterprise and date
    /// (a fixed amount, or none), computed once.
    constant_benefits: Arc<Vec<Option<BenefitEstimate>>>,
    /// Per policy, what its outcomes share (id, title, 文号, tags).
    heads: Arc<Vec<outcome::Head>>,
    /// Per policy, what deciding whether it is in force reads, kept together so that a
    /// match walks one small array rather than every policy document.
    validity: Arc<Vec<Validity>>,
    /// Names `validity` for what a matcher keeps of it (`not_in_force_with`): one number per
    /// policy set compiled, shared by the engines made from it (clones, tuned indexes).
    validity_id: u64,
}

/// The next [`Engine`]'s `validity_id`.
static NEXT_VALIDITY_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// When a policy is in force: its own window as day numbers (open ends as the extremes),
/// and whether a newer version may replace it; two integer comparisons per policy where a
/// call reads every policy's (the compact verdicts).
#[derive(Clone, Copy, Debug)]
struct Validity {
    from: i32,
    to: i32,
    superseded: bool,
}

impl Validity {
    fn of(set: &PolicySet) -> Vec<Validity> {
        set.policies
            .iter()
            .map(|p| Validity {
                from: p.doc.effective_from.map_or(i32::MIN, Date::day_number),
                to: p.doc.effective_to.map_or(i32::MAX, Date::day_number),
                superseded: p.doc.superseded_by.is_some(),
            })
            .collect()
    }
}

/// Options of a match: what to list and how much to show of each listed policy. The same
/// options, under the same names, exist in every binding (CLI flags, C and WASM option
/// JSON, Python keywords; see [`crate::envelope::MatchRequest`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// Only policies carrying one of these tags (政策包); all when empty.
    pub tags: Vec<String>,
    /// Also recommend undetermined policies (at their estimated benefit).
    pub recommend_undetermined: bool,
    /// How much to show of each listed policy (default: full).
    pub detail: Detail,
    /// Also list the ineligible policies (by default only the eligible and undetermined
    /// ones are listed; the counts cover all).
    pub all: bool,
    /// List at most this many policies, the best first (the counts, next questions and
    /// recommendation still cover all).
    pub limit: Option<usize>,
}

/// The answer to a match at the requested detail level.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MatchAnswer")]
#[serde(untagged)]
pub enum Answer<'a> {
    Verdicts(VerdictsOutcome<'a>),
    Detailed(MatchOutcome),
}

impl Answer<'_> {
    /// The warnings about the profile.
    pub fn warnings(&self) -> &[String] {
        match self {
            Answer::Verdicts(v) => &v.warnings,
            Answer::Detailed(d) => &d.warnings,
        }
    }
}

/// An eligible or undetermined policy in scope, with what its detail needs.
struct Candidate {
    policy: usize,
    verdict: Verdict,
    why: Unknown,
    benefit: BenefitEstimate,
}

/// One date in an enterprise's policy calendar (政策日历).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CalendarEntry {
    pub date: Date,
    /// `application_opens`, `application_closes` or `policy_ends`.
    pub event: &'static str,
    pub policy: String,
    pub title: String,
    pub verdict: Verdict,
}

/// Which evaluation path answers a match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MatchPath {
    /// The compiled policy index (fast).
    #[default]
    Index,
    /// The reference evaluator (the oracle).
    Reference,
}

/// The explanation of one policy for one enterprise.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ExplainResult")]
pub struct ExplainOutcome {
    pub as_of: Date,
    /// Set when the policy is not matched on `as_of` (not yet in force, ended, or
    /// superseded): its verdict below is what its condition gives, but a match leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_in_force: Option<NotInForce>,
    pub policy: PolicyOutcome,
    pub condition: String,
    pub explanation: Explanation,
}

/// Why a policy is not matched on a date.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NotInForce {
    /// `not_yet` (before `effective_from`), `ended` (after `effective_to`) or
    /// `superseded` (a newer version has taken effect).
    pub reason: &'static str,
    pub effective_from: Option<Date>,
    pub effective_to: Option<Date>,
    /// The newer version in force, when superseded.
    pub superseded_by: Option<String>,
    pub message_zh: String,
    pub message_en: String,
}

impl Engine {
    /// The embedded schema and real policy set.
    pub fn embedded() -> Result<Engine, EngineError> {
        Ok(Engine::from_set(PolicySet::embedded()?))
    }

    /// Compiles policy files (origin, JSON text) against a schema.
    pub fn from_sources(schema: Arc<Schema>, sources: &[(String, String)]) -> Result<Engine, EngineError> {
        Ok(Engine::from_set(PolicySet::compile(schema, sources)?))
    }

    /// Wraps an already compiled set.
    pub fn from_set(set: PolicySet) -> Engine {
        let index = PolicyIndex::build(&set);
        let conflicts = crate::graph::ConflictGraph::build(&set);
        let constant_benefits = Arc::new(outcome::constant_estimates(&set));
        let validity = Arc::new(Validity::of(&set));
        let heads = Arc::new(set.policies.iter().map(outcome::Head::of).collect());
        let validity_id = NEXT_VALIDITY_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Engine {
            set: Arc::new(set),
            index: Arc::new(index),
            conflicts: Arc::new(conflicts),
            constant_benefits,
            heads,
            validity,
            validity_id,
        }
    }

    /// The same engine with its index guards chosen from how often each condition holds
    /// on a sample of the platform's enterprises. Verdicts are unchanged (the tests check
    /// it); matching is faster when the sample resembles the enterprises matched later.
    pub fn tuned(&self, sample: &[Profile], as_of: Date) -> Engine {
        let index = PolicyIndex::build_tuned(&self.set, sample, as_of);
        Engine { index: Arc::new(index), ..self.clone() }
    }

    /// [`Engine::tuned`] on the guards and chunks alone, without the algebra over
    /// sources ([`PolicyIndex::build_guards_only`]): to measure one kernel against the
    /// other. Same verdicts.
    pub fn tuned_guards_only(&self, sample: &[Profile], as_of: Date) -> Engine {
        let index = PolicyIndex::build_guards_only(&self.set, sample, as_of);
        Engine { index: Arc::new(index), ..self.clone() }
    }

    /// The compiled policy index.
    pub fn index(&self) -> &PolicyIndex {
        &self.index
    }

    /// Shape of the compiled index.
    pub fn index_stats(&self) -> IndexStats {
        self.index.stats()
    }

    /// A reusable matcher for [`Engine::match_with`] (one per thread).
    pub fn matcher(&self) -> Matcher {
        self.index.matcher()
    }

    /// The verdict of every policy (policy-set order) through the index, reusing buffers:
    /// the plain, fast match with no explanations.
    pub fn match_with<'m>(&self, m: &'m mut Matcher, profile: &Profile, as_of: Date) -> &'m [Tri] {
        self.index.match_profile(&self.set, profile, as_of, m)
    }

    /// Matches and lists the eligible policies, as indices into the policy set in
    /// ascending order: the same as the indices of [`Engine::match_with`]'s `True`
    /// verdicts, without reading every verdict (ids: `policy_set().policies[i].doc.id`).
    pub fn match_eligible<'m>(&self, m: &'m mut Matcher, profile: &Profile, as_of: Date) -> &'m [u32] {
        self.index.match_profile(&self.set, profile, as_of, m);
        self.index.eligible(m)
    }

    /// The verdict of every policy (policy-set order) through the index.
    pub fn verdicts(&self, profile: &Profile, as_of: Date) -> Vec<Verdict> {
        let mut m = self.matcher();
        self.match_with(&mut m, profile, as_of).iter().map(|t| Verdict::from_tri(*t)).collect()
    }

    /// The compiled policy set.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.set.schema
    }

    /// Decodes a profile from JSON text against the engine's schema.
    pub fn profile_from_json(&self, text: &str) -> Result<Profile, ProfileErrors> {
        Profile::from_json_str(&self.set.schema, text)
    }

    /// Whether a policy's own effective window contains `as_of`.
    pub fn in_force(p: &Policy, as_of: Date) -> bool {
        p.doc.effective_from.is_none_or(|f| f <= as_of) && p.doc.effective_to.is_none_or(|t| as_of <= t)
    }

    /// Whether policy `i` is the version in force on `as_of`: its window contains the date
    /// and no newer version (`superseded_by`, followed transitively) has taken effect.
    pub fn version_in_force(&self, i: usize, as_of: Date) -> bool {
        let Some(v) = self.validity.get(i) else { return false };
        let day = as_of.day_number();
        if !(v.from <= day && day <= v.to) {
            return false;
        }
        !v.superseded || self.superseding(i, as_of).is_none()
    }

    /// The policies that are not the version in force on `as_of`
    /// ([`Engine::version_in_force`]), ascending. Kept in the matcher for the day of the
    /// last call, so that a caller answering for every policy, day after day the same,
    /// reads the few exceptions instead of every policy's window (in WASM that read was
    /// half of a compact-verdicts call at 10k policies).
    pub fn not_in_force_with<'m>(&self, m: &'m mut Matcher, as_of: Date) -> &'m [u32] {
        let key = (self.validity_id, as_of.day_number());
        if m.not_in_force.as_ref().map(|(e, d, _)| (*e, *d)) != Some(key) {
            let list =
                (0..self.validity.len()).filter(|&i| !self.version_in_force(i, as_of)).filter_map(|i| u32::try_from(i).ok()).collect();
            m.not_in_force = Some((key.0, key.1, list));
        }
        m.not_in_force.as_ref().map_or(&[], |(_, _, list)| list.as_slice())
    }

    /// Why policy `i` is not matched on `as_of`, or `None` when it is the version in force.
    pub fn not_in_force(&self, i: usize, as_of: Date) -> Option<NotInForce> {
        let p = self.set.policies.get(i)?;
        let (from, to) = (p.doc.effective_from, p.doc.effective_to);
        let (window, window_en) = match (from, to) {
            (Some(f), Some(t)) => (format!("{f} 至 {t}"), format!("{f} to {t}")),
            (Some(f), None) => (format!("{f} 起"), format!("from {f}")),
            (None, Some(t)) => (format!("至 {t}"), format!("until {t}")),
            (None, None) => ("未载明".to_string(), "not stated".to_string()),
        };
        let (reason, superseded_by, message_zh, message_en) = if from.is_some_and(|f| as_of < f) {
            (
                "not_yet",
                None,
                format!("评估日 {as_of} 本政策尚未施行（有效期 {window}）"),
                format!("not yet in force on {as_of} (in force {window_en})"),
            )
        } else if to.is_some_and(|t| t < as_of) {
            (
                "ended",
                None,
                format!("评估日 {as_of} 本政策已失效（有效期 {window}）"),
                format!("no longer in force on {as_of} (in force {window_en})"),
            )
        } else {
            let newer = self.superseding(i, as_of)?;
            let zh = format!("评估日 {as_of} 本政策已被新版本 {newer} 取代（有效期 {window}）");
            let en = format!("superseded on {as_of} by the newer version {newer} (in force {window_en})");
            ("superseded", Some(newer.to_string()), zh, en)
        };
        Some(NotInForce { reason, effective_from: from, effective_to: to, superseded_by, message_zh, message_en })
    }

    /// The newer version of policy `i` (its `superseded_by`, followed) that has taken
    /// effect by `as_of`, if any.
    fn superseding(&self, i: usize, as_of: Date) -> Option<&str> {
        let p = self.set.policies.get(i)?;
        let mut next = p.doc.superseded_by.as_deref();
        let mut hops = 0;
        while let Some(id) = next {
            hops += 1;
            let q = self.set.policy(id)?;
            if hops > self.set.policies.len() {
                return None;
            }
            if q.doc.effective_from.is_none_or(|f| f <= as_of) {
                return Some(q.doc.id.as_str());
            }
            next = q.doc.superseded_by.as_deref();
        }
        None
    }

    /// Verdicts of every policy by the reference evaluator, in policy-set order. This is
    /// the oracle the fast paths are tested against.
    pub fn verdicts_reference(&self, profile: &Profile, as_of: Date) -> Vec<Verdict> {
        let ev = Evaluator::new(&self.set, profile, as_of);
        (0..self.set.policies.len()).map(|i| reference_verdict(&ev, i)).collect()
    }

    /// Matches one enterprise against every policy in force, with reasons, through the
    /// reference evaluator.
    pub fn match_reference(&self, profile: &Profile, as_of: Date) -> MatchOutcome {
        self.match_profile(profile, as_of, MatchPath::Reference)
    }

    /// Matches one enterprise against every policy in force, with reasons. Verdicts come
    /// from `path`; the reasons (score, unmet conditions, missing fields) are explained on
    /// demand from the same semantics.
    pub fn match_profile(&self, profile: &Profile, as_of: Date, path: MatchPath) -> MatchOutcome {
        self.match_profile_with(profile, as_of, path, &MatchOptions::default())
    }

    /// [`Engine::match_profile`] with options (tag filter, what to list, detail level; the
    /// `verdicts` level is answered at `summary` here: see [`Engine::answer`]).
    pub fn match_profile_with(&self, profile: &Profile, as_of: Date, path: MatchPath, opts: &MatchOptions) -> MatchOutcome {
        let mut m = self.matcher();
        let opts = MatchOptions { detail: opts.detail.max(Detail::Summary), ..opts.clone() };
        match self.answer(&mut m, profile, as_of, path, &opts) {
            Answer::Detailed(d) => d,
            // Not reached: the level is at least `summary`.
            Answer::Verdicts(v) => MatchOutcome {
                as_of: v.as_of,
                enterprise: v.enterprise,
                summary: v.summary,
                policies: Vec::new(),
                next_questions: Vec::new(),
                recommended: crate::graph::Combination::default(),
                warnings: v.warnings,
            },
        }
    }

    /// Matches one enterprise at the options' detail level, reusing the matcher `m` (one
    /// per thread). What it costs follows what it shows: verdicts of every policy come from
    /// `path`; the benefit estimates and the reasons of undetermined verdicts only for the
    /// eligible and undetermined policies in scope (the next questions and the
    /// recommendation need them); scores and conditions in words only for the policies
    /// listed.
    pub fn answer(&self, m: &mut Matcher, profile: &Profile, as_of: Date, path: MatchPath, opts: &MatchOptions) -> Answer<'_> {
        let ev = Evaluator::new(&self.set, profile, as_of);
        let verdicts: Vec<Verdict> = match path {
            MatchPath::Index => self.match_with(m, profile, as_of).iter().map(|t| Verdict::from_tri(*t)).collect(),
            MatchPath::Reference => (0..self.set.policies.len()).map(|i| reference_verdict(&ev, i)).collect(),
        };
        let (summary, mut listed) = self.listing(&verdicts, as_of, opts);
        let mut warnings: Vec<String> = profile.warnings.iter().map(|w| format!("{}: {}", w.path, w.message)).collect();
        warnings.extend(self.unknown_tags(&opts.tags));
        let enterprise = self.enterprise_name(profile);
        if opts.detail == Detail::Verdicts {
            listed.truncate(opts.limit.unwrap_or(usize::MAX));
            let policies = listed
                .iter()
                .filter_map(|(i, v)| self.set.policies.get(*i).map(|p| PolicyVerdict { id: p.doc.id.as_str(), verdict: *v }))
                .collect();
            return Answer::Verdicts(VerdictsOutcome { as_of, enterprise, summary, policies, warnings });
        }
        let candidates = self.candidates(&listed, m, &ev, path);
        let next_questions = outcome::next_questions(
            &self.set.schema,
            candidates
                .iter()
                .filter(|c| c.verdict == Verdict::Undetermined)
                .filter_map(|c| self.set.policies.get(c.policy).map(|p| (p.doc.id.as_str(), &c.why.fields, c.benefit.weight()))),
        );
        let recommend: Vec<(usize, rust_decimal::Decimal)> = candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Eligible || (opts.recommend_undetermined && c.verdict == Verdict::Undetermined))
            .map(|c| (c.policy, c.benefit.weight()))
            .collect();
        let recommended = crate::graph::best_combination(&self.set, &self.conflicts, &recommend);
        // The listed policies: scored (on the program's literals where every leaf is one,
        // else on a trace of the explanation's statuses), ordered, cut to the limit; then, at
        // `full`, the blocking conditions of those not eligible put into words.
        let ex = Explainer::for_notes(&ev);
        // `candidates` are the listed policies that are not ineligible, in the same order.
        let mut candidates = candidates.into_iter().peekable();
        // The trace a policy's words need (at `full`, for one not eligible) is made once,
        // for its score too when the index cannot count it.
        let words = |verdict: Verdict| opts.detail == Detail::Full && verdict != Verdict::Eligible;
        // Vectors of outcomes are given their length up front: grown by doubling, they were
        // copied over and over (a tenth of a full answer at 10k was `memmove`).
        let mut shown: Vec<(PolicyOutcome, Option<crate::explain::Trace<'_>>)> = Vec::with_capacity(listed.len());
        shown.extend(listed.iter().filter_map(|&(i, verdict)| {
            let p = self.set.policies.get(i)?;
            let head = self.heads.get(i)?;
            let candidate = candidates.next_if(|c| c.policy == i);
            let index_score = match path {
                MatchPath::Index => self.index.score(i, m),
                MatchPath::Reference => None,
            };
            let trace = (index_score.is_none() || words(verdict)).then(|| ex.trace(&p.condition, &p.condition_text, true));
            let score = match (index_score, &trace) {
                (Some(s), _) => s,
                (None, Some(t)) => t.score(),
                (None, None) => ex.trace(&p.condition, &p.condition_text, true).score(),
            };
            let (why, benefit) = match candidate {
                Some(c) => (Some(c.why), Some(c.benefit)),
                None => (None, None),
            };
            let trace = trace.filter(|_| words(verdict));
            Some((outcome::outcome(&ev, p, head, verdict, score, why.as_ref(), benefit), trace))
        }));
        // Ordered by position (outcomes are large to move), on keys gathered once (reading
        // the outcomes in every comparison misses the cache).
        let mut order: Vec<usize> = {
            let keys: Vec<_> = shown.iter().map(|(o, _)| outcome::order_key(o)).collect();
            let mut order: Vec<usize> = (0..keys.len()).collect();
            crate::sort::sort_by(&mut order, |&a, &b| keys.get(a).cmp(&keys.get(b)));
            order
        };
        order.truncate(opts.limit.unwrap_or(usize::MAX));
        let mut slots: Vec<Option<(PolicyOutcome, Option<crate::explain::Trace<'_>>)>> = shown.into_iter().map(Some).collect();
        let mut policies: Vec<PolicyOutcome> = Vec::with_capacity(order.len());
        policies.extend(order.into_iter().filter_map(|k| slots.get_mut(k).and_then(Option::take)).map(|(mut o, trace)| {
            if let Some(trace) = trace {
                outcome::put_into_words(&mut o, &ex, &trace);
            }
            o
        }));
        Answer::Detailed(MatchOutcome { as_of, enterprise, summary, policies, next_questions, recommended, warnings })
    }

    /// A warning for each tag asked for that no policy of the set carries (a filter that
    /// matches nothing would otherwise answer 0/0/0 in silence), with the nearest tag.
    pub fn unknown_tags(&self, tags: &[String]) -> Vec<String> {
        // The common case, no tags asked for, must not cost a walk over every policy's tags.
        if tags.is_empty() || tags.iter().all(|t| self.set.policies.iter().any(|p| p.doc.tags.contains(t))) {
            return Vec::new();
        }
        let known: std::collections::BTreeSet<&str> =
            crate::sort::set_of(self.set.policies.iter().flat_map(|p| p.doc.tags.iter().map(String::as_str)));
        tags.iter()
            .filter(|t| !known.contains(t.as_str()))
            .map(|t| {
                let hint = crate::suggest::closest(t, known.iter().copied()).map(|c| format!("; did you mean {c:?}?")).unwrap_or_default();
                let mut all = known.iter().take(30).copied().collect::<Vec<_>>().join(", ");
                if known.len() > 30 {
                    all.push_str(", …");
                }
                format!("options.tags: no policy has the tag {t:?}{hint} (the tags: {all})")
            })
            .collect()
    }

    /// The counts of the policies in scope (in force on `as_of`, with one of the tags) and
    /// the ones to list with their verdicts: eligible first, then undetermined, then (with
    /// `all`) ineligible, each in policy-set order.
    fn listing(&self, verdicts: &[Verdict], as_of: Date, opts: &MatchOptions) -> (Summary, Vec<(usize, Verdict)>) {
        let tagged =
            |i: usize| opts.tags.is_empty() || self.set.policies.get(i).is_some_and(|p| p.doc.tags.iter().any(|t| opts.tags.contains(t)));
        let mut summary = Summary::default();
        let mut listed: Vec<(usize, Verdict)> = Vec::new();
        for (i, v) in verdicts.iter().copied().enumerate() {
            if !tagged(i) {
                continue;
            }
            if !self.version_in_force(i, as_of) {
                summary.not_in_force += 1;
                continue;
            }
            summary.add(v);
            if v != Verdict::Ineligible || opts.all {
                listed.push((i, v));
            }
        }
        crate::sort::sort_by_key(&mut listed, |(_, v)| outcome::rank(*v));
        (summary, listed)
    }

    /// What the next questions and the recommendation need, for every eligible or
    /// undetermined policy of `listed` (in its order): the benefit estimate, and for an
    /// undetermined verdict the fields that would decide it (from the index's unknown
    /// literals, or from the evaluator on the reference path).
    fn candidates<'a>(&'a self, listed: &[(usize, Verdict)], m: &Matcher, ev: &Evaluator<'a>, path: MatchPath) -> Vec<Candidate> {
        let mut cache = std::collections::HashMap::new();
        listed
            .iter()
            .filter(|(_, v)| *v != Verdict::Ineligible)
            .filter_map(|&(i, verdict)| {
                let p = self.set.policies.get(i)?;
                let why = match (verdict, path) {
                    (Verdict::Undetermined, MatchPath::Index) => self.index.why_unknown(i, m, ev, &mut cache),
                    (Verdict::Undetermined, MatchPath::Reference) => ev.policy(i).err().unwrap_or_default(),
                    _ => Unknown::default(),
                };
                let benefit = match self.constant_benefits.get(i) {
                    Some(Some(b)) => b.clone(),
                    _ => outcome::estimate(ev, p),
                };
                Some(Candidate { policy: i, verdict, why, benefit })
            })
            .collect()
    }

    /// The enterprise's policy calendar (政策日历): application windows opening or closing,
    /// and policies ending, between `as_of` and `as_of + months`, for the policies it is
    /// eligible or nearly eligible (undetermined) for.
    pub fn calendar(&self, profile: &Profile, as_of: Date, months: i64, tags: &[String]) -> Vec<CalendarEntry> {
        let end = as_of.add_months(months).unwrap_or(as_of);
        let verdicts = self.verdicts(profile, as_of);
        let mut out = Vec::new();
        for (i, p) in self.set.policies.iter().enumerate() {
            let verdict = verdicts.get(i).copied().unwrap_or(Verdict::Ineligible);
            if verdict == Verdict::Ineligible
                || !self.version_in_force(i, as_of)
                || (!tags.is_empty() && !p.doc.tags.iter().any(|t| tags.contains(t)))
            {
                continue;
            }
            let w = p.doc.application_window.as_ref();
            for (date, event) in [
                (w.and_then(|w| w.opens), "application_opens"),
                (w.and_then(|w| w.closes), "application_closes"),
                (p.doc.effective_to, "policy_ends"),
            ] {
                if let Some(d) = date.filter(|d| as_of <= *d && *d <= end) {
                    out.push(CalendarEntry { date: d, event, policy: p.doc.id.clone(), title: p.doc.title.clone(), verdict });
                }
            }
        }
        crate::sort::sort_by(&mut out, |a, b| a.date.cmp(&b.date).then(a.policy.cmp(&b.policy)));
        out
    }

    /// Explains one policy for one enterprise.
    pub fn explain(&self, profile: &Profile, policy_id: &str, as_of: Date) -> Result<ExplainOutcome, EngineError> {
        let i = self
            .set
            .index_of(policy_id)
            .ok_or_else(|| EngineError::UnknownPolicy { id: policy_id.to_string(), suggestion: self.set.suggest_policy(policy_id) })?;
        let p = self.set.policies.get(i).ok_or_else(|| EngineError::UnknownPolicy { id: policy_id.to_string(), suggestion: None })?;
        let ev = Evaluator::new(&self.set, profile, as_of);
        let verdict = reference_verdict(&ev, i);
        let why = ev.policy(i).err();
        let ex = Explainer::new(&ev);
        let trace = ex.trace(&p.condition, &p.condition_text, true);
        let explanation = ex.render(&trace);
        let head = self.heads.get(i).cloned().unwrap_or_else(|| outcome::Head::of(p));
        let mut policy = outcome::outcome(&ev, p, &head, verdict, trace.score(), why.as_ref(), None);
        outcome::put_into_words(&mut policy, &ex, &trace);
        Ok(ExplainOutcome { as_of, not_in_force: self.not_in_force(i, as_of), policy, condition: p.condition_text.clone(), explanation })
    }

    fn enterprise_name(&self, profile: &Profile) -> Option<String> {
        let name = self.set.schema.field("name").and_then(|f| profile.text(f.id));
        let uscc = self.set.schema.field("uscc").and_then(|f| profile.text(f.id));
        match (name, uscc) {
            (Some(n), Some(u)) => Some(format!("{n}（{u}）")),
            (Some(n), None) => Some(n.to_string()),
            (None, Some(u)) => Some(u.to_string()),
            (None, None) => None,
        }
    }
}

/// Policy `i`'s verdict by the reference evaluator.
fn reference_verdict(ev: &Evaluator<'_>, i: usize) -> Verdict {
    match ev.policy(i) {
        Ok(true) => Verdict::Eligible,
        Ok(false) => Verdict::Ineligible,
        Err(_) => Verdict::Undetermined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Engine>();
    }

    /// The policies not in force, as the matcher keeps them, are `version_in_force`'s
    /// answers, on the bundled set (windows, a superseded version) over dates around its
    /// policies' windows, date after date with one matcher, and again after a change back.
    #[test]
    fn not_in_force_lists_are_version_in_force_answers() -> Result<(), Box<dyn std::error::Error>> {
        // The bundled set, with its first policy made an open-ended version that the second,
        // from 2026-04-01, supersedes.
        let mut set = Engine::embedded()?.policy_set().clone();
        let new_from = Date::parse("2026-04-01")?;
        let new_id = set.policies.get(1).map(|p| p.doc.id.clone());
        if let [old, new, ..] = set.policies.as_mut_slice() {
            (old.doc.superseded_by, old.doc.effective_from, old.doc.effective_to) = (new_id, None, None);
            (new.doc.effective_from, new.doc.effective_to) = (Some(new_from), None);
        }
        let e = Engine::from_set(set);
        let n = e.policy_set().policies.len();
        let mut dates: Vec<i32> = e.validity.iter().flat_map(|v| [v.from, v.to]).filter(|d| (-100_000..100_000).contains(d)).collect();
        dates.extend([0, 20_000, 21_000, new_from.day_number()]);
        let (mut marked, mut superseded) = (0, 0);
        let mut m = e.matcher();
        let other = Engine::embedded()?;
        for day in dates.iter().flat_map(|d| [d - 1, *d, d + 1, d - 1]) {
            let date = Date::from_day_number(day);
            let want: Vec<u32> = (0..n).filter(|&i| !e.version_in_force(i, date)).map(|i| i as u32).collect();
            assert_eq!(e.not_in_force_with(&mut m, date), want.as_slice(), "on {date}");
            marked += want.len();
            superseded +=
                want.iter().filter(|&&i| e.validity.get(i as usize).is_some_and(|v| v.superseded && v.from <= day && day <= v.to)).count();
            // Another engine with the same matcher gets its own answer, not the kept one.
            let theirs: Vec<u32> = (0..n).filter(|&i| !other.version_in_force(i, date)).map(|i| i as u32).collect();
            assert_eq!(other.not_in_force_with(&mut m, date), theirs.as_slice(), "the other engine on {date}");
        }
        assert!(marked > 0 && superseded > 0, "{marked} marked, {superseded} by a newer version");
        Ok(())
    }
}
