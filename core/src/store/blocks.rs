//! Predicate sets in 65,536-row blocks, and policies evaluated block by block on fixed
//! word arrays.
//!
//! A set of rows is one [`Block`] per 65,536 rows (the span of one roaring container):
//! empty, full, a sorted list of offsets when sparse (≤ 4,096 rows, as roaring's array
//! containers), or 1,024 words. A dense block is read in place; the others are expanded
//! into a scratch array. Each predicate keeps two sets, *true* and *unknown*; its false set
//! is `!(true | unknown)`, computed word by word when a literal is read, so it costs no
//! memory.
//!
//! A policy's program is evaluated for one block at a time on (true, false) pairs of word
//! arrays with Kleene algebra: `and` intersects the true words and unites the false words,
//! `or` the opposite, `at_least` counts with a small dynamic programme over word arrays. A
//! literal under `and`/`or` is folded straight into the accumulator (no intermediate is
//! materialised). Only the result of each policy is turned into roaring bitmaps.

use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::eval::Tri;
use crate::index::Program;

/// Rows per block: one roaring container.
pub const BLOCK_ROWS: u32 = 65_536;
/// Words per block.
pub const WORDS: usize = 1024;
/// One block as words (bit `i` of word `w` = row `w * 64 + i` of the block).
pub type Words = [u64; WORDS];

static ZEROS: Words = [0; WORDS];
static ONES: Words = [!0; WORDS];

/// One block of a row set.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Empty,
    Full,
    /// Shared: the unknown sets of a source's predicates are usually the same rows (those
    /// without a value), stored once.
    Sparse(Arc<[u16]>),
    Dense(Arc<Words>),
}

impl Block {
    /// Compresses a block's words.
    pub fn from_words(w: &Words) -> Block {
        let n: u32 = w.iter().map(|x| x.count_ones()).sum();
        if n == 0 {
            Block::Empty
        } else if n == BLOCK_ROWS {
            Block::Full
        } else if n <= 4096 {
            let mut v = Vec::with_capacity(n as usize);
            for (i, &x) in w.iter().enumerate() {
                let mut x = x;
                while x != 0 {
                    v.push((i * 64) as u16 + x.trailing_zeros() as u16);
                    x &= x - 1;
                }
            }
            Block::Sparse(Arc::from(v))
        } else {
            Block::Dense(Arc::new(*w))
        }
    }

    /// The shared payload (its address, to count it once) and its bytes.
    pub fn payload(&self) -> Option<(usize, usize)> {
        match self {
            Block::Empty | Block::Full => None,
            Block::Sparse(v) => Some((v.as_ptr() as usize, v.len() * 2 + 16)),
            Block::Dense(w) => Some((Arc::as_ptr(w) as usize, WORDS * 8 + 16)),
        }
    }

    /// The block's words: in place when dense, else expanded into `scratch`.
    #[inline]
    pub fn view<'a>(&'a self, scratch: &'a mut Words) -> &'a Words {
        match self {
            Block::Empty => &ZEROS,
            Block::Full => &ONES,
            Block::Dense(w) => w,
            Block::Sparse(v) => {
                scratch.fill(0);
                for &i in v.iter() {
                    if let Some(w) = scratch.get_mut(usize::from(i >> 6)) {
                        *w |= 1 << (i & 63);
                    }
                }
                scratch
            }
        }
    }
}

/// A (true, false) pair of word arrays.
pub struct Pair {
    pub t: Box<Words>,
    pub f: Box<Words>,
}

impl Pair {
    fn new() -> Pair {
        Pair { t: Box::new([0; WORDS]), f: Box::new([0; WORDS]) }
    }
}

/// Reusable buffers of one worker.
pub struct Pool {
    free: Vec<Pair>,
    s1: Box<Words>,
    s2: Box<Words>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool { free: Vec::new(), s1: Box::new([0; WORDS]), s2: Box::new([0; WORDS]) }
    }
}

impl Pool {
    pub fn take(&mut self) -> Pair {
        self.free.pop().unwrap_or_else(Pair::new)
    }
    pub fn give(&mut self, p: Pair) {
        self.free.push(p);
    }
}

/// The predicate sets one block evaluation reads.
pub struct BlockSource<'a> {
    pub truth: &'a [Vec<Block>],
    pub unknown: &'a [Vec<Block>],
    pub block: usize,
}

impl BlockSource<'_> {
    fn sets(&self, p: u32) -> (&Block, &Block) {
        let t = self.truth.get(p as usize).and_then(|b| b.get(self.block)).unwrap_or(&Block::Empty);
        // A predicate with no sets at all is unknown everywhere.
        let u = self.unknown.get(p as usize).and_then(|b| b.get(self.block)).unwrap_or(&Block::Full);
        (t, u)
    }
}

