//! Reading Parquet from files that may be corrupt.
//!
//! The `parquet` crate returns errors for most damage, but not all: a changed byte in a
//! page can make its RLE decoder or an allocation size panic. A bad file must be an error
//! naming the file and the row group, never a crash, so every call into the reader runs
//! under [`huiqi::guard::quietly`] (the message is kept for the error instead of being
//! printed with a backtrace). Sizes are checked
//! against the file before anything is read: a row group or column chunk that claims more
//! bytes than the file has is refused up front.

use std::cell::RefCell;
use std::fs::File;
use std::path::Path;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

/// Runs `f`, turning a panic into `Err` with its message; nothing is printed for it.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    huiqi::guard::quietly(f).map_err(|p| huiqi::guard::panic_message(&*p))
}

/// The record batches of a Parquet file, each read under [`guarded`]; the first failure
/// names the row group and ends the stream.
pub struct Batches {
    reader: Option<ParquetRecordBatchReader>,
    schema: SchemaRef,
    /// Rows in each row group, to say which one a failure is in.
    group_rows: Vec<i64>,
    rows_read: i64,
    /// The failure that ended the stream, in words, for the caller's message (the
    /// consumer of the stream sees it wrapped in its own words).
    failure: std::rc::Rc<RefCell<Option<String>>>,
}

/// Which part of a Parquet file to read: some row groups (by index; `None`: all) and the
/// top-level columns a function picks from the file's Arrow schema (`None`: all), such as
/// [`crate::columns_read`].
#[derive(Default)]
pub struct Selection<'a> {
    pub row_groups: Option<Vec<usize>>,
    #[allow(clippy::type_complexity, reason = "a borrowed picker, named once here")]
    pub columns: Option<&'a dyn Fn(&arrow_schema::Schema) -> Result<Vec<usize>, String>>,
}

/// Where [`Batches`] leaves the failure that ended it.
pub type Failure = std::rc::Rc<RefCell<Option<String>>>;

impl Batches {
    /// Opens `path`, refusing a footer that does not parse or sizes past the end of the file.
    pub fn open(path: &Path) -> Result<(Batches, Failure), String> {
        Batches::open_selected(path, &Selection::default())
    }

