//! The opaque handles C holds (engines and stores), the registry of live ones, and how
//! constructors hand them over and `*_free` takes them back.

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use huiqi_core::engine::Engine;
use huiqi_core::ops::{failure, Errors, OpenStore};

use super::boundary::{clear_last_error, internal, into_c, panic_message, set_last_error};

/// An engine: a schema and a compiled policy set, immutable once built.
///
/// Opaque to C. Made by `huiqi_engine_new`, `huiqi_engine_from_dir`,
/// `huiqi_engine_from_sources`, `huiqi_engine_with_tables` or `huiqi_engine_from_spec`;
/// freed by `huiqi_engine_free`.
pub struct HuiqiEngine {
    magic: u64,
    engine: Arc<Engine>,
}

/// An enterprise store: enterprises in columns, loaded from a saved store file, CSV, JSON
/// lines, a folder of profiles or an Arrow stream with an engine's schema, immutable once
/// opened, with the predicate sets of the last date asked.
///
/// Opaque to C. Made by `huiqi_store_open` or `huiqi_store_from_arrow`; freed by
/// `huiqi_store_free`.
pub struct HuiqiStore {
    magic: u64,
    store: Arc<OpenStore>,
}

/// The kinds of handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Engine,
    Store,
}

impl Kind {
    fn article(self) -> &'static str {
        match self {
            Kind::Engine => "an engine",
            Kind::Store => "a store",
        }
    }
}

/// A handle type: a `Box` handed to C as an opaque pointer, registered in [`LIVE`] under
/// its kind while it lives.
pub(crate) trait Handle: Sized {
    type Inner: ?Sized;
    const KIND: Kind;
    /// Marks a live handle of this kind; cleared when the handle is freed.
    const MAGIC: u64;
    /// "engine" or "store", for messages.
    const NAME: &'static str;
    /// The constructors, for messages.
    const MADE_BY: &'static str;
    fn magic(&self) -> u64;
    fn clear_magic(&mut self);
    fn inner(&self) -> &Arc<Self::Inner>;
}

impl Handle for HuiqiEngine {
    type Inner = Engine;
    const KIND: Kind = Kind::Engine;
    /// "HUIQIENG".
    const MAGIC: u64 = 0x4855_4951_4945_4e47;
    const NAME: &'static str = "engine";
    const MADE_BY: &'static str = "huiqi_engine_new";
    fn magic(&self) -> u64 {
        self.magic
    }
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
    fn inner(&self) -> &Arc<Engine> {
        &self.engine
    }
}

impl HuiqiEngine {
    pub(crate) fn new(engine: Engine) -> HuiqiEngine {
        HuiqiEngine { magic: <HuiqiEngine as Handle>::MAGIC, engine: Arc::new(engine) }
    }
}

impl Handle for HuiqiStore {
    type Inner = OpenStore;
    const KIND: Kind = Kind::Store;
    /// "HUIQISTO".
    const MAGIC: u64 = 0x4855_4951_4953_544f;
    const NAME: &'static str = "store";
    const MADE_BY: &'static str = "huiqi_store_open";
    fn magic(&self) -> u64 {
        self.magic
    }
    fn clear_magic(&mut self) {
        self.magic = 0;
    }
    fn inner(&self) -> &Arc<OpenStore> {
        &self.store
    }
}

impl HuiqiStore {
    pub(crate) fn new(store: OpenStore) -> HuiqiStore {
        HuiqiStore { magic: <HuiqiStore as Handle>::MAGIC, store: Arc::new(store) }
    }
}

/// Addresses of the live handles and their kinds. A call looks its handle up here (read
/// lock) before dereferencing it; `huiqi_engine_free` and `huiqi_store_free` remove it
/// (write lock) before freeing it, so a handle is never read after it was freed, nor read
/// as the other kind, and a call that already holds the engine or store keeps it alive
/// (`Arc`) until it returns.
static LIVE: LazyLock<RwLock<HashMap<usize, Kind>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

