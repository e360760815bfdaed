//! The enterprise store: one policy against a million enterprises, and bulk matching.
//!
//! # Design
//!
//! **Columns.** Enterprises are loaded (streaming, from JSON lines or CSV) into one column
//! per schema field, with dense enterprise ids and a map back to 统一社会信用代码. Each
//! column keeps a *known* bitmap (roaring) and its values: booleans as a bitmap, numbers as
//! exact decimals, enums and codes as small integers (codes through a dictionary), tags as
//! one bitmap per tag. Per-year fields have one column per year. Unknown stays unknown.
//!
//! **Predicate bitmaps.** For an engine (a compiled policy set) and an evaluation date,
//! [`EnterpriseStore::prepare`] computes two roaring bitmaps per predicate of the policy
//! index: enterprises for which the predicate is *true*, and those for which it is
//! *unknown*. They are computed with exactly the encoding the index uses for one profile
//! (per-source thresholds, memberships, code ancestors, text patterns, the evaluator for
//! the fallback set), so a predicate means the same thing on every path. Work is split
//! into row blocks over all cores.
//!
//! **Policies as bitmap algebra.** A policy's program becomes Kleene algebra over
//! (true, false) pairs of bitmaps: `and` intersects the true sets and unites the false
//! sets, `or` the opposite, `at_least(k, …)` counts with a small dynamic programme over
//! bitmaps. The eligible set is the true set; the undetermined set is everything neither
//! true nor false. [`Prepared::reverse`] answers one policy; [`Prepared::bulk`] all of them,
//! in parallel, over the same cached predicate bitmaps.
//!
//! The trade-off: preparing costs one encoding per enterprise (the same work as matching
//! each enterprise once), after which every policy question over the whole population is
//! a handful of bitmap operations.

mod file;
mod load;

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::Date;
use crate::engine::Engine;
use crate::eval::{Evaluator, Tri};
use crate::index::Program;
use crate::outcome::Verdict;
use crate::profile::{Profile, Qualification, Scalar, Value};
use crate::schema::{FieldType, Schema};

pub use file::StoreFileError;
pub use load::{LoadOptions, LoadReport, OnError, RowError};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    File(#[from] StoreFileError),
    #[error("line {line}: {reason} (use --on-error skip to skip bad rows)")]
    Rejected { line: usize, reason: String },
    #[error("{0}")]
    Input(String),
    #[error("more than {max} enterprises", max = u32::MAX)]
    TooMany,
    #[error("unknown policy {id:?}{}", .suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    UnknownPolicy { id: String, suggestion: Option<String> },
}

/// Values of one scalar column (one per field, or per field and year).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Bool(RoaringBitmap),
    Num(Vec<Decimal>),
    Date(Vec<i32>),
    Enum(Vec<u32>),
    Code { dict: Vec<String>, ids: Vec<u32> },
    Text(Vec<String>),
}

/// A scalar column: which rows are known, and their values (defaults where unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalars {
    pub known: RoaringBitmap,
    pub values: Values,
}

/// One field's column.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Scalar(Scalars),
    Yearly(BTreeMap<i32, Scalars>),
    Tags { known: RoaringBitmap, tags: BTreeMap<String, RoaringBitmap> },
    Quals { known: RoaringBitmap, rows: Vec<Vec<Qualification>> },
}

/// Enterprises in columns.
#[derive(Clone, Debug, PartialEq)]
pub struct EnterpriseStore {
    schema_version: String,
    fields: Vec<String>,
    rows: u32,
    ids: Vec<String>,
    columns: Vec<Column>,
}

fn empty_values(ty: &FieldType) -> Values {
    match ty {
        FieldType::Bool => Values::Bool(RoaringBitmap::new()),
        FieldType::Decimal(_) | FieldType::Integer(_) => Values::Num(Vec::new()),
        FieldType::Date => Values::Date(Vec::new()),
        FieldType::Enum(_) => Values::Enum(Vec::new()),
        FieldType::Code(_) => Values::Code { dict: Vec::new(), ids: Vec::new() },
        FieldType::Text | FieldType::Tags | FieldType::Qualifications => Values::Text(Vec::new()),
    }
}

