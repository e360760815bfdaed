//! A store filled from typed columns against the same enterprises loaded from JSON lines:
//! the same store, and the same answers in every result shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::collections::BTreeSet;
use std::sync::Arc;

use huiqi::date::Date;
use huiqi::engine::Engine;
use huiqi::profile::{Cell, Qualification};
use huiqi::schema::{FieldType, Schema};
use huiqi::store::{resolve_columns, ColumnsBuilder, EnterpriseStore, LoadOptions, OnError, StoreError, Target, TargetKind};
use proptest::prelude::*;
use serde_json::Value;

use crate::common;
use common::profile;

use crate::common::engine_for;

/// How the test hands values in: as JSON would (numbers as text, dates as strings), or
/// typed (integers, floats, decimals, dates).
#[derive(Clone, Copy, Debug)]
struct Typed(bool);

fn cell<'a>(v: &'a Value, buf: &'a mut String, ty: &FieldType, typed: Typed) -> Option<Cell<'a>> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) if typed.0 => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Cell::Int(i),
            (None, Some(_)) if matches!(ty, FieldType::Decimal(_)) => {
                *buf = n.to_string();
                Cell::Decimal(buf.parse().expect("decimal"))
            }
            (None, Some(f)) => Cell::Float(f),
            _ => panic!("number {n}"),
        },
        Value::Number(n) => {
            *buf = n.to_string();
            Cell::Number(buf)
        }
        Value::String(s) if typed.0 && matches!(ty, FieldType::Date) => Cell::Date(Date::parse(s).expect("date")),
        Value::String(s) => Cell::Str(s),
        _ => Cell::Other("a list or an object"),
    })
}

/// Columns of the rows, named as a column source would name them (per-year fields one
/// column per year, `field_YYYY`), and the store they fill.
fn columns_store(schema: &Schema, rows: &[Value], typed: Typed, batch: usize) -> Result<EnterpriseStore, StoreError> {
    let mut names: Vec<String> = Vec::new();
    for f in &schema.fields {
        if f.per_year {
            let years: BTreeSet<&String> = rows.iter().filter_map(|r| r.get(&f.name)?.as_object()).flat_map(|m| m.keys()).collect();
            names.extend(years.into_iter().map(|y| format!("{}_{y}", f.name)));
        } else if rows.iter().any(|r| r.get(&f.name).is_some()) {
            // Some columns by label, as a spreadsheet export would name them.
            names.push(if f.id % 3 == 0 { f.label.clone() } else { f.name.clone() });
        }
    }
    let targets = resolve_columns(schema, names.iter().map(String::as_str))?;
    let mut b = ColumnsBuilder::new(schema);
    for chunk in rows.chunks(batch.max(1)) {
        let first = b.add_rows(chunk.len())?;
        for (name, t) in names.iter().zip(&targets) {
            let field = schema.field_by_id(t.field).expect("field");
            let value = |r: &Value| -> Value {
                let v = r.get(&field.name).cloned().unwrap_or(Value::Null);
                match t.year {
                    Some(y) => v.get(y.to_string()).cloned().unwrap_or(Value::Null),
                    None => v,
                }
            };
            let values: Vec<Value> = chunk.iter().map(value).collect();
            match t.kind(schema) {
                TargetKind::Scalar => {
                    let mut bufs = vec![String::new(); values.len()];
                    let cells: Vec<Option<Cell<'_>>> =
                        values.iter().zip(bufs.iter_mut()).map(|(v, buf)| cell(v, buf, &field.ty, typed)).collect();
                    b.scalars(name, *t, first, cells.into_iter())?;
                }
                TargetKind::Tags => {
                    let lists: Vec<Option<Vec<Option<&str>>>> =
                        values.iter().map(|v| v.as_array().map(|a| a.iter().map(Value::as_str).collect())).collect();
                    b.tags(name, t.field, first, lists.into_iter())?;
                }
                TargetKind::Records => {
                    let def = schema.record_def(t.field).expect("record type").clone();
                    let mut lists: Vec<Option<Vec<huiqi::profile::Record>>> = Vec::new();
                    for (i, v) in values.iter().enumerate() {
                        lists.push(match v.as_array() {
                            None => None,
                            Some(entries) => {
                                let mut list = Vec::new();
                                for (k, r) in entries.iter().enumerate() {
                                    let obj = r.as_object().expect("object");
                                    let mut bufs = vec![String::new(); obj.len()];
                                    let cells = obj.iter().zip(bufs.iter_mut()).filter_map(|((key, v), buf)| {
                                        let ty = def.field(key).map_or(FieldType::Text, |f| f.ty.clone());
                                        cell(v, buf, &ty, typed).map(|c| (key.as_str(), c))
                                    });
                                    list.push(b.record(name, t.field, first + i as u32, k, cells)?);
                                }
                                Some(list)
                            }
                        });
                    }
                    b.records(name, t.field, first, lists.iter().map(|l| l.as_deref()))?;
                }
                TargetKind::Qualifications => {
                    let mut lists: Vec<Option<Vec<Qualification>>> = Vec::new();
                    for (i, v) in values.iter().enumerate() {
                        lists.push(match v.as_array() {
                            None => None,
                            Some(entries) => {
                                let mut list = Vec::new();
                                for (k, q) in entries.iter().enumerate() {
                                    let obj = q.as_object().expect("object");
                                    let mut bufs = vec![String::new(); obj.len()];
                                    let cells = obj.iter().zip(bufs.iter_mut()).filter_map(|((key, v), buf)| {
                                        let ty = if key.ends_with("_on") { FieldType::Date } else { FieldType::Text };
                                        cell(v, buf, &ty, typed).map(|c| (key.as_str(), c))
                                    });
                                    list.push(b.qualification(name, first + i as u32, k, cells)?);
                                }
                                Some(list)
                            }
                        });
                    }
                    b.qualifications(name, t.field, first, lists.iter().map(|l| l.as_deref()))?;
                }
            }
        }
    }
    Ok(b.finish().0)
}

