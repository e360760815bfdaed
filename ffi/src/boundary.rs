//! The boundary every entry point crosses: C strings in and out, the thread's last error,
//! panics caught, and the one helper that reads an entry point's arguments and handles.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::Arc;

use huiqi_core::engine::Engine;
use huiqi_core::ops::{failure, ErrorItem, ErrorKind, Errors, OpenStore};

use super::handles::{live, HuiqiEngine, HuiqiStore};

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

pub(crate) fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = Some(c);
        }
    });
}

pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = None;
        }
    });
}

/// The last error of this thread, as a pointer owned by the library.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|e| e.try_borrow().ok().and_then(|e| e.as_ref().map(|c| c.as_ptr())).unwrap_or(ptr::null()))
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The failure of a panic caught in entry point `name`.
pub(crate) fn internal(name: &str, payload: &(dyn Any + Send)) -> ErrorItem {
    let at = huiqi_core::guard::last_location().map(|l| format!(" (at {l})")).unwrap_or_default();
    ErrorItem::new(ErrorKind::Internal, format!("{name} panicked: {}{at}", panic_message(payload)))
}

/// A Rust string handed to C. JSON text never contains a NUL byte (serde escapes it), but
/// if one did, the answer is still an envelope.
pub(crate) fn into_c(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        Err(_) => CString::new(failure(vec![ErrorItem::new(ErrorKind::Internal, "the answer contained a NUL byte")]))
            .map(CString::into_raw)
            .unwrap_or(ptr::null_mut()),
    }
}

/// A C string argument of an entry point: its pointer, its name (for messages), and
/// whether NULL is allowed (then it reads as `None`).
#[derive(Clone, Copy)]
pub(crate) struct Arg {
    ptr: *const c_char,
    name: &'static str,
    optional: bool,
}

/// A required string argument.
pub(crate) fn req(ptr: *const c_char, name: &'static str) -> Arg {
    Arg { ptr, name, optional: false }
}

/// A string argument that may be NULL.
pub(crate) fn opt(ptr: *const c_char, name: &'static str) -> Arg {
    Arg { ptr, name, optional: true }
}

/// Reads one argument.
///
/// # Safety
/// `a.ptr` is NULL or points to a NUL-terminated string that stays valid and unmodified
/// for `'a` (the duration of the call).
unsafe fn read<'a>(a: Arg) -> Result<Option<&'a str>, Box<ErrorItem>> {
    if a.ptr.is_null() {
        return if a.optional { Ok(None) } else { Err(Box::new(ErrorItem::request(a.name, format!("{} is a null pointer", a.name)))) };
    }
    // SAFETY: non-null, and the caller guarantees a NUL-terminated string valid for 'a.
    let bytes = unsafe { CStr::from_ptr(a.ptr) };
    bytes.to_str().map(Some).map_err(|e| Box::new(ErrorItem::request(a.name, format!("{} is not valid UTF-8: {e}", a.name))))
}

