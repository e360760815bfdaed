//! Arrow in and out of the enterprise store: a store filled from record batches, bulk results
//! as record batches, for the C ABI (the `ffi` crate) and the CLI's Parquet. No JSON on this
//! path; the values go cell by cell through the store's column builder (`huiqi::store`).
//!
//! The column conventions (documented in docs/arrow.md):
//!
//! - a column per field, named by the field's name or label;
//! - a per-year field one column per year, `rd_expense_2025` (or `rd_expense@2025`);
//! - numbers as integers, floats or decimals (in the field's unit, as in a profile) or
//!   strings with a unit (`"500万"`); dates as dates, timestamps at midnight or
//!   `YYYY-MM-DD` strings; enums and codes as strings (dictionary-encoded or not); tags
//!   as a list of strings; qualifications as a list of structs with the keys of a
//!   profile's qualification (`code`, `level`, `granted_on`, `expires_on`, `first_grant`,
//!   `status`);
//! - null is unknown; columns named `$…` are ignored, as such keys of a profile are.

#[cfg(feature = "parquet")]
pub mod parquet_in;

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
pub use arrow_schema;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use roaring::RoaringBitmap;
use rust_decimal::Decimal;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::profile::Cell;
use huiqi::store::{resolve_columns, ColumnsBuilder, EnterpriseStore, LoadReport, Reach, TargetKind};

/// Reads the cell of row `i` of a column (`None`: null).
type Reader<'a> = Box<dyn Fn(usize) -> Option<Cell<'a>> + 'a>;

fn primitive<'a, T: arrow_array::ArrowPrimitiveType>(a: &'a dyn Array, f: impl Fn(T::Native) -> Cell<'a> + 'a) -> Option<Reader<'a>> {
    let p = a.as_primitive_opt::<T>()?;
    Some(Box::new(move |i| if p.is_null(i) { None } else { p.values().get(i).map(|v| f(*v)) }))
}

/// A timestamp in `per_day` units since the epoch: its date when at midnight.
fn midnight<'a>(v: i64, per_day: i64) -> Cell<'a> {
    if v.rem_euclid(per_day) != 0 {
        return Cell::Other("a timestamp with a time of day");
    }
    date_cell(v.div_euclid(per_day))
}

fn date_cell<'a>(days: i64) -> Cell<'a> {
    match i32::try_from(days).map(Date::from_day_number) {
        Ok(d) if (1000..=9999).contains(&d.year()) => Cell::Date(d),
        _ => Cell::Other("a date outside the years 1000–9999"),
    }
}

