//! A column of exact decimals, 9 bytes a value where it can be.
//!
//! `rust_decimal::Decimal` is 16 bytes (a 96-bit mantissa, a scale and a sign). Amounts in
//! enterprise files (revenue, tax, R&D expense in 万元 with a few decimals) have
//! mantissas far inside an `i64`, so a column keeps each value as an `i64` mantissa and a
//! `u8` scale, and turns into plain `Decimal`s only when a value does not round-trip that
//! way. A value reads back bit for bit as it was stored — scale included (`1.50` stays
//! `1.50`): explanations print the value the enterprise gave. The saved store holds the
//! same two arrays (`file`), so loading copies them without converting.

use rust_decimal::Decimal;

/// Exact decimals.
#[derive(Clone, Debug, PartialEq)]
pub enum Nums {
    /// Mantissas and scales (9 bytes a value): every value so far round-trips through them.
    Compact { mantissas: Vec<i64>, scales: Vec<u8> },
    /// Plain decimals (16 bytes a value), once one value did not fit.
    Full(Vec<Decimal>),
}

impl Default for Nums {
    fn default() -> Nums {
        Nums::Compact { mantissas: Vec::new(), scales: Vec::new() }
    }
}

/// `d` as an `i64` mantissa and a scale, when that gives back exactly `d`.
fn split(d: &Decimal) -> Option<(i64, u8)> {
    let m = i64::try_from(d.mantissa()).ok()?;
    let s = u8::try_from(d.scale()).ok()?;
    (join(m, s)?.serialize() == d.serialize()).then_some((m, s))
}

fn join(m: i64, s: u8) -> Option<Decimal> {
    Decimal::try_new(m, u32::from(s)).ok()
}

impl Nums {
    /// The column of `values`, compact when they all fit.
    pub fn from_decimals(values: Vec<Decimal>) -> Nums {
        match Nums::parts(&values) {
            Some((mantissas, scales)) => Nums::Compact { mantissas, scales },
            None => Nums::Full(values),
        }
    }

    /// The mantissas and scales of `values`, when every one of them round-trips that way.
    pub fn parts(values: &[Decimal]) -> Option<(Vec<i64>, Vec<u8>)> {
        let mut mantissas = Vec::with_capacity(values.len());
        let mut scales = Vec::with_capacity(values.len());
        for d in values {
            let (m, s) = split(d)?;
            mantissas.push(m);
            scales.push(s);
        }
        Some((mantissas, scales))
    }

    /// The compact column of mantissas and scales as read from a saved store; `None` when
    /// the two lengths differ or a scale is out of range.
    pub fn from_parts(mantissas: Vec<i64>, scales: Vec<u8>) -> Option<Nums> {
        (mantissas.len() == scales.len() && scales.iter().all(|s| u32::from(*s) <= Decimal::MAX_SCALE))
            .then_some(Nums::Compact { mantissas, scales })
    }

    pub fn len(&self) -> usize {
        match self {
            Nums::Compact { mantissas, .. } => mantissas.len(),
            Nums::Full(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i`.
    pub fn get(&self, i: usize) -> Option<Decimal> {
        match self {
            Nums::Compact { mantissas, scales } => join(*mantissas.get(i)?, *scales.get(i)?),
            Nums::Full(v) => v.get(i).copied(),
        }
    }

    /// Appends `d`; the column turns into plain decimals if `d` does not fit.
    pub fn push(&mut self, d: Decimal) {
        match (&mut *self, split(&d)) {
            (Nums::Compact { mantissas, scales }, Some((m, s))) => {
                mantissas.push(m);
                scales.push(s);
            }
            (Nums::Compact { .. }, None) => {
                let mut all = self.decimals();
                all.push(d);
                *self = Nums::Full(all);
            }
            (Nums::Full(v), _) => v.push(d),
        }
    }

    /// Pads with zeros up to `n` values (never shrinks).
    pub fn pad(&mut self, n: usize) {
        if self.len() >= n {
            return;
        }
        match self {
            Nums::Compact { mantissas, scales } => {
                mantissas.resize(n, 0);
                scales.resize(n, 0);
            }
            Nums::Full(v) => v.resize(n, Decimal::ZERO),
        }
    }

    /// Every value, as decimals.
    pub fn decimals(&self) -> Vec<Decimal> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        match self {
            Nums::Compact { mantissas, .. } => mantissas.len() * 9,
            Nums::Full(v) => v.len() * 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn values_read_back_bit_for_bit_and_stay_compact_while_they_fit() {
        let mut n = Nums::default();
        for s in ["1.50", "1.5", "-3.25", "500", "123456789.1234", "0"] {
            n.push(dec(s));
        }
        assert!(matches!(n, Nums::Compact { .. }));
        let back: Vec<String> = n.decimals().iter().map(Decimal::to_string).collect();
        assert_eq!(back, ["1.50", "1.5", "-3.25", "500", "123456789.1234", "0"]);
        assert_eq!(n.bytes(), 6 * 9);
        // A negative zero has no i64 mantissa of its own: kept as a decimal, sign and all.
        let mut neg_zero = Decimal::new(0, 2);
        neg_zero.set_sign_negative(true);
        n.push(neg_zero);
        assert!(matches!(n, Nums::Full(_)));
        assert_eq!(n.get(6).map(|d| d.serialize()), Some(neg_zero.serialize()));
    }

    #[test]
    fn a_value_beyond_i64_turns_the_column_into_plain_decimals_without_changing_any() {
        let mut n = Nums::default();
        n.push(dec("2.5"));
        n.pad(3);
        n.push(dec("79228162514264337593543950335"));
        n.push(dec("7.25"));
        assert!(matches!(n, Nums::Full(_)));
        let back: Vec<String> = n.decimals().iter().map(Decimal::to_string).collect();
        assert_eq!(back, ["2.5", "0", "0", "79228162514264337593543950335", "7.25"]);
        assert_eq!(Nums::from_decimals(n.decimals()), n);
        assert!(matches!(Nums::from_decimals(vec![dec("1.25"), dec("3")]), Nums::Compact { .. }));
    }

    #[test]
    fn parts_from_a_file_are_checked() {
        assert!(Nums::from_parts(vec![1, 2], vec![0]).is_none());
        assert!(Nums::from_parts(vec![1], vec![29]).is_none());
        assert_eq!(Nums::from_parts(vec![150], vec![2]).and_then(|n| n.get(0)), Some(dec("1.50")));
    }
}
