//! Preparing: every enterprise encoded into the predicate sets of one policy index.
//!
//! The work is done per 65,536-row block (blocks in parallel), into one word array per
//! predicate for its true rows and one for its unknown rows, then compressed into
//! [`Block`]s. Every value goes through the index's own per-source encoding
//! ([`PolicyIndex::encode_source_value`] / [`PolicyIndex::encode_partial`]), so a predicate
//! means the same on every path; what changes is how often that encoding runs:
//!
//! - **Column-wise.** A source that reads one scalar column (a number, date, enum, code,
//!   text or boolean field, per year or not) is read straight from the column. Rows are
//!   grouped by their exact value within the block and each distinct value is encoded
//!   once (a code column has a few hundred distinct codes per block, not 65,536);
//!   amounts, nearly all distinct, are encoded row by row without grouping. Rows without
//!   a value are unknown for all the source's predicates, one word operation per 64 rows.
//! - **Memoised evaluator.** A derived source or generic predicate whose evaluation reads
//!   exactly one field (say `full_years_since(registration_date) >= 3`, or `has(…)` over
//!   the qualifications) is evaluated once per distinct value of that field in the block,
//!   on a profile holding just that field.
//! - **Computed from columns.** A source `a op b` of two number columns (a ratio of two
//!   fields in one year, say), or a `sum` / `avg` / `min` / `max` of a field over up to
//!   eight years (not `actual`), is computed from the columns row by row with the
//!   evaluator's own arithmetic (`eval::arith`, `eval::aggregate`), then encoded: no
//!   profile, no evaluator.
//! - **Row by row.** The rest (arithmetic over more fields, per-year aggregates…) is
//!   evaluated per row on a profile rebuilt with only the fields it reads.
//!
//! A group of rows with the same value sets its predicates' bits by one OR of the group's
//! row words per predicate when the group is large, bit by bit when it is small.

use rustc_hash::FxHashMap as HashMap;

use super::blocks::{self, Block, Words, BLOCK_ROWS, WORDS};
use super::{Column, EnterpriseStore, Prepared, Scalars, StoreError, Values};
use crate::check::{Agg, ArithOp, Node, NodeKind, YearRef};
use crate::date::Date;
use crate::engine::Engine;
use crate::eval::{Datum, Evaluator};
use crate::index::{Matcher, PolicyIndex, PredicateId, Program};
use crate::policy::PolicySet;
use crate::profile::{Scalar, Value};
use crate::schema::FieldId;

/// A source computed from number columns, row by row (a column absent from the store:
/// `None`, every row unknown).
#[derive(Clone, Copy)]
enum Computed<'a> {
    /// `a op b` of two columns.
    Arith(ArithOp, Option<&'a Scalars>, Option<&'a Scalars>),
    /// `sum` / `avg` / `min` / `max` of one field over years (not `actual`): one column per
    /// year, at most [`MAX_AGG_YEARS`].
    Agg(Agg, [Option<&'a Scalars>; MAX_AGG_YEARS], usize),
}

/// Years of an aggregate computed from the columns; a longer one goes through the evaluator.
const MAX_AGG_YEARS: usize = 8;

/// The exact value of one field at one row, as a grouping key. A row without a value is
/// [`MISSING`]: an `Int` no column produces (its integers are i32 and u32 values), not a
/// variant of its own, whose payload bytes would be left undefined and read by the
/// optimised comparison of keys (valgrind flagged it in `HashMap::insert`).
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    Int(i64),
    /// A decimal by its exact bytes (1.0 and 1.00 are different keys).
    Dec([u8; 16]),
    Str(&'a str),
    Quals(&'a [super::quals::Packed]),
}

/// The key of a row without a value.
const MISSING: Key<'static> = Key::Int(i64::MIN);

/// The key of `row` in a scalar column.
fn scalar_key(c: &Scalars, row: u32) -> Key<'_> {
    if !c.known.contains(row) {
        return MISSING;
    }
    let i = row as usize;
    let k = match &c.values {
        Values::Bool(t) => Some(Key::Int(i64::from(t.contains(row)))),
        Values::Num(v) => v.get(i).map(|d| Key::Dec(d.serialize())),
        Values::Date(v) => v.get(i).map(|d| Key::Int(i64::from(*d))),
        Values::Enum(v) => v.get(i).map(|e| Key::Int(i64::from(*e))),
        Values::Code { ids, .. } => ids.get(i).map(|e| Key::Int(i64::from(*e))),
        Values::Text(v) => v.get(i).map(Key::Str),
    };
    k.unwrap_or(MISSING)
}

/// The value of `row` in a scalar column, as the evaluator would see it.
fn scalar_value(c: &Scalars, row: u32) -> Option<Datum<'_>> {
    if !c.known.contains(row) {
        return None;
    }
    let i = row as usize;
    match &c.values {
        Values::Bool(t) => Some(Datum::Bool(t.contains(row))),
        Values::Num(v) => v.get(i).map(Datum::Num),
        Values::Date(v) => v.get(i).map(|d| Datum::Date(Date::from_day_number(*d))),
        Values::Enum(v) => v.get(i).map(|e| Datum::Enum(*e)),
        Values::Code { dict, ids } => ids.get(i).and_then(|id| dict.get(*id as usize)).map(|c| Datum::Code(c)),
        Values::Text(v) => v.get(i).map(Datum::Text),
    }
}