/// A record cell that does not fit names the column, the row and the record's key.
#[test]
fn a_bad_record_names_the_column_row_and_key() {
    let schema = Schema::embedded().expect("schema");
    let mut b = ColumnsBuilder::new(&schema);
    let first = b.add_rows(2).expect("rows");
    let t = Target::resolve(&schema, "招用人员").expect("records by label");
    assert_eq!(t.kind(&schema), TargetKind::Records);
    let err = b.record("hires", t.field, first + 1, 2, vec![("group", Cell::Str("soldier"))]).expect_err("bad enum");
    let msg = err.to_string();
    assert!(msg.starts_with("column \"hires\", row 1: ") && msg.contains("$.hires[2].group"), "{msg}");
    let ok =
        b.record("hires", t.field, first, 0, vec![("group", Cell::Str("veteran")), ("contract_months", Cell::Int(12))]).expect("record");
    b.records("hires", t.field, first, vec![Some(std::slice::from_ref(&ok)), None].into_iter()).expect("fill");
    let (store, _) = b.finish();
    assert!(matches!(store.profile(&schema, 0).get(t.field), Some(huiqi::profile::Value::Records(r)) if r.len() == 1));
    assert_eq!(store.profile(&schema, 1).get(t.field), None, "a null list is unknown");
}

fn jsonl(rows: &[Value]) -> String {
    rows.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn columns_fill_the_store_json_lines_fill(rows in prop::collection::vec(profile(), 1..80), typed in any::<bool>(), batch in 1usize..40, as_of in prop::sample::select(vec!["2026-06-30", "2024-12-31"])) {
        let engine = engine_for(common::CONDS);
        let schema = engine.schema();
        let (from_json, _) = EnterpriseStore::load_jsonl(schema, jsonl(&rows).as_bytes(), LoadOptions { on_error: OnError::Reject }).expect("load");
        let from_columns = columns_store(schema, &rows, Typed(typed), batch).expect("columns");
        prop_assert_eq!(&from_columns, &from_json);
        // And so every answer: bulk, counts and reverse on the prepared sets.
        let date = Date::parse(as_of).expect("date");
        let (a, b) = (from_columns.prepare(&engine, date).expect("prepare"), from_json.prepare(&engine, date).expect("prepare"));
        let (bulk_a, bulk_b) = (a.bulk(&engine, &|| {}), b.bulk(&engine, &|| {}));
        prop_assert_eq!(&bulk_a, &bulk_b);
        prop_assert_eq!(a.bulk_counts(&engine), b.bulk_counts(&engine));
        for i in 0..common::CONDS.len() {
            prop_assert_eq!(a.reverse(&engine, &format!("p{i}")).expect("reverse"), b.reverse(&engine, &format!("p{i}")).expect("reverse"));
        }
    }
}

#[test]
fn generated_enterprises_fill_the_same_store_and_answers() {
    let policies: Vec<String> = huiqi::gen::policies(5, 80).map(|v| v.to_string()).collect();
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let engine = Engine::from_sources(schema, &[("g.jsonl".into(), policies.join("\n"))]).expect("engine");
    let rows: Vec<Value> = huiqi::gen::enterprises(11, 700).collect();
    let (from_json, report) = EnterpriseStore::load_jsonl(engine.schema(), jsonl(&rows).as_bytes(), LoadOptions::default()).expect("load");
    assert_eq!(report.loaded, 700);
    for typed in [false, true] {
        let from_columns = columns_store(engine.schema(), &rows, Typed(typed), 256).expect("columns");
        assert_eq!(from_columns, from_json, "typed: {typed}");
        assert_eq!(from_columns.id(0), rows[0]["uscc"].as_str());
        let date = Date::parse("2026-06-30").expect("date");
        let a = from_columns.prepare(&engine, date).expect("prepare");
        let b = from_json.prepare(&engine, date).expect("prepare");
        let counts = a.bulk_counts(&engine);
        assert_eq!(counts, b.bulk_counts(&engine));
        assert!(counts.iter().any(|(e, _)| *e > 0), "some policy has eligible enterprises");
    }
}

