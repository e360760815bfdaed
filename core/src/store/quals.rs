//! The qualifications column: every enterprise's dated qualifications in one buffer.
//!
//! A profile's [`Qualification`] is 40 bytes (indices as `usize`, four options); a store
//! keeps each as a 20-byte [`Packed`] record, all rows in one vector with row ends, so a
//! million enterprises load without a million small allocations. Records unpack to exactly
//! the qualifications that were stored.

use crate::date::Date;
use crate::profile::Qualification;

use super::StoreError;

/// One qualification in 20 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Packed {
    level: u32,
    granted: i32,
    expires: i32,
    qual: u32,
    /// Bit 0: has a level; 1: has a grant date; 2: has an expiry date; 3–4: first grant
    /// (0 not stated, 1 renewal, 2 first grant).
    flags: u8,
}

const LEVEL: u8 = 1;
const GRANTED: u8 = 2;
const EXPIRES: u8 = 4;
/// Bit 5: the status of the qualification is unknown.
const UNKNOWN: u8 = 32;

impl Packed {
    /// Packs `q`; an error when its index does not fit 32 bits (no schema has that many
    /// qualifications, but a value is never stored altered).
    pub fn new(q: &Qualification) -> Result<Packed, StoreError> {
        let qual = u32::try_from(q.qual).map_err(|_| StoreError::Input(format!("qualification index {} out of range", q.qual)))?;
        let mut flags = match q.first_grant {
            None => 0,
            Some(false) => 1 << 3,
            Some(true) => 2 << 3,
        };
        if q.level.is_some() {
            flags |= LEVEL;
        }
        if q.granted_on.is_some() {
            flags |= GRANTED;
        }
        if q.expires_on.is_some() {
            flags |= EXPIRES;
        }
        if q.unknown {
            flags |= UNKNOWN;
        }
        Ok(Packed {
            level: q.level.unwrap_or(0),
            granted: q.granted_on.map_or(0, |d| d.day_number()),
            expires: q.expires_on.map_or(0, |d| d.day_number()),
            qual,
            flags,
        })
    }

    /// The qualification as in a profile.
    pub fn unpack(&self) -> Qualification {
        let has = |bit: u8| self.flags & bit != 0;
        Qualification {
            qual: self.qual as usize,
            level: has(LEVEL).then_some(self.level),
            granted_on: has(GRANTED).then(|| Date::from_day_number(self.granted)),
            expires_on: has(EXPIRES).then(|| Date::from_day_number(self.expires)),
            first_grant: match (self.flags >> 3) & 3 {
                1 => Some(false),
                2 => Some(true),
                _ => None,
            },
            unknown: has(UNKNOWN),
        }
    }

    /// Packs a row.
    pub fn row(list: &[Qualification]) -> Result<Vec<Packed>, StoreError> {
        list.iter().map(Packed::new).collect()
    }
}

/// Each row's qualifications, all rows in one buffer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QualRows {
    items: Vec<Packed>,
    /// End of each row's items in `items`.
    ends: Vec<usize>,
}

impl QualRows {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `i`'s records (none for a row out of range).
    pub fn get(&self, i: usize) -> &[Packed] {
        let end = self.ends.get(i).copied().unwrap_or(0);
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(end) };
        self.items.get(start..end).unwrap_or(&[])
    }

    /// Row `i`'s qualifications, as in a profile.
    pub fn row(&self, i: usize) -> Vec<Qualification> {
        self.get(i).iter().map(Packed::unpack).collect()
    }

    /// Appends a row of packed records.
    pub fn push(&mut self, row: &[Packed]) {
        self.items.extend_from_slice(row);
        self.ends.push(self.items.len());
    }

    /// Pads with empty rows up to `n` rows (never shrinks).
    pub fn pad(&mut self, n: usize) {
        let end = self.items.len();
        if self.ends.len() < n {
            self.ends.resize(n, end);
        }
    }

    /// Heap bytes.
    pub fn bytes(&self) -> usize {
        self.items.len() * std::mem::size_of::<Packed>() + self.ends.len() * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_unpack_to_what_was_stored() {
        let d = |s: &str| Date::parse(s).ok();
        let all = [
            Qualification {
                qual: 3,
                level: Some(2),
                granted_on: d("2021-12-15"),
                expires_on: d("2024-12-14"),
                first_grant: Some(true),
                unknown: false,
            },
            Qualification { qual: 0, level: None, granted_on: None, expires_on: None, first_grant: None, unknown: false },
            Qualification {
                qual: 7,
                level: Some(0),
                granted_on: d("1999-01-01"),
                expires_on: None,
                first_grant: Some(false),
                unknown: false,
            },
        ];
        let mut rows = QualRows::default();
        rows.push(&Packed::row(&all).unwrap_or_default());
        rows.pad(3);
        rows.push(&Packed::row(&all[1..2]).unwrap_or_default());
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.row(0), all.to_vec());
        assert!(rows.row(1).is_empty() && rows.row(2).is_empty());
        assert_eq!(rows.row(3), all[1..2].to_vec());
        assert!(rows.row(9).is_empty());
        assert_eq!(std::mem::size_of::<Packed>(), 20);
        assert_eq!(rows.bytes(), 4 * 20 + 4 * 8);
    }
}
