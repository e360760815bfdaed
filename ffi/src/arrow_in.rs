//! Importing an Arrow C stream from a stranger.
//!
//! The Arrow C data interface hands over raw structs: counts, pointers and callbacks, none
//! of them checked by the producer's word. arrow-rs's importer trusts them (it asserts on
//! child counts, unwraps a NULL error message and builds arrays without validating them),
//! so this module reads the stream itself and checks everything that can be checked before
//! arrow-rs sees it:
//!
//! - the stream: its callbacks present, every result code honoured, a NULL error message
//!   accepted (a spec-compliant producer may give none);
//! - the schema: a struct at the top, nesting at most [`MAX_DEPTH`] deep, at most
//!   [`MAX_CHILDREN`] children, metadata bounded ([`MAX_METADATA_KEYS`] keys, lengths
//!   non-negative and bounded) before it is decoded, every column of a type the store reads;
//! - each array: lengths, offsets and null counts non-negative, the number of buffers and
//!   children that its type has, no NULL where a buffer or child must be, and the offsets
//!   of text and lists non-decreasing before the importer uses the last one as a length;
//! - after import, arrow's full validation (`ArrayData::validate_full`: offsets inside the
//!   data, UTF-8, dictionary keys, null counts) of every column before a cell is read.
//!
//! What cannot be checked is the memory itself: a buffer shorter than its array's length
//! claims cannot be detected by any consumer of the interface. Every failure is an error
//! naming the column (and the batch), and any panic left in arrow-rs is caught quietly
//! ([`huiqi_core::guard::quietly`]): nothing is printed on the host's stderr.

use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use arrow_array::ffi::{from_ffi_and_data_type, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchReader, StructArray};
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef};

use huiqi_core::guard::{panic_message, quietly};

/// Deepest nesting of types accepted (a list of structs of lists … counts one per level).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most children of one type (columns of the top-level struct included).
pub(crate) const MAX_CHILDREN: i64 = 100_000;
/// Most metadata keys of one field.
pub(crate) const MAX_METADATA_KEYS: i32 = 4_096;
/// Longest metadata key or value, and all of one field's metadata together.
pub(crate) const MAX_METADATA_BYTES: i64 = 16 << 20;

/// `struct ArrowSchema`, as the C data interface lays it out (the fields arrow-rs keeps
/// private), to check before arrow-rs reads it.
#[repr(C)]
struct RawSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut RawSchema,
    dictionary: *mut RawSchema,
    release: Option<unsafe extern "C" fn(*mut RawSchema)>,
    private_data: *mut c_void,
}

/// `struct ArrowArray`, as the C data interface lays it out.
#[repr(C)]
struct RawArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut RawArray,
    dictionary: *mut RawArray,
    release: Option<unsafe extern "C" fn(*mut RawArray)>,
    private_data: *mut c_void,
}

const _: () = assert!(size_of::<RawSchema>() == size_of::<FFI_ArrowSchema>());
const _: () = assert!(size_of::<RawArray>() == size_of::<FFI_ArrowArray>());

/// A record batch reader over an Arrow C stream that checks what it is given.
pub(crate) struct Imported {
    stream: FFI_ArrowArrayStream,
    get_next: unsafe extern "C" fn(*mut FFI_ArrowArrayStream, *mut FFI_ArrowArray) -> i32,
    schema: SchemaRef,
    batches: usize,
    rows: usize,
    ended: bool,
}

