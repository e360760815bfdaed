//! A hostile Arrow C stream producer: valid batches exported through arrow-rs, then the
//! raw structs changed the way a buggy or malicious producer would (counts, offsets, NULL
//! pointers, metadata, callbacks, error codes). Used by the ffi crate's tests
//! (`ffi/src/tests.rs`) and by the `arrow_stream` fuzz target, so both attack the same way.
#![allow(unsafe_code, dead_code, reason = "a C producer, written in Rust for the tests")]

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, StructArray};

/// `struct ArrowSchema` with its fields visible.
#[repr(C)]
pub struct RawSchema {
    pub format: *const c_char,
    pub name: *const c_char,
    pub metadata: *const c_char,
    pub flags: i64,
    pub n_children: i64,
    pub children: *mut *mut RawSchema,
    pub dictionary: *mut RawSchema,
    pub release: Option<unsafe extern "C" fn(*mut RawSchema)>,
    pub private_data: *mut c_void,
}

/// `struct ArrowArray` with its fields visible.
#[repr(C)]
pub struct RawArray {
    pub length: i64,
    pub null_count: i64,
    pub offset: i64,
    pub n_buffers: i64,
    pub n_children: i64,
    pub buffers: *mut *const c_void,
    pub children: *mut *mut RawArray,
    pub dictionary: *mut RawArray,
    pub release: Option<unsafe extern "C" fn(*mut RawArray)>,
    pub private_data: *mut c_void,
}

/// One change to what the producer hands over.
#[derive(Clone, Debug)]
pub enum Attack {
    /// Hand over the batches as they are.
    None,
    /// get_schema fails; get_last_error gives `message` (None: a NULL message).
    SchemaFails(Option<String>),
    /// get_next fails on the first batch; get_last_error gives `message` (None: NULL).
    NextFails(Option<String>),
    /// The schema's metadata (of column `column`, or the top when None) is these bytes.
    Metadata(Option<usize>, Vec<u8>),
    /// The schema claims `n` children for the top-level struct (the pointer kept).
    SchemaChildren(i64),
    /// A child pointer of the schema is NULL.
    NullSchemaChild(usize),
    /// The schema's format string is NULL.
    NullFormat,
    /// Column `column` of the first batch: set a raw field.
    Length(usize, i64),
    Offset(usize, i64),
    NullCount(usize, i64),
    Buffers(usize, i64),
    Children(usize, i64),
    /// Column `column`: buffer `buffer` is NULL. (Counts are only ever lowered: the
    /// pointer arrays are the real ones, so a higher claim would read past them.)
    NullBuffer(usize, usize),
    /// Column `column`: the i32 offset at `index` is `value` (text and lists).
    OffsetValue(usize, usize, i32),
    /// Column `column`'s child (a list's values): set its length.
    ChildLength(usize, i64),
    /// The batch (the top-level struct) claims `n` children.
    BatchChildren(i64),
    /// The batch's length.
    BatchLength(i64),
    /// The stream's get_next callback is NULL.
    NoGetNext,
}

struct Producer {
    schema: Arc<arrow_schema::Schema>,
    batches: Vec<RecordBatch>,
    attack: Attack,
    last_error: Option<CString>,
}

/// What a changed struct owns: the struct arrow-rs exported, intact (released with it, so
/// arrow-rs's release never sees the changes), and the changed copies handed out.
struct Held<T> {
    original: T,
    child_copies: Vec<Box<[u8]>>,
    child_pointers: Vec<*mut c_void>,
    buffer_pointers: Vec<*const c_void>,
    bytes: Vec<u8>,
    offsets: Vec<i32>,
}

/// A stream of `batches` with `attack` applied. The caller owns it and hands it over.
pub fn stream(batches: Vec<RecordBatch>, attack: Attack) -> FFI_ArrowArrayStream {
    let schema = batches.first().map_or_else(|| Arc::new(arrow_schema::Schema::empty()), RecordBatch::schema);
    let no_next = matches!(attack, Attack::NoGetNext);
    let p = Box::new(Producer { schema, batches: batches.into_iter().rev().collect(), attack, last_error: None });
    let mut s = FFI_ArrowArrayStream::empty();
    s.get_schema = Some(get_schema);
    s.get_next = if no_next { None } else { Some(get_next) };
    s.get_last_error = Some(get_last_error);
    s.release = Some(release);
    s.private_data = Box::into_raw(p).cast();
    s
}

