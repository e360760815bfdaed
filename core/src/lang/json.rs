//! Reading the JSON form of a syntax tree (what platforms send instead of a condition text).
//!
//! The tree is written by serde's derived `Serialize` for [`Expr`] (`{"kind": "compare",
//! "op": "ge", "lhs": {…}, "rhs": {…}, "span": {…}}`) but read here, by hand, from a
//! [`serde_json::Value`]. serde's derived reader for an internally tagged enum flattened
//! into a struct buffers every node through serde's private `Content` type: slower, and
//! about 100 KB of WebAssembly for one tree type. Reading by hand also gives better errors:
//! the path of the bad node (`$.lhs.items[2]`), unknown fields are refused rather than
//! ignored, and an unknown kind gets a "did you mean". The round trip through the
//! serializer is tested (proptest, core/tests/oracle/props.rs).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::ast::{BandRow, Expr, ExprKind, Period, Span};
use crate::date::{Date, Duration};

/// A tree that does not decode: where (a JSON path from the tree's root) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("syntax tree at {path}: {message}")]
pub struct TreeError {
    pub path: String,
    pub message: String,
}

fn error(path: &str, message: impl Into<String>) -> TreeError {
    TreeError { path: path.to_string(), message: message.into() }
}

/// Every `kind` of node, as written.
const KINDS: [&str; 24] = [
    "bool",
    "number",
    "date",
    "duration",
    "text",
    "regex",
    "as_of",
    "fiscal_year",
    "name",
    "at",
    "year_range",
    "neg",
    "not",
    "binary",
    "compare",
    "between",
    "in",
    "under",
    "contains",
    "matches",
    "if",
    "call",
    "list",
    "band",
];

impl TryFrom<Value> for Expr {
    type Error = TreeError;
    fn try_from(v: Value) -> Result<Expr, Self::Error> {
        expr_from_json(&v)
    }
}

/// Reads an [`Expr`] through a [`Value`] and [`expr_from_json`] (what
/// `#[serde(try_from = "serde_json::Value")]` would generate; written here so that the
/// syntax tree does not depend on its JSON reader).
impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Expr, D::Error> {
        let v = Value::deserialize(deserializer)?;
        Expr::try_from(v).map_err(serde::de::Error::custom)
    }
}

/// Decodes a tree from its JSON form.
pub fn expr_from_json(v: &Value) -> Result<Expr, TreeError> {
    let e = node(v, "$")?;
    e.check_depth().map_err(|m| error("$", m))?;
    Ok(e)
}

