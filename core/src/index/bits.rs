//! A fixed-size bitset over predicate ids, with word-level range fills (a threshold group
//! sets a contiguous run of predicates at once).

/// Bits over predicate ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    pub fn new(len: usize) -> Bits {
        Bits { words: vec![0; len.div_ceil(64)] }
    }

    /// The bit words (bit `i` is bit `i % 64` of word `i / 64`).
    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    #[inline]
    pub fn get(&self, i: u32) -> bool {
        self.words.get((i >> 6) as usize).is_some_and(|w| w >> (i & 63) & 1 == 1)
    }

    #[inline]
    pub fn set(&mut self, i: u32) {
        if let Some(w) = self.words.get_mut((i >> 6) as usize) {
            *w |= 1 << (i & 63);
        }
    }

    #[inline]
    pub fn unset(&mut self, i: u32) {
        if let Some(w) = self.words.get_mut((i >> 6) as usize) {
            *w &= !(1 << (i & 63));
        }
    }

    /// Sets the bits of `mask`.
    #[inline]
    pub fn or_mask(&mut self, mask: &Mask) {
        let at = mask.first_word as usize;
        for (w, m) in self.words.iter_mut().skip(at).zip(&mask.words) {
            *w |= *m;
        }
    }

    /// Clears the bits of `mask` that are not set in `keep`.
    #[inline]
    pub fn unset_mask_unless(&mut self, mask: &Mask, keep: &Bits) {
        let at = mask.first_word as usize;
        for ((w, m), k) in self.words.iter_mut().skip(at).zip(&mask.words).zip(keep.words.iter().skip(at)) {
            *w &= !(*m & !*k);
        }
    }

    /// Sets bits `start..end`.
    pub fn set_range(&mut self, start: u32, end: u32) {
        if start >= end {
            return;
        }
        let (s, e) = (start as usize, end as usize);
        let (sw, ew) = (s >> 6, (e - 1) >> 6);
        let first = !0u64 << (s & 63);
        let last = !0u64 >> (63 - ((e - 1) & 63));
        if sw == ew {
            if let Some(w) = self.words.get_mut(sw) {
                *w |= first & last;
            }
            return;
        }
        if let Some(w) = self.words.get_mut(sw) {
            *w |= first;
        }
        for w in self.words.iter_mut().take(ew).skip(sw + 1) {
            *w = !0;
        }
        if let Some(w) = self.words.get_mut(ew) {
            *w |= last;
        }
    }

    /// Indices of set bits below `len`, ascending.
    pub fn ones(&self, len: usize) -> impl Iterator<Item = u32> + '_ {
        self.indices(false, len)
    }

    /// Indices of clear bits below `len`, ascending.
    pub fn zeros(&self, len: usize) -> impl Iterator<Item = u32> + '_ {
        self.indices(true, len)
    }

    /// Indices of set bits in `start..end`, ascending.
    pub fn ones_in(&self, start: u32, end: u32) -> impl Iterator<Item = u32> + '_ {
        self.indices_in(false, start, end)
    }

    /// Indices of clear bits in `start..end`, ascending.
    pub fn zeros_in(&self, start: u32, end: u32) -> impl Iterator<Item = u32> + '_ {
        self.indices_in(true, start, end)
    }

    fn indices_in(&self, invert: bool, start: u32, end: u32) -> impl Iterator<Item = u32> + '_ {
        let first = (start >> 6) as usize;
        let last = if end == 0 { 0 } else { ((end - 1) >> 6) as usize + 1 };
        self.words
            .get(first..last.min(self.words.len()).max(first))
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .flat_map(move |(k, &w)| word_bits(first + k, if invert { !w } else { w }))
            .skip_while(move |i| *i < start)
            .take_while(move |i| *i < end)
    }

    fn indices(&self, invert: bool, len: usize) -> impl Iterator<Item = u32> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(move |(wi, &w)| word_bits(wi, if invert { !w } else { w }))
            .take_while(move |i| (*i as usize) < len)
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// The set bits of word number `wi`, as bit indices, in order.
fn word_bits(wi: usize, mut w: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        if w == 0 {
            return None;
        }
        let b = w.trailing_zeros();
        w &= w - 1;
        Some((wi as u32) * 64 + b)
    })
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn ranges_match_single_sets() {
        for (s, e) in [(0, 0), (0, 1), (3, 64), (60, 70), (0, 128), (64, 65), (5, 200), (127, 129)] {
            let mut a = Bits::new(256);
            let mut b = Bits::new(256);
            a.set_range(s, e);
            for i in s..e {
                b.set(i);
            }
            assert_eq!(a, b, "{s}..{e}");
            assert_eq!(a.count(), (e - s) as usize);
        }
        let b = Bits::new(10);
        assert!(!b.get(1000), "out of range reads false");
        let mut c = Bits::new(130);
        for i in [0, 5, 63, 64, 129] {
            c.set(i);
        }
        assert_eq!(c.ones(130).collect::<Vec<_>>(), vec![0, 5, 63, 64, 129]);
        assert_eq!(c.zeros(8).collect::<Vec<_>>(), vec![1, 2, 3, 4, 6, 7]);
    }
}

/// A set of predicate ids stored as the bit words that cover them: setting it is a few
/// word ORs however many predicates it holds (an industry section names hundreds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mask {
    first_word: u32,
    words: Vec<u64>,
}

impl Mask {
    /// The mask of `ids` (any order, duplicates allowed).
    pub fn of(ids: &[u32]) -> Mask {
        let (Some(lo), Some(hi)) = (ids.iter().min(), ids.iter().max()) else { return Mask::default() };
        let first_word = lo >> 6;
        let mut words = vec![0u64; ((hi >> 6) - first_word + 1) as usize];
        for i in ids {
            if let Some(w) = words.get_mut(((i >> 6) - first_word) as usize) {
                *w |= 1 << (i & 63);
            }
        }
        Mask { first_word, words }
    }

    /// Heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.words.len() * 8
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn masks_set_and_clear_exactly_their_ids() {
        let ids = [70u32, 3, 130, 70, 64];
        let mask = Mask::of(&ids);
        let mut b = Bits::new(200);
        b.or_mask(&mask);
        assert_eq!(b.ones(200).collect::<Vec<_>>(), vec![3, 64, 70, 130]);
        let mut keep = Bits::new(200);
        keep.set(64);
        let mut k = Bits::new(200);
        k.set_range(0, 200);
        k.unset_mask_unless(&mask, &keep);
        let cleared: Vec<u32> = k.zeros(200).collect();
        assert_eq!(cleared, vec![3, 70, 130]);
        assert!(Mask::of(&[]).words.is_empty());
    }
}
