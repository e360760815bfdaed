//! Compiling a policy set: the files read, then one function per phase (ids,
//! definitions, policies, versions, dependencies, depth), every problem collected.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::expansion::{chain_words, count_words, set_expansion_limit, Expansion, Used, MAX_EXPANDED_DEPTH, MAX_EXPANDED_NODES};
use super::file::read_policy_file;
use super::problems::Problems;
use super::{Benefit, BenefitSpec, ConditionSpec, Definition, Policy, PolicyDoc, PolicyProblem, PolicySet, PolicySetError, Window};
use crate::check::{referenced_names, referenced_policies, Checker, Node, Scope, Ty};
use crate::lang::{self, Diagnostic, Expr, Span};
use crate::schema::Schema;
use crate::units::Dim;

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

/// A definition or derived field as read, before it is checked.
struct RawDefinition {
    /// The file it comes from (`schema` for a derived field).
    origin: String,
    name: String,
    /// A derived field's Chinese label, also usable as its name.
    label: Option<String>,
    text: String,
    derived: bool,
}

/// A policy document as read, with the file it comes from.
struct ReadPolicy {
    origin: String,
    doc: PolicyDoc,
}

/// What phase 1 reads: the documents, the definitions, and the declared types of derived
/// fields.
struct Read {
    docs: Vec<ReadPolicy>,
    defs: Vec<RawDefinition>,
    declared: HashMap<String, Ty>,
}

/// What phase 3 gives: each definition checked (`None` where it failed), its measure with
/// the definitions it uses expanded, and the scope the policies are checked in.
struct Definitions {
    checked: Vec<Option<Definition>>,
    measured: Vec<Expansion>,
    scope: Scope,
}

/// What phase 4 gives: the policies compiled, and the policies each condition names in
/// `eligible(…)`.
struct Compiled {
    policies: Vec<Policy>,
    depends: Vec<Vec<(String, Span)>>,
}

impl PolicySet {
    /// [`PolicySet::compile`], taking the syntax tree of each text from `trees` (a saved
    /// set's, or the parser's) and recording them when asked. One function per phase:
    /// read the files, check ids, definitions, policies, versions, dependencies, depth.
    pub(crate) fn compile_with(schema: Arc<Schema>, sources: &[(String, String)], trees: &mut Trees) -> Result<PolicySet, PolicySetError> {
        let mut problems = Problems { list: Vec::new(), seen: BTreeMap::new(), sources };
        let read = read_sources(&schema, sources, &mut problems);
        let by_id = policy_ids(&read.docs, &mut problems);
        let defs = compile_definitions(&schema, &read, &by_id, trees, &mut problems);
        let compiled = compile_policies(&schema, &read.docs, &defs.scope, &by_id, trees, &mut problems);
        check_version_cycles(&read.docs, &mut problems);
        let order = dependency_order(&read.docs, compiled.depends, &by_id, &mut problems);
        if !problems.is_empty() {
            return Err(PolicySetError(problems.into_list()));
        }
        let definitions: Vec<Definition> = defs.checked.into_iter().flatten().collect();
        let policies = compiled.policies;
        if definitions.len() != read.defs.len() || policies.len() != read.docs.len() {
            return Err(PolicySetError(vec![PolicyProblem {
                origin: "policy set".into(),
                policy: None,
                location: "compile".into(),
                line: None,
                column: None,
                in_text: None,
                message: "internal: some definitions or policies were not compiled".into(),
                hint: None,
                rendered: None,
            }]));
        }
        let order = check_expansion(&definitions, &policies, &order, &mut problems);
        if !problems.is_empty() {
            return Err(PolicySetError(problems.into_list()));
        }
        Ok(PolicySet { schema, definitions, policies, by_id, order })
    }
}

