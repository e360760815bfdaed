//! # Diff: what changed between two versions of a policy set, in words, and whom it reaches
//!
//! Officers publish a notice within days of a policy, so the comparison of the published
//! set with a draft has to be fast and trustworthy. [`diff`] compares two engines of the
//! same schema policy by policy (by id):
//!
//! - **added**, **removed**, and **changed** policies; a change that sets `superseded_by`
//!   is a supersession;
//! - for a changed policy, each part that changed, in words (zh and en): the condition
//!   conjunct by conjunct (a top-level `and` split into its parts; a part whose left side
//!   and operator stayed and whose bound moved is said as "from … to …"), the benefit,
//!   the validity and application window, the mode, the title, issuer, 文号 and tags, as
//!   the published list (`huiqi policies`) words them;
//! - with a store of enterprises and a date: per policy, the enterprises that gain or lose
//!   eligibility and that become or stop being undetermined, with counts and ids by page,
//!   from the store's bitmaps (gained = new AND NOT old), and the change in estimated
//!   benefit totals, from each changed enterprise's own estimate.
//!
//! Policies whose text is the same on both sides are not listed (only counted) unless a
//! definition changed, since a definition changes every policy that uses it: then every
//! policy's reach is compared. The reach costs one pass over the store per side for the
//! policies compared ([`crate::store::Prepared::reach_of`]), about two reverse queries.

use std::collections::{BTreeSet, HashMap};

#[cfg(feature = "stores")]
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::ListedPolicy;
use crate::date::Date;
use crate::engine::Engine;
use crate::lang::ast::{BinOp, Expr, ExprKind};
#[cfg(feature = "stores")]
use crate::store::Reach;
use crate::store::{EnterpriseStore, StoreError};

/// What became of a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
    Superseded,
    /// The same text, listed because a definition it uses changed (in its condition or its
    /// benefit, directly or through another definition).
    Definition,
}

/// One part of a policy that changed, in words.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PartChange {
    /// `condition`, `benefit`, `validity`, `window`, `mode`, `title`, `issuer`, `doc_no`,
    /// `level`, `tags`, `verified`, `superseded_by`, or `definition` (of the set).
    pub part: &'static str,
    /// The definition's name, for a change of `definition`.
    pub name: Option<String>,
    pub zh: String,
    pub en: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Eligible and undetermined counts of one version over the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub eligible: u64,
    pub undetermined: u64,
}

/// The estimated benefit totals that move, in 元 (exact decimals as strings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BenefitChange {
    /// What the enterprises that gain eligibility receive under the new version.
    pub gained_yuan: String,
    /// What the enterprises that lose it received under the old version.
    pub lost_yuan: String,
    /// For enterprises eligible under both, new minus old (when the benefit changed).
    pub changed_yuan: String,
    /// gained − lost + changed.
    pub net_yuan: String,
    /// Enterprises whose amount could not be estimated (a field it needs is missing, or the
    /// benefit has no amount): left out of the sums above.
    pub unestimated: u64,
}

/// Whom a change reaches.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ReachChange {
    pub old: Counts,
    pub new: Counts,
    /// Eligible under the new version and not under the old.
    pub gained: u64,
    /// Eligible under the old version and not under the new.
    pub lost: u64,
    /// Undetermined under the new version and not under the old.
    pub became_undetermined: u64,
    /// Undetermined under the old version and not under the new.
    pub no_longer_undetermined: u64,
    /// The ids of one page of each (`page`, `page_size`).
    pub gained_ids: Vec<String>,
    pub lost_ids: Vec<String>,
    pub became_undetermined_ids: Vec<String>,
    /// Absent when more enterprises changed than the estimate limit, or nothing changed.
    pub benefit: Option<BenefitChange>,
    /// Why `benefit` is absent when enterprises changed.
    pub benefit_note: Option<String>,
}

/// One policy that differs.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PolicyDiff {
    pub id: String,
    pub title: String,
    pub change: Change,
    pub changes: Vec<PartChange>,
    pub reach: Option<ReachChange>,
}

