//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `input` by edit distance, if it is close enough to be a
/// plausible typo (at most a third of the input's length, and at least one edit allowed).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = input.to_lowercase();
    let limit = (input.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
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
    }
}
