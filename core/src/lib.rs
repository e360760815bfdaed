//! # Huiqi (惠企): a policy-matching engine for enterprise-support policies
//!
//! Huiqi answers, fast and with reasons, which support policies (惠企政策) an enterprise
//! qualifies for, which it almost qualifies for and what is missing, and which
//! enterprises qualify for a policy.
//!
//! The crate is organised one concept per module, grouped as the two flows of
//! `docs/ARCHITECTURE.md` (a policy text becomes programs that decide verdicts; an
//! enterprise's data becomes what they are decided on):
//!
//! - Foundations: [`units`], [`date`] (exact quantities, calendar dates), [`code`]
//!   (GB/T 4754 industries, GB/T 2260 regions, zones), [`schema`] (the typed fields of a
//!   profile), [`uscc`] (the 统一社会信用代码 check character), [`files`] (file kinds by
//!   header tag, atomic writes).
//! - Policies: [`lang`] (lexer, parser, syntax trees, their JSON and binary forms),
//!   [`check`] (names, types, units, codes, years: the checked tree), [`policy`] (policy
//!   files, the compiled set), [`saved`] (saved sets with their trees), [`graph`]
//!   (prerequisites, exclusions, 就高, the best combination, windows), [`lint`],
//!   [`manual_only`] (policies only a person can make eligible),
//!   [`catalog`] (the policy list for publication).
//! - Enterprises: [`profile`] (one enterprise's JSON), [`store`] (a population in columns,
//!   predicate sets, bulk and reverse), [`gen`] (seeded synthetic data).
//! - Verdicts: [`eval`] (the reference evaluator, the oracle), [`index`] (predicate
//!   dictionary and compiled programs), [`explain`] (the same evaluation in words).
//! - Answers: [`engine`] (what a match lists, at which detail), [`outcome`] (verdicts,
//!   scores, benefits, reasons, next questions), [`envelope`] (the JSON envelopes every binding
//!   speaks).
//!
//! Semantics are defined once, by the reference evaluator; every fast path is tested
//! against it. Core never depends on a binding.
#![forbid(unsafe_code)]

pub mod bundled;
pub mod catalog;
pub mod check;
pub mod code;
pub mod date;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod files;
pub mod gen;
pub mod graph;
pub mod guard;
pub mod index;
pub mod lang;
pub mod lint;
pub mod manual_only;
pub mod ops;
pub mod outcome;
pub mod policy;
pub mod profile;
pub mod saved;
pub mod schema;
/// Stable sorts with one instance of the sorting code in the WASM build (size).
pub mod sort;
pub mod store;
mod suggest;
pub mod units;

/// Re-exported: the exact decimal type of every number in Huiqi.
pub use rust_decimal::Decimal;
pub mod uscc;