impl Imported {
    /// Takes the stream out of `raw` (leaving a released stream there) and reads its schema.
    ///
    /// # Safety
    /// `raw` is non-null and points to a `struct ArrowArrayStream` the caller hands over.
    pub(crate) unsafe fn from_raw(raw: *mut c_void) -> Result<Imported, String> {
        // SAFETY: the caller hands over a valid stream; `from_raw` moves it out.
        let mut stream = unsafe { FFI_ArrowArrayStream::from_raw(raw.cast()) };
        if stream.release.is_none() {
            return Err("the stream is released already (its release callback is NULL)".into());
        }
        let (Some(get_schema), Some(get_next)) = (stream.get_schema, stream.get_next) else {
            return Err("the stream's get_schema or get_next callback is NULL".into());
        };
        let mut ffi_schema = FFI_ArrowSchema::empty();
        // SAFETY: the callback is the producer's, called as the interface defines.
        let rc = unsafe { get_schema(&mut stream, &mut ffi_schema) };
        if rc != 0 {
            return Err(format!("get_schema failed (error {rc}): {}", last_error(&mut stream)));
        }
        // SAFETY: FFI_ArrowSchema is `struct ArrowSchema` (repr(C), same size: checked above).
        let raw_schema = unsafe { &*std::ptr::from_ref(&ffi_schema).cast::<RawSchema>() };
        if raw_schema.release.is_none() {
            return Err("get_schema returned a released schema".into());
        }
        // SAFETY: the schema was just produced; `check_schema` follows only its pointers.
        unsafe { check_schema(raw_schema, "the stream's schema", 0) }?;
        let schema = match quietly(|| Schema::try_from(&ffi_schema)) {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("the stream's schema cannot be read: {e}")),
            Err(p) => return Err(format!("the stream's schema cannot be read: {}", panic_message(&*p))),
        };
        for f in schema.fields() {
            check_type(f.data_type(), f.name(), 0)?;
        }
        Ok(Imported { stream, get_next, schema: Arc::new(schema), batches: 0, rows: 0, ended: false })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>, String> {
        let mut array = FFI_ArrowArray::empty();
        // SAFETY: the producer's callback, called as the interface defines.
        let rc = unsafe { (self.get_next)(&mut self.stream, &mut array) };
        if rc != 0 {
            return Err(format!("get_next failed (error {rc}): {}", last_error(&mut self.stream)));
        }
        if array.is_released() {
            return Ok(None);
        }
        let top = DataType::Struct(self.schema.fields().clone());
        {
            // SAFETY: FFI_ArrowArray is `struct ArrowArray` (repr(C), same size: checked).
            let raw = unsafe { &*std::ptr::from_ref(&array).cast::<RawArray>() };
            // SAFETY: the array was just produced; `check_array` follows only its pointers.
            unsafe { check_array(raw, &top, "the batch", 0) }?;
            // Each column by its name: the struct's children are the columns.
            if let DataType::Struct(fields) = &top {
                for (i, f) in fields.iter().enumerate() {
                    // SAFETY: checked by `check_array` above: `children` holds n non-null.
                    let child = unsafe { &**raw.children.add(i) };
                    let what = format!("column {:?}", f.name());
                    // SAFETY: as above.
                    unsafe { check_array(child, f.data_type(), &what, 1) }?;
                    if child.length < raw.length.saturating_add(raw.offset) {
                        return Err(format!("{what}: {} rows, but the batch has {}", child.length, raw.length.saturating_add(raw.offset)));
                    }
                }
            }
        }
        // SAFETY: the structure was checked against the type; the memory is the producer's.
        let data = match quietly(|| unsafe { from_ffi_and_data_type(array, top) }) {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => return Err(format!("the batch cannot be imported: {e}")),
            Err(p) => return Err(format!("the batch cannot be imported: {}", panic_message(&*p))),
        };
        for (f, child) in self.schema.fields().iter().zip(data.child_data()) {
            if let Err(e) = child.validate_full() {
                return Err(format!("column {:?}: {e}", f.name()));
            }
        }
        let batch = quietly(|| {
            let columns = StructArray::from(data).into_parts().1;
            RecordBatch::try_new(self.schema.clone(), columns)
        });
        match batch {
            Ok(Ok(b)) => {
                self.rows = self.rows.saturating_add(b.num_rows());
                Ok(Some(b))
            }
            Ok(Err(e)) => Err(format!("the batch does not match the schema: {e}")),
            Err(p) => Err(format!("the batch does not match the schema: {}", panic_message(&*p))),
        }
    }
}

impl Iterator for Imported {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let n = self.batches;
        self.batches = self.batches.saturating_add(1);
        match self.next_batch() {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => {
                self.ended = true;
                None
            }
            Err(e) => {
                self.ended = true;
                let at = self.rows;
                Some(Err(ArrowError::CDataInterface(format!("batch {n} (rows from {at}): {e}"))))
            }
        }
    }
}

