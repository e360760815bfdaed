//! Problems found while compiling a policy set: collected per file (at most
//! [`MAX_PROBLEMS_PER_FILE`] shown), and a problem inside a condition or definition placed
//! at its line and column in the file it was read from.

use std::collections::BTreeMap;

use super::PolicyProblem;
use crate::lang::Diagnostic;

/// Most problems reported for one file; the rest are counted in one closing line. Each
/// problem renders an excerpt of its line, so an uncapped list of bad items in one long
/// line costs time and memory with the square of its length (docs/limits.md).
pub const MAX_PROBLEMS_PER_FILE: usize = 100;

pub(super) struct Problems<'s> {
    pub(super) list: Vec<PolicyProblem>,
    /// Problems seen per origin (shown or not).
    pub(super) seen: BTreeMap<String, usize>,
    /// The files compiled, to place a problem inside a condition at its line and column in
    /// the file.
    pub(super) sources: &'s [(String, String)],
}

impl Problems<'_> {
    /// Counts a problem of `origin`; whether it is still to be shown.
    pub(super) fn admit(&mut self, origin: &str) -> bool {
        let n = self.seen.entry(origin.to_string()).or_insert(0);
        *n += 1;
        *n <= MAX_PROBLEMS_PER_FILE
    }

    pub(super) fn push(&mut self, p: PolicyProblem) {
        if self.admit(&p.origin) {
            self.list.push(p);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems shown, and one line per file whose problems were not all shown.
    pub(super) fn into_list(self) -> Vec<PolicyProblem> {
        let mut list = self.list;
        for (origin, n) in self.seen {
            if n > MAX_PROBLEMS_PER_FILE {
                list.push(PolicyProblem {
                    origin,
                    policy: None,
                    location: "file".into(),
                    line: None,
                    column: None,
                    in_text: None,
                    message: format!(
                        "{} more problems not shown (at most {MAX_PROBLEMS_PER_FILE} are shown per file)",
                        n - MAX_PROBLEMS_PER_FILE
                    ),
                    hint: Some("fix the problems shown and check again".into()),
                    rendered: None,
                });
            }
        }
        list
    }

    pub(super) fn plain(&mut self, origin: &str, policy: Option<&str>, location: &str, message: String, hint: Option<String>) {
        self.push(PolicyProblem {
            origin: origin.into(),
            policy: policy.map(Into::into),
            location: location.into(),
            line: None,
            column: None,
            in_text: None,
            message,
            hint,
            rendered: None,
        });
    }

    pub(super) fn diag(&mut self, origin: &str, policy: Option<&str>, location: &str, text: &str, d: &Diagnostic) {
        // Counted before anything is rendered: rendering is what costs.
        if !self.admit(origin) {
            return;
        }
        let in_text = d.line_col(text);
        let (mut line, mut column) = in_text;
        let at = policy.map(|p| format!("{p}: ")).unwrap_or_default();
        // In a file, the position is the file's (where an editor goes); the excerpt still
        // shows the text with its own line:column.
        let in_file =
            self.sources.iter().find(|(o, _)| o == origin).and_then(|(_, file)| file_position(file, policy, text, d.span.start as usize));
        let prefix = match in_file {
            Some((l, c)) => {
                (line, column) = (l, c);
                format!("{origin}:{l}:{c}: {at}{location} ")
            }
            None => format!("{origin}: {at}{location} "),
        };
        let rendered = d.render(text, &prefix);
        self.list.push(PolicyProblem {
            origin: origin.into(),
            policy: policy.map(Into::into),
            location: location.into(),
            line: Some(line),
            column: Some(column),
            in_text: Some(in_text),
            message: d.message.clone(),
            hint: d.hint.clone(),
            rendered: Some(rendered),
        });
    }
}

/// Where byte `offset` of `text` (a condition or definition) lies in `file`, the JSON
/// file it was read from: 1-based line and column (in characters). The text is found as
/// the JSON string serde_json writes for it (plain UTF-8, `\"`, `\\`, `\n` …), after the
/// policy's id when there is one; a file that escapes it differently (`\u4e2d`) is not
/// placed, and the caller keeps the text's own position.
fn file_position(file: &str, policy: Option<&str>, text: &str, offset: usize) -> Option<(usize, usize)> {
    let literal = serde_json::to_string(text).ok()?;
    let after = policy.and_then(|p| serde_json::to_string(p).ok()).and_then(|id| file.find(&id)).unwrap_or(0);
    let start = file.get(after..)?.find(&literal).map(|i| i + after).or_else(|| file.find(&literal))?;
    // Raw bytes of the literal up to `offset` of the text: each character as serde_json
    // escapes it.
    let mut raw = start + 1;
    let mut buf = [0u8; 4];
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        raw += serde_json::to_string(c.encode_utf8(&mut buf) as &str).map_or(c.len_utf8(), |e| e.len() - 2);
    }
    let before = file.get(..raw)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}
