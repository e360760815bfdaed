//! Which policies only a person can make eligible: every way the condition can come out
//! true passes through a `manual_review` leaf.
//!
//! `manual_review(…)` is never decided by the engine: it is always unknown, so an `and`
//! that needs it can at best be unknown, and a policy whose every path to *true* needs one
//! ends 待确定 for every enterprise, whatever its data. That is right where the text asks
//! for a judgment (an expert evaluation) and wrong where a field is simply missing from
//! the profile; lint reports these policies (`manual-only`) and their share of the set,
//! so the second kind can be found and encoded from data.
//!
//! The analysis is structural, over the checked tree with `not` carried down as polarity:
//! a leaf other than `manual_review` is assumed able to be true or false (so the answer
//! never claims a policy is manual-only when some enterprise could be eligible without a
//! person; it may miss a policy whose other leaves contradict each other, which the
//! `unsatisfiable-bounds` lint finds). Definitions and `eligible(…)` are followed, with a
//! depth bound.

use crate::check::{Node, NodeKind, RecordAgg};
use crate::policy::PolicySet;

/// Deepest chain of definitions and `eligible(…)` followed.
const MAX_DEPTH: usize = 64;

/// Whether policy `i` of `set` can be eligible only through manual review.
pub fn manual_only(set: &PolicySet, i: usize) -> bool {
    set.policies.get(i).is_some_and(|p| !can_be(set, &p.condition, true, 0))
}

/// Whether `n` can come out `want` (true or false) with every `manual_review` unknown.
fn can_be(set: &PolicySet, n: &Node, want: bool, depth: usize) -> bool {
    use NodeKind as K;
    if depth > MAX_DEPTH {
        return true;
    }
    let d = depth + 1;
    match &n.kind {
        K::ManualReview(_) => false,
        K::Not(x) => can_be(set, x, !want, d),
        // true: every part can be true; false: some part can be false (dually for `or`).
        K::And(xs) if want => xs.iter().all(|x| can_be(set, x, true, d)),
        K::And(xs) => xs.iter().any(|x| can_be(set, x, false, d)),
        K::Or(xs) if want => xs.iter().any(|x| can_be(set, x, true, d)),
        K::Or(xs) => xs.iter().all(|x| can_be(set, x, false, d)),
        // at least k true / more than n - k false.
        K::AtLeast(k, xs) => {
            let n = xs.len();
            let able = xs.iter().filter(|x| can_be(set, x, want, d)).count();
            if want {
                able >= *k as usize
            } else {
                able > n.saturating_sub(*k as usize)
            }
        }
        K::If { then, otherwise, .. } if n.ty == crate::check::Ty::Bool => can_be(set, then, want, d) || can_be(set, otherwise, want, d),
        K::Def(i) if n.ty == crate::check::Ty::Bool => set.definitions.get(*i).is_none_or(|x| can_be(set, &x.node, want, d)),
        K::Eligible(i) => set.policies.get(*i).is_none_or(|p| can_be(set, &p.condition, want, d)),
        // `any` is true through one record whose condition is true, false when none is;
        // `all` dually (an empty list makes `any` false and `all` true).
        K::Records { agg: RecordAgg::Any, cond: Some(c), .. } => !want || can_be(set, c, true, d),
        K::Records { agg: RecordAgg::All, cond: Some(c), .. } => want || can_be(set, c, false, d),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests assert by panicking")]

    use std::sync::Arc;

    use crate::engine::Engine;
    use crate::schema::Schema;

    fn only(conds: &[&str]) -> Vec<bool> {
        let policies: Vec<serde_json::Value> = conds
            .iter()
            .enumerate()
            .map(|(i, c)| {
                serde_json::json!({"id": format!("p{i}"), "title": "t", "issuer": "t", "doc_no": "t", "year": 2024, "level": "national",
                    "condition": c, "benefit": {"kind": "none", "description": "t"}, "source": {"document": "t"}})
            })
            .collect();
        let e = Engine::from_sources(
            Arc::new(Schema::embedded().unwrap()),
            &[("t.json".into(), serde_json::json!({"policies": policies}).to_string())],
        )
        .unwrap();
        (0..conds.len()).map(|i| super::manual_only(e.policy_set(), i)).collect()
    }

    #[test]
    fn every_path_through_manual_review() {
        assert_eq!(
            only(&[
                r#"is_legal_person and manual_review("专家")"#,
                r#"is_legal_person or manual_review("专家")"#,
                r#"not manual_review("专家")"#,
                r#"at_least(2, [is_legal_person, manual_review("a"), manual_review("b")])"#,
                r#"at_least(1, [is_legal_person, manual_review("a")])"#,
                r#"not (is_legal_person or manual_review("a"))"#,
                r#"not (is_legal_person and manual_review("a"))"#,
                r#"any(hires, manual_review("a"))"#,
                r#"not any(hires, manual_review("a"))"#,
                r#"eligible(p0) or registered_capital > 5万"#,
                r#"eligible(p0)"#,
            ]),
            vec![true, false, true, true, false, true, false, true, false, false, true]
        );
    }
}
