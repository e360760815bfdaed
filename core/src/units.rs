//! Units and exact quantities.
//!
//! Every number in Huiqi is an exact [`Decimal`]; floats never enter a comparison. A number
//! carries a [`Dim`] (money, persons, counts, years, months, or a plain number such as a
//! ratio). Values are stored in the dimension's base unit — money in 元, ratios as plain
//! fractions (`3%` is stored as `0.03`) — so converting 万元 to 元 is an exact
//! multiplication and comparing `300万元` with `3000000元` is plain decimal comparison.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Physical dimension of a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// A plain number: ratios, percentages, scores.
    Number,
    /// Money, base unit 元.
    Money,
    /// Headcount, base unit 人.
    Persons,
    /// Counts of things (patents, copyrights), base unit 件.
    Count,
    /// Years as a quantity (从事细分市场年限).
    Years,
    /// Months as a quantity (缴费月数).
    Months,
}

impl Dim {
    /// Chinese name used in messages.
    pub fn zh(self) -> &'static str {
        match self {
            Dim::Number => "数值",
            Dim::Money => "金额",
            Dim::Persons => "人数",
            Dim::Count => "数量",
            Dim::Years => "年数",
            Dim::Months => "月数",
        }
    }

    /// English name used in messages.
    pub fn en(self) -> &'static str {
        match self {
            Dim::Number => "number",
            Dim::Money => "money",
            Dim::Persons => "persons",
            Dim::Count => "count",
            Dim::Years => "years",
            Dim::Months => "months",
        }
    }

    /// Whether a bare number literal (no unit) may stand for this dimension.
    /// Money may not: `500` could mean 元 or 万元, so the author must say.
    pub fn accepts_bare_number(self) -> bool {
        !matches!(self, Dim::Money)
    }
}

/// A unit as written in a schema or a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "元")]
    Yuan,
    #[serde(rename = "万元")]
    WanYuan,
    #[serde(rename = "亿元")]
    YiYuan,
    #[serde(rename = "人")]
    Person,
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "年")]
    Year,
    #[serde(rename = "月")]
    Month,
    #[serde(rename = "件")]
    Piece,
    #[serde(rename = "个")]
    Ge,
    #[serde(rename = "项")]
    Xiang,
    /// No unit: a plain number.
    #[serde(rename = "")]
    Plain,
}

impl Unit {
    /// Parses a unit as written in a schema (`"万元"`, `"%"`, `"人"`).
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "元" => Unit::Yuan,
            "万元" | "万" => Unit::WanYuan,
            "亿元" | "亿" => Unit::YiYuan,
            "人" => Unit::Person,
            "%" => Unit::Percent,
            "年" => Unit::Year,
            "月" => Unit::Month,
            "件" => Unit::Piece,
            "个" => Unit::Ge,
            "项" => Unit::Xiang,
            "" => Unit::Plain,
            _ => return None,
        })
    }

    /// All unit spellings, for "did you mean" and error messages.
    pub const SPELLINGS: &'static [&'static str] = &["元", "万元", "亿元", "万", "亿", "人", "%", "年", "月", "件", "个", "项"];

    /// The unit's dimension.
    pub fn dim(self) -> Dim {
        match self {
            Unit::Yuan | Unit::WanYuan | Unit::YiYuan => Dim::Money,
            Unit::Person => Dim::Persons,
            Unit::Percent | Unit::Plain => Dim::Number,
            Unit::Year => Dim::Years,
            Unit::Month => Dim::Months,
            Unit::Piece | Unit::Ge | Unit::Xiang => Dim::Count,
        }
    }

    /// Exact factor from this unit to its dimension's base unit.
    pub fn scale(self) -> Decimal {
        match self {
            Unit::WanYuan => Decimal::from(10_000),
            Unit::YiYuan => Decimal::from(100_000_000),
            Unit::Percent => Decimal::new(1, 2),
            _ => Decimal::ONE,
        }
    }

    /// Converts a number written in this unit to the base unit; `None` on overflow.
    pub fn to_base(self, v: Decimal) -> Option<Decimal> {
        v.checked_mul(self.scale())
    }

    /// Converts a base-unit value into this unit; `None` on overflow.
    pub fn from_base(self, v: Decimal) -> Option<Decimal> {
        v.checked_div(self.scale())
    }

    /// The unit's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Yuan => "元",
            Unit::WanYuan => "万元",
            Unit::YiYuan => "亿元",
            Unit::Person => "人",
            Unit::Percent => "%",
            Unit::Year => "年",
            Unit::Month => "月",
            Unit::Piece => "件",
            Unit::Ge => "个",
            Unit::Xiang => "项",
            Unit::Plain => "",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Formats a base-unit value of a dimension for people: money in 万元 (or 元 below 1万),