impl RecordBatchReader for Imported {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The producer's last error message, or a note that it gave none.
fn last_error(stream: &mut FFI_ArrowArrayStream) -> String {
    let Some(f) = stream.get_last_error else { return "the producer gives no error message".into() };
    // SAFETY: the producer's callback; a NULL result is allowed by the interface.
    let p = unsafe { f(stream) };
    if p.is_null() {
        return "the producer gave no error message".into();
    }
    // SAFETY: a non-NULL result is a NUL-terminated string valid until the next call.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy();
    s.chars().take(2_000).collect()
}

/// Checks a schema's structure before arrow-rs decodes it.
///
/// # Safety
/// `s` and what it points to follow the C data interface (pointers valid where non-NULL).
unsafe fn check_schema(s: &RawSchema, what: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{what}: types nest more than {MAX_DEPTH} levels deep"));
    }
    if s.format.is_null() {
        return Err(format!("{what}: the format string is NULL"));
    }
    if !(0..=MAX_CHILDREN).contains(&s.n_children) {
        return Err(format!("{what}: {} children (at most {MAX_CHILDREN})", s.n_children));
    }
    if s.n_children > 0 && s.children.is_null() {
        return Err(format!("{what}: {} children but the children pointer is NULL", s.n_children));
    }
    // SAFETY: forwarded from the caller.
    unsafe { check_metadata(s.metadata, what) }?;
    for i in 0..usize::try_from(s.n_children).unwrap_or(0) {
        // SAFETY: `children` holds `n_children` pointers (checked non-NULL above).
        let c = unsafe { *s.children.add(i) };
        if c.is_null() {
            return Err(format!("{what}: child {i} is NULL"));
        }
        // SAFETY: a non-NULL child is a schema of the interface.
        let child = unsafe { &*c };
        let name = if child.name.is_null() {
            format!("{what}, child {i}")
        } else {
            // SAFETY: a non-NULL name is a NUL-terminated string.
            let n = unsafe { CStr::from_ptr(child.name) }.to_string_lossy().chars().take(200).collect::<String>();
            if depth == 0 {
                format!("column {n:?}")
            } else {
                format!("{what}.{n}")
            }
        };
        // SAFETY: as above.
        unsafe { check_schema(child, &name, depth + 1) }?;
    }
    if !s.dictionary.is_null() {
        // SAFETY: a non-NULL dictionary is a schema of the interface.
        unsafe { check_schema(&*s.dictionary, &format!("{what} (dictionary)"), depth + 1) }?;
    }
    Ok(())
}

/// Checks a field's metadata: `int32 n`, then `n` pairs of `int32 length, bytes`.
///
/// # Safety
/// `m` is NULL or points to metadata laid out as the interface defines.
unsafe fn check_metadata(m: *const c_char, what: &str) -> Result<(), String> {
    if m.is_null() {
        return Ok(());
    }
    let read_i32 = |at: usize| -> i32 {
        // SAFETY: within the metadata as its own counts describe it (checked as we go).
        unsafe { std::ptr::read_unaligned(m.add(at).cast::<i32>()) }
    };
    let n = read_i32(0);
    if !(0..=MAX_METADATA_KEYS).contains(&n) {
        return Err(format!("{what}: the metadata claims {n} keys (at most {MAX_METADATA_KEYS})"));
    }
    let mut at: usize = 4;
    let mut total: i64 = 0;
    for _ in 0..n {
        for part in ["key", "value"] {
            let len = read_i32(at);
            total = total.saturating_add(i64::from(len));
            if len < 0 || total > MAX_METADATA_BYTES {
                return Err(format!("{what}: a metadata {part} claims {len} bytes (at most {MAX_METADATA_BYTES} in all)"));
            }
            at = at.saturating_add(4).saturating_add(usize::try_from(len).unwrap_or(0));
        }
    }
    Ok(())
}

/// The types a store reads (docs/arrow.md); the others are refused before import.
fn check_type(t: &DataType, column: &str, depth: usize) -> Result<(), String> {
    use DataType as D;
    if depth > MAX_DEPTH {
        return Err(format!("column {column:?}: types nest more than {MAX_DEPTH} levels deep"));
    }
    match t {
        D::Null
        | D::Boolean
        | D::Int8
        | D::Int16
        | D::Int32
        | D::Int64
        | D::UInt8
        | D::UInt16
        | D::UInt32
        | D::UInt64
        | D::Float16
        | D::Float32
        | D::Float64
        | D::Decimal128(_, _)
        | D::Date32
        | D::Date64
        | D::Timestamp(_, _)
        | D::Utf8
        | D::LargeUtf8
        | D::Utf8View
        | D::Binary
        | D::LargeBinary
        | D::BinaryView
        | D::FixedSizeBinary(_) => Ok(()),
        D::List(f) | D::LargeList(f) | D::FixedSizeList(f, _) | D::ListView(f) | D::LargeListView(f) | D::Map(f, _) => {
            check_type(f.data_type(), column, depth + 1)
        }
        D::Struct(fields) => fields.iter().try_for_each(|f| check_type(f.data_type(), column, depth + 1)),
        D::Dictionary(k, v) => {
            check_type(k, column, depth + 1)?;
            check_type(v, column, depth + 1)
        }
        D::Time32(_)
        | D::Time64(_)
        | D::Duration(_)
        | D::Interval(_)
        | D::Decimal32(_, _)
        | D::Decimal64(_, _)
        | D::Decimal256(_, _)
        | D::Union(_, _)
        | D::RunEndEncoded(_, _) => Err(format!("column {column:?}: Arrow type {t} is not read (docs/arrow.md lists the types)")),
    }
}