/// The answer of [`diff`].
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SetDiff {
    pub old_policies: usize,
    pub new_policies: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Definitions added, removed or changed, by name.
    pub definitions: Vec<PartChange>,
    pub policies: Vec<PolicyDiff>,
    pub as_of: Option<Date>,
    pub enterprises: Option<u32>,
}

/// How [`diff`] counts and pages.
#[derive(Clone, Copy, Debug)]
pub struct DiffOptions {
    /// Ids listed per page of gained, lost and undetermined enterprises.
    pub page_size: usize,
    /// The page (from 0).
    pub page: usize,
    /// How many enterprise benefits the whole diff estimates at most (each is one
    /// evaluation of one policy for one enterprise); a policy whose changed enterprises
    /// would pass it is not estimated, and says so.
    pub estimate_limit: u64,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions { page_size: 20, page: 0, estimate_limit: 100_000 }
    }
}

/// A store and the date to compare reach on.
pub struct ReachOn<'a> {
    pub store: &'a EnterpriseStore,
    pub as_of: Date,
}

/// Why a diff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A build without stores (the WASM package) compares texts only.
    #[error("this build has no stores: the reach of a diff is not available (the WASM package compares the texts only)")]
    NoStores,
}

/// Compares `old` with `new` (see the module doc).
pub fn diff(old: &Engine, new: &Engine, reach_on: Option<ReachOn<'_>>, opts: DiffOptions) -> Result<SetDiff, DiffError> {
    let old_list = crate::catalog::list(old, None, &[]);
    let new_list = crate::catalog::list(new, None, &[]);
    let old_by: HashMap<&str, &ListedPolicy> = old_list.iter().map(|p| (p.id.as_str(), p)).collect();
    let new_by: HashMap<&str, &ListedPolicy> = new_list.iter().map(|p| (p.id.as_str(), p)).collect();
    let definitions = definition_changes(old, new);
    let affected: Vec<String> = definitions.iter().filter_map(|c| c.name.clone()).collect();
    let mut policies = Vec::new();
    let mut unchanged = 0;
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    // Old order first, then the new policies in the new order.
    for o in &old_list {
        match new_by.get(o.id.as_str()) {
            None => {
                removed += 1;
                policies.push(PolicyDiff {
                    id: o.id.clone(),
                    title: o.title.clone(),
                    change: Change::Removed,
                    changes: vec![],
                    reach: None,
                });
            }
            Some(n) => {
                let parts = part_changes(old, new, o, n);
                if parts.is_empty() {
                    unchanged += 1;
                    if uses_any(new, &o.id, &affected) || uses_any(old, &o.id, &affected) {
                        policies.push(PolicyDiff {
                            id: o.id.clone(),
                            title: n.title.clone(),
                            change: Change::Definition,
                            changes: parts,
                            reach: None,
                        });
                    }
                } else {
                    changed += 1;
                    let superseded = parts.iter().any(|p| p.part == "superseded_by" && p.new.is_some());
                    let change = if superseded { Change::Superseded } else { Change::Changed };
                    policies.push(PolicyDiff { id: o.id.clone(), title: n.title.clone(), change, changes: parts, reach: None });
                }
            }
        }
    }
    for n in &new_list {
        if !old_by.contains_key(n.id.as_str()) {
            added += 1;
            policies.push(PolicyDiff { id: n.id.clone(), title: n.title.clone(), change: Change::Added, changes: vec![], reach: None });
        }
    }
    let (as_of, enterprises) = match &reach_on {
        Some(r) => (Some(r.as_of), Some(r.store.len())),
        None => (None, None),
    };
    if let Some(on) = reach_on {
        // Each side's prepare checks that the store was built with its schema.
        #[cfg(feature = "stores")]
        fill_reach(old, new, &on, opts, &mut policies)?;
        #[cfg(not(feature = "stores"))]
        {
            let _ = (on, opts);
            return Err(DiffError::NoStores);
        }
    }
    Ok(SetDiff {
        old_policies: old_list.len(),
        new_policies: new_list.len(),
        added,
        removed,
        changed,
        unchanged,
        definitions,
        policies,
        as_of,
        enterprises,
    })
}

