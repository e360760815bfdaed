//! A ruleset: the engine (policy set, schema, code tables) and the optional store of
//! enterprises the service answers from, with the revision that names it.
//!
//! The revision is the SHA-256 of everything the answers depend on (the policy files or
//! saved set, the code tables, the store file), so two loads of the same files have the
//! same revision and a decision log entry names exactly what decided it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use huiqi::engine::Engine;
use huiqi::ops::{self, ErrorItem, OpenStore, Source, Tables};
use sha2::{Digest, Sha256};

/// Where a ruleset is loaded from (the service's `--policies`, `--codes`, `--enterprises`).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// A policy folder, a policy file or a saved set (`.hqset`); `None`: the bundled set.
    pub policies: Option<PathBuf>,
    /// A folder of code tables replacing the bundled ones.
    pub codes: Option<PathBuf>,
    /// A store of enterprises (or anything `huiqi store build` reads) for the reach.
    pub enterprises: Option<PathBuf>,
}

impl Sources {
    /// The paths a change to which calls for a reload.
    pub fn watched(&self) -> Vec<PathBuf> {
        [&self.policies, &self.codes, &self.enterprises].into_iter().flatten().cloned().collect()
    }
}

/// A loaded ruleset.
pub struct Ruleset {
    pub engine: Arc<Engine>,
    pub store: Option<OpenStore>,
    /// `sha256:` and the first 16 hex digits of the digest of what was loaded.
    pub revision: String,
    /// When it was loaded (seconds since the Unix epoch).
    pub loaded_at: u64,
    /// What it was loaded from, in words.
    pub source: String,
}

/// Loads the ruleset of `sources`, checking everything; the errors of whatever is wrong.
pub fn load(sources: &Sources) -> Result<Ruleset, Vec<ErrorItem>> {
    let mut digest = Sha256::new();
    let codes: Vec<Source> = match &sources.codes {
        Some(dir) => ops::build::read_code_folder(dir)?,
        None => Vec::new(),
    };
    for c in &codes {
        feed(&mut digest, &c.origin, c.text.as_bytes());
    }
    let tables = Tables { schema_json: None, codes: &codes };
    let engine = match &sources.policies {
        None => {
            feed(&mut digest, "bundled", env!("CARGO_PKG_VERSION").as_bytes());
            ops::build_engine_on(tables, &[])?
        }
        Some(path) if ops::build::is_saved_set(path) => {
            let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
            feed(&mut digest, "saved set", &bytes);
            ops::build_engine_saved_on(tables, &bytes)?.0
        }
        Some(path) => {
            let files = ops::build::read_policy_folder(path)?;
            for f in &files {
                feed(&mut digest, &f.origin, f.text.as_bytes());
            }
            ops::build_engine_on(tables, &Source::pairs(files))?
        }
    };
    let store = match &sources.enterprises {
        Some(path) => {
            if path.is_file() {
                let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
                feed(&mut digest, "store", &bytes);
            } else {
                feed(&mut digest, "store", path.display().to_string().as_bytes());
            }
            Some(OpenStore::load(&engine, &path.display().to_string())?)
        }
        None => None,
    };
    let hex: String = digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    let source = match &sources.policies {
        Some(p) => p.display().to_string(),
        None => "the bundled policies".to_string(),
    };
    Ok(Ruleset { engine: Arc::new(engine), store, revision: format!("sha256:{hex}"), loaded_at: now(), source })
}

fn feed(digest: &mut Sha256, name: &str, bytes: &[u8]) {
    digest.update((name.len() as u64).to_le_bytes());
    digest.update(name.as_bytes());
    digest.update((bytes.len() as u64).to_le_bytes());
    digest.update(bytes);
}

fn file_error(path: &Path, e: std::io::Error) -> Vec<ErrorItem> {
    vec![ErrorItem {
        path: Some(path.display().to_string()),
        ..ErrorItem::new(ops::ErrorKind::File, format!("cannot read {}: {e}", path.display()))
    }]
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
