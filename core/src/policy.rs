//! Policy documents and policy sets.
//!
//! A policy (政策事项) is data, not code: id, title, issuer, 文号, level, region, validity
//! and application window, benefit, eligibility condition, relations, tags and source.
//! A policy set is a folder of JSON files (or one file); each file holds `policies` and may
//! hold `definitions` — named conditions or values shared by the whole set.
//!
//! [`PolicySet::compile`] parses and checks everything and reports *all* problems at once,
//! each located by file, policy id, JSON key and line:column inside the condition text.
//! Definitions, derived fields and `eligible(...)` references form graphs (petgraph); a
//! cycle is an error that names the cycle.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::check::{referenced_names, referenced_policies, Checker, Node, NodeKind, Scope, Ty};
use crate::date::Date;
use crate::lang::{self, Diagnostic, Expr, Span};
use crate::schema::{FieldId, Schema};
use crate::units::Dim;

/// Administrative level of the issuing body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Provincial,
    Municipal,
    District,
}

/// How the benefit reaches the enterprise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 申报: the enterprise applies.
    #[default]
    Apply,
    /// 免申即享: paid or granted without an application.
    Automatic,
}

/// An application window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub opens: Option<Date>,
    pub closes: Option<Date>,
}

/// Where the policy comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A condition as text (officers) or as a syntax tree (platforms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, try_from = "serde_json::Value")]
pub enum ConditionSpec {
    Text(String),
    Tree(Expr),
}

/// Read by hand rather than by serde's untagged enum, which buffers the whole tree first.
impl TryFrom<serde_json::Value> for ConditionSpec {
    type Error = String;
    fn try_from(v: serde_json::Value) -> Result<ConditionSpec, String> {
        match v {
            serde_json::Value::String(s) => Ok(ConditionSpec::Text(s)),
            v @ serde_json::Value::Object(_) => lang::json::expr_from_json(&v).map(ConditionSpec::Tree).map_err(|e| e.to_string()),
            _ => Err("a condition is a text or a syntax tree (a JSON object)".into()),
        }
    }
}

/// One tier of a tiered benefit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    pub when: String,
    pub amount: String,
}

/// How much a policy pays, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields, try_from = "RawBenefit")]
pub enum BenefitSpec {
    Fixed {
        amount: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    PerUnit {
        amount: String,
        count: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    Rate {
        rate: String,
        base: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    Tiers {
        tiers: Vec<TierSpec>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    None {
        description: String,
    },
}

/// A benefit as read, before its kind picks the fields it may have. serde's internally
/// tagged reader would buffer the object through its private `Content` type (slower, and
/// much bigger in WebAssembly); this flat struct reads straight from the text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBenefit {
    kind: String,
    amount: Option<String>,
    count: Option<String>,
    cap: Option<String>,
    rate: Option<String>,
    base: Option<String>,
    tiers: Option<Vec<TierSpec>>,
    description: Option<String>,
}

impl TryFrom<RawBenefit> for BenefitSpec {
    type Error = String;
    fn try_from(r: RawBenefit) -> Result<BenefitSpec, String> {
        let kind = r.kind.as_str();
        let present = [
            ("amount", r.amount.is_some()),
            ("count", r.count.is_some()),
            ("cap", r.cap.is_some()),
            ("rate", r.rate.is_some()),
            ("base", r.base.is_some()),
            ("tiers", r.tiers.is_some()),
        ];
        let allowed: &[&str] = match kind {
            "fixed" => &["amount"],
            "per_unit" => &["amount", "count", "cap"],
            "rate" => &["rate", "base", "cap"],
            "tiers" => &["tiers"],
            "none" => &[],
            other => {
                let kinds = ["fixed", "per_unit", "rate", "tiers", "none"];
                let hint = crate::suggest::closest(other, kinds).map(|n| format!(" (did you mean {n:?}?)")).unwrap_or_default();
                return Err(format!("unknown benefit kind {other:?}{hint}; expected one of {}", kinds.join(", ")));
            }
        };
        if let Some((field, _)) = present.iter().find(|(f, there)| *there && !allowed.contains(f)) {
            return Err(format!("a benefit of kind {kind:?} has no field {field:?}; its fields are {}", allowed.join(", ")));
        }
        let need = |v: Option<String>, field: &str| v.ok_or_else(|| format!("a benefit of kind {kind:?} needs {field:?}"));
        Ok(match kind {
            "fixed" => BenefitSpec::Fixed { amount: need(r.amount, "amount")?, description: r.description },
            "per_unit" => BenefitSpec::PerUnit {
                amount: need(r.amount, "amount")?,
                count: need(r.count, "count")?,
                cap: r.cap,
                description: r.description,
            },
            "rate" => {
                BenefitSpec::Rate { rate: need(r.rate, "rate")?, base: need(r.base, "base")?, cap: r.cap, description: r.description }
            }
            "tiers" => BenefitSpec::Tiers {
                tiers: r.tiers.ok_or_else(|| format!("a benefit of kind {kind:?} needs \"tiers\""))?,
                description: r.description,
            },
            _ => BenefitSpec::None { description: need(r.description, "description")? },
        })
    }
}

/// A policy as written in a policy file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub issuer: String,
    pub doc_no: String,
    pub year: i32,
    pub level: Level,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub effective_from: Option<Date>,
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// The policy has no end date on purpose (a standing arrangement, 长期实施), as opposed
    /// to an end date nobody has filled in. Not allowed together with `effective_to`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_ended: bool,
    /// When the policy was last checked against its source text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_on: Option<Date>,
    /// Whether the encoding was confirmed against the official text. `false` needs
    /// `unverified`, saying what could not be confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// What could not be confirmed against the official text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_window: Option<Window>,
    pub condition: ConditionSpec,
    pub benefit: BenefitSpec,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub excludes: Vec<String>,
    #[serde(default)]
    pub exclusive_group: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Id of the policy version that replaces this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    #[serde(default)]
    pub mode: Mode,
    pub source: SourceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, rename = "$comment", skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default, rename = "$comment")]
    _comment: Option<serde_json::Value>,
    #[serde(default)]
    definitions: BTreeMap<String, String>,
    #[serde(default)]
    policies: Vec<PolicyDoc>,
}