#[cfg(feature = "stores")]
fn fill_reach(old: &Engine, new: &Engine, on: &ReachOn<'_>, opts: DiffOptions, policies: &mut [PolicyDiff]) -> Result<(), DiffError> {
    let wanted = |engine: &Engine| -> Vec<bool> {
        let set = engine.policy_set();
        let mut w = vec![false; set.policies.len()];
        for p in policies.iter() {
            if let Some(i) = set.index_of(&p.id) {
                if let Some(slot) = w.get_mut(i) {
                    *slot = engine.version_in_force(i, on.as_of);
                }
            }
        }
        w
    };
    let old_reach = on.store.prepare(old, on.as_of)?.reach_of(old, &wanted(old));
    let new_reach = on.store.prepare(new, on.as_of)?.reach_of(new, &wanted(new));
    let empty = Reach { eligible: Default::default(), undetermined: Default::default() };
    let mut budget = opts.estimate_limit;
    for p in policies.iter_mut() {
        let pick =
            |engine: &Engine, reach: &'_ [Reach]| -> Option<usize> { engine.policy_set().index_of(&p.id).filter(|i| *i < reach.len()) };
        let o = pick(old, &old_reach).and_then(|i| old_reach.get(i)).unwrap_or(&empty);
        let n = pick(new, &new_reach).and_then(|i| new_reach.get(i)).unwrap_or(&empty);
        let gained = &n.eligible - &o.eligible;
        let lost = &o.eligible - &n.eligible;
        let became = &n.undetermined - &o.undetermined;
        let settled = &o.undetermined - &n.undetermined;
        let page = |b: &roaring::RoaringBitmap| -> Vec<String> {
            b.iter()
                .skip(opts.page.saturating_mul(opts.page_size))
                .take(opts.page_size)
                .filter_map(|row| on.store.id(row).map(str::to_string))
                .collect()
        };
        let benefit_changed = p.changes.iter().any(|c| c.part == "benefit") || p.change == Change::Definition;
        let both = if benefit_changed { &n.eligible & &o.eligible } else { roaring::RoaringBitmap::new() };
        let to_estimate = gained.len() + lost.len() + both.len();
        let (benefit, benefit_note) = if to_estimate == 0 {
            (None, None)
        } else if to_estimate > budget {
            let note = format!(
                "not estimated: {to_estimate} enterprises to estimate, more than the {budget} left of the diff's limit of {} (--estimate-limit)",
                opts.estimate_limit
            );
            (None, Some(note))
        } else {
            budget -= to_estimate;
            (Some(estimate(old, new, on, &p.id, &gained, &lost, &both)), None)
        };
        p.reach = Some(ReachChange {
            old: Counts { eligible: o.eligible.len(), undetermined: o.undetermined.len() },
            new: Counts { eligible: n.eligible.len(), undetermined: n.undetermined.len() },
            gained: gained.len(),
            lost: lost.len(),
            became_undetermined: became.len(),
            no_longer_undetermined: settled.len(),
            gained_ids: page(&gained),
            lost_ids: page(&lost),
            became_undetermined_ids: page(&became),
            benefit,
            benefit_note,
        });
    }
    Ok(())
}

/// The benefit estimate of policy `id` under `engine` for enterprises of the store, one row
/// at a time: the policy's benefit evaluated on the fields it reads.
#[cfg(feature = "stores")]
struct Amounts<'e> {
    engine: &'e Engine,
    policy: Option<&'e crate::policy::Policy>,
    only: Vec<bool>,
}