/// The children a type has in the C data interface.
fn children_of(t: &DataType) -> Vec<&DataType> {
    use DataType as D;
    match t {
        D::List(f) | D::LargeList(f) | D::FixedSizeList(f, _) | D::ListView(f) | D::LargeListView(f) | D::Map(f, _) => vec![f.data_type()],
        D::Struct(fields) => fields.iter().map(|f| f.data_type()).collect(),
        _ => Vec::new(),
    }
}

/// Checks an array's structure against its type before arrow-rs imports it.
///
/// # Safety
/// `a` and what it points to follow the C data interface (pointers valid where non-NULL).
unsafe fn check_array(a: &RawArray, t: &DataType, what: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{what}: arrays nest more than {MAX_DEPTH} levels deep"));
    }
    if a.length < 0 || a.offset < 0 || a.null_count < -1 || a.length.checked_add(a.offset).is_none() {
        return Err(format!("{what}: length {}, offset {} and null count {} must not be negative", a.length, a.offset, a.null_count));
    }
    if a.null_count > a.length {
        return Err(format!("{what}: null count {} is more than the length {}", a.null_count, a.length));
    }
    let layout = arrow_data::layout(t);
    let fixed = layout.buffers.len() + usize::from(layout.can_contain_null_mask);
    let n_buffers = usize::try_from(a.n_buffers).map_err(|_| format!("{what}: {} buffers", a.n_buffers))?;
    // View types add their data buffers and a buffer of their lengths.
    let buffers_ok = if layout.variadic { n_buffers > fixed } else { n_buffers == fixed };
    if !buffers_ok || n_buffers > 1 << 16 {
        return Err(format!("{what}: {n_buffers} buffers, but its type {t} has {fixed}{}", if layout.variadic { " and more" } else { "" }));
    }
    if n_buffers > 0 && a.buffers.is_null() {
        return Err(format!("{what}: {n_buffers} buffers but the buffers pointer is NULL"));
    }
    // A buffer may be NULL only where it holds no bytes: fixed-width values, bitmaps,
    // offsets and views always do once there are rows; the data of text and the variadic
    // buffers of views only when their offsets or lengths say so (`check_offsets`,
    // `check_variadic`).
    let first_needed = usize::from(layout.can_contain_null_mask);
    if a.length > 0 && !matches!(t, DataType::Null) {
        for (k, spec) in layout.buffers.iter().enumerate() {
            let i = first_needed + k;
            let needed = matches!(spec, arrow_data::BufferSpec::FixedWidth { .. } | arrow_data::BufferSpec::BitMap);
            // SAFETY: `buffers` holds `n_buffers` pointers (checked non-NULL above), and
            // `i < fixed <= n_buffers`.
            if needed && i < n_buffers && unsafe { *a.buffers.add(i) }.is_null() {
                return Err(format!("{what}: buffer {i} is NULL though the array has {} rows", a.length));
            }
        }
    }
    if layout.variadic {
        // SAFETY: forwarded; `n_buffers > fixed` was checked for variadic layouts.
        unsafe { check_variadic(a, fixed, n_buffers, what) }?;
    }
    if a.null_count != 0 && a.length > 0 && layout.can_contain_null_mask && !matches!(t, DataType::Null) {
        // SAFETY: as above; buffer 0 is the validity bitmap.
        if unsafe { *a.buffers }.is_null() {
            return Err(format!("{what}: null count {} but no validity bitmap", a.null_count));
        }
    }
    // SAFETY: forwarded.
    unsafe { check_offsets(a, t, what) }?;
    let kids = children_of(t);
    let n_children = usize::try_from(a.n_children).map_err(|_| format!("{what}: {} children", a.n_children))?;
    if n_children != kids.len() {
        return Err(format!("{what}: {n_children} children, but its type {t} has {}", kids.len()));
    }
    if n_children > 0 && a.children.is_null() {
        return Err(format!("{what}: {n_children} children but the children pointer is NULL"));
    }
    for (i, kt) in kids.into_iter().enumerate() {
        // SAFETY: `children` holds `n_children` pointers (checked non-NULL above).
        let c = unsafe { *a.children.add(i) };
        if c.is_null() {
            return Err(format!("{what}: child {i} is NULL"));
        }
        // Columns (the top-level struct's children) are checked by the caller, by name.
        if depth > 0 || !matches!(t, DataType::Struct(_)) {
            // SAFETY: a non-NULL child is an array of the interface.
            unsafe { check_array(&*c, kt, &format!("{what}, child {i}"), depth + 1) }?;
        }
    }
    match (t, a.dictionary.is_null()) {
        (DataType::Dictionary(_, v), false) => {
            // SAFETY: a non-NULL dictionary is an array of the interface.
            unsafe { check_array(&*a.dictionary, v, &format!("{what} (dictionary)"), depth + 1) }
        }
        (DataType::Dictionary(_, _), true) => Err(format!("{what}: a dictionary-encoded array without its dictionary")),
        (_, false) => Err(format!("{what}: a dictionary given for type {t}")),
        (_, true) => Ok(()),
    }
}