impl Scalars {
    fn new(ty: &FieldType) -> Scalars {
        Scalars { known: RoaringBitmap::new(), values: empty_values(ty) }
    }

    /// Appends rows with no value up to (not including) `row`.
    fn pad(&mut self, row: u32) {
        let row = row as usize;
        match &mut self.values {
            Values::Bool(_) => {}
            Values::Num(v) => v.resize(row, Decimal::ZERO),
            Values::Date(v) => v.resize(row, 0),
            Values::Enum(v) => v.resize(row, 0),
            Values::Code { ids, .. } => ids.resize(row, 0),
            Values::Text(v) => v.resize(row, String::new()),
        }
    }

    fn push(&mut self, row: u32, s: &Scalar, codes: &mut std::collections::HashMap<String, u32>) {
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
            (Values::Text(v), Scalar::Text(t)) => v.push(t.clone()),
            _ => {
                // A value of another type cannot come from a decoded profile; keep the
                // column aligned and the row unknown rather than store a wrong value.
                self.known.remove(row);
                self.pad(row + 1);
            }
        }
    }

    fn get(&self, row: u32) -> Option<Scalar> {
        if !self.known.contains(row) {
            return None;
        }
        let r = row as usize;
        Some(match &self.values {
            Values::Bool(t) => Scalar::Bool(t.contains(row)),
            Values::Num(v) => Scalar::Num(*v.get(r)?),
            Values::Date(v) => Scalar::Date(Date::from_day_number(*v.get(r)?)),
            Values::Enum(v) => Scalar::Enum(*v.get(r)?),
            Values::Code { dict, ids } => Scalar::Code(dict.get(*ids.get(r)? as usize)?.clone()),
            Values::Text(v) => Scalar::Text(v.get(r)?.clone()),
        })
    }

    /// Approximate heap bytes.
    fn bytes(&self) -> usize {
        self.known.serialized_size()
            + match &self.values {
                Values::Bool(t) => t.serialized_size(),
                Values::Num(v) => v.len() * 16,
                Values::Date(v) => v.len() * 4,
                Values::Enum(v) => v.len() * 4,
                Values::Code { dict, ids } => ids.len() * 4 + dict.iter().map(|s| s.len() + 24).sum::<usize>(),
                Values::Text(v) => v.iter().map(|s| s.len() + 24).sum(),
            }
    }
}

/// Builds a store row by row.
pub struct StoreBuilder<'s> {
    schema: &'s Schema,
    rows: u32,
    ids: Vec<String>,
    columns: Vec<Column>,
    codes: Vec<std::collections::HashMap<String, u32>>,
}

impl<'s> StoreBuilder<'s> {
    pub fn new(schema: &'s Schema) -> StoreBuilder<'s> {
        let columns = schema
            .fields
            .iter()
            .map(|f| match &f.ty {
                FieldType::Tags => Column::Tags { known: RoaringBitmap::new(), tags: BTreeMap::new() },
                FieldType::Qualifications => Column::Quals { known: RoaringBitmap::new(), rows: Vec::new() },
                _ if f.per_year => Column::Yearly(BTreeMap::new()),
                ty => Column::Scalar(Scalars::new(ty)),
            })
            .collect();
        StoreBuilder { schema, rows: 0, ids: Vec::new(), columns, codes: vec![Default::default(); schema.fields.len()] }
    }

    /// Appends one enterprise.
    pub fn push(&mut self, profile: &Profile, id: String) -> Result<u32, StoreError> {
        let row = self.rows;
        if row == u32::MAX {
            return Err(StoreError::TooMany);
        }
        for (f, field) in self.schema.fields.iter().enumerate() {
            let (Some(col), Some(codes)) = (self.columns.get_mut(f), self.codes.get_mut(f)) else { continue };
            match (col, profile.get(f)) {
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
                (Column::Quals { known, rows }, q) => {
                    rows.resize(row as usize, Vec::new());
                    match q {
                        Some(Value::Qualifications(list)) => {
                            known.insert(row);
                            rows.push(list.clone());
                        }
                        _ => rows.push(Vec::new()),
                    }
                }
                _ => {}
            }
        }
        self.ids.push(id);
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
                Column::Quals { rows: r, .. } => r.resize(rows as usize, Vec::new()),
                Column::Tags { .. } => {}
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

/// Memory of a store, by part.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct StoreMemory {
    pub columns_bytes: usize,
    pub ids_bytes: usize,
}

impl EnterpriseStore {
    /// Number of enterprises.
    pub fn len(&self) -> u32 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The external id (统一社会信用代码, or the name or line when absent) of row `row`.
    pub fn id(&self, row: u32) -> Option<&str> {
        self.ids.get(row as usize).map(String::as_str)
    }

    /// Approximate memory.
    pub fn memory(&self) -> StoreMemory {
        let columns_bytes = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Scalar(s) => s.bytes(),
                Column::Yearly(m) => m.values().map(Scalars::bytes).sum(),
                Column::Tags { known, tags } => {
                    known.serialized_size() + tags.iter().map(|(k, b)| k.len() + b.serialized_size()).sum::<usize>()
                }
                Column::Quals { known, rows } => {
                    known.serialized_size() + rows.iter().map(|r| 24 + r.len() * std::mem::size_of::<Qualification>()).sum::<usize>()
                }
            })
            .sum();
        StoreMemory { columns_bytes, ids_bytes: self.ids.iter().map(|s| s.len() + 24).sum() }
    }

