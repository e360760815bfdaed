//! What users and bindings see of the core: the operation layer's recorded envelopes,
//! profile decoding, policy-file errors, code tables, the policy graph, currency lint,
//! files and limits. One test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

#[path = "../common/mod.rs"]
mod common;

mod codes;
mod currency;
mod files;
mod graph;
mod inputs;
mod limits;
mod ops;
mod policy_errors;
mod profiles;
