//! `diff`: the engine's set against a draft of one policy or a whole new set, in words, and
//! with a store, whom the change reaches ([`crate::diff`]). What the policy studio's
//! version compare asks, and `huiqi diff` on the command line.

use std::sync::Arc;

use serde::Deserialize;

use super::build::Source;
use super::error::{parse_date, store_errors, ErrorItem, Errors};
use super::stores::OpenStore;
use crate::diff::{DiffError, DiffOptions, ReachOn, SetDiff};
use crate::engine::Engine;

/// The request of `diff`: exactly one of `draft` and `policies`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffRequest {
    /// A draft of one policy (a policy file holding one policy, as text or as the document
    /// itself), in place of the set's policy of the same id, or beside the others.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub draft: Option<serde_json::Value>,
    /// A whole new set: policy files, compiled on the engine's schema and code tables.
    #[serde(default)]
    pub policies: Option<Vec<Source>>,
    /// The date of the reach over the store (needed with a store).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Enterprise ids listed per page (default 20), and the page (from 0).
    #[serde(default = "twenty")]
    pub page_size: usize,
    #[serde(default)]
    pub page: usize,
    /// How many enterprise benefits the diff estimates at most (default 100,000).
    #[serde(default = "estimate_limit")]
    pub estimate_limit: u64,
}

fn twenty() -> usize {
    20
}

fn estimate_limit() -> u64 {
    DiffOptions::default().estimate_limit
}

/// `diff` (see [`DiffRequest`]).
pub fn diff(engine: &Arc<Engine>, store: Option<&OpenStore>, r: &DiffRequest) -> Result<SetDiff, Errors> {
    let new = match (&r.draft, &r.policies) {
        (Some(draft), None) => {
            let text = match draft {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            super::stores::with_draft(engine, &text)?.0
        }
        (None, Some(files)) => {
            let set = crate::policy::PolicySet::compile(Arc::clone(&engine.policy_set().schema), &Source::pairs(files.clone()))
                .map_err(|e| super::policy_errors(&e))?;
            Engine::from_set(set)
        }
        _ => return Err(vec![ErrorItem::request("draft", "give either a draft of one policy (draft) or a whole new set (policies)")]),
    };
    let date = r.as_of.as_deref().map(|d| parse_date("as_of", d)).transpose()?;
    let on = match (store, date) {
        (Some(open), Some(as_of)) => Some(ReachOn { store: &open.store, as_of }),
        (Some(_), None) => return Err(vec![ErrorItem::request("as_of", "the reach over the store needs a date (as_of)")]),
        (None, _) => None,
    };
    let opts = DiffOptions { page_size: r.page_size, page: r.page, estimate_limit: r.estimate_limit };
    crate::diff::diff(engine, &new, on, opts).map_err(|e| match e {
        DiffError::Store(e) => store_errors(&e),
        DiffError::NoStores => vec![ErrorItem::request("store", e.to_string())],
    })
}
