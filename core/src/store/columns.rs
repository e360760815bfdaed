//! Filling the store from typed columns (Arrow, Parquet, a database result), with no
//! profile JSON on the way.
//!
//! A caller hands in rows a batch at a time ([`ColumnsBuilder::add_rows`]) and then each
//! column of the batch: scalar cells ([`ColumnsBuilder::scalars`]), tag lists
//! ([`ColumnsBuilder::tags`]) or qualification lists ([`ColumnsBuilder::qualifications`]).
//! Every cell is decoded by the profile decoder ([`crate::profile::decode_cell`]), so a
//! cell means what the JSON value it stands for means (a number in the field's unit, a
//! code normalised, an enum by code or label) and lands in the same column
//! representation as a row loaded from JSON lines: the predicate sets, and every answer,
//! are the same. A null cell is unknown, as an absent field in a profile.
//!
//! Column names are schema field names or labels; a per-year field has one column per
//! year, named `field_YYYY` (or `field@YYYY`, or the label with the year). A cell that
//! does not fit is an error naming the column and the row (rows counted from 0 over the
//! whole input).
//!
//! An enterprise's id is its 统一社会信用代码, else its name, else `line N` (N = row + 1),
//! as for a JSON-lines file.

use roaring::RoaringBitmap;

use super::{quals, Column, EnterpriseStore, LoadReport, Scalars, StoreBuilder, StoreError, Values};
use crate::profile::{Cell, ProfileErrors, Qualification, Scalar};
use crate::schema::{FieldId, FieldType, Schema};

/// Where a column's values go: a field, and the year of a per-year field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub field: FieldId,
    pub year: Option<i32>,
}

/// The kind of values a field's column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Scalar,
    Tags,
    Qualifications,
    /// A list of records (Arrow `list<struct>`).
    Records,
}

impl Target {
    /// Resolves a column name: a field name or label, or for a per-year field
    /// `name_YYYY`, `name@YYYY` (either with the label).
    pub fn resolve(schema: &Schema, column: &str) -> Result<Target, StoreError> {
        let name = column.trim();
        if let Some(f) = schema.field(name) {
            if f.per_year {
                return Err(StoreError::Input(format!(
                    "column {column:?}: {} is per year; give one column per year, such as {}_2024",
                    f.name, f.name
                )));
            }
            return Ok(Target { field: f.id, year: None });
        }
        let split = name.char_indices().rev().nth(4).and_then(|(i, c)| {
            let year = name.get(i + c.len_utf8()..)?;
            (matches!(c, '_' | '@' | '.') && year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())).then(|| (name.get(..i), year))
        });
        if let Some((Some(base), year)) = split {
            if let Some(f) = schema.field(base) {
                let y: i32 = year.parse().map_err(|_| StoreError::Input(format!("column {column:?}: bad year {year:?}")))?;
                if !f.per_year {
                    return Err(StoreError::Input(format!("column {column:?}: {} is not per year", f.name)));
                }
                if !(1900..=2200).contains(&y) {
                    return Err(StoreError::Input(format!("column {column:?}: year keys are 4-digit years (1900–2200), found {year:?}")));
                }
                return Ok(Target { field: f.id, year: Some(y) });
            }
        }
        // A misspelt per-year column (`employes_2025`): the nearest field, with the year.
        let suggestion = match split {
            Some((Some(base), year)) => schema.suggest_field(base).map(|s| format!("{s}_{year}")),
            _ => None,
        }
        .or_else(|| schema.suggest_field(name));
        let hint = suggestion.map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
        Err(StoreError::Input(format!("column {column:?} is not a schema field{hint}")))
    }

    /// What the target's column holds.
    pub fn kind(&self, schema: &Schema) -> TargetKind {
        match schema.field_by_id(self.field).map(|f| &f.ty) {
            Some(FieldType::Tags) => TargetKind::Tags,
            Some(FieldType::Qualifications) => TargetKind::Qualifications,
            Some(FieldType::Records(_)) => TargetKind::Records,
            _ => TargetKind::Scalar,
        }
    }
}