/// Phase 1: the schema's derived fields and every file's definitions and policies.
fn read_sources(schema: &Schema, sources: &[(String, String)], problems: &mut Problems) -> Read {
    let mut read = Read { docs: Vec::new(), defs: Vec::new(), declared: HashMap::new() };
    for d in &schema.derived {
        read.defs.push(RawDefinition {
            origin: "schema".into(),
            name: d.name.clone(),
            label: Some(d.label.clone()),
            text: d.expr.clone(),
            derived: true,
        });
        if let Some(e) = &d.enum_name {
            match schema.enums.iter().find(|x| &x.name == e) {
                Some(x) => {
                    read.declared.insert(d.name.clone(), Ty::Enum(x.id));
                }
                None => problems.plain("schema", None, &format!("derived.{}", d.name), format!("unknown enum {e:?}"), None),
            }
        }
    }
    for (origin, text) in sources {
        let mut read_problems = Vec::new();
        let files = read_policy_file(origin, text, &mut read_problems);
        read_problems.into_iter().for_each(|p| problems.push(p));
        for f in files {
            for (name, text) in f.definitions {
                read.defs.push(RawDefinition { origin: origin.clone(), name, label: None, text, derived: false });
            }
            read.docs.extend(f.policies.into_iter().map(|doc| ReadPolicy { origin: origin.clone(), doc }));
        }
    }
    read
}

/// Phase 2: every policy id well-formed and used once; the index of each.
fn policy_ids(docs: &[ReadPolicy], problems: &mut Problems) -> HashMap<String, usize> {
    let mut by_id = HashMap::new();
    for (i, ReadPolicy { origin, doc: p }) in docs.iter().enumerate() {
        if !is_policy_id(&p.id) {
            problems.plain(origin, Some(&p.id), "id", format!("policy id {:?} must be lowercase letters, digits and '-'", p.id), None);
        }
        if by_id.insert(p.id.clone(), i).is_some() {
            problems.plain(origin, Some(&p.id), "id", format!("policy id {:?} is used twice", p.id), None);
        }
    }
    by_id
}

/// Phase 3: the definitions parsed, ordered by what they use (a cycle named), and checked
/// in that order, each in the scope of those before it.
fn compile_definitions(
    schema: &Schema,
    read: &Read,
    by_id: &HashMap<String, usize>,
    trees: &mut Trees,
    problems: &mut Problems,
) -> Definitions {
    let raw = &read.defs;
    let mut out = Definitions {
        checked: vec![None; raw.len()],
        measured: vec![Expansion::default(); raw.len()],
        scope: Scope { defs: HashMap::new(), policies: by_id.clone(), failed: Default::default() },
    };
    let mut parsed: Vec<Option<Expr>> = Vec::with_capacity(raw.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, d) in raw.iter().enumerate() {
        let at = format!("definitions.{}", d.name);
        if schema.field(&d.name).is_some() {
            problems.plain(&d.origin, None, &at, format!("definition {:?} has the same name as a schema field", d.name), None);
        }
        if names.insert(d.name.clone(), i).is_some() {
            problems.plain(&d.origin, None, &at, format!("definition {:?} is defined twice", d.name), None);
        }
        if let Some(l) = &d.label {
            names.insert(l.clone(), i);
        }
        match trees.parse(&d.text) {
            Ok(e) => parsed.push(Some(e)),
            Err(diag) => {
                problems.diag(&d.origin, None, &at, &d.text, &diag);
                parsed.push(None);
            }
        }
    }
    let (sccs, in_cycle) = definition_order(raw, &parsed, &names, problems);
    // kosaraju_scc (iterative, unlike tarjan_scc: safe on a chain of any length) yields SCCs
    // in reverse topological order of the edge direction.
    for i in sccs.iter().rev().flatten().map(|n| n.index()) {
        let (Some(d), Some(Some(expr))) = (raw.get(i), parsed.get(i)) else { continue };
        if in_cycle.get(i).copied().unwrap_or(false) {
            out.scope.failed.insert(d.name.clone());
            continue;
        }
        check_definition(schema, read, i, d, expr, &mut out, problems);
    }
    out
}