impl PolicyFile {
    fn of(policies: Vec<PolicyDoc>) -> PolicyFile {
        PolicyFile { _comment: None, definitions: BTreeMap::new(), policies }
    }
}

/// Which of the three file shapes an object is, read without keeping anything.
#[derive(Deserialize)]
struct FileShape {
    #[serde(default)]
    policies: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    definitions: Option<serde::de::IgnoredAny>,
}

/// Reads one policy file straight from its text (no `serde_json::Value` in between): a file
/// `{definitions, policies}`, one policy object, an array of policies, or — for `.jsonl` —
/// one policy per line, where each bad line is reported with its line number.
fn read_policy_file(origin: &str, text: &str, problems: &mut Vec<PolicyProblem>) -> Vec<PolicyFile> {
    // A byte-order mark (what some Windows editors write) is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    fn read(text: &str) -> Result<PolicyFile, serde_json::Error> {
        if text.trim_start().starts_with('[') {
            return serde_json::from_str::<Vec<PolicyDoc>>(text).map(PolicyFile::of);
        }
        match serde_json::from_str::<FileShape>(text) {
            Err(e) if !e.is_data() => Err(e),
            Ok(shape) if shape.policies.is_some() || shape.definitions.is_some() => serde_json::from_str::<PolicyFile>(text),
            _ => serde_json::from_str::<PolicyDoc>(text).map(|p| PolicyFile::of(vec![p])),
        }
    }
    let problem = |e: serde_json::Error, line: usize| {
        let (message, hint) = if e.is_data() {
            (
                format!("not a policy file: {e}"),
                Some("a file holds {\"definitions\": {…}, \"policies\": [ … ]}, one policy object, or an array of policies".into()),
            )
        } else {
            (format!("not valid JSON: {e}"), None)
        };
        PolicyProblem {
            origin: origin.to_string(),
            policy: None,
            location: "file".into(),
            line: Some(line),
            column: Some(e.column()),
            message,
            hint,
            rendered: None,
        }
    };
    match read(text) {
        Ok(f) => vec![f],
        // JSON lines: one policy per line (what `huiqi gen policies` writes).
        Err(e) if e.is_syntax() && origin.ends_with(".jsonl") => {
            let mut docs = Vec::new();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match serde_json::from_str::<PolicyDoc>(line) {
                    Ok(p) => docs.push(p),
                    Err(e) => problems.push(problem(e, n + 1)),
                }
            }
            vec![PolicyFile::of(docs)]
        }
        Err(e) => {
            let line = e.line();
            problems.push(problem(e, line));
            Vec::new()
        }
    }
}

/// One problem in a policy set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    /// File (or other origin) of the text.
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Which part: `condition`, `benefit.amount`, `definitions.good_credit`, `requires` …
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The diagnostic rendered with a caret excerpt, when it points into a text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(p) = &self.policy {
            write!(f, ": policy {p}")?;
        }
        write!(f, ": {}", self.location)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " {l}:{c}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Every problem found while compiling a policy set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the policy set:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct PolicySetError(pub Vec<PolicyProblem>);

/// A named definition or derived field, checked.
#[derive(Clone, Debug)]
pub struct Definition {
    pub name: String,
    pub label: Option<String>,
    pub text: String,
    pub node: Node,
    /// From the schema's derived fields (true) or a policy file's definitions.
    pub derived: bool,
}

/// A benefit, checked.
#[derive(Clone, Debug)]
pub enum Benefit {
    Fixed { amount: Node },
    PerUnit { amount: Node, count: Node, cap: Option<Node> },
    Rate { rate: Node, base: Node, cap: Option<Node> },
    Tiers { tiers: Vec<(Node, Node)> },
    None,
}

/// A policy, checked and ready to evaluate.
#[derive(Clone, Debug)]
pub struct Policy {
    pub doc: PolicyDoc,
    pub origin: String,
    /// The condition text (pretty-printed when given as a tree).
    pub condition_text: String,
    pub condition: Node,
    pub benefit: Benefit,
}

