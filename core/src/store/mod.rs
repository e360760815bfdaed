//! The enterprise store: one policy against a million enterprises, and bulk matching.
//!
//! # Design
//!
//! **Columns.** Enterprises are loaded (streaming, from JSON lines or CSV, or from typed
//! columns such as Arrow record batches: `columns`) into one column
//! per schema field, with dense enterprise ids and a map back to 统一社会信用代码. Each
//! column keeps a *known* bitmap (roaring) and its values: booleans as a bitmap, numbers as
//! exact decimals (an `i64` mantissa and a scale, 9 bytes, while they fit: `nums`), enums
//! and codes as small integers (codes through a dictionary), tags as one bitmap per tag,
//! qualifications and text in one buffer per column. Per-year fields have one column per
//! year. Unknown stays unknown.
//!
//! **Predicate sets.** For an engine (a compiled policy set) and an evaluation date,
//! [`EnterpriseStore::prepare`] computes two row sets per predicate: enterprises for which
//! the predicate is *true*, and those for which it is *unknown*; *false* is the rest,
//! derived word by word when read (not stored). The sets are kept in 65,536-row blocks
//! (empty, full, sparse offsets, or dense words; see `blocks`); equal blocks of a
//! source's predicates (typically the unknown rows: those without a value) share one
//! payload. The predicates are those of [`PolicyIndex::for_sets`](crate::index::PolicyIndex::for_sets):
//! the engine's index with code lists split into one predicate per code, so the number of
//! sets follows the codes policies name rather than their distinct lists. They are
//! computed with exactly the encoding the index uses for one profile, so a predicate means
//! the same thing on every path; how often that encoding runs is the subject of
//! `prepare`: column-wise, once per distinct value, for sources that read one scalar
//! column; through the reference evaluator (memoised per value when one field is read)
//! for derived sources and generic predicates. Work is split by block over all cores.
//!
//! **Policies, block by block.** A policy's program is Kleene algebra over (true, false)
//! pairs of row sets: `and` intersects the true sets and unites the false sets, `or` the
//! opposite, `at_least(k, …)` counts with a small dynamic programme. It is evaluated one
//! block at a time on fixed 1,024-word arrays, literals folded straight into the
//! accumulator, so no roaring intermediate is materialised; only each policy's eligible
//! and undetermined words become roaring bitmaps. [`Prepared::bulk`] evaluates every policy
//! per block (blocks in parallel; `eligible(…)` results kept per block for the policies
//! that use them); [`Prepared::reverse`] evaluates one policy and its dependencies, on
//! the calling thread (a fraction of a millisecond of work; splitting it over workers
//! only added scheduling tails).
//!
//! The trade-offs: preparing costs one encoding per distinct value per source and block
//! (cheap for plain columns; the evaluator for derived sources), after which every policy
//! question over the whole population is word-level algebra over cached sets. Memory is
//! about one bit per enterprise per *dense* predicate (≈ 33 B per enterprise at 1k
//! generated policies, 80 B at 10k); per-source rank columns (1–2 B per enterprise per
//! source) would be smaller still but would make every query derive threshold sets per
//! block. A [`Prepared`] holds everything its questions read and borrows nothing from the
//! store: the columns (exact values, every year: ≈ 230 B per enterprise) are needed only
//! to prepare again for another policy set or date, and a process that only answers can
//! drop the store (keeping its ids: [`EnterpriseStore::into_ids`]) and read the saved file
//! again when it must re-prepare. Turning result words into roaring containers is about a
//! third of bulk's time (see `benches/RESULTS.md`).

mod blocks;
mod builder;
mod columns;
mod file;
mod load;
mod nums;
mod prepare;
mod quals;

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use serde::Serialize;

use crate::date::Date;
use crate::engine::Engine;
use crate::eval::Tri;
use crate::index::Program;
use crate::outcome::Verdict;
use crate::profile::{Profile, Scalar, Value};
use crate::schema::{FieldType, Schema};

use blocks::{Block, BlockSource, Pair, Pool, BLOCK_ROWS, WORDS};
pub use builder::StoreBuilder;
pub use columns::{resolve_columns, ColumnsBuilder, Target, TargetKind};
pub use file::StoreFileError;
pub use load::{LoadOptions, LoadReport, OnError, RowError, MAX_LINE_BYTES};
pub use nums::Nums;
pub use prepare::UsedColumns;
pub use quals::QualRows;

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
    /// A cell of a typed column that does not fit its field (rows counted from 0).
    #[error("column {column:?}, row {row}: {reason}")]
    Column { column: String, row: u64, reason: String },
    #[error("more than {max} enterprises", max = u32::MAX)]
    TooMany,
    #[error("unknown policy {id:?}{}", .suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
    UnknownPolicy { id: String, suggestion: Option<String> },
}