/// The data buffers of a view array (after the fixed buffers, before the last, which holds
/// their lengths as i64): NULL only where the length is 0.
///
/// # Safety
/// As [`check_array`], with `fixed < n_buffers` checked.
unsafe fn check_variadic(a: &RawArray, fixed: usize, n_buffers: usize, what: &str) -> Result<(), String> {
    let data = n_buffers.saturating_sub(fixed + 1);
    if data == 0 {
        return Ok(());
    }
    // SAFETY: `buffers` holds `n_buffers` pointers; the last is the lengths buffer.
    let lengths = unsafe { *a.buffers.add(n_buffers - 1) }.cast::<i64>();
    if lengths.is_null() {
        return Err(format!("{what}: {data} data buffers but the buffer of their lengths is NULL"));
    }
    for k in 0..data {
        // SAFETY: the lengths buffer holds one i64 per data buffer (the interface).
        let len = unsafe { std::ptr::read_unaligned(lengths.add(k)) };
        if len < 0 {
            return Err(format!("{what}: data buffer {k} claims {len} bytes"));
        }
        // SAFETY: `fixed + k < n_buffers - 1`.
        if len > 0 && unsafe { *a.buffers.add(fixed + k) }.is_null() {
            return Err(format!("{what}: data buffer {k} is NULL though it holds {len} bytes"));
        }
    }
    Ok(())
}

/// The offsets of text, binary and list arrays: non-decreasing from a non-negative first,
/// before the importer takes the last one as the length of the data.
///
/// # Safety
/// As [`check_array`], with the buffer count already checked.
unsafe fn check_offsets(a: &RawArray, t: &DataType, what: &str) -> Result<(), String> {
    use DataType as D;
    let wide = match t {
        D::Utf8 | D::Binary | D::List(_) | D::Map(_, _) => false,
        D::LargeUtf8 | D::LargeBinary | D::LargeList(_) => true,
        _ => return Ok(()),
    };
    if a.length == 0 && a.offset == 0 {
        return Ok(());
    }
    // SAFETY: these types have buffers [validity, offsets, …]; checked non-NULL when length > 0.
    let p = unsafe { *a.buffers.add(1) };
    if p.is_null() {
        return Err(format!("{what}: the offsets buffer is NULL"));
    }
    let (from, to) = (usize::try_from(a.offset).unwrap_or(0), usize::try_from(a.offset.saturating_add(a.length)).unwrap_or(0));
    let at = |i: usize| -> i64 {
        // SAFETY: an offsets buffer holds offset + length + 1 entries (the interface).
        unsafe {
            if wide {
                std::ptr::read_unaligned(p.cast::<i64>().add(i))
            } else {
                i64::from(std::ptr::read_unaligned(p.cast::<i32>().add(i)))
            }
        }
    };
    let mut prev = at(from);
    if prev < 0 {
        return Err(format!("{what}: offset {prev} at row 0 is negative"));
    }
    for i in from + 1..=to {
        let o = at(i);
        if o < prev {
            return Err(format!("{what}: offsets decrease at row {} ({prev} then {o})", i - from - 1));
        }
        prev = o;
    }
    // Text and binary: the data buffer may be NULL only when the rows hold no bytes.
    let text = matches!(t, D::Utf8 | D::Binary | D::LargeUtf8 | D::LargeBinary);
    // SAFETY: these types have buffers [validity, offsets, data] (count checked).
    if text && prev > at(from) && unsafe { *a.buffers.add(2) }.is_null() {
        return Err(format!("{what}: the data buffer is NULL though the offsets say it holds {} bytes", prev - at(from)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_layouts_match_arrow_rs() {
        assert_eq!(size_of::<RawSchema>(), 72);
        assert_eq!(size_of::<RawArray>(), 80);
    }
}