#[cfg(feature = "stores")]
impl<'e> Amounts<'e> {
    fn new(engine: &'e Engine, id: &str) -> Amounts<'e> {
        let set = engine.policy_set();
        let policy = set.index_of(id).and_then(|i| set.policies.get(i));
        let mut only = vec![false; set.schema.fields.len()];
        if let Some(p) = policy {
            for f in set.reads(p.expressions()).fields {
                if let Some(slot) = only.get_mut(f) {
                    *slot = true;
                }
            }
        }
        Amounts { engine, policy, only }
    }

    fn of(&self, on: &ReachOn<'_>, row: u32) -> Option<Decimal> {
        let p = self.policy?;
        let set = self.engine.policy_set();
        let profile = on.store.profile_of(&set.schema, row, Some(&self.only));
        let ev = crate::eval::Evaluator::new(set, &profile, on.as_of);
        crate::outcome::estimate(&ev, p).amount_yuan.and_then(|a| a.parse::<Decimal>().ok())
    }
}

#[cfg(feature = "stores")]
fn estimate(
    old: &Engine,
    new: &Engine,
    on: &ReachOn<'_>,
    id: &str,
    gained: &roaring::RoaringBitmap,
    lost: &roaring::RoaringBitmap,
    both: &roaring::RoaringBitmap,
) -> BenefitChange {
    let (before, after) = (Amounts::new(old, id), Amounts::new(new, id));
    let mut unestimated = 0u64;
    let mut sum = |amounts: &Amounts<'_>, rows: &roaring::RoaringBitmap| -> Decimal {
        let mut total = Decimal::ZERO;
        for row in rows {
            match amounts.of(on, row) {
                Some(a) => total = total.saturating_add(a),
                None => unestimated += 1,
            }
        }
        total
    };
    let gained_yuan = sum(&after, gained);
    let lost_yuan = sum(&before, lost);
    let mut changed = Decimal::ZERO;
    for row in both {
        match (before.of(on, row), after.of(on, row)) {
            (Some(a), Some(b)) => changed = changed.saturating_add(b.saturating_sub(a)),
            _ => unestimated += 1,
        }
    }
    let s = |d: Decimal| d.normalize().to_string();
    BenefitChange {
        gained_yuan: s(gained_yuan),
        lost_yuan: s(lost_yuan),
        changed_yuan: s(changed),
        net_yuan: s(gained_yuan.saturating_sub(lost_yuan).saturating_add(changed)),
        unestimated,
    }
}

/// The parts of a policy that differ between two listings of it.
fn part_changes(old: &Engine, new: &Engine, o: &ListedPolicy, n: &ListedPolicy) -> Vec<PartChange> {
    let mut out = Vec::new();
    if o.condition != n.condition {
        out.extend(condition_changes(&o.condition, &n.condition));
    }
    let text = |part: &'static str, zh_name: &str, en_name: &str, a: Option<String>, b: Option<String>, out: &mut Vec<PartChange>| {
        if a != b {
            let shown = |v: &Option<String>, zh: bool| v.clone().unwrap_or_else(|| if zh { "（无）".into() } else { "(none)".into() });
            out.push(PartChange {
                part,
                name: None,
                zh: format!("{zh_name}：{} → {}", shown(&a, true), shown(&b, true)),
                en: format!("{en_name}: {} → {}", shown(&a, false), shown(&b, false)),
                old: a,
                new: b,
            });
        }
    };
    text("benefit", "优惠内容", "benefit", Some(o.benefit.clone()), Some(n.benefit.clone()), &mut out);
    // A benefit's amounts may change under the same words: compare what is computed.
    if out.iter().all(|c| c.part != "benefit") {
        let spec = |e: &Engine, id: &str| {
            e.policy_set().index_of(id).and_then(|i| e.policy_set().policies.get(i)).map(|p| format!("{:?}", p.doc.benefit))
        };
        let (a, b) = (spec(old, &o.id), spec(new, &n.id));
        if a != b {
            out.push(PartChange {
                name: None,
                part: "benefit",
                zh: "优惠内容的计算方式变更（金额、基数或上限）".into(),
                en: "the benefit's computation changed (amount, base or cap)".into(),
                old: a,
                new: b,
            });
        }
    }
    text("validity", "有效期", "validity", Some(o.validity.clone()), Some(n.validity.clone()), &mut out);
    text("window", "申报窗口", "application window", o.window.clone(), n.window.clone(), &mut out);
    text("mode", "兑现方式", "mode", Some(o.mode.to_string()), Some(n.mode.to_string()), &mut out);
    text("title", "标题", "title", Some(o.title.clone()), Some(n.title.clone()), &mut out);
    text("issuer", "发文机关", "issuer", Some(o.issuer.clone()), Some(n.issuer.clone()), &mut out);
    text("doc_no", "文号", "document number", Some(o.doc_no.clone()), Some(n.doc_no.clone()), &mut out);
    text("level", "层级", "level", Some(o.level.to_string()), Some(n.level.to_string()), &mut out);
    text("tags", "政策包", "tags", Some(o.tags.join("、")), Some(n.tags.join("、")), &mut out);
    text("verified", "原文核实", "text confirmed", o.verified.map(|v| v.to_string()), n.verified.map(|v| v.to_string()), &mut out);
    let superseded = |e: &Engine, id: &str| {
        e.policy_set().index_of(id).and_then(|i| e.policy_set().policies.get(i)).and_then(|p| p.doc.superseded_by.clone())
    };
    text("superseded_by", "被替代为", "superseded by", superseded(old, &o.id), superseded(new, &n.id), &mut out);
    out
}

