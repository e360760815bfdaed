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
//!
//! This module holds the documents and the compiled set; [`file`] reads a policy file's
//! text into documents, and `compile` checks them, one function per phase.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::check::{Node, NodeKind};
use crate::date::Date;
use crate::lang::{self, Expr};
use crate::schema::{FieldId, Schema};

mod cases;
mod compile;
mod expansion;
mod file;
mod problems;

pub use cases::TestCase;
pub(crate) use compile::Trees;
pub use expansion::{set_expansion_limit, EXPANSION_PER_POLICY, MAX_EXPANDED_DEPTH, MAX_EXPANDED_NODES, MAX_SET_EXPANSION};
pub use problems::MAX_PROBLEMS_PER_FILE;

/// Administrative level of the issuing body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Provincial,
    Municipal,
    District,
}

/// How the benefit reaches the enterprise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 申报: the enterprise applies.
    #[default]
    Apply,
    /// 免申即享: paid or granted without an application.
    Automatic,
}

/// An application window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub opens: Option<Date>,
    pub closes: Option<Date>,
}

/// Where the policy comes from.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub document: String,
    #[serde(default)]
    pub article: Option<String>,
    #[serde(default)]
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
    /// Test cases kept beside the policy ([`TestCase`]): run by `huiqi test`, never by a
    /// match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestCase>,
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
    /// 1-based line and column (in characters) in the file: where an editor goes. For a
    /// problem inside a condition or definition whose text could not be placed in its file
    /// (an origin that is not a file, an unusual escape), the position in the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Line and column inside the condition or definition text itself, for a problem
    /// there (what the excerpt of `rendered` shows).
    #[serde(skip)]
    pub in_text: Option<(usize, usize)>,
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

/// What some expressions read ([`PolicySet::reads`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// Schema fields, in schema order.
    pub fields: Vec<FieldId>,
    /// Per definition, whether it is used.
    pub definitions: Vec<bool>,
    /// Whether a policy's verdict is used (`eligible(…)`), which may read anything.
    pub eligible: bool,
}

/// The real policies embedded in the library (data/policies at build time); empty
/// without the feature `embedded`.
#[cfg(not(feature = "embedded"))]
pub static EMBEDDED_POLICIES: &[(&str, &str)] = &[];

/// The real policies embedded in the library (data/policies at build time).
#[cfg(feature = "embedded")]
pub static EMBEDDED_POLICIES: &[(&str, &str)] = &[
    ("hitech.json", include_str!("../../../data/policies/hitech.json")),
    ("tech-sme.json", include_str!("../../../data/policies/tech-sme.json")),
    ("sme-tiers.json", include_str!("../../../data/policies/sme-tiers.json")),
    ("small-low-profit.json", include_str!("../../../data/policies/small-low-profit.json")),
    ("rd-super-deduction.json", include_str!("../../../data/policies/rd-super-deduction.json")),
    ("advanced-manufacturing-vat.json", include_str!("../../../data/policies/advanced-manufacturing-vat.json")),
    ("jinan-hitech-zone.json", include_str!("../../../data/policies/jinan-hitech-zone.json")),
    ("employment.json", include_str!("../../../data/policies/employment.json")),
    ("jinan-restructuring.json", include_str!("../../../data/policies/jinan-restructuring.json")),
    ("shandong-first-set-equipment.json", include_str!("../../../data/policies/shandong-first-set-equipment.json")),
    ("smb-tax-relief.json", include_str!("../../../data/policies/smb-tax-relief.json")),
    ("hiring-tax-deductions.json", include_str!("../../../data/policies/hiring-tax-deductions.json")),
    ("tech-innovation-tax.json", include_str!("../../../data/policies/tech-innovation-tax.json")),
    ("eit-law-preferences.json", include_str!("../../../data/policies/eit-law-preferences.json")),
    ("more-tax-procurement.json", include_str!("../../../data/policies/more-tax-procurement.json")),
    ("projects-ic-self-employment.json", include_str!("../../../data/policies/projects-ic-self-employment.json")),
    ("vat-preferences.json", include_str!("../../../data/policies/vat-preferences.json")),
];

/// Where the embedded policy files are in the source tree: a test case's `profile_file`
/// of a bundled policy is read against it.
pub const EMBEDDED_FOLDER: &str = "data/policies";

/// Where the embedded sample enterprises are in the source tree.
pub const EMBEDDED_SAMPLES_FOLDER: &str = "data/enterprises";

/// The sample enterprises: none without the feature `embedded`.
#[cfg(not(feature = "embedded"))]
pub static EMBEDDED_SAMPLES: &[(&str, &str)] = &[];