/// The definitions' dependency graph in strongly connected components, and which
/// definitions are on a cycle (each cycle reported).
fn definition_order(
    raw: &[RawDefinition],
    parsed: &[Option<Expr>],
    names: &HashMap<String, usize>,
    problems: &mut Problems,
) -> (Vec<Vec<NodeIndex>>, Vec<bool>) {
    let mut g: DiGraph<String, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = raw.iter().map(|d| g.add_node(d.name.clone())).collect();
    for (i, e) in parsed.iter().enumerate() {
        let Some(e) = e else { continue };
        let mut used = Vec::new();
        referenced_names(e, &mut used);
        for n in used {
            let Some(&j) = names.get(&n) else { continue };
            if let (Some(&a), Some(&b)) = (nodes.get(j), nodes.get(i)) {
                g.add_edge(a, b, ()); // j must come before i
            }
        }
    }
    let sccs = petgraph::algo::kosaraju_scc(&g);
    let mut in_cycle = vec![false; raw.len()];
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
            let origin = raw.get(first).map_or("", |d| d.origin.as_str());
            problems.plain(
                origin,
                None,
                "definitions",
                format!("definitions form a cycle: {}", path.join(" → ")),
                Some("a definition cannot depend on itself, directly or through others".into()),
            );
        }
    }
    (sccs, in_cycle)
}

/// Checks definition `i` (its type declared by the schema when it is a derived field with
/// an enum) and its expanded depth; on success it joins the scope.
fn check_definition(
    schema: &Schema,
    read: &Read,
    i: usize,
    d: &RawDefinition,
    expr: &Expr,
    out: &mut Definitions,
    problems: &mut Problems,
) {
    let at = format!("definitions.{}", d.name);
    let mut checker = Checker::new(schema, &out.scope);
    let node = match read.declared.get(&d.name) {
        Some(ty) => checker.check_typed(expr, *ty),
        None => checker.check_value(expr),
    };
    for diag in &checker.diagnostics {
        problems.diag(&d.origin, None, &at, &d.text, diag);
    }
    let Some(node) = node else {
        out.scope.failed.insert(d.name.clone());
        if let Some(l) = &d.label {
            out.scope.failed.insert(l.clone());
        }
        return;
    };
    let measured = Expansion::of(&[&node], |u| match u {
        Used::Def(j) => out.measured.get(j).copied().unwrap_or_default(),
        Used::Policy(_) => Expansion::default(),
    });
    if let Some(slot) = out.measured.get_mut(i) {
        *slot = measured;
    }
    let depth = measured.depth;
    if depth > MAX_EXPANDED_DEPTH {
        problems.plain(
            &d.origin,
            None,
            &at,
            format!(
                "with the definitions it uses expanded, {:?} nests {depth} levels, more than the limit of {MAX_EXPANDED_DEPTH}",
                d.name
            ),
            Some("a chain of definitions that each use the next is too long (docs/limits.md); shorten it".into()),
        );
        out.scope.failed.insert(d.name.clone());
        return;
    }
    if measured.nodes > MAX_EXPANDED_NODES {
        let of = |u| match u {
            Used::Def(j) => out.measured.get(j).copied().unwrap_or_default(),
            Used::Policy(_) => Expansion::default(),
        };
        let name = |u| match u {
            Used::Def(j) => read.defs.get(j).map_or_else(String::new, |x| x.name.clone()),
            Used::Policy(j) => format!("eligible({})", read.docs.get(j).map_or("", |x| x.doc.id.as_str())),
        };
        problems.plain(
            &d.origin,
            None,
            &at,
            format!(
                "with the definitions it uses expanded, {:?} has {} nodes, more than the limit of {MAX_EXPANDED_NODES}: {}",
                d.name,
                count_words(measured.nodes),
                chain_words(Used::Def(i), &d.name, of, name)
            ),
            Some(EXPANSION_HINT.into()),
        );
        out.scope.failed.insert(d.name.clone());
        return;
    }
    let entry = (i, node.ty, node.percent);
    out.scope.defs.insert(d.name.clone(), entry);
    if let Some(l) = &d.label {
        out.scope.defs.insert(l.clone(), entry);
    }
    if let Some(slot) = out.checked.get_mut(i) {
        *slot = Some(Definition { name: d.name.clone(), label: d.label.clone(), text: d.text.clone(), node, derived: d.derived });
    }
}

