//! Enterprise profiles: one enterprise's file (一企一档), decoded from JSON against a
//! [`Schema`].
//!
//! A field that is absent (or `null`) is *unknown*, never defaulted: the evaluator turns it
//! into an unknown leaf. Decoding reports every problem at once, each with its JSON path and
//! what was expected; a USCC whose check character fails is a warning, because early pilot
//! codes fail it legitimately. Numbers are read in the field's own unit (`registered_capital:
//! 500` is 500万元 when the field is in 万元) or as strings with a unit (`"500万"`), and
//! stored exactly in the base unit.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value as Json;

use crate::date::Date;
use crate::schema::{Field, FieldId, FieldType, Schema};

use crate::uscc::{self, UsccCheck};

mod decode;
mod json;
mod lite;

use decode::Decoder;
use json::json_kind;
pub use json::parse_json;

/// Unknown fields of one profile named in its errors (the rest are counted in one more).
pub const MAX_UNKNOWN_FIELDS: usize = 20;

/// Most records in one records field of one profile (every quantifier visits them all).
pub const MAX_RECORDS: usize = 10_000;

/// The words of the warning for a well-formed code the code table does not list (a store
/// load counts these per column).
pub const UNKNOWN_CODE: &str = "is well formed but not in the code table";

/// One value of a scalar type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Bool(bool),
    /// A number in its dimension's base unit (元, fraction, 人 …).
    Num(Decimal),
    Date(Date),
    /// Index into the field's enum.
    Enum(u32),
    /// Canonical code.
    Code(String),
    Text(String),
}

/// One dated qualification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Qualification {
    /// Index into the schema's qualification vocabulary.
    pub qual: usize,
    /// Index into the schema's qualification levels.
    pub level: Option<u32>,
    pub granted_on: Option<Date>,
    pub expires_on: Option<Date>,
    /// `true` for a first grant, `false` for a renewal (重新认定), `None` when not stated.
    pub first_grant: Option<bool>,
    /// The entry says the status of this qualification is unknown
    /// (`{"code": …, "status": "unknown"}`): tests of it are unknown unless another entry
    /// decides them, while the list stays complete for every other qualification.
    pub unknown: bool,
}

/// A field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Scalar(Scalar),
    /// Per-fiscal-year values; years not present are unknown.
    Yearly(BTreeMap<i32, Scalar>),
    Tags(BTreeSet<String>),
    Qualifications(Vec<Qualification>),
    /// The records of a `records` field, in the order given (an empty list is known:
    /// there are none).
    Records(Vec<Record>),
}

/// One record of a `records` field: a value per record field (by the field's index in
/// its [`RecordDef`](crate::schema::RecordDef)), `None` where it is unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record(pub Vec<Option<Scalar>>);

impl Record {
    /// The value of record field `i`, if known.
    pub fn get(&self, i: usize) -> Option<&Scalar> {
        self.0.get(i).and_then(Option::as_ref)
    }
}

/// A decoded enterprise profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    values: Vec<Option<Value>>,
    /// Non-fatal findings (USCC check character, historical codes mapped).
    pub warnings: Vec<ProfileWarning>,
}

/// What kind of problem a profile has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileErrorKind {
    NotAnObject,
    UnknownField,
    WrongType,
    BadNumber,
    NotAnInteger,
    Negative,
    UnitMismatch,
    BadDate,
    BadEnum,
    BadCode,
    BadYear,
    BadQualification,
    BadUscc,
    BadRecord,
    Json,
}

/// A problem in a profile, located by JSON path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ProfileError {
    pub kind: ProfileErrorKind,
    /// JSON path of the offending value (`$.employees.2024`).
    pub path: String,
    pub message: String,
}

/// A non-fatal finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ProfileWarning {
    pub path: String,
    pub message: String,
}

/// All problems found in one profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in profile: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ProfileErrors(pub Vec<ProfileError>);