/// The synthetic sample enterprises (data/enterprises at build time), which the test
/// cases of the bundled policies name as `../enterprises/NAME.json`: the bundled set's
/// tests run wherever the bundled set does (a binding in memory, the browser).
#[cfg(feature = "embedded")]
pub static EMBEDDED_SAMPLES: &[(&str, &str)] = &[
    ("01-quanzhi-software.json", include_str!("../../../data/enterprises/01-quanzhi-software.json")),
    ("02-mingchuan-hydraulics.json", include_str!("../../../data/enterprises/02-mingchuan-hydraulics.json")),
    ("03-laojiefang-restaurant.json", include_str!("../../../data/enterprises/03-laojiefang-restaurant.json")),
    ("04-quanqing-computing.json", include_str!("../../../data/enterprises/04-quanqing-computing.json")),
    ("05-xincheng-hardware.json", include_str!("../../../data/enterprises/05-xincheng-hardware.json")),
    ("06-jiahe-supermarket.json", include_str!("../../../data/enterprises/06-jiahe-supermarket.json")),
    ("07-huadai-pharma.json", include_str!("../../../data/enterprises/07-huadai-pharma.json")),
    ("08-hengzhu-construction.json", include_str!("../../../data/enterprises/08-hengzhu-construction.json")),
    ("09-meicheng-realestate.json", include_str!("../../../data/enterprises/09-meicheng-realestate.json")),
    ("10-tongdashun-logistics.json", include_str!("../../../data/enterprises/10-tongdashun-logistics.json")),
    ("11-laobing-autorepair.json", include_str!("../../../data/enterprises/11-laobing-autorepair.json")),
    ("12-xinwei-icdesign.json", include_str!("../../../data/enterprises/12-xinwei-icdesign.json")),
    ("13-huangtu-agri.json", include_str!("../../../data/enterprises/13-huangtu-agri.json")),
    ("14-xiaomei-ads.json", include_str!("../../../data/enterprises/14-xiaomei-ads.json")),
    ("15-jiyuan-icfab.json", include_str!("../../../data/enterprises/15-jiyuan-icfab.json")),
];

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
                in_text: None,
                message: e.to_string(),
                hint: None,
                rendered: None,
            }])
        })?;
        PolicySet::compile(Arc::new(schema), &crate::bundled::policies())
    }

    /// The schema fields that evaluating any of the set's policies (conditions and
    /// benefits) can read, in schema order: fields named, through the definitions and
    /// derived fields used, the qualifications for `has`/`granted` tests and the
    /// registration date for aggregates over actual years. A column of another field
    /// changes no verdict, so a columnar job can leave it unread.
    pub fn fields_read(&self) -> Vec<FieldId> {
        self.reads(self.policies.iter().flat_map(Policy::expressions)).fields
    }

    /// What evaluating `roots` reads, through the definitions they use: the one walk
    /// behind [`PolicySet::fields_read`], the store's column choice and lint's unused
    /// fields and definitions.
    pub fn reads<'a>(&'a self, roots: impl IntoIterator<Item = &'a Node>) -> Reads {
        let qual = self.schema.fields.iter().find(|f| f.ty == crate::schema::FieldType::Qualifications).map(|f| f.id);
        let reg = self.schema.field("registration_date").map(|f| f.id);
        let mut out = Reads { fields: Vec::new(), definitions: vec![false; self.definitions.len()], eligible: false };
        let mut walk: Vec<&Node> = roots.into_iter().collect();
        while let Some(x) = walk.pop() {
            out.fields.extend(x.field());
            match &x.kind {
                NodeKind::Def(i) => {
                    if let (Some(seen @ false), Some(d)) = (out.definitions.get_mut(*i).map(|s| &mut *s), self.definitions.get(*i)) {
                        *seen = true;
                        walk.push(&d.node);
                    }
                }
                NodeKind::Eligible(_) => out.eligible = true,
                NodeKind::Has { .. } | NodeKind::GrantedIn { .. } => out.fields.extend(qual),
                NodeKind::YearAgg { actual: true, .. } => out.fields.extend(reg),
                _ => {}
            }
            walk.extend(x.children());
        }
        crate::sort::sort(&mut out.fields);
        out.fields.dedup();
        out
    }

    /// Parses and checks policy files given as (origin, JSON text) pairs.
    pub fn compile(schema: Arc<Schema>, sources: &[(String, String)]) -> Result<PolicySet, PolicySetError> {
        Self::compile_with(schema, sources, &mut Trees::default())
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
