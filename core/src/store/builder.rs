//! Building a store row by row: each profile's values appended to the columns (typed,
//! with the unknown rows as bitmaps), then finished into an [`EnterpriseStore`].

use super::*;

pub(super) fn empty_values(ty: &FieldType) -> Values {
    match ty {
        FieldType::Bool => Values::Bool(RoaringBitmap::new()),
        FieldType::Decimal(_) | FieldType::Integer(_) => Values::Num(Nums::default()),
        FieldType::Date => Values::Date(Vec::new()),
        FieldType::Enum(_) => Values::Enum(Vec::new()),
        FieldType::Code(_) => Values::Code { dict: Vec::new(), ids: Vec::new() },
        FieldType::Text | FieldType::Tags | FieldType::Qualifications | FieldType::Records(_) => Values::Text(Strings::default()),
    }
}

impl Scalars {
    pub(super) fn new(ty: &FieldType) -> Scalars {
        Scalars { known: RoaringBitmap::new(), values: empty_values(ty) }
    }

    /// Appends rows with no value up to (not including) `row`.
    pub(super) fn pad(&mut self, row: u32) {
        let row = row as usize;
        match &mut self.values {
            Values::Bool(_) => {}
            Values::Num(v) => v.pad(row),
            Values::Date(v) => v.resize(row, 0),
            Values::Enum(v) => v.resize(row, 0),
            Values::Code { ids, .. } => ids.resize(row, 0),
            Values::Text(v) => v.pad(row),
        }
    }

    pub(super) fn push(&mut self, row: u32, s: &Scalar, codes: &mut rustc_hash::FxHashMap<String, u32>) {
        self.pad(row);
        self.known.insert(row);
        match (&mut self.values, s) {
            (Values::Bool(t), Scalar::Bool(b)) => {
                if *b {
                    t.insert(row);
                }
            }
            (Values::Num(v), Scalar::Num(d)) => v.push(*d),
            (Values::Date(v), Scalar::Date(d)) => v.push(d.day_number()),
            (Values::Enum(v), Scalar::Enum(e)) => v.push(*e),
            (Values::Code { dict, ids }, Scalar::Code(c)) => {
                let id = *codes.entry(c.clone()).or_insert_with(|| {
                    dict.push(c.clone());
                    (dict.len() - 1) as u32
                });
                ids.push(id);
            }
            (Values::Text(v), Scalar::Text(t)) => v.push(t),
            _ => {
                // A value of another type cannot come from a decoded profile; keep the
                // column aligned and the row unknown rather than store a wrong value.
                self.known.remove(row);
                self.pad(row + 1);
            }
        }
    }

    /// Appends a row's value after padding up to it, leaving the bitmaps alone (the
    /// caller adds `row` to `known`, and for a yes/no column to its yes rows, in order):
    /// `Some(is_yes)` (`Some(false)` for a non-boolean value), `None` when the value is
    /// not of the column's type (nothing appended then).
    pub(super) fn push_value(&mut self, row: u32, s: &Scalar, codes: &mut rustc_hash::FxHashMap<String, u32>) -> Option<bool> {
        match (&mut self.values, s) {
            (Values::Bool(_), Scalar::Bool(b)) => Some(*b),
            (Values::Num(v), Scalar::Num(d)) => {
                v.pad(row as usize);
                v.push(*d);
                Some(false)
            }
            (Values::Date(v), Scalar::Date(d)) => {
                v.resize(row as usize, 0);
                v.push(d.day_number());
                Some(false)
            }
            (Values::Enum(v), Scalar::Enum(e)) => {
                v.resize(row as usize, 0);
                v.push(*e);
                Some(false)
            }
            (Values::Code { dict, ids }, Scalar::Code(c)) => {
                let id = match codes.get(c.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id = u32::try_from(dict.len()).ok()?;
                        dict.push(c.clone());
                        codes.insert(c.clone(), id);
                        id
                    }
                };
                ids.resize(row as usize, 0);
                ids.push(id);
                Some(false)
            }
            (Values::Text(v), Scalar::Text(t)) => {
                v.pad(row as usize);
                v.push(t);
                Some(false)
            }
            _ => None,
        }
    }

    pub(super) fn get(&self, row: u32) -> Option<Scalar> {
        if !self.known.contains(row) {
            return None;
        }
        let r = row as usize;
        Some(match &self.values {
            Values::Bool(t) => Scalar::Bool(t.contains(row)),
            Values::Num(v) => Scalar::Num(v.get(r)?),
            Values::Date(v) => Scalar::Date(Date::from_day_number(*v.get(r)?)),
            Values::Enum(v) => Scalar::Enum(*v.get(r)?),
            Values::Code { dict, ids } => Scalar::Code(dict.get(*ids.get(r)? as usize)?.clone()),
            Values::Text(v) => Scalar::Text(v.get(r)?.to_string()),
        })
    }

    /// Approximate heap bytes.
    pub(super) fn bytes(&self) -> usize {
        self.known.serialized_size()
            + match &self.values {
                Values::Bool(t) => t.serialized_size(),
                Values::Num(v) => v.bytes(),
                Values::Date(v) => v.len() * 4,
                Values::Enum(v) => v.len() * 4,
                Values::Code { dict, ids } => ids.len() * 4 + dict.iter().map(|s| s.len() + 24).sum::<usize>(),
                Values::Text(v) => v.bytes(),
            }
    }
}

