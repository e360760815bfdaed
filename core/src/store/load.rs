//! Loading enterprises from JSON lines or CSV, streaming, with bad rows reported by line.

use std::io::{BufRead, Read};

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::{EnterpriseStore, StoreBuilder, StoreError};
use crate::profile::Profile;
use crate::schema::{FieldType, Schema};

/// What to do with a row that does not decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Skip it, report it (line and reason) and count it.
    #[default]
    Skip,
    /// Stop loading with an error naming the line.
    Reject,
}

/// Loading options.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    pub on_error: OnError,
}

/// A row that did not load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

/// Summary of a load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LoadReport {
    pub loaded: usize,
    pub skipped: usize,
    /// Rows loaded with warnings (USCC check character, historical codes).
    pub warnings: usize,
    /// The first problems (at most 100), with line numbers.
    pub errors: Vec<RowError>,
    /// Per column: rows whose code is well formed but not in the code table (kept, and
    /// matched only by conditions on its ancestors). Absent when there are none.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unknown_codes: std::collections::BTreeMap<String, usize>,
}

const KEEP_ERRORS: usize = 100;

struct Loader<'s> {
    schema: &'s Schema,
    builder: StoreBuilder<'s>,
    report: LoadReport,
    opts: LoadOptions,
    uscc: Option<usize>,
    name: Option<usize>,
}

impl<'s> Loader<'s> {
    fn new(schema: &'s Schema, opts: LoadOptions) -> Loader<'s> {
        Loader {
            schema,
            builder: StoreBuilder::new(schema),
            report: LoadReport::default(),
            opts,
            uscc: schema.field("uscc").map(|f| f.id),
            name: schema.field("name").map(|f| f.id),
        }
    }

    fn bad(&mut self, line: usize, reason: String) -> Result<(), StoreError> {
        if self.opts.on_error == OnError::Reject {
            return Err(StoreError::Rejected { line, reason });
        }
        self.report.skipped += 1;
        if self.report.errors.len() < KEEP_ERRORS {
            self.report.errors.push(RowError { line, reason });
        }
        Ok(())
    }

    fn row(&mut self, line: usize, json: &Json) -> Result<(), StoreError> {
        match Profile::from_json(self.schema, json) {
            Ok(p) => {
                if !p.warnings.is_empty() {
                    self.report.warnings += 1;
                }
                for w in p.warnings.iter().filter(|w| w.message.contains(crate::profile::UNKNOWN_CODE)) {
                    let column = w.path.strip_prefix("$.").unwrap_or(&w.path);
                    *self.report.unknown_codes.entry(column.to_string()).or_default() += 1;
                }
                let id = self
                    .uscc
                    .and_then(|f| p.text(f))
                    .or_else(|| self.name.and_then(|f| p.text(f)))
                    .map_or_else(|| format!("line {line}"), str::to_string);
                self.builder.push(&p, id)?;
                self.report.loaded += 1;
                Ok(())
            }
            Err(e) => self.bad(line, e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        }
    }

    fn finish(self) -> (EnterpriseStore, LoadReport) {
        (self.builder.finish(), self.report)
    }
}

/// Longest line (one enterprise) a loader reads, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Passes bytes through, failing once a line runs past [`MAX_LINE_BYTES`] (the CSV reader
/// would otherwise buffer a file without line breaks whole).
struct LineLimit<R> {
    inner: R,
    since_newline: usize,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        for b in out.get(..n).unwrap_or_default() {
            self.since_newline = if *b == b'\n' { 0 } else { self.since_newline + 1 };
            if self.since_newline > MAX_LINE_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a line is longer than {MAX_LINE_BYTES} bytes, the limit for one enterprise (docs/limits.md)"),
                ));
            }
        }
        Ok(n)
    }
}