/// Strings packed in one buffer: one allocation per column instead of one per value (a
/// million ids or business scopes load without a million allocations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strings {
    buf: String,
    /// End offset of each string in `buf`.
    ends: Vec<usize>,
}

impl Strings {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.buf.get(start..end)
    }

    pub fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.ends.push(self.buf.len());
    }

    /// Pads with empty strings up to `n` (never shrinks).
    fn pad(&mut self, n: usize) {
        let end = self.buf.len();
        if self.ends.len() < n {
            self.ends.resize(n, end);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Heap bytes.
    fn bytes(&self) -> usize {
        self.buf.len() + self.ends.len() * std::mem::size_of::<usize>()
    }
}

/// Values of one scalar column (one per field, or per field and year).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Bool(RoaringBitmap),
    Num(Nums),
    Date(Vec<i32>),
    Enum(Vec<u32>),
    Code { dict: Vec<String>, ids: Vec<u32> },
    Text(Strings),
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
    Tags {
        known: RoaringBitmap,
        tags: BTreeMap<String, RoaringBitmap>,
    },
    Quals {
        known: RoaringBitmap,
        rows: QualRows,
    },
    /// A `records` field: the records of every enterprise numbered in row order (row `r`'s
    /// records are `ends[r-1]..ends[r]`), one scalar column per record field over those
    /// numbers.
    Records {
        known: RoaringBitmap,
        ends: Vec<u32>,
        fields: Vec<Scalars>,
    },
}

impl Column {
    /// Approximate heap bytes.
    fn bytes(&self) -> usize {
        match self {
            Column::Scalar(s) => s.bytes(),
            Column::Yearly(m) => m.values().map(Scalars::bytes).sum(),
            Column::Tags { known, tags } => {
                known.serialized_size() + tags.iter().map(|(k, b)| k.len() + b.serialized_size()).sum::<usize>()
            }
            Column::Quals { known, rows } => known.serialized_size() + rows.bytes(),
            Column::Records { known, ends, fields } => {
                known.serialized_size() + ends.len() * 4 + fields.iter().map(Scalars::bytes).sum::<usize>()
            }
        }
    }

    /// Whether the column holds free text.
    fn is_text(&self) -> bool {
        matches!(self, Column::Scalar(Scalars { values: Values::Text(_), .. }))
    }

    /// One row's value, as in a profile.
    fn value(&self, row: u32) -> Option<Value> {
        match self {
            Column::Scalar(s) => s.get(row).map(Value::Scalar),
            Column::Yearly(m) => {
                let years: BTreeMap<i32, Scalar> = m.iter().filter_map(|(y, s)| s.get(row).map(|v| (*y, v))).collect();
                (!years.is_empty()).then_some(Value::Yearly(years))
            }
            Column::Tags { known, tags } => {
                known.contains(row).then(|| Value::Tags(tags.iter().filter(|(_, b)| b.contains(row)).map(|(t, _)| t.clone()).collect()))
            }
            Column::Quals { known, rows } => known.contains(row).then(|| Value::Qualifications(rows.row(row as usize))),
            Column::Records { known, ends, fields } => {
                if !known.contains(row) {
                    return None;
                }
                let (start, end) = record_span(ends, row)?;
                let records = (start..end).map(|i| crate::profile::Record(fields.iter().map(|c| c.get(i)).collect())).collect();
                Some(Value::Records(records))
            }
        }
    }
}

/// Appends row `row` to a records column: its records (numbered on from the last row's),
/// or none and unknown for `None`. Rows come in order; the caller has checked that the
/// numbers fit in a u32.
fn push_records(
    known: &mut RoaringBitmap,
    ends: &mut Vec<u32>,
    fields: &mut [Scalars],
    codes: &mut [rustc_hash::FxHashMap<String, u32>],
    row: u32,
    list: Option<&[crate::profile::Record]>,
) {
    let mut next = ends.last().copied().unwrap_or(0);
    ends.resize(row as usize, next);
    if let Some(list) = list {
        known.insert(row);
        for r in list {
            for (i, col) in fields.iter_mut().enumerate() {
                if let (Some(v), Some(codes)) = (r.get(i), codes.get_mut(i)) {
                    col.push(next, v, codes);
                }
            }
            next = next.saturating_add(1);
        }
    }
    ends.push(next);
}

