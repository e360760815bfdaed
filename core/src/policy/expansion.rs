//! How large a condition becomes with its definitions and `eligible(…)` policies expanded
//! in place.
//!
//! A condition names a definition or another policy by index, so the compiled set shares
//! them. Several steps walk a condition with those expanded, as a tree: the index compiles
//! boolean definitions inline, explanations show the conditions of the policies named in
//! `eligible(…)`, and the reads walks follow every definition. A definition used ten times
//! by one that is used ten times by another, over ten levels, is 10¹⁰ nodes from a 1 KB
//! file. So the set is measured before anything else is built from it: the depth and the
//! node count of every definition and condition with everything it uses expanded, counted
//! with saturating arithmetic over the acyclic graph of uses (each measured once). Past a
//! limit the set is refused, with the chain of uses that multiplies named.

use std::collections::HashMap;

use crate::check::{Node, NodeKind};

/// Most levels a condition may nest once the definitions and `eligible(…)` policies it uses
/// are expanded in place: what the evaluator and the explanation recurse through. Twice
/// the depth of one tree ([`crate::lang::ast::MAX_TREE_DEPTH`]); see docs/limits.md.
pub const MAX_EXPANDED_DEPTH: usize = 2 * crate::lang::ast::MAX_TREE_DEPTH;

/// Most nodes one definition, or one policy's condition and benefit together, may have once
/// the definitions and `eligible(…)` policies they use are expanded in place. A real policy
/// has a few hundred; docs/limits.md.
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// Most nodes expansion may add over a whole set (the expanded sizes of all policies, less
/// their own trees), besides [`EXPANSION_PER_POLICY`] for each policy: what building an
/// engine for the set copies. See [`set_expansion_limit`].
pub const MAX_SET_EXPANSION: u64 = 10_000_000;

/// What each policy of a set adds to [`MAX_SET_EXPANSION`]: a set of 100,000 policies
/// that share definitions of a hundred nodes is a large platform's library, not a bomb.
pub const EXPANSION_PER_POLICY: u64 = 200;

/// The most nodes expansion may add over a set of `policies` policies.
pub fn set_expansion_limit(policies: usize) -> u64 {
    MAX_SET_EXPANSION.saturating_add(EXPANSION_PER_POLICY.saturating_mul(policies as u64))
}

/// Something a condition uses by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Used {
    Def(usize),
    Policy(usize),
}

/// The measure of one definition or policy with everything it uses expanded.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Expansion {
    /// Levels of nesting.
    pub(crate) depth: usize,
    /// Nodes (saturating at `u64::MAX`).
    pub(crate) nodes: u64,
    /// Nodes of its own trees.
    pub(crate) own: u64,
    /// What it uses that adds the most nodes, and how many times it uses it.
    pub(crate) heaviest: Option<(Used, u64)>,
}

impl Expansion {
    /// The measure of `trees` together (a policy's condition and benefit expressions), given
    /// the measure of each thing they use (`of`; 0 when unknown). Iterative: safe on any tree.
    pub(crate) fn of(trees: &[&Node], of: impl Fn(Used) -> Expansion) -> Expansion {
        let mut uses: HashMap<Used, u64> = HashMap::new();
        let mut depth = 0;
        let mut own: u64 = 0;
        for tree in trees {
            let mut stack = vec![(*tree, 1usize)];
            while let Some((x, d)) = stack.pop() {
                own = own.saturating_add(1);
                let used = match x.kind {
                    NodeKind::Def(i) => Some(Used::Def(i)),
                    NodeKind::Eligible(i) => Some(Used::Policy(i)),
                    _ => None,
                };
                let below = match used {
                    Some(u) => {
                        *uses.entry(u).or_insert(0) += 1;
                        of(u).depth
                    }
                    None => 0,
                };
                depth = depth.max(d + below);
                stack.extend(x.children().into_iter().map(|c| (c, d + 1)));
            }
        }
        let mut nodes = own;
        let mut heaviest: Option<(Used, u64, u64)> = None;
        for (&u, &count) in &uses {
            let added = of(u).nodes.saturating_mul(count);
            nodes = nodes.saturating_add(added);
            // Ties broken by the reference, so that the chain named is the same every run.
            let key = |x: &(Used, u64, u64)| (x.2, std::cmp::Reverse(order_key(x.0)));
            let candidate = (u, count, added);
            if heaviest.as_ref().is_none_or(|h| key(&candidate) > key(h)) {
                heaviest = Some(candidate);
            }
        }
        Expansion { depth, nodes, own, heaviest: heaviest.map(|(u, c, _)| (u, c)) }
    }

    /// Nodes added by expansion.
    pub(crate) fn added(&self) -> u64 {
        self.nodes.saturating_sub(self.own)
    }
}

fn order_key(u: Used) -> (u8, usize) {
    match u {
        Used::Def(i) => (0, i),
        Used::Policy(i) => (1, i),
    }
}

/// A node count in words: the number, or "more than 18446744073709551614" once saturated.
pub(crate) fn count_words(n: u64) -> String {
    if n == u64::MAX {
        format!("more than {}", u64::MAX - 1)
    } else {
        n.to_string()
    }
}

/// The chain of uses that makes `start` large, in words: "a uses b 10 times, b uses c 10
/// times, …", following the heaviest use at each step (at most 12 steps).
/// `start` is named `first`; the others by `name`.
pub(crate) fn chain_words(start: Used, first: &str, of: impl Fn(Used) -> Expansion, name: impl Fn(Used) -> String) -> String {
    let mut parts = Vec::new();
    let mut cur = start;
    for _ in 0..12 {
        let Some((next, count)) = of(cur).heaviest else { break };
        let times = if count == 1 { "once".to_string() } else { format!("{count} times") };
        let this = if cur == start { first.to_string() } else { name(cur) };
        parts.push(format!("{this} uses {} {times}", name(next)));
        cur = next;
    }
    if of(cur).heaviest.is_some() {
        parts.push("…".into());
    }
    parts.join(", ")
}