/// One value from a typed column (Arrow, Parquet, a database driver): what a profile
/// decoder reads instead of a JSON value. A cell is decoded exactly as the JSON value it
/// stands for (`Number` as a JSON number, `Str` as a JSON string), so a store filled from
/// columns holds the values a store filled from JSON lines holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Bool(bool),
    /// An integer (read as the JSON number it prints as).
    Int(i64),
    /// A binary float, read as JSON prints it: the shortest decimal that reads back the
    /// same (`0.1`, not 0.1000000000000000055…).
    Float(f64),
    /// A number as JSON would print it (`12`, `-3`, `12.5`).
    Number(&'a str),
    /// An exact decimal (a decimal column): read as the number it prints as.
    Decimal(Decimal),
    Str(&'a str),
    /// A calendar date (a date column).
    Date(Date),
    /// A value of another kind, by its description (`"a list"`): a type error.
    Other(&'static str),
}

impl Cell<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Bool(_) => "a boolean",
            Cell::Int(_) | Cell::Float(_) | Cell::Number(_) | Cell::Decimal(_) => "a number",
            Cell::Str(_) => "a string",
            Cell::Date(_) => "a date",
            Cell::Other(k) => k,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Cell::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A date cell, or a string read as `YYYY-MM-DD`.
    fn as_date(&self) -> Option<Result<Date, crate::date::DateError>> {
        match self {
            Cell::Date(d) => Some(Ok(*d)),
            Cell::Str(s) => Some(Date::parse(s)),
            _ => None,
        }
    }
}

/// Decodes one scalar value of `field` (not tags or qualifications) from a typed cell,
/// exactly as [`Profile::from_json`] decodes the JSON value the cell stands for. `path`
/// names the value in messages. Returns the value and its warnings.
pub fn decode_cell(schema: &Schema, field: &Field, cell: Cell<'_>, path: &str) -> Result<(Scalar, Vec<ProfileWarning>), ProfileErrors> {
    let mut d = Decoder { schema, errors: Vec::new(), warnings: Vec::new() };
    match d.cell(field, cell, &Path::text(path)) {
        Some(s) if d.errors.is_empty() => Ok((s, d.warnings)),
        _ => Err(ProfileErrors(d.errors)),
    }
}

/// Decodes one qualification from its entries (`code`, `level`, `granted_on`,
/// `expires_on`, `first_grant`, `status`, and the ignored `certificate_no`, `issuer`,
/// `batch`, `note`; absent or null entries left out), exactly as one element of a JSON
/// `qualifications` array. `path` names the element in messages.
pub fn decode_qualification<'a>(
    schema: &Schema,
    entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>,
    path: &str,
) -> Result<Qualification, ProfileErrors> {
    let mut d = Decoder { schema, errors: Vec::new(), warnings: Vec::new() };
    match d.qualification(entries, &Path::text(path)) {
        Some(q) if d.errors.is_empty() => Ok(q),
        _ => Err(ProfileErrors(d.errors)),
    }
}

/// Decodes one record of the `records` field `collection` from its entries (record field
/// names or labels and their cells; absent or null entries left out), exactly as one
/// element of that field's JSON array. `path` names the record in messages.
pub fn decode_record<'a>(
    schema: &Schema,
    collection: &Field,
    entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>,
    path: &str,
) -> Result<(Record, Vec<ProfileWarning>), ProfileErrors> {
    let mut d = Decoder { schema, errors: Vec::new(), warnings: Vec::new() };
    if schema.record_def(collection.id).is_none() {
        return Err(ProfileErrors(vec![ProfileError {
            kind: ProfileErrorKind::WrongType,
            path: path.to_string(),
            message: format!("{} is not a records field", collection.name),
        }]));
    }
    let r = d.record(collection, entries, &Path::text(path));
    if d.errors.is_empty() {
        Ok((r, d.warnings))
    } else {
        Err(ProfileErrors(d.errors))
    }
}