/// Resolves every column name of an input; a field given twice (by name and label, or
/// one year twice) is an error.
pub fn resolve_columns<'a>(schema: &Schema, names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Target>, StoreError> {
    let mut seen: std::collections::HashMap<Target, &str> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for name in names {
        let t = Target::resolve(schema, name)?;
        if let Some(prev) = seen.insert(t, name) {
            return Err(StoreError::Input(format!("columns {prev:?} and {name:?} give the same field")));
        }
        out.push(t);
    }
    Ok(out)
}

/// Fills a store from typed columns, batch by batch.
pub struct ColumnsBuilder<'s> {
    b: StoreBuilder<'s>,
    report: LoadReport,
    /// Rows with a warning (counted once each, as for JSON lines).
    warned: RoaringBitmap,
}

fn column_error(column: &str, row: u64, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Column { column: column.to_string(), row, reason: reason.to_string() }
}

fn reasons(e: &ProfileErrors) -> String {
    e.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; ")
}

impl<'s> ColumnsBuilder<'s> {
    pub fn new(schema: &'s Schema) -> ColumnsBuilder<'s> {
        ColumnsBuilder { b: StoreBuilder::new(schema), report: LoadReport::default(), warned: RoaringBitmap::new() }
    }

    /// Rows so far.
    pub fn rows(&self) -> u32 {
        self.b.rows
    }

    /// Adds `n` rows (all unknown until their columns are given); returns the first.
    pub fn add_rows(&mut self, n: usize) -> Result<u32, StoreError> {
        let first = self.b.rows;
        let n = u32::try_from(n).map_err(|_| StoreError::TooMany)?;
        self.b.rows = first.checked_add(n).filter(|r| *r < u32::MAX).ok_or(StoreError::TooMany)?;
        Ok(first)
    }

    /// The rows `first..first + n` of a batch; an error when they were not added.
    fn check_rows(&self, column: &str, first: u32, n: usize) -> Result<(), StoreError> {
        if u64::from(first) + n as u64 > u64::from(self.b.rows) {
            return Err(column_error(column, u64::from(first) + n as u64, "more values than rows"));
        }
        Ok(())
    }

    /// Fills a scalar column for rows `first..`: one cell per row, `None` unknown.
    pub fn scalars<'c>(
        &mut self,
        column: &str,
        target: Target,
        first: u32,
        cells: impl ExactSizeIterator<Item = Option<Cell<'c>>>,
    ) -> Result<(), StoreError> {
        self.check_rows(column, first, cells.len())?;
        let schema = self.b.schema;
        let field = schema.field_by_id(target.field).ok_or_else(|| column_error(column, u64::from(first), "no such field"))?;
        let path = match target.year {
            Some(y) => format!("$.{}.{y}", field.name),
            None => format!("$.{}", field.name),
        };
        let (Some(col), Some(codes)) = (self.b.columns.get_mut(target.field), self.b.codes.get_mut(target.field)) else {
            return Err(column_error(column, u64::from(first), "no such field"));
        };
        let scalars: &mut Scalars = match (col, target.year) {
            (Column::Scalar(s), None) => s,
            (Column::Yearly(m), Some(y)) => m.entry(y).or_insert_with(|| Scalars::new(&field.ty)),
            _ => return Err(column_error(column, u64::from(first), "the field's column does not hold single values")),
        };
        // Rows go up: the first filled row of this call must lie past the column's last.
        let floor = scalars.known.max();
        let mut unknown_codes = 0usize;
        // Codes, enums and dates take few distinct values: each string is decoded once per
        // call (decoding is a function of the field and the string alone).
        let memo = matches!(field.ty, FieldType::Code(_) | FieldType::Enum(_) | FieldType::Date);
        let mut decoded: rustc_hash::FxHashMap<&str, (Scalar, usize, usize)> = rustc_hash::FxHashMap::default();
        // Rows filled (and for a yes/no field, rows that are yes), added to the bitmaps
        // at the end in one sorted append.
        let mut filled: Vec<u32> = Vec::with_capacity(cells.len());
        let mut yes: Vec<u32> = Vec::new();
        for (row, cell) in (first..).zip(cells) {
            let Some(cell) = cell else { continue };
            if filled.is_empty() && floor.is_some_and(|m| m >= row) {
                return Err(column_error(column, u64::from(row), "rows given out of order"));
            }
            let decode = |cell: Cell<'_>| -> Result<(Scalar, usize, usize), StoreError> {
                let (value, warnings) = crate::profile::decode_cell(schema, field, cell, &path)
                    .map_err(|e| column_error(column, u64::from(row), reasons(&e)))?;
                let unknown = warnings.iter().filter(|w| w.message.contains(crate::profile::UNKNOWN_CODE)).count();
                Ok((value, warnings.len(), unknown))
            };
            let (value, warnings, unknown) = match cell {
                Cell::Str(text) if memo => match decoded.get(text) {
                    Some(hit) => hit.clone(),
                    None => {
                        let fresh = decode(cell)?;
                        decoded.insert(text, fresh.clone());
                        fresh
                    }
                },
                _ => decode(cell)?,
            };
            if warnings > 0 {
                self.warned.insert(row);
                unknown_codes += unknown;
            }
            match scalars.push_value(row, &value, codes) {
                Some(true) => {
                    filled.push(row);
                    yes.push(row);
                }
                Some(false) => filled.push(row),
                None => return Err(column_error(column, u64::from(row), "a value of another type than the column's")),
            }
        }
        if let Values::Bool(t) = &mut scalars.values {
            t.append(yes).map_err(|_| column_error(column, u64::from(first), "rows given out of order"))?;
        }
        scalars.known.append(filled).map_err(|_| column_error(column, u64::from(first), "rows given out of order"))?;
        if unknown_codes > 0 {
            *self.report.unknown_codes.entry(path.trim_start_matches("$.").to_string()).or_default() += unknown_codes;
        }
        Ok(())
    }

    /// Fills a tags column for rows `first..`: one list per row, `None` unknown (an empty
    /// list is known: no tags). A null tag in a list is an error.
    pub fn tags<'c, T: IntoIterator<Item = Option<&'c str>>>(
        &mut self,
        column: &str,
        field: FieldId,
        first: u32,
        rows: impl ExactSizeIterator<Item = Option<T>>,
    ) -> Result<(), StoreError> {
        self.check_rows(column, first, rows.len())?;
        let Some(Column::Tags { known, tags }) = self.b.columns.get_mut(field) else {
            return Err(column_error(column, u64::from(first), "the field does not hold tags"));
        };
        for (row, list) in (first..).zip(rows) {
            let Some(list) = list else { continue };
            // Tags of a row are a set: collect first, so a bad list changes nothing.
            let mut set = std::collections::BTreeSet::new();
            for (i, t) in list.into_iter().enumerate() {
                let t = t.ok_or_else(|| column_error(column, u64::from(row), format!("tag {i} is null")))?;
                set.insert(t.trim());
            }
            known.insert(row);
            for t in set {
                match tags.get_mut(t) {
                    Some(b) => {
                        b.insert(row);
                    }
                    None => {
                        tags.insert(t.to_string(), RoaringBitmap::from_iter([row]));
                    }
                }
            }
        }
        Ok(())
    }

    /// Decodes one qualification of row `row` from its entries (see
    /// [`crate::profile::decode_qualification`]).
    pub fn qualification<'a>(
        &self,
        column: &str,
        row: u32,
        index: usize,
        entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>,
    ) -> Result<Qualification, StoreError> {
        let path = format!("$.qualifications[{index}]");
        crate::profile::decode_qualification(self.b.schema, entries, &path).map_err(|e| column_error(column, u64::from(row), reasons(&e)))
    }

    /// Fills a qualifications column for rows `first..`: one list per row, `None` unknown
    /// (an empty list is known: none held).
    pub fn qualifications<'q>(
        &mut self,
        column: &str,
        field: FieldId,
        first: u32,
        rows: impl ExactSizeIterator<Item = Option<&'q [Qualification]>>,
    ) -> Result<(), StoreError> {
        self.check_rows(column, first, rows.len())?;
        let Some(Column::Quals { known, rows: col }) = self.b.columns.get_mut(field) else {
            return Err(column_error(column, u64::from(first), "the field does not hold qualifications"));
        };
        for (row, list) in (first..).zip(rows) {
            let Some(list) = list else { continue };
            let packed = quals::Packed::row(list).map_err(|e| column_error(column, u64::from(row), e))?;
            if col.len() > row as usize {
                return Err(column_error(column, u64::from(row), "rows given out of order"));
            }
            col.pad(row as usize);
            known.insert(row);
            col.push(&packed);
        }
        Ok(())
    }

    /// Decodes record `index` of row `row` of the records field `field` from its entries
    /// (see [`crate::profile::decode_record`]).
    pub fn record<'a>(
        &mut self,
        column: &str,
        field: FieldId,
        row: u32,
        index: usize,
        entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>,
    ) -> Result<crate::profile::Record, StoreError> {
        let schema = self.b.schema;
        let f = schema.field_by_id(field).ok_or_else(|| column_error(column, u64::from(row), "no such field"))?;
        let path = format!("$.{}[{index}]", f.name);
        let (r, warnings) = crate::profile::decode_record(schema, f, entries, &path).map_err(|e| {
            // Which record and key: the path says (`$.hires[2].group`).
            column_error(column, u64::from(row), e.0.iter().map(|x| format!("{}: {}", x.path, x.message)).collect::<Vec<_>>().join("; "))
        })?;
        if warnings.iter().any(|w| w.message.contains(crate::profile::UNKNOWN_CODE)) {
            *self.report.unknown_codes.entry(f.name.clone()).or_default() += 1;
        }
        Ok(r)
    }

    /// Fills a records column for rows `first..`: one list per row, `None` unknown (an
    /// empty list is known: there are none).
    pub fn records<'q>(
        &mut self,
        column: &str,
        field: FieldId,
        first: u32,
        rows: impl ExactSizeIterator<Item = Option<&'q [crate::profile::Record]>>,
    ) -> Result<(), StoreError> {
        self.check_rows(column, first, rows.len())?;
        let rows: Vec<Option<&[crate::profile::Record]>> = rows.collect();
        // Records are numbered across the store in a u32: checked before anything changes.
        let total: usize = rows.iter().flatten().map(|l| l.len()).sum();
        let codes = self.b.record_codes.get_mut(field);
        let Some(Column::Records { known, ends, fields }) = self.b.columns.get_mut(field) else {
            return Err(column_error(column, u64::from(first), "the field does not hold records"));
        };
        let used = ends.last().copied().unwrap_or(0);
        if u32::try_from(total).ok().and_then(|n| used.checked_add(n)).is_none() {
            return Err(column_error(column, u64::from(first), format!("more than {} records in one store", u32::MAX)));
        }
        if ends.len() > first as usize {
            return Err(column_error(column, u64::from(first), "rows given out of order"));
        }
        let mut none = Vec::new();
        let codes = codes.unwrap_or(&mut none);
        for (row, list) in (first..).zip(rows) {
            super::push_records(known, ends, fields, codes, row, list);
        }
        Ok(())
    }

    /// Finishes the store: ids from the 统一社会信用代码 or name columns.
    pub fn finish(mut self) -> (EnterpriseStore, LoadReport) {
        let schema = self.b.schema;
        let text_col = |name: &str| -> Option<&Scalars> {
            match schema.field(name).and_then(|f| self.b.columns.get(f.id)) {
                Some(Column::Scalar(s)) => Some(s),
                _ => None,
            }
        };
        let (uscc, name) = (text_col("uscc"), text_col("name"));
        let text = |c: Option<&Scalars>, row: u32| match c.and_then(|c| c.get(row)) {
            Some(Scalar::Text(t)) => Some(t),
            _ => None,
        };
        let mut ids = super::Strings::default();
        for row in 0..self.b.rows {
            match text(uscc, row).or_else(|| text(name, row)) {
                Some(t) => ids.push(&t),
                None => ids.push(&format!("line {}", u64::from(row) + 1)),
            }
        }
        self.b.ids = ids;
        self.report.loaded = self.b.rows as usize;
        self.report.warnings = self.warned.len() as usize;
        (self.b.finish(), self.report)
    }
}
