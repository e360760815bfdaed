//! JSON text read for the decoder without a `serde_json::Value`: the light tree [`Lite`].
//!
//! A profile's text is read once into a tree whose strings and keys are borrowed from the
//! text (where they have no escapes) and whose objects are vectors of pairs in key order.
//! A `Value` costs a heap string per key and per string value and a B-tree per object
//! (each per-year figure is an object of four years); the decoder only walks the tree once,
//! in key order, so the vector sorted once is all it needs. In WASM, where every
//! allocation is slower than natively, reading the text into a `Value` was a third of a
//! compact-verdicts call.
//!
//! The decoder reads either tree through [`Node`], so that a profile decodes to the same
//! values, errors (in the same order) and warnings from its text as from its parsed value.
//! The tree refuses what [`super::parse_json`] refuses (a key twice in one object, at any
//! depth): the caller then goes the long way, which names the problem.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

use super::json::json_kind;
use super::Cell;

/// A JSON value read from text, borrowing from it.
#[derive(Debug, PartialEq)]
pub(super) enum Lite<'a> {
    Null,
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Lite<'a>>),
    /// Distinct keys, in bytewise order (the order of `serde_json::Map`).
    Object(Vec<(Cow<'a, str>, Lite<'a>)>),
}

impl<'a> Lite<'a> {
    /// The tree of a parsed value, borrowing its strings. The WASM build decodes a parsed
    /// value through it, so that the module holds one decoder (the one for text), not two.
    #[cfg(any(test, target_arch = "wasm32"))]
    pub(super) fn of(v: &'a Json) -> Lite<'a> {
        match v {
            Json::Null => Lite::Null,
            Json::Bool(b) => Lite::Bool(*b),
            Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Lite::Int(i),
                (None, Some(u), _) => Lite::Big(u),
                (None, None, Some(f)) => Lite::Float(f),
                (None, None, None) => Lite::Null,
            },
            Json::String(s) => Lite::Str(Cow::Borrowed(s)),
            Json::Array(a) => Lite::Array(a.iter().map(Lite::of).collect()),
            // A map's keys are distinct and in bytewise order already.
            Json::Object(o) => Lite::Object(o.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Lite::of(v))).collect()),
        }
    }
}

/// A JSON value as the decoder reads it: `serde_json::Value` or [`Lite`]. Objects are
/// walked in key order, so both trees give the same errors in the same order.
pub(super) trait Node: Sized {
    /// The value's kind as messages name it (`"a number"`).
    fn kind(&self) -> &'static str;
    fn is_null(&self) -> bool;
    fn as_str(&self) -> Option<&str>;
    fn items(&self) -> Option<&[Self]>;
    /// An object's entries in key order.
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)> + '_>;
    /// The number of an object's entries (0 for anything else).
    fn entry_count(&self) -> usize;
    /// The value as a cell; `None` for null. An integer above `i64::MAX` keeps its text in
    /// `buf`.
    fn cell<'s>(&'s self, buf: &'s mut String) -> Option<Cell<'s>>;
}

impl Node for Json {
    fn kind(&self) -> &'static str {
        json_kind(self)
    }
    fn is_null(&self) -> bool {
        self.is_null()
    }
    fn as_str(&self) -> Option<&str> {
        self.as_str()
    }
    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)> + '_> {
        self.as_object().map(|o| o.iter().map(|(k, v)| (k.as_str(), v)))
    }
    fn entry_count(&self) -> usize {
        self.as_object().map_or(0, serde_json::Map::len)
    }
    fn cell<'s>(&'s self, buf: &'s mut String) -> Option<Cell<'s>> {
        Some(match self {
            Json::Null => return None,
            Json::Bool(b) => Cell::Bool(*b),
            // An integer needs no text (the common case: staff, money in round units).
            Json::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Cell::Int(i),
                // A float is written into a stack buffer exactly as serde_json prints it
                // (`Cell::Float`), without a heap string per value.
                (None, Some(f)) if n.is_f64() => Cell::Float(f),
                _ => {
                    *buf = n.to_string();
                    Cell::Number(buf)
                }
            },
            Json::String(s) => Cell::Str(s),
            other => Cell::Other(json_kind(other)),
        })
    }
}

impl Node for Lite<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Lite::Null => "null",
            Lite::Bool(_) => "a boolean",
            Lite::Int(_) | Lite::Big(_) | Lite::Float(_) => "a number",
            Lite::Str(_) => "a string",
            Lite::Array(_) => "an array",
            Lite::Object(_) => "an object",
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Lite::Null)
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Lite::Str(s) => Some(s),
            _ => None,
        }
    }
    fn items(&self) -> Option<&[Self]> {
        match self {
            Lite::Array(a) => Some(a),
            _ => None,
        }
    }
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)> + '_> {
        match self {
            Lite::Object(o) => Some(o.iter().map(|(k, v)| (k.as_ref(), v))),
            _ => None,
        }
    }
    fn entry_count(&self) -> usize {
        match self {
            Lite::Object(o) => o.len(),
            _ => 0,
        }
    }
    fn cell<'s>(&'s self, buf: &'s mut String) -> Option<Cell<'s>> {
        Some(match self {
            Lite::Null => return None,
            Lite::Bool(b) => Cell::Bool(*b),
            Lite::Int(i) => Cell::Int(*i),
            Lite::Big(u) => {
                *buf = u.to_string();
                Cell::Number(buf)
            }
            Lite::Float(f) => Cell::Float(*f),
            Lite::Str(s) => Cell::Str(s),
            other => Cell::Other(other.kind()),
        })
    }
}

