//! The enterprise profile schema: which fields an enterprise file (一企一档) has, their
//! types and units, the enums and qualification vocabulary, and the code systems fields
//! are bound to.
//!
//! The default schema and code tables are embedded at build time ([`Schema::embedded`]),
//! so the library needs no data folder; a user's schema file replaces them
//! ([`Schema::from_json`]). Names resolve by English name or Chinese label.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use crate::code::{CodeSystems, CodeTableError, SystemId};
use crate::units::{Dim, Unit};

/// Index of a field in its schema.
pub type FieldId = usize;
/// Index of an enum in its schema.
pub type EnumId = usize;
/// Index of a record type in its schema.
pub type RecordId = usize;

/// A schema could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("schema: {0}")]
    Json(#[from] serde_json::Error),
    #[error("schema: {0}")]
    Codes(#[from] CodeTableError),
    #[error("schema field {field:?}: {message}")]
    Field { field: String, message: String },
    #[error("schema: {0}")]
    Invalid(String),
}

/// The type of a field's value (per year, when the field is per-year).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    Bool,
    /// Exact decimal in a unit.
    Decimal(Unit),
    /// Whole number in a unit.
    Integer(Unit),
    Date,
    Enum(EnumId),
    /// Hierarchical code bound to a code system.
    Code(SystemId),
    /// A set of free labels.
    Tags,
    /// Dated qualifications.
    Qualifications,
    Text,
    /// A list of records of the schema's record type with this index (equipment
    /// purchases, hires, loans …): each record has typed fields of its own.
    Records(RecordId),
}

impl FieldType {
    /// The numeric dimension, for numeric types.
    pub fn dim(&self) -> Option<Dim> {
        match self {
            FieldType::Decimal(u) | FieldType::Integer(u) => Some(u.dim()),
            _ => None,
        }
    }
}

/// One field of the profile.
#[derive(Clone, Debug)]
pub struct Field {
    pub id: FieldId,
    pub name: String,
    pub label: String,
    pub description: String,
    pub ty: FieldType,
    pub per_year: bool,
    /// Special format check (`uscc`).
    pub format: Option<String>,
    /// Whether negative numbers are allowed (taxable income may be a loss).
    pub allow_negative: bool,
}

impl Field {
    /// A short type description for people (`万元, per year`).
    pub fn type_description(&self, schema: &Schema) -> String {
        let base = match &self.ty {
            FieldType::Bool => "bool".to_string(),
            FieldType::Decimal(u) => format!("decimal {u}"),
            FieldType::Integer(u) => format!("integer {u}"),
            FieldType::Date => "date".to_string(),
            FieldType::Enum(e) => format!("enum {}", schema.enums.get(*e).map_or("?", |e| e.name.as_str())),
            FieldType::Code(s) => format!("code {}", schema.codes.get(*s).map_or("?", |s| s.name())),
            FieldType::Tags => "tags".to_string(),
            FieldType::Qualifications => "qualifications".to_string(),
            FieldType::Text => "text".to_string(),
            FieldType::Records(r) => {
                let fields = schema.records.get(*r).map(|r| r.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "));
                format!("records {{{}}}", fields.unwrap_or_default())
            }
        };
        if self.per_year {
            format!("{base}, per year")
        } else {
            base
        }
    }
}

/// A value of an enum.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnumValue {
    pub code: String,
    pub label: String,
}

/// An enum: its values, and whether they are ordered (ordered enums allow `<`).
#[derive(Clone, Debug)]
pub struct EnumDef {
    pub id: EnumId,
    pub name: String,
    pub label: String,
    pub ordered: bool,
    /// In order, lowest first, when ordered.
    pub values: Vec<EnumValue>,
}

impl EnumDef {
    /// Index of a value by code or label.
    /// The value written `s`: its code or label; or, when exactly one value matches, its
    /// label without a generic suffix (`小` for 小型, `A` for A级, `一` for 一类) or with
    /// `企业` after it (`小型企业`) — how officers shorten labels in documents.
    pub fn index_of(&self, s: &str) -> Option<u32> {
        let exact = self.values.iter().position(|v| v.code == s || v.label == s);
        let short = || {
            let matches = |v: &&EnumValue| {
                v.label.strip_suffix(['型', '级', '类']).is_some_and(|l| !l.is_empty() && l == s)
                    || s.strip_suffix("企业").is_some_and(|t| !t.is_empty() && (t == v.label || t == v.code))
            };
            let mut hits = self.values.iter().enumerate().filter(|(_, v)| matches(v));
            match (hits.next(), hits.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        exact.or_else(short).and_then(|i| u32::try_from(i).ok())
    }

    /// The code of value `i`.
    pub fn code(&self, i: u32) -> &str {
        self.values.get(i as usize).map_or("?", |v| v.code.as_str())
    }

    /// The label of value `i`.
    pub fn label_of(&self, i: u32) -> &str {
        self.values.get(i as usize).map_or("?", |v| v.label.as_str())
    }
}

/// A qualification in the controlled vocabulary (高新技术企业 …).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualificationDef {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub validity_years: Option<u32>,
}

/// A derived field: an expression over other fields, checked when an engine is built.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DerivedDef {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// Declared result enum, when the expression yields enum values (`size_class`).
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_name: Option<String>,
    pub expr: String,
}

