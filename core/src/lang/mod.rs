//! The condition language: tokens, syntax tree, parser, pretty-printer, diagnostics.
//!
//! Officers write conditions as text (`注册资本 >= 500万 且 has(高新技术企业)`); platforms
//! may send the same [`Expr`] tree as JSON. Parsing knows nothing of the schema: names are
//! resolved, and types and units checked, by [`crate::check`].

pub mod ast;
pub mod binary;
pub mod diag;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod pretty;

pub use ast::{Expr, ExprKind, Span};
pub use diag::Diagnostic;
pub use parser::parse;
pub use pretty::print;