impl Policy {
    /// The policy's expressions: its condition, then its benefit's.
    pub fn expressions(&self) -> Vec<&Node> {
        let mut nodes = vec![&self.condition];
        match &self.benefit {
            Benefit::Fixed { amount } => nodes.push(amount),
            Benefit::PerUnit { amount, count, cap } => nodes.extend([Some(amount), Some(count), cap.as_ref()].into_iter().flatten()),
            Benefit::Rate { rate, base, cap } => nodes.extend([Some(rate), Some(base), cap.as_ref()].into_iter().flatten()),
            Benefit::Tiers { tiers } => nodes.extend(tiers.iter().flat_map(|(a, b)| [a, b])),
            Benefit::None => {}
        }
        nodes
    }
}

/// A compiled policy set over a schema.
#[derive(Clone, Debug)]
pub struct PolicySet {
    pub schema: Arc<Schema>,
    pub definitions: Vec<Definition>,
    pub policies: Vec<Policy>,
    by_id: HashMap<String, usize>,
    /// Policy indices in dependency order (`eligible(x)` before its users).
    pub order: Vec<usize>,
}

/// The real policies embedded in the library (data/policies at build time).
pub static EMBEDDED_POLICIES: &[(&str, &str)] = &[
    ("hitech.json", include_str!("../../data/policies/hitech.json")),
    ("tech-sme.json", include_str!("../../data/policies/tech-sme.json")),
    ("sme-tiers.json", include_str!("../../data/policies/sme-tiers.json")),
    ("small-low-profit.json", include_str!("../../data/policies/small-low-profit.json")),
    ("rd-super-deduction.json", include_str!("../../data/policies/rd-super-deduction.json")),
    ("advanced-manufacturing-vat.json", include_str!("../../data/policies/advanced-manufacturing-vat.json")),
    ("jinan-hitech-zone.json", include_str!("../../data/policies/jinan-hitech-zone.json")),
    ("employment.json", include_str!("../../data/policies/employment.json")),
    ("jinan-restructuring.json", include_str!("../../data/policies/jinan-restructuring.json")),
    ("shandong-first-set-equipment.json", include_str!("../../data/policies/shandong-first-set-equipment.json")),
    ("smb-tax-relief.json", include_str!("../../data/policies/smb-tax-relief.json")),
    ("hiring-tax-deductions.json", include_str!("../../data/policies/hiring-tax-deductions.json")),
    ("tech-innovation-tax.json", include_str!("../../data/policies/tech-innovation-tax.json")),
    ("eit-law-preferences.json", include_str!("../../data/policies/eit-law-preferences.json")),
    ("more-tax-procurement.json", include_str!("../../data/policies/more-tax-procurement.json")),
    ("projects-ic-self-employment.json", include_str!("../../data/policies/projects-ic-self-employment.json")),
    ("vat-preferences.json", include_str!("../../data/policies/vat-preferences.json")),
];

/// Most problems reported for one file; the rest are counted in one closing line. Each
/// problem renders an excerpt of its line, so an uncapped list of bad items in one long
/// line costs time and memory with the square of its length (docs/limits.md).
pub const MAX_PROBLEMS_PER_FILE: usize = 100;

struct Problems {
    list: Vec<PolicyProblem>,
    /// Problems seen per origin (shown or not).
    seen: BTreeMap<String, usize>,
}

impl Problems {
    /// Counts a problem of `origin`; whether it is still to be shown.
    fn admit(&mut self, origin: &str) -> bool {
        let n = self.seen.entry(origin.to_string()).or_insert(0);
        *n += 1;
        *n <= MAX_PROBLEMS_PER_FILE
    }