    /// [`Batches::open`] reading only the row groups and columns of `selection`.
    pub fn open_selected(path: &Path, selection: &Selection<'_>) -> Result<(Batches, Failure), String> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let file_len = file.metadata().map_err(|e| format!("cannot read {shown}: {e}"))?.len();
        let not_parquet = |e: &dyn std::fmt::Display| format!("{shown}: not a readable Parquet file: {e}");
        let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(file))
            .map_err(|m| not_parquet(&format!("its footer is corrupt ({m})")))?
            .map_err(|e| not_parquet(&e))?;
        let meta = builder.metadata().clone();
        let mut group_rows = Vec::with_capacity(meta.num_row_groups());
        for (g, group) in meta.row_groups().iter().enumerate() {
            if group.num_rows() < 0 {
                return Err(not_parquet(&format!("row group {g} claims {} rows", group.num_rows())));
            }
            for c in group.columns() {
                // Read as stored (`byte_range` asserts on negative values).
                let start = c.dictionary_page_offset().unwrap_or_else(|| c.data_page_offset());
                let len = c.compressed_size();
                let column = c.column_path().string();
                if start < 0 || len < 0 || start.checked_add(len).is_none_or(|end| u64::try_from(end).map_or(true, |end| end > file_len)) {
                    return Err(not_parquet(&format!(
                        "row group {g}, column {column:?}: its data claims bytes {start}..{} of a file of {file_len} bytes",
                        start.saturating_add(len)
                    )));
                }
                if c.num_values() < 0 {
                    return Err(not_parquet(&format!("row group {g}, column {column:?} claims {} values", c.num_values())));
                }
            }
            group_rows.push(group.num_rows());
        }
        let mut builder = builder;
        if let Some(groups) = &selection.row_groups {
            let total = group_rows.len();
            if let Some(bad) = groups.iter().find(|g| **g >= total) {
                return Err(format!("{shown}: there is no row group {bad}: the file has {total} (0 to {})", total.saturating_sub(1)));
            }
            if groups.is_empty() {
                return Err(format!("{shown}: no row group asked (give their numbers, or none for all)"));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = groups.iter().find(|g| !seen.insert(**g)) {
                return Err(format!("{shown}: row group {twice} is asked twice (its rows would be counted twice)"));
            }
            group_rows = groups.iter().filter_map(|g| group_rows.get(*g).copied()).collect();
            builder = builder.with_row_groups(groups.clone());
        }
        if let Some(columns) = selection.columns {
            let roots = columns(builder.schema())?;
            let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), roots);
            builder = builder.with_projection(mask);
        }
        let reader = guarded(|| builder.build())
            .map_err(|m| not_parquet(&format!("its metadata is corrupt ({m})")))?
            .map_err(|e| not_parquet(&e))?;
        let schema = reader.schema();
        let failure = Failure::default();
        Ok((Batches { reader: Some(reader), schema, group_rows, rows_read: 0, failure: failure.clone() }, failure))
    }

    /// The row group that row `row` (counted from 0 over the file) is in.
    fn group_of(&self, row: i64) -> usize {
        let mut end = 0i64;
        for (g, n) in self.group_rows.iter().enumerate() {
            end = end.saturating_add(*n);
            if row < end {
                return g;
            }
        }
        self.group_rows.len().saturating_sub(1)
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let reader = self.reader.as_mut()?;
        let failure = match guarded(|| reader.next()) {
            Ok(Some(Ok(batch))) => {
                // A batch is checked before it is used: the decoder builds arrays without
                // validating every offset when the data claims to be well formed.
                let checked = batch.columns().iter().try_for_each(|c| c.to_data().validate_full());
                match checked {
                    Ok(()) => {
                        self.rows_read = self.rows_read.saturating_add(i64::try_from(batch.num_rows()).unwrap_or(i64::MAX));
                        return Some(Ok(batch));
                    }
                    Err(e) => e.to_string(),
                }
            }
            Ok(None) => {
                self.reader = None;
                return None;
            }
            Ok(Some(Err(e))) => e.to_string(),
            Err(panic) => format!("the Parquet decoder failed ({panic}); the file is corrupt"),
        };
        self.reader = None;
        let group = self.group_of(self.rows_read);
        let words = format!("row group {group} (rows from {}): {failure}", self.rows_read + 1);
        *self.failure.borrow_mut() = Some(words.clone());
        Some(Err(ArrowError::ParseError(words)))
    }
}

impl RecordBatchReader for Batches {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Whether `path` is Parquet: by its name (`.parquet`) or by its first bytes (`PAR1`),
/// whatever it is called.
pub fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet"))
        || (path.is_file() && huiqi::files::head(path).is_ok_and(|h| huiqi::files::sniff(&h) == huiqi::files::Sniffed::Parquet))
}

/// Loads enterprises from a Parquet file with `schema`'s columns (docs/arrow.md): every
/// read guarded, a failure naming the file and the row group.
pub fn load_store(
    schema: &huiqi::schema::Schema,
    path: &Path,
) -> Result<(huiqi::store::EnterpriseStore, huiqi::store::LoadReport), String> {
    load_store_selected(schema, path, &Selection::default())
}

/// [`load_store`] of the row groups and columns of `selection`.
pub fn load_store_selected(
    schema: &huiqi::schema::Schema,
    path: &Path,
    selection: &Selection<'_>,
) -> Result<(huiqi::store::EnterpriseStore, huiqi::store::LoadReport), String> {
    let (reader, failure) = Batches::open_selected(path, selection)?;
    crate::store_from_batches(schema, reader).map_err(|e| {
        let words = failure.borrow_mut().take().unwrap_or(e);
        format!("{}: {words}", path.display())
    })
}

/// The rows of each row group of a Parquet file, from its footer (checked as
/// [`Batches::open`] checks it), to cut a file into units of work.
pub fn row_group_rows(path: &Path) -> Result<Vec<i64>, String> {
    Batches::open(path).map(|(b, _)| b.group_rows)
}