#[derive(Deserialize)]
struct RawEnum {
    #[serde(default)]
    label: String,
    #[serde(default)]
    ordered: bool,
    values: Vec<EnumValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    label: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    per_year: bool,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "enum")]
    enum_name: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    allow_negative: bool,
    /// The fields of each record, for a field of type `records`.
    #[serde(default)]
    fields: Option<Vec<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    enums: std::collections::BTreeMap<String, RawEnum>,
    #[serde(default)]
    qualification_levels: Vec<EnumValue>,
    #[serde(default)]
    qualifications: Vec<QualificationDef>,
    fields: Vec<RawField>,
    #[serde(default)]
    derived: Vec<DerivedDef>,
}

/// The fields of one record type: what each record of a `records` field holds.
#[derive(Clone, Debug)]
pub struct RecordDef {
    /// The collection field whose records these are.
    pub collection: FieldId,
    /// The unit of a count of these records (`人` for hires: `count(hires, …) >= 3人`).
    pub count_unit: Unit,
    /// The record's fields; a [`Field::id`] here is the index in this list.
    pub fields: Vec<Field>,
    by_name: HashMap<String, usize>,
}

impl RecordDef {
    /// A record field by English name or Chinese label.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name).and_then(|&i| self.fields.get(i))
    }

    /// The closest record field name or label to a misspelt one.
    pub fn suggest_field(&self, name: &str) -> Option<String> {
        crate::suggest::closest(name, self.by_name.keys().map(String::as_str))
    }
}

/// The schema of an enterprise profile.
#[derive(Clone, Debug)]
pub struct Schema {
    pub version: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub enums: Vec<EnumDef>,
    pub qualifications: Vec<QualificationDef>,
    /// Qualification levels, lowest first (区县级 < 市级 < 省级 < 国家级).
    pub qualification_levels: Vec<EnumValue>,
    pub derived: Vec<DerivedDef>,
    /// Record types, one per `records` field.
    pub records: Vec<RecordDef>,
    pub codes: CodeSystems,
    by_name: HashMap<String, FieldId>,
}

impl Schema {
    /// The default schema and code tables embedded in the library.
    pub fn embedded() -> Result<Schema, SchemaError> {
        Schema::embedded_with_codes(CodeSystems::embedded()?)
    }

