//! A compact binary form of the syntax tree, for saved policy sets ([`crate::saved`]).
//!
//! Pre-order: each node is a tag byte, its span (two LEB128 varints) and its fields in
//! declaration order; strings are a varint length and UTF-8 bytes; signed numbers are
//! zigzag varints; dates are `YYYY-MM-DD` text. Reading it back costs a fraction of lexing
//! and parsing the text (no tokens, no precedence climbing, one allocation per node), which
//! is what a saved set is for. It is an internal format: a saved set carries a version,
//! and this layout changes with it. Decoding checks every byte (truncation, bad tags,
//! invalid UTF-8, nesting deeper than [`MAX_DEPTH`]) and never panics.

use super::ast::{BandRow, BinOp, CmpOp, ContainsMode, Expr, ExprKind, LitUnit, Period, Span};
use crate::date::{Date, Duration};

/// Deepest tree the decoder accepts: the one limit every tree is held to, so a set that
/// compiles also loads.
pub const MAX_DEPTH: usize = super::ast::MAX_TREE_DEPTH;

/// A byte string that is not a tree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad syntax tree at byte {offset}: {message}")]
pub struct DecodeError {
    pub offset: usize,
    pub message: String,
}

const LIT_UNITS: [LitUnit; 9] = LitUnit::ALL;
const BIN_OPS: [BinOp; 6] = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::And, BinOp::Or];
const CMP_OPS: [CmpOp; 6] = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
const CONTAINS: [ContainsMode; 3] = [ContainsMode::One, ContainsMode::Any, ContainsMode::All];

fn position<T: PartialEq>(all: &[T], x: &T) -> u8 {
    all.iter().position(|y| y == x).and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
}

/// Appends `n` as a LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_signed(out: &mut Vec<u8>, n: i64) {
    put_varint(out, ((n << 1) ^ (n >> 63)) as u64);
}

/// Appends a string as its length and bytes.
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_period(out: &mut Vec<u8>, p: Period) {
    match p {
        Period::Fy(k) => {
            out.push(0);
            put_varint(out, u64::from(k));
        }
        Period::Year(y) => {
            out.push(1);
            put_signed(out, i64::from(y));
        }
    }
}

fn put_all(out: &mut Vec<u8>, items: &[Expr]) {
    put_varint(out, items.len() as u64);
    for x in items {
        encode(x, out);
    }
}

/// Appends the binary form of `e`.
pub fn encode(e: &Expr, out: &mut Vec<u8>) {
    use ExprKind as K;
    let tag: u8 = match &e.kind {
        K::Bool { .. } => 0,
        K::Number { .. } => 1,
        K::Date { .. } => 2,
        K::Duration { .. } => 3,
        K::Text { .. } => 4,
        K::Regex { .. } => 5,
        K::AsOf => 6,
        K::FiscalYear { .. } => 7,
        K::Name { .. } => 8,
        K::At { .. } => 9,
        K::YearRange { .. } => 10,
        K::Neg { .. } => 11,
        K::Not { .. } => 12,
        K::Binary { .. } => 13,
        K::Compare { .. } => 14,
        K::Between { .. } => 15,
        K::In { .. } => 16,
        K::Under { .. } => 17,
        K::Contains { .. } => 18,
        K::Matches { .. } => 19,
        K::If { .. } => 20,
        K::Call { .. } => 21,
        K::List { .. } => 22,
        K::Band { .. } => 23,
    };
    out.push(tag);
    put_varint(out, u64::from(e.span.start));
    put_varint(out, u64::from(e.span.end));
    match &e.kind {
        K::Bool { value } => out.push(u8::from(*value)),
        K::Number { value, unit } => {
            put_str(out, value);
            out.push(position(&LIT_UNITS, unit));
        }
        K::Date { value } => put_str(out, &value.to_string()),
        K::Duration { value } => {
            let (k, n) = match value {
                Duration::Years(n) => (0, *n),
                Duration::Months(n) => (1, *n),
                Duration::Days(n) => (2, *n),
            };
            out.push(k);
            put_signed(out, n);
        }
        K::Text { value } => put_str(out, value),
        K::Regex { pattern } => put_str(out, pattern),
        K::AsOf => {}
        K::FiscalYear { k } => put_varint(out, u64::from(*k)),
        K::Name { name } => put_str(out, name),
        K::At { expr, period, to } => {
            encode(expr, out);
            put_period(out, *period);
            match to {
                None => out.push(0),
                Some(p) => {
                    out.push(1);
                    put_period(out, *p);
                }
            }
        }
        K::YearRange { from, to } => {
            put_period(out, *from);
            put_period(out, *to);
        }
        K::Neg { expr } | K::Not { expr } => encode(expr, out),
        K::Binary { op, lhs, rhs } => {
            out.push(position(&BIN_OPS, op));
            encode(lhs, out);
            encode(rhs, out);
        }
        K::Compare { op, lhs, rhs } => {
            out.push(position(&CMP_OPS, op));
            encode(lhs, out);
            encode(rhs, out);
        }
        K::Between { expr, low, high, low_inclusive, high_inclusive } => {
            encode(expr, out);
            encode(low, out);
            encode(high, out);
            out.push(u8::from(*low_inclusive) | (u8::from(*high_inclusive) << 1));
        }
        K::In { expr, items, negated } => {
            encode(expr, out);
            put_all(out, items);
            out.push(u8::from(*negated));
        }
        K::Under { expr, codes } => {
            encode(expr, out);
            put_all(out, codes);
        }
        K::Contains { expr, mode, items } => {
            encode(expr, out);
            out.push(position(&CONTAINS, mode));
            put_all(out, items);
        }
        K::Matches { expr, pattern } => {
            encode(expr, out);
            put_str(out, pattern);
        }
        K::If { cond, then, otherwise } => {
            encode(cond, out);
            encode(then, out);
            encode(otherwise, out);
        }
        K::Call { function, args } => {
            put_str(out, function);
            put_all(out, args);
        }
        K::List { items } => put_all(out, items),
        K::Band { expr, rows, otherwise } => {
            encode(expr, out);
            put_varint(out, rows.len() as u64);
            for r in rows {
                out.push(position(&CMP_OPS, &r.op));
                encode(&r.threshold, out);
                encode(&r.score, out);
            }
            match otherwise {
                None => out.push(0),
                Some(o) => {
                    out.push(1);
                    encode(o, out);
                }
            }
        }
    }
}