    /// Rebuilds one enterprise's profile from the columns.
    pub fn profile(&self, schema: &Schema, row: u32) -> Profile {
        let mut p = Profile::empty(schema);
        for (f, col) in self.columns.iter().enumerate() {
            let v = match col {
                Column::Scalar(s) => s.get(row).map(Value::Scalar),
                Column::Yearly(m) => {
                    let years: BTreeMap<i32, Scalar> = m.iter().filter_map(|(y, s)| s.get(row).map(|v| (*y, v))).collect();
                    (!years.is_empty()).then_some(Value::Yearly(years))
                }
                Column::Tags { known, tags } => {
                    known.contains(row).then(|| Value::Tags(tags.iter().filter(|(_, b)| b.contains(row)).map(|(t, _)| t.clone()).collect()))
                }
                Column::Quals { known, rows } => {
                    known.contains(row).then(|| Value::Qualifications(rows.get(row as usize).cloned().unwrap_or_default()))
                }
            };
            p.set(f, v);
        }
        p
    }

    /// Checks that the store was built with this schema's fields.
    fn check_schema(&self, schema: &Schema) -> Result<(), StoreError> {
        let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        if names != self.fields.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(StoreError::Input(format!(
                "the store was built with another schema (version {}, {} fields); rebuild it",
                self.schema_version,
                self.fields.len()
            )));
        }
        Ok(())
    }

    /// Computes the predicate bitmaps of an engine's index over all enterprises on `as_of`.
    pub fn prepare(&self, engine: &Engine, as_of: Date) -> Result<Prepared, StoreError> {
        self.check_schema(engine.schema())?;
        let n = engine.index().predicate_count();
        const BLOCK: u32 = 16_384;
        let blocks: Vec<(u32, u32)> = (0..self.rows.div_ceil(BLOCK)).map(|b| (b * BLOCK, ((b + 1) * BLOCK).min(self.rows))).collect();
        let run = |&(lo, hi): &(u32, u32)| -> (Vec<RoaringBitmap>, Vec<RoaringBitmap>) {
            let mut truth = vec![RoaringBitmap::new(); n];
            let mut unknown = vec![RoaringBitmap::new(); n];
            let mut m = engine.index().matcher();
            for row in lo..hi {
                let profile = self.profile(engine.schema(), row);
                let ev = Evaluator::new(engine.policy_set(), &profile, as_of);
                engine.index().encode(&ev, &mut m);
                for p in m.truth().ones(n) {
                    if let Some(b) = truth.get_mut(p as usize) {
                        b.push(row);
                    }
                }
                for p in m.known().zeros(n) {
                    if let Some(b) = unknown.get_mut(p as usize) {
                        b.push(row);
                    }
                }
            }
            (truth, unknown)
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<(Vec<RoaringBitmap>, Vec<RoaringBitmap>)> = {
            use rayon::prelude::*;
            blocks.par_iter().map(run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<(Vec<RoaringBitmap>, Vec<RoaringBitmap>)> = blocks.iter().map(run).collect();
        let mut truth = vec![RoaringBitmap::new(); n];
        let mut unknown = vec![RoaringBitmap::new(); n];
        for (t, u) in parts {
            for (acc, b) in truth.iter_mut().zip(t) {
                *acc |= b;
            }
            for (acc, b) in unknown.iter_mut().zip(u) {
                *acc |= b;
            }
        }
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.rows);
        // The false set of each predicate, once, so a query never subtracts.
        let falsy: Vec<RoaringBitmap> = truth.iter().zip(&unknown).map(|(t, u)| &(&all - t) - u).collect();
        Ok(Prepared { as_of, all, truth, unknown, falsy })
    }
}

/// A three-valued set of enterprises: those for which something is true, and false; the
/// rest are undetermined.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriSet {
    pub t: RoaringBitmap,
    pub f: RoaringBitmap,
}

