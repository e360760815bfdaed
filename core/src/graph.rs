//! The policy set as a graph: exclusions, 就高 groups, the best combination to apply for,
//! versions and application windows.
//!
//! Prerequisites (`requires`, `eligible(…)`) are dependency edges checked for cycles when
//! the set compiles ([`crate::policy`]). Here are the *conflict* edges: `excludes`
//! (不得重复享受; symmetric whichever side declares it) and `exclusive_group` (就高: of a
//! group only one is paid, so every pair conflicts). The best combination for an
//! enterprise is a maximum-weight independent set of the conflict graph, weighted by the
//! estimated benefit: exact per connected component by branch and bound up to
//! [`EXACT_LIMIT`] policies and [`STEP_LIMIT`] branch-and-bound steps, greedy by weight
//! beyond (documented fallback, flagged `approximate`; real components are small). The
//! rest is near-linear in the candidates (union-find over their conflict edges), so the
//! search stays bounded however many policies an enterprise is eligible for. Ties prefer
//! more policies, then smaller ids, so the answer is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::UnGraph;
use petgraph::unionfind::UnionFind;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::Date;
use crate::policy::PolicySet;

/// Components up to this size are solved exactly.
pub const EXACT_LIMIT: usize = 40;

/// Why two policies cannot both be taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// `excludes`: not to be enjoyed together.
    Excludes,
    /// Same `exclusive_group`: only the highest is paid (就高).
    HighestOnly(String),
}

/// The conflict graph of a policy set.
#[derive(Clone, Debug)]
pub struct ConflictGraph {
    graph: UnGraph<usize, Conflict>,
}

impl ConflictGraph {
    /// Builds the conflict edges of a compiled set.
    pub fn build(set: &PolicySet) -> ConflictGraph {
        let mut graph = UnGraph::new_undirected();
        let nodes: Vec<_> = (0..set.policies.len()).map(|i| graph.add_node(i)).collect();
        let mut seen = BTreeSet::new();
        let mut add = |graph: &mut UnGraph<usize, Conflict>, a: usize, b: usize, c: Conflict| {
            let key = (a.min(b), a.max(b));
            if a != b && seen.insert(key) {
                if let (Some(&x), Some(&y)) = (nodes.get(a), nodes.get(b)) {
                    graph.add_edge(x, y, c);
                }
            }
        };
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in set.policies.iter().enumerate() {
            for x in &p.doc.excludes {
                if let Some(j) = set.index_of(x) {
                    add(&mut graph, i, j, Conflict::Excludes);
                }
            }
            if let Some(g) = &p.doc.exclusive_group {
                groups.entry(g.as_str()).or_default().push(i);
            }
        }
        for (g, members) in groups {
            for (k, &a) in members.iter().enumerate() {
                for &b in members.iter().skip(k + 1) {
                    add(&mut graph, a, b, Conflict::HighestOnly(g.to_string()));
                }
            }
        }
        ConflictGraph { graph }
    }

    /// The conflict between two policies, if any.
    pub fn conflict(&self, a: usize, b: usize) -> Option<&Conflict> {
        let (x, y) = (petgraph::graph::NodeIndex::new(a), petgraph::graph::NodeIndex::new(b));
        self.graph.find_edge(x, y).and_then(|e| self.graph.edge_weight(e))
    }

    /// Policies in conflict with `a`.
    pub fn neighbours(&self, a: usize) -> Vec<usize> {
        self.graph.neighbors(petgraph::graph::NodeIndex::new(a)).map(|n| n.index()).collect()
    }
}

/// A policy left out of the recommendation, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LeftOut {
    pub id: String,
    pub because_of: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The set of policies to apply for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Combination {
    pub policies: Vec<String>,
    /// Sum of the estimated benefits of the chosen policies, in 元.
    pub total_yuan: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
    /// Whether a component was larger than [`EXACT_LIMIT`] and solved greedily.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// Branch-and-bound steps allowed per component: a bound on the work of one match
/// whatever the conflict graph. Past it the best combination found so far is returned and
/// marked approximate. Real components (a 就高 group, a few exclusions) take tens of steps.
pub const STEP_LIMIT: u32 = 100_000;

/// Maximum-weight independent set by branch and bound on a small graph given as
/// adjacency bitmasks (`adj[i]` has bit j when i and j conflict). Returns the chosen mask.
pub fn best_exact(weights: &[Decimal], adj: &[u64]) -> u64 {
    best_bounded(weights, adj).0
}

/// [`best_exact`] within [`STEP_LIMIT`] steps: the chosen mask, and whether it is exact.
pub fn best_bounded(weights: &[Decimal], adj: &[u64]) -> (u64, bool) {
    fn rec(cand: u64, chosen: u64, value: Decimal, weights: &[Decimal], adj: &[u64], best: &mut (Decimal, u32, u64), steps: &mut u32) {
        if *steps == 0 {
            return;
        }
        *steps -= 1;
        // Bound: everything left, taken together, cannot beat the best.
        let mut rest = Decimal::ZERO;
        let mut m = cand;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            rest += weights.get(i).copied().unwrap_or_default().max(Decimal::ZERO);
        }
        let better = |v: Decimal, n: u32, c: u64, b: &(Decimal, u32, u64)| {
            v > b.0 || (v == b.0 && (n > b.1 || (n == b.1 && c.reverse_bits() > b.2.reverse_bits())))
        };
        if cand == 0 {
            if better(value, chosen.count_ones(), chosen, best) {
                *best = (value, chosen.count_ones(), chosen);
            }
            return;
        }
        if value + rest < best.0 {
            return;
        }
        // Branch on the candidate with the most conflicts (shrinks fastest).
        let mut pick = cand.trailing_zeros() as usize;
        let mut most = 0;
        let mut m = cand;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            let d = (adj.get(i).copied().unwrap_or(0) & cand).count_ones();
            if d > most {
                most = d;
                pick = i;
            }
        }
        let bit = 1u64 << pick;
        let w = weights.get(pick).copied().unwrap_or_default();
        rec(cand & !bit & !adj.get(pick).copied().unwrap_or(0), chosen | bit, value + w, weights, adj, best, steps);
        rec(cand & !bit, chosen, value, weights, adj, best, steps);
    }
    let n = weights.len().min(64);
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut best = (Decimal::MIN, 0, 0);
    let mut steps = STEP_LIMIT;
    rec(all, 0, Decimal::ZERO, weights, adj, &mut best, &mut steps);
    (best.2, steps > 0)
}