#[test]
fn a_cell_that_does_not_fit_names_the_column_and_the_row() {
    let schema = Schema::embedded().expect("schema");
    let mut b = ColumnsBuilder::new(&schema);
    let first = b.add_rows(3).expect("rows");
    let t = Target::resolve(&schema, "registered_capital").expect("field");
    let cells = vec![Some(Cell::Int(5)), None, Some(Cell::Str("lots"))];
    let err = b.scalars("registered_capital", t, first, cells.into_iter()).expect_err("bad cell");
    assert!(matches!(&err, StoreError::Column { column, row: 2, .. } if column == "registered_capital"), "{err}");
    assert!(err.to_string().starts_with("column \"registered_capital\", row 2: "), "{err}");

    let t = Target::resolve(&schema, "entity_type").expect("field");
    let err = b.scalars("entity_type", t, first, vec![Some(Cell::Bool(true))].into_iter()).expect_err("bad type");
    let msg = err.to_string();
    assert!(msg.starts_with("column \"entity_type\", row 0: expected one of company_llc"), "{msg}");
    assert!(msg.ends_with("found a boolean"), "{msg}");
}

#[test]
fn column_names_resolve_by_name_label_and_year() {
    let schema = Schema::embedded().expect("schema");
    let f = |n: &str| Target::resolve(&schema, n);
    let rd = schema.field("rd_expense").expect("rd").id;
    assert_eq!(f("rd_expense_2025").expect("year"), Target { field: rd, year: Some(2025) });
    assert_eq!(f("研发费用@2024").expect("label"), Target { field: rd, year: Some(2024) });
    let dom = schema.field("rd_expense_domestic").expect("field").id;
    assert_eq!(f("rd_expense_domestic_2023").expect("year"), Target { field: dom, year: Some(2023) });
    assert_eq!(f("注册资本").expect("label").year, None);
    assert_eq!(
        f("rd_expense").expect_err("per year").to_string(),
        "column \"rd_expense\": rd_expense is per year; give one column per year, such as rd_expense_2024"
    );
    assert!(f("registered_capital_2024").expect_err("not per year").to_string().contains("is not per year"));
    assert!(f("registerd_capital").expect_err("unknown").to_string().contains("did you mean \"registered_capital\""));
    assert!(f("employes_2025").expect_err("unknown").to_string().ends_with("did you mean \"employees_2025\"?"));
    assert!(resolve_columns(&schema, ["registered_capital", "注册资本"]).expect_err("twice").to_string().contains("give the same field"));
}

/// The profile without the fields no policy of `engine` reads (ids kept).
fn only_fields_read(engine: &Engine, row: &Value) -> Value {
    let schema = engine.schema();
    let read: BTreeSet<&str> =
        engine.policy_set().fields_read().into_iter().filter_map(|f| schema.field_by_id(f)).map(|f| f.name.as_str()).collect();
    let Value::Object(m) = row else { return row.clone() };
    Value::Object(
        m.iter().filter(|(k, _)| read.contains(k.as_str()) || *k == "uscc" || *k == "name").map(|(k, v)| (k.clone(), v.clone())).collect(),
    )
}

fn same_outcome_without_unread_fields(engine: &Engine, row: &Value) -> Result<(), TestCaseError> {
    let date = Date::parse("2026-06-30").expect("date");
    let full = engine.profile_from_json(&row.to_string());
    let kept = engine.profile_from_json(&only_fields_read(engine, row).to_string());
    if let (Ok(full), Ok(kept)) = (full, kept) {
        let a = serde_json::to_value(engine.match_reference(&full, date)).expect("json");
        let b = serde_json::to_value(engine.match_reference(&kept, date)).expect("json");
        prop_assert_eq!(a, b, "{}", row);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// `fields_read` covers every field an answer depends on: a profile cut down to them
    /// gets the same answer (verdicts, missing fields, benefits) from the reference.
    #[test]
    fn fields_read_are_all_an_answer_reads(row in common::profile()) {
        let engine = engine_for(common::CONDS);
        same_outcome_without_unread_fields(&engine, &row)?;
        let bundled = Engine::embedded().expect("bundled");
        same_outcome_without_unread_fields(&bundled, &row)?;
    }
}

#[test]
fn fields_read_leave_out_what_no_policy_reads() {
    let engine = engine_for(&["registered_capital >= 500万", "size_class <= small", "has(高新技术企业)"]);
    let schema = engine.schema();
    let names: Vec<&str> =
        engine.policy_set().fields_read().into_iter().filter_map(|f| schema.field_by_id(f)).map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"registered_capital") && names.contains(&"qualifications"), "{names:?}");
    assert!(names.contains(&"employees"), "size_class reads the headcount: {names:?}");
    assert!(!names.contains(&"business_scope") && !names.contains(&"tags"), "{names:?}");
    let policies: Vec<String> = huiqi::gen::policies(5, 80).map(|v| v.to_string()).collect();
    let generated =
        Engine::from_sources(Arc::new(Schema::embedded().expect("schema")), &[("g.jsonl".into(), policies.join("\n"))]).expect("engine");
    for row in huiqi::gen::enterprises(3, 300) {
        same_outcome_without_unread_fields(&generated, &row).expect("same answer");
    }
}
