//! Predicate sets in 65,536-row blocks, and policies evaluated block by block on fixed
//! word arrays.
//!
//! A set of rows is one [`Block`] per 65,536 rows (the span of one roaring container):
//! empty, full, a sorted list of offsets when sparse (≤ 4,096 rows, fewer for a predicate
//! many policies read: [`sparse_max`]), or
//! 1,024 words. A dense block is read in place; the others are expanded
//! into a scratch array. Each predicate keeps two sets, *true* and *unknown*; its false set
//! is `!(true | unknown)`, computed word by word when a literal is read, so it costs no
//! memory.
//!
//! A policy's program is evaluated for one block at a time on (true, false) pairs of word
//! arrays with Kleene algebra (`index::kleene`'s word pairs): `and` intersects the true
//! words and unites the false words, `or` the opposite, `at_least` counts with a small
//! dynamic programme over word arrays. A literal under `and`/`or` is folded straight into
//! the accumulator (no intermediate is materialised). Only the result of each policy is
//! turned into roaring bitmaps.

use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::eval::Tri;
use crate::index::kleene::{self, Junction};
use crate::index::Program;

/// Rows per block: one roaring container.
pub const BLOCK_ROWS: u32 = 65_536;
/// Words per block.
pub const WORDS: usize = 1024;
/// One block as words (bit `i` of word `w` = row `w * 64 + i` of the block).
pub type Words = [u64; WORDS];

static ZEROS: Words = [0; WORDS];
static ONES: Words = [!0; WORDS];

/// Most rows of a block kept as offsets; above it a block is kept as words. Roaring's own
/// limit is 4,096 (where offsets and words take the same bytes). But a policy reads a
/// sparse block by scattering its offsets into words, one read-modify-write per row, and
/// the same predicate is often read by many policies; so the limit is lower for a predicate
/// several literals read ([`sparse_max`]): 4,096 rows for one reader, 1,024 for two or
/// more. With 1k generated policies this costs ≈ 2 B per enterprise and makes bulk 1.2×
/// faster (benches/RESULTS.md).
pub const SPARSE_MAX: u64 = 4096;

/// The most rows kept as offsets for a predicate read by `reads` literals.
pub fn sparse_max(reads: u32) -> u64 {
    if reads >= 2 {
        SPARSE_MAX / 4
    } else {
        SPARSE_MAX
    }
}

/// One block of a row set.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Empty,
    Full,
    /// Shared: the unknown sets of a source's predicates are usually the same rows (those
    /// without a value), stored once.
    Sparse(Arc<[u16]>),
    Dense(Arc<Words>),
    /// Words up to the last nonzero one, when that is not the block's last word: the last
    /// block of a store is usually partial, and its dense sets would otherwise take a full
    /// block's bytes.
    Short(Arc<[u64]>),
}

impl Block {
    /// Compresses a block's words: offsets up to `sparse_max` rows ([`sparse_max`]).
    pub fn from_words(w: &Words, sparse_max: u64) -> Block {
        let n = count(w);
        if n == 0 {
            Block::Empty
        } else if n == u64::from(BLOCK_ROWS) {
            Block::Full
        } else if n <= sparse_max {
            let mut out = Offsets::new();
            let k = out.fill(w, n);
            Block::Sparse(Arc::from(out.get(k)))
        } else {
            match w.iter().rposition(|x| *x != 0) {
                Some(last) if last + 1 < WORDS => Block::Short(Arc::from(w.get(..=last).unwrap_or(&[]))),
                _ => Block::Dense(Arc::new(*w)),
            }
        }
    }

    /// The shared payload (its address, to count it once) and its bytes.
    pub fn payload(&self) -> Option<(usize, usize)> {
        match self {
            Block::Empty | Block::Full => None,
            Block::Sparse(v) => Some((v.as_ptr() as usize, v.len() * 2 + 16)),
            Block::Dense(w) => Some((Arc::as_ptr(w) as usize, WORDS * 8 + 16)),
            Block::Short(w) => Some((w.as_ptr() as usize, w.len() * 8 + 16)),
        }
    }

