//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `input` by edit distance (optimal string alignment:
/// insertions, deletions, substitutions and swaps of neighbours), if it is close enough to be a
/// plausible typo (at most a third of the input's length, and at least one edit allowed).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    // Generic only as far as collecting the names: the search is one function for the 15
    // callers (one copy in the WASM module instead of 15, 13 KB).
    let seen: Vec<&str> = candidates.into_iter().collect();
    closest_of(input, &seen)
}

fn closest_of(input: &str, seen: &[&str]) -> Option<String> {
    // ASCII case only: the names are Latin identifiers and Chinese labels (no case).
    let lower = input.to_ascii_lowercase();
    // A single letter is no evidence of a typo; from two characters on, one edit per three.
    let n = input.chars().count();
    let limit = if n >= 2 { (n / 3).max(1) } else { 0 };
    let mut best: Option<(usize, &str)> = None;
    for &c in seen {
        // A swap of two neighbours (`titel`) is one edit, as people make it.
        let d = strsim::osa_distance(&lower, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    if let Some((_, c)) = best {
        return Some(c.to_string());
    }
    // Chinese names are often shortened by dropping characters (高新企业 for 高新技术企业):
    // accept a candidate that contains the input as a subsequence, the closest in length.
    let chars: Vec<char> = lower.chars().collect();
    if chars.len() < 2 {
        return None;
    }
    let mut sub: Option<(usize, &str)> = None;
    for &c in seen {
        let cl: Vec<char> = c.to_ascii_lowercase().chars().collect();
        let mut it = cl.iter();
        if cl.len() > chars.len() && chars.iter().all(|ch| it.any(|x| x == ch)) {
            let d = cl.len() - chars.len();
            if d <= chars.len() && sub.is_none_or(|(bd, _)| d < bd) {
                sub = Some((d, c));
            }
        }
    }
    sub.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_near_names_only() {
        let names = ["registered_capital", "registration_date", "employees"];
        assert_eq!(closest("registered_captial", names).as_deref(), Some("registered_capital"));
        assert_eq!(closest("employes", names).as_deref(), Some("employees"));
        assert_eq!(closest("xyz", names), None);
        assert_eq!(closest("注册资金", ["注册资本", "成立日期"]).as_deref(), Some("注册资本"));
        assert_eq!(closest("高新企业", ["高新技术企业", "科技型中小企业"]).as_deref(), Some("高新技术企业"));
        assert_eq!(closest("企业", ["高新技术企业"]), None, "too short a fragment to guess from");
    }
}