/// Builds a store row by row.
pub struct StoreBuilder<'s> {
    pub(super) schema: &'s Schema,
    pub(super) rows: u32,
    pub(super) ids: Strings,
    pub(super) columns: Vec<Column>,
    pub(super) codes: Vec<rustc_hash::FxHashMap<String, u32>>,
    /// Code dictionaries of record fields, per records field.
    pub(super) record_codes: Vec<Vec<rustc_hash::FxHashMap<String, u32>>>,
}

impl<'s> StoreBuilder<'s> {
    pub fn new(schema: &'s Schema) -> StoreBuilder<'s> {
        let columns = schema
            .fields
            .iter()
            .map(|f| match &f.ty {
                FieldType::Tags => Column::Tags { known: RoaringBitmap::new(), tags: BTreeMap::new() },
                FieldType::Qualifications => Column::Quals { known: RoaringBitmap::new(), rows: QualRows::default() },
                FieldType::Records(_) => Column::Records {
                    known: RoaringBitmap::new(),
                    ends: Vec::new(),
                    fields: schema.record_def(f.id).map(|d| d.fields.iter().map(|rf| Scalars::new(&rf.ty)).collect()).unwrap_or_default(),
                },
                _ if f.per_year => Column::Yearly(BTreeMap::new()),
                ty => Column::Scalar(Scalars::new(ty)),
            })
            .collect();
        let record_codes =
            schema.fields.iter().map(|f| vec![Default::default(); schema.record_def(f.id).map_or(0, |d| d.fields.len())]).collect();
        StoreBuilder {
            schema,
            rows: 0,
            ids: Strings::default(),
            columns,
            codes: vec![Default::default(); schema.fields.len()],
            record_codes,
        }
    }

    /// Appends one enterprise.
    pub fn push(&mut self, profile: &Profile, id: String) -> Result<u32, StoreError> {
        let row = self.rows;
        if row == u32::MAX {
            return Err(StoreError::TooMany);
        }
        // Qualifications are packed first: the one step that can fail, before any column
        // has changed.
        let mut quals: Vec<(usize, Vec<quals::Packed>)> = Vec::new();
        for f in 0..self.schema.fields.len() {
            if let Some(Value::Qualifications(list)) = profile.get(f) {
                quals.push((f, quals::Packed::row(list)?));
            }
        }
        // Records are numbered across the store in a u32: checked before any column changes.
        for (f, col) in self.columns.iter().enumerate() {
            if let (Column::Records { ends, .. }, Some(Value::Records(list))) = (col, profile.get(f)) {
                let used = ends.last().copied().unwrap_or(0);
                if u32::try_from(list.len()).ok().and_then(|n| used.checked_add(n)).is_none() {
                    return Err(StoreError::Input(format!(
                        "more than {} records of {} in one store",
                        u32::MAX,
                        self.schema.fields.get(f).map_or("?", |x| x.name.as_str())
                    )));
                }
            }
        }
        for (f, field) in self.schema.fields.iter().enumerate() {
            let (Some(col), Some(codes)) = (self.columns.get_mut(f), self.codes.get_mut(f)) else { continue };
            match (col, profile.get(f)) {
                (Column::Records { known, ends, fields }, value) => {
                    let list = match value {
                        Some(Value::Records(list)) => Some(list.as_slice()),
                        _ => None,
                    };
                    let mut none = Vec::new();
                    push_records(known, ends, fields, self.record_codes.get_mut(f).unwrap_or(&mut none), row, list);
                }
                (Column::Scalar(s), Some(Value::Scalar(v))) => s.push(row, v, codes),
                (Column::Yearly(years), Some(Value::Yearly(m))) => {
                    for (y, v) in m {
                        years.entry(*y).or_insert_with(|| Scalars::new(&field.ty)).push(row, v, codes);
                    }
                }
                (Column::Tags { known, tags }, Some(Value::Tags(t))) => {
                    known.insert(row);
                    for tag in t {
                        tags.entry(tag.clone()).or_default().insert(row);
                    }
                }
                (Column::Quals { known, rows }, _) => {
                    rows.pad(row as usize);
                    match quals.iter().find(|(g, _)| *g == f) {
                        Some((_, packed)) => {
                            known.insert(row);
                            rows.push(packed);
                        }
                        None => rows.push(&[]),
                    }
                }
                _ => {}
            }
        }
        self.ids.push(&id);
        self.rows += 1;
        Ok(row)
    }

    /// Finishes the store.
    pub fn finish(mut self) -> EnterpriseStore {
        let rows = self.rows;
        for c in &mut self.columns {
            match c {
                Column::Scalar(s) => s.pad(rows),
                Column::Yearly(m) => m.values_mut().for_each(|s| s.pad(rows)),
                Column::Quals { rows: r, .. } => r.pad(rows as usize),
                Column::Tags { .. } => {}
                Column::Records { ends, fields, .. } => {
                    let total = ends.last().copied().unwrap_or(0);
                    ends.resize(rows as usize, total);
                    fields.iter_mut().for_each(|c| c.pad(total));
                }
            }
        }
        EnterpriseStore {
            schema_version: self.schema.version.clone(),
            fields: self.schema.fields.iter().map(|f| f.name.clone()).collect(),
            rows,
            ids: self.ids,
            columns: self.columns,
        }
    }
}