    fn push(&mut self, p: PolicyProblem) {
        if self.admit(&p.origin) {
            self.list.push(p);
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems shown, and one line per file whose problems were not all shown.
    fn into_list(self) -> Vec<PolicyProblem> {
        let mut list = self.list;
        for (origin, n) in self.seen {
            if n > MAX_PROBLEMS_PER_FILE {
                list.push(PolicyProblem {
                    origin,
                    policy: None,
                    location: "file".into(),
                    line: None,
                    column: None,
                    message: format!(
                        "{} more problems not shown (at most {MAX_PROBLEMS_PER_FILE} are shown per file)",
                        n - MAX_PROBLEMS_PER_FILE
                    ),
                    hint: Some("fix the problems shown and check again".into()),
                    rendered: None,
                });
            }
        }
        list
    }

    fn plain(&mut self, origin: &str, policy: Option<&str>, location: &str, message: String, hint: Option<String>) {
        self.push(PolicyProblem {
            origin: origin.into(),
            policy: policy.map(Into::into),
            location: location.into(),
            line: None,
            column: None,
            message,
            hint,
            rendered: None,
        });
    }

    fn diag(&mut self, origin: &str, policy: Option<&str>, location: &str, text: &str, d: &Diagnostic) {
        // Counted before anything is rendered: rendering is what costs.
        if !self.admit(origin) {
            return;
        }
        let (line, column) = d.line_col(text);
        let rendered = d.render(text, &format!("{origin}: {}{location} ", policy.map(|p| format!("{p}: ")).unwrap_or_default()));
        self.list.push(PolicyProblem {
            origin: origin.into(),
            policy: policy.map(Into::into),
            location: location.into(),
            line: Some(line),
            column: Some(column),
            message: d.message.clone(),
            hint: d.hint.clone(),
            rendered: Some(rendered),
        });
    }
}

/// Most levels a condition may nest once the definitions and `eligible(…)` policies it uses
/// are expanded in place: what the evaluator and the explanation recurse through. Twice
/// the depth of one tree ([`crate::lang::ast::MAX_TREE_DEPTH`]); see docs/limits.md.
pub const MAX_EXPANDED_DEPTH: usize = 2 * crate::lang::ast::MAX_TREE_DEPTH;

/// How deep `n` nests with every definition and `eligible(…)` it uses expanded, given the
/// expanded depths of those already computed (`defs`, `policies`; 0 when unknown).
/// Iterative: safe on any tree.
fn expanded_depth(n: &Node, defs: &[usize], policies: &[usize]) -> usize {
    use crate::check::NodeKind;
    let mut deepest = 0;
    let mut stack = vec![(n, 1usize)];
    while let Some((x, d)) = stack.pop() {
        let below = match x.kind {
            NodeKind::Def(i) => defs.get(i).copied().unwrap_or(0),
            NodeKind::Eligible(i) => policies.get(i).copied().unwrap_or(0),
            _ => 0,
        };
        deepest = deepest.max(d + below);
        stack.extend(x.children().into_iter().map(|c| (c, d + 1)));
    }
    deepest
}

fn is_policy_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !s.starts_with('-')
}

/// Finds one cycle in a graph restricted to the nodes of a strongly connected component,
/// returned as a path that starts and ends at the same node.
fn cycle_path<N: Clone>(g: &DiGraph<N, ()>, scc: &[NodeIndex]) -> Vec<N> {
    let Some(&start) = scc.first() else { return Vec::new() };
    let mut path = vec![start];
    let mut cur = start;
    for _ in 0..=scc.len() {
        let next = g.neighbors(cur).filter(|n| scc.contains(n)).min_by_key(|n| if *n == start { 0 } else { 1 + n.index() });
        let Some(next) = next else { break };
        let seen = path.contains(&next);
        path.push(next);
        if next == start || seen {
            break;
        }
        cur = next;
    }
    path.into_iter().filter_map(|i| g.node_weight(i).cloned()).collect()
}

/// Whether a graph's SCC is a cycle (more than one node, or a self-loop).
fn is_cycle<N>(g: &DiGraph<N, ()>, scc: &[NodeIndex]) -> bool {
    scc.len() > 1 || scc.first().is_some_and(|&n| g.contains_edge(n, n))
}

/// The syntax trees [`PolicySet::compile_with`] uses: taken from a saved set while its
/// texts match, parsed otherwise; recorded when saving. It lives here, with the compiler
/// that asks for trees, so that `crate::saved` depends on this module and not the reverse.
#[derive(Default)]
pub(crate) struct Trees {
    pub(crate) saved: std::vec::IntoIter<(String, Expr)>,
    pub(crate) record: Option<Vec<(String, Expr)>>,
    pub(crate) parsed: usize,
}

impl Trees {
    /// The tree of `text`.
    pub(crate) fn parse(&mut self, text: &str) -> Result<Expr, Diagnostic> {
        let saved = match self.saved.as_slice().first() {
            Some((t, _)) if t == text => self.saved.next().map(|(_, e)| e),
            _ => None,
        };
        let e = match saved {
            Some(e) => e,
            None => {
                self.parsed += 1;
                lang::parse(text)?
            }
        };
        if let Some(r) = &mut self.record {
            r.push((text.to_string(), e.clone()));
        }
        Ok(e)
    }
}

impl PolicySet {
    /// Compiles the policy set embedded in the library against the embedded schema.
    pub fn embedded() -> Result<PolicySet, PolicySetError> {
        let schema = Schema::embedded().map_err(|e| {
            PolicySetError(vec![PolicyProblem {
                origin: "schema".into(),
                policy: None,
                location: "schema".into(),
                line: None,
                column: None,
                message: e.to_string(),
                hint: None,
                rendered: None,
            }])
        })?;
        let sources: Vec<(String, String)> = EMBEDDED_POLICIES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect();
        PolicySet::compile(Arc::new(schema), &sources)
    }

