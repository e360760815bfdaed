//! The bundled data: the real policies, their sample enterprises, the enterprise schema
//! and the code tables.
//!
//! A native build embeds them (feature `embedded`, on by default: `data/` at build time).
//! The WASM module is built without them, so that a page pays for them only as files it
//! loads (they are about a fifth of the module gzipped): the package ships them beside
//! the module and its loader hands them over once with [`install`]. From then on every
//! "bundled" default (an engine of no policy files, the schema and code tables when none
//! are given, the sample enterprises that bundled test cases name) reads the installed
//! data, exactly as a native build reads its embedded copy. Installed data takes
//! precedence over the embedded copy in either build.

use std::sync::{Arc, RwLock};

use crate::policy::{EMBEDDED_POLICIES, EMBEDDED_SAMPLES};

/// Bundled data handed over at run time ([`install`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundledData {
    /// Policy files, (name, JSON text), as in data/policies.
    pub policies: Vec<(String, String)>,
    /// Sample enterprises, (file name, JSON text), as in data/enterprises.
    pub samples: Vec<(String, String)>,
    /// The enterprise schema's JSON text (data/schema/enterprise.json).
    pub schema: Option<String>,
    /// Code tables, (file name, JSON text), as in data/codes.
    pub codes: Vec<(String, String)>,
}

static INSTALLED: RwLock<Option<Arc<BundledData>>> = RwLock::new(None);

/// Makes `data` the bundled data of this process (replacing any installed before).
pub fn install(data: BundledData) {
    // A poisoned lock only means a panic elsewhere while it was held: the value is whole.
    let mut slot = INSTALLED.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(Arc::new(data));
}

/// The installed data, if any.
pub fn installed() -> Option<Arc<BundledData>> {
    INSTALLED.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect()
}

/// The bundled policy files: installed, else embedded (none in a build without either).
pub fn policies() -> Vec<(String, String)> {
    match installed() {
        Some(d) if !d.policies.is_empty() => d.policies.clone(),
        _ => owned(EMBEDDED_POLICIES),
    }
}

/// Whether `name` is the name of a bundled policy file.
pub fn is_policy_file(name: &str) -> bool {
    match installed() {
        Some(d) if !d.policies.is_empty() => d.policies.iter().any(|(n, _)| n == name),
        _ => EMBEDDED_POLICIES.iter().any(|(n, _)| *n == name),
    }
}

/// The bundled sample enterprises, (file name, JSON text).
pub fn samples() -> Vec<(String, String)> {
    match installed() {
        Some(d) if !d.samples.is_empty() => d.samples.clone(),
        _ => owned(EMBEDDED_SAMPLES),
    }
}

/// The bundled schema's JSON text, if this build has one (installed or embedded).
pub fn schema_text() -> Option<String> {
    if let Some(s) = installed().and_then(|d| d.schema.clone()) {
        return Some(s);
    }
    embedded_schema_text().map(str::to_string)
}

#[cfg(feature = "embedded")]
fn embedded_schema_text() -> Option<&'static str> {
    Some(include_str!("../../data/schema/enterprise.json"))
}

#[cfg(not(feature = "embedded"))]
fn embedded_schema_text() -> Option<&'static str> {
    None
}

/// The bundled code tables, (file name, JSON text): installed, else embedded.
pub fn code_tables() -> Vec<(String, String)> {
    match installed() {
        Some(d) if !d.codes.is_empty() => d.codes.clone(),
        _ => owned(EMBEDDED_CODES),
    }
}

#[cfg(feature = "embedded")]
static EMBEDDED_CODES: &[(&str, &str)] = &[
    ("industry.json", include_str!("../../data/codes/industry.json")),
    ("region.json", include_str!("../../data/codes/region.json")),
    ("zone.json", include_str!("../../data/codes/zone.json")),
];

#[cfg(not(feature = "embedded"))]
static EMBEDDED_CODES: &[(&str, &str)] = &[];

/// What to say when the bundled data is asked for and this build has none.
pub const NOT_BUNDLED: &str =
    "this build carries no bundled data: load it first (the WASM package ships it beside the module: `loadBundled()`), or give it";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn the_embedded_copy_is_whole() {
        // Installed data is process-wide: this test only reads what a native build embeds
        // and never installs (another test could see it).
        assert_eq!(owned(EMBEDDED_POLICIES).len(), EMBEDDED_POLICIES.len());
        assert_eq!(EMBEDDED_CODES.len(), 3);
        assert!(embedded_schema_text().is_some_and(|s| s.contains("\"fields\"")));
        assert!(is_policy_file("hitech.json") && !is_policy_file("nope.json"));
    }
}