/// The top-level object of a JSON text as its (key, value) pairs in key order. `None` when
/// the text does not parse, is not one object, or has a key twice in one object at any
/// depth: the caller goes through [`super::parse_json`], which says why, in its words. A
/// leading byte-order mark is skipped, as there.
pub(super) fn top_level_pairs(text: &str) -> Option<Vec<(Cow<'_, str>, Lite<'_>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let top = LiteSeed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    match top {
        Lite::Object(pairs) => Some(pairs),
        _ => None,
    }
}

/// Builds a [`Lite`] value; a key twice in one object is an error.
#[derive(Clone, Copy)]
struct LiteSeed;

impl<'de> DeserializeSeed<'de> for LiteSeed {
    type Value = Lite<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Lite<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LiteSeed {
    type Value = Lite<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Lite<'de>, E> {
        Ok(Lite::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Lite<'de>, E> {
        Ok(Lite::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Lite<'de>, E> {
        Ok(i64::try_from(v).map_or(Lite::Big(v), Lite::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Lite<'de>, E> {
        // As `serde_json::Number::from_f64` does (the parser gives no such float).
        Ok(if v.is_finite() { Lite::Float(v) } else { Lite::Null })
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_none<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Lite<'de>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lite<'de>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(LiteSeed)? {
            out.push(v);
        }
        Ok(Lite::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lite<'de>, A::Error> {
        let mut out: Vec<(Cow<'de, str>, Lite<'de>)> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(k) = map.next_key_seed(Key)? {
            out.push((k, map.next_value_seed(LiteSeed)?));
        }
        // Sorted as the map orders its keys (bytewise), so that entries are decoded, and
        // their errors reported, in the same order; most objects come sorted.
        if !out.is_sorted_by(|a, b| a.0 < b.0) {
            crate::sort::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
            if let Some(w) = out.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0)) {
                let k = w.first().map(|p| p.0.as_ref()).unwrap_or_default();
                return Err(serde::de::Error::custom(format!("the key {k:?} appears twice in one object")));
            }
        }
        Ok(Lite::Object(out))
    }
}

/// A key, borrowed from the text when it can be.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn objects_come_sorted_and_a_key_twice_is_refused_at_any_depth() {
        let pairs = top_level_pairs(r#"{"b": {"y": 1, "x": [true, null, "s\n"]}, "a": 18446744073709551615, "c": -1.5}"#).unwrap();
        let keys: Vec<&str> = pairs.iter().map(|p| p.0.as_ref()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(pairs[0].1, Lite::Big(u64::MAX));
        assert_eq!(pairs[2].1, Lite::Float(-1.5));
        let Lite::Object(inner) = &pairs[1].1 else { panic!("an object") };
        assert_eq!(inner[0].0, "x");
        assert_eq!(inner[0].1, Lite::Array(vec![Lite::Bool(true), Lite::Null, Lite::Str(Cow::Owned("s\n".into()))]));
        assert!(top_level_pairs(r#"{"a": {"k": 1, "j": 2, "k": 3}}"#).is_none());
        assert!(top_level_pairs(r#"{"a": [{"k": 1, "k": 2}]}"#).is_none());
        assert!(top_level_pairs(r#"{"a": 1, "a": 1}"#).is_none());
        // Escaped keys compare as their text: "\u0061" is "a".
        assert!(top_level_pairs(r#"{"a": 1, "\u0061": 2}"#).is_none());
        assert!(top_level_pairs("[1]").is_none());
        assert!(top_level_pairs("{} x").is_none());
        assert!(top_level_pairs("\u{feff}{\"a\": 1}").is_some());
    }

    #[test]
    fn a_tree_reads_as_the_value_does() {
        let text = r#"{"n": [1, -2, 2.5, 1e300, 18446744073709551615, "x", null, true, {"k": 1}, []]}"#;
        let lite = top_level_pairs(text).unwrap();
        let json: Json = serde_json::from_str(text).unwrap();
        let (Some(l), Some(j)) = (lite[0].1.items(), json["n"].items()) else { panic!("arrays") };
        assert_eq!(l.len(), j.len());
        for (a, b) in l.iter().zip(j) {
            let (mut ba, mut bb) = (String::new(), String::new());
            assert_eq!(a.cell(&mut ba), b.cell(&mut bb));
            assert_eq!(a.kind(), b.kind());
            assert_eq!(a.is_null(), b.is_null());
            assert_eq!(a.entry_count(), b.entry_count());
        }
    }
}