/// What is behind a handle (the engine or the store), if the handle is live and of kind `H`.
pub(crate) fn live<H: Handle>(handle: *const H) -> Result<Arc<H::Inner>, String> {
    if handle.is_null() {
        return Err(format!("the {} handle is a null pointer", H::NAME));
    }
    let registry = LIVE.read().unwrap_or_else(PoisonError::into_inner);
    match registry.get(&handle.addr()) {
        None => Err(format!("not a live {} handle: it was freed already, or was not made by {}", H::NAME, H::MADE_BY)),
        Some(&kind) if kind != H::KIND => Err(format!("not a live {} handle: it is {} handle", H::NAME, kind.article())),
        Some(_) => {
            // SAFETY: the address is registered with kind `H::KIND`, so it is a `Box<H>` made
            // by this library (`deliver::<H>`) and not yet freed; `free_handle` unregisters
            // under the write lock before freeing, which cannot happen while this read lock
            // is held.
            let h = unsafe { &*handle };
            if h.magic() != H::MAGIC {
                return Err(format!("not a live {} handle: bad magic number", H::NAME));
            }
            Ok(Arc::clone(h.inner()))
        }
    }
}

/// Runs a constructor's work (engine or store), catching a panic.
pub(crate) fn build<H>(name: &str, f: impl FnOnce() -> Result<H, Errors>) -> Result<H, Errors> {
    clear_last_error();
    huiqi_core::guard::quietly(f).unwrap_or_else(|payload| Err(vec![internal(name, &*payload)]))
}

/// Finishes a constructor: registers the engine or store and returns its handle, or writes
/// the failure envelope to `error_out` (when non-null), sets the last error and returns
/// NULL. `*error_out` is set to NULL on success.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for one `char *`.
pub(crate) unsafe fn deliver<H: Handle>(name: &str, error_out: *mut *mut c_char, result: Result<H, Errors>) -> *mut H {
    let outcome = huiqi_core::guard::quietly(|| match result {
        Ok(handle) => {
            let raw = Box::into_raw(Box::new(handle));
            LIVE.write().unwrap_or_else(PoisonError::into_inner).insert(raw.addr(), H::KIND);
            (raw, ptr::null_mut())
        }
        Err(errors) => {
            let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
            let more = errors.len().saturating_sub(1);
            set_last_error(&if more > 0 { format!("{name}: {first} (and {more} more problem(s))") } else { format!("{name}: {first}") });
            (ptr::null_mut(), into_c(failure(errors)))
        }
    });
    let (handle, error) = outcome.unwrap_or_else(|payload| {
        let item = internal(name, &*payload);
        set_last_error(&item.message);
        (ptr::null_mut(), into_c(failure(vec![item])))
    });
    if error_out.is_null() {
        if !error.is_null() {
            // SAFETY: made by `CString::into_raw` just above and not handed out.
            drop(unsafe { CString::from_raw(error) });
        }
    } else {
        // SAFETY: the caller guarantees `error_out` points to writable storage for a pointer.
        unsafe { error_out.write(error) };
    }
    handle
}

/// Frees a handle of kind `H`: NULL is ignored; a handle that is not a live one of this
/// kind is left alone and reported by the last error.
pub(crate) fn free_handle<H: Handle>(name: &str, handle: *mut H) {
    clear_last_error();
    if handle.is_null() {
        return;
    }
    let outcome = huiqi_core::guard::quietly(|| {
        let mut registry = LIVE.write().unwrap_or_else(PoisonError::into_inner);
        match registry.get(&handle.addr()) {
            None => return Err(format!("{name}: not a live {} handle: it was freed already, or was not made by {}", H::NAME, H::MADE_BY)),
            Some(&kind) if kind != H::KIND => {
                return Err(format!("{name}: not a live {} handle: it is {} handle", H::NAME, kind.article()))
            }
            Some(_) => {}
        }
        registry.remove(&handle.addr());
        if registry.is_empty() {
            // Give the table's memory back once no handle is left, so that a program that
            // freed every engine and store ends with nothing allocated (leak checkers stay
            // quiet).
            registry.shrink_to_fit();
        }
        drop(registry);
        // SAFETY: the address was registered with kind `H::KIND`, so it came from
        // `Box::into_raw` in `deliver::<H>`; removing it from the registry made this the
        // only release.
        let mut boxed = unsafe { Box::from_raw(handle) };
        boxed.clear_magic();
        drop(boxed);
        Ok(())
    });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(message)) => set_last_error(&message),
        Err(payload) => set_last_error(&format!("{name} panicked: {}", panic_message(&*payload))),
    }
}
