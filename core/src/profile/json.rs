//! JSON in: strict parsing (a key given twice is an error), and numbers read exactly as
//! written (a float as serde_json prints it, exponents included).

use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::units;

/// A finite float as serde_json writes it (the shortest text that reads back as the same
/// float), in `buf`, without allocating: what a JSON number of that value reads as.
/// `None` for a non-finite float.
pub(super) fn float_text(f: f64, buf: &mut [u8; 40]) -> Option<&str> {
    if !f.is_finite() {
        return None;
    }
    let mut rest: &mut [u8] = buf.as_mut_slice();
    serde_json::to_writer(&mut rest, &f).ok()?;
    let n = 40 - rest.len();
    std::str::from_utf8(buf.get(..n)?).ok()
}

/// The decimal a float reads as (the number serde_json prints for it, [`float_text`]),
/// when that has at most six decimals and the float is below 1e15: found by arithmetic,
/// without printing and parsing. `None` otherwise (the caller prints and parses).
///
/// The printed number is the shortest decimal that reads back as `f`. For `k` from 0 up,
/// `m = round(f·10^k)`; when `m / 10^k` (one correctly rounded division of two exact
/// floats) is `f`, the decimal `m / 10^k` reads as `f`, and no shorter one does (a shorter
/// one has fewer decimals, tried before). With |m| < 2^50 the decimals `10^-k` apart are
/// several floats apart, so only that `m` reads as `f`. Printed, a whole number keeps one
/// decimal (`61.0`), so it gets scale 1.
pub(super) fn short_float(f: f64) -> Option<Decimal> {
    const LIMIT: f64 = (1u64 << 50) as f64;
    if f == 0.0 || !f.is_finite() || f.abs() >= 1e15 {
        return None;
    }
    let mut scale = 1.0f64;
    for k in 0..=6u32 {
        let m = (f * scale).round();
        if m.abs() < LIMIT && m / scale == f {
            #[expect(clippy::cast_possible_truncation, reason = "|m| < 2^50, a whole number")]
            let m = m as i64;
            return Some(if k == 0 { Decimal::new(m.checked_mul(10)?, 1) } else { Decimal::new(m, k) });
        }
        scale *= 10.0;
    }
    None
}

/// A JSON number's text as an exact decimal. JSON writes large and small numbers with an
/// exponent (`1e16`, `2.5e-7`: how serde_json prints floats from 1e16 and below 1e-5 up);
/// those are read exactly too. Out of the decimal's range (28 digits): `None`.
pub(super) fn json_number(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        units::parse_decimal(text)
    }
}

/// Parses JSON text strictly: a leading byte-order mark (what some Windows editors write)
/// is skipped, and a key that appears twice in one object is an error — serde_json's own
/// reader keeps the last value silently, so a profile could say two things about a field
/// and be matched on one of them.
pub fn parse_json(text: &str) -> Result<Json, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Builds a [`Json`] value, refusing duplicate keys.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> serde::de::DeserializeSeed<'de> for Strict {
    type Value = Json;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict {
    type Value = Json;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format!("the key {k:?} appears twice in one object")));
            }
            let v = map.next_value_seed(Strict)?;
            out.insert(k, v);
        }
        Ok(Json::Object(out))
    }
}

pub(super) fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}