impl EnterpriseStore {
    /// Loads enterprises from JSON lines (one profile object per line), streaming.
    pub fn load_jsonl(schema: &Schema, reader: impl BufRead, opts: LoadOptions) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        let mut l = Loader::new(schema, opts);
        let mut reader = reader;
        let mut buf = Vec::new();
        let mut line_no = 0;
        loop {
            buf.clear();
            // At most one byte over the limit is read: a file without line breaks (or
            // /dev/zero) is refused instead of filling memory.
            let n = (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
                return Err(StoreError::Input(format!(
                    "line {line_no} is longer than {MAX_LINE_BYTES} bytes, the limit for one enterprise (docs/limits.md); is this a JSON-lines file?"
                )));
            }
            let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    l.bad(line_no, format!("not UTF-8 text (invalid byte at column {})", e.valid_up_to() + 1))?;
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match crate::profile::parse_json(text) {
                Ok(v) => l.row(line_no, &v)?,
                Err(e) => l.bad(line_no, format!("not valid JSON: {e}"))?,
            }
        }
        Ok(l.finish())
    }

    /// Loads enterprises from CSV with a header row naming schema fields (English names or
    /// Chinese labels; per-year columns as `operating_revenue@2024`). Empty cells are
    /// unknown; tags are separated by `;`; qualifications are a JSON array in the cell.
    pub fn load_csv(schema: &Schema, reader: impl Read, opts: LoadOptions) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(LineLimit { inner: reader, since_newline: 0 });
        let headers = rdr.headers().map_err(|e| StoreError::Input(format!("CSV header: {e}")))?.clone();
        let mut cols: Vec<(usize, Option<String>)> = Vec::new();
        for h in headers.iter() {
            let h = h.trim_start_matches('\u{feff}').trim();
            let (name, year) = match h.split_once(['@', '.']) {
                Some((n, y)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => (n, Some(y.to_string())),
                _ => (h, None),
            };
            let Some(f) = schema.field(name) else {
                let hint = schema.suggest_field(name).map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
                return Err(StoreError::Input(format!("CSV column {h:?} is not a schema field{hint}")));
            };
            if f.per_year != year.is_some() {
                return Err(StoreError::Input(if f.per_year {
                    format!("CSV column {h:?}: {} is per year; name the column {}@2024", f.name, f.name)
                } else {
                    format!("CSV column {h:?}: {} is not per year", f.name)
                }));
            }
            cols.push((f.id, year));
        }
        let mut l = Loader::new(schema, opts);
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    l.bad(line, format!("bad CSV row: {e}"))?;
                    continue;
                }
            };
            let mut obj = Map::new();
            let mut problem = None;
            for ((f, year), cell) in cols.iter().zip(rec.iter()) {
                let cell = cell.trim();
                if cell.is_empty() {
                    continue;
                }
                let Some(field) = schema.field_by_id(*f) else { continue };
                let v = match &field.ty {
                    FieldType::Bool => match cell {
                        "true" | "TRUE" | "1" | "是" | "yes" => Json::Bool(true),
                        "false" | "FALSE" | "0" | "否" | "no" => Json::Bool(false),
                        other => {
                            problem = Some(format!("{}: {other:?} is not true/false (是/否, 1/0)", field.name));
                            break;
                        }
                    },
                    FieldType::Tags => Json::Array(
                        cell.split([';', '；', '|'])
                            .map(|t| Json::String(t.trim().to_string()))
                            .filter(|t| t.as_str() != Some(""))
                            .collect(),
                    ),
                    // Lists of objects are written in one cell as their JSON array.
                    FieldType::Qualifications | FieldType::Records(_) => match serde_json::from_str::<Json>(cell) {
                        Ok(v) => v,
                        Err(e) => {
                            let what = if matches!(field.ty, FieldType::Records(_)) { "records" } else { "qualifications" };
                            problem = Some(format!("{}: not a JSON array of {what}: {e}", field.name));
                            break;
                        }
                    },
                    _ => Json::String(cell.to_string()),
                };
                match year {
                    Some(y) => {
                        let entry = obj.entry(field.name.clone()).or_insert_with(|| Json::Object(Map::new()));
                        if let Json::Object(m) = entry {
                            m.insert(y.clone(), v);
                        }
                    }
                    None => {
                        obj.insert(field.name.clone(), v);
                    }
                }
            }
            match problem {
                Some(p) => l.bad(line, p)?,
                None => l.row(line, &Json::Object(obj))?,
            }
        }
        Ok(l.finish())
    }

    /// Loads a file by its kind: a saved store (by its magic bytes), CSV (`.csv`), or JSON
    /// lines (anything else).
    pub fn load_path(schema: &Schema, path: &std::path::Path, opts: LoadOptions) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        let head = crate::files::head(path).map_err(|e| StoreError::Input(format!("cannot read {}: {e}", path.display())))?;
        match crate::files::tag(&head, super::file::MAGIC) {
            // An empty file is refused: as JSON lines it would be "0 enterprises, success",
            // and a store cut to nothing must not pass for one.
            _ if head.is_empty() => {
                return Err(StoreError::Input(format!("{} is empty: neither a store file nor any enterprise", path.display())))
            }
            // (A saved policy set goes to the store reader, which says what it is.)
            crate::files::Tag::Other if !head.starts_with(b"HUIQISET") => {}
            // The tag, a damaged tag or a store cut short: read as a store (which says what
            // is wrong), never as JSON lines.
            _ => {
                let store = EnterpriseStore::read_file(path, schema)?;
                let report = LoadReport { loaded: store.len() as usize, ..LoadReport::default() };
                return Ok((store, report));
            }
        }
        let file = std::fs::File::open(path)?;
        let (store, report) = if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
            EnterpriseStore::load_csv(schema, std::io::BufReader::new(file), opts)?
        } else {
            EnterpriseStore::load_jsonl(schema, std::io::BufReader::new(file), opts)?
        };
        report.kept_enough(&path.display().to_string(), head.first() == Some(&b'{'))?;
        Ok((store, report))
    }

    /// Loads enterprises from a path: a folder of profiles (one JSON document per `.json`
    /// file, in name order, as `data/enterprises`), or a file as [`EnterpriseStore::load_path`].
    pub fn load_any(schema: &Schema, path: &std::path::Path, opts: LoadOptions) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        if !path.is_dir() {
            return EnterpriseStore::load_path(schema, path, opts);
        }
        let read_err = |p: &std::path::Path, e: std::io::Error| StoreError::Input(format!("cannot read {}: {e}", p.display()));
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .map_err(|e| read_err(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(StoreError::Input(format!("{}: no .json profiles in the folder", path.display())));
        }
        let mut lines = String::new();
        for f in &files {
            let text = crate::files::read_text(f).map_err(|e| read_err(f, e))?;
            let v = crate::profile::parse_json(&text).map_err(|e| StoreError::Input(format!("{}: not valid JSON: {e}", f.display())))?;
            lines.push_str(&v.to_string());
            lines.push('\n');
        }
        let (store, report) = EnterpriseStore::load_jsonl(schema, lines.as_bytes(), opts)?;
        report.kept_enough(&path.display().to_string(), false)?;
        Ok((store, report))
    }
}

