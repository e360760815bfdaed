//! The fast paths against the reference evaluator, and the semantics the shared cases
//! pin down: one test binary (a binary per file cost a link each). Also run without the
//! core's default features (no rayon, no stores in `ops`: what the WASM build runs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

#[path = "../common/mod.rs"]
mod common;

mod cases;
mod columns;
mod differential;
mod minmax;
mod partial_quals;
mod props;
mod saved;
mod store;
