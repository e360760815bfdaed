//! The [`Engine`]: a schema and a compiled policy set, immutable after build, `Send +
//! Sync`, cheap to share across threads (clone the `Arc`). Every binding (CLI, WASM, C,
//! Python) goes through it.

use std::sync::Arc;

use serde::Serialize;

use crate::date::Date;
use crate::eval::{Evaluator, Tri};
use crate::explain::{Explainer, Explanation};
use crate::index::{IndexStats, Matcher, PolicyIndex};
use crate::outcome::{self, MatchOutcome, PolicyOutcome, Verdict};
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
}

/// Options of a match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// Only policies carrying one of these tags (政策包); all when empty.
    pub tags: Vec<String>,
    /// Also recommend undetermined policies (at their estimated benefit).
    pub recommend_undetermined: bool,
}

/// One date in an enterprise's policy calendar (政策日历).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, Serialize)]
pub struct ExplainOutcome {
    pub as_of: Date,
    pub policy: PolicyOutcome,
    pub condition: String,
    pub explanation: Explanation,
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
        Engine { set: Arc::new(set), index: Arc::new(index), conflicts: Arc::new(conflicts) }
    }

    /// The same engine with its index guards chosen from how often each condition holds
    /// on a sample of the platform's enterprises. Verdicts are unchanged (the tests check
    /// it); matching is faster when the sample resembles the enterprises matched later.
    pub fn tuned(&self, sample: &[Profile], as_of: Date) -> Engine {
        let index = PolicyIndex::build_tuned(&self.set, sample, as_of);
        Engine { set: self.set.clone(), index: Arc::new(index), conflicts: self.conflicts.clone() }
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
        let Some(p) = self.set.policies.get(i) else { return false };
        if !Self::in_force(p, as_of) {
            return false;
        }
        let mut next = p.doc.superseded_by.as_deref();
        let mut hops = 0;
        while let Some(id) = next {
            hops += 1;
            let Some(q) = self.set.policy(id) else { break };
            if hops > self.set.policies.len() {
                break;
            }
            if q.doc.effective_from.is_none_or(|f| f <= as_of) {
                return false;
            }
            next = q.doc.superseded_by.as_deref();
        }
        true
    }

    /// Verdicts of every policy by the reference evaluator, in policy-set order. This is
    /// the oracle the fast paths are tested against.
    pub fn verdicts_reference(&self, profile: &Profile, as_of: Date) -> Vec<Verdict> {
        let ev = Evaluator::new(&self.set, profile, as_of);
        (0..self.set.policies.len())
            .map(|i| match ev.policy(i) {
                Ok(true) => Verdict::Eligible,
                Ok(false) => Verdict::Ineligible,
                Err(_) => Verdict::Undetermined,
            })
            .collect()
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

    /// [`Engine::match_profile`] with options (tag filter, recommendation scope).
    pub fn match_profile_with(&self, profile: &Profile, as_of: Date, path: MatchPath, opts: &MatchOptions) -> MatchOutcome {
        let ev = Evaluator::new(&self.set, profile, as_of);
        let ex = Explainer::new(&ev);
        let fast: Option<Vec<Verdict>> = (path == MatchPath::Index).then(|| self.verdicts(profile, as_of));
        let mut out = Vec::new();
        let mut indices = Vec::new();
        for (i, p) in self.set.policies.iter().enumerate() {
            if !self.version_in_force(i, as_of) || (!opts.tags.is_empty() && !p.doc.tags.iter().any(|t| opts.tags.contains(t))) {
                continue;
            }
            indices.push(i);
            let verdict = match &fast {
                Some(v) => v.get(i).copied().unwrap_or(Verdict::Undetermined),
                None => Verdict::from_tri(match ev.policy(i) {
                    Ok(true) => Tri::True,
                    Ok(false) => Tri::False,
                    Err(_) => Tri::Unknown,
                }),
            };
            let explanation = ex.explain(&p.condition, &p.condition_text, true);
            out.push(outcome::outcome(&ev, p, verdict, &explanation));
        }
        let candidates: Vec<(usize, rust_decimal::Decimal)> = indices
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.verdict == Verdict::Eligible || (opts.recommend_undetermined && o.verdict == Verdict::Undetermined))
            .map(|(i, o)| (*i, o.benefit.weight()))
            .collect();
        let recommended = crate::graph::best_combination(&self.set, &self.conflicts, &candidates);
        let warnings = profile.warnings.iter().map(|w| format!("{}: {}", w.path, w.message)).collect();
        let mut r = outcome::assemble(as_of, self.enterprise_name(profile), out, warnings);
        r.recommended = recommended;
        r
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
        out.sort_by(|a, b| a.date.cmp(&b.date).then(a.policy.cmp(&b.policy)));
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
        let verdict = match ev.policy(i) {
            Ok(true) => Verdict::Eligible,
            Ok(false) => Verdict::Ineligible,
            Err(_) => Verdict::Undetermined,
        };
        let explanation = Explainer::new(&ev).explain(&p.condition, &p.condition_text, true);
        let policy = outcome::outcome(&ev, p, verdict, &explanation);
        Ok(ExplainOutcome { as_of, policy, condition: p.condition_text.clone(), explanation })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Engine>();
    }
}
