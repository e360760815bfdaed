//! Diagnostics with source positions: a message, a span, an optional hint, rendered with
//! line:column and a caret excerpt.

use serde::Serialize;

use crate::lang::ast::Span;

/// Severity of a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a policy text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span, hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// 1-based line and column (in characters) of the span's start in `src`.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        line_col(src, self.span.start as usize)
    }

    /// Renders the diagnostic against its source:
    ///
    /// ```text
    /// error: unknown field `registered_captial`
    ///  --> 1:1
    ///   |
    /// 1 | registered_captial >= 500万
    ///   | ^^^^^^^^^^^^^^^^^^
    ///   = hint: did you mean `registered_capital`?
    /// ```
    pub fn render(&self, src: &str, origin: &str) -> String {
        let (line, col) = self.line_col(src);
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let line_start = src.lines().take(line.saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>();
        let start = (self.span.start as usize).saturating_sub(line_start).min(text.len());
        let end = (self.span.end as usize).saturating_sub(line_start).clamp(start, text.len());
        // A long line is shown as an excerpt around the span (every problem of a long
        // line would otherwise repeat all of it).
        let (text, start, end) = excerpt(text, start, end);
        let pad = width(text.get(..start).unwrap_or(""));
        let carets = width(text.get(start..end).unwrap_or("")).max(1);
        let num = line.to_string();
        let gutter = " ".repeat(num.len());
        let mut out = format!(
            "{sev}: {}\n{gutter}--> {origin}{line}:{col}\n{gutter} |\n{num} | {text}\n{gutter} | {}{}",
            self.message,
            " ".repeat(pad),
            "^".repeat(carets)
        );
        if let Some(h) = &self.hint {
            out.push_str(&format!("\n{gutter} = hint: {h}"));
        }
        out
    }
}

/// Characters of context shown on each side of a span in a long line.
const CONTEXT: usize = 40;
/// Most characters of a span shown.
const SPAN_SHOWN: usize = 80;

/// The part of `line` shown for the byte range `start..end` (char boundaries or not), and
/// the range's bytes in it: the whole line when short, else up to [`CONTEXT`] characters
/// either side of (at most [`SPAN_SHOWN`] characters of) the span, cut ends marked `…`.
fn excerpt(line: &str, start: usize, end: usize) -> (String, usize, usize) {
    let floor = |mut i: usize| {
        while i > 0 && !line.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (start, end) = (floor(start), floor(end));
    if line.chars().count() <= 2 * CONTEXT + SPAN_SHOWN {
        return (line.to_string(), start, end);
    }
    let before: Vec<(usize, char)> = line.get(..start).unwrap_or("").char_indices().collect();
    let from = before.len().checked_sub(CONTEXT).and_then(|k| before.get(k)).map_or(0, |(i, _)| *i);
    let span_end = line.get(start..).unwrap_or("").char_indices().nth(SPAN_SHOWN).map_or(line.len(), |(i, _)| start + i).min(end);
    let to = line.get(span_end..).unwrap_or("").char_indices().nth(CONTEXT).map_or(line.len(), |(i, _)| span_end + i);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let shift = out.len();
    out.push_str(line.get(from..to).unwrap_or(""));
    if to < line.len() {
        out.push('…');
    }
    (out, start - from + shift, span_end - from + shift)
}

/// 1-based line and character column of byte offset `at`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let before = src.get(..at.min(src.len())).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Terminal width of a string: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_cjk() {
        let src = "注册资本 >= 500美元";
        let d = Diagnostic::new("unknown unit `美元`", Span::new(19, 25)).with_hint("units are …");
        let r = d.render(src, "");
        assert!(r.contains("--> 1:12"), "{r}");
        // 注册资本 (8 columns) + " >= 500" (7 columns) = 15 spaces, then 4 carets for 美元.
        assert!(r.contains(&format!("| {}^^^^\n", " ".repeat(15))), "{r}");
        assert!(r.ends_with("= hint: units are …"));
    }

    #[test]
    fn a_long_line_is_shown_as_an_excerpt_around_the_span() {
        let src = format!("{}bad{}", "x, ".repeat(1000), ", y".repeat(1000));
        let at = 3000;
        let d = Diagnostic::new("unknown code `bad`", Span::new(at, at + 3));
        let r = d.render(&src, "");
        assert!(r.len() < 400, "{r}");
        assert!(r.contains("--> 1:3001"), "{r}");
        // 40 characters either side of the span, cut ends marked.
        assert!(r.contains(&format!("1 | …{}bad{}…\n", " x,".repeat(13) + " ", ", y".repeat(13) + ",")), "{r}");
        assert!(r.contains(&format!("\n  | {}^^^", " ".repeat(41))), "{r}");
    }

    #[test]
    fn line_and_column_on_later_lines() {
        assert_eq!(line_col("a\nbc d", 5), (2, 4));
    }
}
