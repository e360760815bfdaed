//! The Java binding's natives: `libhuiqi_jni.so`, loaded by `io.huiqi.NativeLibrary` and
//! called through `io.huiqi.Native` (java/src/main/java).
//!
//! Like the C ABI, this crate only translates. Every answer comes from the operation layer
//! (`huiqi::ops`), so Java, C, Python, WASM and the CLI's `--json` give byte-identical
//! envelopes for the same request. Text crosses the boundary as UTF-8 `byte[]` both ways:
//! Java's own encoder and decoder are fast, and JNI's modified UTF-8 never enters.
//!
//! - Handles are numbers in a registry ([`handles`]), not pointers: a closed, foreign or
//!   made-up handle is looked up, not dereferenced, and answers with an exception. A call
//!   holds its engine (an `Arc`) until it returns, so `close` during a call is safe. Each
//!   native that takes a handle also takes the Java object that owns it (`keep`, unused
//!   here): a JNI argument stays reachable for the whole call, so the owner's cleaner cannot
//!   free the handle while the call runs (Java 8 has no `Reference.reachabilityFence`).
//! - Every failure is one Java exception type, `io.huiqi.HuiqiException`, built from a
//!   failure envelope (kind, message, where). Calls that answer with an envelope return
//!   it, failure or not; calls that make handles throw.
//! - No panic crosses into the JVM: each native runs under `huiqi::guard::quietly` inside
//!   jni's `with_env`; a panic is an `internal` exception naming the native and the place.

mod boundary;
mod handles;
mod natives;

pub use handles::{engine_count, store_count};