/// The answer to "which enterprises qualify for this policy".
#[derive(Clone, Debug, PartialEq)]
pub struct Reach {
    pub eligible: RoaringBitmap,
    pub undetermined: RoaringBitmap,
}

impl Reach {
    /// The verdict for one enterprise.
    pub fn verdict(&self, row: u32) -> Verdict {
        if self.eligible.contains(row) {
            Verdict::Eligible
        } else if self.undetermined.contains(row) {
            Verdict::Undetermined
        } else {
            Verdict::Ineligible
        }
    }
}

/// Predicate bitmaps of one engine over one store on one date.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub as_of: Date,
    all: RoaringBitmap,
    truth: Vec<RoaringBitmap>,
    unknown: Vec<RoaringBitmap>,
    falsy: Vec<RoaringBitmap>,
}

impl Prepared {
    /// Bytes of the predicate bitmaps (true, unknown and false sets).
    pub fn bitmap_bytes(&self) -> usize {
        self.truth.iter().chain(&self.unknown).chain(&self.falsy).map(RoaringBitmap::serialized_size).sum()
    }

    fn lit(&self, p: u32, neg: bool) -> TriSet {
        let (Some(t), Some(f)) = (self.truth.get(p as usize), self.falsy.get(p as usize)) else { return TriSet::default() };
        if neg {
            TriSet { t: f.clone(), f: t.clone() }
        } else {
            TriSet { t: t.clone(), f: f.clone() }
        }
    }

    fn eval(&self, p: &Program, results: &[Option<TriSet>]) -> TriSet {
        match p {
            Program::Const(Tri::True) => TriSet { t: self.all.clone(), f: RoaringBitmap::new() },
            Program::Const(Tri::False) => TriSet { t: RoaringBitmap::new(), f: self.all.clone() },
            Program::Const(Tri::Unknown) => TriSet::default(),
            Program::Lit(i, neg) => self.lit(*i, *neg),
            Program::Policy(i, neg) => {
                let r = results.get(*i as usize).and_then(Option::as_ref).cloned().unwrap_or_default();
                if *neg {
                    TriSet { t: r.f, f: r.t }
                } else {
                    r
                }
            }
            Program::And(xs) | Program::Or(xs) => {
                let is_and = matches!(p, Program::And(_));
                let mut acc: Option<TriSet> = None;
                for x in xs {
                    let s = self.eval(x, results);
                    match acc.as_mut() {
                        None => acc = Some(s),
                        // In place: no intermediate bitmaps are materialised.
                        Some(a) if is_and => {
                            a.t &= &s.t;
                            a.f |= &s.f;
                        }
                        Some(a) => {
                            a.t |= &s.t;
                            a.f &= &s.f;
                        }
                    }
                }
                acc.unwrap_or_else(|| {
                    if is_and {
                        TriSet { t: self.all.clone(), f: RoaringBitmap::new() }
                    } else {
                        TriSet { t: RoaringBitmap::new(), f: self.all.clone() }
                    }
                })
            }
            Program::AtLeast(k, xs) => {
                // trues[j] = enterprises with at least j true children (likewise falses).
                let n = xs.len();
                let k = *k as usize;
                let need_false = (n + 1).saturating_sub(k);
                let mut trues = vec![RoaringBitmap::new(); k + 1];
                let mut falses = vec![RoaringBitmap::new(); need_false + 1];
                if let Some(t0) = trues.get_mut(0) {
                    *t0 = self.all.clone();
                }
                if let Some(f0) = falses.get_mut(0) {
                    *f0 = self.all.clone();
                }
                for x in xs {
                    let s = self.eval(x, results);
                    for j in (1..=k).rev() {
                        let add = trues.get(j - 1).map(|prev| prev & &s.t).unwrap_or_default();
                        if let Some(cur) = trues.get_mut(j) {
                            *cur |= add;
                        }
                    }
                    for j in (1..=need_false).rev() {
                        let add = falses.get(j - 1).map(|prev| prev & &s.f).unwrap_or_default();
                        if let Some(cur) = falses.get_mut(j) {
                            *cur |= add;
                        }
                    }
                }
                TriSet { t: trues.get(k).cloned().unwrap_or_default(), f: falses.get(need_false).cloned().unwrap_or_default() }
            }
        }
    }

