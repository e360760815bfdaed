//! Lint: findings about a policy set that compiles but may not say what its authors mean.
//!
//! Each finding names the policy, the position in its condition text where there is one,
//! and why. Checks: contradictory bounds on one value and disjoint code sets in a
//! conjunction (unsatisfiable), constant-true comparisons, conditions that fold to a
//! constant, policies implied by another with the same benefit (possible duplicates),
//! exclusions declared one way only, windows that end before the policy takes effect or
//! open after it ends, 免申即享 policies that need manual review, a policy that requires
//! what it excludes, single-member 就高 groups, unused definitions, schema fields no
//! policy uses, and — given an enterprise store — policies that reach no enterprise.
//! Given an evaluation date, also whether the set is current: reviews older than 12 months,
//! open-ended policies older than 3 years, end dates neither given nor declared open,
//! application windows that have closed, and superseded versions still matched.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::{Const, Node, NodeKind, Ty};
use crate::date::Date;
use crate::engine::Engine;
use crate::index::Program;
use crate::lang::ast::CmpOp;
use crate::lang::diag::line_col;
use crate::policy::{Mode, PolicySet};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[schemars(rename = "FindingLevel")]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
}

/// One lint finding.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "LintFinding")]
pub struct Finding {
    pub level: Level,
    /// Stable code, e.g. `unsatisfiable-bounds`.
    pub code: &'static str,
    pub policy: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Info => "info",
            Level::Warning => "warning",
        };
        write!(f, "{lvl}[{}]", self.code)?;
        if let Some(p) = &self.policy {
            write!(f, " {p}")?;
        }
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " {l}:{c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Distinct conjunctions compared pairwise for implication (quadratic), at most.
const MAX_PAIRWISE: usize = 3_000;

/// Findings of one kind listed, at most; the rest are counted in one more.
const MAX_PER_KIND: usize = 200;

/// Top-level conjuncts of a condition (definitions are not expanded: they are the
/// author's named units).
fn conjuncts(n: &Node) -> Vec<&Node> {
    match &n.kind {
        NodeKind::And(xs) => xs.iter().flat_map(conjuncts).collect(),
        _ => vec![n],
    }
}

/// A bound on a value: `op const` with the value on the left.
fn bound(n: &Node) -> Option<(Node, CmpOp, Decimal)> {
    if let NodeKind::Cmp { op, lhs, rhs } = &n.kind {
        match (&lhs.kind, &rhs.kind) {
            (_, NodeKind::Const(Const::Num(d))) if !lhs.is_const() => return Some((lhs.canonical(), *op, *d)),
            (NodeKind::Const(Const::Num(d)), _) if !rhs.is_const() => return Some((rhs.canonical(), op.flip(), *d)),
            _ => {}
        }
    }
    None
}

/// Whether `op` bounds are jointly unsatisfiable.
fn empty(bounds: &[(CmpOp, Decimal)]) -> bool {
    let mut lo: Option<(Decimal, bool)> = None; // (value, inclusive)
    let mut hi: Option<(Decimal, bool)> = None;
    let mut eq: Option<Decimal> = None;
    for (op, d) in bounds {
        match op {
            CmpOp::Ge | CmpOp::Gt => {
                let inc = *op == CmpOp::Ge;
                if lo.is_none_or(|(v, i)| *d > v || (*d == v && !inc && i)) {
                    lo = Some((*d, inc));
                }
            }
            CmpOp::Le | CmpOp::Lt => {
                let inc = *op == CmpOp::Le;
                if hi.is_none_or(|(v, i)| *d < v || (*d == v && !inc && i)) {
                    hi = Some((*d, inc));
                }
            }
            CmpOp::Eq => {
                if eq.is_some_and(|e| e != *d) {
                    return true;
                }
                eq = Some(*d);
            }
            CmpOp::Ne => {}
        }
    }
    if let Some(e) = eq {
        if lo.is_some_and(|(v, i)| e < v || (e == v && !i)) || hi.is_some_and(|(v, i)| e > v || (e == v && !i)) {
            return true;
        }
    }
    match (lo, hi) {
        (Some((l, li)), Some((h, hi_inc))) => l > h || (l == h && !(li && hi_inc)),
        _ => false,
    }
}