impl LoadReport {
    /// An error when a load kept no row, or skipped more rows than it kept: such a file is
    /// not what the caller meant (a pretty-printed profile read as JSON lines, the wrong
    /// CSV), and answering from the few rows left would be silently wrong. `json_object`:
    /// the file starts with `{` (then a one-document file is the likely mistake).
    pub fn kept_enough(&self, what: &str, json_object: bool) -> Result<(), StoreError> {
        if self.loaded > 0 && self.skipped <= self.loaded {
            return Ok(());
        }
        let first = self.errors.first().map(|e| format!("; line {}: {}", e.line, e.reason)).unwrap_or_default();
        let hint = if json_object && self.loaded == 0 {
            " (JSON lines hold one profile per line: a profile spread over several lines is one document; give it with \
             `--profile`, or a folder of profiles)"
        } else {
            ""
        };
        Err(StoreError::Input(if self.loaded == 0 && self.skipped == 0 {
            format!("{what}: no enterprises in the file")
        } else if self.loaded == 0 {
            format!("{what}: kept no enterprise: all {} row(s) are bad{first}{hint}", self.skipped)
        } else {
            format!("{what}: skipped {} bad row(s) and kept only {}: more than half the rows are bad{first}", self.skipped, self.loaded)
        }))
    }
}