/// The fields of one JSON object, taken one by one; what is left over is an error.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
    taken: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn of(v: &'a Value, path: &'a str, what: &str) -> Result<Fields<'a>, TreeError> {
        match v {
            Value::Object(map) => Ok(Fields { map, path, taken: Vec::new() }),
            _ => Err(error(path, format!("expected {what} (a JSON object), found {}", kind_of(v)))),
        }
    }

    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// A field that may be absent (or null).
    fn optional(&mut self, key: &'static str) -> Option<&'a Value> {
        self.taken.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&mut self, key: &'static str) -> Result<&'a Value, TreeError> {
        self.optional(key).ok_or_else(|| error(self.path, format!("missing field \"{key}\"")))
    }

    fn string(&mut self, key: &'static str) -> Result<String, TreeError> {
        let v = self.required(key)?;
        v.as_str().map(str::to_string).ok_or_else(|| error(&self.at(key), format!("expected a string, found {}", kind_of(v))))
    }

    fn boolean(&mut self, key: &'static str) -> Result<bool, TreeError> {
        let v = self.required(key)?;
        v.as_bool().ok_or_else(|| error(&self.at(key), format!("expected true or false, found {}", kind_of(v))))
    }

    fn unsigned(&mut self, key: &'static str) -> Result<u32, TreeError> {
        let v = self.required(key)?;
        unsigned(v, &self.at(key))
    }

    /// A unit-like enum written as its serde name (`"ge"`, `"wan"`, `"any"`).
    fn named<T: DeserializeOwned>(&mut self, key: &'static str) -> Result<T, TreeError> {
        let v = self.required(key)?;
        let path = self.at(key);
        let s = v.as_str().ok_or_else(|| error(&path, format!("expected a name, found {}", kind_of(v))))?;
        T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).map_err(|e| error(&path, e.to_string()))
    }

    fn expr(&mut self, key: &'static str) -> Result<Box<Expr>, TreeError> {
        let v = self.required(key)?;
        node(v, &self.at(key)).map(Box::new)
    }

    fn exprs(&mut self, key: &'static str) -> Result<Vec<Expr>, TreeError> {
        let v = self.required(key)?;
        let path = self.at(key);
        let items = v.as_array().ok_or_else(|| error(&path, format!("expected an array, found {}", kind_of(v))))?;
        items.iter().enumerate().map(|(i, x)| node(x, &format!("{path}[{i}]"))).collect()
    }

    fn period(&mut self, key: &'static str) -> Result<Period, TreeError> {
        let v = self.required(key)?;
        period(v, &self.at(key))
    }

    /// Refuses fields that were not asked for.
    fn finish(self) -> Result<(), TreeError> {
        match self.map.keys().find(|k| !self.taken.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => {
                let hint =
                    crate::suggest::closest(k, self.taken.iter().copied()).map(|n| format!(" (did you mean \"{n}\"?)")).unwrap_or_default();
                Err(error(self.path, format!("unknown field \"{k}\"{hint}; expected one of {}", self.taken.join(", "))))
            }
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unsigned(v: &Value, path: &str) -> Result<u32, TreeError> {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| error(path, format!("expected a whole number ≥ 0, found {v}")))
}

fn integer(v: &Value, path: &str) -> Result<i64, TreeError> {
    v.as_i64().ok_or_else(|| error(path, format!("expected a whole number, found {v}")))
}

/// `{"fy": 1}` or `{"year": 2024}`.
fn period(v: &Value, path: &str) -> Result<Period, TreeError> {
    let mut f = Fields::of(v, path, "a period")?;
    let p = match (f.optional("fy"), f.optional("year")) {
        (Some(k), None) => Period::Fy(unsigned(k, &f.at("fy"))?),
        (None, Some(y)) => {
            let y = integer(y, &f.at("year"))?;
            Period::Year(i32::try_from(y).map_err(|_| error(&f.at("year"), format!("year {y} is out of range")))?)
        }
        _ => return Err(error(path, "a period is {\"fy\": N} or {\"year\": YYYY}")),
    };
    f.finish()?;
    Ok(p)
}

/// `{"years": 1}`, `{"months": 6}` or `{"days": 365}`.
fn duration(v: &Value, path: &str) -> Result<Duration, TreeError> {
    let mut f = Fields::of(v, path, "a duration")?;
    let d = match (f.optional("years"), f.optional("months"), f.optional("days")) {
        (Some(n), None, None) => Duration::Years(integer(n, &f.at("years"))?),
        (None, Some(n), None) => Duration::Months(integer(n, &f.at("months"))?),
        (None, None, Some(n)) => Duration::Days(integer(n, &f.at("days"))?),
        _ => return Err(error(path, "a duration is {\"years\": N}, {\"months\": N} or {\"days\": N}")),
    };
    f.finish()?;
    Ok(d)
}

fn span(v: &Value, path: &str) -> Result<Span, TreeError> {
    let mut f = Fields::of(v, path, "a span")?;
    let start = f.unsigned("start")?;
    let end = f.unsigned("end")?;
    f.finish()?;
    Ok(Span { start, end })
}

fn band_row(v: &Value, path: &str) -> Result<BandRow, TreeError> {
    let mut f = Fields::of(v, path, "a band row")?;
    let row = BandRow { op: f.named("op")?, threshold: *f.expr("threshold")?, score: *f.expr("score")? };
    f.finish()?;
    Ok(row)
}

fn node(v: &Value, path: &str) -> Result<Expr, TreeError> {
    use ExprKind as K;
    let mut f = Fields::of(v, path, "a node")?;
    let kind = f.string("kind")?;
    let span = match f.optional("span") {
        Some(s) => span(s, &f.at("span"))?,
        None => Span::default(),
    };
    let k = match kind.as_str() {
        "bool" => K::Bool { value: f.boolean("value")? },
        "number" => K::Number { value: f.string("value")?, unit: f.named("unit")? },
        "date" => {
            let s = f.string("value")?;
            K::Date { value: Date::parse(&s).map_err(|e| error(&f.at("value"), e.to_string()))? }
        }
        "duration" => {
            let d = f.required("value")?;
            K::Duration { value: duration(d, &f.at("value"))? }
        }
        "text" => K::Text { value: f.string("value")? },
        "regex" => K::Regex { pattern: f.string("pattern")? },
        "as_of" => K::AsOf,
        "fiscal_year" => K::FiscalYear { k: f.unsigned("k")? },
        "name" => K::Name { name: f.string("name")? },
        "at" => {
            let expr = f.expr("expr")?;
            let period = f.period("period")?;
            let to = match f.optional("to") {
                Some(t) => Some(self::period(t, &f.at("to"))?),
                None => None,
            };
            K::At { expr, period, to }
        }
        "year_range" => K::YearRange { from: f.period("from")?, to: f.period("to")? },
        "neg" => K::Neg { expr: f.expr("expr")? },
        "not" => K::Not { expr: f.expr("expr")? },
        "binary" => K::Binary { op: f.named("op")?, lhs: f.expr("lhs")?, rhs: f.expr("rhs")? },
        "compare" => K::Compare { op: f.named("op")?, lhs: f.expr("lhs")?, rhs: f.expr("rhs")? },
        "between" => K::Between {
            expr: f.expr("expr")?,
            low: f.expr("low")?,
            high: f.expr("high")?,
            low_inclusive: f.boolean("low_inclusive")?,
            high_inclusive: f.boolean("high_inclusive")?,
        },
        "in" => K::In { expr: f.expr("expr")?, items: f.exprs("items")?, negated: f.boolean("negated")? },
        "under" => K::Under { expr: f.expr("expr")?, codes: f.exprs("codes")? },
        "contains" => K::Contains { expr: f.expr("expr")?, mode: f.named("mode")?, items: f.exprs("items")? },
        "matches" => K::Matches { expr: f.expr("expr")?, pattern: f.string("pattern")? },
        "if" => K::If { cond: f.expr("cond")?, then: f.expr("then")?, otherwise: f.expr("otherwise")? },
        "call" => K::Call { function: f.string("function")?, args: f.exprs("args")? },
        "list" => K::List { items: f.exprs("items")? },
        "band" => {
            let expr = f.expr("expr")?;
            let rows_path = f.at("rows");
            let rows = f.required("rows")?;
            let rows = rows.as_array().ok_or_else(|| error(&rows_path, format!("expected an array, found {}", kind_of(rows))))?;
            let rows = rows.iter().enumerate().map(|(i, r)| band_row(r, &format!("{rows_path}[{i}]"))).collect::<Result<Vec<_>, _>>()?;
            let otherwise = match f.optional("otherwise") {
                Some(o) => Some(Box::new(node(o, &f.at("otherwise"))?)),
                None => None,
            };
            K::Band { expr, rows, otherwise }
        }
        other => {
            let hint = crate::suggest::closest(other, KINDS).map(|n| format!(" (did you mean \"{n}\"?)")).unwrap_or_default();
            return Err(error(&f.at("kind"), format!("unknown kind \"{other}\"{hint}")));
        }
    };
    f.finish()?;
    Ok(Expr::new(k, span))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

    use super::*;

    fn round_trip(text: &str) {
        let e = crate::lang::parse(text).unwrap();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(expr_from_json(&v).unwrap(), e, "{text}");
    }

    #[test]
    fn every_kind_round_trips() {
        for t in [
            "true and not false",
            "registered_capital >= 500万 and employees@fy1 between [10, 200)",
            "employees@2024 < 300 or all_years(fy1..fy2, rd_expense / operating_revenue >= 3%)",
            "sum(revenue@fy1..fy3) >= 1亿",
            "established_on <= as_of - 1y and established_on > 2020-01-01",
            "industry under [C39, I65] and tax_credit@fy1 in [A, B]",
            "scope contains_any [\"a\", \"b\"] and tags contains \"x\" and name matches /软件/ and s contains_all [\"c\"]",
            "if employees@fy1 > 100 then 1 else 2",
            "band(rd_ratio@fy1; >= 6%: 50, >= 3%: 30, else: 1) + band(x; > 1: 2)",
            "-(1 + 2) * 3 / 4 = fy1",
            "size_class not in [micro]",
        ] {
            round_trip(t);
        }
    }

    #[test]
    fn every_listed_kind_is_decoded() {
        // KINDS (the did-you-mean list) and the decoder's match must name the same kinds:
        // a listed kind without its fields is a missing field, never an unknown kind.
        for k in KINDS {
            match expr_from_json(&serde_json::json!({ "kind": k })) {
                Ok(e) => assert_eq!(e.kind, ExprKind::AsOf, "{k}"),
                Err(e) => assert!(e.message.starts_with("missing field"), "{k}: {}", e.message),
            }
        }
    }

    #[test]
    fn errors_name_the_path_and_the_problem() {
        let v: Value = serde_json::json!({"kind": "compare", "op": "ge", "lhs": {"kind": "name", "name": "x"}, "rhs": {"kind": "numbr"}});
        let e = expr_from_json(&v).unwrap_err();
        assert_eq!(e.path, "$.rhs.kind");
        assert_eq!(e.message, "unknown kind \"numbr\" (did you mean \"number\"?)");

        let v: Value = serde_json::json!({"kind": "not", "expr": {"kind": "bool", "value": true, "valu": 1}});
        let e = expr_from_json(&v).unwrap_err();
        assert_eq!(e.path, "$.expr");
        assert!(e.message.starts_with("unknown field \"valu\" (did you mean \"value\"?)"), "{}", e.message);

        let v: Value = serde_json::json!({"kind": "compare", "op": "greater", "lhs": {"kind": "as_of"}, "rhs": {"kind": "as_of"}});
        let e = expr_from_json(&v).unwrap_err();
        assert_eq!(e.path, "$.op");
        assert!(e.message.contains("unknown variant `greater`"), "{}", e.message);

        let v: Value = serde_json::json!({"kind": "list", "items": [{"kind": "as_of"}, 3]});
        assert_eq!(
            expr_from_json(&v).unwrap_err().to_string(),
            "syntax tree at $.items[1]: expected a node (a JSON object), found a number"
        );

        let v: Value = serde_json::json!({"kind": "at", "expr": {"kind": "name", "name": "x"}, "period": {"fy": 1, "year": 2024}});
        assert_eq!(expr_from_json(&v).unwrap_err().path, "$.period");
    }
}
