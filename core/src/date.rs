//! Calendar dates and durations.
//!
//! A [`Date`] is a proleptic Gregorian day number, small and `Copy`, so date comparisons in
//! policies are integer comparisons. Month and year arithmetic clamps to the end of the
//! month (`2024-02-29 + 1y = 2025-02-28`), the reading used for "满一年" style rules.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i32,
}

/// Why a date string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {input:?}: {reason}; expected YYYY-MM-DD")]
pub struct DateError {
    pub input: String,
    pub reason: &'static str,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `y` is a leap year.
pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in a month.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// Builds a date; `None` for an impossible day or a year outside 1000..=9999.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1000..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        let days = i32::try_from(days_from_civil(i64::from(y), m, d)).ok()?;
        Some(Date { days })
    }

    /// Year, month, day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.days));
        (y as i32, m, d)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Day number (days since 1970-01-01).
    pub fn day_number(self) -> i32 {
        self.days
    }

    /// From a day number.
    pub fn from_day_number(days: i32) -> Date {
        Date { days }
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let err = |reason| DateError { input: s.to_string(), reason };
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(err("wrong format"));
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = s.get(r).ok_or_else(|| err("wrong format"))?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err("wrong format"));
            }
            part.parse::<u32>().map_err(|_| err("wrong format"))
        };
        let y = num(0..4)?;
        let m = num(5..7)?;
        let d = num(8..10)?;
        if !(1..=12).contains(&m) {
            return Err(err("month out of range"));
        }
        let y = i32::try_from(y).map_err(|_| err("year out of range"))?;
        if !(1000..=9999).contains(&y) {
            return Err(err("year out of range: dates run from 1000-01-01 to 9999-12-31"));
        }
        Date::from_ymd(y, m, d).ok_or_else(|| err("no such day"))
    }

    /// Adds (or subtracts) whole months, clamping the day to the month's end.
    pub fn add_months(self, months: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let total = i64::from(y) * 12 + i64::from(m) - 1 + months;
        let ny = i32::try_from(total.div_euclid(12)).ok()?;
        let nm = u32::try_from(total.rem_euclid(12) + 1).ok()?;
        Date::from_ymd(ny, nm, d.min(days_in_month(ny, nm)))
    }

    /// Adds (or subtracts) days.
    pub fn add_days(self, days: i64) -> Option<Date> {
        let n = i64::from(self.days).checked_add(days)?;
        let days = i32::try_from(n).ok()?;
        let d = Date { days };
        let y = d.year();
        (1000..=9999).contains(&y).then_some(d)
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        i64::from(later.days) - i64::from(self.days)
    }

    /// Whole years from `self` to `later` by anniversary (周年): from 2020-03-01 to
    /// 2022-02-28 is one year. The anniversary of 02-29 in a common year is 02-28, the same
    /// reading as `date + 1y`, so `full_years_since(d) >= 1` holds exactly when
    /// `d + 1y <= as_of`.
    pub fn full_years_until(self, later: Date) -> i64 {
        // Truncated toward zero: whole years elapsed, in either direction.
        self.full_months_until(later) / 12
    }

    /// Whole months from `self` to `later`, by monthly anniversary (clamped to month end).
    pub fn full_months_until(self, later: Date) -> i64 {
        let (y0, m0, _) = self.ymd();
        let (y1, m1, _) = later.ymd();
        let mut months = (i64::from(y1) - i64::from(y0)) * 12 + i64::from(m1) - i64::from(m0);
        if later < self {
            // Count backwards symmetrically: whole months *before*.
            if self.add_months(months).is_some_and(|a| a < later) {
                months += 1;
            }
            return months;
        }
        if self.add_months(months).is_some_and(|a| later < a) {
            months -= 1;
        }
        months
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date", "description": "A calendar date, `YYYY-MM-DD`."})
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A duration for date arithmetic: `1y`, `6m`, `365d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duration {
    Years(i64),
    Months(i64),
    Days(i64),
}

impl Duration {
    /// `date + self` (or minus when `negate`).
    pub fn apply(self, date: Date, negate: bool) -> Option<Date> {
        let sign = if negate { -1 } else { 1 };
        match self {
            Duration::Years(n) => date.add_months(n.checked_mul(12)?.checked_mul(sign)?),
            Duration::Months(n) => date.add_months(n.checked_mul(sign)?),
            Duration::Days(n) => date.add_days(n.checked_mul(sign)?),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Duration::Years(n) => write!(f, "{n}y"),
            Duration::Months(n) => write!(f, "{n}m"),
            Duration::Days(n) => write!(f, "{n}d"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parse_and_print_round_trip() {
        for s in ["1970-01-01", "2000-02-29", "2021-01-01", "2026-11-26", "1999-12-31"] {
            assert_eq!(d(s).to_string(), s);
        }
    }

    #[test]
    fn bad_dates_are_rejected_with_reason() {
        assert_eq!(Date::parse("2023-02-29").unwrap_err().reason, "no such day");
        assert_eq!(Date::parse("0001-01-01").unwrap_err().reason, "year out of range: dates run from 1000-01-01 to 9999-12-31");
        assert_eq!(Date::parse("2023-13-01").unwrap_err().reason, "month out of range");
        assert_eq!(Date::parse("2023/01/01").unwrap_err().reason, "wrong format");
        assert_eq!(Date::parse("23-1-1").unwrap_err().reason, "wrong format");
        assert!(Date::parse("").is_err());
    }

    #[test]
    fn arithmetic_clamps_month_end() {
        assert_eq!(d("2024-02-29").add_months(12).unwrap(), d("2025-02-28"));
        assert_eq!(d("2024-03-31").add_months(-1).unwrap(), d("2024-02-29"));
        assert_eq!(Duration::Years(1).apply(d("2026-06-30"), true).unwrap(), d("2025-06-30"));
        assert_eq!(Duration::Days(365).apply(d("2025-01-01"), false).unwrap(), d("2026-01-01"));
    }

    #[test]
    fn full_years_are_anniversaries() {
        assert_eq!(d("2020-03-01").full_years_until(d("2022-02-28")), 1);
        assert_eq!(d("2020-03-01").full_years_until(d("2022-03-01")), 2);
        assert_eq!(d("2020-03-15").full_months_until(d("2020-05-14")), 1);
        assert_eq!(d("2025-01-01").days_until(d("2026-01-01")), 365);
    }

    #[test]
    fn month_end_anniversaries_agree_with_date_arithmetic() {
        assert_eq!(d("2024-02-29").full_years_until(d("2025-02-28")), 1);
        assert_eq!(Duration::Years(1).apply(d("2024-02-29"), false).unwrap(), d("2025-02-28"));
        assert_eq!(d("2026-01-31").full_months_until(d("2026-02-28")), 1);
        assert_eq!(d("2026-01-31").full_months_until(d("2026-02-27")), 0);
        assert_eq!(d("2025-06-30").full_years_until(d("2020-01-01")), -5);
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(d("1999-12-31") < d("2000-01-01"));
        assert_eq!(d("1970-01-01").day_number(), 0);
    }
}