/// Bounds found on one value, and the first node that states one.
/// Per value (its canonical node, in order of appearance): its bounds and the first
/// conjunct that bounds it.
type Bounds<'n> = Vec<(Node, (Vec<(CmpOp, Decimal)>, &'n Node))>;

/// Per value: the code lists it must be under, the first such conjunct, its code system.
type Unders<'n> = Vec<(Node, (Vec<&'n Vec<String>>, &'n Node, usize))>;

/// The entry of `key` in a small association list (a policy has few conjuncts), in order
/// of first appearance; nodes compare structurally.
fn entry<K: PartialEq, V>(list: &mut Vec<(K, V)>, key: K, new: impl FnOnce() -> V) -> Option<&mut V> {
    let i = list.iter().position(|(k, _)| *k == key).unwrap_or_else(|| {
        list.push((key, new()));
        list.len() - 1
    });
    list.get_mut(i).map(|(_, v)| v)
}

struct Linter<'a> {
    set: &'a PolicySet,
    out: Vec<Finding>,
}

impl Linter<'_> {
    fn at(&mut self, level: Level, code: &'static str, policy: usize, node: Option<&Node>, message: String) {
        let p = self.set.policies.get(policy);
        let (line, column) = match (p, node) {
            (Some(p), Some(n)) if (n.span.end as usize) <= p.condition_text.len() && n.span.end > 0 => {
                let (l, c) = line_col(&p.condition_text, n.span.start as usize);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        self.out.push(Finding { level, code, policy: p.map(|p| p.doc.id.clone()), line, column, message });
    }

    fn condition(&mut self, i: usize, cond: &Node) {
        let parts = conjuncts(cond);
        // Contradictory bounds on one value.
        let mut by_value: Bounds<'_> = Vec::new();
        for n in &parts {
            if let Some((v, op, d)) = bound(n) {
                if let Some(e) = entry(&mut by_value, v, || (Vec::new(), n)) {
                    e.0.push((op, d));
                }
            }
            if let NodeKind::Between { expr, low, high, low_inclusive, high_inclusive } = &n.kind {
                if let (NodeKind::Const(Const::Num(a)), NodeKind::Const(Const::Num(b))) = (&low.kind, &high.kind) {
                    if let Some(e) = entry(&mut by_value, expr.canonical(), || (Vec::new(), n)) {
                        e.0.push((if *low_inclusive { CmpOp::Ge } else { CmpOp::Gt }, *a));
                        e.0.push((if *high_inclusive { CmpOp::Le } else { CmpOp::Lt }, *b));
                    }
                }
            }
        }
        for (_, (bounds, node)) in &by_value {
            if bounds.len() > 1 && empty(bounds) {
                self.at(
                    Level::Warning,
                    "unsatisfiable-bounds",
                    i,
                    Some(node),
                    "the bounds on this value contradict each other, so the policy can never be eligible".into(),
                );
            }
        }
        // Disjoint code sets: `x under A and x under B` with no code in both subtrees.
        let mut unders: Unders<'_> = Vec::new();
        for n in &parts {
            if let NodeKind::Under { expr, codes, system } = &n.kind {
                if let Some(e) = entry(&mut unders, expr.canonical(), || (Vec::new(), n, *system)) {
                    e.0.push(codes);
                }
            }
        }
        for (_, (sets, node, system)) in &unders {
            let Some(sys) = self.set.schema.codes.get(*system) else { continue };
            for (k, a) in sets.iter().enumerate() {
                for b in sets.iter().skip(k + 1) {
                    let overlap = a.iter().any(|x| b.iter().any(|y| sys.is_under(x, y) || sys.is_under(y, x)));
                    if !overlap {
                        self.at(
                            Level::Warning,
                            "disjoint-codes",
                            i,
                            Some(node),
                            format!(
                                "the code lists [{}] and [{}] share no code, so the policy can never be eligible",
                                a.join(", "),
                                b.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        self.walk(i, cond);
    }

    fn walk(&mut self, i: usize, n: &Node) {
        if let NodeKind::Cmp { op, lhs, rhs } = &n.kind {
            // `x >= 0` on a quantity that cannot be negative.
            let nonneg = |x: &Node| match &x.kind {
                NodeKind::Field { field, .. } => {
                    self.set.schema.field_by_id(*field).is_some_and(|f| !f.allow_negative && f.ty.dim().is_some())
                }
                NodeKind::Since { .. } => false,
                _ => false,
            };
            if let NodeKind::Const(Const::Num(d)) = &rhs.kind {
                if *op == CmpOp::Ge && d.is_zero() && nonneg(lhs) && matches!(lhs.ty, Ty::Num(_)) {
                    self.at(Level::Warning, "always-true", i, Some(n), "this comparison holds for every known value (the field is never negative); it only tests that the field is present — use known(…) if that is meant".into());
                }
            }
        }
        if let NodeKind::InSet { expr, items, negated: false } = &n.kind {
            if let Ty::Enum(e) = expr.ty {
                if self.set.schema.enum_def(e).is_some_and(|d| items.len() >= d.values.len()) {
                    self.at(
                        Level::Warning,
                        "always-true",
                        i,
                        Some(n),
                        "the list names every value of the enum, so this holds whenever the field is known".into(),
                    );
                }
            }
        }
        for c in n.children() {
            self.walk(i, c);
        }
    }
}

fn literals(p: &Program) -> Option<BTreeSet<(u32, bool)>> {
    match p {
        Program::Lit(i, n) => Some(BTreeSet::from([(*i, *n)])),
        Program::And(xs) => {
            let mut s = BTreeSet::new();
            for x in xs {
                match x {
                    Program::Lit(i, n) => {
                        s.insert((*i, *n));
                    }
                    _ => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}

/// A title with its years and bracketed round markers taken out, to spot two versions of
/// one policy that nobody linked: 「失业保险稳岗返还（2025年）」 and 「…（2026年）」.
fn title_stem(title: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in title.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            _ if depth > 0 || c.is_ascii_digit() || c == '年' || c == '度' || c.is_whitespace() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Findings about whether a policy set is current on `as_of`: policies not reviewed in
/// the last 12 months, open-ended policies older than 3 years, end dates neither given nor
/// declared open, application windows that have closed, and superseded versions that are
/// still matched (or whose own dates say they are current).
fn currency(engine: &Engine, as_of: Date, l: &mut Linter<'_>) {
    let set = engine.policy_set();
    let year_ago = as_of.add_months(-12);
    let three_years_ago = as_of.add_months(-36);
    for (i, p) in set.policies.iter().enumerate() {
        let d = &p.doc;
        let ended = d.effective_to.is_some_and(|t| t < as_of);
        // The version that replaces this one, when it has taken effect.
        let successor =
            d.superseded_by.as_deref().and_then(|id| set.policy(id)).filter(|q| q.doc.effective_from.is_none_or(|f| f <= as_of));
        let matched = engine.version_in_force(i, as_of);
        if let Some(q) = successor {
            if !ended {
                let since = q.doc.effective_from.map(|f| format!(" since {f}")).unwrap_or_default();
                let end = match (d.effective_to, q.doc.effective_from.and_then(|f| f.add_days(-1))) {
                    (Some(t), _) => format!("its effective_to {t} is still ahead"),
                    (None, Some(e)) => format!("it has no effective_to (it should end {e})"),
                    (None, None) => "it has no effective_to".into(),
                };
                l.at(
                    Level::Warning,
                    "superseded-still-matched",
                    i,
                    None,
                    format!("superseded by {}{since}, but {end}: only the superseded_by link keeps it from being matched, and anyone reading its dates (政策清单, calendar, other platforms) still sees it as current", q.doc.id),
                );
            }
            continue; // history: no review or window findings
        }
        if ended {
            continue;
        }
        match (d.reviewed_on, year_ago) {
            (None, _) => l.at(
                Level::Warning,
                "not-reviewed",
                i,
                None,
                "has no reviewed_on date: nobody has recorded checking it against its source".into(),
            ),
            (Some(r), Some(y)) if r < y => l.at(
                Level::Warning,
                "not-reviewed",
                i,
                None,
                format!("last reviewed {r}, more than 12 months before {as_of}: check that it is still in force and unchanged"),
            ),
            _ => {}
        }
        if d.effective_to.is_none() {
            let start = d.effective_from.or_else(|| Date::from_ymd(d.year, 1, 1));
            let old = match (start, three_years_ago) {
                (Some(s), Some(t)) => s < t,
                _ => false,
            };
            let fresh = match (d.reviewed_on, year_ago) {
                (Some(r), Some(y)) => r >= y,
                _ => false,
            };
            let since = start.map(|s| s.to_string()).unwrap_or_else(|| d.year.to_string());
            if old && d.open_ended && fresh {
                l.at(
                    Level::Info,
                    "open-ended-old",
                    i,
                    None,
                    format!("open-ended since {since}; declared a standing arrangement and reviewed within the last 12 months"),
                );
            } else if old {
                l.at(
                    Level::Warning,
                    "open-ended-old",
                    i,
                    None,
                    format!("has no end date and dates from {since}, more than 3 years before {as_of}: confirm it has not been replaced or repealed"),
                );
            } else if !d.open_ended {
                l.at(
                    Level::Warning,
                    "no-end-date",
                    i,
                    None,
                    "has neither effective_to nor \"open_ended\": true — is the end date unknown, or is there none?".into(),
                );
            }
        }
        if let Some(c) = d.application_window.as_ref().and_then(|w| w.closes) {
            if c < as_of && matched {
                l.at(
                    Level::Warning,
                    "window-closed",
                    i,
                    None,
                    format!("its application window closed {c}, but the policy is still matched on {as_of}: give the next round's window, or end the policy"),
                );
            }
        }
    }
    // Versions nobody linked: same title but for years, both matched on the date.
    let live: Vec<(usize, String)> = set
        .policies
        .iter()
        .enumerate()
        .filter(|(i, _)| engine.version_in_force(*i, as_of))
        .map(|(i, p)| (i, title_stem(&p.doc.title)))
        .collect();
    for (k, (i, a)) in live.iter().enumerate() {
        for (j, b) in live.iter().skip(k + 1) {
            let (Some(p), Some(q)) = (set.policies.get(*i), set.policies.get(*j)) else { continue };
            if a == b && !a.is_empty() && p.doc.title != q.doc.title {
                l.at(
                    Level::Warning,
                    "superseded-still-matched",
                    *i,
                    None,
                    format!("{} and {} look like two versions of one policy (titles differ only in years) and both are matched on {as_of}; link the older to the newer with superseded_by", p.doc.id, q.doc.id),
                );
            }
        }
    }
}

/// Lints a compiled engine's policy set. With `reach` (per policy: eligible and
/// undetermined counts over an enterprise store), policies that reach nobody are flagged.
pub fn lint(engine: &Engine, reach: Option<&[(u64, u64)]>) -> Vec<Finding> {
    lint_at(engine, reach, None)
}

/// [`lint`], and with `as_of` also whether the set is current on that date: reviews older
/// than 12 months, open-ended policies older than 3 years, missing end dates, closed
/// application windows, superseded versions still matched.
pub fn lint_at(engine: &Engine, reach: Option<&[(u64, u64)]>, as_of: Option<Date>) -> Vec<Finding> {
    let set = engine.policy_set();
    let mut l = Linter { set, out: Vec::new() };
    if let Some(d) = as_of {
        currency(engine, d, &mut l);
    }
    for (i, p) in set.policies.iter().enumerate() {
        policy_findings(engine, &mut l, i, p, reach);
    }
    manual_only_share(engine, &mut l, as_of);
    possible_duplicates(engine, &mut l);
    lonely_groups(&mut l);
    unused(&mut l);
    crate::sort::sort_by(&mut l.out, |a, b| b.level.cmp(&a.level).then(a.policy.cmp(&b.policy)).then(a.code.cmp(b.code)));
    cap_per_kind(l.out)
}

/// The findings on one policy: its condition (contradictions, constants), its window
/// against its validity, one-way exclusions, 免申即享 with manual review, manual-only, and
/// (with a store) no reach.
fn policy_findings(engine: &Engine, l: &mut Linter<'_>, i: usize, p: &crate::policy::Policy, reach: Option<&[(u64, u64)]>) {
    let set = l.set;
    l.condition(i, &p.condition);
    match engine.index().program(i) {
        Some(Program::Const(crate::eval::Tri::False)) => {
            l.at(Level::Warning, "constant-condition", i, None, "the condition is always false".into())
        }
        Some(Program::Const(crate::eval::Tri::True)) => {
            l.at(Level::Warning, "constant-condition", i, None, "the condition is always true: every enterprise is eligible".into())
        }
        _ => {}
    }
    // Windows against validity.
    if let Some(w) = &p.doc.application_window {
        if let (Some(c), Some(f)) = (w.closes, p.doc.effective_from) {
            if c < f {
                l.at(
                    Level::Warning,
                    "window-before-effect",
                    i,
                    None,
                    format!("the application window closes {c}, before the policy takes effect {f}"),
                );
            }
        }
        if let (Some(o), Some(t)) = (w.opens, p.doc.effective_to) {
            if o > t {
                l.at(Level::Warning, "window-after-end", i, None, format!("the application window opens {o}, after the policy ends {t}"));
            }
        }
    }
    // Exclusions declared one way only.
    for x in &p.doc.excludes {
        if let Some(q) = set.policy(x) {
            if !q.doc.excludes.contains(&p.doc.id) {
                l.at(
                    Level::Info,
                    "one-way-exclusion",
                    i,
                    None,
                    format!(
                        "excludes {x}, but {x} does not exclude {} (treated as symmetric; declare both sides to make it explicit)",
                        p.doc.id
                    ),
                );
            }
        }
        if p.doc.requires.contains(x) {
            l.at(Level::Warning, "requires-excluded", i, None, format!("requires {x} and excludes it: the two can never be combined"));
        }
    }
    // 免申即享 needs data-decidable conditions.
    if p.doc.mode == Mode::Automatic {
        let mut manual = false;
        fn has_manual(n: &Node, out: &mut bool) {
            if matches!(n.kind, NodeKind::ManualReview(_)) {
                *out = true;
            }
            n.children().into_iter().for_each(|c| has_manual(c, out));
        }
        has_manual(&p.condition, &mut manual);
        if manual {
            l.at(
                Level::Warning,
                "automatic-needs-review",
                i,
                None,
                "marked 免申即享 (automatic), but its condition needs manual review, so it can never be paid without a person".into(),
            );
        }
    }
    if crate::manual_only::manual_only(set, i) {
        l.at(
            Level::Info,
            "manual-only",
            i,
            None,
            "every path to eligible passes through manual_review: only a person can make it eligible, whatever the profile holds".into(),
        );
    }
    if let Some((e, u)) = reach.and_then(|r| r.get(i)) {
        if *e == 0 && *u == 0 {
            l.at(Level::Warning, "no-reach", i, None, "reaches no enterprise of the store (0 eligible, 0 undetermined)".into());
        }
    }
}

/// The share of the set (of the policies in force, on a date) that only a person can make
/// eligible.
fn manual_only_share(engine: &Engine, l: &mut Linter<'_>, as_of: Option<Date>) {
    let set = l.set;
    let in_force: Vec<usize> = (0..set.policies.len()).filter(|&i| as_of.is_none_or(|d| engine.version_in_force(i, d))).collect();
    let manual = in_force.iter().filter(|&&i| crate::manual_only::manual_only(set, i)).count();
    if !in_force.is_empty() {
        let pct = manual * 1000 / in_force.len();
        l.out.push(Finding {
            level: Level::Info,
            code: "manual-only-share",
            policy: None,
            line: None,
            column: None,
            message: format!(
                "{manual} of {} policies{} can be eligible only through manual review ({}.{}%)",
                in_force.len(),
                as_of.map(|d| format!(" in force on {d}")).unwrap_or_default(),
                pct / 10,
                pct % 10
            ),
        });
    }
}

/// Possible duplicates: a conjunction implied by another's, with the same benefit.
/// Policies with the same literals are grouped first (one finding per group, however many
/// copies: N copies once gave N²/2 findings); implication between distinct conjunctions is
/// checked pairwise only while that stays small.
fn possible_duplicates(engine: &Engine, l: &mut Linter<'_>) {
    let set = l.set;
    let lits: Vec<Option<BTreeSet<(u32, bool)>>> = (0..set.policies.len()).map(|i| engine.index().program(i).and_then(literals)).collect();
    let mut same: BTreeMap<&BTreeSet<(u32, bool)>, Vec<Vec<usize>>> = BTreeMap::new();
    for (i, a) in lits.iter().enumerate() {
        let (Some(a), Some(p)) = (a, set.policies.get(i)) else { continue };
        let groups = same.entry(a).or_default();
        match groups.iter_mut().find(|g| g.first().and_then(|&j| set.policies.get(j)).is_some_and(|q| q.doc.benefit == p.doc.benefit)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut reps: Vec<usize> = Vec::new();
    for groups in same.values() {
        for g in groups {
            let (Some(&first), true) = (g.first(), g.len() > 1) else {
                reps.extend(g.first());
                continue;
            };
            reps.push(first);
            let others: Vec<&str> = g.iter().skip(1).take(10).filter_map(|&j| set.policies.get(j)).map(|q| q.doc.id.as_str()).collect();
            let more = if g.len() > 11 { format!(" and {} more", g.len() - 11) } else { String::new() };
            l.at(
                Level::Warning,
                "possible-duplicate",
                first,
                None,
                format!("the same condition and benefit as {}{more}: possibly the same item {} times", others.join(", "), g.len()),
            );
        }
    }
    if reps.len() <= MAX_PAIRWISE {
        for &i in &reps {
            for &j in &reps {
                let (Some(Some(a)), Some(Some(b)), Some(pa), Some(pb)) =
                    (lits.get(i), lits.get(j), set.policies.get(i), set.policies.get(j))
                else {
                    continue;
                };
                if i != j && a != b && a.is_superset(b) && pa.doc.benefit == pb.doc.benefit {
                    l.at(
                        Level::Warning,
                        "possible-duplicate",
                        i,
                        None,
                        format!("its condition implies that of {} and both pay the same: possibly the same item twice", pb.doc.id),
                    );
                }
            }
        }
    } else {
        l.out.push(Finding {
            level: Level::Info,
            code: "duplicate-check-limited",
            policy: None,
            line: None,
            column: None,
            message: format!(
                "{} distinct conjunctions: policies with the same condition and benefit were grouped, but implication between different ones was not checked (more than {MAX_PAIRWISE})",
                reps.len()
            ),
        });
    }
}

/// 就高 groups with one member.
fn lonely_groups(l: &mut Linter<'_>) {
    let set = l.set;
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in set.policies.iter().enumerate() {
        if let Some(g) = &p.doc.exclusive_group {
            groups.entry(g.as_str()).or_default().push(i);
        }
    }
    for (g, members) in groups {
        if let [only] = members.as_slice() {
            l.at(
                Level::Info,
                "lonely-group",
                *only,
                None,
                format!("is the only member of exclusive group {g:?}, which therefore has no effect"),
            );
        }
    }
}

/// Definitions and schema fields no policy uses (conditions and benefits: a rate that
/// depends on the size class, the premium a refund is a share of).
fn unused(l: &mut Linter<'_>) {
    let set = l.set;
    let reads = set.reads(set.policies.iter().flat_map(crate::policy::Policy::expressions));
    for (k, d) in set.definitions.iter().enumerate() {
        if !d.derived && !reads.definitions.get(k).copied().unwrap_or(false) {
            l.out.push(Finding {
                level: Level::Info,
                code: "unused-definition",
                policy: None,
                line: None,
                column: None,
                message: format!("definition {} is not used by any policy", d.name),
            });
        }
    }
    let unused: Vec<&str> = set
        .schema
        .fields
        .iter()
        .filter(|f| reads.fields.binary_search(&f.id).is_err() && f.name != "uscc" && f.name != "name")
        .map(|f| f.name.as_str())
        .collect();
    if !unused.is_empty() {
        l.out.push(Finding {
            level: Level::Info,
            code: "unused-fields",
            policy: None,
            line: None,
            column: None,
            message: format!("{} schema fields are used by no policy: {}", unused.len(), unused.join(", ")),
        });
    }
}

/// At most [`MAX_PER_KIND`] findings of each kind, in order; the rest of a kind counted in
/// one more finding of that kind (a set of many near-identical policies stays readable).
fn cap_per_kind(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen: BTreeMap<&'static str, (Level, usize)> = BTreeMap::new();
    let mut out = Vec::with_capacity(findings.len().min(4 * MAX_PER_KIND));
    for f in findings {
        let n = seen.entry(f.code).or_insert((f.level, 0));
        n.1 += 1;
        if n.1 <= MAX_PER_KIND {
            out.push(f);
        }
    }
    for (code, (level, n)) in seen {
        if n > MAX_PER_KIND {
            out.push(Finding {
                level,
                code,
                policy: None,
                line: None,
                column: None,
                message: format!("{} more {code} findings not listed (the first {MAX_PER_KIND} are)", n - MAX_PER_KIND),
            });
        }
    }
    out
}
