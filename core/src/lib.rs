//! # Huiqi (惠企): a policy-matching engine for enterprise-support policies
//!
//! Huiqi answers, fast and with reasons, which support policies (惠企政策) an enterprise
//! qualifies for, which it almost qualifies for and what is missing, and which
//! enterprises qualify for a policy.
//!
//! The crate is organised one concept per module:
//!
//! - [`units`], [`date`]: exact quantities with units, calendar dates.
//! - [`code`]: hierarchical code systems (GB/T 4754 industries, GB/T 2260 regions, zones).
//! - [`schema`]: the typed fields of an enterprise profile.
//! - [`profile`]: decoding one enterprise's JSON file against the schema.
//! - [`uscc`]: the 统一社会信用代码 check character.
//! - [`catalog`]: the policy list for publication (政策精准公开).
//!
//! Semantics are defined once, by the reference evaluator; every fast path is tested
//! against it.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod check;
pub mod code;
pub mod date;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod ffi;
pub mod files;
pub mod gen;
pub mod graph;
pub mod index;
pub mod lang;
pub mod lint;
pub mod outcome;
pub mod policy;
pub mod profile;
pub mod saved;
pub mod schema;
pub mod store;
mod suggest;
pub mod units;

/// Re-exported: the exact decimal type of every number in Huiqi.
pub use rust_decimal::Decimal;
pub mod uscc;