    fn reach(&self, s: &TriSet) -> Reach {
        Reach { eligible: s.t.clone(), undetermined: &(&self.all - &s.t) - &s.f }
    }

    /// Which enterprises qualify for policy `id` (免申即享 / 精准推送).
    pub fn reverse(&self, engine: &Engine, id: &str) -> Result<Reach, StoreError> {
        let set = engine.policy_set();
        let i = set.index_of(id).ok_or_else(|| StoreError::UnknownPolicy { id: id.to_string(), suggestion: set.suggest_policy(id) })?;
        let mut results: Vec<Option<TriSet>> = vec![None; set.policies.len()];
        self.eval_with_deps(engine, i, &mut results, 0);
        let r = results.get(i).and_then(Option::as_ref).cloned().unwrap_or_default();
        Ok(self.reach(&r))
    }

    /// Evaluates policy `i` after the policies its program refers to (`eligible(…)`), and
    /// only those. The policy graph is acyclic (checked at compile time); the depth guard
    /// is a second line of defence.
    fn eval_with_deps(&self, engine: &Engine, i: usize, results: &mut Vec<Option<TriSet>>, depth: usize) {
        if depth > 1024 || results.get(i).is_some_and(Option::is_some) {
            return;
        }
        let Some(prog) = engine.index().program(i) else { return };
        let mut deps = Vec::new();
        fn walk(p: &Program, out: &mut Vec<usize>) {
            match p {
                Program::Policy(j, _) => out.push(*j as usize),
                Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => xs.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(prog, &mut deps);
        for d in deps {
            self.eval_with_deps(engine, d, results, depth + 1);
        }
        let r = self.eval(prog, results);
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(r);
        }
    }

    /// Every policy's reach, in policy-set order, computed in parallel over the cached
    /// predicate bitmaps. `progress` is called once per finished policy.
    pub fn bulk(&self, engine: &Engine, progress: &(dyn Fn() + Sync)) -> Vec<Reach> {
        let set = engine.policy_set();
        let mut results: Vec<Option<TriSet>> = vec![None; set.policies.len()];
        let uses_policies = |p: &Program| -> bool {
            fn walk(p: &Program) -> bool {
                match p {
                    Program::Policy(..) => true,
                    Program::And(xs) | Program::Or(xs) | Program::AtLeast(_, xs) => xs.iter().any(walk),
                    _ => false,
                }
            }
            walk(p)
        };
        let (independent, dependent): (Vec<usize>, Vec<usize>) =
            set.order.iter().partition(|&&i| engine.index().program(i).is_none_or(|p| !uses_policies(p)));
        let none: Vec<Option<TriSet>> = Vec::new();
        let eval_one = |i: &usize| -> (usize, TriSet) {
            let r = engine.index().program(*i).map(|p| self.eval(p, &none)).unwrap_or_default();
            progress();
            (*i, r)
        };
        #[cfg(feature = "parallel")]
        let done: Vec<(usize, TriSet)> = {
            use rayon::prelude::*;
            independent.par_iter().map(eval_one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let done: Vec<(usize, TriSet)> = independent.iter().map(eval_one).collect();
        for (i, r) in done {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        for i in dependent {
            let r = engine.index().program(i).map(|p| self.eval(p, &results)).unwrap_or_default();
            progress();
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        results.iter().map(|r| self.reach(&r.clone().unwrap_or_default())).collect()
    }
}