/// Phase 4: each policy's condition parsed once (its tree also gives the dependencies),
/// checked with its benefit and metadata; its relations to other policies checked.
fn compile_policies(
    schema: &Schema,
    docs: &[ReadPolicy],
    scope: &Scope,
    by_id: &HashMap<String, usize>,
    trees: &mut Trees,
    problems: &mut Problems,
) -> Compiled {
    let mut out = Compiled { policies: Vec::new(), depends: Vec::with_capacity(docs.len()) };
    for ReadPolicy { origin, doc } in docs {
        let (text, expr) = match &doc.condition {
            ConditionSpec::Text(t) => match trees.parse(t) {
                Ok(e) => (t.clone(), Some(e)),
                Err(d) => {
                    problems.diag(origin, Some(&doc.id), "condition", t, &d);
                    (t.clone(), None)
                }
            },
            ConditionSpec::Tree(e) => (lang::print(e), Some(e.clone())),
        };
        if let Some(p) = PolicySet::compile_policy(schema, scope, origin, doc, text, expr.as_ref(), trees, problems) {
            out.policies.push(p);
        }
        // The policies the condition names in eligible(…); its tree is dropped right away.
        let mut refs = Vec::new();
        if let Some(e) = &expr {
            referenced_policies(e, &mut refs);
        }
        out.depends.push(refs);
        check_relations(origin, doc, by_id, problems);
        super::cases::check_cases(origin, doc, problems);
    }
    out
}

/// `superseded_by`, `requires` and `excludes` name other policies of the set.
fn check_relations(origin: &str, doc: &PolicyDoc, by_id: &HashMap<String, usize>, problems: &mut Problems) {
    let pid = Some(doc.id.as_str());
    let near = |id: &str| crate::suggest::closest(id, by_id.keys().map(String::as_str)).map(|n| format!("did you mean {n:?}?"));
    if let Some(next) = &doc.superseded_by {
        if !by_id.contains_key(next) || next == &doc.id {
            problems.plain(
                origin,
                pid,
                "superseded_by",
                format!("superseded_by names {next:?}, which is not another policy of the set"),
                near(next),
            );
        }
    }
    for (key, list) in [("requires", &doc.requires), ("excludes", &doc.excludes)] {
        for other in list {
            if !by_id.contains_key(other) {
                problems.plain(origin, pid, key, format!("unknown policy {other:?}"), near(other));
            } else if other == &doc.id {
                problems.plain(origin, pid, key, "a policy cannot refer to itself".into(), None);
            }
        }
    }
}