/// plain numbers as given, persons with 人.
pub fn display(v: Decimal, dim: Dim) -> String {
    match dim {
        Dim::Money => {
            let wan = Decimal::from(10_000);
            if v.abs() >= wan {
                format!("{}万元", trim(v / wan))
            } else {
                format!("{}元", trim(v))
            }
        }
        Dim::Number => trim(v),
        Dim::Persons => format!("{}人", trim(v)),
        Dim::Count => format!("{}件", trim(v)),
        Dim::Years => format!("{}年", trim(v)),
        Dim::Months => format!("{}个月", trim(v)),
    }
}

/// Formats a plain number as a percentage (`0.021` → `2.1%`).
pub fn display_percent(v: Decimal) -> String {
    format!("{}%", trim(v * Decimal::from(100)))
}

/// Decimal without trailing zeros, rounded to 4 places for display only.
pub fn trim(v: Decimal) -> String {
    v.round_dp(4).normalize().to_string()
}

/// Parses a decimal literal (digits with an optional fraction) exactly.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    use std::str::FromStr;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return None;
    }
    Decimal::from_str(s).ok()
}

/// Parses a quantity as people write it in data: `"500万"`, `"300万元"`, `"55%"`, `"12"`.
/// Returns the number as written and its unit (`Plain` when none).
pub fn parse_quantity(s: &str) -> Option<(Decimal, Unit)> {
    let s = s.trim();
    let split = s.char_indices().find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '-')).map_or(s.len(), |(i, _)| i);
    let (num, unit) = s.split_at(split);
    let unit = Unit::parse(unit.trim())?;
    Some((parse_decimal(num)?, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_units_convert_exactly() {
        let wan = Unit::WanYuan.to_base(Decimal::from(300)).unwrap();
        assert_eq!(wan, Decimal::from(3_000_000));
        let yi = Unit::YiYuan.to_base(Decimal::from(2)).unwrap();
        assert_eq!(yi, Decimal::from(20_000) * Decimal::from(10_000));
        assert_eq!(Unit::WanYuan.from_base(yi).unwrap(), Decimal::from(20_000));
        // 0.1万元 is exactly 1000元: no binary float anywhere.
        let tenth = Unit::WanYuan.to_base(parse_decimal("0.1").unwrap()).unwrap();
        assert_eq!(tenth, Decimal::from(1000));
    }

    #[test]
    fn percent_is_a_fraction() {
        let p = Unit::Percent.to_base(Decimal::from(3)).unwrap();
        assert_eq!(p, parse_decimal("0.03").unwrap());
        assert_eq!(Unit::Percent.dim(), Dim::Number);
        assert_eq!(display_percent(parse_decimal("0.021").unwrap()), "2.1%");
    }

    #[test]
    fn display_money_in_wan() {
        assert_eq!(display(Decimal::from(3_000_000), Dim::Money), "300万元");
        assert_eq!(display(Decimal::from(1500), Dim::Money), "1500元");
    }

    #[test]
    fn quantities_parse() {
        assert_eq!(parse_quantity("500万"), Some((Decimal::from(500), Unit::WanYuan)));
        assert_eq!(parse_quantity("2亿元"), Some((Decimal::from(2), Unit::YiYuan)));
        assert_eq!(parse_quantity("55%"), Some((Decimal::from(55), Unit::Percent)));
        assert_eq!(parse_quantity("12.5"), Some((parse_decimal("12.5").unwrap(), Unit::Plain)));
        assert_eq!(parse_quantity("12美元"), None);
        assert_eq!(parse_quantity("万"), None);
    }

    #[test]
    fn unit_spellings_parse() {
        for s in Unit::SPELLINGS {
            assert!(Unit::parse(s).is_some(), "{s}");
        }
        assert_eq!(Unit::parse("万"), Some(Unit::WanYuan));
        assert_eq!(Unit::parse("美元"), None);
        assert!(!Dim::Money.accepts_bare_number());
    }
}