unsafe fn producer<'a>(s: *mut FFI_ArrowArrayStream) -> &'a mut Producer {
    unsafe { &mut *(*s).private_data.cast::<Producer>() }
}

/// A copy of a repr(C) struct's bytes (the struct itself stays with its owner).
unsafe fn copy_of<T>(x: *const T) -> Box<[u8]> {
    unsafe { std::slice::from_raw_parts(x.cast::<u8>(), size_of::<T>()) }.into()
}

unsafe extern "C" fn release_schema(s: *mut RawSchema) {
    let s = unsafe { &mut *s };
    if !s.private_data.is_null() {
        drop(unsafe { Box::from_raw(s.private_data.cast::<Held<FFI_ArrowSchema>>()) });
    }
    s.private_data = std::ptr::null_mut();
    s.release = None;
}

unsafe extern "C" fn release_array(a: *mut RawArray) {
    let a = unsafe { &mut *a };
    if !a.private_data.is_null() {
        drop(unsafe { Box::from_raw(a.private_data.cast::<Held<FFI_ArrowArray>>()) });
    }
    a.private_data = std::ptr::null_mut();
    a.release = None;
}

/// The children of a struct as pointers (NULL-padded to `at_least`), and copies of them.
unsafe fn children<T>(children: *mut *mut T, n: i64, at_least: usize) -> Vec<*mut c_void> {
    let n = usize::try_from(n).unwrap_or(0);
    let mut v: Vec<*mut c_void> = (0..n).map(|i| unsafe { *children.add(i) }.cast()).collect();
    v.resize(v.len().max(at_least), std::ptr::null_mut());
    v
}

unsafe extern "C" fn get_schema(s: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowSchema) -> i32 {
    let p = unsafe { producer(s) };
    if let Attack::SchemaFails(m) = &p.attack {
        p.last_error = m.as_ref().map(|m| CString::new(m.as_str()).unwrap_or_default());
        return 22;
    }
    let Ok(ffi) = FFI_ArrowSchema::try_from(p.schema.as_ref()) else { return 22 };
    let attack = p.attack.clone();
    let mut held = Box::new(Held {
        original: ffi,
        child_copies: Vec::new(),
        child_pointers: Vec::new(),
        buffer_pointers: Vec::new(),
        bytes: Vec::new(),
        offsets: Vec::new(),
    });
    let orig = std::ptr::from_ref(&held.original).cast::<RawSchema>();
    let mut top: RawSchema = unsafe { std::ptr::read(orig) };
    held.child_pointers = unsafe { children(top.children, top.n_children, 0) };
    match attack {
        Attack::Metadata(column, bytes) => {
            held.bytes = bytes;
            let ptr: *const c_char = held.bytes.as_ptr().cast();
            match column {
                None => top.metadata = ptr,
                Some(c) if c < held.child_pointers.len() => {
                    let mut copy = unsafe { copy_of(held.child_pointers[c].cast::<RawSchema>()) };
                    unsafe { (*copy.as_mut_ptr().cast::<RawSchema>()).metadata = ptr };
                    held.child_pointers[c] = copy.as_mut_ptr().cast();
                    held.child_copies.push(copy);
                }
                Some(_) => {}
            }
        }
        // More children than the pointer array holds is a memory lie unless past the
        // bound the consumer refuses before reading (100,000).
        Attack::SchemaChildren(n) => top.n_children = if (0..=100_000).contains(&n) { n.min(top.n_children) } else { n },
        Attack::NullSchemaChild(c) if c < held.child_pointers.len() => held.child_pointers[c] = std::ptr::null_mut(),
        Attack::NullFormat => top.format = std::ptr::null(),
        _ => {}
    }
    top.children = held.child_pointers.as_mut_ptr().cast();
    top.release = Some(release_schema);
    top.private_data = Box::into_raw(held).cast();
    unsafe { std::ptr::write(out.cast::<RawSchema>(), top) };
    0
}