    /// The embedded schema over other code tables (see [`CodeSystems::with_tables`]).
    pub fn embedded_with_codes(codes: CodeSystems) -> Result<Schema, SchemaError> {
        match crate::bundled::schema_text() {
            Some(text) => Schema::from_json(&text, codes),
            None => Err(SchemaError::Invalid(format!("{} (the schema's JSON text)", crate::bundled::NOT_BUNDLED))),
        }
    }
    /// Loads a schema from JSON text, binding code fields to `codes`.
    pub fn from_json(text: &str, codes: CodeSystems) -> Result<Schema, SchemaError> {
        let raw: RawSchema = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))?;
        let mut enums = Vec::new();
        for (i, (name, e)) in raw.enums.into_iter().enumerate() {
            if e.values.is_empty() {
                return Err(SchemaError::Invalid(format!("enum {name} has no values")));
            }
            enums.push(EnumDef { id: i, name, label: e.label, ordered: e.ordered, values: e.values });
        }
        let mut fields = Vec::new();
        let mut records = Vec::new();
        let mut by_name = HashMap::default();
        for (id, mut f) in raw.fields.into_iter().enumerate() {
            let raw_fields = f.fields.take();
            let err = |message: String| SchemaError::Field { field: f.name.clone(), message };
            if !is_snake_case(&f.name) {
                return Err(err("field names are lowercase snake_case".into()));
            }
            let ty = match (f.ty.as_str(), raw_fields) {
                ("records", Some(raw_fields)) => {
                    if f.per_year {
                        return Err(err("a records field is not per year (give each record a date)".into()));
                    }
                    // A records field's unit is that of a count of its records.
                    let count_unit = match &f.unit {
                        Some(u) => match Unit::parse(u) {
                            Some(unit) if matches!(unit.dim(), Dim::Persons | Dim::Count | Dim::Number) => unit,
                            _ => return Err(err(format!("the unit of a records field counts its records (人, 件 or none), not {u:?}"))),
                        },
                        None => Unit::Plain,
                    };
                    let mut rec = RecordDef { collection: id, count_unit, fields: Vec::new(), by_name: HashMap::default() };
                    if raw_fields.is_empty() {
                        return Err(err("a records field needs at least one record field in \"fields\"".into()));
                    }
                    for (rid, rf) in raw_fields.into_iter().enumerate() {
                        let rname = format!("{}.{}", f.name, rf.name);
                        let rerr = |message: String| SchemaError::Field { field: rname.clone(), message };
                        if rf.per_year || rf.fields.is_some() {
                            return Err(rerr("a record field is a single value: not per year, not records".into()));
                        }
                        let rty = field_type(&rf, &enums, &codes).map_err(rerr)?;
                        if matches!(rty, FieldType::Tags | FieldType::Qualifications | FieldType::Records(_)) {
                            return Err(rerr("a record field is bool, decimal, integer, date, enum, code or text".into()));
                        }
                        for key in [rf.name.clone(), rf.label.clone()] {
                            if rec.by_name.insert(key.clone(), rid).is_some() {
                                return Err(rerr(format!("name or label {key:?} is used twice in the record")));
                            }
                        }
                        rec.fields.push(Field {
                            id: rid,
                            name: rf.name,
                            label: rf.label,
                            description: rf.description,
                            ty: rty,
                            per_year: false,
                            format: rf.format,
                            allow_negative: rf.allow_negative,
                        });
                    }
                    records.push(rec);
                    FieldType::Records(records.len() - 1)
                }
                ("records", None) => return Err(err("a records field lists its record's fields in \"fields\"".into())),
                (_, Some(_)) => return Err(err("only a field of type \"records\" has \"fields\"".into())),
                (_, None) => field_type(&f, &enums, &codes).map_err(err)?,
            };
            for key in [f.name.clone(), f.label.clone()] {
                if by_name.insert(key.clone(), id).is_some() {
                    return Err(err(format!("name or label {key:?} is used twice")));
                }
            }
            fields.push(Field {
                id,
                name: f.name,
                label: f.label,
                description: f.description,
                ty,
                per_year: f.per_year,
                format: f.format,
                allow_negative: f.allow_negative,
            });
        }
        Ok(Schema {
            version: raw.version,
            description: raw.description,
            fields,
            enums,
            qualifications: raw.qualifications,
            qualification_levels: raw.qualification_levels,
            derived: raw.derived,
            records,
            codes,
            by_name,
        })
    }

    /// A field by English name or Chinese label.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name).and_then(|&i| self.fields.get(i))
    }

    /// A field by id.
    pub fn field_by_id(&self, id: FieldId) -> Option<&Field> {
        self.fields.get(id)
    }

    /// The closest field name or label to a misspelt one.
    pub fn suggest_field(&self, name: &str) -> Option<String> {
        crate::suggest::closest(name, self.by_name.keys().map(String::as_str))
    }

    /// The record type of a `records` field.
    pub fn record_def(&self, field: FieldId) -> Option<&RecordDef> {
        match self.fields.get(field)?.ty {
            FieldType::Records(r) => self.records.get(r),
            _ => None,
        }
    }

    /// An enum by id.
    pub fn enum_def(&self, id: EnumId) -> Option<&EnumDef> {
        self.enums.get(id)
    }

    /// A qualification by code or label.
    pub fn qualification(&self, s: &str) -> Option<usize> {
        self.qualifications.iter().position(|q| q.code == s || q.label == s)
    }

    /// A qualification level by code or label.
    pub fn qualification_level(&self, s: &str) -> Option<u32> {
        self.qualification_levels.iter().position(|q| q.code == s || q.label == s).and_then(|i| u32::try_from(i).ok())
    }
}

/// The type of a non-record field from its raw form (name checked, unit parsed).
fn field_type(f: &RawField, enums: &[EnumDef], codes: &CodeSystems) -> Result<FieldType, String> {
    if !is_snake_case(&f.name) {
        return Err("field names are lowercase snake_case".into());
    }
    let unit = match &f.unit {
        Some(u) => Some(Unit::parse(u).ok_or_else(|| format!("unknown unit {u:?}; known: {}", Unit::SPELLINGS.join(" ")))?),
        None => None,
    };
    let ty = match f.ty.as_str() {
        "bool" => FieldType::Bool,
        "decimal" => FieldType::Decimal(unit.unwrap_or(Unit::Plain)),
        "integer" => FieldType::Integer(unit.unwrap_or(Unit::Plain)),
        "date" => FieldType::Date,
        "enum" => {
            let n = f.enum_name.as_deref().ok_or("enum field needs \"enum\"")?;
            let e = enums.iter().position(|e| e.name == n).ok_or_else(|| format!("unknown enum {n:?}"))?;
            FieldType::Enum(e)
        }
        "code" => {
            let s = f.system.as_deref().ok_or("code field needs \"system\"")?;
            let id = codes.id(s).ok_or_else(|| format!("unknown code system {s:?}; known: {}", codes.names().join(", ")))?;
            FieldType::Code(id)
        }
        "tags" => FieldType::Tags,
        "qualifications" => FieldType::Qualifications,
        "text" => FieldType::Text,
        other => return Err(format!("unknown type {other:?}")),
    };
    if unit.is_some() && !matches!(ty, FieldType::Decimal(_) | FieldType::Integer(_)) {
        return Err("only decimal and integer fields have a unit".into());
    }
    Ok(ty)
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}
