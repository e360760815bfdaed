//! Stores filled from Arrow record batches against stores loaded from the same
//! enterprises' JSON lines: the same answers in every result shape (pairs with and without
//! undetermined, lists, counts) and for the reverse query, on generated enterprises and
//! policies, for any batching.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, ListBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, Date32Array, ListArray, RecordBatch, RecordBatchIterator, RecordBatchReader, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields};
use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::schema::{FieldType, Schema};
use huiqi::store::{EnterpriseStore, LoadOptions, OnError};
use huiqi_arrow::{bulk_batches, store_from_batches, Shape};
use proptest::prelude::*;
use serde_json::Value;

/// One column of the rows: (name, array).
fn column(rows: &[Value], field: &huiqi::schema::Field, year: Option<&str>, typed_dates: bool) -> ArrayRef {
    let get = |r: &Value| -> Option<Value> {
        let v = r.get(&field.name)?;
        let v = match year {
            Some(y) => v.get(y)?,
            None => v,
        };
        (!v.is_null()).then(|| v.clone())
    };
    let values: Vec<Option<Value>> = rows.iter().map(get).collect();
    match &field.ty {
        FieldType::Bool => {
            let mut b = BooleanBuilder::new();
            values.iter().for_each(|v| b.append_option(v.as_ref().and_then(Value::as_bool)));
            Arc::new(b.finish())
        }
        FieldType::Decimal(_) | FieldType::Integer(_) => {
            let mut b = Float64Builder::new();
            values.iter().for_each(|v| b.append_option(v.as_ref().and_then(Value::as_f64)));
            Arc::new(b.finish())
        }
        FieldType::Date if typed_dates => Arc::new(Date32Array::from(
            values.iter().map(|v| v.as_ref().and_then(Value::as_str).map(|s| Date::parse(s).unwrap().day_number())).collect::<Vec<_>>(),
        )),
        FieldType::Tags => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for v in &values {
                match v.as_ref().and_then(Value::as_array) {
                    Some(tags) => {
                        tags.iter().for_each(|t| b.values().append_option(t.as_str()));
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        FieldType::Qualifications => {
            let lists: Vec<Option<Vec<Value>>> = values.iter().map(|v| v.as_ref().and_then(Value::as_array).cloned()).collect();
            let entries: Vec<&Value> = lists.iter().flatten().flatten().collect();
            // The keys the generator writes, in every batch (one struct type for all).
            let mut fields = Vec::new();
            let mut children: Vec<ArrayRef> = Vec::new();
            for k in ["code", "level", "granted_on", "expires_on", "first_grant"] {
                if k == "first_grant" {
                    let mut b = BooleanBuilder::new();
                    entries.iter().for_each(|e| b.append_option(e.get(k).and_then(Value::as_bool)));
                    fields.push(Field::new(k, DataType::Boolean, true));
                    children.push(Arc::new(b.finish()));
                } else {
                    let mut b = StringBuilder::new();
                    entries.iter().for_each(|e| b.append_option(e.get(k).and_then(Value::as_str)));
                    fields.push(Field::new(k, DataType::Utf8, true));
                    children.push(Arc::new(b.finish()));
                }
            }
            let structs: ArrayRef = Arc::new(StructArray::new(Fields::from(fields), children, None));
            let item = Arc::new(Field::new("item", structs.data_type().clone(), true));
            let offsets = OffsetBuffer::<i32>::from_lengths(lists.iter().map(|l| l.as_ref().map_or(0, Vec::len)));
            let nulls = NullBuffer::from(lists.iter().map(Option::is_some).collect::<Vec<bool>>());
            Arc::new(ListArray::new(item, offsets, structs, Some(nulls)))
        }
        FieldType::Records(r) => {
            // list<struct> with one child per record field, typed as the field is (dates as
            // strings or date32, numbers as floats, the rest as strings).
            let def = &schema_records()[*r];
            let lists: Vec<Option<Vec<Value>>> = values.iter().map(|v| v.as_ref().and_then(Value::as_array).cloned()).collect();
            let entries: Vec<&Value> = lists.iter().flatten().flatten().collect();
            let mut fields = Vec::new();
            let mut children: Vec<ArrayRef> = Vec::new();
            for rf in def {
                let sub: Vec<Value> =
                    entries.iter().map(|e| serde_json::json!({"x": e.get(&rf.name).cloned().unwrap_or(Value::Null)})).collect();
                let probe = huiqi::schema::Field { name: "x".into(), ..rf.clone() };
                let child = column(&sub, &probe, None, typed_dates);
                fields.push(Field::new(rf.name.clone(), child.data_type().clone(), true));
                children.push(child);
            }
            let structs: ArrayRef = Arc::new(StructArray::new(Fields::from(fields), children, None));
            let item = Arc::new(Field::new("item", structs.data_type().clone(), true));
            let offsets = OffsetBuffer::<i32>::from_lengths(lists.iter().map(|l| l.as_ref().map_or(0, Vec::len)));
            let nulls = NullBuffer::from(lists.iter().map(Option::is_some).collect::<Vec<bool>>());
            Arc::new(ListArray::new(item, offsets, structs, Some(nulls)))
        }
        _ => {
            let mut b = StringBuilder::new();
            for v in &values {
                match v {
                    Some(Value::String(s)) => b.append_value(s),
                    Some(other) => b.append_value(other.to_string()),
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}

/// The record fields of each record type of the embedded schema.
fn schema_records() -> Vec<Vec<huiqi::schema::Field>> {
    Schema::embedded().unwrap().records.into_iter().map(|r| r.fields).collect()
}

/// The rows as record batches of `batch` rows: a column per field present, per-year
/// fields a column per year (`field_YYYY`).
fn batches(schema: &Schema, rows: &[Value], batch: usize, typed_dates: bool) -> impl RecordBatchReader {
    let mut columns: Vec<(String, &huiqi::schema::Field, Option<String>)> = Vec::new();
    for f in &schema.fields {
        if f.per_year {
            let years: BTreeSet<String> = rows.iter().filter_map(|r| r.get(&f.name)?.as_object()).flat_map(|m| m.keys().cloned()).collect();
            columns.extend(years.into_iter().map(|y| (format!("{}_{y}", f.name), f, Some(y))));
        } else if rows.iter().any(|r| r.get(&f.name).is_some()) {
            columns.push((f.name.clone(), f, None));
        }
    }
    let out: Vec<RecordBatch> = rows
        .chunks(batch.max(1))
        .map(|chunk| {
            let arrays: Vec<(String, ArrayRef)> =
                columns.iter().map(|(name, f, y)| (name.clone(), column(chunk, f, y.as_deref(), typed_dates))).collect();
            RecordBatch::try_from_iter_with_nullable(arrays.into_iter().map(|(n, a)| (n, a, true))).unwrap()
        })
        .collect();
    // Every batch has the same columns and types (numbers are all floats: `generated`).
    let schema = out[0].schema();
    RecordBatchIterator::new(out.into_iter().map(Ok), schema)
}

fn collect(reader: Box<dyn RecordBatchReader + Send>) -> Vec<RecordBatch> {
    reader.map(Result::unwrap).collect()
}

fn jsonl(rows: &[Value]) -> String {
    rows.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

/// Generated enterprises with every number written as a float (same value), so a number
/// column is float64 in every batch.
fn generated(seed: u64, count: usize) -> Vec<Value> {
    fn floats(v: Value) -> Value {
        match v {
            Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, floats(v))).collect()),
            other => other,
        }
    }
    huiqi::gen::enterprises(seed, count).map(floats).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn arrow_stores_answer_as_json_lines_stores(seed in 0u64..1000, count in 1usize..300, batch in 1usize..200, typed_dates in any::<bool>(), as_of in prop::sample::select(vec!["2026-06-30", "2025-01-01"])) {
        let schema = Arc::new(Schema::embedded().unwrap());
        let policies: Vec<String> = huiqi::gen::policies(seed, 60).map(|v| v.to_string()).collect();
        let engine = Engine::from_sources(Arc::clone(&schema), &[("g.jsonl".into(), policies.join("\n"))]).unwrap();
        let rows = generated(seed, count);
        let (from_json, _) = EnterpriseStore::load_jsonl(&schema, jsonl(&rows).as_bytes(), LoadOptions { on_error: OnError::Reject }).unwrap();
        let (from_arrow, report) = store_from_batches(&schema, batches(&schema, &rows, batch, typed_dates)).unwrap();
        prop_assert_eq!(report.loaded, count);
        let date = Date::parse(as_of).unwrap();
        for (shape, undetermined) in [(Shape::Pairs, false), (Shape::Pairs, true), (Shape::Lists, true), (Shape::Counts, false)] {
            let a = collect(bulk_batches(&engine, &from_arrow, date, shape, undetermined, false).unwrap());
            let b = collect(bulk_batches(&engine, &from_json, date, shape, undetermined, false).unwrap());
            prop_assert_eq!(a, b, "{:?} undetermined {}", shape, undetermined);
        }
        let (pa, pj) = (from_arrow.prepare(&engine, date).unwrap(), from_json.prepare(&engine, date).unwrap());
        for p in engine.policy_set().policies.iter().take(10) {
            prop_assert_eq!(pa.reverse(&engine, &p.doc.id).unwrap(), pj.reverse(&engine, &p.doc.id).unwrap());
        }
        // Some answers are not empty: the comparison compares something.
        let counts = pa.bulk_counts(&engine);
        prop_assert!(count < 50 || counts.iter().any(|(e, _)| *e > 0));
    }
}

#[test]
fn missing_fields_follow_match() {
    let schema = Arc::new(Schema::embedded().unwrap());
    let engine = Engine::embedded().unwrap();
    let rows = generated(3, 30);
    let (store, _) = store_from_batches(&schema, batches(&schema, &rows, 7, true)).unwrap();
    let date = Date::parse("2026-06-30").unwrap();
    let out = collect(bulk_batches(&engine, &store, date, Shape::Pairs, true, true).unwrap());
    assert_eq!(out[0].num_columns(), 4);
    let missing = out[0].column(3);
    assert!(missing.null_count() > 0 && missing.null_count() < missing.len());
    assert!(bulk_batches(&engine, &store, date, Shape::Lists, true, true).is_err());
}

#[test]
fn a_dictionary_with_no_values_is_all_unknown() {
    // Valid Arrow: every key null, no values. arrow's `normalized_keys` asserts on it, which
    // the arrow_stream fuzz target reached through the C import.
    use arrow_array::{DictionaryArray, Int32Array, StringArray};
    let keys = Int32Array::from(vec![None, None, None]);
    let dict = DictionaryArray::try_new(keys, Arc::new(StringArray::from(Vec::<&str>::new())) as ArrayRef).unwrap();
    let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
    let batch = RecordBatch::try_from_iter([("name", names), ("industry", Arc::new(dict) as ArrayRef)]).unwrap();
    let schema = Schema::embedded().unwrap();
    let reader = RecordBatchIterator::new(vec![Ok(batch.clone())], batch.schema());
    let (store, report) = store_from_batches(&schema, reader).unwrap();
    assert_eq!((store.len(), report.skipped), (3, 0));
    let industry = schema.field("industry").unwrap().id;
    assert!((0..3).all(|row| store.profile(&schema, row).text(industry).is_none()));
}

#[test]
fn a_null_typed_list_column_is_unknown_like_a_null_typed_scalar() {
    // Before, a Null-typed qualifications (or tags, or records) column was refused, while a
    // Null-typed scalar column was read as unknown.
    use arrow_array::{NullArray, StringArray};
    let schema = Schema::embedded().unwrap();
    for column in ["qualifications", "tags", "hires", "registered_capital"] {
        let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        let batch = RecordBatch::try_from_iter([("name", names), (column, Arc::new(NullArray::new(2)) as ArrayRef)]).unwrap();
        let reader = RecordBatchIterator::new(vec![Ok(batch.clone())], batch.schema());
        let (store, report) = store_from_batches(&schema, reader).unwrap_or_else(|e| panic!("{column}: {e}"));
        assert_eq!((store.len(), report.skipped), (2, 0), "{column}");
        // Unknown, as in a profile without the key: the same store as from JSON lines.
        let (from_json, _) =
            EnterpriseStore::load_jsonl(&schema, "{\"name\": \"a\"}\n{\"name\": \"b\"}\n".as_bytes(), LoadOptions::default()).unwrap();
        assert_eq!(store.to_bytes(), from_json.to_bytes(), "{column}");
    }
}