unsafe extern "C" fn get_next(s: *mut FFI_ArrowArrayStream, out: *mut FFI_ArrowArray) -> i32 {
    let p = unsafe { producer(s) };
    if let Attack::NextFails(m) = &p.attack {
        p.last_error = m.as_ref().map(|m| CString::new(m.as_str()).unwrap_or_default());
        return 5;
    }
    let Some(batch) = p.batches.pop() else {
        unsafe { std::ptr::write(out, FFI_ArrowArray::empty()) };
        return 0;
    };
    let data = StructArray::from(batch).into_data();
    let attack = p.attack.clone();
    let mut held = Box::new(Held {
        original: FFI_ArrowArray::new(&data),
        child_copies: Vec::new(),
        child_pointers: Vec::new(),
        buffer_pointers: Vec::new(),
        bytes: Vec::new(),
        offsets: Vec::new(),
    });
    let orig = std::ptr::from_ref(&held.original).cast::<RawArray>();
    let mut top: RawArray = unsafe { std::ptr::read(orig) };
    held.child_pointers = unsafe { children(top.children, top.n_children, 0) };
    // A changed copy of column `c`, with `f` applied; its buffers copied when asked.
    let change = |held: &mut Held<FFI_ArrowArray>, c: usize, f: &mut dyn FnMut(&mut RawArray, &mut Held<FFI_ArrowArray>)| {
        if c >= held.child_pointers.len() || held.child_pointers[c].is_null() {
            return;
        }
        let mut copy = unsafe { copy_of(held.child_pointers[c].cast::<RawArray>()) };
        let raw = unsafe { &mut *copy.as_mut_ptr().cast::<RawArray>() };
        f(raw, held);
        held.child_pointers[c] = copy.as_mut_ptr().cast();
        held.child_copies.push(copy);
    };
    match attack {
        // Lengths and offsets only ever move inside the memory the arrays really have: a
        // producer that claims more rows than its buffers hold cannot be caught by any
        // consumer of the interface (docs/arrow.md), so that is not what is tested.
        Attack::Length(c, v) => change(&mut held, c, &mut |a, _| a.length = if v < 0 { v } else { v.min(a.length) }),
        Attack::Offset(c, v) => change(&mut held, c, &mut |a, _| {
            let end = a.offset + a.length;
            if v < 0 {
                a.offset = v;
            } else {
                a.offset = v.min(end);
                a.length = end - a.offset;
            }
        }),
        Attack::NullCount(c, v) => change(&mut held, c, &mut |a, _| a.null_count = v),
        Attack::Buffers(c, v) => change(&mut held, c, &mut |a, _| a.n_buffers = v.min(a.n_buffers)),
        Attack::Children(c, v) => change(&mut held, c, &mut |a, _| a.n_children = v.min(a.n_children)),
        Attack::NullBuffer(c, b) => change(&mut held, c, &mut |a, h| {
            let n = usize::try_from(a.n_buffers).unwrap_or(0);
            h.buffer_pointers = (0..n).map(|i| unsafe { *a.buffers.add(i) }).collect();
            if b < n {
                h.buffer_pointers[b] = std::ptr::null();
            }
            a.buffers = h.buffer_pointers.as_mut_ptr();
        }),
        // Only where buffer 1 holds i32 offsets.
        Attack::OffsetValue(c, i, v)
            if p.schema.fields().get(c).is_some_and(|f| {
                matches!(f.data_type(), arrow_schema::DataType::Utf8 | arrow_schema::DataType::Binary | arrow_schema::DataType::List(_))
            }) =>
        {
            change(&mut held, c, &mut |a, h| {
                let n = usize::try_from(a.n_buffers).unwrap_or(0);
                let rows = usize::try_from(a.length + a.offset + 1).unwrap_or(0);
                if n < 2 || i >= rows {
                    return;
                }
                h.buffer_pointers = (0..n).map(|k| unsafe { *a.buffers.add(k) }).collect();
                let old = h.buffer_pointers[1].cast::<i32>();
                h.offsets = (0..rows).map(|k| unsafe { std::ptr::read_unaligned(old.add(k)) }).collect();
                // The last offset is the length of the data: past the real data it is a memory
                // lie no consumer can catch, so it only moves down.
                h.offsets[i] = if i + 1 == rows { v.min(h.offsets[i]) } else { v };
                h.buffer_pointers[1] = h.offsets.as_ptr().cast();
                a.buffers = h.buffer_pointers.as_mut_ptr();
            })
        }
        Attack::ChildLength(c, v) => change(&mut held, c, &mut |a, h| {
            if a.n_children < 1 || a.children.is_null() {
                return;
            }
            let mut inner = unsafe { copy_of(*a.children) };
            // Only shorter than it is (a longer child is a memory lie; see Length).
            let child = unsafe { &mut *inner.as_mut_ptr().cast::<RawArray>() };
            child.length = if v < 0 { v } else { v.min(child.length) };
            h.bytes = Vec::new();
            // One child: a pointer array of one, kept with the copies.
            let mut ptrs: Box<[u8]> = vec![0u8; size_of::<*mut c_void>()].into_boxed_slice();
            unsafe { std::ptr::write_unaligned(ptrs.as_mut_ptr().cast::<*mut c_void>(), inner.as_mut_ptr().cast()) };
            a.children = ptrs.as_mut_ptr().cast();
            h.child_copies.push(inner);
            h.child_copies.push(ptrs);
        }),
        Attack::BatchChildren(n) => top.n_children = n.min(top.n_children),
        Attack::BatchLength(n) => top.length = n,
        _ => {}
    }
    top.children = held.child_pointers.as_mut_ptr().cast();
    top.release = Some(release_array);
    top.private_data = Box::into_raw(held).cast();
    unsafe { std::ptr::write(out.cast::<RawArray>(), top) };
    0
}

