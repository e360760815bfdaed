//! The saved store: a versioned binary file with a header and a checksum.
//!
//! ```text
//! magic "HUIQISTR" | version u32 | payload length u64 | CRC-32 of payload u32 | payload
//! ```
//!
//! Every read is bounds-checked and every length is validated against the row count, so
//! a truncated or corrupted file is an error naming what is wrong, never a wrong answer.

use std::collections::BTreeMap;
use std::io::Write;

use roaring::RoaringBitmap;
use rust_decimal::Decimal;

use super::quals::Packed;
use super::{Column, EnterpriseStore, Nums, QualRows, Scalars, StoreError, Strings, Values};
use crate::date::Date;
use crate::profile::Qualification;
use crate::schema::Schema;

pub(super) const MAGIC: &[u8; 8] = b"HUIQISTR";
/// Version written. Version 2 added compact decimal columns (value kind 7), version 3
/// qualifications of unknown status (status byte 3); older files are still read.
const VERSION: u32 = 4;
const OLDEST: u32 = 1;

/// Why a store file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreFileError {
    #[error("not a Huiqi store file (bad magic bytes)")]
    Magic,
    #[error("store file version {0} is not supported (this build reads versions {OLDEST} to {VERSION})")]
    Version(u32),
    #[error("store file is truncated: {0}")]
    Truncated(String),
    #[error("store file is corrupted: checksum mismatch (expected {expected:08x}, computed {computed:08x})")]
    Checksum { expected: u32, computed: u32 },
    #[error("store file is corrupted: {0}")]
    Corrupt(String),
    #[error("store file was built with another schema: {0}")]
    Schema(String),
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn bitmap(&mut self, b: &RoaringBitmap) {
        let mut buf = Vec::with_capacity(b.serialized_size());
        // Writing into a Vec cannot fail.
        if b.serialize_into(&mut buf).is_ok() {
            self.len(buf.len());
            self.0.extend_from_slice(&buf);
        } else {
            self.len(0);
        }
    }
    /// Compact decimals: all mantissas as i64, then all scales as u8 (9 bytes a value).
    fn compact(&mut self, m: &[i64], sc: &[u8]) {
        self.u8(7);
        self.len(m.len());
        m.iter().for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
        self.0.extend_from_slice(sc);
    }
    fn scalars(&mut self, s: &Scalars) {
        self.bitmap(&s.known);
        match &s.values {
            Values::Bool(t) => {
                self.u8(1);
                self.bitmap(t);
            }
            Values::Num(Nums::Compact { mantissas, scales }) => self.compact(mantissas, scales),
            Values::Num(Nums::Full(v)) => match Nums::parts(v) {
                Some((m, sc)) => self.compact(&m, &sc),
                None => {
                    self.u8(2);
                    self.len(v.len());
                    for d in v {
                        self.0.extend_from_slice(&d.serialize());
                    }
                }
            },
            Values::Date(v) => {
                self.u8(3);
                self.len(v.len());
                v.iter().for_each(|d| self.i32(*d));
            }
            Values::Enum(v) => {
                self.u8(4);
                self.len(v.len());
                v.iter().for_each(|e| self.u32(*e));
            }
            Values::Code { dict, ids } => {
                self.u8(5);
                self.len(dict.len());
                dict.iter().for_each(|c| self.str(c));
                self.len(ids.len());
                ids.iter().for_each(|i| self.u32(*i));
            }
            Values::Text(v) => {
                self.u8(6);
                self.len(v.len());
                v.iter().for_each(|t| self.str(t));
            }
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], StoreFileError> {
        let end = self.pos.checked_add(n).ok_or_else(|| StoreFileError::Corrupt(format!("{what}: length overflow")))?;
        let s = self.buf.get(self.pos..end).ok_or_else(|| StoreFileError::Truncated(format!("{what} ends past the end of the data")))?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, StoreFileError> {
        Ok(self.take(1, what)?.first().copied().unwrap_or(0))
    }
    fn u32(&mut self, what: &str) -> Result<u32, StoreFileError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes(b.try_into().map_err(|_| StoreFileError::Truncated(what.into()))?))
    }
    fn i32(&mut self, what: &str) -> Result<i32, StoreFileError> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes(b.try_into().map_err(|_| StoreFileError::Truncated(what.into()))?))
    }
    /// `n` fixed-size little-endian items read in one bounds check (a column's values
    /// are one contiguous array).
    fn array<T, const N: usize>(&mut self, n: usize, what: &str, f: impl Fn([u8; N]) -> T) -> Result<Vec<T>, StoreFileError> {
        let len = n.checked_mul(N).ok_or_else(|| StoreFileError::Corrupt(format!("{what}: length overflow")))?;
        let b = self.take(len, what)?;
        Ok(b.chunks_exact(N).map(|c| f(<[u8; N]>::try_from(c).unwrap_or([0; N]))).collect())
    }
    /// A count that must fit in what remains (each item at least `min_item` bytes).
    fn count(&mut self, what: &str, min_item: usize) -> Result<usize, StoreFileError> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_item) > self.buf.len().saturating_sub(self.pos) {
            return Err(StoreFileError::Truncated(format!("{what}: {n} items do not fit in the file")));
        }
        Ok(n)
    }
    /// `n` length-prefixed strings, packed into one buffer (no allocation per string).
    fn strings(&mut self, n: usize, what: &str) -> Result<Strings, StoreFileError> {
        let mut out = Strings::default();
        out.ends.reserve(n);
        for _ in 0..n {
            let len = self.count(what, 1)?;
            let b = self.take(len, what)?;
            out.push(std::str::from_utf8(b).map_err(|_| StoreFileError::Corrupt(format!("{what}: not UTF-8")))?);
        }
        Ok(out)
    }
    fn str(&mut self, what: &str) -> Result<String, StoreFileError> {
        let n = self.count(what, 1)?;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| StoreFileError::Corrupt(format!("{what}: not UTF-8")))
    }
    fn bitmap(&mut self, what: &str, rows: u32) -> Result<RoaringBitmap, StoreFileError> {
        let n = self.count(what, 1)?;
        let b = self.take(n, what)?;
        let bm = RoaringBitmap::deserialize_from(b).map_err(|e| StoreFileError::Corrupt(format!("{what}: {e}")))?;
        if bm.max().is_some_and(|m| m >= rows) {
            return Err(StoreFileError::Corrupt(format!("{what}: refers to enterprise {} of {rows}", bm.max().unwrap_or(0))));
        }
        Ok(bm)
    }
    fn scalars(&mut self, what: &str, rows: u32) -> Result<Scalars, StoreFileError> {
        let known = self.bitmap(what, rows)?;
        let tag = self.u8(what)?;
        let check = |n: usize| -> Result<(), StoreFileError> {
            if n == rows as usize {
                Ok(())
            } else {
                Err(StoreFileError::Corrupt(format!("{what}: {n} values for {rows} enterprises")))
            }
        };
        let values = match tag {
            1 => Values::Bool(self.bitmap(what, rows)?),
            2 => {
                let n = self.count(what, 16)?;
                check(n)?;
                Values::Num(Nums::from_decimals(self.array(n, what, Decimal::deserialize)?))
            }
            7 => {
                let n = self.count(what, 9)?;
                check(n)?;
                let m = self.array(n, what, i64::from_le_bytes)?;
                let sc = self.take(n, what)?.to_vec();
                if let Some(bad) = sc.iter().find(|s| u32::from(**s) > Decimal::MAX_SCALE) {
                    return Err(StoreFileError::Corrupt(format!("{what}: decimal scale {bad} out of range")));
                }
                Values::Num(Nums::from_parts(m, sc).ok_or_else(|| StoreFileError::Corrupt(format!("{what}: bad decimals")))?)
            }
            3 => {
                let n = self.count(what, 4)?;
                check(n)?;
                Values::Date(self.array(n, what, i32::from_le_bytes)?)
            }
            4 => {
                let n = self.count(what, 4)?;
                check(n)?;
                Values::Enum(self.array(n, what, u32::from_le_bytes)?)
            }
            5 => {
                let d = self.count(what, 4)?;
                let dict: Vec<String> = (0..d).map(|_| self.str(what)).collect::<Result<_, _>>()?;
                let n = self.count(what, 4)?;
                check(n)?;
                let ids: Vec<u32> = self.array(n, what, u32::from_le_bytes)?;
                if ids.iter().any(|i| *i as usize >= dict.len().max(1)) {
                    return Err(StoreFileError::Corrupt(format!("{what}: code id out of range")));
                }
                Values::Code { dict, ids }
            }
            6 => {
                let n = self.count(what, 4)?;
                check(n)?;
                Values::Text(self.strings(n, what)?)
            }
            t => return Err(StoreFileError::Corrupt(format!("{what}: unknown value kind {t}"))),
        };
        Ok(Scalars { known, values })
    }
}

