//! Stable sorting with one instance of the sorting code in the WASM module.
//!
//! std's slice sorts are generic: every element type and comparator gets its own copy of
//! driftsort (or ipnsort), about 5 KB of WASM each. The crate sorted 24 kinds of things,
//! and the copies came to 129 KB of the 1.4 MB module (9 %).
//!
//! In the WASM build a slice is therefore sorted by sorting the *positions* of its
//! elements: one `usize` sort with a `dyn` comparator, shared by every caller, then the
//! elements are put in that order by following the permutation's cycles with swaps. The
//! cost is one allocation of a position per element and a dynamic call per comparison;
//! nothing sorted on a hot path is large (files, fields, lints, the index's build-time
//! orders).
//!
//! `set_of` and `map_of` build B-trees by inserting, for the same reason: `collect` into a
//! B-tree sorts a vector first.
//!
//! Natively these functions are std's sorts. Both are stable, so the order is the same
//! for any comparator that is a total order; `tests` check the positions path against
//! std on random data with many ties.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` stably by `cmp` (`slice::sort_by`).
pub fn sort_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_positions(v, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
}

/// Sorts `v` stably by the key `f` (`slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` by its own order (`slice::sort`; equal elements are indistinguishable, so
/// this also stands for `sort_unstable`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// A `BTreeSet` of `items`, by inserting them. (`collect` puts them in a vector and sorts
/// it first: one more copy of the sort per element type.)
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// A `BTreeMap` of `entries`, by inserting them; a later entry with the same key wins, as
/// with `collect`.
pub fn map_of<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(entries);
    map
}

/// The WASM build's sort: sorts the positions, then permutes `v` to them.
#[cfg_attr(not(any(target_arch = "wasm32", test)), expect(dead_code, reason = "the WASM build's sort; tested natively"))]
fn by_positions<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    {
        let items: &[T] = v;
        let mut compare = |a: usize, b: usize| match (items.get(a), items.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        };
        sort_positions(&mut order, &mut compare);
    }
    permute(v, &mut order);
}

/// The one instance of std's sort: positions under a dynamic comparator.
fn sort_positions(order: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a, b));
}

/// Puts `v` in the order `order` (position `i` receives the element at `order[i]`), in
/// place, by following each cycle of the permutation; `order` is consumed (each entry is
/// set to its own index once placed).
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    let n = v.len().min(order.len());
    for start in 0..n {
        let mut at = start;
        while let Some(slot) = order.get_mut(at) {
            let from = std::mem::replace(slot, at);
            if from == start || from == at || from >= n {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The positions path sorts exactly as std's stable sort, ties included: the
        /// elements carry their original index, compared on the key only.
        #[test]
        fn positions_sort_as_std(keys in proptest::collection::vec(0u8..6, 0..200)) {
            let tagged: Vec<(u8, usize)> = keys.iter().copied().enumerate().map(|(i, k)| (k, i)).collect();
            let mut std_sorted = tagged.clone();
            std_sorted.sort_by_key(|a| a.0);
            let mut ours = tagged;
            by_positions(&mut ours, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(ours, std_sorted);
        }

        /// Reversed comparators and strings (an owning element type) too.
        #[test]
        fn positions_sort_strings_descending(words in proptest::collection::vec("[a-c]{0,3}", 0..60)) {
            let mut std_sorted = words.clone();
            std_sorted.sort_by_key(|b| std::cmp::Reverse(b.len()));
            let mut ours = words;
            by_positions(&mut ours, |a: &String, b: &String| b.len().cmp(&a.len()));
            prop_assert_eq!(ours, std_sorted);
        }
    }

    #[test]
    fn wrappers_sort() {
        let mut v = vec![3, 1, 2, 1];
        sort(&mut v);
        assert_eq!(v, [1, 1, 2, 3]);
        let mut w = vec![(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd')];
        sort_by_key(&mut w, |x| std::cmp::Reverse(x.0));
        assert_eq!(w, [(2, 'a'), (2, 'c'), (1, 'b'), (0, 'd')]);
        assert_eq!(set_of([3, 1, 3]).into_iter().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(map_of([(1, 'a'), (0, 'b'), (1, 'c')]).into_iter().collect::<Vec<_>>(), [(0, 'b'), (1, 'c')]);
    }
}
