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
use crate::units::{self, Unit};
use crate::uscc::{self, UsccCheck};

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

/// The JSON value as a cell; `None` for null. A number keeps its JSON text in `buf`.
fn json_cell<'a>(v: &'a Json, buf: &'a mut String) -> Option<Cell<'a>> {
    Some(match v {
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

/// A finite float as serde_json writes it (the shortest text that reads back as the same
/// float), in `buf`, without allocating: what a JSON number of that value reads as.
/// `None` for a non-finite float.
fn float_text(f: f64, buf: &mut [u8; 40]) -> Option<&str> {
    if !f.is_finite() {
        return None;
    }
    let mut rest: &mut [u8] = buf.as_mut_slice();
    serde_json::to_writer(&mut rest, &f).ok()?;
    let n = 40 - rest.len();
    std::str::from_utf8(buf.get(..n)?).ok()
}

/// A JSON number's text as an exact decimal. JSON writes large and small numbers with an
/// exponent (`1e16`, `2.5e-7`: how serde_json prints floats from 1e16 and below 1e-5 up);
/// those are read exactly too. Out of the decimal's range (28 digits): `None`.
fn json_number(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        units::parse_decimal(text)
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

impl Profile {
    /// An empty profile (every field unknown).
    pub fn empty(schema: &Schema) -> Profile {
        Profile { values: vec![None; schema.fields.len()], warnings: Vec::new() }
    }

    /// Decodes a profile from JSON text (a leading byte-order mark is skipped; a key given
    /// twice in one object is an error, not "the last one wins").
    pub fn from_json_str(schema: &Schema, text: &str) -> Result<Profile, ProfileErrors> {
        let json: Json = parse_json(text).map_err(|e| {
            ProfileErrors(vec![ProfileError { kind: ProfileErrorKind::Json, path: "$".into(), message: format!("not valid JSON: {e}") }])
        })?;
        Profile::from_json(schema, &json)
    }

    /// Decodes a profile from a JSON value.
    pub fn from_json(schema: &Schema, json: &Json) -> Result<Profile, ProfileErrors> {
        let mut d = Decoder { schema, errors: Vec::new(), warnings: Vec::new() };
        let mut profile = Profile::empty(schema);
        let Some(obj) = json.as_object() else {
            return Err(ProfileErrors(vec![ProfileError {
                kind: ProfileErrorKind::NotAnObject,
                path: "$".into(),
                message: format!("expected an object of fields, found {}", json_kind(json)),
            }]));
        };
        let mut unknown = 0usize;
        for (key, v) in obj {
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

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

struct Decoder<'s> {
    schema: &'s Schema,
    errors: Vec<ProfileError>,
    warnings: Vec<ProfileWarning>,
}

impl Decoder<'_> {
    fn err(&mut self, kind: ProfileErrorKind, path: &Path<'_>, message: String) {
        self.errors.push(ProfileError { kind, path: path.to_string(), message });
    }

    fn wrong_type(&mut self, path: &Path<'_>, expected: &str, found: &Json) {
        self.wrong_kind(path, expected, json_kind(found));
    }

    fn wrong_kind(&mut self, path: &Path<'_>, expected: &str, found: &str) {
        self.err(ProfileErrorKind::WrongType, path, format!("expected {expected}, found {found}"));
    }

    fn field(&mut self, field: &Field, v: &Json, path: &Path<'_>) -> Option<Value> {
        match &field.ty {
            FieldType::Tags => {
                let Some(arr) = v.as_array() else {
                    self.wrong_type(path, "an array of strings", v);
                    return None;
                };
                let mut set = BTreeSet::new();
                for (i, t) in arr.iter().enumerate() {
                    match t.as_str() {
                        Some(s) => {
                            set.insert(s.trim().to_string());
                        }
                        None => self.wrong_type(&path.index(i), "a string", t),
                    }
                }
                return Some(Value::Tags(set));
            }
            FieldType::Qualifications => return self.qualifications(v, path).map(Value::Qualifications),
            FieldType::Records(_) => return self.records(field, v, path).map(Value::Records),
            _ => {}
        }
        if field.per_year {
            let Some(obj) = v.as_object() else {
                self.wrong_type(path, "an object of years, e.g. {\"2024\": …, \"2025\": …}", v);
                return None;
            };
            let mut map = BTreeMap::new();
            for (k, yv) in obj {
                let ypath = path.key(k);
                let year = match k.parse::<i32>() {
                    Ok(y) if k.len() == 4 && (1900..=2200).contains(&y) => y,
                    _ => {
                        self.err(ProfileErrorKind::BadYear, &ypath, format!("year keys are 4-digit years (1900–2200), found {k:?}"));
                        continue;
                    }
                };
                if yv.is_null() {
                    continue;
                }
                if let Some(s) = self.scalar(field, yv, &ypath) {
                    map.insert(year, s);
                }
            }
            // No year given (`{}`, or every year null) is no value: the field is unknown,
            // as a store or a table with no cell for it reads it.
            (!map.is_empty()).then_some(Value::Yearly(map))
        } else {
            self.scalar(field, v, path).map(Value::Scalar)
        }
    }

    fn scalar(&mut self, field: &Field, v: &Json, path: &Path<'_>) -> Option<Scalar> {
        let mut buf = String::new();
        let cell = json_cell(v, &mut buf).unwrap_or(Cell::Other("null"));
        self.cell(field, cell, path)
    }

    fn cell(&mut self, field: &Field, v: Cell<'_>, path: &Path<'_>) -> Option<Scalar> {
        match &field.ty {
            FieldType::Bool => match v.as_bool() {
                Some(b) => Some(Scalar::Bool(b)),
                None => {
                    self.wrong_kind(path, "true or false", v.kind());
                    None
                }
            },
            FieldType::Decimal(unit) | FieldType::Integer(unit) => {
                let integer = matches!(field.ty, FieldType::Integer(_));
                self.number(field, *unit, integer, v, path).map(Scalar::Num)
            }
            FieldType::Date => {
                let Some(parsed) = v.as_date() else {
                    self.wrong_kind(path, "a date string YYYY-MM-DD", v.kind());
                    return None;
                };
                match parsed {
                    Ok(d) => Some(Scalar::Date(d)),
                    Err(e) => {
                        self.err(ProfileErrorKind::BadDate, path, e.to_string());
                        None
                    }
                }
            }
            FieldType::Enum(e) => {
                let def = self.schema.enum_def(*e)?;
                let Some(s) = v.as_str() else {
                    self.wrong_kind(path, &format!("one of {}", enum_choices(def)), v.kind());
                    return None;
                };
                match def.index_of(s.trim()) {
                    Some(i) => Some(Scalar::Enum(i)),
                    None => {
                        let hint = crate::suggest::closest(s, def.values.iter().flat_map(|x| [x.code.as_str(), x.label.as_str()]))
                            .map(|h| format!("; did you mean {h:?}?"))
                            .unwrap_or_default();
                        self.err(
                            ProfileErrorKind::BadEnum,
                            path,
                            format!("{s:?} is not a value of {} (one of {}){hint}", def.name, enum_choices(def)),
                        );
                        None
                    }
                }
            }
            FieldType::Code(sys) => {
                let system = self.schema.codes.get(*sys)?;
                let number = match v {
                    Cell::Number(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Some(n.to_string()),
                    Cell::Int(n) if n >= 0 => Some(n.to_string()),
                    _ => None,
                };
                if let (Some(n), true) = (&number, system.has_leading_zeros()) {
                    self.err(
                        ProfileErrorKind::BadCode,
                        path,
                        format!(
                            "{} codes are written as text: the number {n} may have lost a leading zero (\"0{n}\" and \"{n}\" are different codes)",
                            system.name()
                        ),
                    );
                    return None;
                }
                let raw = match v {
                    Cell::Str(s) => s.to_string(),
                    _ if number.is_some() => number.unwrap_or_default(),
                    _ => {
                        self.wrong_kind(path, &format!("a {} code string", system.name()), v.kind());
                        return None;
                    }
                };
                match system.normalize_lenient(&raw) {
                    Ok((c, known)) => {
                        if !known {
                            let hint = system.normalize(&raw).err().map(|e| e.to_string()).unwrap_or_default();
                            self.warnings.push(ProfileWarning {
                                path: path.to_string(),
                                message: format!(
                                    "{} code {raw} {UNKNOWN_CODE} ({hint}); it is kept, and matches only conditions on its ancestors",
                                    system.name()
                                ),
                            });
                        }
                        if let Some(target) = system.historical_target(&raw) {
                            self.warnings.push(ProfileWarning {
                                path: path.to_string(),
                                message: format!("historical {} code {raw} mapped to current code {target}", system.name()),
                            });
                        }
                        Some(Scalar::Code(c))
                    }
                    Err(e) => {
                        self.err(ProfileErrorKind::BadCode, path, e.to_string());
                        None
                    }
                }
            }
            FieldType::Text => {
                let Some(s) = v.as_str() else {
                    self.wrong_kind(path, "a string", v.kind());
                    return None;
                };
                if field.format.as_deref() == Some("uscc") {
                    match uscc::check(s) {
                        UsccCheck::Valid => {}
                        UsccCheck::CheckMismatch { expected, found } => self.warnings.push(ProfileWarning {
                            path: path.to_string(),
                            message: format!("统一社会信用代码 check character is {found:?} but GB 32100-2015 gives {expected:?} (early pilot codes fail this legitimately; verify the code)"),
                        }),
                        UsccCheck::Malformed(why) => {
                            self.err(ProfileErrorKind::BadUscc, path, format!("统一社会信用代码 {s:?} {why}"));
                            return None;
                        }
                    }
                    return Some(Scalar::Text(s.trim().to_ascii_uppercase()));
                }
                Some(Scalar::Text(s.to_string()))
            }
            FieldType::Tags | FieldType::Qualifications | FieldType::Records(_) => None,
        }
    }

    fn number(&mut self, field: &Field, unit: Unit, integer: bool, v: Cell<'_>, path: &Path<'_>) -> Option<Decimal> {
        let (value, written_unit) = match v {
            // serde_json prints a float with the shortest representation that reads back
            // the same, so `12.3` becomes exactly 12.3 here, not 12.300000000000000710.
            Cell::Decimal(d) => (d, unit),
            Cell::Int(n) => (Decimal::from(n), unit),
            Cell::Float(f) => {
                let mut buf = [0u8; 40];
                let text = float_text(f, &mut buf);
                match text.and_then(json_number) {
                    Some(d) => (d, unit),
                    None => {
                        // Named as JSON prints it (`1e+300`), as a number cell's text is.
                        let shown = text.map_or_else(|| f.to_string(), str::to_string);
                        self.err(ProfileErrorKind::BadNumber, path, format!("number {shown} is not finite or out of range"));
                        return None;
                    }
                }
            }
            Cell::Number(n) => match json_number(n) {
                Some(d) => (d, unit),
                None => {
                    self.err(ProfileErrorKind::BadNumber, path, format!("number {n} is out of range"));
                    return None;
                }
            },
            Cell::Str(s) => match units::parse_quantity(s) {
                Some((d, Unit::Plain)) => (d, unit),
                Some((d, u)) => (d, u),
                None => {
                    self.err(
                        ProfileErrorKind::BadNumber,
                        path,
                        format!("{s:?} is not a number with an optional unit (e.g. 500, \"500万\", \"12%\")"),
                    );
                    return None;
                }
            },
            _ => {
                self.wrong_kind(
                    path,
                    &format!("a number in {}", if unit == Unit::Plain { "plain units".to_string() } else { unit.to_string() }),
                    v.kind(),
                );
                return None;
            }
        };
        if written_unit.dim() != unit.dim() {
            self.err(
                ProfileErrorKind::UnitMismatch,
                path,
                format!(
                    "{} is in {} ({}), but the value is written in {} ({})",
                    field.name,
                    unit,
                    unit.dim().en(),
                    written_unit,
                    written_unit.dim().en()
                ),
            );
            return None;
        }
        if written_unit == Unit::Percent && unit != Unit::Percent {
            // `50%` is 0.5 only where the field is a percentage; in a count, a rank or a
            // width it is a unit mix-up, not a number.
            self.err(ProfileErrorKind::UnitMismatch, path, format!("{} is a plain number, not a percentage; found {value}%", field.name));
            return None;
        }
        let Some(base) = written_unit.to_base(value) else {
            self.err(ProfileErrorKind::BadNumber, path, "number is out of range".into());
            return None;
        };
        if integer && !base.fract().is_zero() {
            self.err(ProfileErrorKind::NotAnInteger, path, format!("{} is a whole number, found {value}", field.name));
            return None;
        }
        if base.is_sign_negative() && !base.is_zero() && !field.allow_negative {
            self.err(ProfileErrorKind::Negative, path, format!("{} cannot be negative, found {value}", field.name));
            return None;
        }
        Some(base)
    }

    /// The records of a `records` field: an array of objects keyed by record field name
    /// or label; an absent or null entry is unknown.
    fn records(&mut self, field: &Field, v: &Json, path: &Path<'_>) -> Option<Vec<Record>> {
        let def = self.schema.record_def(field.id)?;
        let Some(arr) = v.as_array() else {
            self.wrong_type(path, "an array of records (objects)", v);
            return None;
        };
        if arr.len() > MAX_RECORDS {
            self.err(
                ProfileErrorKind::BadRecord,
                path,
                format!("{} records of {}, more than the limit of {MAX_RECORDS} (docs/limits.md)", arr.len(), field.name),
            );
            return None;
        }
        let mut out = Vec::with_capacity(arr.len());
        let errors_before = self.errors.len();
        for (i, r) in arr.iter().enumerate() {
            let rpath = path.index(i);
            let Some(obj) = r.as_object() else {
                let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                self.wrong_type(&rpath, &format!("a record object {{{}}}", names.join(", ")), r);
                continue;
            };
            let mut bufs: Vec<String> = vec![String::new(); obj.len()];
            let entries = obj.iter().zip(bufs.iter_mut()).filter_map(|((k, v), buf)| json_cell(v, buf).map(|c| (k.as_str(), c)));
            let rec = self.record(field, entries, &rpath);
            out.push(rec);
        }
        (self.errors.len() == errors_before).then_some(out)
    }

    /// One record of `field` from its entries (null entries left out): unknown where a
    /// record field is absent; an unknown key or a value that does not fit is an error
    /// (the record is still returned, so every problem of a list is reported).
    fn record<'a>(&mut self, field: &Field, entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>, rpath: &Path<'_>) -> Record {
        let Some(def) = self.schema.record_def(field.id) else { return Record::default() };
        let mut rec = Record(vec![None; def.fields.len()]);
        for (k, val) in entries {
            if k.starts_with('$') {
                continue;
            }
            let kpath = rpath.key(k);
            let Some(rf) = def.field(k) else {
                let hint = def.suggest_field(k).map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
                let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                self.err(
                    ProfileErrorKind::UnknownField,
                    &kpath,
                    format!("unknown key {k:?} in a record of {}{hint} (keys: {})", field.name, names.join(", ")),
                );
                continue;
            };
            if rec.0.get(rf.id).is_some_and(Option::is_some) {
                self.err(ProfileErrorKind::BadRecord, &kpath, format!("record field {} is given twice (by name and by label)", rf.name));
                continue;
            }
            if let Some(v) = self.cell(rf, val, &kpath) {
                if let Some(slot) = rec.0.get_mut(rf.id) {
                    *slot = Some(v);
                }
            }
        }
        rec
    }

    fn qualifications(&mut self, v: &Json, path: &Path<'_>) -> Option<Vec<Qualification>> {
        let Some(arr) = v.as_array() else {
            self.wrong_type(path, "an array of qualifications", v);
            return None;
        };
        let mut out = Vec::new();
        for (i, q) in arr.iter().enumerate() {
            let qpath = path.index(i);
            let Some(obj) = q.as_object() else {
                self.wrong_type(&qpath, "an object {code, level, granted_on, expires_on, first_grant}", q);
                continue;
            };
            let mut bufs: Vec<String> = vec![String::new(); obj.len()];
            let entries = obj.iter().zip(bufs.iter_mut()).filter_map(|((k, v), buf)| json_cell(v, buf).map(|c| (k.as_str(), c)));
            if let Some(q) = self.qualification(entries, &qpath) {
                out.push(q);
            }
        }
        Some(out)
    }

    /// One qualification from its entries (null entries left out).
    fn qualification<'a>(&mut self, entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>, qpath: &Path<'_>) -> Option<Qualification> {
        let mut ok = true;
        let mut qual = None;
        let mut entry = Qualification { qual: 0, level: None, granted_on: None, expires_on: None, first_grant: None, unknown: false };
        for (k, val) in entries {
            let kpath = qpath.key(k);
            if k.starts_with('$') {
                continue;
            }
            match k {
                "code" => match val.as_str().map(|s| self.schema.qualification(s.trim())) {
                    Some(Some(idx)) => qual = Some(idx),
                    Some(None) => {
                        let s = val.as_str().unwrap_or_default();
                        let hint =
                            crate::suggest::closest(s, self.schema.qualifications.iter().flat_map(|q| [q.code.as_str(), q.label.as_str()]))
                                .map(|h| format!("; did you mean {h:?}?"))
                                .unwrap_or_default();
                        self.err(ProfileErrorKind::BadQualification, &kpath, format!("unknown qualification {s:?}{hint}"));
                        ok = false;
                    }
                    None => {
                        self.wrong_kind(&kpath, "a qualification code", val.kind());
                        ok = false;
                    }
                },
                "level" => match val.as_str().map(|s| self.schema.qualification_level(s.trim())) {
                    Some(Some(l)) => entry.level = Some(l),
                    _ => {
                        let levels: Vec<&str> = self.schema.qualification_levels.iter().map(|l| l.code.as_str()).collect();
                        self.err(ProfileErrorKind::BadQualification, &kpath, format!("level must be one of {}", levels.join(", ")));
                        ok = false;
                    }
                },
                "granted_on" | "expires_on" => match val.as_date() {
                    Some(Ok(d)) => {
                        if k == "granted_on" {
                            entry.granted_on = Some(d);
                        } else {
                            entry.expires_on = Some(d);
                        }
                    }
                    Some(Err(e)) => {
                        self.err(ProfileErrorKind::BadDate, &kpath, e.to_string());
                        ok = false;
                    }
                    None => {
                        self.wrong_kind(&kpath, "a date string YYYY-MM-DD", val.kind());
                        ok = false;
                    }
                },
                "first_grant" => match val.as_bool() {
                    Some(b) => entry.first_grant = Some(b),
                    None => {
                        self.wrong_kind(&kpath, "true (first grant) or false (renewal)", val.kind());
                        ok = false;
                    }
                },
                "status" => match val.as_str() {
                    Some("unknown") => entry.unknown = true,
                    Some("held") => {}
                    _ => {
                        self.err(
                            ProfileErrorKind::BadQualification,
                            &kpath,
                            "status is \"held\" (the default) or \"unknown\" (whether it is held is not known)".into(),
                        );
                        ok = false;
                    }
                },
                "certificate_no" | "issuer" | "batch" | "note" => {}
                other => {
                    self.err(
                        ProfileErrorKind::UnknownField,
                        &kpath,
                        format!("unknown key {other:?} in a qualification (code, status, level, granted_on, expires_on, first_grant, certificate_no, issuer, batch, note)"),
                    );
                    ok = false;
                }
            }
        }
        if let (Some(g), Some(e)) = (entry.granted_on, entry.expires_on) {
            if e < g {
                self.err(ProfileErrorKind::BadQualification, &qpath.key("expires_on"), format!("expires_on {e} is before granted_on {g}"));
                ok = false;
            }
        }
        if entry.unknown
            && (entry.level.is_some() || entry.granted_on.is_some() || entry.expires_on.is_some() || entry.first_grant.is_some())
        {
            self.err(
                ProfileErrorKind::BadQualification,
                qpath,
                "a qualification of unknown status has no level, dates or first_grant (list a grant that is known as its own entry)".into(),
            );
            ok = false;
        }
        match qual {
            Some(q) if ok => {
                entry.qual = q;
                Some(entry)
            }
            Some(_) => None,
            None if ok => {
                self.err(ProfileErrorKind::BadQualification, qpath, "a qualification needs a \"code\"".into());
                None
            }
            None => None,
        }
    }
}

fn enum_choices(def: &crate::schema::EnumDef) -> String {
    def.values.iter().map(|v| format!("{} ({})", v.code, v.label)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests assert by panicking")]

    use super::float_text;

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
