//! 统一社会信用代码 (unified social credit code, GB 32100-2015).
//!
//! 18 characters over `0-9A-Y` without I, O, S, V, Z. The 18th is a check character:
//! weights 3^(i-1) mod 31, C18 = 31 − (Σ mod 31), 31 → 0. Early pilot codes legitimately
//! fail the check, so a mismatch is a warning for the caller to show, never a rejection.

/// The 31-character alphabet, in value order.
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Outcome of checking a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsccCheck {
    Valid,
    /// Well-formed, but the check character is not the computed one.
    CheckMismatch {
        expected: char,
        found: char,
    },
    /// Not 18 characters of the alphabet.
    Malformed(String),
}

/// Each ASCII character's value in [`CHARSET`], 255 when it is not in it.
const VALUES: [u8; 128] = {
    let mut t = [255u8; 128];
    let cs = CHARSET.as_bytes();
    let mut i = 0;
    while i < cs.len() {
        #[expect(clippy::indexing_slicing, reason = "a constant table: CHARSET is ASCII, i < its length")]
        {
            t[cs[i] as usize] = i as u8;
        }
        i += 1;
    }
    t
};

fn value(c: char) -> Option<u32> {
    let v = *VALUES.get(usize::try_from(u32::from(c)).ok()?)?;
    (v != 255).then_some(u32::from(v))
}

/// The check character for the first 17 characters.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
        n += 1;
    }
    if n != 17 || first17.chars().count() != 17 {
        return None;
    }
    let c18 = (31 - sum % 31) % 31;
    CHARSET.chars().nth(c18 as usize)
}

/// Checks a code (case-insensitive).
pub fn check(code: &str) -> UsccCheck {
    let up = code.trim().to_ascii_uppercase();
    if up.chars().count() != 18 {
        return UsccCheck::Malformed(format!("has {} characters, expected 18", up.chars().count()));
    }
    if let Some(bad) = up.chars().find(|&c| value(c).is_none()) {
        return UsccCheck::Malformed(format!("character {bad:?} is not allowed (0-9, A-Y without I O S V Z)"));
    }
    let (head, tail) = up.split_at(17);
    let found = tail.chars().next().unwrap_or('?');
    match check_char(head) {
        Some(expected) if expected == found => UsccCheck::Valid,
        Some(expected) => UsccCheck::CheckMismatch { expected, found },
        None => UsccCheck::Malformed("unreadable".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_positions_in_the_charset() {
        for c in (0u8..=255).map(char::from).chain(['中', 'Ｉ']) {
            assert_eq!(value(c), CHARSET.chars().position(|x| x == c).map(|p| p as u32), "{c:?}");
        }
    }

    #[test]
    fn real_codes_are_valid() {
        assert_eq!(check("914403001922038216"), UsccCheck::Valid);
        assert_eq!(check("91440300708461136T"), UsccCheck::Valid);
        assert_eq!(check("91440300708461136t"), UsccCheck::Valid);
    }

    #[test]
    fn wrong_check_characters_are_reported() {
        assert_eq!(check("914403001922038217"), UsccCheck::CheckMismatch { expected: '6', found: '7' });
        assert_eq!(check("91440300708461136U"), UsccCheck::CheckMismatch { expected: 'T', found: 'U' });
        // A legitimate early pilot code that fails the check: reported, not rejected.
        assert!(matches!(check("91350100M0001TGQXM"), UsccCheck::CheckMismatch { .. }));
    }

    #[test]
    fn malformed_codes() {
        assert!(matches!(check("9144030019220382"), UsccCheck::Malformed(_)));
        assert!(matches!(check("91440300192203821I"), UsccCheck::Malformed(m) if m.contains("'I'")));
        assert!(matches!(check(""), UsccCheck::Malformed(_)));
    }
}