/// A cursor over bytes being decoded.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError { offset: self.pos, message: message.into() }
    }

    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = self.bytes.get(self.pos).copied().ok_or_else(|| self.error("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(self.error("varint longer than 64 bits"))
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        let z = self.varint()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let n = self.varint()?;
        u32::try_from(n).map_err(|_| self.error(format!("{n} does not fit in 32 bits")))
    }

    /// A count of items that each take at least one byte (so a bad count fails early).
    pub fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(self.error(format!("count {n} is more than the bytes left"))),
        }
    }

    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.count()?;
        let bytes = self.bytes.get(self.pos..self.pos + n).ok_or_else(|| self.error("unexpected end"))?;
        let s = std::str::from_utf8(bytes).map_err(|e| self.error(format!("not UTF-8: {e}")))?;
        self.pos += n;
        Ok(s)
    }

    fn pick<T: Copy>(&mut self, all: &[T], what: &str) -> Result<T, DecodeError> {
        let b = self.byte()?;
        all.get(usize::from(b)).copied().ok_or_else(|| self.error(format!("bad {what} {b}")))
    }

    fn period(&mut self) -> Result<Period, DecodeError> {
        match self.byte()? {
            0 => Ok(Period::Fy(self.u32()?)),
            1 => {
                let y = self.signed()?;
                i32::try_from(y).map(Period::Year).map_err(|_| self.error(format!("year {y} out of range")))
            }
            b => Err(self.error(format!("bad period tag {b}"))),
        }
    }

    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.error(format!("bad flag {b}"))),
        }
    }

    fn all(&mut self, depth: usize) -> Result<Vec<Expr>, DecodeError> {
        let n = self.count()?;
        (0..n).map(|_| self.expr_at(depth)).collect()
    }

    fn boxed(&mut self, depth: usize) -> Result<Box<Expr>, DecodeError> {
        self.expr_at(depth).map(Box::new)
    }

    /// Reads one tree.
    pub fn expr(&mut self) -> Result<Expr, DecodeError> {
        self.expr_at(0)
    }

    fn expr_at(&mut self, depth: usize) -> Result<Expr, DecodeError> {
        use ExprKind as K;
        if depth >= MAX_DEPTH {
            return Err(
                self.error(format!("syntax tree nested deeper than {MAX_DEPTH} levels (the limit every tree is held to; docs/limits.md)"))
            );
        }
        let d = depth + 1;
        let tag = self.byte()?;
        let span = Span { start: self.u32()?, end: self.u32()? };
        let kind = match tag {
            0 => K::Bool { value: self.flag()? },
            1 => K::Number { value: self.str()?.to_string(), unit: self.pick(&LIT_UNITS, "unit")? },
            2 => {
                let s = self.str()?;
                K::Date { value: Date::parse(s).map_err(|e| self.error(e.to_string()))? }
            }
            3 => {
                let k = self.byte()?;
                let n = self.signed()?;
                K::Duration {
                    value: match k {
                        0 => Duration::Years(n),
                        1 => Duration::Months(n),
                        2 => Duration::Days(n),
                        _ => return Err(self.error(format!("bad duration tag {k}"))),
                    },
                }
            }
            4 => K::Text { value: self.str()?.to_string() },
            5 => K::Regex { pattern: self.str()?.to_string() },
            6 => K::AsOf,
            7 => K::FiscalYear { k: self.u32()? },
            8 => K::Name { name: self.str()?.to_string() },
            9 => {
                let expr = self.boxed(d)?;
                let period = self.period()?;
                let to = if self.flag()? { Some(self.period()?) } else { None };
                K::At { expr, period, to }
            }
            10 => K::YearRange { from: self.period()?, to: self.period()? },
            11 => K::Neg { expr: self.boxed(d)? },
            12 => K::Not { expr: self.boxed(d)? },
            13 => K::Binary { op: self.pick(&BIN_OPS, "operator")?, lhs: self.boxed(d)?, rhs: self.boxed(d)? },
            14 => K::Compare { op: self.pick(&CMP_OPS, "comparison")?, lhs: self.boxed(d)?, rhs: self.boxed(d)? },
            15 => {
                let (expr, low, high) = (self.boxed(d)?, self.boxed(d)?, self.boxed(d)?);
                let b = self.byte()?;
                if b > 3 {
                    return Err(self.error(format!("bad between flags {b}")));
                }
                K::Between { expr, low, high, low_inclusive: b & 1 != 0, high_inclusive: b & 2 != 0 }
            }
            16 => K::In { expr: self.boxed(d)?, items: self.all(d)?, negated: self.flag()? },
            17 => K::Under { expr: self.boxed(d)?, codes: self.all(d)? },
            18 => K::Contains { expr: self.boxed(d)?, mode: self.pick(&CONTAINS, "contains mode")?, items: self.all(d)? },
            19 => K::Matches { expr: self.boxed(d)?, pattern: self.str()?.to_string() },
            20 => K::If { cond: self.boxed(d)?, then: self.boxed(d)?, otherwise: self.boxed(d)? },
            21 => K::Call { function: self.str()?.to_string(), args: self.all(d)? },
            22 => K::List { items: self.all(d)? },
            23 => {
                let expr = self.boxed(d)?;
                let n = self.count()?;
                let mut rows = Vec::with_capacity(n);
                for _ in 0..n {
                    rows.push(BandRow { op: self.pick(&CMP_OPS, "comparison")?, threshold: self.expr_at(d)?, score: self.expr_at(d)? });
                }
                let otherwise = if self.flag()? { Some(self.boxed(d)?) } else { None };
                K::Band { expr, rows, otherwise }
            }
            t => return Err(self.error(format!("bad node tag {t}"))),
        };
        Ok(Expr::new(kind, span))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

    use super::*;

    #[test]
    fn trees_round_trip_and_bad_bytes_are_errors() {
        let e = crate::lang::parse(
            "band(rd_ratio@fy1; >= 6%: 50, >= 3%: 30, else: 0) >= 30 and x@2023 between (1, 2] and y@fy1..fy2 = 1d and z in [as_of - 1y]",
        )
        .unwrap();
        let mut bytes = Vec::new();
        encode(&e, &mut bytes);
        assert_eq!(Reader::new(&bytes).expr().unwrap(), e);
        // Every strict prefix is an error, never a panic or a tree.
        for n in 0..bytes.len() {
            assert!(Reader::new(&bytes[..n]).expr().is_err(), "prefix of {n} bytes decoded");
        }
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert_eq!(Reader::new(&bad).expr().unwrap_err().message, "bad node tag 99");
        // A hostile nesting depth is refused (on a thread with room for a debug build's frames).
        let deep = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let mut deep = Vec::new();
                for _ in 0..=MAX_DEPTH + 1 {
                    deep.extend_from_slice(&[12, 0, 0]);
                }
                deep.extend_from_slice(&[6, 0, 0]);
                Reader::new(&deep).expr().unwrap_err().message
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(deep.contains("deeper"), "{deep}");
    }
}