/// The numbers of row `row`'s records in a records column.
fn record_span(ends: &[u32], row: u32) -> Option<(u32, u32)> {
    let r = row as usize;
    let start = if r == 0 { 0 } else { *ends.get(r - 1)? };
    let end = *ends.get(r)?;
    (start <= end).then_some((start, end))
}

/// Enterprises in columns.
#[derive(Clone, Debug, PartialEq)]
pub struct EnterpriseStore {
    schema_version: String,
    fields: Vec<String>,
    rows: u32,
    ids: Strings,
    columns: Vec<Column>,
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
        self.ids.get(row as usize)
    }

    /// The external ids by row, and nothing else: for a process that answers from a
    /// [`Prepared`] (which borrows nothing from the store) and can let the columns go.
    pub fn into_ids(self) -> Strings {
        self.ids
    }

    /// Approximate memory.
    pub fn memory(&self) -> StoreMemory {
        let columns_bytes = self.columns.iter().map(Column::bytes).sum();
        StoreMemory { columns_bytes, ids_bytes: self.ids.bytes() }
    }

    /// Rebuilds one enterprise's profile from the columns.
    pub fn profile(&self, schema: &Schema, row: u32) -> Profile {
        self.profile_of(schema, row, None)
    }

    /// Rebuilds one enterprise's profile, only the fields marked in `only` when given.
    pub fn profile_of(&self, schema: &Schema, row: u32, only: Option<&[bool]>) -> Profile {
        let mut p = Profile::empty(schema);
        for (f, col) in self.columns.iter().enumerate() {
            if only.is_some_and(|o| !o.get(f).copied().unwrap_or(false)) {
                continue;
            }
            p.set(f, col.value(row));
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

/// Predicate sets of one engine over one store on one date.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub as_of: Date,
    rows: u32,
    /// The set-algebra index the predicate sets are numbered by
    /// ([`crate::index::PolicyIndex::for_sets`]).
    index: std::sync::Arc<crate::index::PolicyIndex>,
    /// `truth[p][b]`: rows of block `b` for which predicate `p` is true.
    truth: Vec<Vec<Block>>,
    /// `unknown[p][b]`: rows of block `b` for which predicate `p` is unknown.
    unknown: Vec<Vec<Block>>,
}

/// A store's last prepared sets, kept for the next question on the same engine and date.
///
/// A binding keeps one beside each store handle, so a reverse query or a second bulk
/// output on the date of the last one costs the question alone, not a preparation of
/// every enterprise again. It holds one preparation (about 33 bytes per enterprise at
/// 1k policies) until the next date or engine replaces it. The engine is recognised by
/// its allocation, which the cache keeps alive (a weak reference), so a freed engine's
/// address reused by another never hits.
#[derive(Debug, Default)]
pub struct PreparedCache {
    last: std::sync::Mutex<Option<Kept>>,
}

/// The engine (by allocation), the date and the sets a [`PreparedCache`] keeps.
type Kept = (std::sync::Weak<Engine>, Date, std::sync::Arc<Prepared>);

impl PreparedCache {
    /// The store's sets for `engine` on `date`: the kept ones, or prepared now and kept.
    /// Two threads asking at once for a new date may both prepare; the answers are the same.
    pub fn get(
        &self,
        store: &EnterpriseStore,
        engine: &std::sync::Arc<Engine>,
        date: Date,
    ) -> Result<std::sync::Arc<Prepared>, StoreError> {
        let lock = || self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((e, d, p)) = &*lock() {
            if *d == date && std::ptr::eq(e.as_ptr(), std::sync::Arc::as_ptr(engine)) {
                return Ok(std::sync::Arc::clone(p));
            }
        }
        let p = std::sync::Arc::new(store.prepare(engine, date)?);
        *lock() = Some((std::sync::Arc::downgrade(engine), date, std::sync::Arc::clone(&p)));
        Ok(p)
    }
}

impl Prepared {
    /// Bytes held by the predicate sets (true and unknown sets; false sets are derived):
    /// each distinct block payload once (with its reference-count header), plus one block
    /// descriptor per predicate and block, plus the per-predicate vectors.
    pub fn bitmap_bytes(&self) -> usize {
        let mut seen = std::collections::HashSet::new();
        let mut bytes = (self.truth.len() + self.unknown.len()) * std::mem::size_of::<Vec<Block>>();
        for b in self.truth.iter().chain(&self.unknown).flatten() {
            bytes += std::mem::size_of::<Block>();
            if let Some((at, size)) = b.payload() {
                if seen.insert(at) {
                    bytes += size;
                }
            }
        }
        bytes
    }

    fn blocks(&self) -> usize {
        self.rows.div_ceil(BLOCK_ROWS) as usize
    }

    /// Evaluates the policies of `order` (dependency order) on block `b`; returns the
    /// eligible and undetermined rows of those marked in `want`. Results of the policies
    /// marked in `keep` (referred to by `eligible(…)`) stay available to later ones.
    fn run_block<T>(
        &self,
        order: &[usize],
        keep: &[bool],
        want: &[bool],
        b: usize,
        pool: &mut Pool,
        collect: Collect<'_, T>,
    ) -> Vec<(usize, T)> {
        let valid = blocks::valid_mask(self.rows, b);
        let src = BlockSource { truth: &self.truth, unknown: &self.unknown, block: b, words: valid.words };
        let mut results: Vec<Option<Pair>> = Vec::new();
        results.resize_with(keep.len(), || None);
        let mut out = Vec::new();
        let mut scratch = Scratch { e: Box::new([0u64; WORDS]), u: Box::new([0u64; WORDS]), offsets: blocks::Offsets::new() };
        let unknown = Program::Const(Tri::Unknown);
        for &i in order {
            let prog = self.index.program(i).unwrap_or(&unknown);
            let mut r = pool.take();
            blocks::eval(prog, &src, &results, &mut r, pool);
            if want.get(i).copied().unwrap_or(false) {
                out.push((i, collect(b, &r, &valid, &mut scratch)));
            }
            match results.get_mut(i) {
                Some(slot) if keep.get(i).copied().unwrap_or(false) => *slot = Some(r),
                _ => pool.give(r),
            }
        }
        out
    }

    /// Evaluates `order` over every block (in parallel when `parallel`) and gathers the
    /// reach of the policies in `want`, indexed by policy.
    fn run(&self, order: &[usize], want: &[bool], parallel: bool) -> Vec<Reach> {
        let sets: Collect<'_, Reach> = &|b, r, valid, s| {
            let (ne, nu) = blocks::outcome(r, valid, &mut s.e, &mut s.u);
            Reach {
                eligible: blocks::to_roaring(b, &s.e, valid.words, ne, &mut s.offsets),
                undetermined: blocks::to_roaring(b, &s.u, valid.words, nu, &mut s.offsets),
            }
        };
        let empty = || Reach { eligible: RoaringBitmap::new(), undetermined: RoaringBitmap::new() };
        self.run_with(order, want, parallel, sets, empty, |acc, r| {
            acc.eligible |= r.eligible;
            acc.undetermined |= r.undetermined;
        })
    }

    /// [`Self::run`] with what becomes of each policy's result words in each block
    /// (`collect`) and how the blocks' parts add up (`merge`).
    fn run_with<T: Send>(
        &self,
        order: &[usize],
        want: &[bool],
        parallel: bool,
        collect: Collect<'_, T>,
        empty: impl Fn() -> T,
        merge: impl Fn(&mut T, T),
    ) -> Vec<T> {
        let policies = want.len();
        let mut keep = vec![false; policies];
        for &i in order {
            if let Some(p) = self.index.program(i) {
                mark_policies(p, &mut keep);
            }
        }
        let one = |b: usize| {
            let mut pool = Pool::default();
            self.run_block(order, &keep, want, b, &mut pool, collect)
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<(usize, T)>> = if parallel {
            use rayon::prelude::*;
            (0..self.blocks()).into_par_iter().map(one).collect()
        } else {
            (0..self.blocks()).map(one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Vec<(usize, T)>> = {
            let _ = parallel;
            (0..self.blocks()).map(one).collect()
        };
        let mut all: Vec<T> = (0..policies).map(|_| empty()).collect();
        for part in parts {
            for (i, r) in part {
                if let Some(acc) = all.get_mut(i) {
                    merge(acc, r);
                }
            }
        }
        all
    }

    /// Which enterprises qualify for policy `id` (免申即享 / 精准推送).
    pub fn reverse(&self, engine: &Engine, id: &str) -> Result<Reach, StoreError> {
        let set = engine.policy_set();
        let i = set.index_of(id).ok_or_else(|| StoreError::UnknownPolicy { id: id.to_string(), suggestion: set.suggest_policy(id) })?;
        // The policy and those its program refers to (`eligible(…)`), transitively.
        let mut needed = vec![false; set.policies.len()];
        let mut stack = vec![i];
        while let Some(j) = stack.pop() {
            match needed.get_mut(j) {
                Some(n) if !*n => *n = true,
                _ => continue,
            }
            if let Some(p) = self.index.program(j) {
                let mut refs = vec![false; set.policies.len()];
                mark_policies(p, &mut refs);
                stack.extend(refs.iter().enumerate().filter(|(_, r)| **r).map(|(k, _)| k));
            }
        }
        let order: Vec<usize> = set.order.iter().copied().filter(|j| needed.get(*j).copied().unwrap_or(false)).collect();
        let mut want = vec![false; set.policies.len()];
        if let Some(w) = want.get_mut(i) {
            *w = true;
        }
        // One policy is a fraction of a millisecond of work: on one thread, so its latency
        // does not wait on a second worker being scheduled.
        let mut all = self.run(&order, &want, false);
        Ok(if i < all.len() { all.swap_remove(i) } else { Reach { eligible: RoaringBitmap::new(), undetermined: RoaringBitmap::new() } })
    }

    /// The reach of the policies marked in `wanted` (indices of the engine's set), in
    /// policy-set order, over all cores; the others are empty. What [`Self::reverse`] is for
    /// one policy and [`Self::bulk`] for all: the policies a wanted one refers to
    /// (`eligible(…)`) are computed too, the rest not at all.
    pub fn reach_of(&self, engine: &Engine, wanted: &[bool]) -> Vec<Reach> {
        let set = engine.policy_set();
        let mut needed = vec![false; set.policies.len()];
        let mut stack: Vec<usize> = wanted.iter().enumerate().filter(|(_, w)| **w).map(|(i, _)| i).collect();
        while let Some(j) = stack.pop() {
            match needed.get_mut(j) {
                Some(n) if !*n => *n = true,
                _ => continue,
            }
            if let Some(p) = self.index.program(j) {
                let mut refs = vec![false; set.policies.len()];
                mark_policies(p, &mut refs);
                stack.extend(refs.iter().enumerate().filter(|(_, r)| **r).map(|(k, _)| k));
            }
        }
        let order: Vec<usize> = set.order.iter().copied().filter(|j| needed.get(*j).copied().unwrap_or(false)).collect();
        let want: Vec<bool> = (0..set.policies.len()).map(|i| wanted.get(i).copied().unwrap_or(false)).collect();
        self.run(&order, &want, true)
    }

    /// Every policy's number of eligible and undetermined enterprises, in policy-set order:
    /// [`Self::bulk`] without building the sets — the result words of each block are
    /// counted where they are computed (about a third of bulk's time is building sets).
    pub fn bulk_counts(&self, engine: &Engine) -> Vec<(u64, u64)> {
        let set = engine.policy_set();
        let want = vec![true; set.policies.len()];
        let count: Collect<'_, (u64, u64)> = &|_, r, valid, _| blocks::outcome_counts(r, valid);
        self.run_with(
            &set.order,
            &want,
            true,
            count,
            || (0, 0),
            |acc, (e, u)| {
                acc.0 += e;
                acc.1 += u;
            },
        )
    }

    /// Every policy's reach, in policy-set order, computed block by block over all cores.
    /// `progress` is called once per finished policy.
    pub fn bulk(&self, engine: &Engine, progress: &(dyn Fn() + Sync)) -> Vec<Reach> {
        let set = engine.policy_set();
        let want = vec![true; set.policies.len()];
        let reach = self.run(&set.order, &want, true);
        reach.iter().for_each(|_| progress());
        reach
    }
}

/// What one policy's result in one block becomes: (block, the (true, false) words, the
/// block's valid rows, scratch buffers) → a part of the result.
type Collect<'a, T> = &'a (dyn Fn(usize, &Pair, &blocks::Valid, &mut Scratch) -> T + Sync);

/// Buffers a worker reuses to turn results into sets.
struct Scratch {
    e: Box<blocks::Words>,
    u: Box<blocks::Words>,
    offsets: blocks::Offsets,
}

/// Marks the policies a program refers to.
fn mark_policies(p: &Program, out: &mut [bool]) {
    p.for_each_leaf(&mut |leaf| {
        if let Some(o) = match leaf {
            Program::Policy(j, _) => out.get_mut(*j as usize),
            _ => None,
        } {
            *o = true;
        }
    });
}