/// Phase 5: a superseded_by chain that comes back to itself would hide every policy on it
/// (each is superseded by one in force). Named, once per cycle.
fn check_version_cycles(docs: &[ReadPolicy], problems: &mut Problems) {
    let next_of: HashMap<&str, &str> = docs.iter().filter_map(|r| r.doc.superseded_by.as_deref().map(|n| (r.doc.id.as_str(), n))).collect();
    let mut reported: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for ReadPolicy { origin, doc } in docs {
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
}

/// Phase 6: the policies in dependency order (`eligible(…)` and `requires` before their
/// users); a cycle is named.
fn dependency_order(
    docs: &[ReadPolicy],
    depends: Vec<Vec<(String, Span)>>,
    by_id: &HashMap<String, usize>,
    problems: &mut Problems,
) -> Vec<usize> {
    let mut pg: DiGraph<String, ()> = DiGraph::new();
    let pnodes: Vec<NodeIndex> = docs.iter().map(|r| pg.add_node(r.doc.id.clone())).collect();
    for (i, (r, refs)) in docs.iter().zip(depends).enumerate() {
        for (id, _) in r.doc.requires.iter().map(|q| (q.clone(), Span::default())).chain(refs) {
            let Some(&j) = by_id.get(&id) else { continue };
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
            let (origin, id) = docs.get(first).map_or(("", ""), |r| (r.origin.as_str(), r.doc.id.as_str()));
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
    order
}

const EXPANSION_HINT: &str =
    "a definition or policy used several times by one that is itself used several times multiplies at each level (docs/limits.md); use it once, or name the shared part in one definition used once";

/// The definitions and policies a tree uses by name, each once, in the order first used.
fn uses_of(trees: &[&Node]) -> Vec<Used> {
    use crate::check::NodeKind;
    let mut out = Vec::new();
    for tree in trees {
        let mut stack = vec![*tree];
        while let Some(x) = stack.pop() {
            let used = match x.kind {
                NodeKind::Def(i) => Some(Used::Def(i)),
                NodeKind::Eligible(i) => Some(Used::Policy(i)),
                _ => None,
            };
            if let Some(u) = used.filter(|u| !out.contains(u)) {
                out.push(u);
            }
            stack.extend(x.children());
        }
    }
    out
}

/// Phase 7: every definition and policy measured with what it uses expanded, each after
/// what it uses. A cycle that runs through a definition (a definition using `eligible(p)`
/// in the condition of `p`) is named here; a condition too deep or too large, or a set
/// whose expansion is too large, is refused with the chain that multiplies. Returns the
/// policies' evaluation order: `order` where it already puts each policy after those it
/// needs, moved only where a definition adds a dependency.
fn check_expansion(definitions: &[Definition], policies: &[Policy], order: &[usize], problems: &mut Problems) -> Vec<usize> {
    let d = definitions.len();
    let slot = |u: Used| match u {
        Used::Def(i) => i,
        Used::Policy(i) => d + i,
    };
    let trees: Vec<Vec<&Node>> = definitions.iter().map(|x| vec![&x.node]).chain(policies.iter().map(|p| p.expressions())).collect();
    let mut g: DiGraph<Used, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..d).map(Used::Def).chain((0..policies.len()).map(Used::Policy)).map(|u| g.add_node(u)).collect();
    for (user, t) in trees.iter().enumerate() {
        for u in uses_of(t) {
            if let (Some(&a), Some(&b)) = (nodes.get(slot(u)), nodes.get(user)) {
                g.add_edge(a, b, ());
            }
        }
    }
    let name = |u: Used| match u {
        Used::Def(i) => definitions.get(i).map_or_else(String::new, |x| x.name.clone()),
        Used::Policy(i) => format!("eligible({})", policies.get(i).map_or("", |p| p.doc.id.as_str())),
    };
    let origin_of = |u: Used| match u {
        Used::Def(i) => definitions.get(i).map_or("", |_| "definitions"),
        Used::Policy(i) => policies.get(i).map_or("", |p| p.origin.as_str()),
    };
    // Kahn's algorithm, taking first whatever comes first in the preferred order
    // (definitions, then the policies in `order`): iterative, and `order` is kept where it
    // is already valid.
    let mut rank = vec![usize::MAX; nodes.len()];
    for (r, s) in (0..d).chain(order.iter().map(|&i| d + i)).enumerate() {
        if let Some(x) = rank.get_mut(s) {
            *x = r;
        }
    }
    let mut waiting: Vec<usize> = nodes.iter().map(|&n| g.neighbors_directed(n, petgraph::Direction::Incoming).count()).collect();
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>> = waiting
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == 0)
        .map(|(s, _)| std::cmp::Reverse((rank.get(s).copied().unwrap_or(usize::MAX), s)))
        .collect();
    let mut measured = vec![Expansion::default(); nodes.len()];
    let mut done = 0;
    let mut policy_order = Vec::with_capacity(policies.len());
    let mut added_total: u64 = 0;
    let mut largest: Option<(u64, Used)> = None;
    let mut refused = vec![false; nodes.len()];
    while let Some(std::cmp::Reverse((_, s))) = ready.pop() {
        done += 1;
        let (Some(&n), Some(t)) = (nodes.get(s), trees.get(s)) else { continue };
        let Some(&this) = g.node_weight(n) else { continue };
        let m = Expansion::of(t, |u| measured.get(slot(u)).copied().unwrap_or_default());
        if let Some(x) = measured.get_mut(s) {
            *x = m;
        }
        // Something over a limit only because what it uses is over it is not reported again.
        let inherited = uses_of(t).into_iter().any(|u| refused.get(slot(u)).copied().unwrap_or(false));
        let over = m.depth > MAX_EXPANDED_DEPTH || m.nodes > MAX_EXPANDED_NODES;
        if let Some(r) = refused.get_mut(s) {
            *r = inherited || (over && matches!(this, Used::Policy(_)));
        }
        if let Used::Policy(i) = this {
            policy_order.push(i);
            added_total = added_total.saturating_add(m.added());
            if largest.is_none_or(|(a, _)| m.added() > a) {
                largest = Some((m.added(), this));
            }
            let id = policies.get(i).map(|p| p.doc.id.as_str());
            if !inherited && m.depth > MAX_EXPANDED_DEPTH {
                problems.plain(
                    origin_of(this),
                    id,
                    "condition",
                    format!("with the definitions and eligible(…) policies it uses expanded, this condition nests {} levels, more than the limit of {MAX_EXPANDED_DEPTH}", m.depth),
                    Some("a chain of policies (or definitions) that each use the next is too long (docs/limits.md); shorten it".into()),
                );
            } else if !inherited && m.nodes > MAX_EXPANDED_NODES {
                let chain = chain_words(this, id.unwrap_or(""), |u| measured.get(slot(u)).copied().unwrap_or_default(), name);
                problems.plain(
                    origin_of(this),
                    id,
                    "condition",
                    format!(
                        "with the definitions and eligible(…) policies it uses expanded, this policy has {} nodes, more than the limit of {MAX_EXPANDED_NODES}: {chain}",
                        count_words(m.nodes)
                    ),
                    Some(EXPANSION_HINT.into()),
                );
            }
        }
        for next in g.neighbors_directed(n, petgraph::Direction::Outgoing) {
            let k = next.index();
            if let Some(w) = waiting.get_mut(k) {
                *w = w.saturating_sub(1);
                if *w == 0 {
                    ready.push(std::cmp::Reverse((rank.get(k).copied().unwrap_or(usize::MAX), k)));
                }
            }
        }
    }
    if done < nodes.len() {
        // What is left is on a cycle or after one; the cycles are the SCCs among them.
        for scc in petgraph::algo::kosaraju_scc(&g) {
            if is_cycle(&g, &scc) {
                let mut path: Vec<String> = cycle_path(&g, &scc).into_iter().map(name).collect();
                path.reverse();
                let first = scc.iter().filter_map(|&n| g.node_weight(n).copied()).find(|u| matches!(u, Used::Policy(_)));
                let id = first.and_then(|u| match u {
                    Used::Policy(i) => policies.get(i).map(|p| p.doc.id.as_str()),
                    Used::Def(_) => None,
                });
                problems.plain(
                    first.map_or("policy set", origin_of),
                    id,
                    "condition",
                    format!("definitions and policies use each other in a cycle: {}", path.join(" → ")),
                    Some("a definition that uses eligible(…) cannot be used by that policy, directly or through others".into()),
                );
            }
        }
    } else if added_total > set_expansion_limit(policies.len()) && !refused.contains(&true) {
        let (origin, id) = match largest {
            Some((_, u @ Used::Policy(i))) => (origin_of(u), policies.get(i).map(|p| p.doc.id.as_str())),
            _ => ("policy set", None),
        };
        problems.plain(
            origin,
            id,
            "condition",
            format!(
                "expanding the definitions and eligible(…) policies that the policies use adds {} nodes over the set, more than the limit of {} ({} policies); this policy adds the most",
                count_words(added_total),
                set_expansion_limit(policies.len()),
                policies.len()
            ),
            Some(EXPANSION_HINT.into()),
        );
    }
    policy_order
}

impl PolicySet {
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
}