unsafe extern "C" fn get_last_error(s: *mut FFI_ArrowArrayStream) -> *const c_char {
    let p = unsafe { producer(s) };
    p.last_error.as_ref().map_or(std::ptr::null(), |m| m.as_ptr())
}

unsafe extern "C" fn release(s: *mut FFI_ArrowArrayStream) {
    let s = unsafe { &mut *s };
    if !s.private_data.is_null() {
        drop(unsafe { Box::from_raw(s.private_data.cast::<Producer>()) });
    }
    s.private_data = std::ptr::null_mut();
    s.release = None;
}

/// Metadata bytes in the interface's layout: `int32 n`, then lengths and bytes.
pub fn metadata(n: i32, pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = n.to_ne_bytes().to_vec();
    for (k, v) in pairs {
        for part in [k, v] {
            out.extend((part.len() as i32).to_ne_bytes());
            out.extend(part.iter());
        }
    }
    out
}

/// The columns of a small valid batch: name (utf8), registered_capital (utf8), tags
/// (list<utf8>), employees_2025 (int64).
pub fn sample_batch(rows: usize) -> RecordBatch {
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{ArrayRef, Int64Array, StringArray};
    let names: Vec<String> = (0..rows).map(|i| format!("企业{i}")).collect();
    let capital: Vec<String> = (0..rows).map(|i| format!("{}万元", 100 + i)).collect();
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        tags.values().append_value(if i % 2 == 0 { "科技型中小企业" } else { "专精特新" });
        tags.append(true);
    }
    let employees: Vec<i64> = (0..rows).map(|i| 10 + i as i64).collect();
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("name", Arc::new(StringArray::from(names))),
        ("registered_capital", Arc::new(StringArray::from(capital))),
        ("tags", Arc::new(tags.finish())),
        ("employees_2025", Arc::new(Int64Array::from(employees))),
    ];
    RecordBatch::try_from_iter(cols).unwrap_or_else(|_| RecordBatch::new_empty(Arc::new(arrow_schema::Schema::empty())))
}

/// Keeps `Array` in use for harnesses that only build batches.
pub fn rows(b: &RecordBatch) -> usize {
    b.columns().first().map_or(0, |c| c.len())
}
