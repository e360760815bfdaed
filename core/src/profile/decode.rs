//! Decoding one profile's JSON against the schema: every field type, units, per-year
//! objects, qualifications and records, each problem with its JSON path.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::json::{float_text, json_number};
use super::lite::Node;
use super::*;
use crate::units::{self, Unit};

pub(super) struct Decoder<'s> {
    pub(super) schema: &'s Schema,
    pub(super) errors: Vec<ProfileError>,
    pub(super) warnings: Vec<ProfileWarning>,
}

impl Decoder<'_> {
    pub(super) fn err(&mut self, kind: ProfileErrorKind, path: &Path<'_>, message: String) {
        self.errors.push(ProfileError { kind, path: path.to_string(), message });
    }

    fn wrong_type<N: Node>(&mut self, path: &Path<'_>, expected: &str, found: &N) {
        self.wrong_kind(path, expected, found.kind());
    }

    fn wrong_kind(&mut self, path: &Path<'_>, expected: &str, found: &str) {
        self.err(ProfileErrorKind::WrongType, path, format!("expected {expected}, found {found}"));
    }

    pub(super) fn field<N: Node>(&mut self, field: &Field, v: &N, path: &Path<'_>) -> Option<Value> {
        match &field.ty {
            FieldType::Tags => {
                let Some(arr) = v.items() else {
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
            let Some(obj) = v.entries() else {
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

    fn scalar<N: Node>(&mut self, field: &Field, v: &N, path: &Path<'_>) -> Option<Scalar> {
        let mut buf = String::new();
        let cell = v.cell(&mut buf).unwrap_or(Cell::Other("null"));
        self.cell(field, cell, path)
    }

    pub(super) fn cell(&mut self, field: &Field, v: Cell<'_>, path: &Path<'_>) -> Option<Scalar> {
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
                            let hint = system.unknown_hint(&raw);
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
            Cell::Float(f) => match super::json::short_float(f) {
                Some(d) => (d, unit),
                None => {
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
            },
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
    fn records<N: Node>(&mut self, field: &Field, v: &N, path: &Path<'_>) -> Option<Vec<Record>> {
        let def = self.schema.record_def(field.id)?;
        let Some(arr) = v.items() else {
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
            let Some(obj) = r.entries() else {
                let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                self.wrong_type(&rpath, &format!("a record object {{{}}}", names.join(", ")), r);
                continue;
            };
            let mut bufs: Vec<String> = vec![String::new(); r.entry_count()];
            let entries = obj.zip(bufs.iter_mut()).filter_map(|((k, v), buf)| v.cell(buf).map(|c| (k, c)));
            let rec = self.record(field, entries, &rpath);
            out.push(rec);
        }
        (self.errors.len() == errors_before).then_some(out)
    }

    /// One record of `field` from its entries (null entries left out): unknown where a
    /// record field is absent; an unknown key or a value that does not fit is an error
    /// (the record is still returned, so every problem of a list is reported).
    pub(super) fn record<'a>(&mut self, field: &Field, entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>, rpath: &Path<'_>) -> Record {
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

    fn qualifications<N: Node>(&mut self, v: &N, path: &Path<'_>) -> Option<Vec<Qualification>> {
        let Some(arr) = v.items() else {
            self.wrong_type(path, "an array of qualifications", v);
            return None;
        };
        let mut out = Vec::new();
        for (i, q) in arr.iter().enumerate() {
            let qpath = path.index(i);
            let Some(obj) = q.entries() else {
                self.wrong_type(&qpath, "an object {code, level, granted_on, expires_on, first_grant}", q);
                continue;
            };
            let mut bufs: Vec<String> = vec![String::new(); q.entry_count()];
            let entries = obj.zip(bufs.iter_mut()).filter_map(|((k, v), buf)| v.cell(buf).map(|c| (k, c)));
            if let Some(q) = self.qualification(entries, &qpath) {
                out.push(q);
            }
        }
        Some(out)
    }

    /// One qualification from its entries (null entries left out).
    pub(super) fn qualification<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, Cell<'a>)>,
        qpath: &Path<'_>,
    ) -> Option<Qualification> {
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