fn opt_date(w: &mut Writer, d: Option<Date>) {
    match d {
        Some(d) => {
            w.u8(1);
            w.i32(d.day_number());
        }
        None => w.u8(0),
    }
}

impl EnterpriseStore {
    /// Serialises the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.str(&self.schema_version);
        w.len(self.fields.len());
        self.fields.iter().for_each(|f| w.str(f));
        w.u32(self.rows);
        self.ids.iter().for_each(|i| w.str(i));
        for c in &self.columns {
            match c {
                Column::Scalar(s) => {
                    w.u8(1);
                    w.scalars(s);
                }
                Column::Yearly(m) => {
                    w.u8(2);
                    w.len(m.len());
                    for (y, s) in m {
                        w.i32(*y);
                        w.scalars(s);
                    }
                }
                Column::Tags { known, tags } => {
                    w.u8(3);
                    w.bitmap(known);
                    w.len(tags.len());
                    for (t, b) in tags {
                        w.str(t);
                        w.bitmap(b);
                    }
                }
                Column::Quals { known, rows } => {
                    w.u8(4);
                    w.bitmap(known);
                    w.len(rows.len());
                    for r in (0..rows.len()).map(|i| rows.get(i)) {
                        w.len(r.len());
                        for q in r.iter().map(Packed::unpack) {
                            w.len(q.qual);
                            match q.level {
                                Some(l) => {
                                    w.u8(1);
                                    w.u32(l);
                                }
                                None => w.u8(0),
                            }
                            opt_date(&mut w, q.granted_on);
                            opt_date(&mut w, q.expires_on);
                            w.u8(match (q.unknown, q.first_grant) {
                                (true, _) => 3,
                                (_, None) => 0,
                                (_, Some(false)) => 1,
                                (_, Some(true)) => 2,
                            });
                        }
                    }
                }
                Column::Records { known, ends, fields } => {
                    w.u8(5);
                    w.bitmap(known);
                    w.len(ends.len());
                    ends.iter().for_each(|e| w.u32(*e));
                    w.len(fields.len());
                    fields.iter().for_each(|c| w.scalars(c));
                }
            }
        }
        let payload = w.0;
        let mut out = Vec::with_capacity(payload.len() + 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Writes the store to a file.
    /// Atomically: a failed or killed write leaves the previous file as it was.
    pub fn write_file(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let mut f = crate::files::AtomicFile::create(path)?;
        f.write_all(&self.to_bytes())?;
        f.commit()?;
        Ok(())
    }

    /// Reads a store file, checking it against `schema`.
    pub fn read_file(path: &std::path::Path, schema: &Schema) -> Result<EnterpriseStore, StoreError> {
        let bytes = std::fs::read(path)?;
        Ok(EnterpriseStore::from_bytes(&bytes, schema)?)
    }

    /// Deserialises a store, checking header, checksum, lengths and schema.
    pub fn from_bytes(bytes: &[u8], schema: &Schema) -> Result<EnterpriseStore, StoreFileError> {
        let mut h = Reader { buf: bytes, pos: 0 };
        match crate::files::tag(bytes.get(..8).unwrap_or(bytes), MAGIC) {
            crate::files::Tag::Exact => h.pos = 8,
            crate::files::Tag::Damaged => return Err(StoreFileError::Corrupt("the header tag is damaged (not HUIQISTR)".into())),
            crate::files::Tag::Short => return Err(StoreFileError::Truncated(format!("{} bytes, less than a header", bytes.len()))),
            crate::files::Tag::Other if bytes.starts_with(b"HUIQISET") => {
                return Err(StoreFileError::Corrupt("this is a saved policy set (huiqi compile), not an enterprise store".into()))
            }
            crate::files::Tag::Other => return Err(StoreFileError::Magic),
        }
        let version = h.u32("header")?;
        if !(OLDEST..=VERSION).contains(&version) {
            return Err(StoreFileError::Version(version));
        }
        let len_bytes: [u8; 8] = h.take(8, "header")?.try_into().map_err(|_| StoreFileError::Truncated("header".into()))?;
        let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| StoreFileError::Corrupt("payload length".into()))?;
        let expected = h.u32("header")?;
        let payload = h.take(len, "payload").map_err(|_| {
            StoreFileError::Truncated(format!("the header announces {len} bytes of data, {} are present", bytes.len().saturating_sub(24)))
        })?;
        if h.pos != bytes.len() {
            return Err(StoreFileError::Corrupt(format!("{} bytes follow the end of the data", bytes.len() - h.pos)));
        }
        let computed = crc32fast::hash(payload);
        if computed != expected {
            return Err(StoreFileError::Checksum { expected, computed });
        }
        let mut r = Reader { buf: payload, pos: 0 };
        let schema_version = r.str("schema version")?;
        let nf = r.count("fields", 4)?;
        let fields: Vec<String> = (0..nf).map(|_| r.str("field name")).collect::<Result<_, _>>()?;
        let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        if fields.iter().map(String::as_str).collect::<Vec<_>>() != names {
            return Err(StoreFileError::Schema(format!(
                "the file has {} fields (schema version {schema_version}), this schema has {}",
                fields.len(),
                names.len()
            )));
        }
        // A count checked against the bytes left (each id takes at least its 4-byte length)
        // before anything is reserved for it.
        let rows = r.count("row count", 4)?;
        let ids = r.strings(rows, "enterprise id")?;
        let rows = u32::try_from(rows).map_err(|_| StoreFileError::Corrupt("row count".into()))?;
        let mut columns = Vec::with_capacity(nf);
        for field in &fields {
            let what = format!("column {field}");
            let col = match r.u8(&what)? {
                1 => Column::Scalar(r.scalars(&what, rows)?),
                2 => {
                    let n = r.count(&what, 8)?;
                    let mut m = BTreeMap::new();
                    for _ in 0..n {
                        let y = r.i32(&what)?;
                        m.insert(y, r.scalars(&what, rows)?);
                    }
                    Column::Yearly(m)
                }
                3 => {
                    let known = r.bitmap(&what, rows)?;
                    let n = r.count(&what, 8)?;
                    let mut tags = BTreeMap::new();
                    for _ in 0..n {
                        let t = r.str(&what)?;
                        tags.insert(t, r.bitmap(&what, rows)?);
                    }
                    Column::Tags { known, tags }
                }
                4 => {
                    let known = r.bitmap(&what, rows)?;
                    let n = r.count(&what, 4)?;
                    if n != rows as usize {
                        return Err(StoreFileError::Corrupt(format!("{what}: {n} rows for {rows} enterprises")));
                    }
                    let mut out = QualRows::default();
                    let mut list = Vec::new();
                    for _ in 0..n {
                        let k = r.count(&what, 7)?;
                        list.clear();
                        for _ in 0..k {
                            let qual = r.u32(&what)? as usize;
                            if qual >= schema.qualifications.len() {
                                return Err(StoreFileError::Corrupt(format!("{what}: qualification {qual} out of range")));
                            }
                            let level = if r.u8(&what)? == 1 { Some(r.u32(&what)?) } else { None };
                            let granted_on = if r.u8(&what)? == 1 { Some(Date::from_day_number(r.i32(&what)?)) } else { None };
                            let expires_on = if r.u8(&what)? == 1 { Some(Date::from_day_number(r.i32(&what)?)) } else { None };
                            let status = r.u8(&what)?;
                            let first_grant = match status {
                                0 | 3 => None,
                                1 => Some(false),
                                _ => Some(true),
                            };
                            // Status byte 3 (unknown status) is written from version 3 on.
                            let unknown = status == 3 && version >= 3;
                            let q = Qualification { qual, level, granted_on, expires_on, first_grant, unknown };
                            list.push(Packed::new(&q).map_err(|e| StoreFileError::Corrupt(format!("{what}: {e}")))?);
                        }
                        out.push(&list);
                    }
                    Column::Quals { known, rows: out }
                }
                5 => {
                    let known = r.bitmap(&what, rows)?;
                    let n = r.count(&what, 4)?;
                    if n != rows as usize {
                        return Err(StoreFileError::Corrupt(format!("{what}: {n} rows for {rows} enterprises")));
                    }
                    let ends = r.array(n, &what, u32::from_le_bytes)?;
                    if ends.windows(2).any(|w| w.first() > w.get(1)) {
                        return Err(StoreFileError::Corrupt(format!("{what}: record offsets go backwards")));
                    }
                    let total = ends.last().copied().unwrap_or(0);
                    let want =
                        schema.fields.iter().find(|f| &f.name == field).and_then(|f| schema.record_def(f.id)).map(|d| d.fields.len());
                    let k = r.count(&what, 5)?;
                    if want != Some(k) {
                        return Err(StoreFileError::Schema(format!("{what}: {k} record fields, the schema has {want:?}")));
                    }
                    let fields = (0..k).map(|_| r.scalars(&what, total)).collect::<Result<Vec<_>, _>>()?;
                    Column::Records { known, ends, fields }
                }
                t => return Err(StoreFileError::Corrupt(format!("{what}: unknown column kind {t}"))),
            };
            columns.push(col);
        }
        if r.pos != payload.len() {
            return Err(StoreFileError::Corrupt(format!("{} unexpected bytes after the last column", payload.len() - r.pos)));
        }
        Ok(EnterpriseStore { schema_version, fields, rows, ids, columns })
    }
}