/// How a literal combines into an accumulator.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    Set,
    And,
    Or,
}

fn fold_lit(src: &BlockSource<'_>, p: u32, neg: bool, out: &mut Pair, how: Fold, pool: &mut Pool) {
    let (tb, ub) = src.sets(p);
    let Pool { s1, s2, .. } = pool;
    let t = tb.view(s1);
    let u = ub.view(s2);
    let (ot, of) = (&mut *out.t, &mut *out.f);
    // Literal: true words `lt`, false words `lf`.
    macro_rules! go {
        ($lt:expr, $lf:expr) => {
            match how {
                Fold::Set => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        let (x, y) = (*x, *y);
                        *a = $lt(x, y);
                        *b = $lf(x, y);
                    }
                }
                Fold::And => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        let (x, y) = (*x, *y);
                        *a &= $lt(x, y);
                        *b |= $lf(x, y);
                    }
                }
                Fold::Or => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        let (x, y) = (*x, *y);
                        *a |= $lt(x, y);
                        *b &= $lf(x, y);
                    }
                }
            }
        };
    }
    if neg {
        go!(|x: u64, y: u64| !(x | y), |x: u64, _y: u64| x);
    } else {
        go!(|x: u64, _y: u64| x, |x: u64, y: u64| !(x | y));
    }
}

fn fold_pair(acc: &mut Pair, x: &Pair, is_and: bool) {
    if is_and {
        for (a, b) in acc.t.iter_mut().zip(x.t.iter()) {
            *a &= *b;
        }
        for (a, b) in acc.f.iter_mut().zip(x.f.iter()) {
            *a |= *b;
        }
    } else {
        for (a, b) in acc.t.iter_mut().zip(x.t.iter()) {
            *a |= *b;
        }
        for (a, b) in acc.f.iter_mut().zip(x.f.iter()) {
            *a &= *b;
        }
    }
}

fn set_const(out: &mut Pair, t: Tri) {
    let (tv, fv) = match t {
        Tri::True => (!0, 0),
        Tri::False => (0, !0),
        Tri::Unknown => (0, 0),
    };
    out.t.fill(tv);
    out.f.fill(fv);
}

/// Evaluates `p` on one block into `out`. `results` holds, for this block, the pairs of
/// the policies that `eligible(…)` refers to (evaluated before).
pub fn eval(p: &Program, src: &BlockSource<'_>, results: &[Option<Pair>], out: &mut Pair, pool: &mut Pool) {
    match p {
        Program::Const(t) => set_const(out, *t),
        Program::Lit(i, neg) => fold_lit(src, *i, *neg, out, Fold::Set, pool),
        Program::Policy(i, neg) => match results.get(*i as usize).and_then(Option::as_ref) {
            Some(r) => {
                let (t, f) = if *neg { (&r.f, &r.t) } else { (&r.t, &r.f) };
                out.t.copy_from_slice(&t[..]);
                out.f.copy_from_slice(&f[..]);
            }
            None => set_const(out, Tri::Unknown),
        },
        Program::And(xs) | Program::Or(xs) => {
            let is_and = matches!(p, Program::And(_));
            if xs.is_empty() {
                set_const(out, if is_and { Tri::True } else { Tri::False });
                return;
            }
            let how = if is_and { Fold::And } else { Fold::Or };
            let mut first = true;
            for x in xs {
                if first {
                    eval(x, src, results, out, pool);
                    first = false;
                    continue;
                }
                match x {
                    Program::Lit(i, neg) => fold_lit(src, *i, *neg, out, how, pool),
                    _ => {
                        let mut tmp = pool.take();
                        eval(x, src, results, &mut tmp, pool);
                        fold_pair(out, &tmp, is_and);
                        pool.give(tmp);
                    }
                }
            }
        }
        Program::AtLeast(k, xs) => {
            // trues[j] = rows with at least j true children (likewise falses).
            let n = xs.len();
            let k = *k as usize;
            let need_false = (n + 1).saturating_sub(k);
            let mut trues: Vec<Box<Words>> = (0..=k).map(|_| Box::new([0; WORDS])).collect();
            let mut falses: Vec<Box<Words>> = (0..=need_false).map(|_| Box::new([0; WORDS])).collect();
            if let Some(t0) = trues.first_mut() {
                t0.fill(!0);
            }
            if let Some(f0) = falses.first_mut() {
                f0.fill(!0);
            }
            let mut tmp = pool.take();
            for x in xs {
                eval(x, src, results, &mut tmp, pool);
                dp_step(&mut trues, &tmp.t);
                dp_step(&mut falses, &tmp.f);
            }
            pool.give(tmp);
            match trues.get(k) {
                Some(t) => out.t.copy_from_slice(&t[..]),
                None => out.t.fill(0),
            }
            match falses.get(need_false) {
                Some(f) => out.f.copy_from_slice(&f[..]),
                None => out.f.fill(0),
            }
        }
    }
}