/// One group of rows with the same value: the predicates it makes true and unknown, and
/// its rows (offsets in the block).
struct Group {
    truth: Vec<PredicateId>,
    unknown: Vec<PredicateId>,
    rows: Vec<u16>,
}

/// A block's rows grouped by value: each distinct value is encoded once.
#[derive(Default)]
struct Groups<'a> {
    ids: HashMap<Key<'a>, usize>,
    list: Vec<Group>,
}

impl<'a> Groups<'a> {
    /// Adds `row` (an offset in the block) to the group of `key`, encoding the value
    /// (its true and unknown predicates) when it is seen for the first time.
    fn add(&mut self, key: Key<'a>, row: u16, encode: impl FnOnce() -> (Vec<PredicateId>, Vec<PredicateId>)) {
        let at = match self.ids.get(&key) {
            Some(at) => *at,
            None => {
                let (truth, unknown) = encode();
                self.list.push(Group { truth, unknown, rows: Vec::new() });
                self.ids.insert(key, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        if let Some(g) = self.list.get_mut(at) {
            g.rows.push(row);
        }
    }
}

/// Groups at least this large set bits by whole-word ORs.
const WORD_OR_MIN: usize = 128;

/// The true and unknown word arrays of one block (predicate-major).
struct Acc {
    truth: Vec<u64>,
    unknown: Vec<u64>,
}

impl Acc {
    fn set(words: &mut [u64], p: PredicateId, r: u16) {
        if let Some(w) = words.get_mut(p as usize * WORDS + usize::from(r >> 6)) {
            *w |= 1 << (r & 63);
        }
    }

    fn or_words(words: &mut [u64], p: PredicateId, src: &Words) {
        let base = p as usize * WORDS;
        if let Some(dst) = words.get_mut(base..base + WORDS) {
            for (d, s) in dst.iter_mut().zip(src.iter()) {
                *d |= *s;
            }
        }
    }

    fn apply(&mut self, g: &Group, scratch: &mut Words) {
        if g.rows.len() >= WORD_OR_MIN && g.truth.len() + g.unknown.len() > 1 {
            scratch.fill(0);
            for &r in &g.rows {
                if let Some(w) = scratch.get_mut(usize::from(r >> 6)) {
                    *w |= 1 << (r & 63);
                }
            }
            for p in &g.truth {
                Self::or_words(&mut self.truth, *p, scratch);
            }
            for p in &g.unknown {
                Self::or_words(&mut self.unknown, *p, scratch);
            }
        } else {
            for &r in &g.rows {
                for p in &g.truth {
                    Self::set(&mut self.truth, *p, r);
                }
                for p in &g.unknown {
                    Self::set(&mut self.unknown, *p, r);
                }
            }
        }
    }

    /// Records the matcher's bits over `ranges` for row `r`.
    fn record(&mut self, m: &Matcher, ranges: &[(PredicateId, PredicateId)], r: u16) {
        for &(first, end) in ranges {
            for p in m.truth().ones_in(first, end) {
                Self::set(&mut self.truth, p, r);
            }
            for p in m.known().zeros_in(first, end) {
                Self::set(&mut self.unknown, p, r);
            }
        }
    }
}

fn lists(m: &Matcher, ranges: &[(PredicateId, PredicateId)]) -> (Vec<PredicateId>, Vec<PredicateId>) {
    let mut t = Vec::new();
    let mut u = Vec::new();
    for &(first, end) in ranges {
        t.extend(m.truth().ones_in(first, end));
        u.extend(m.known().zeros_in(first, end));
    }
    (t, u)
}

/// Work evaluated through the reference evaluator: some sources and generic predicates
/// that read the same fields.
struct RowGroup {
    sources: Vec<usize>,
    generic: Vec<PredicateId>,
    ranges: Vec<(PredicateId, PredicateId)>,
    /// Fields read (a mask over the schema's fields).
    fields: Vec<bool>,
    /// The one field read, when it is one: evaluated once per distinct value.
    single: Option<FieldId>,
    /// When every read is a plain field read at a fixed year (or a scalar field): those
    /// (field, year) pairs, so a row's profile holds just those values.
    reads: Option<Vec<(FieldId, Option<i32>)>>,
}

/// The (field, year) pairs a node reads when all its reads are plain field reads at a
/// year fixed by `as_of` (or scalar fields), directly or through definitions.
fn plain_reads(set: &PolicySet, node: &Node, as_of: Date, out: &mut Vec<(FieldId, Option<i32>)>, depth: usize) -> Option<()> {
    if depth > 64 {
        return None;
    }
    match &node.kind {
        NodeKind::Field { field, year } => out.push((
            *field,
            match year {
                None => None,
                Some(YearRef::Fy(k)) => Some(as_of.year() - i32::try_from(*k).ok()?),
                Some(YearRef::Abs(y)) => Some(*y),
                Some(YearRef::Loop) => return None,
            },
        )),
        NodeKind::Def(i) => plain_reads(set, &set.definitions.get(*i)?.node, as_of, out, depth + 1)?,
        NodeKind::YearAgg { .. }
        | NodeKind::Growth { .. }
        | NodeKind::AvgGrowth { .. }
        | NodeKind::CagrCmp { .. }
        | NodeKind::Quantified { .. }
        | NodeKind::Known(_)
        | NodeKind::Has { .. }
        | NodeKind::GrantedIn { .. }
        | NodeKind::Records { .. }
        | NodeKind::RecordField { .. }
        | NodeKind::Eligible(_) => return None,
        _ => {}
    }
    for c in node.children() {
        plain_reads(set, c, as_of, out, depth + 1)?;
    }
    Some(())
}

/// Fields the evaluator reads for a node ([`PolicySet::reads`]); `None` when the node
/// refers to a policy's verdict (it may read anything).
fn fields_read(set: &PolicySet, node: &Node) -> Option<Vec<FieldId>> {
    let reads = set.reads([node]);
    (!reads.eligible).then_some(reads.fields)
}

/// Bytes of the columns an engine's predicates read (approximate heap bytes, as
/// [`EnterpriseStore::memory`] counts them), free text apart.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct UsedColumns {
    /// Fields read.
    pub fields: usize,
    /// Their columns, free-text columns excepted.
    pub bytes: usize,
    /// Free-text columns read (text patterns such as `business_scope contains …`).
    pub text_bytes: usize,
}

impl EnterpriseStore {
    /// The columns an engine's predicates read, and their bytes.
    pub fn used_columns(&self, engine: &Engine) -> UsedColumns {
        let index = PolicyIndex::for_sets(engine.policy_set());
        let set = engine.policy_set();
        let mut used = vec![false; self.columns.len()];
        let nodes = (0..index.source_count()).filter_map(|s| index.source_node(s)).chain(index.generic_predicates().map(|(_, n)| n));
        for node in nodes {
            match fields_read(set, node) {
                Some(fs) => fs.into_iter().for_each(|f| {
                    if let Some(u) = used.get_mut(f) {
                        *u = true;
                    }
                }),
                None => used.iter_mut().for_each(|u| *u = true),
            }
        }
        let mut out = UsedColumns::default();
        for (c, _) in self.columns.iter().zip(&used).filter(|(_, u)| **u) {
            out.fields += 1;
            if c.is_text() {
                out.text_bytes += c.bytes();
            } else {
                out.bytes += c.bytes();
            }
        }
        out
    }

    /// The column a plain field source reads on `as_of`: `Ok(Some)` a scalar column,
    /// `Ok(None)` a year with no column (unknown for everyone), `Err(())` not a plain
    /// scalar read (the evaluator handles it).
    fn plain_column(&self, field: FieldId, year: Option<YearRef>, as_of: Date) -> Result<Option<&Scalars>, ()> {
        match (self.columns.get(field), year) {
            (Some(Column::Scalar(s)), None) => Ok(Some(s)),
            (Some(Column::Yearly(m)), Some(YearRef::Fy(k))) => Ok(m.get(&(as_of.year() - i32::try_from(k).map_err(|_| ())?))),
            (Some(Column::Yearly(m)), Some(YearRef::Abs(y))) => Ok(m.get(&y)),
            _ => Err(()),
        }
    }

    /// The grouping key of `row` for a single field (scalar or qualifications column).
    fn field_key(&self, f: FieldId, row: u32) -> Option<Key<'_>> {
        match self.columns.get(f)? {
            Column::Scalar(c) => Some(scalar_key(c, row)),
            Column::Quals { known, rows } => Some(if known.contains(row) { Key::Quals(rows.get(row as usize)) } else { MISSING }),
            _ => None,
        }
    }

    /// Computes the predicate sets of an engine's index over all enterprises on `as_of`
    /// (see the module documentation of `prepare` for how).
    pub fn prepare(&self, engine: &Engine, as_of: Date) -> Result<Prepared, StoreError> {
        self.check_schema(engine.schema())?;
        let index = std::sync::Arc::new(PolicyIndex::for_sets(engine.policy_set()));
        let (truth, unknown) = self.prepare_sets(engine, &index, as_of);
        Ok(Prepared { as_of, rows: self.rows, index, truth, unknown })
    }

    /// The true and unknown sets of every predicate of `index`, predicate-major.
    #[allow(clippy::type_complexity, reason = "two parallel tables")]
    fn prepare_sets(&self, engine: &Engine, index: &PolicyIndex, as_of: Date) -> (Vec<Vec<Block>>, Vec<Vec<Block>>) {
        let set = engine.policy_set();
        let n = index.predicate_count();
        let sources = index.source_count();
        let nfields = engine.schema().fields.len();
        // Plain sources and their columns.
        let plain: Vec<Option<Option<&Scalars>>> =
            (0..sources).map(|s| index.source_field(s).and_then(|(f, y)| self.plain_column(f, y, as_of).ok())).collect();
        // Arithmetic of two plain number columns (`tech_staff@fy1 / employees@fy1`):
        // computed from the columns, row by row, without a profile or the evaluator.
        let num = |field: FieldId, year: Option<YearRef>| {
            self.plain_column(field, year, as_of).ok().filter(|c| c.is_none_or(|c| matches!(c.values, Values::Num(_))))
        };
        let arith: Vec<Option<Computed<'_>>> = (0..sources)
            .map(|s| {
                if plain.get(s).is_some_and(Option::is_some) {
                    return None;
                }
                match &index.source_node(s)?.kind {
                    NodeKind::Arith { op, lhs, rhs } => {
                        let column = |n: &Node| match &n.kind {
                            NodeKind::Field { field, year } => num(*field, *year),
                            _ => None,
                        };
                        Some(Computed::Arith(*op, column(lhs)?, column(rhs)?))
                    }
                    NodeKind::YearAgg { agg, field, from, to, actual: false } => {
                        let year = |y: &YearRef| match y {
                            YearRef::Fy(k) => Some(as_of.year() - i32::try_from(*k).unwrap_or(0)),
                            YearRef::Abs(y) => Some(*y),
                            YearRef::Loop => None,
                        };
                        let (a, b) = (year(from)?, year(to)?);
                        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                        let mut cols = [None; MAX_AGG_YEARS];
                        let mut n = 0;
                        for y in lo..=hi {
                            *cols.get_mut(n)? = num(*field, Some(YearRef::Abs(y)))?;
                            n += 1;
                        }
                        Some(Computed::Agg(*agg, cols, n))
                    }
                    _ => None,
                }
            })
            .collect();
        // The rest, grouped by the fields they read.
        let mut groups: Vec<RowGroup> = Vec::new();
        let mut by_fields: HashMap<Option<Vec<FieldId>>, usize> = HashMap::default();
        let mut add = |node: &Node, source: Option<usize>, generic: Option<PredicateId>, range: (PredicateId, PredicateId)| {
            let fields = fields_read(set, node);
            let g = *by_fields.entry(fields.clone()).or_insert_with(|| {
                let mask = match &fields {
                    Some(fs) => {
                        let mut m = vec![false; nfields];
                        for f in fs {
                            if let Some(x) = m.get_mut(*f) {
                                *x = true;
                            }
                        }
                        m
                    }
                    None => vec![true; nfields],
                };
                let single = match fields.as_deref() {
                    Some([f]) if matches!(self.columns.get(*f), Some(Column::Scalar(_) | Column::Quals { .. })) => Some(*f),
                    _ => None,
                };
                groups.push(RowGroup {
                    sources: Vec::new(),
                    generic: Vec::new(),
                    ranges: Vec::new(),
                    fields: mask,
                    single,
                    reads: Some(Vec::new()),
                });
                groups.len() - 1
            });
            if let Some(group) = groups.get_mut(g) {
                let mut reads = Vec::new();
                group.reads = match (group.reads.take(), plain_reads(set, node, as_of, &mut reads, 0)) {
                    (Some(mut all), Some(())) => {
                        all.extend(reads);
                        crate::sort::sort(&mut all);
                        all.dedup();
                        Some(all)
                    }
                    _ => None,
                };
                group.sources.extend(source);
                group.generic.extend(generic);
                group.ranges.push(range);
            }
        };
        for s in 0..sources {
            if plain.get(s).is_some_and(Option::is_some) || arith.get(s).is_some_and(Option::is_some) {
                continue;
            }
            if let (Some(node), Some(range)) = (index.source_node(s), index.source_range(s)) {
                add(node, Some(s), None, range);
            }
        }
        for (id, node) in index.generic_predicates() {
            add(node, None, Some(id), (id, id + 1));
        }

        // How many literals read each predicate: the more, the denser its blocks are kept.
        let mut reads = vec![0u32; n];
        for i in 0..set.policies.len() {
            if let Some(p) = index.program(i) {
                count_reads(p, &mut reads);
            }
        }
        let blocks = self.rows.div_ceil(BLOCK_ROWS) as usize;
        // One accumulator per thread, cleared between its blocks: fresh zeroed pages per
        // block cost a tenth of the work in page faults.
        let fresh = || (Acc { truth: Vec::new(), unknown: Vec::new() }, Box::new([0u64; WORDS]), index.matcher());
        let run = |(acc, scratch, m): &mut (Acc, Box<Words>, Matcher), b: usize| -> (Vec<Block>, Vec<Block>) {
            let lo = (b as u32).wrapping_mul(BLOCK_ROWS);
            let hi = lo.saturating_add(BLOCK_ROWS).min(self.rows);
            for words in [&mut acc.truth, &mut acc.unknown] {
                words.clear();
                words.resize(n * WORDS, 0);
            }
            for (s, col) in plain.iter().enumerate() {
                let (Some(col), Some(range)) = (col, index.source_range(s)) else { continue };
                self.prepare_column(index, set, s, *col, range, (lo, hi), acc, m, scratch);
            }
            for (s, cols) in arith.iter().enumerate() {
                let (Some(cols), Some(range)) = (cols, index.source_range(s)) else { continue };
                self.prepare_arith(index, set, s, *cols, range, (lo, hi), acc, m);
            }
            for g in &groups {
                self.prepare_evaluated(index, set, as_of, g, (lo, hi), acc, m, scratch);
            }
            // A set equal to the previous predicate's shares its payload.
            let pack = |words: &[u64]| -> Vec<Block> {
                let mut out: Vec<Block> = Vec::with_capacity(n);
                let mut prev: Option<&[u64]> = None;
                for (c, r) in words.chunks_exact(WORDS).zip(reads.iter().chain(std::iter::repeat(&0))) {
                    let block = match (prev, out.last()) {
                        (Some(p), Some(last)) if p == c => last.clone(),
                        _ => <&Words>::try_from(c).map_or(Block::Empty, |w| Block::from_words(w, blocks::sparse_max(*r))),
                    };
                    out.push(block);
                    prev = Some(c);
                }
                out
            };
            (pack(&acc.truth), pack(&acc.unknown))
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<(Vec<Block>, Vec<Block>)> = {
            use rayon::prelude::*;
            (0..blocks).into_par_iter().map_init(fresh, run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<(Vec<Block>, Vec<Block>)> = {
            let mut state = fresh();
            (0..blocks).map(|b| run(&mut state, b)).collect()
        };
        // Predicate-major: sets[p][block].
        let mut truth: Vec<Vec<Block>> = (0..n).map(|_| Vec::with_capacity(blocks)).collect();
        let mut unknown: Vec<Vec<Block>> = (0..n).map(|_| Vec::with_capacity(blocks)).collect();
        for (t, u) in parts {
            for (acc, b) in truth.iter_mut().zip(t) {
                acc.push(b);
            }
            for (acc, b) in unknown.iter_mut().zip(u) {
                acc.push(b);
            }
        }
        (truth, unknown)
    }

    /// Column-wise: rows of block `lo..hi` grouped by value, each value encoded once.
    #[expect(clippy::too_many_arguments, reason = "one block's working state, passed down")]
    fn prepare_column(
        &self,
        index: &PolicyIndex,
        set: &PolicySet,
        s: usize,
        col: Option<&Scalars>,
        (first, end): (PredicateId, PredicateId),
        (lo, hi): (u32, u32),
        acc: &mut Acc,
        m: &mut Matcher,
        scratch: &mut Words,
    ) {
        let valid = blocks::valid_mask(self.rows, (lo / BLOCK_ROWS) as usize);
        // Rows without a value: unknown for every predicate of the source.
        let mut known = [0u64; WORDS];
        if let Some(c) = col {
            for row in c.known.range(lo..hi) {
                let r = row - lo;
                if let Some(w) = known.get_mut((r >> 6) as usize) {
                    *w |= 1 << (r & 63);
                }
            }
        }
        for (k, v) in known.iter_mut().zip(valid.mask.iter()) {
            *k = !*k & *v;
        }
        for p in first..end {
            Acc::or_words(&mut acc.unknown, p, &known);
        }
        let Some(c) = col else { return };
        if let Values::Num(_) = c.values {
            // Amounts are nearly all distinct: grouping would cost more than it saves.
            for row in c.known.range(lo..hi) {
                if let Some(v) = scalar_value(c, row) {
                    index.encode_source_value(s, &v, set, m);
                    acc.record(m, &[(first, end)], (row - lo) as u16);
                }
            }
            return;
        }
        let mut groups = Groups::default();
        for row in c.known.range(lo..hi) {
            groups.add(scalar_key(c, row), (row - lo) as u16, || match scalar_value(c, row) {
                Some(v) => {
                    index.encode_source_value(s, &v, set, m);
                    lists(m, &[(first, end)])
                }
                None => (Vec::new(), (first..end).collect()),
            });
        }
        for g in &groups.list {
            acc.apply(g, scratch);
        }
    }

    /// A source computed from number columns, row by row: the evaluator's `a op b`
    /// (`eval::arith`) or aggregate over years (`eval::reads::aggregate`) of the row's
    /// values, encoded; a row missing a value, or whose result is undefined (division by
    /// zero, overflow), is unknown for every predicate of the source.
    #[expect(clippy::too_many_arguments, reason = "one block's working state, passed down")]
    fn prepare_arith(
        &self,
        index: &PolicyIndex,
        set: &PolicySet,
        s: usize,
        computed: Computed<'_>,
        (first, end): (PredicateId, PredicateId),
        (lo, hi): (u32, u32),
        acc: &mut Acc,
        m: &mut Matcher,
    ) {
        for row in lo..hi {
            let r = (row - lo) as u16;
            let num = |c: Option<&Scalars>| match c.and_then(|c| scalar_value(c, row)) {
                Some(Datum::Num(x)) => Some(x),
                _ => None,
            };
            let value = match computed {
                Computed::Arith(op, a, b) => num(a).zip(num(b)).and_then(|(x, y)| crate::eval::arith(op, x, y)),
                Computed::Agg(agg, cols, n) => {
                    let mut vals = [rust_decimal::Decimal::ZERO; MAX_AGG_YEARS];
                    let mut all = true;
                    for (v, c) in vals.iter_mut().zip(cols.iter().take(n)) {
                        match num(*c) {
                            Some(x) => *v = x,
                            None => all = false,
                        }
                    }
                    if all {
                        crate::eval::aggregate(agg, vals.get(..n).unwrap_or(&[]))
                    } else {
                        None
                    }
                }
            };
            match value {
                Some(v) => {
                    index.encode_source_value(s, &Datum::Num(v), set, m);
                    acc.record(m, &[(first, end)], r);
                }
                None => {
                    for p in first..end {
                        Acc::set(&mut acc.unknown, p, r);
                    }
                }
            }
        }
    }

    /// Through the evaluator: once per distinct value when the group reads one field,
    /// else row by row, on profiles holding only the fields read.
    #[expect(clippy::too_many_arguments, reason = "one block's working state, passed down")]
    fn prepare_evaluated(
        &self,
        index: &PolicyIndex,
        set: &PolicySet,
        as_of: Date,
        g: &RowGroup,
        (lo, hi): (u32, u32),
        acc: &mut Acc,
        m: &mut Matcher,
        scratch: &mut Words,
    ) {
        let schema = &set.schema;
        let include = |s: usize| g.sources.contains(&s);
        let generic = |id: PredicateId| g.generic.contains(&id);
        let encode_row = |row: u32, m: &mut Matcher| {
            let profile = self.profile_of(schema, row, Some(&g.fields));
            let ev = Evaluator::new(set, &profile, as_of);
            index.encode_partial(&ev, m, &include, &generic);
        };
        match g.single {
            Some(f) => {
                let mut groups = Groups::default();
                for row in lo..hi {
                    let Some(key) = self.field_key(f, row) else { continue };
                    groups.add(key, (row - lo) as u16, || {
                        encode_row(row, m);
                        lists(m, &g.ranges)
                    });
                }
                for grp in &groups.list {
                    acc.apply(grp, scratch);
                }
            }
            None => match &g.reads {
                Some(reads) => {
                    // One profile, holding just the values read, refilled per row.
                    let mut profile = crate::profile::Profile::empty(schema);
                    for row in lo..hi {
                        // `reads` is sorted: the years of one field are adjacent.
                        let mut i = 0;
                        while let Some(&(f, _)) = reads.get(i) {
                            let same = reads.get(i..).map_or(0, |r| r.iter().take_while(|(g, _)| *g == f).count()).max(1);
                            let v = match self.columns.get(f) {
                                Some(Column::Scalar(c)) => c.get(row).map(Value::Scalar),
                                Some(Column::Yearly(cols)) => {
                                    let years: std::collections::BTreeMap<i32, Scalar> = reads
                                        .get(i..i + same)
                                        .unwrap_or(&[])
                                        .iter()
                                        .filter_map(|(_, y)| y.and_then(|y| cols.get(&y).and_then(|c| c.get(row)).map(|v| (y, v))))
                                        .collect();
                                    (!years.is_empty()).then_some(Value::Yearly(years))
                                }
                                Some(other) => other.value(row),
                                None => None,
                            };
                            profile.set(f, v);
                            i += same;
                        }
                        let ev = Evaluator::new(set, &profile, as_of);
                        index.encode_partial(&ev, m, &include, &generic);
                        acc.record(m, &g.ranges, (row - lo) as u16);
                    }
                }
                None => {
                    for row in lo..hi {
                        encode_row(row, m);
                        acc.record(m, &g.ranges, (row - lo) as u16);
                    }
                }
            },
        }
    }
}

/// Adds one to `reads[p]` for each literal of predicate `p` in a program.
fn count_reads(p: &Program, reads: &mut [u32]) {
    p.for_each_leaf(&mut |leaf| {
        if let Some(r) = match leaf {
            Program::Lit(i, _) => reads.get_mut(*i as usize),
            _ => None,
        } {
            *r = r.saturating_add(1);
        }
    });
}