/// The reader of a column of any supported type; other types read as [`Cell::Other`], so a
/// non-null cell of them is an error naming its row.
fn reader<'a>(a: &'a dyn Array) -> Reader<'a> {
    let other = |kind: &'static str| -> Reader<'a> { Box::new(move |i| if a.is_null(i) { None } else { Some(Cell::Other(kind)) }) };
    let r = match a.data_type() {
        DataType::Null => Some(Box::new(|_| None) as Reader<'a>),
        DataType::Boolean => {
            a.as_boolean_opt().map(|b| Box::new(move |i| if b.is_null(i) { None } else { Some(Cell::Bool(b.value(i))) }) as Reader<'a>)
        }
        DataType::Int8 => primitive::<Int8Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::Int16 => primitive::<Int16Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::Int32 => primitive::<Int32Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::Int64 => primitive::<Int64Type>(a, Cell::Int),
        DataType::UInt8 => primitive::<UInt8Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::UInt16 => primitive::<UInt16Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::UInt32 => primitive::<UInt32Type>(a, |v| Cell::Int(i64::from(v))),
        DataType::UInt64 => primitive::<UInt64Type>(a, |v| i64::try_from(v).map_or_else(|_| Cell::Decimal(Decimal::from(v)), Cell::Int)),
        // A float as the shortest decimal that reads back as the same float of its width.
        DataType::Float16 => primitive::<Float16Type>(a, |v| Cell::Float(v.to_string().parse().unwrap_or(f64::NAN))),
        DataType::Float32 => primitive::<Float32Type>(a, |v| Cell::Float(v.to_string().parse().unwrap_or(f64::NAN))),
        DataType::Float64 => primitive::<Float64Type>(a, Cell::Float),
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            primitive::<Decimal128Type>(a, move |v| {
                match u32::try_from(scale).ok().and_then(|s| Decimal::try_from_i128_with_scale(v, s).ok()) {
                    Some(d) => Cell::Decimal(d),
                    None => Cell::Other("a decimal out of range"),
                }
            })
        }
        DataType::Date32 => primitive::<Date32Type>(a, |v| date_cell(i64::from(v))),
        DataType::Date64 => primitive::<Date64Type>(a, |v| midnight(v, 86_400_000)),
        DataType::Timestamp(unit, None) => match unit {
            TimeUnit::Second => primitive::<TimestampSecondType>(a, |v| midnight(v, 86_400)),
            TimeUnit::Millisecond => primitive::<TimestampMillisecondType>(a, |v| midnight(v, 86_400_000)),
            TimeUnit::Microsecond => primitive::<TimestampMicrosecondType>(a, |v| midnight(v, 86_400_000_000)),
            TimeUnit::Nanosecond => primitive::<TimestampNanosecondType>(a, |v| midnight(v, 86_400_000_000_000)),
        },
        DataType::Utf8 => {
            a.as_string_opt::<i32>().map(|s| Box::new(move |i| if s.is_null(i) { None } else { Some(Cell::Str(s.value(i))) }) as Reader<'a>)
        }
        DataType::LargeUtf8 => {
            a.as_string_opt::<i64>().map(|s| Box::new(move |i| if s.is_null(i) { None } else { Some(Cell::Str(s.value(i))) }) as Reader<'a>)
        }
        DataType::Utf8View => {
            a.as_string_view_opt().map(|s| Box::new(move |i| if s.is_null(i) { None } else { Some(Cell::Str(s.value(i))) }) as Reader<'a>)
        }
        DataType::Dictionary(_, _) => a.as_any_dictionary_opt().map(|d| {
            // No values: every key is null (validated), and arrow's `normalized_keys`
            // asserts on an empty dictionary.
            let keys = if d.values().is_empty() { Vec::new() } else { d.normalized_keys() };
            let values = reader(d.values().as_ref());
            Box::new(move |i| if a.is_null(i) { None } else { keys.get(i).and_then(|k| values(*k)) }) as Reader<'a>
        }),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) | DataType::ListView(_) | DataType::LargeListView(_) => {
            Some(other("a list"))
        }
        DataType::Struct(_) => Some(other("a struct")),
        DataType::Map(_, _) => Some(other("a map")),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => Some(other("binary data")),
        DataType::Timestamp(_, Some(_)) => Some(other("a timestamp with a time zone (give a date)")),
        _ => None,
    };
    r.unwrap_or_else(|| other("a value of an unsupported Arrow type"))
}

/// The element range of row `i` of a list column, or `None` for a null row.
struct Lists<'a> {
    array: &'a dyn Array,
    values: &'a ArrayRef,
    offsets: Vec<(usize, usize)>,
}

fn lists(a: &dyn Array) -> Option<Lists<'_>> {
    fn ranges<O: arrow_array::OffsetSizeTrait>(o: &[O]) -> Vec<(usize, usize)> {
        o.windows(2)
            .map(|w| match w {
                [s, e] => (s.as_usize(), e.as_usize()),
                _ => (0, 0),
            })
            .collect()
    }
    if let Some(l) = a.as_list_opt::<i32>() {
        return Some(Lists { array: a, values: l.values(), offsets: ranges(l.value_offsets()) });
    }
    if let Some(l) = a.as_list_opt::<i64>() {
        return Some(Lists { array: a, values: l.values(), offsets: ranges(l.value_offsets()) });
    }
    None
}