/// `levels[j] |= levels[j-1] & x`, from the top level down.
fn dp_step(levels: &mut [Box<Words>], x: &Words) {
    for j in (1..levels.len()).rev() {
        let (lo, hi) = levels.split_at_mut(j);
        let (Some(prev), Some(cur)) = (lo.last(), hi.first_mut()) else { continue };
        for ((c, p), x) in cur.iter_mut().zip(prev.iter()).zip(x.iter()) {
            *c |= *p & *x;
        }
    }
}

/// Valid-row mask of block `b` of a store of `rows` rows.
pub fn valid_mask(rows: u32, b: usize) -> Box<Words> {
    let mut m = Box::new([0u64; WORDS]);
    let lo = (b as u64) * u64::from(BLOCK_ROWS);
    let n = u64::from(rows).saturating_sub(lo).min(u64::from(BLOCK_ROWS)) as usize;
    for (i, w) in m.iter_mut().enumerate() {
        let start = i * 64;
        if start + 64 <= n {
            *w = !0;
        } else if start < n {
            *w = (1u64 << (n - start)) - 1;
        }
    }
    m
}

/// Roaring bitmap of a block's words (rows offset by the block start).
pub fn to_roaring(b: usize, w: &Words, bytes: &mut Vec<u8>) -> RoaringBitmap {
    if w.iter().all(|x| *x == 0) {
        return RoaringBitmap::new();
    }
    bytes.resize(WORDS * 8, 0);
    for (c, x) in bytes.chunks_exact_mut(8).zip(w.iter()) {
        c.copy_from_slice(&x.to_le_bytes());
    }
    RoaringBitmap::from_lsb0_bytes((b as u32).wrapping_mul(BLOCK_ROWS), bytes)
}

/// Eligible and undetermined words of a result pair, masked to the block's rows.
pub fn outcome(r: &Pair, valid: &Words, eligible: &mut Words, undetermined: &mut Words) {
    for ((((e, u), t), f), v) in eligible.iter_mut().zip(undetermined.iter_mut()).zip(r.t.iter()).zip(r.f.iter()).zip(valid.iter()) {
        *e = *t & *v;
        *u = *v & !*t & !*f;
    }
}

/// The numbers of eligible and undetermined rows of a result pair, in one pass without
/// writing the words out ([`outcome`] then counting, fused).
pub fn outcome_counts(r: &Pair, valid: &Words) -> (u64, u64) {
    let (mut e, mut u) = (0u64, 0u64);
    for ((t, f), v) in r.t.iter().zip(r.f.iter()).zip(valid.iter()) {
        e += u64::from((*t & *v).count_ones());
        u += u64::from((*v & !*t & !*f).count_ones());
    }
    (e, u)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests assert by panicking")]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_their_words() {
        let mut scratch = Box::new([0u64; WORDS]);
        let mut cases: Vec<Box<Words>> = vec![Box::new([0; WORDS]), Box::new([!0; WORDS])];
        let mut sparse = Box::new([0u64; WORDS]);
        for i in (0..65_536usize).step_by(17) {
            sparse[i >> 6] |= 1 << (i & 63);
        }
        cases.push(sparse);
        let mut dense = Box::new([0u64; WORDS]);
        for i in (0..65_536usize).step_by(3) {
            dense[i >> 6] |= 1 << (i & 63);
        }
        cases.push(dense);
        let kinds: Vec<Block> = cases.iter().map(|w| Block::from_words(w)).collect();
        assert!(matches!(kinds[0], Block::Empty));
        assert!(matches!(kinds[1], Block::Full));
        assert!(matches!(kinds[2], Block::Sparse(_)));
        assert!(matches!(kinds[3], Block::Dense(_)));
        for (w, b) in cases.iter().zip(&kinds) {
            assert_eq!(&b.view(&mut scratch)[..], &w[..]);
        }
    }

    #[test]
    fn valid_mask_covers_exactly_the_rows() {
        let m = valid_mask(65_536 + 70, 1);
        assert_eq!(m.iter().map(|w| w.count_ones()).sum::<u32>(), 70);
        assert_eq!(valid_mask(65_536 * 2, 1).iter().map(|w| w.count_ones()).sum::<u32>(), 65_536);
        let r = to_roaring(1, &m, &mut Vec::new());
        assert_eq!((r.min(), r.max(), r.len()), (Some(65_536), Some(65_536 + 69), 70));
    }
}
