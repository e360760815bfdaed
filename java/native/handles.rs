//! The registry of live engines and stores: a handle is a number Java holds; the value is
//! here, under a lock, as an `Arc`.
//!
//! Engines and stores draw their numbers from one counter, so a number is never both, and
//! a store given where an engine is expected is reported as such. Numbers are never reused
//! while the process lives (a 63-bit counter), so a stale handle cannot reach a newer
//! object.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use huiqi::engine::Engine;
use huiqi::ops::{ErrorItem, Errors, OpenStore};

type Table<T> = LazyLock<RwLock<HashMap<i64, Arc<T>>>>;

static ENGINES: Table<Engine> = LazyLock::new(|| RwLock::new(HashMap::new()));
static STORES: Table<OpenStore> = LazyLock::new(|| RwLock::new(HashMap::new()));
/// The next handle. Starts far from 0 so that 0 (Java's "closed") and small numbers typed
/// by hand are never live.
static NEXT: AtomicI64 = AtomicI64::new(0x4851_0000_0000);

fn add<T>(table: &Table<T>, value: T) -> i64 {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    table.write().unwrap_or_else(PoisonError::into_inner).insert(id, Arc::new(value));
    id
}

fn get<T>(table: &Table<T>, id: i64) -> Option<Arc<T>> {
    table.read().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
}

fn remove<T>(table: &Table<T>, id: i64) -> bool {
    table.write().unwrap_or_else(PoisonError::into_inner).remove(&id).is_some()
}

/// Registers an engine; its handle.
pub(crate) fn add_engine(engine: Engine) -> i64 {
    add(&ENGINES, engine)
}

/// Registers a store; its handle.
pub(crate) fn add_store(store: OpenStore) -> i64 {
    add(&STORES, store)
}

/// The engine of a handle, or the error that says what the handle is instead.
pub(crate) fn engine(id: i64) -> Result<Arc<Engine>, Errors> {
    get(&ENGINES, id).ok_or_else(|| vec![not_live("engine", "store", id, get(&STORES, id).is_some())])
}

/// The store of a handle (0: none).
pub(crate) fn store(id: i64) -> Result<Option<Arc<OpenStore>>, Errors> {
    if id == 0 {
        return Ok(None);
    }
    get(&STORES, id).map(Some).ok_or_else(|| vec![not_live("store", "engine", id, get(&ENGINES, id).is_some())])
}

fn not_live(what: &str, other: &str, id: i64, is_other: bool) -> ErrorItem {
    let message = if is_other {
        format!("handle {id} is {} {other}, not {} {what}", article(other), article(what))
    } else if id == 0 {
        format!("this {what} is closed")
    } else {
        format!("handle {id} is not a live {what} (closed, or not made by this library)")
    };
    ErrorItem::request(what, message)
}

fn article(word: &str) -> &'static str {
    if word.starts_with('e') {
        "an"
    } else {
        "a"
    }
}

/// Drops an engine's entry; the engine itself goes when the last call using it returns.
/// False when the handle was not live (closed twice, or never made): not an error.
pub(crate) fn free_engine(id: i64) -> bool {
    remove(&ENGINES, id)
}

/// [`free_engine`] for stores.
pub(crate) fn free_store(id: i64) -> bool {
    remove(&STORES, id)
}

/// How many engines are live (for tests of the safety net that closes forgotten ones).
pub fn engine_count() -> usize {
    ENGINES.read().unwrap_or_else(PoisonError::into_inner).len()
}

/// How many stores are live.
pub fn store_count() -> usize {
    STORES.read().unwrap_or_else(PoisonError::into_inner).len()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn handles_are_looked_up_by_kind_and_never_reused() {
        let e = add_engine(Engine::embedded().unwrap());
        assert!(engine(e).is_ok());
        let as_store = store(e).unwrap_err().remove(0);
        assert!(as_store.message.contains("is an engine, not a store"), "{}", as_store.message);
        assert!(store(0).unwrap().is_none());
        assert!(free_engine(e));
        assert!(!free_engine(e), "a second free is not an error, and frees nothing");
        let gone = engine(e).unwrap_err().remove(0);
        assert!(gone.message.contains("not a live engine"), "{}", gone.message);
        assert!(engine(0).unwrap_err()[0].message.contains("this engine is closed"));
        let again = add_engine(Engine::embedded().unwrap());
        assert_ne!(again, e);
        assert!(free_engine(again));
    }
}