/// Where a value sits in a profile (`$.employees.2024`, `$.qualifications[0].code`), kept
/// as borrowed steps and rendered only when a message needs it: decoding a valid profile
/// builds no path strings.
#[derive(Clone, Copy, Debug)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Root,
    /// A path given as text (by a caller that decodes cells).
    Text(&'a str),
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, step: Step::Root };

    fn text(path: &'a str) -> Path<'a> {
        Path { parent: None, step: Step::Text(path) }
    }

    fn key(&'a self, k: &'a str) -> Path<'a> {
        Path { parent: Some(self), step: Step::Key(k) }
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path { parent: Some(self), step: Step::Index(i) }
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.parent {
            p.fmt(f)?;
        }
        match self.step {
            Step::Root => f.write_str("$"),
            Step::Text(t) => f.write_str(t),
            Step::Key(k) => write!(f, ".{k}"),
            Step::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl Profile {
    /// An empty profile (every field unknown).
    pub fn empty(schema: &Schema) -> Profile {
        Profile { values: vec![None; schema.fields.len()], warnings: Vec::new() }
    }

    /// Decodes a profile from JSON text (a leading byte-order mark is skipped; a key given
    /// twice in one object is an error, not "the last one wins").
    pub fn from_json_str(schema: &Schema, text: &str) -> Result<Profile, ProfileErrors> {
        // One object of distinct keys (every profile that decodes): its fields are decoded
        // from the pairs, in key order, as from the parsed value; anything else goes the
        // long way, which gives the error.
        if let Some(pairs) = lite::top_level_pairs(text) {
            return Profile::from_pairs(schema, pairs.iter().map(|(k, v)| (k.as_ref(), v)));
        }
        let json: Json = parse_json(text).map_err(|e| {
            ProfileErrors(vec![ProfileError { kind: ProfileErrorKind::Json, path: "$".into(), message: format!("not valid JSON: {e}") }])
        })?;
        Profile::from_json(schema, &json)
    }

    /// Decodes a profile from a JSON value.
    pub fn from_json(schema: &Schema, json: &Json) -> Result<Profile, ProfileErrors> {
        let Some(obj) = json.as_object() else {
            return Err(ProfileErrors(vec![ProfileError {
                kind: ProfileErrorKind::NotAnObject,
                path: "$".into(),
                message: format!("expected an object of fields, found {}", json_kind(json)),
            }]));
        };
        #[cfg(not(target_arch = "wasm32"))]
        return Profile::from_pairs(schema, obj.iter().map(|(k, v)| (k.as_str(), v)));
        #[cfg(target_arch = "wasm32")]
        return Profile::from_json_via_lite(schema, obj);
    }

    /// [`Profile::from_json`] through the light tree: what the WASM build runs (one
    /// decoder in the module), and what the tests check gives the same answers.
    #[cfg(any(test, target_arch = "wasm32"))]
    fn from_json_via_lite(schema: &Schema, obj: &serde_json::Map<String, Json>) -> Result<Profile, ProfileErrors> {
        let pairs: Vec<(&str, lite::Lite<'_>)> = obj.iter().map(|(k, v)| (k.as_str(), lite::Lite::of(v))).collect();
        Profile::from_pairs(schema, pairs.iter().map(|(k, v)| (*k, v)))
    }

    /// Decodes a profile from the (key, value) pairs of its object, in key order.
    fn from_pairs<'j, N: lite::Node + 'j>(
        schema: &Schema,
        pairs: impl Iterator<Item = (&'j str, &'j N)>,
    ) -> Result<Profile, ProfileErrors> {
        let mut d = Decoder { schema, errors: Vec::new(), warnings: Vec::new() };
        let mut profile = Profile::empty(schema);
        let mut unknown = 0usize;
        for (key, v) in pairs {
            if key.starts_with('$') {
                continue;
            }
            let path = Path::ROOT.key(key);
            let Some(field) = schema.field(key) else {
                // Named (with a did-you-mean) up to a limit, then counted: a file of a
                // million stray keys gets a short answer, not megabytes of errors.
                unknown += 1;
                if unknown <= MAX_UNKNOWN_FIELDS {
                    let hint = schema.suggest_field(key).map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
                    d.err(ProfileErrorKind::UnknownField, &path, format!("unknown field {key:?}{hint}"));
                }
                continue;
            };
            if v.is_null() {
                continue;
            }
            if profile.values.get(field.id).is_some_and(Option::is_some) {
                d.err(ProfileErrorKind::UnknownField, &path, format!("field {} is given twice (by name and by label)", field.name));
                continue;
            }
            if let Some(value) = d.field(field, v, &path) {
                if let Some(slot) = profile.values.get_mut(field.id) {
                    *slot = Some(value);
                }
            }
        }
        if unknown > MAX_UNKNOWN_FIELDS {
            d.err(
                ProfileErrorKind::UnknownField,
                &Path::ROOT,
                format!("{} more unknown fields not listed (the first {MAX_UNKNOWN_FIELDS} are)", unknown - MAX_UNKNOWN_FIELDS),
            );
        }
        if d.errors.is_empty() {
            profile.warnings = d.warnings;
            Ok(profile)
        } else {
            Err(ProfileErrors(d.errors))
        }
    }

    /// The value of a field, if known.
    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.values.get(field).and_then(Option::as_ref)
    }

    /// Sets (or clears) a field's value.
    pub fn set(&mut self, field: FieldId, value: Option<Value>) {
        if field >= self.values.len() {
            self.values.resize(field + 1, None);
        }
        if let Some(slot) = self.values.get_mut(field) {
            *slot = value;
        }
    }

    /// The scalar value of a non-yearly field, if known.
    pub fn scalar(&self, field: FieldId) -> Option<&Scalar> {
        match self.get(field) {
            Some(Value::Scalar(s)) => Some(s),
            _ => None,
        }
    }

    /// The value of a per-year field for one year, if known.
    pub fn year(&self, field: FieldId, year: i32) -> Option<&Scalar> {
        match self.get(field) {
            Some(Value::Yearly(m)) => m.get(&year),
            _ => None,
        }
    }

    /// The text value of a field, if known.
    pub fn text(&self, field: FieldId) -> Option<&str> {
        match self.scalar(field) {
            Some(Scalar::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// Number of known fields.
    pub fn known_count(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests assert by panicking")]

    use super::json::float_text;

    /// Text decoded through the top-level pairs is what the parsed value decodes to: the
    /// same profile, or the same errors in the same order (the long way gives those).
    #[test]
    fn text_path_decodes_as_the_value_path() {
        let schema = crate::schema::Schema::embedded().unwrap();
        let mut texts: Vec<String> = crate::gen::enterprises(5, 60).map(|v| v.to_string()).collect();
        texts.extend(
            [
                "\u{feff}{\"registered_capital\": 500}",
                "{\"registered_capital\": 500, \"registered_capital\": 600}",
                "{\"registered_capital\": 500, \"注册资本\": 600}",
                "{\"a\": {\"x\": 1, \"x\": 2}}",
                "[1, 2]",
                "17",
                "{\"registered_capital\": 500} trailing",
                "{\"registered_capital\": \"abc\", \"employes\": 3, \"zzz\": 1, \"$comment\": \"kept out\"}",
                "{\"registered\\u005fcapital\": 500, \"is_legal_person\": true}",
                "{\"employees\": {\"2024\": 10, \"2023\": -1}, \"industry\": \"C99999\"}",
                "{}",
                "{\"registered_capital\": null}",
                "",
                "{",
                // Errors inside nested objects, arrays and records come in key order.
                "{\"employees\": {\"2025\": \"x\", \"2024\": \"y\", \"20x\": 1, \"2023\": null}, \"tags\": [\"a\", 1, \" b \"]}",
                "{\"employees\": {\"2024\": 1, \"2024\": 2}}",
                "{\"employees\": 18446744073709551615, \"registered_capital\": -9223372036854775808}",
                "{\"registered_capital\": 1.5e300, \"operating_revenue\": 12.25, \"employees\": 2.0}",
                "{\"qualifications\": [{\"status\": \"maybe\", \"code\": \"nope\", \"zz\": 1}, 3, {\"code\": \"hi\\u0074ech\"}]}",
                "{\"qualifications\": [{\"code\": \"x\", \"code\": \"y\"}]}",
                "{\"tags\": \"one\", \"industry\": 3910, \"region\": [\"370102\"]}",
            ]
            .map(str::to_string),
        );
        // The bundled enterprises: records, qualifications, every field type; and each
        // with its keys reversed (the text's order must not matter), and with a record
        // spoilt (errors inside records).
        let mut dir: Vec<_> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/enterprises")).unwrap().flatten().map(|e| e.path()).collect();
        dir.sort();
        for p in dir.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
            let text = std::fs::read_to_string(p).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let obj = v.as_object().unwrap();
            let reversed: Vec<String> = obj.iter().rev().map(|(k, v)| format!("{}: {v}", serde_json::Value::from(k.as_str()))).collect();
            texts.push(format!("{{{}}}", reversed.join(", ")));
            texts.push(
                text.replacen("\"20", "\"x20", 3)
                    .replace(": true}", ": \"true\"}")
                    .replace("\"group\": \"", "\"group\": \"x")
                    .replace("\"self_built\"", "\"self_bilt\""),
            );
            texts.push(text);
        }
        assert!(texts.len() > 100);
        let mut nested_errors = 0;
        for t in &texts {
            let long_way = super::parse_json(t)
                .map_err(|e| {
                    super::ProfileErrors(vec![super::ProfileError {
                        kind: super::ProfileErrorKind::Json,
                        path: "$".into(),
                        message: format!("not valid JSON: {e}"),
                    }])
                })
                .and_then(|v| super::Profile::from_json(&schema, &v));
            if let Err(e) = &long_way {
                nested_errors += e.0.iter().filter(|e| e.path.matches(['.', '[']).count() >= 3).count();
            }
            assert_eq!(super::Profile::from_json_str(&schema, t), long_way, "{t}");
            if let Some(obj) = super::parse_json(t).ok().as_ref().and_then(|v| v.as_object()) {
                assert_eq!(super::Profile::from_json_via_lite(&schema, obj), long_way, "via the light tree: {t}");
            }
        }
        assert!(nested_errors >= 10, "{nested_errors} errors inside nested values");
    }

    #[test]
    fn float_text_is_serde_jsons_text() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut floats = vec![0.0, -0.0, 12.3, 1e16, 1e-7, 1.5e300, -2.5e-300, f64::MAX, f64::MIN_POSITIVE, 5e-324, 0.1 + 0.2];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                floats.push(f);
            }
            floats.push((x % 10_000_000) as f64 / 100.0);
        }
        for f in floats {
            let want = serde_json::Number::from_f64(f).map(|n| n.to_string());
            assert_eq!(float_text(f, &mut [0u8; 40]).map(str::to_string), want, "{f:e}");
        }
        assert_eq!(float_text(f64::NAN, &mut [0u8; 40]), None);
        assert_eq!(float_text(f64::INFINITY, &mut [0u8; 40]), None);
    }

    /// The arithmetic path for short floats gives exactly the decimal of the printed text,
    /// scale included (`61.0` stays 61.0), wherever it answers; it answers for the floats
    /// of everyday data.
    #[test]
    fn short_floats_read_as_their_text() {
        use super::json::{json_number, short_float};
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut floats = vec![
            61.0,
            -3.0,
            0.1,
            0.1 + 0.2,
            389.42,
            -0.5,
            1e14,
            999_999_999_999_999.0,
            1e15,
            0.000_001,
            0.000_000_1,
            123_456.789_012,
            4_503_599_627_370_496.5,
        ];
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                floats.push(f);
            }
            let k = (x >> 60) % 8;
            floats.push((x % 100_000_000_000) as f64 / 10f64.powi(k as i32));
            floats.push(-((x % 1_000_000) as f64) / 1000.0);
        }
        let mut answered = 0;
        for f in floats {
            let Some(fast) = short_float(f) else { continue };
            answered += 1;
            let slow = float_text(f, &mut [0u8; 40]).and_then(json_number);
            assert_eq!(Some((fast, fast.scale())), slow.map(|d| (d, d.scale())), "{f:e}");
        }
        assert!(answered > 60_000, "the fast path answered only {answered} floats");
    }

    /// JSON floats are decoded through the stack buffer, not a heap string: the values
    /// are the decimals JSON prints, and an out-of-range float is named as JSON prints it
    /// (`1e+300`).
    #[test]
    fn json_floats_decode_as_printed() {
        use super::{Profile, ProfileErrorKind, Scalar, Value};
        let schema = crate::schema::Schema::embedded().unwrap();
        let cap = schema.field("registered_capital").unwrap().id;
        let emp = schema.field("operating_revenue").unwrap().id;
        // The same numbers written as JSON strings take the text path: the reference.
        for (text, printed) in [("156.55", "156.55"), ("0.1", "0.1"), ("1e2", "100"), ("-0.0", "0"), ("12345678.9", "12345678.9")] {
            let decode = |v: &str| {
                let json: serde_json::Value =
                    serde_json::from_str(&format!(r#"{{"registered_capital": {v}, "operating_revenue": {{"2025": {v}}}}}"#)).unwrap();
                Profile::from_json(&schema, &json).unwrap()
            };
            let (float, string) = (decode(text), decode(&format!("\"{printed}\"")));
            assert!(matches!(float.get(cap), Some(Value::Scalar(Scalar::Num(_)))), "{text}");
            assert_eq!(float.get(cap), string.get(cap), "{text}");
            assert!(matches!(float.get(emp), Some(Value::Yearly(m)) if m.len() == 1), "{text}");
            assert_eq!(float.get(emp), string.get(emp), "{text}");
        }
        // JSON's exponent form is read exactly; a quantity string keeps the plain form.
        for (text, printed) in [("1e16", "10000000000000000"), ("2.5e-7", "0.00000025"), ("12E3", "12000")] {
            let json: serde_json::Value = serde_json::from_str(&format!(r#"{{"registered_capital": {text}}}"#)).unwrap();
            let string: serde_json::Value = serde_json::from_str(&format!(r#"{{"registered_capital": "{printed}"}}"#)).unwrap();
            let (a, b) = (Profile::from_json(&schema, &json).unwrap(), Profile::from_json(&schema, &string).unwrap());
            assert!(a.get(cap).is_some(), "{text}");
            assert_eq!(a.get(cap), b.get(cap), "{text}");
        }
        let json: serde_json::Value = serde_json::from_str(r#"{"registered_capital": "1e5"}"#).unwrap();
        assert_eq!(Profile::from_json(&schema, &json).unwrap_err().0[0].kind, ProfileErrorKind::BadNumber);
        let json: serde_json::Value = serde_json::from_str(r#"{"registered_capital": 1e300}"#).unwrap();
        let errors = Profile::from_json(&schema, &json).unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, ProfileErrorKind::BadNumber);
        assert_eq!(errors[0].path, "$.registered_capital");
        assert!(errors[0].message.contains("number 1e+300 "), "{}", errors[0].message);
    }
}
