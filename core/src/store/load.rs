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

    /// A bad row that took `lines` lines of the file (each counted as skipped: a stray
    /// quote's row stands for every row it swallowed).
    fn bad_lines(&mut self, line: usize, lines: usize, reason: String) -> Result<(), StoreError> {
        self.bad(line, reason)?;
        self.swallowed(line, lines);
        Ok(())
    }

    /// The bad row just reported took `lines` lines: each is counted as skipped, and its
    /// reason says so.
    fn swallowed(&mut self, line: usize, lines: usize) {
        self.report.skipped = self.report.skipped.saturating_add(lines.saturating_sub(1));
        if let Some(e) = self.report.errors.last_mut().filter(|e| e.line == line) {
            e.reason.push_str(&format!(
                " (the row runs over {lines} lines: if a quote on line {line} is not closed where it should be, the rows on those lines are lost, and each is counted as skipped)"
            ));
        }
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

/// Passes CSV bytes through, failing once one record runs past [`MAX_LINE_BYTES`]. A record
/// ends at a line break outside quotes (a doubled quote inside a quoted cell toggles twice,
/// so counting quotes is enough), so a stray quote, which would make the CSV reader buffer
/// the rest of the file as one record, is stopped at the limit and named by the line where
/// its record started.
struct RecordLimit<R> {
    inner: R,
    in_record: usize,
    quoted: bool,
    line: usize,
    record_line: usize,
    /// The last byte read ended a line.
    line_start: bool,
}

impl<R> RecordLimit<R> {
    fn new(inner: R) -> RecordLimit<R> {
        RecordLimit { inner, in_record: 0, quoted: false, line: 1, record_line: 1, line_start: true }
    }
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        if n == 0 && self.quoted && !out.is_empty() {
            // The CSV reader would take the rest of the file as one cell.
            self.quoted = false;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a quote in the record that starts on line {} is never closed: lines {} to {} would be read as one cell",
                    self.record_line,
                    self.record_line,
                    if self.line_start { self.line.saturating_sub(1) } else { self.line }
                ),
            ));
        }
        for b in out.get(..n).unwrap_or_default() {
            self.line_start = *b == b'\n';
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' => {
                    self.line += 1;
                    if !self.quoted {
                        self.in_record = 0;
                        self.record_line = self.line;
                        continue;
                    }
                }
                _ => {}
            }
            self.in_record += 1;
            if self.in_record > MAX_LINE_BYTES {
                let why = if self.quoted && self.line > self.record_line {
                    format!(
                        "the CSV record that starts on line {} runs past line {} inside a quoted cell and is longer than {MAX_LINE_BYTES} bytes, the limit for one enterprise (docs/limits.md): is a quote on line {} not closed?",
                        self.record_line, self.line, self.record_line
                    )
                } else {
                    format!(
                        "line {} is longer than {MAX_LINE_BYTES} bytes, the limit for one enterprise (docs/limits.md)",
                        self.record_line
                    )
                };
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
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

    /// Loads enterprises from profiles already parsed (numbered from 1 in reports, as
    /// lines are): a generator's output, or rows a caller decoded itself.
    pub fn load_values(
        schema: &Schema,
        values: impl IntoIterator<Item = Json>,
        opts: LoadOptions,
    ) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        let mut l = Loader::new(schema, opts);
        for (i, v) in values.into_iter().enumerate() {
            l.row(i + 1, &v)?;
        }
        Ok(l.finish())
    }

    /// Loads enterprises from CSV with a header row naming schema fields (English names or
    /// Chinese labels; per-year columns as `operating_revenue@2024`). Empty cells are
    /// unknown; tags are separated by `;`; qualifications are a JSON array in the cell.
    pub fn load_csv(schema: &Schema, reader: impl Read, opts: LoadOptions) -> Result<(EnterpriseStore, LoadReport), StoreError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(RecordLimit::new(reader));
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
        let mut rec = csv::StringRecord::new();
        loop {
            let start = rdr.position().line();
            let read = rdr.read_record(&mut rec);
            let line = usize::try_from(start).unwrap_or(usize::MAX);
            // Lines the record took: more than one for a quoted cell with line breaks, or
            // for a stray quote that swallowed the lines after it.
            let span = usize::try_from(rdr.position().line().saturating_sub(start)).unwrap_or(usize::MAX).max(1);
            match read {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(StoreError::Input(format!("CSV: {e}"))),
                Err(e) => {
                    l.bad_lines(line, span, format!("bad CSV row: {e}"))?;
                    continue;
                }
            }
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
            let skipped = l.report.skipped;
            match problem {
                Some(p) => l.bad(line, p)?,
                None => l.row(line, &Json::Object(obj))?,
            }
            if span > 1 && l.report.skipped > skipped {
                l.swallowed(line, span);
            }
        }
        Ok(l.finish())
    }

    /// Loads a file by its kind, judged by its content: a saved store (by its magic bytes),
    /// JSON lines (text starting with `{`), CSV (other text, named `.csv` or with a comma or
    /// tab on its first line). A Parquet file, a binary file or other text is refused by
    /// name, whatever the file is called.
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
        let sample = crate::files::head_n(path, 4096).map_err(|e| StoreError::Input(format!("cannot read {}: {e}", path.display())))?;
        let named_csv = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"));
        let first_line = sample.split(|b| *b == b'\n').next().unwrap_or_default();
        let csv = match crate::files::sniff(&sample) {
            crate::files::Sniffed::Parquet => {
                return Err(StoreError::Input(format!(
                    "{} is a Parquet file: read it with `huiqi store build --enterprises FILE` (the CLI reads Parquet) or through Arrow (huiqi_store_from_arrow, engine.store_from_arrow); this call reads store files, JSON lines and CSV",
                    path.display()
                )))
            }
            crate::files::Sniffed::Binary => {
                return Err(StoreError::Input(format!(
                    "{} is not a store file, JSON lines or CSV: its first bytes are binary (not UTF-8 text)",
                    path.display()
                )))
            }
            crate::files::Sniffed::JsonLines => false,
            crate::files::Sniffed::Text => {
                if named_csv || first_line.contains(&b',') {
                    true
                } else {
                    return Err(StoreError::Input(format!(
                        "{} is not a store file, JSON lines or CSV: it is text that starts with neither `{{` (a JSON profile per line) nor a CSV header line",
                        path.display()
                    )));
                }
            }
        };
        let file = std::fs::File::open(path)?;
        let (store, report) = if csv {
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
        crate::sort::sort(&mut files);
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