/// Recommends which of the `candidates` (policy index, estimated benefit in 元) to apply
/// for, respecting the conflict graph.
pub fn best_combination(set: &PolicySet, graph: &ConflictGraph, candidates: &[(usize, Decimal)]) -> Combination {
    // A candidate in conflict with no policy at all is taken as it is (most are): only the
    // others go through the search.
    type Weighted = Vec<(usize, Decimal)>;
    let (free, candidates): (Weighted, Weighted) =
        candidates.iter().copied().partition(|(i, _)| graph.graph.neighbors(petgraph::graph::NodeIndex::new(*i)).next().is_none());
    let mut combination = best_combination_of(set, graph, &candidates);
    if !free.is_empty() {
        // The free candidates' weights are summed as they are; only the searched ones
        // (usually few) are looked up.
        let weights: BTreeMap<usize, Decimal> = crate::sort::map_of(candidates.iter().copied());
        let picked: Vec<usize> = combination.policies.iter().filter_map(|id| set.index_of(id)).collect();
        let total: Decimal = free.iter().map(|(_, w)| *w).sum::<Decimal>() + picked.iter().filter_map(|i| weights.get(i)).sum::<Decimal>();
        let mut chosen: Vec<usize> = free.iter().map(|(i, _)| *i).collect();
        chosen.extend(picked);
        crate::sort::sort(&mut chosen);
        combination.policies = chosen.iter().filter_map(|&i| set.policies.get(i).map(|p| p.doc.id.clone())).collect();
        combination.total_yuan = total.normalize().to_string();
    }
    combination
}

fn best_combination_of(set: &PolicySet, graph: &ConflictGraph, candidates: &[(usize, Decimal)]) -> Combination {
    let pos: BTreeMap<usize, usize> = crate::sort::map_of(candidates.iter().enumerate().map(|(k, (i, _))| (*i, k)));
    let mut uf = UnionFind::<usize>::new(candidates.len());
    for (k, (i, _)) in candidates.iter().enumerate() {
        for j in graph.neighbours(*i) {
            if let Some(&l) = pos.get(&j) {
                uf.union(k, l);
            }
        }
    }
    let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for k in 0..candidates.len() {
        comps.entry(uf.find(k)).or_default().push(k);
    }
    let mut chosen: BTreeSet<usize> = BTreeSet::new();
    let mut approximate = false;
    for members in comps.values() {
        if members.len() <= EXACT_LIMIT {
            let weights: Vec<Decimal> = members.iter().map(|&k| candidates.get(k).map_or(Decimal::ZERO, |c| c.1)).collect();
            let adj: Vec<u64> = members
                .iter()
                .map(|&k| {
                    let i = candidates.get(k).map_or(usize::MAX, |c| c.0);
                    members
                        .iter()
                        .enumerate()
                        .filter(|(_, &l)| candidates.get(l).is_some_and(|c| graph.conflict(i, c.0).is_some()))
                        .fold(0u64, |m, (b, _)| m | (1 << b))
                })
                .collect();
            let (mask, exact) = best_bounded(&weights, &adj);
            approximate |= !exact;
            for (b, &k) in members.iter().enumerate() {
                if mask >> b & 1 == 1 {
                    if let Some(c) = candidates.get(k) {
                        chosen.insert(c.0);
                    }
                }
            }
        } else {
            approximate = true;
            let mut order: Vec<usize> = members.clone();
            crate::sort::sort_by(&mut order, |&a, &b| candidates.get(b).map(|c| c.1).cmp(&candidates.get(a).map(|c| c.1)));
            for k in order {
                let Some(&(i, _)) = candidates.get(k) else { continue };
                if chosen.iter().all(|&c| graph.conflict(i, c).is_none()) {
                    chosen.insert(i);
                }
            }
        }
    }
    let weights: BTreeMap<usize, Decimal> = crate::sort::map_of(candidates.iter().copied());
    let weight = |i: usize| weights.get(&i).copied().unwrap_or(Decimal::ZERO);
    let id = |i: usize| set.policies.get(i).map_or_else(String::new, |p| p.doc.id.clone());
    let title = |i: usize| set.policies.get(i).map_or_else(String::new, |p| p.doc.title.clone());
    let mut left_out = Vec::new();
    for &(i, w) in candidates {
        if chosen.contains(&i) {
            continue;
        }
        let Some(&by) = chosen.iter().find(|&&c| graph.conflict(i, c).is_some()) else { continue };
        let rule_zh = match graph.conflict(i, by) {
            Some(Conflict::HighestOnly(_)) => "就高享受",
            _ => "不得重复享受",
        };
        let pays_more = weight(by) >= w;
        left_out.push(LeftOut {
            id: id(i),
            because_of: id(by),
            message_zh: format!("与「{}」{rule_zh}，{}", title(by), if pays_more { "后者金额更高" } else { "与其他政策组合总额更高" }),
            message_en: format!(
                "excluded by {} ({}), {}",
                id(by),
                if rule_zh == "就高享受" { "only the highest is paid" } else { "not to be enjoyed together" },
                if pays_more { "which pays more" } else { "which with the others pays more in total" }
            ),
        });
    }
    let total: Decimal = chosen.iter().map(|&i| weight(i)).sum();
    Combination { policies: chosen.iter().map(|&i| id(i)).collect(), total_yuan: total.normalize().to_string(), left_out, approximate }
}

