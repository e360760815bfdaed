//! Catching a panic without printing it.
//!
//! A library called from C, Python or Java must not write to its host's stderr, and a
//! command-line tool reading a corrupt file should say which file, not print a backtrace.
//! [`quietly`] is `catch_unwind` with the panic hook silenced for the calling thread while
//! the closure runs: a process-wide hook is installed once, and it passes every panic that
//! happens outside `quietly` (or on another thread) to the hook that was there before, so
//! a host's own hook and Rust's default message keep working for everything else.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many `quietly` calls are running on this thread.
    static QUIET: Cell<u32> = const { Cell::new(0) };
    /// Where the last quiet panic on this thread happened (`file:line`).
    static WHERE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `f`; a panic in it comes back as `Err(payload)`, as from `catch_unwind`, and is not
/// printed. (The closure is treated as unwind safe: callers drop what it touched on error.)
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) == 0 {
                previous(info);
            } else {
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
                WHERE.with(|w| *w.borrow_mut() = at);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get().saturating_add(1)));
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    r
}

/// Where the last panic caught by [`quietly`] on this thread happened (`file:line`), for
/// a bug report.
pub fn last_location() -> Option<String> {
    WHERE.with(|w| w.borrow().clone())
}

/// The message of a panic payload (`panic!("…")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_comes_back_with_its_message() {
        let r = quietly(|| -> u8 { panic!("boom {}", 7) });
        let payload = r.err().map(|p| panic_message(&*p));
        assert_eq!(payload.as_deref(), Some("boom 7"));
        assert_eq!(quietly(|| 5).ok(), Some(5));
        assert_eq!(QUIET.with(Cell::get), 0);
    }
}