/// Reads every argument; the errors of all that are bad, in argument order.
///
/// # Safety
/// As [`read`], for every argument.
pub(crate) unsafe fn read_all<'a, const N: usize>(args: [Arg; N]) -> Result<[Option<&'a str>; N], Errors> {
    let mut out = [None; N];
    let mut errors = Vec::new();
    for (slot, a) in out.iter_mut().zip(args) {
        // SAFETY: forwarded from the caller.
        match unsafe { read(a) } {
            Ok(v) => *slot = v,
            Err(e) => errors.push(*e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A string-returning entry point: an envelope, or NULL with the last error set when a
/// handle is invalid. A panic becomes an `internal` failure envelope.
pub(crate) fn string_call(name: &str, f: impl FnOnce() -> Result<String, String>) -> *mut c_char {
    clear_last_error();
    match huiqi_core::guard::quietly(f) {
        Ok(Ok(s)) => into_c(s),
        Ok(Err(message)) => {
            set_last_error(&format!("{name}: {message}"));
            ptr::null_mut()
        }
        Err(payload) => into_c(failure(vec![internal(name, &*payload)])),
    }
}

/// The body of an engine entry point: checks the handle (NULL and the last error when it
/// is not a live engine), reads the string arguments (a failure envelope naming every bad
/// one), and answers with `f`.
///
/// # Safety
/// Every argument's pointer is NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn on_engine<const N: usize>(
    name: &str,
    engine: *const HuiqiEngine,
    args: [Arg; N],
    f: impl FnOnce(&Arc<Engine>, [Option<&str>; N]) -> String,
) -> *mut c_char {
    string_call(name, || {
        let engine = live(engine)?;
        // SAFETY: forwarded from the caller.
        Ok(match unsafe { read_all(args) } {
            Ok(values) => f(&engine, values),
            Err(errors) => failure(errors),
        })
    })
}

/// [`on_engine`] for an entry point on an engine and a store.
///
/// # Safety
/// As [`on_engine`].
pub(crate) unsafe fn on_store<const N: usize>(
    name: &str,
    engine: *const HuiqiEngine,
    store: *const HuiqiStore,
    args: [Arg; N],
    f: impl FnOnce(&Arc<Engine>, &OpenStore, [Option<&str>; N]) -> String,
) -> *mut c_char {
    string_call(name, || {
        let engine = live(engine)?;
        let open = live(store)?;
        // SAFETY: forwarded from the caller.
        Ok(match unsafe { read_all(args) } {
            Ok(values) => f(&engine, &open, values),
            Err(errors) => failure(errors),
        })
    })
}

thread_local! {
    /// The matcher of the last engine this thread asked compact verdicts of (by its
    /// allocation; a weak reference, so a freed engine's matcher is never reused).
    static VERDICT_MATCHER: RefCell<Option<(std::sync::Weak<Engine>, huiqi_core::index::Matcher)>> = const { RefCell::new(None) };
}

/// The body of `huiqi_verdict_bytes`: -1 with the last error set (a message for a bad
/// handle, the failure envelope for bad input), or the number of bytes written.
///
/// # Safety
/// As [`on_engine`] for `args`; `out` is NULL or valid for `out_len` writable bytes.
pub(crate) unsafe fn verdict_bytes_call(name: &str, engine: *const HuiqiEngine, args: [Arg; 2], out: *mut u8, out_len: usize) -> i64 {
    clear_last_error();
    let run = || -> Result<i64, String> {
        let engine = live(engine).map_err(|m| format!("{name}: {m}"))?;
        // SAFETY: forwarded from the caller.
        let [profile, as_of] = unsafe { read_all(args) }.map_err(failure)?;
        if out.is_null() {
            return Err(failure(vec![ErrorItem::request("out", "out is a null pointer")]));
        }
        // SAFETY: non-null, and the caller guarantees `out_len` writable bytes, untouched
        // by anything else during the call.
        let buf = unsafe { std::slice::from_raw_parts_mut(out, out_len) };
        VERDICT_MATCHER.with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|_| failure(vec![ErrorItem::new(ErrorKind::Internal, "re-entered")]))?;
            let same = slot.as_ref().is_some_and(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&engine)));
            if !same {
                *slot = Some((Arc::downgrade(&engine), engine.matcher()));
            }
            let Some((_, m)) = slot.as_mut() else { return Err(failure(vec![ErrorItem::new(ErrorKind::Internal, "no matcher")])) };
            let n = huiqi_core::ops::answers::verdict_bytes(&engine, m, must(profile), must(as_of), buf).map_err(failure)?;
            i64::try_from(n).map_err(|e| failure(vec![ErrorItem::new(ErrorKind::Internal, e.to_string())]))
        })
    };
    match huiqi_core::guard::quietly(run) {
        Ok(Ok(n)) => n,
        Ok(Err(message)) => {
            set_last_error(&message);
            -1
        }
        Err(payload) => {
            set_last_error(&failure(vec![internal(name, &*payload)]));
            -1
        }
    }
}

/// A required argument's value (read by [`read_all`], which refuses NULL for it).
pub(crate) fn must(v: Option<&str>) -> &str {
    v.unwrap_or_default()
}
