//! The decision log and its replay: the audit trail of 免申即享.
//!
//! Each match the service answers is one JSON line: an id, the time, the ruleset revision,
//! the engine version, `as_of`, the SHA-256 of the profile as sent, and the verdicts (the
//! ids of the eligible and undetermined policies, and the counts). With `--log-profiles`
//! the profile is kept too, its 统一社会信用代码 and name masked (moved out of the profile
//! into `masked`, as `9137…8B`) unless `--unmasked-profiles` says otherwise. Lines are
//! written by one thread, so a handler never waits on the disk; the file is rotated by size
//! (`decisions.jsonl` → `decisions-<ms>.jsonl`).
//!
//! `huiqi replay LOG…` recomputes every logged decision that kept its profile on the
//! ruleset given and reports each whose verdicts differ.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use huiqi::engine::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How profiles are kept in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profiles {
    /// Only their SHA-256.
    Hash,
    /// The profile, USCC and name masked.
    Masked,
    /// The profile as sent.
    Full,
}

/// One logged decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    pub revision: String,
    pub engine_version: String,
    pub as_of: String,
    pub profile_sha256: String,
    pub eligible: Vec<String>,
    pub undetermined: Vec<String>,
    pub summary: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked: Option<Value>,
}

/// The verdicts of a `verdicts` envelope: (eligible ids, undetermined ids, summary).
pub fn verdicts_of(envelope: &Value) -> Option<(Vec<String>, Vec<String>, Value)> {
    let result = envelope.get("result")?;
    let mut eligible = Vec::new();
    let mut undetermined = Vec::new();
    for p in result.get("policies")?.as_array()? {
        let id = p.get("id")?.as_str()?.to_string();
        match p.get("verdict")?.as_str()? {
            "eligible" => eligible.push(id),
            "undetermined" => undetermined.push(id),
            _ => {}
        }
    }
    Some((eligible, undetermined, result.get("summary")?.clone()))
}

/// The hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `9137…8B`: the first four and last two characters of a value, the rest elided.
fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return "…".to_string();
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 2).collect();
    format!("{head}…{tail}")
}

/// The profile to log, and what was masked out of it.
pub fn kept_profile(profile: &Value, how: Profiles) -> (Option<Value>, Option<Value>) {
    match how {
        Profiles::Hash => (None, None),
        Profiles::Full => (Some(profile.clone()), None),
        Profiles::Masked => {
            let mut p = profile.clone();
            let mut masked = serde_json::Map::new();
            if let Some(obj) = p.as_object_mut() {
                for key in ["uscc", "统一社会信用代码", "name", "企业名称"] {
                    if let Some(v) = obj.remove(key) {
                        masked.insert(key.to_string(), json!(v.as_str().map_or_else(|| "…".to_string(), mask)));
                    }
                }
            }
            (Some(p), (!masked.is_empty()).then_some(Value::Object(masked)))
        }
    }
}

/// The log writer: a thread that appends lines and rotates the file.
pub struct DecisionLog {
    tx: mpsc::SyncSender<String>,
    pub profiles: Profiles,
}

impl DecisionLog {
    /// Starts the writer on `dir` (created if missing), rotating past `max_bytes`.
    pub fn start(dir: &Path, max_bytes: u64, profiles: Profiles) -> std::io::Result<DecisionLog> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("decisions.jsonl");
        let mut file = open(&path)?;
        let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
        // Bounded: a disk that cannot keep up slows the service instead of filling memory.
        let (tx, rx) = mpsc::sync_channel::<String>(4096);
        let dir = dir.to_path_buf();
        std::thread::Builder::new().name("decision-log".into()).spawn(move || {
            for line in rx {
                if size + line.len() as u64 > max_bytes && size > 0 {
                    let _ = file.flush();
                    let rotated = dir.join(format!("decisions-{}.jsonl", crate::now_ms()));
                    if std::fs::rename(&path, &rotated).is_ok() {
                        if let Ok(f) = open(&path) {
                            file = f;
                            size = 0;
                        }
                    }
                }
                if file.write_all(line.as_bytes()).is_ok() {
                    size += line.len() as u64;
                }
                let _ = file.flush();
            }
        })?;
        Ok(DecisionLog { tx, profiles })
    }

    /// Queues one decision.
    pub fn write(&self, d: &Decision) {
        if let Ok(mut line) = serde_json::to_string(d) {
            line.push('\n');
            let _ = self.tx.send(line);
        }
    }
}

fn open(path: &PathBuf) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// What a replay found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replay {
    pub replayed: usize,
    /// Decisions logged without their profile: they can be checked only by hash.
    pub without_profile: usize,
    pub differ: Vec<String>,
    pub unreadable: Vec<String>,
}

/// Recomputes every decision of `logs` that kept its profile, on `engine`.
pub fn replay(engine: &Arc<Engine>, revision: &str, logs: &[PathBuf], mut out: impl Write) -> std::io::Result<Replay> {
    let mut r = Replay::default();
    for log in logs {
        let file = File::open(log).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", log.display())))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let where_ = format!("{}:{}", log.display(), n + 1);
            let d: Decision = match serde_json::from_str(&line) {
                Ok(d) => d,
                Err(e) => {
                    writeln!(out, "{where_}: not a decision: {e}")?;
                    r.unreadable.push(where_);
                    continue;
                }
            };
            let Some(profile) = &d.profile else {
                r.without_profile += 1;
                continue;
            };
            let request = json!({"profile": profile, "as_of": d.as_of}).to_string();
            let env: Value = serde_json::from_str(&huiqi::ops::call(engine, None, "verdicts", &request)).unwrap_or(Value::Null);
            r.replayed += 1;
            match verdicts_of(&env) {
                Some((eligible, undetermined, _)) if eligible == d.eligible && undetermined == d.undetermined => {}
                Some((eligible, undetermined, _)) => {
                    writeln!(
                        out,
                        "{where_}: decision {} differs (logged on {}, replayed on {revision}): eligible {:?} → {:?}, undetermined {:?} → {:?}",
                        d.id, d.revision, d.eligible, eligible, d.undetermined, undetermined
                    )?;
                    r.differ.push(d.id);
                }
                None => {
                    writeln!(out, "{where_}: decision {} cannot be recomputed: {env}", d.id)?;
                    r.differ.push(d.id);
                }
            }
        }
    }
    Ok(r)
}