/// Where an application window stands on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    Upcoming,
    Open,
    /// Open, and closing within the given number of days.
    ClosingSoon,
    Closed,
    /// No window is published: the policy is applied for any time (or paid automatically).
    Always,
}

/// Status of a window on `as_of`, with "closing soon" meaning within `soon_days`.
pub fn window_status(opens: Option<Date>, closes: Option<Date>, as_of: Date, soon_days: i64) -> WindowStatus {
    match (opens, closes) {
        (None, None) => WindowStatus::Always,
        (Some(o), _) if as_of < o => WindowStatus::Upcoming,
        (_, Some(c)) if c < as_of => WindowStatus::Closed,
        (_, Some(c)) if as_of.days_until(c) <= soon_days => WindowStatus::ClosingSoon,
        _ => WindowStatus::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(weights: &[Decimal], adj: &[u64]) -> (Decimal, u32) {
        let n = weights.len();
        let mut best = (Decimal::MIN, 0);
        for mask in 0u64..(1 << n) {
            let ok = (0..n).all(|i| mask >> i & 1 == 0 || adj[i] & mask == 0);
            if !ok {
                continue;
            }
            let v: Decimal = (0..n).filter(|i| mask >> i & 1 == 1).map(|i| weights[i]).sum();
            let c = mask.count_ones();
            if v > best.0 || (v == best.0 && c > best.1) {
                best = (v, c);
            }
        }
        best
    }

    proptest::proptest! {
        #[test]
        fn exact_equals_brute_force(n in 1usize..12, edges in proptest::collection::vec((0usize..12, 0usize..12), 0..30), ws in proptest::collection::vec(0i64..50, 12)) {
            let weights: Vec<Decimal> = ws.iter().take(n).map(|w| Decimal::from(*w * 10_000)).collect();
            let mut adj = vec![0u64; n];
            for (a, b) in edges {
                if a < n && b < n && a != b {
                    adj[a] |= 1 << b;
                    adj[b] |= 1 << a;
                }
            }
            let mask = best_exact(&weights, &adj);
            // The chosen set is independent…
            for (i, a) in adj.iter().enumerate() {
                if mask >> i & 1 == 1 {
                    proptest::prop_assert_eq!(a & mask, 0);
                }
            }
            // …and as good as the best of all subsets (value, then size).
            let v: Decimal = (0..n).filter(|i| mask >> i & 1 == 1).map(|i| weights[i]).sum();
            proptest::prop_assert_eq!((v, mask.count_ones()), brute(&weights, &adj));
        }
    }

    #[test]
    fn windows() {
        let d = |s| Date::parse(s).expect("date");
        assert_eq!(window_status(Some(d("2026-07-01")), Some(d("2026-09-30")), d("2026-06-30"), 14), WindowStatus::Upcoming);
        assert_eq!(window_status(Some(d("2026-07-01")), Some(d("2026-09-30")), d("2026-07-01"), 14), WindowStatus::Open);
        assert_eq!(window_status(Some(d("2026-07-01")), Some(d("2026-09-30")), d("2026-09-20"), 14), WindowStatus::ClosingSoon);
        assert_eq!(window_status(Some(d("2026-07-01")), Some(d("2026-09-30")), d("2026-09-30"), 0), WindowStatus::ClosingSoon);
        assert_eq!(window_status(Some(d("2026-07-01")), Some(d("2026-09-30")), d("2026-10-01"), 14), WindowStatus::Closed);
        assert_eq!(window_status(None, None, d("2026-10-01"), 14), WindowStatus::Always);
    }
}