    /// The schema fields that evaluating any of the set's policies (conditions and
    /// benefits) can read, in schema order: fields named, through the definitions and
    /// derived fields used, the qualifications for `has`/`granted` tests and the
    /// registration date for aggregates over actual years. A column of another field
    /// changes no verdict, so a columnar job can leave it unread.
    pub fn fields_read(&self) -> Vec<FieldId> {
        let qual = self.schema.fields.iter().find(|f| f.ty == crate::schema::FieldType::Qualifications).map(|f| f.id);
        let reg = self.schema.field("registration_date").map(|f| f.id);
        let mut out = Vec::new();
        let mut seen_defs = vec![false; self.definitions.len()];
        let mut walk: Vec<&Node> = self.policies.iter().flat_map(Policy::expressions).collect();
        while let Some(x) = walk.pop() {
            out.extend(x.field());
            match &x.kind {
                NodeKind::Def(i) => {
                    if let (Some(seen @ false), Some(d)) = (seen_defs.get_mut(*i).map(|s| &mut *s), self.definitions.get(*i)) {
                        *seen = true;
                        walk.push(&d.node);
                    }
                }
                NodeKind::Has { .. } | NodeKind::GrantedIn { .. } => out.extend(qual),
                NodeKind::YearAgg { actual: true, .. } => out.extend(reg),
                _ => {}
            }
            walk.extend(x.children());
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Parses and checks policy files given as (origin, JSON text) pairs.
    pub fn compile(schema: Arc<Schema>, sources: &[(String, String)]) -> Result<PolicySet, PolicySetError> {
        Self::compile_with(schema, sources, &mut Trees::default())
    }

    /// [`PolicySet::compile`], taking the syntax tree of each text from `trees` (a saved
    /// set's, or the parser's) and recording them when asked.
    pub(crate) fn compile_with(schema: Arc<Schema>, sources: &[(String, String)], trees: &mut Trees) -> Result<PolicySet, PolicySetError> {
        let mut problems = Problems { list: Vec::new(), seen: BTreeMap::new() };
        // 1. Read the files.
        let mut docs: Vec<(String, PolicyDoc)> = Vec::new();
        let mut raw_defs: Vec<(String, String, Option<String>, String, bool)> = Vec::new(); // (origin, name, label, text, derived)
        let mut declared: HashMap<String, Ty> = HashMap::new();
        for d in &schema.derived {
            raw_defs.push(("schema".into(), d.name.clone(), Some(d.label.clone()), d.expr.clone(), true));
            if let Some(e) = &d.enum_name {
                match schema.enums.iter().find(|x| &x.name == e) {
                    Some(x) => {
                        declared.insert(d.name.clone(), Ty::Enum(x.id));
                    }
                    None => problems.plain("schema", None, &format!("derived.{}", d.name), format!("unknown enum {e:?}"), None),
                }
            }
        }
        for (origin, text) in sources {
            let mut read_problems = Vec::new();
            let read = read_policy_file(origin, text, &mut read_problems);
            read_problems.into_iter().for_each(|p| problems.push(p));
            for f in read {
                for (name, t) in f.definitions {
                    raw_defs.push((origin.clone(), name, None, t, false));
                }
                for p in f.policies {
                    docs.push((origin.clone(), p));
                }
            }
        }

        // 2. Policy ids.
        let mut by_id = HashMap::new();
        for (i, (origin, p)) in docs.iter().enumerate() {
            if !is_policy_id(&p.id) {
                problems.plain(origin, Some(&p.id), "id", format!("policy id {:?} must be lowercase letters, digits and '-'", p.id), None);
            }
            if by_id.insert(p.id.clone(), i).is_some() {
                problems.plain(origin, Some(&p.id), "id", format!("policy id {:?} is used twice", p.id), None);
            }
        }

        // 3. Definitions: parse, order by dependency, check.
        let mut scope = Scope { defs: HashMap::new(), policies: by_id.clone(), failed: Default::default() };
        let mut parsed_defs: Vec<Option<Expr>> = Vec::new();
        let mut def_names: HashMap<String, usize> = HashMap::new();
        for (i, (origin, name, label, text, _)) in raw_defs.iter().enumerate() {
            if schema.field(name).is_some() {
                problems.plain(
                    origin,
                    None,
                    &format!("definitions.{name}"),
                    format!("definition {name:?} has the same name as a schema field"),
                    None,
                );
            }
            if def_names.insert(name.clone(), i).is_some() {
                problems.plain(origin, None, &format!("definitions.{name}"), format!("definition {name:?} is defined twice"), None);
            }
            if let Some(l) = label {
                def_names.insert(l.clone(), i);
            }
            match trees.parse(text) {
                Ok(e) => parsed_defs.push(Some(e)),
                Err(d) => {
                    problems.diag(origin, None, &format!("definitions.{name}"), text, &d);
                    parsed_defs.push(None);
                }
            }
        }
        let mut g: DiGraph<String, ()> = DiGraph::new();
        let nodes: Vec<NodeIndex> = raw_defs.iter().map(|d| g.add_node(d.1.clone())).collect();
        for (i, e) in parsed_defs.iter().enumerate() {
            let Some(e) = e else { continue };
            let mut names = Vec::new();
            referenced_names(e, &mut names);
            for n in names {
                let Some(&j) = def_names.get(&n) else { continue };
                if let (Some(&a), Some(&b)) = (nodes.get(j), nodes.get(i)) {
                    g.add_edge(a, b, ()); // j must come before i
                }
            }
        }
        let sccs = petgraph::algo::kosaraju_scc(&g);
        let mut in_cycle = vec![false; raw_defs.len()];
        for scc in &sccs {
            if is_cycle(&g, scc) {
                // Edges point from a dependency to its user; reverse for "a uses b uses a".
                let mut path = cycle_path(&g, scc);
                path.reverse();
                for n in scc {
                    if let Some(f) = in_cycle.get_mut(n.index()) {
                        *f = true;
                    }
                }
                let first = scc.first().map(|n| n.index()).unwrap_or(0);
                let origin = raw_defs.get(first).map_or("", |d| d.0.as_str());
                problems.plain(
                    origin,
                    None,
                    "definitions",
                    format!("definitions form a cycle: {}", path.join(" → ")),
                    Some("a definition cannot depend on itself, directly or through others".into()),
                );
            }
        }
        let mut definitions: Vec<Option<Definition>> = vec![None; raw_defs.len()];
        let mut def_depth = vec![0usize; raw_defs.len()];
        // kosaraju_scc (iterative, unlike tarjan_scc: safe on a chain of any length) yields SCCs
        // in reverse topological order of the edge direction.
        for scc in sccs.iter().rev() {
            for n in scc {
                let i = n.index();
                let (Some((origin, name, label, text, derived)), Some(Some(expr))) = (raw_defs.get(i), parsed_defs.get(i)) else {
                    continue;
                };
                if in_cycle.get(i).copied().unwrap_or(false) {
                    scope.failed.insert(name.clone());
                    continue;
                }
                let mut checker = Checker::new(&schema, &scope);
                let node = match declared.get(name) {
                    Some(ty) => checker.check_typed(expr, *ty),
                    None => checker.check_value(expr),
                };
                for d in &checker.diagnostics {
                    problems.diag(origin, None, &format!("definitions.{name}"), text, d);
                }
                if node.is_none() {
                    scope.failed.insert(name.clone());
                    if let Some(l) = label {
                        scope.failed.insert(l.clone());
                    }
                }
                let node = node.filter(|node| {
                    let depth = expanded_depth(node, &def_depth, &[]);
                    if let Some(slot) = def_depth.get_mut(i) {
                        *slot = depth;
                    }
                    if depth > MAX_EXPANDED_DEPTH {
                        problems.plain(
                            origin,
                            None,
                            &format!("definitions.{name}"),
                            format!("with the definitions it uses expanded, {name:?} nests {depth} levels, more than the limit of {MAX_EXPANDED_DEPTH}"),
                            Some("a chain of definitions that each use the next is too long (docs/limits.md); shorten it".into()),
                        );
                        scope.failed.insert(name.clone());
                    }
                    depth <= MAX_EXPANDED_DEPTH
                });
                if let Some(node) = node {
                    let entry = (i, node.ty, node.percent);
                    scope.defs.insert(name.clone(), entry);
                    if let Some(l) = label {
                        scope.defs.insert(l.clone(), entry);
                    }
                    if let Some(slot) = definitions.get_mut(i) {
                        *slot = Some(Definition { name: name.clone(), label: label.clone(), text: text.clone(), node, derived: *derived });
                    }
                }
            }
        }

        // 4. Policies. Each condition is parsed once (its tree also gives the dependencies).
        let mut policies = Vec::new();
        // The policies each condition names in eligible(…); its tree is dropped right away.
        let mut depends: Vec<Vec<(String, Span)>> = Vec::with_capacity(docs.len());
        for (origin, doc) in &docs {
            let pid = Some(doc.id.as_str());
            let (text, expr) = match &doc.condition {
                ConditionSpec::Text(t) => match trees.parse(t) {
                    Ok(e) => (t.clone(), Some(e)),
                    Err(d) => {
                        problems.diag(origin, pid, "condition", t, &d);
                        (t.clone(), None)
                    }
                },
                ConditionSpec::Tree(e) => (lang::print(e), Some(e.clone())),
            };
            if let Some(p) = Self::compile_policy(&schema, &scope, origin, doc, text, expr.as_ref(), trees, &mut problems) {
                policies.push(p);
            }
            let mut refs = Vec::new();
            if let Some(e) = &expr {
                referenced_policies(e, &mut refs);
            }
            depends.push(refs);
            if let Some(next) = &doc.superseded_by {
                if !by_id.contains_key(next) || next == &doc.id {
                    let near = crate::suggest::closest(next, by_id.keys().map(String::as_str));
                    problems.plain(
                        origin,
                        pid,
                        "superseded_by",
                        format!("superseded_by names {next:?}, which is not another policy of the set"),
                        near.map(|n| format!("did you mean {n:?}?")),
                    );
                }
            }
            for (key, list) in [("requires", &doc.requires), ("excludes", &doc.excludes)] {
                for other in list {
                    if !by_id.contains_key(other) {
                        let near = crate::suggest::closest(other, by_id.keys().map(String::as_str));
                        problems.plain(origin, pid, key, format!("unknown policy {other:?}"), near.map(|n| format!("did you mean {n:?}?")));
                    } else if other == &doc.id {
                        problems.plain(origin, pid, key, "a policy cannot refer to itself".into(), None);
                    }
                }
            }
        }

        // Versions: a superseded_by chain that comes back to itself would hide every policy
        // on it (each is superseded by one in force). Named, once per cycle.
        let next_of: HashMap<&str, &str> =
            docs.iter().filter_map(|(_, d)| d.superseded_by.as_deref().map(|n| (d.id.as_str(), n))).collect();
        let mut reported: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (origin, doc) in &docs {
            let mut chain = vec![doc.id.as_str()];
            let mut cur = doc.id.as_str();
            while let Some(&n) = next_of.get(cur) {
                if n == doc.id {
                    if chain.iter().all(|c| reported.insert(c)) {
                        chain.push(n);
                        problems.plain(
                            origin,
                            Some(&doc.id),
                            "superseded_by",
                            format!("superseded_by forms a cycle: {}", chain.join(" → ")),
                            Some("a newer version supersedes an older one, never the other way round".into()),
                        );
                    }
                    break;
                }
                if chain.contains(&n) || chain.len() > docs.len() {
                    break; // a cycle further on, reported from its own members
                }
                chain.push(n);
                cur = n;
            }
        }

        // 5. eligible(...) and requires: dependency order, cycles named.
        let mut pg: DiGraph<String, ()> = DiGraph::new();
        let pnodes: Vec<NodeIndex> = docs.iter().map(|(_, d)| pg.add_node(d.id.clone())).collect();
        for (i, ((_, doc), refs)) in docs.iter().zip(depends).enumerate() {
            for r in doc.requires.iter().map(|r| (r.clone(), Span::default())).chain(refs) {
                let Some(&j) = by_id.get(&r.0) else { continue };
                if let (Some(&user), Some(&dep)) = (pnodes.get(i), pnodes.get(j)) {
                    pg.add_edge(dep, user, ());
                }
            }
        }
        let mut order = Vec::new();
        for scc in petgraph::algo::kosaraju_scc(&pg).iter().rev() {
            if is_cycle(&pg, scc) {
                let mut path = cycle_path(&pg, scc);
                path.reverse();
                let first = scc.first().map(|n| n.index()).unwrap_or(0);
                let (origin, id) = docs.get(first).map_or(("", ""), |(o, d)| (o.as_str(), d.id.as_str()));
                problems.plain(
                    origin,
                    Some(id),
                    "condition",
                    format!("policies depend on each other in a cycle: {}", path.join(" → ")),
                    Some("eligible(…) and requires must not form a loop".into()),
                );
            }
            order.extend(scc.iter().map(|n| n.index()));
        }

        if !problems.is_empty() {
            return Err(PolicySetError(problems.into_list()));
        }
        let definitions: Vec<Definition> = definitions.into_iter().flatten().collect();
        if definitions.len() != raw_defs.len() || policies.len() != docs.len() {
            return Err(PolicySetError(vec![PolicyProblem {
                origin: "policy set".into(),
                policy: None,
                location: "compile".into(),
                line: None,
                column: None,
                message: "internal: some definitions or policies were not compiled".into(),
                hint: None,
                rendered: None,
            }]));
        }
        let mut policy_depth = vec![0usize; policies.len()];
        for &i in &order {
            let Some(p) = policies.get(i) else { continue };
            let depth = p.expressions().into_iter().map(|n| expanded_depth(n, &def_depth, &policy_depth)).max().unwrap_or(0);
            if let Some(slot) = policy_depth.get_mut(i) {
                *slot = depth;
            }
            if depth > MAX_EXPANDED_DEPTH {
                problems.plain(
                    &p.origin,
                    Some(&p.doc.id),
                    "condition",
                    format!("with the definitions and eligible(…) policies it uses expanded, this condition nests {depth} levels, more than the limit of {MAX_EXPANDED_DEPTH}"),
                    Some("a chain of policies (or definitions) that each use the next is too long (docs/limits.md); shorten it".into()),
                );
            }
        }
        if !problems.is_empty() {
            return Err(PolicySetError(problems.into_list()));
        }
        Ok(PolicySet { schema, definitions, policies, by_id, order })
    }

    #[expect(clippy::too_many_arguments, reason = "one call site; the parts of one policy being compiled")]
    fn compile_policy(
        schema: &Schema,
        scope: &Scope,
        origin: &str,
        doc: &PolicyDoc,
        text: String,
        expr: Option<&Expr>,
        trees: &mut Trees,
        problems: &mut Problems,
    ) -> Option<Policy> {
        let pid = Some(doc.id.as_str());
        let mut ok = true;
        if doc.title.trim().is_empty()
            || doc.issuer.trim().is_empty()
            || doc.doc_no.trim().is_empty()
            || doc.source.document.trim().is_empty()
        {
            problems.plain(
                origin,
                pid,
                "metadata",
                "title, issuer, doc_no and source.document must not be empty".into(),
                Some("every policy cites its source document".into()),
            );
            ok = false;
        }
        if !(1949..=2100).contains(&doc.year) {
            problems.plain(origin, pid, "year", format!("year {} is not plausible", doc.year), None);
            ok = false;
        }
        if let (Some(f), Some(t)) = (doc.effective_from, doc.effective_to) {
            if t < f {
                problems.plain(origin, pid, "effective_to", format!("effective_to {t} is before effective_from {f}"), None);
                ok = false;
            }
        }
        if doc.open_ended && doc.effective_to.is_some() {
            problems.plain(
                origin,
                pid,
                "open_ended",
                "open_ended is true but effective_to is set".into(),
                Some("give an end date or declare the policy open-ended, not both".into()),
            );
            ok = false;
        }
        if doc.verified == Some(false) && doc.unverified.as_deref().is_none_or(|u| u.trim().is_empty()) {
            problems.plain(
                origin,
                pid,
                "unverified",
                "verified is false but unverified does not say what could not be confirmed".into(),
                Some("add \"unverified\": \"…\" naming what was not confirmed against the official text".into()),
            );
            ok = false;
        }
        if let Some(r) = doc.reviewed_on.filter(|r| r.year() < doc.year) {
            problems.plain(origin, pid, "reviewed_on", format!("reviewed_on {r} is before the document's year {}", doc.year), None);
            ok = false;
        }
        if let Some(Window { opens: Some(o), closes: Some(c) }) = &doc.application_window {
            if c < o {
                problems.plain(origin, pid, "application_window", format!("window closes ({c}) before it opens ({o})"), None);
                ok = false;
            }
        }
        if let Some(r) = &doc.region {
            let known = ["region", "zone"]
                .iter()
                .filter_map(|s| schema.codes.id(s))
                .filter_map(|id| schema.codes.get(id))
                .any(|s| s.normalize(r).is_ok());
            if !known {
                problems.plain(origin, pid, "region", format!("region {r:?} is neither a GB/T 2260 region code nor a zone code"), None);
                ok = false;
            }
        }
        let mut checker = Checker::new(schema, scope);
        checker.window = Some((doc.effective_from, doc.effective_to));
        let mut condition = expr.and_then(|e| checker.check_condition(e));
        for d in &checker.diagnostics {
            problems.diag(origin, pid, "condition", &text, d);
        }
        // `requires`: the policy also needs each prerequisite policy to be eligible.
        if let Some(c) = condition.take() {
            let reqs: Vec<Node> = doc.requires.iter().filter_map(|r| scope.policies.get(r)).map(|&i| Node::eligible(i, c.span)).collect();
            condition = Some(if reqs.is_empty() { c } else { Node::all(std::iter::once(c).chain(reqs).collect()) });
        }
        let benefit = Self::compile_benefit(schema, scope, origin, doc, trees, problems);
        match (condition, benefit, ok) {
            (Some(condition), Some(benefit), true) => {
                Some(Policy { doc: doc.clone(), origin: origin.to_string(), condition_text: text, condition, benefit })
            }
            _ => None,
        }
    }

    fn compile_benefit(
        schema: &Schema,
        scope: &Scope,
        origin: &str,
        doc: &PolicyDoc,
        trees: &mut Trees,
        problems: &mut Problems,
    ) -> Option<Benefit> {
        let pid = Some(doc.id.as_str());
        let mut value = |key: &str, text: &str, want: Ty| -> Option<Node> {
            let location = format!("benefit.{key}");
            let e = match trees.parse(text) {
                Ok(e) => e,
                Err(d) => {
                    problems.diag(origin, pid, &location, text, &d);
                    return None;
                }
            };
            let mut c = Checker::new(schema, scope);
            let n = if want == Ty::Bool { c.check_condition(&e) } else { c.check_value(&e) };
            for d in &c.diagnostics {
                problems.diag(origin, pid, &location, text, d);
            }
            let n = n?;
            let fits = match want {
                Ty::Num(Dim::Count) => matches!(n.ty, Ty::Num(d) if d != Dim::Money),
                other => n.ty == other,
            };
            if !fits {
                let what = match want {
                    Ty::Num(Dim::Money) => "an amount of money, e.g. 20万",
                    Ty::Num(Dim::Number) => "a rate, e.g. 5%",
                    Ty::Num(_) => "a count of persons or items",
                    _ => "a condition",
                };
                problems.plain(origin, pid, &location, format!("expected {what}"), None);
                return None;
            }
            Some(n)
        };
        let money = Ty::Num(Dim::Money);
        Some(match &doc.benefit {
            BenefitSpec::Fixed { amount, .. } => Benefit::Fixed { amount: value("amount", amount, money)? },
            BenefitSpec::PerUnit { amount, count, cap, .. } => {
                let a = value("amount", amount, money);
                let c = value("count", count, Ty::Num(Dim::Count));
                let cap = match cap {
                    Some(t) => Some(value("cap", t, money)?),
                    None => None,
                };
                Benefit::PerUnit { amount: a?, count: c?, cap }
            }
            BenefitSpec::Rate { rate, base, cap, .. } => {
                let r = value("rate", rate, Ty::Num(Dim::Number));
                let b = value("base", base, money);
                let cap = match cap {
                    Some(t) => Some(value("cap", t, money)?),
                    None => None,
                };
                Benefit::Rate { rate: r?, base: b?, cap }
            }
            BenefitSpec::Tiers { tiers, .. } => {
                if tiers.is_empty() {
                    problems.plain(origin, pid, "benefit.tiers", "tiers must not be empty".into(), None);
                    return None;
                }
                let mut out = Vec::new();
                for (i, t) in tiers.iter().enumerate() {
                    let w = value(&format!("tiers[{i}].when"), &t.when, Ty::Bool);
                    let a = value(&format!("tiers[{i}].amount"), &t.amount, money);
                    out.push((w?, a?));
                }
                Benefit::Tiers { tiers: out }
            }
            BenefitSpec::None { description } => {
                if description.trim().is_empty() {
                    problems.plain(origin, pid, "benefit.description", "a non-monetary benefit needs a description".into(), None);
                    return None;
                }
                Benefit::None
            }
        })
    }

    /// A policy's index by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A policy by id.
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.index_of(id).and_then(|i| self.policies.get(i))
    }

    /// The closest policy id to a misspelt one.
    pub fn suggest_policy(&self, id: &str) -> Option<String> {
        crate::suggest::closest(id, self.by_id.keys().map(String::as_str))
    }
}