/// A part of a condition, printed; for a comparison also its left side, operator and bound.
type Part = (String, Option<(String, String, String)>);

/// The parts of a condition: the operands of a top-level `and`, each printed canonically;
/// the whole condition when it is not an `and` (or does not parse).
fn conjuncts(text: &str) -> Vec<Part> {
    fn flatten<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match &e.kind {
            ExprKind::Binary { op: BinOp::And, lhs, rhs } => {
                flatten(lhs, out);
                flatten(rhs, out);
            }
            _ => out.push(e),
        }
    }
    let Ok(expr) = crate::lang::parse(text) else {
        return vec![(text.split_whitespace().collect::<Vec<_>>().join(" "), None)];
    };
    let mut parts = Vec::new();
    flatten(&expr, &mut parts);
    parts
        .into_iter()
        .map(|e| {
            let printed = crate::lang::pretty::print(e);
            // A comparison: its left side, operator and bound, to pair a moved bound.
            let bound = match &e.kind {
                ExprKind::Compare { op, lhs, rhs } => {
                    Some((crate::lang::pretty::print(lhs), format!("{op:?}"), crate::lang::pretty::print(rhs)))
                }
                _ => None,
            };
            (printed, bound)
        })
        .collect()
}

fn condition_changes(old: &str, new: &str) -> Vec<PartChange> {
    let a = conjuncts(old);
    let b = conjuncts(new);
    let a_texts: Vec<&str> = a.iter().map(|(t, _)| t.as_str()).collect();
    let b_texts: Vec<&str> = b.iter().map(|(t, _)| t.as_str()).collect();
    let removed: Vec<&Part> = a.iter().filter(|(t, _)| !b_texts.contains(&t.as_str())).collect();
    let added: Vec<&Part> = b.iter().filter(|(t, _)| !a_texts.contains(&t.as_str())).collect();
    let mut out = Vec::new();
    // A bound that moved: the same left side and operator on both sides.
    let (mut paired_removed, mut paired_added) = (BTreeSet::new(), BTreeSet::new());
    for (ri, r) in removed.iter().enumerate() {
        let Some((lhs, op, old_bound)) = &r.1 else { continue };
        let found = added
            .iter()
            .enumerate()
            .find(|(ai, a)| !paired_added.contains(ai) && a.1.as_ref().is_some_and(|(l, o, _)| l == lhs && o == op));
        if let Some((ai, a)) = found {
            let new_bound = a.1.as_ref().map(|(_, _, b)| b.clone()).unwrap_or_default();
            let what = strip_bound(&r.0, old_bound);
            out.push(PartChange {
                name: None,
                part: "condition",
                zh: format!("条件 {what} 的界限由 {old_bound} 改为 {new_bound}"),
                en: format!("condition {what}: the bound changed from {old_bound} to {new_bound}"),
                old: Some(r.0.clone()),
                new: Some(a.0.clone()),
            });
            paired_added.insert(ai);
            paired_removed.insert(ri);
        }
    }
    let removed = removed.iter().enumerate().filter(|(i, _)| !paired_removed.contains(i)).map(|(_, r)| *r);
    let added: Vec<_> = added.iter().enumerate().filter(|(i, _)| !paired_added.contains(i)).map(|(_, a)| *a).collect();
    for r in removed {
        out.push(PartChange {
            name: None,
            part: "condition",
            zh: format!("删去条件：{}", r.0),
            en: format!("condition removed: {}", r.0),
            old: Some(r.0.clone()),
            new: None,
        });
    }
    for a in added {
        out.push(PartChange {
            part: "condition",
            name: None,
            zh: format!("新增条件：{}", a.0),
            en: format!("condition added: {}", a.0),
            old: None,
            new: Some(a.0.clone()),
        });
    }
    if out.is_empty() {
        // The same parts in another order or grouping.
        out.push(PartChange {
            name: None,
            part: "condition",
            zh: "条件的写法变更（各项要求相同，顺序或分组不同）".into(),
            en: "the condition was rewritten (the same requirements, in another order or grouping)".into(),
            old: Some(old.to_string()),
            new: Some(new.to_string()),
        });
    }
    out
}