impl Lists<'_> {
    fn row(&self, i: usize) -> Option<std::ops::Range<usize>> {
        if self.array.is_null(i) {
            return None;
        }
        self.offsets.get(i).map(|(s, e)| *s..*e)
    }
}

/// `child` with the nulls of its parent struct added.
fn with_parent_nulls(child: &ArrayRef, parent: Option<arrow_buffer::NullBuffer>) -> Result<ArrayRef, String> {
    let nulls = arrow_buffer::NullBuffer::union(parent.as_ref(), child.logical_nulls().as_ref());
    let data = child.to_data().into_builder().nulls(nulls).build().map_err(|e| e.to_string())?;
    Ok(arrow_array::make_array(data))
}

/// The rows of a `list<struct>` column (qualifications, records), each item decoded from
/// its struct's (child name, cell) entries by `decode(row, index in the list, entries)`; a
/// null list is unknown (`None`), a null item an error naming the row.
fn struct_lists<T>(
    name: &str,
    what: &str,
    col: &dyn Array,
    n: usize,
    first: u32,
    mut decode: impl FnMut(u32, usize, &[(&str, Cell<'_>)]) -> Result<T, String>,
) -> Result<Vec<Option<Vec<T>>>, String> {
    let l = lists(col).ok_or_else(|| format!("column {name:?}: {what}s are a list of structs, found {}", col.data_type()))?;
    let s = l
        .values
        .as_struct_opt()
        .ok_or_else(|| format!("column {name:?}: {what}s are a list of structs, found a list of {}", l.values.data_type()))?;
    let keys: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
    let readers: Vec<Reader<'_>> = s.columns().iter().map(|c| reader(c.as_ref())).collect();
    let row_of = |i: usize| u64::from(first) + i as u64;
    let mut rows: Vec<Option<Vec<T>>> = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(keys.len());
    for i in 0..n {
        rows.push(match l.row(i) {
            None => None,
            Some(range) => {
                let mut list = Vec::with_capacity(range.len());
                for (k, j) in range.enumerate() {
                    if s.is_null(j) {
                        return Err(format!("column {name:?}, row {}: {what} {k} is null", row_of(i)));
                    }
                    let row = u32::try_from(row_of(i)).unwrap_or(u32::MAX);
                    entries.clear();
                    entries.extend(keys.iter().zip(&readers).filter_map(|(key, r)| r(j).map(|c| (*key, c))));
                    list.push(decode(row, k, &entries)?);
                }
                Some(list)
            }
        });
    }
    Ok(rows)
}

/// The columns a store reads of `arrow_schema`: (name in messages, name resolved, column,
/// child of a struct column). Columns named `$…` are ignored, as keys of a profile are
/// (`$comment`); a struct column of a per-year field whose children are named by year
/// (what Spark makes of a profile's `{"2024": …}`) is read as one column per year.
fn kept_columns(schema: &huiqi::schema::Schema, arrow_schema: &Schema) -> Vec<(String, String, usize, Option<usize>)> {
    let mut kept: Vec<(String, String, usize, Option<usize>)> = Vec::new();
    for (i, f) in arrow_schema.fields().iter().enumerate() {
        let name = f.name();
        if name.starts_with('$') {
            continue;
        }
        if let (DataType::Struct(children), Some(field)) = (f.data_type(), schema.field(name)) {
            let is_year = |c: &str| c.len() == 4 && c.bytes().all(|b| b.is_ascii_digit());
            if field.per_year && children.iter().all(|c| is_year(c.name())) {
                for (k, c) in children.iter().enumerate() {
                    kept.push((format!("{name}.{}", c.name()), format!("{}_{}", field.name, c.name()), i, Some(k)));
                }
                continue;
            }
        }
        kept.push((name.clone(), name.clone(), i, None));
    }
    kept
}

/// The top-level columns of `arrow_schema` (indices, in order) that a bulk run of `engine`
/// reads: the columns of the fields its policies read ([`huiqi::ops::authoring::fields_read`]),
/// by name or label, a per-year field's year columns (`name_YYYY`, `name@YYYY`,
/// `name.YYYY`, or the struct column keyed by year), and the id columns (`uscc`, `name`).
/// The others change no answer, so a Parquet reader may skip them. Every column name is
/// checked first as a store load checks it: a name that is not a schema field (nor `$…`)
/// is an error, so a misspelt column is not silently dropped.
pub fn columns_read(engine: &Engine, arrow_schema: &Schema) -> Result<Vec<usize>, String> {
    let schema = engine.schema();
    let kept = kept_columns(schema, arrow_schema);
    resolve_columns(schema, kept.iter().map(|(_, r, _, _)| r.as_str())).map_err(|e| e.to_string())?;
    let read = huiqi::ops::authoring::fields_read(engine);
    let mut plain: std::collections::HashSet<&str> = read.ids.iter().map(String::as_str).collect();
    let mut yearly: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for f in &read.fields {
        for n in [f.name.as_str(), f.label.as_str()] {
            // A per-year field's name is also a struct column keyed by year.
            plain.insert(n);
            if f.per_year {
                yearly.insert(n);
            }
        }
    }
    let wanted = |column: &str| {
        let name = column.trim();
        if plain.contains(name) {
            return true;
        }
        let Some(cut) = name.len().checked_sub(5).filter(|c| name.is_char_boundary(*c)) else { return false };
        let (base, tail) = name.split_at(cut);
        let mut chars = tail.chars();
        matches!(chars.next(), Some('_' | '@' | '.')) && chars.all(|c| c.is_ascii_digit()) && yearly.contains(base)
    };
    Ok(arrow_schema.fields().iter().enumerate().filter(|(_, f)| !f.name().starts_with('$') && wanted(f.name())).map(|(i, _)| i).collect())
}

/// Fills a store from a stream of record batches.
pub fn store_from_batches(
    schema: &huiqi::schema::Schema,
    batches: impl RecordBatchReader,
) -> Result<(EnterpriseStore, LoadReport), String> {
    let arrow_schema = batches.schema();
    let kept = kept_columns(schema, &arrow_schema);
    let targets = resolve_columns(schema, kept.iter().map(|(_, r, _, _)| r.as_str())).map_err(|e| e.to_string())?;
    let mut b = ColumnsBuilder::new(schema);
    for batch in batches {
        let batch = batch.map_err(|e| format!("reading the record batches: {e}"))?;
        let n = batch.num_rows();
        let first = b.add_rows(n).map_err(|e| e.to_string())?;
        for (t, (name, _, i, child)) in targets.iter().zip(&kept) {
            let Some(col) = batch.columns().get(*i) else { continue };
            let col = match child {
                None => col,
                Some(k) => match col.as_struct_opt().and_then(|s| s.columns().get(*k)) {
                    // A null struct is unknown for every year: its children's nulls are
                    // made to agree with it.
                    Some(c) if col.null_count() == 0 => c,
                    Some(c) => &with_parent_nulls(c, col.logical_nulls())?,
                    None => continue,
                },
            };
            let name = name.as_str();
            let row_of = |i: usize| u64::from(first) + i as u64;
            // A Null-typed column (what a writer makes of a column with no value at all) is
            // unknown in every row, for lists as for scalars.
            let all_null = col.data_type() == &DataType::Null;
            match t.kind(schema) {
                TargetKind::Tags if all_null => {
                    b.tags::<Vec<Option<&str>>>(name, t.field, first, (0..n).map(|_| None)).map_err(|e| e.to_string())?;
                }
                TargetKind::Qualifications if all_null => {
                    b.qualifications(name, t.field, first, (0..n).map(|_| None)).map_err(|e| e.to_string())?;
                }
                TargetKind::Records if all_null => {
                    b.records(name, t.field, first, (0..n).map(|_| None)).map_err(|e| e.to_string())?;
                }
                TargetKind::Scalar => {
                    let r = reader(col.as_ref());
                    b.scalars(name, *t, first, (0..n).map(&r)).map_err(|e| e.to_string())?;
                }
                TargetKind::Tags => {
                    let l = lists(col.as_ref())
                        .ok_or_else(|| format!("column {name:?}: tags are a list of strings, found {}", col.data_type()))?;
                    let r = reader(l.values.as_ref());
                    let mut rows: Vec<Option<Vec<Option<&str>>>> = Vec::with_capacity(n);
                    for i in 0..n {
                        rows.push(match l.row(i) {
                            None => None,
                            Some(range) => {
                                let mut tags = Vec::with_capacity(range.len());
                                for j in range {
                                    tags.push(match r(j) {
                                        None => None,
                                        Some(Cell::Str(s)) => Some(s),
                                        Some(c) => {
                                            return Err(format!("column {name:?}, row {}: a tag is a string, found {c:?}", row_of(i)))
                                        }
                                    });
                                }
                                Some(tags)
                            }
                        });
                    }
                    b.tags(name, t.field, first, rows.into_iter()).map_err(|e| e.to_string())?;
                }
                TargetKind::Qualifications => {
                    let rows = struct_lists(name, "qualification", col.as_ref(), n, first, |row, k, entries| {
                        b.qualification(name, row, k, entries.iter().copied()).map_err(|e| e.to_string())
                    })?;
                    b.qualifications(name, t.field, first, rows.iter().map(|r| r.as_deref())).map_err(|e| e.to_string())?;
                }
                TargetKind::Records => {
                    let rows = struct_lists(name, "record", col.as_ref(), n, first, |row, k, entries| {
                        b.record(name, t.field, row, k, entries.iter().copied()).map_err(|e| e.to_string())
                    })?;
                    b.records(name, t.field, first, rows.iter().map(|r| r.as_deref())).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    Ok(b.finish())
}

/// The result shapes of a bulk run: pairs, lists or counts (the operation layer's
/// [`huiqi::ops::stores::BulkOutput`], so that every binding reads the same options).
pub use huiqi::ops::stores::BulkOutput as Shape;

/// Rows per result batch.
const BATCH_ROWS: usize = 64 * 1024;

/// The store's ids, shared by the result batches.
type Ids = Arc<Vec<String>>;

/// Bulk results as a stream of record batches.
pub fn bulk_batches(
    engine: &Engine,
    store: &EnterpriseStore,
    date: Date,
    shape: Shape,
    undetermined: bool,
    missing: bool,
) -> Result<Box<dyn RecordBatchReader + Send>, String> {
    bulk_batches_with(engine, store, date, shape, undetermined, missing, |d| store.prepare(engine, d).map(Arc::new))
}

/// [`bulk_batches`] with the store's sets from `prepare` (a
/// [`huiqi::store::PreparedCache`]).
pub fn bulk_batches_with(
    engine: &Engine,
    store: &EnterpriseStore,
    date: Date,
    shape: Shape,
    undetermined: bool,
    missing: bool,
    prepare: impl FnOnce(Date) -> Result<Arc<huiqi::store::Prepared>, huiqi::store::StoreError>,
) -> Result<Box<dyn RecordBatchReader + Send>, String> {
    if missing && (shape != Shape::Pairs || !undetermined) {
        return Err("missing fields come with the pairs of undetermined verdicts: output pairs, with undetermined".into());
    }
    let prepared = prepare(date).map_err(|e| e.to_string())?;
    let set = engine.policy_set();
    let in_force: Vec<usize> = (0..set.policies.len()).filter(|i| engine.version_in_force(*i, date)).collect();
    let policy_id = |i: usize| set.policies.get(i).map(|p| p.doc.id.clone()).unwrap_or_default();
    if shape == Shape::Counts {
        let counts = prepared.bulk_counts(engine);
        let mut ids = StringBuilder::new();
        let (mut e, mut u) = (UInt64Builder::new(), UInt64Builder::new());
        for &i in &in_force {
            let (ce, cu) = counts.get(i).copied().unwrap_or_default();
            ids.append_value(policy_id(i));
            e.append_value(ce);
            u.append_value(cu);
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("policy_id", DataType::Utf8, false),
            Field::new("eligible", DataType::UInt64, false),
            Field::new("undetermined", DataType::UInt64, false),
        ]));
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(ids.finish()) as ArrayRef, Arc::new(e.finish()), Arc::new(u.finish())])
                .map_err(|e| e.to_string())?;
        return Ok(Box::new(Batches { schema, state: State::One(Some(batch)) }));
    }
    let reach = prepared.bulk(engine, &|| {});
    let ids: Ids = Arc::new((0..store.len()).map(|r| store.id(r).unwrap_or_default().to_string()).collect());
    let policies: Vec<(String, Reach)> = in_force
        .iter()
        .filter_map(|&i| reach.get(i).map(|r| (policy_id(i), r.clone())))
        .map(|(id, mut r)| {
            if !undetermined {
                r.undetermined = RoaringBitmap::new();
            }
            (id, r)
        })
        .collect();
    Ok(match shape {
        Shape::Pairs => {
            let mut fields = vec![
                Field::new("enterprise_id", DataType::Utf8, false),
                Field::new("policy_id", DataType::Utf8, false),
                Field::new("verdict", DataType::Utf8, false),
            ];
            let missing = if missing {
                fields.push(Field::new("missing_fields", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), true));
                Some(missing_fields(engine, store, date, &policies))
            } else {
                None
            };
            Box::new(Batches { schema: Arc::new(Schema::new(fields)), state: State::Pairs { ids, policies, at: (0, 0, 0), missing } })
        }
        _ => {
            let item = Arc::new(Field::new("item", DataType::Utf8, true));
            let mut fields =
                vec![Field::new("enterprise_id", DataType::Utf8, false), Field::new("eligible", DataType::List(Arc::clone(&item)), false)];
            if undetermined {
                fields.push(Field::new("undetermined", DataType::List(item), false));
            }
            Box::new(Batches { schema: Arc::new(Schema::new(fields)), state: State::Lists { ids, policies, undetermined, next: 0 } })
        }
    })
}

/// Per row, per policy id: the missing fields (names) of its undetermined pairs.
type Missing = std::collections::HashMap<u32, std::collections::HashMap<String, Vec<String>>>;

/// The missing fields of every undetermined pair: each enterprise with one is matched on
/// its own (its profile rebuilt from the store), at summary detail — per-enterprise work,
/// so asked for only when wanted.
fn missing_fields(engine: &Engine, store: &EnterpriseStore, date: Date, policies: &[(String, Reach)]) -> Missing {
    let mut rows = RoaringBitmap::new();
    for (_, r) in policies {
        rows |= &r.undetermined;
    }
    let opts = huiqi::engine::MatchOptions { detail: huiqi::outcome::Detail::Summary, ..Default::default() };
    let mut out = Missing::new();
    for row in &rows {
        let profile = store.profile(engine.schema(), row);
        let outcome = engine.match_profile_with(&profile, date, huiqi::engine::MatchPath::Index, &opts);
        let per: std::collections::HashMap<String, Vec<String>> = outcome
            .policies
            .into_iter()
            .filter(|p| p.verdict == huiqi::outcome::Verdict::Undetermined)
            .map(|p| (p.id.to_string(), p.missing_fields.into_iter().map(|f| f.name).collect()))
            .collect();
        out.insert(row, per);
    }
    out
}

enum State {
    One(Option<RecordBatch>),
    /// `at`: (policy, 0 eligible / 1 undetermined, rows of that set already written);
    /// `missing`: the missing fields of the undetermined pairs, when asked.
    Pairs {
        ids: Ids,
        policies: Vec<(String, Reach)>,
        at: (usize, usize, u64),
        missing: Option<Missing>,
    },
    Lists {
        ids: Ids,
        policies: Vec<(String, Reach)>,
        undetermined: bool,
        next: u32,
    },
}

struct Batches {
    schema: SchemaRef,
    state: State,
}

impl Batches {
    fn pairs(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        let State::Pairs { ids, policies, at, missing } = &mut self.state else { return Ok(None) };
        let (mut e, mut p, mut v) = (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
        let mut m = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("item", DataType::Utf8, true)));
        let mut rows = 0;
        while rows < BATCH_ROWS {
            let Some((id, reach)) = policies.get(at.0) else { break };
            let (set, verdict) = if at.1 == 0 { (&reach.eligible, "eligible") } else { (&reach.undetermined, "undetermined") };
            let skip = usize::try_from(at.2).unwrap_or(usize::MAX);
            let mut taken = 0;
            for row in set.iter().skip(skip).take(BATCH_ROWS - rows) {
                e.append_value(ids.get(row as usize).map(String::as_str).unwrap_or_default());
                p.append_value(id);
                v.append_value(verdict);
                if let Some(missing) = missing {
                    match missing.get(&row).and_then(|per| per.get(id.as_str())) {
                        Some(fields) if at.1 == 1 => {
                            for f in fields {
                                m.values().append_value(f);
                            }
                            m.append(true);
                        }
                        _ if at.1 == 1 => m.append(true),
                        _ => m.append(false),
                    }
                }
                taken += 1;
            }
            rows += taken;
            at.2 += taken as u64;
            if at.2 >= set.len() {
                *at = if at.1 == 0 { (at.0, 1, 0) } else { (at.0 + 1, 0, 0) };
            }
        }
        if rows == 0 {
            return Ok(None);
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(e.finish()), Arc::new(p.finish()), Arc::new(v.finish())];
        if missing.is_some() {
            columns.push(Arc::new(m.finish()));
        }
        RecordBatch::try_new(Arc::clone(&self.schema), columns).map(Some)
    }

    fn lists(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        let State::Lists { ids, policies, undetermined, next } = &mut self.state else { return Ok(None) };
        let total = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        if *next >= total {
            return Ok(None);
        }
        let lo = *next;
        let hi = lo.saturating_add(BATCH_ROWS as u32).min(total);
        *next = hi;
        let n = (hi - lo) as usize;
        // Per row, the policies (indices) it is eligible / undetermined for, in policy order.
        let mut per_row: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); n], vec![Vec::new(); if *undetermined { n } else { 0 }]];
        for (k, (_, reach)) in policies.iter().enumerate() {
            for (which, set) in [&reach.eligible, &reach.undetermined].into_iter().enumerate() {
                let Some(rows) = per_row.get_mut(which) else { continue };
                if rows.is_empty() {
                    continue;
                }
                for row in set.range(lo..hi) {
                    if let Some(list) = rows.get_mut((row - lo) as usize) {
                        list.push(k as u32);
                    }
                }
            }
        }
        let mut e = StringBuilder::new();
        for row in lo..hi {
            e.append_value(ids.get(row as usize).map(String::as_str).unwrap_or_default());
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(e.finish())];
        for (which, rows) in per_row.iter().enumerate() {
            if which == 1 && !*undetermined {
                continue;
            }
            let mut l = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("item", DataType::Utf8, true)));
            for list in rows {
                for k in list {
                    l.values().append_value(policies.get(*k as usize).map(|(id, _)| id.as_str()).unwrap_or_default());
                }
                l.append(true);
            }
            columns.push(Arc::new(l.finish()));
        }
        RecordBatch::try_new(Arc::clone(&self.schema), columns).map(Some)
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.state {
            State::One(b) => b.take().map(Ok),
            State::Pairs { .. } => self.pairs().transpose(),
            State::Lists { .. } => self.lists().transpose(),
        }
    }
}

impl RecordBatchReader for Batches {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