    /// The block's words: in place when dense, else expanded into `scratch`.
    #[inline]
    pub fn view<'a>(&'a self, scratch: &'a mut Words) -> &'a Words {
        match self {
            Block::Empty => &ZEROS,
            Block::Full => &ONES,
            Block::Dense(w) => w,
            Block::Short(w) => {
                let (head, tail) = scratch.split_at_mut(w.len().min(WORDS));
                head.copy_from_slice(w.get(..head.len()).unwrap_or(&[]));
                tail.fill(0);
                scratch
            }
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
    /// Words that hold the block's rows (fewer than [`WORDS`] in a store's last block):
    /// the folds stop there; words past it hold no row and are never read.
    pub words: usize,
}

impl BlockSource<'_> {
    fn sets(&self, p: u32) -> (&Block, &Block) {
        let t = self.truth.get(p as usize).and_then(|b| b.get(self.block)).unwrap_or(&Block::Empty);
        // A predicate with no sets at all is unknown everywhere.
        let u = self.unknown.get(p as usize).and_then(|b| b.get(self.block)).unwrap_or(&Block::Full);
        (t, u)
    }
}

/// How a literal combines into an accumulator: it replaces it, or joins it.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    Set,
    Join(Junction),
}

fn fold_lit(src: &BlockSource<'_>, p: u32, neg: bool, out: &mut Pair, how: Fold, pool: &mut Pool) {
    let (tb, ub) = src.sets(p);
    let Pool { s1, s2, .. } = pool;
    let t = tb.view(s1);
    let u = ub.view(s2);
    let n = src.words;
    let (ot, of) = (out.t.get_mut(..n).unwrap_or_default(), out.f.get_mut(..n).unwrap_or_default());
    // One loop per (fold, negation), each with both fixed, so that the Kleene words of
    // the literal and of the junction are straight-line bit operations in the loop.
    macro_rules! go {
        ($neg:expr) => {
            match how {
                Fold::Set => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        (*a, *b) = kleene::literal_words(*x, *y, $neg);
                    }
                }
                Fold::Join(Junction::And) => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        (*a, *b) = Junction::And.words((*a, *b), kleene::literal_words(*x, *y, $neg));
                    }
                }
                Fold::Join(Junction::Or) => {
                    for (((a, b), x), y) in ot.iter_mut().zip(of.iter_mut()).zip(t.iter()).zip(u.iter()) {
                        (*a, *b) = Junction::Or.words((*a, *b), kleene::literal_words(*x, *y, $neg));
                    }
                }
            }
        };
    }
    if neg {
        go!(true);
    } else {
        go!(false);
    }
}

fn fold_pair(acc: &mut Pair, x: &Pair, junction: Junction, n: usize) {
    let (t, f) = (acc.t.get_mut(..n).unwrap_or_default(), acc.f.get_mut(..n).unwrap_or_default());
    // As in `fold_lit`: the junction fixed per loop.
    macro_rules! go {
        ($j:expr) => {
            for (((a, b), xt), xf) in t.iter_mut().zip(f.iter_mut()).zip(x.t.iter()).zip(x.f.iter()) {
                (*a, *b) = $j.words((*a, *b), (*xt, *xf));
            }
        };
    }
    match junction {
        Junction::And => go!(Junction::And),
        Junction::Or => go!(Junction::Or),
    }
}