/// A comparison without its bound, for "the bound of … changed" (`注册资本 >=`).
fn strip_bound(printed: &str, bound: &str) -> String {
    printed.strip_suffix(bound).map(str::trim_end).unwrap_or(printed).to_string()
}

/// Whether policy `id` of `engine`'s set uses one of the definitions named in `defs`, in
/// its condition or its benefit, directly or through another definition.
fn uses_any(engine: &Engine, id: &str, defs: &[String]) -> bool {
    let set = engine.policy_set();
    let Some(p) = set.index_of(id).and_then(|i| set.policies.get(i)) else { return false };
    let used = set.reads(p.expressions()).definitions;
    set.definitions.iter().zip(used).any(|(d, u)| u && defs.contains(&d.name))
}

/// Definitions added, removed or changed between the sets, by name.
fn definition_changes(old: &Engine, new: &Engine) -> Vec<PartChange> {
    let defs = |e: &Engine| -> HashMap<String, String> {
        e.policy_set().definitions.iter().filter(|d| !d.derived).map(|d| (d.name.clone(), d.text.clone())).collect()
    };
    let (a, b) = (defs(old), defs(new));
    let names: BTreeSet<&String> = crate::sort::set_of(a.keys().chain(b.keys()));
    let mut out = Vec::new();
    for name in names {
        let (x, y) = (a.get(name), b.get(name));
        let collapse = |s: &String| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if x.map(collapse) == y.map(collapse) {
            continue;
        }
        let (zh, en) = match (x, y) {
            (None, Some(t)) => (format!("新增定义 {name}：{}", collapse(t)), format!("definition {name} added: {}", collapse(t))),
            (Some(_), None) => (format!("删去定义 {name}"), format!("definition {name} removed")),
            (Some(o), Some(n)) => (
                format!("定义 {name} 由 {} 改为 {}", collapse(o), collapse(n)),
                format!("definition {name} changed from {} to {}", collapse(o), collapse(n)),
            ),
            (None, None) => continue,
        };
        out.push(PartChange { part: "definition", name: Some(name.clone()), zh, en, old: x.cloned(), new: y.cloned() });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use std::sync::Arc;

    use super::*;
    use crate::schema::Schema;

    #[test]
    fn a_moved_bound_is_said_as_from_to_and_other_parts_as_added_or_removed() {
        let c = condition_changes("a >= 1 and b <= 300人 and c", "b <= 200人 and a >= 1 and d");
        let zh: Vec<&str> = c.iter().map(|c| c.zh.as_str()).collect();
        assert_eq!(zh, ["条件 b <= 的界限由 300人 改为 200人", "删去条件：c", "新增条件：d"], "{c:?}");
        assert_eq!(c[0].en, "condition b <=: the bound changed from 300人 to 200人");
        assert_eq!((c[1].old.as_deref(), c[1].new.as_deref()), (Some("c"), None));
        // The same parts in another order are one "rewritten" change, not nothing.
        let r = condition_changes("a and b", "b and a");
        assert_eq!(r.len(), 1);
        assert!(r[0].en.contains("rewritten"), "{r:?}");
        // An operator that changed is not a moved bound.
        let o = condition_changes("a >= 1", "a > 1");
        assert_eq!(o.iter().map(|c| c.zh.as_str()).collect::<Vec<_>>(), ["删去条件：a >= 1", "新增条件：a > 1"]);
    }

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::embedded().unwrap())
    }

    fn lines(values: &[serde_json::Value]) -> String {
        values.iter().map(|v| v.to_string() + "\n").collect()
    }

    #[test]
    fn policies_added_removed_changed_and_superseded_are_named() {
        let mut ps: Vec<serde_json::Value> = crate::gen::policies(5, 6).collect();
        let old = Engine::from_sources(schema(), &[("p.jsonl".into(), lines(&ps))]).unwrap();
        let removed = ps.remove(1)["id"].as_str().unwrap().to_string();
        ps[0]["title"] = "新标题".into();
        ps[2]["superseded_by"] = ps[3]["id"].clone();
        let mut extra = ps[4].clone();
        extra["id"] = "syn-new".into();
        ps.push(extra);
        let new = Engine::from_sources(schema(), &[("p.jsonl".into(), lines(&ps))]).unwrap();
        let d = diff(&old, &new, None, DiffOptions::default()).unwrap();
        assert_eq!((d.added, d.removed, d.changed, d.unchanged), (1, 1, 2, 3), "{d:?}");
        let by = |id: &str| d.policies.iter().find(|p| p.id == id).unwrap();
        assert_eq!(by(&removed).change, Change::Removed);
        assert_eq!(by("syn-new").change, Change::Added);
        let titled = by(ps[0]["id"].as_str().unwrap());
        assert_eq!(titled.change, Change::Changed);
        assert_eq!(titled.changes.len(), 1);
        assert_eq!(titled.changes[0].zh, "标题：合成政策0 → 新标题");
        let sup = by(ps[2]["id"].as_str().unwrap());
        assert_eq!(sup.change, Change::Superseded);
        assert!(sup.changes.iter().any(|c| c.part == "superseded_by" && c.new.as_deref() == ps[3]["id"].as_str()), "{sup:?}");
        assert!(d.as_of.is_none() && d.policies.iter().all(|p| p.reach.is_none()));
    }

    /// The reach of a diff against the reference evaluator run on every enterprise, for
    /// both versions: gained, lost and become undetermined, their counts and their first ids.
    #[cfg(feature = "stores")]
    #[test]
    fn the_reach_of_a_diff_is_what_the_reference_gives_on_every_enterprise() {
        use crate::outcome::Verdict;
        let mut ps: Vec<serde_json::Value> = crate::gen::policies(9, 120).collect();
        let old = Engine::from_sources(schema(), &[("p.jsonl".into(), lines(&ps))]).unwrap();
        // Every fourth policy: a bound moved (numbers halved), one part dropped or added.
        for (k, p) in ps.iter_mut().enumerate().filter(|(k, _)| k % 4 == 0) {
            let c = p["condition"].as_str().unwrap().to_string();
            let c = match k % 3 {
                0 => c.replacen(">= 10", ">= 5", 1).replacen("<= 1000万", "<= 500万", 1),
                1 => format!("({c}) or employees@fy1 >= 50"),
                _ => format!("({c}) and registered_capital >= 100万"),
            };
            p["condition"] = c.into();
        }
        ps.truncate(110);
        let new = Engine::from_sources(schema(), &[("p.jsonl".into(), lines(&ps))]).unwrap();
        let profiles: Vec<serde_json::Value> = crate::gen::enterprises(4, 500).collect();
        let (store, _) = EnterpriseStore::load_jsonl(&old.policy_set().schema, lines(&profiles).as_bytes(), Default::default()).unwrap();
        let date = Date::parse("2026-06-30").unwrap();
        let opts = DiffOptions { page_size: 7, page: 1, estimate_limit: 100_000 };
        let d = diff(&old, &new, Some(ReachOn { store: &store, as_of: date }), opts).unwrap();
        assert_eq!((d.removed, d.added), (10, 0));
        assert!(d.changed >= 20, "{}", d.changed);
        // Each enterprise's verdicts under both versions, by the reference evaluator.
        let verdicts = |e: &Engine| -> Vec<Vec<Verdict>> {
            profiles.iter().map(|p| e.verdicts_reference(&e.profile_from_json(&p.to_string()).unwrap(), date)).collect()
        };
        let (vo, vn) = (verdicts(&old), verdicts(&new));
        let mut moved = 0;
        let mut fixed_checked = 0;
        for p in &d.policies {
            let r = p.reach.as_ref().unwrap();
            let side = |e: &Engine, v: &[Vec<Verdict>], want: Verdict| -> Vec<usize> {
                match e.policy_set().index_of(&p.id).filter(|i| e.version_in_force(*i, date)) {
                    None => vec![],
                    Some(i) => (0..profiles.len()).filter(|row| v[*row][i] == want).collect(),
                }
            };
            let (oe, ne) = (side(&old, &vo, Verdict::Eligible), side(&new, &vn, Verdict::Eligible));
            let (ou, nu) = (side(&old, &vo, Verdict::Undetermined), side(&new, &vn, Verdict::Undetermined));
            let minus = |a: &[usize], b: &[usize]| -> Vec<usize> { a.iter().copied().filter(|x| !b.contains(x)).collect() };
            let (gained, lost, became) = (minus(&ne, &oe), minus(&oe, &ne), minus(&nu, &ou));
            assert_eq!((r.old.eligible, r.new.eligible), (oe.len() as u64, ne.len() as u64), "{}", p.id);
            assert_eq!((r.old.undetermined, r.new.undetermined), (ou.len() as u64, nu.len() as u64), "{}", p.id);
            assert_eq!(
                (r.gained, r.lost, r.became_undetermined),
                (gained.len() as u64, lost.len() as u64, became.len() as u64),
                "{}",
                p.id
            );
            assert_eq!(r.no_longer_undetermined, minus(&ou, &nu).len() as u64, "{}", p.id);
            let page = |rows: &[usize]| -> Vec<String> {
                rows.iter().skip(7).take(7).map(|row| store.id(*row as u32).unwrap().to_string()).collect()
            };
            assert_eq!(r.gained_ids, page(&gained), "{}", p.id);
            assert_eq!(r.lost_ids, page(&lost), "{}", p.id);
            assert_eq!(r.became_undetermined_ids, page(&became), "{}", p.id);
            // A fixed benefit: what the gained receive and the lost received, amount × count.
            let fixed = ps.iter().find(|q| q["id"] == p.id.as_str()).and_then(|q| {
                let b = &q["benefit"];
                (b["kind"] == "fixed").then(|| {
                    b["amount"].as_str().and_then(|a| a.strip_suffix('万')).map(|w| w.parse::<Decimal>().unwrap() * Decimal::from(10_000))
                })
            });
            if let (Some(Some(amount)), true) = (fixed, r.gained + r.lost > 0) {
                let b = r.benefit.as_ref().unwrap();
                assert_eq!(b.gained_yuan, (amount * Decimal::from(gained.len())).normalize().to_string(), "{}", p.id);
                assert_eq!(b.lost_yuan, (amount * Decimal::from(lost.len())).normalize().to_string(), "{}", p.id);
                assert_eq!((b.changed_yuan.as_str(), b.unestimated), ("0", 0), "{}", p.id);
                fixed_checked += 1;
            }
            moved += r.gained + r.lost + r.became_undetermined;
        }
        assert!(fixed_checked > 0, "no fixed benefit was estimated");
        // With no estimate budget, every policy whose enterprises changed says why it has no total.
        let none = DiffOptions { estimate_limit: 0, ..opts };
        let d0 = diff(&old, &new, Some(ReachOn { store: &store, as_of: date }), none).unwrap();
        for (a, b) in d.policies.iter().zip(&d0.policies) {
            let (ra, rb) = (a.reach.as_ref().unwrap(), b.reach.as_ref().unwrap());
            assert_eq!((ra.gained, ra.lost), (rb.gained, rb.lost));
            assert!(rb.benefit.is_none());
            assert_eq!(rb.benefit_note.is_some(), ra.benefit.is_some(), "{}", a.id);
        }
        assert!(moved > 0, "the changes moved no enterprise: the test would prove nothing");
    }
}
