//! Saved policy sets: the policy files together with the syntax tree of every text in
//! them, so that an engine starts without lexing and parsing (the browser page loads the
//! bundled set this way; `huiqi compile` writes one natively).
//!
//! What is saved, and why not more: the files as given (their metadata is read again —
//! cheap since it is read straight into typed structs) and, in the order
//! [`PolicySet::compile`] asks for them, each condition, definition and benefit text with
//! its tree in the compact binary form of [`crate::lang::binary`]. Checking (name
//! resolution against the schema, types, units), the policy index and the conflict graph
//! are rebuilt at load: they depend on the schema the set is loaded against and hold
//! compiled regexes. They are now most of the start-up time, so a saved set starts only
//! 1.1–1.6× faster than its texts (benches/RESULTS.md); saving checked nodes and the index
//! (valid for one schema fingerprint) is the step that would change that.
//! Because each tree is stored next to its exact text and used only when the text
//! matches, a saved set compiles to exactly the set its files compile to — diagnostics,
//! explanations and answers included.
//!
//! Layout (integers little-endian): `HUIQISET`, format version (u32), CRC-32 of the body
//! (u32), body length (u64), body. Body: the writing huiqi's version, the files (count;
//! origin, text), the trees (count; text, tree). Strings are a varint length and UTF-8.
//! A wrong magic, another version, a truncated file or a checksum mismatch is an error
//! naming the problem, never a wrong set.

use std::sync::Arc;

use crate::lang::binary::{self, Reader};
use crate::lang::Expr;
use crate::policy::{PolicySet, PolicySetError, Trees};
use crate::schema::Schema;

/// First bytes of a saved set.
pub const MAGIC: &[u8; 8] = b"HUIQISET";
/// Version of the layout this build reads and writes.
pub const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 4 + 8;

/// Why a saved set could not be read or compiled.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("not a saved policy set: {0}")]
    Format(String),
    #[error("the saved set does not compile: {}", .0.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Compile(PolicySetError),
}

/// A saved set as read: its files and trees.
pub struct SavedSet {
    /// Version of huiqi that wrote it.
    pub written_by: String,
    /// The policy files (origin, JSON text).
    pub files: Vec<(String, String)>,
    trees: Vec<(String, Expr)>,
}

impl SavedSet {
    /// Number of saved trees.
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    /// Compiles the set against `schema`, taking each text's tree from the saved ones.
    /// Also returns how many texts still had to be parsed (0 for a set saved by this
    /// version against any schema).
    /// The trees are used up; the files stay.
    pub fn compile(&mut self, schema: Arc<Schema>) -> Result<(PolicySet, usize), PolicySetError> {
        let mut trees = Trees { saved: std::mem::take(&mut self.trees).into_iter(), record: None, parsed: 0 };
        let set = PolicySet::compile_with(schema, &self.files, &mut trees)?;
        Ok((set, trees.parsed))
    }
}

/// Compiles policy files (checking them) and saves them with their trees.
pub fn save(schema: Arc<Schema>, files: &[(String, String)]) -> Result<(PolicySet, Vec<u8>), PolicySetError> {
    let mut trees = Trees { record: Some(Vec::new()), ..Trees::default() };
    let set = PolicySet::compile_with(schema, files, &mut trees)?;
    let recorded = trees.record.unwrap_or_default();
    let mut body = Vec::new();
    binary::put_str(&mut body, env!("CARGO_PKG_VERSION"));
    binary::put_varint(&mut body, files.len() as u64);
    for (origin, text) in files {
        binary::put_str(&mut body, origin);
        binary::put_str(&mut body, text);
    }
    binary::put_varint(&mut body, recorded.len() as u64);
    for (text, tree) in &recorded {
        binary::put_str(&mut body, text);
        binary::encode(tree, &mut body);
    }
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    Ok((set, out))
}

fn le<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N).and_then(|s| s.try_into().ok())
}

/// Reads a saved set (checks magic, version, length and checksum; decodes every tree).
pub fn read(bytes: &[u8]) -> Result<SavedSet, SavedError> {
    let bad = |m: String| SavedError::Format(m);
    match crate::files::tag(bytes.get(..8).unwrap_or(bytes), MAGIC) {
        crate::files::Tag::Exact => {}
        crate::files::Tag::Damaged => return Err(bad("its header tag is damaged (not HUIQISET): the file is corrupted".into())),
        crate::files::Tag::Short => return Err(bad(format!("it is cut short: {} bytes, less than a header", bytes.len()))),
        crate::files::Tag::Other if bytes.starts_with(b"HUIQISTR") => {
            return Err(bad("it is an enterprise store file (huiqi store build), not a saved policy set".into()))
        }
        crate::files::Tag::Other => return Err(bad("it does not start with HUIQISET".into())),
    }
    let (Some(version), Some(crc), Some(len)) = (le::<4>(bytes, 8), le::<4>(bytes, 12), le::<8>(bytes, 16)) else {
        return Err(bad("the header is truncated".into()));
    };
    let version = u32::from_le_bytes(version);
    if version != VERSION {
        return Err(bad(format!("it is format version {version}; this build of huiqi reads version {VERSION} (save the set again)")));
    }
    let body = bytes.get(HEADER..).unwrap_or_default();
    let len = u64::from_le_bytes(len);
    if (body.len() as u64) < len {
        return Err(bad(format!("it is truncated: the body has {} of {len} bytes", body.len())));
    }
    if (body.len() as u64) > len {
        return Err(bad(format!("{} bytes follow the end of the set", body.len() as u64 - len)));
    }
    if crc32fast::hash(body) != u32::from_le_bytes(crc) {
        return Err(bad("the checksum does not match (the file is corrupted)".into()));
    }
    let mut r = Reader::new(body);
    let decode = |e: binary::DecodeError| SavedError::Format(e.to_string());
    let written_by = r.str().map_err(decode)?.to_string();
    let n = r.count().map_err(decode)?;
    let mut files = Vec::with_capacity(n);
    for _ in 0..n {
        let origin = r.str().map_err(decode)?.to_string();
        let text = r.str().map_err(decode)?.to_string();
        files.push((origin, text));
    }
    let n = r.count().map_err(decode)?;
    let mut trees = Vec::with_capacity(n);
    for _ in 0..n {
        let text = r.str().map_err(decode)?.to_string();
        let tree = r.expr().map_err(decode)?;
        trees.push((text, tree));
    }
    if r.remaining() != 0 {
        return Err(bad(format!("{} unread bytes at the end of the body", r.remaining())));
    }
    Ok(SavedSet { written_by, files, trees })
}

/// Reads and compiles a saved set against `schema`.
pub fn load(schema: Arc<Schema>, bytes: &[u8]) -> Result<PolicySet, SavedError> {
    let mut saved = read(bytes)?;
    saved.compile(schema).map(|(set, _)| set).map_err(SavedError::Compile)
}