fn set_const(out: &mut Pair, t: Tri) {
    let (tv, fv) = kleene::words(t);
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
            let junction = Junction::of(matches!(p, Program::And(_)));
            if xs.is_empty() {
                set_const(out, junction.neutral());
                return;
            }
            let how = Fold::Join(junction);
            let mut first = true;
            for x in xs {
                if first {
                    eval(x, src, results, out, pool);
                    first = false;
                    continue;
                }
                match x {
                    Program::Lit(i, neg) => fold_lit(src, *i, *neg, out, how, pool),
                    Program::Const(_) | Program::Policy(..) | Program::And(_) | Program::Or(_) | Program::AtLeast(..) => {
                        let mut tmp = pool.take();
                        eval(x, src, results, &mut tmp, pool);
                        fold_pair(out, &tmp, junction, src.words);
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
                dp_step(&mut trues, &tmp.t, src.words);
                dp_step(&mut falses, &tmp.f, src.words);
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
fn dp_step(levels: &mut [Box<Words>], x: &Words, n: usize) {
    for j in (1..levels.len()).rev() {
        let (lo, hi) = levels.split_at_mut(j);
        let (Some(prev), Some(cur)) = (lo.last(), hi.first_mut()) else { continue };
        for ((c, p), x) in cur.iter_mut().take(n).zip(prev.iter()).zip(x.iter()) {
            *c |= *p & *x;
        }
    }
}

/// The rows of one block that exist: a mask, and how many words hold them.
pub struct Valid {
    pub mask: Box<Words>,
    pub words: usize,
}

/// Valid rows of block `b` of a store of `rows` rows.
pub fn valid_mask(rows: u32, b: usize) -> Valid {
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
    Valid { mask: m, words: n.div_ceil(64) }
}

/// Most rows of a sparse block: roaring's array-container limit.
pub const ARRAY_MAX: usize = 4096;

/// Set bits in a block's words (`count_ones` per word; one `popcnt` each where the target
/// has it).
pub fn count(w: &Words) -> u64 {
    w.iter().map(|x| u64::from(x.count_ones())).sum()
}

/// A buffer for the offsets of a sparse block, with slack so that offsets are written
/// several at a time.
pub struct Offsets(Box<[u16; ARRAY_MAX + 4]>);

impl Offsets {
    pub fn new() -> Offsets {
        Offsets(Box::new([0; ARRAY_MAX + 4]))
    }

    /// Writes the offsets of the set bits of `w` in order and returns how many were
    /// written: all `card` of them when `card` (their number) is at most [`ARRAY_MAX`].
    ///
    /// Which words are zero is as good as random in a result, so a loop that skips zero
    /// words and stops at each word's last bit mispredicts a branch about once per word.
    /// Measured per block on this machine (`popcnt`), for three shapes of loop:
    ///
    /// - up to 512 rows, most words are zero: a mask of the nonzero words is made per 64
    ///   words (no branch), and only those words are visited (0.3 µs at 50 rows, 0.6 µs
    ///   at 300, where the branchy loop took 0.45 and 1.8);
    /// - above, every word gets two offsets (four above 1,024 rows) written
    ///   unconditionally, the surplus overwritten by the next word's, and only a word
    ///   with more bits loops: 1.0–1.6 µs up to 2,000 rows, where the branchy loop took up
    ///   to 3.5 µs. Writing more offsets per word is slower: each waits for the previous
    ///   one's clear-lowest-bit.
    pub fn fill(&mut self, w: &[u64], card: u64) -> usize {
        if card <= 512 {
            self.fill_nonzero(w)
        } else if card <= 1024 {
            self.fill_grouped::<2>(w)
        } else {
            self.fill_grouped::<4>(w)
        }
    }

    /// [`Self::fill`] with `G` offsets written per word.
    fn fill_grouped<const G: usize>(&mut self, w: &[u64]) -> usize {
        let mut n = 0usize;
        for (i, &word) in w.iter().enumerate() {
            n = match self.word::<G>(n, i, word) {
                Some(n) => n,
                None => return n,
            };
        }
        n
    }

    /// [`Self::fill`] visiting only the nonzero words.
    fn fill_nonzero(&mut self, w: &[u64]) -> usize {
        let mut n = 0usize;
        for (c, chunk) in w.chunks(64).enumerate() {
            let mut nonzero = chunk.iter().enumerate().fold(0u64, |m, (j, x)| m | (u64::from(*x != 0) << j));
            while nonzero != 0 {
                let j = nonzero.trailing_zeros() as usize;
                nonzero &= nonzero.wrapping_sub(1);
                n = match self.word::<1>(n, c * 64 + j, chunk.get(j).copied().unwrap_or(0)) {
                    Some(n) => n,
                    None => return n,
                };
            }
        }
        n
    }

    /// Writes the offsets of word `i` (`word`) from position `n`: `G` unconditionally,
    /// then one by one if it has more bits. Returns the next position (`None` when the
    /// buffer is full).
    #[inline(always)]
    fn word<const G: usize>(&mut self, n: usize, i: usize, word: u64) -> Option<usize> {
        let base = (i as u16).wrapping_mul(64);
        let mut x = word;
        for slot in self.0.get_mut(n..n + G)? {
            *slot = base.wrapping_add(x.trailing_zeros() as u16);
            x &= x.wrapping_sub(1);
        }
        let mut k = n + G;
        while x != 0 {
            *self.0.get_mut(k)? = base.wrapping_add(x.trailing_zeros() as u16);
            x &= x.wrapping_sub(1);
            k += 1;
        }
        Some(n + word.count_ones() as usize)
    }

    /// The first `n` offsets written.
    pub fn get(&self, n: usize) -> &[u16] {
        self.0.get(..n).unwrap_or(&[])
    }
}

impl Default for Offsets {
    fn default() -> Offsets {
        Offsets::new()
    }
}

/// Roaring bitmap of block `b`'s words, which have `card` set bits ([`count`]), all in the
/// first `words` words.
///
/// The container is handed to roaring in its portable serialised form (a 16-byte header
/// followed by the offsets or the words, read in place): one copy into roaring's own
/// allocation. `RoaringBitmap::from_lsb0_bytes` would count the bits again and extract
/// offsets with a branch per bit; building sets that way was half of bulk's time.
pub fn to_roaring(b: usize, w: &Words, words: usize, card: u64, offsets: &mut Offsets) -> RoaringBitmap {
    use std::io::Read;
    /// Cookie of the portable format without run containers (RoaringFormatSpec).
    const NO_RUNS: u32 = 12_346;
    let (Ok(key), Ok(last)) = (u16::try_from(b), u16::try_from(card.wrapping_sub(1))) else {
        return RoaringBitmap::new();
    };
    let mut header = [0u8; 16];
    for (dst, src) in header.iter_mut().zip(
        NO_RUNS
            .to_le_bytes()
            .into_iter()
            .chain(1u32.to_le_bytes())
            .chain(key.to_le_bytes())
            .chain(last.to_le_bytes())
            .chain(16u32.to_le_bytes()),
    ) {
        *dst = src;
    }
    let built = if cfg!(target_endian = "big") {
        None
    } else if card <= ARRAY_MAX as u64 {
        let n = offsets.fill(w.get(..words).unwrap_or(w), card);
        (n as u64 == card)
            .then(|| RoaringBitmap::deserialize_unchecked_from(header.as_slice().chain(bytemuck::cast_slice(offsets.get(n)))).ok())
            .flatten()
    } else {
        RoaringBitmap::deserialize_unchecked_from(header.as_slice().chain(bytemuck::cast_slice(&w[..]))).ok()
    };
    built.unwrap_or_else(|| {
        // Big-endian targets (the serialised form is little-endian), or a count that does
        // not match: the slow, self-checking path.
        let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
        RoaringBitmap::from_lsb0_bytes((b as u32).wrapping_mul(BLOCK_ROWS), &bytes)
    })
}

/// Eligible and undetermined words of a result pair, masked to the block's rows, and their
/// numbers of rows.
pub fn outcome(r: &Pair, valid: &Valid, eligible: &mut Words, undetermined: &mut Words) -> (u64, u64) {
    let (mut ne, mut nu) = (0u64, 0u64);
    let n = valid.words;
    if let (Some(e), Some(u)) = (eligible.get_mut(n..), undetermined.get_mut(n..)) {
        e.fill(0);
        u.fill(0);
    }
    let (e, u) = (eligible.get_mut(..n).unwrap_or_default(), undetermined.get_mut(..n).unwrap_or_default());
    for ((((e, u), t), f), v) in e.iter_mut().zip(u.iter_mut()).zip(r.t.iter()).zip(r.f.iter()).zip(valid.mask.iter()) {
        *e = *t & *v;
        *u = *v & !*t & !*f;
        ne += u64::from(e.count_ones());
        nu += u64::from(u.count_ones());
    }
    (ne, nu)
}

/// The numbers of eligible and undetermined rows of a result pair, in one pass without
/// writing the words out ([`outcome`] then counting, fused).
pub fn outcome_counts(r: &Pair, valid: &Valid) -> (u64, u64) {
    let (mut e, mut u) = (0u64, 0u64);
    for ((t, f), v) in r.t.iter().zip(r.f.iter()).zip(valid.mask.iter().take(valid.words)) {
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
        for i in (0..65_536usize).step_by(97) {
            sparse[i >> 6] |= 1 << (i & 63);
        }
        cases.push(sparse);
        let mut dense = Box::new([0u64; WORDS]);
        for i in (0..65_536usize).step_by(3) {
            dense[i >> 6] |= 1 << (i & 63);
        }
        cases.push(dense);
        // Dense but ending early (the last block of a store).
        let mut short = Box::new([0u64; WORDS]);
        for i in (0..40_000usize).step_by(3) {
            short[i >> 6] |= 1 << (i & 63);
        }
        cases.push(short);
        let kinds: Vec<Block> = cases.iter().map(|w| Block::from_words(w, SPARSE_MAX)).collect();
        assert!(matches!(kinds[0], Block::Empty));
        assert!(matches!(kinds[1], Block::Full));
        assert!(matches!(kinds[2], Block::Sparse(_)));
        assert!(matches!(kinds[3], Block::Dense(_)));
        assert!(matches!(&kinds[4], Block::Short(w) if w.len() == 625));
        for (w, b) in cases.iter().zip(&kinds) {
            assert_eq!(&b.view(&mut scratch)[..], &w[..]);
        }
        // Offsets up to sparse_max rows, words above.
        assert_eq!((sparse_max(0), sparse_max(1), sparse_max(2), sparse_max(4), sparse_max(100)), (4096, 4096, 1024, 1024, 1024));
        for (rows, reads, sparse) in [(1024, 4, true), (1025, 4, false), (1025, 1, true), (4096, 1, true), (4097, 1, false)] {
            let mut w = Box::new([0u64; WORDS]);
            for i in (0..rows as usize).map(|r| r * 61 % 65_536) {
                w[i >> 6] |= 1 << (i & 63);
            }
            assert_eq!(count(&w), rows);
            let b = Block::from_words(&w, sparse_max(reads));
            assert_eq!(matches!(b, Block::Sparse(_)), sparse, "{rows} rows, {reads} readers");
            assert_eq!(&b.view(&mut scratch)[..], &w[..]);
        }
    }

    #[test]
    fn valid_mask_covers_exactly_the_rows() {
        let v = valid_mask(65_536 + 70, 1);
        let m = &v.mask;
        assert_eq!(m.iter().map(|w| w.count_ones()).sum::<u32>(), 70);
        assert_eq!(v.words, 2);
        let full = valid_mask(65_536 * 2, 1);
        assert_eq!((full.mask.iter().map(|w| w.count_ones()).sum::<u32>(), full.words), (65_536, WORDS));
        let r = to_roaring(1, m, v.words, count(m), &mut Offsets::new());
        assert_eq!((r.min(), r.max(), r.len()), (Some(65_536), Some(65_536 + 69), 70));
    }

    /// Sets built from words equal those built row by row (so also in container kind: an
    /// array at most 4,096 rows, a bitmap above), at every size around the array limit.
    #[test]
    fn sets_from_words_equal_sets_row_by_row() {
        let mut offsets = Offsets::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for card in [0usize, 1, 2, 3, 4, 5, 63, 64, 65, 300, 512, 513, 1000, 1024, 1025, 4095, 4096, 4097, 30_000, 65_535, 65_536] {
            for block in [0usize, 3] {
                let mut w = [0u64; WORDS];
                let mut rows: Vec<u32> = (0..65_536).collect();
                // A seeded shuffle: which rows are set varies, how many does not.
                for i in (1..rows.len()).rev() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    rows.swap(i, (seed % (i as u64 + 1)) as usize);
                }
                rows.truncate(card);
                for r in &rows {
                    w[(*r >> 6) as usize] |= 1 << (r & 63);
                }
                let want: RoaringBitmap = rows.iter().map(|r| r + block as u32 * BLOCK_ROWS).collect();
                let got = to_roaring(block, &w, WORDS, count(&w), &mut offsets);
                assert_eq!(got, want, "{card} rows in block {block}");
                assert_eq!(got.len(), card as u64);
                if card <= ARRAY_MAX {
                    let mut sorted = rows.clone();
                    crate::sort::sort(&mut sorted);
                    let n = offsets.fill(&w, card as u64);
                    assert_eq!(offsets.get(n).iter().map(|o| u32::from(*o)).collect::<Vec<_>>(), sorted);
                }
            }
        }
    }

    #[test]
    fn a_wrong_count_falls_back_to_the_self_checking_build() {
        let mut w = [0u64; WORDS];
        w[5] = 0b1011;
        let r = to_roaring(2, &w, WORDS, 7, &mut Offsets::new());
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2 * 65_536 + 320, 2 * 65_536 + 321, 2 * 65_536 + 323]);
    }
}
