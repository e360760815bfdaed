//! Tokens of the condition language.
//!
//! Chinese and ASCII spellings are both accepted: `且 或 非` for `and or not`, `≥ ≤ ≠`,
//! full-width `（ ） ， ： ［ ］` for their ASCII forms, “…” for strings. A number's unit is
//! part of the token (`500万`, `3%`, `1y`), so `2021-01-01` is a date, not a subtraction.

use crate::date::{Date, Duration};
use crate::lang::ast::{CmpOp, LitUnit, Span};
use crate::lang::diag::Diagnostic;

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Number { digits: String, unit: LitUnit },
    Duration(Duration),
    Date(Date),
    Str(String),
    Regex(String),
    Ident(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Semicolon,
    At,
    DotDot,
    Cmp(CmpOp),
    Plus,
    Minus,
    Star,
    Slash,
    Eof,
}

impl Tok {
    /// How the token is shown in "expected …, found …" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Number { digits, unit } => format!("number `{digits}{}`", unit.suffix()),
            Tok::Duration(d) => format!("duration `{d}`"),
            Tok::Date(d) => format!("date `{d}`"),
            Tok::Str(s) => format!("text {s:?}"),
            Tok::Regex(r) => format!("regex `/{r}/`"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Semicolon => "`;`".into(),
            Tok::At => "`@`".into(),
            Tok::DotDot => "`..`".into(),
            Tok::Cmp(op) => format!("`{}`", op.symbol()),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Eof => "end of text".into(),
        }
    }
}

/// A token with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Longest literal accepted, in characters (numbers, strings, regexes).
pub const MAX_LITERAL: usize = 4096;

/// Whether `c` may start an identifier.
pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether `c` may continue an identifier.
pub fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `src` into tokens, or reports the first lexical error.
pub fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut out: Vec<Token> = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(src.len(), |(b, _)| *b);
    let mut i = 0;
    while let Some(&(start, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|(_, c)| *c);
        // Inside `eligible(…)` a policy id is one token, even where it looks like a
        // number with a unit (`hitech-eit-15pct-rate`).
        let in_policy_id =
            matches!(out.as_slice(), [.., Token { tok: Tok::Ident(f), .. }, Token { tok: Tok::LParen, .. }] if f == "eligible");
        if in_policy_id && (c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            let mut j = i;
            while chars.get(j).is_some_and(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '-') {
                j += 1;
            }
            let end = chars.get(j).map_or(src.len(), |(b, _)| *b);
            out.push(Token { tok: Tok::Ident(src.get(start..end).unwrap_or_default().to_string()), span: Span::new(start, end) });
            i = j;
            continue;
        }
        let single = |tok: Tok, len: usize| Token { tok, span: Span::new(start, end_of(i + len)) };
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '#' => {
                // Comment to end of line.
                while chars.get(i).is_some_and(|(_, c)| *c != '\n') {
                    i += 1;
                }
                continue;
            }
            '(' | '（' => out.push(single(Tok::LParen, 1)),
            ')' | '）' => out.push(single(Tok::RParen, 1)),
            '[' | '［' => out.push(single(Tok::LBracket, 1)),
            ']' | '］' => out.push(single(Tok::RBracket, 1)),
            ',' | '，' | '、' => out.push(single(Tok::Comma, 1)),
            ':' | '：' => out.push(single(Tok::Colon, 1)),
            ';' | '；' => out.push(single(Tok::Semicolon, 1)),
            '@' => out.push(single(Tok::At, 1)),
            '+' => out.push(single(Tok::Plus, 1)),
            '-' => out.push(single(Tok::Minus, 1)),
            '*' | '×' => out.push(single(Tok::Star, 1)),
            '≥' => out.push(single(Tok::Cmp(CmpOp::Ge), 1)),
            '≤' => out.push(single(Tok::Cmp(CmpOp::Le), 1)),
            '≠' => out.push(single(Tok::Cmp(CmpOp::Ne), 1)),
            '.' if next == Some('.') => {
                out.push(single(Tok::DotDot, 2));
                i += 2;
                continue;
            }
            '=' if matches!(next, Some('>' | '<')) => {
                // `=>` / `=<`: the comparison written the other way round (and `=>` reads as
                // an arrow in many languages). Named, not read as `=` followed by `>`.
                let (op, want) = if next == Some('>') { ("=>", ">=") } else { ("=<", "<=") };
                return Err(Diagnostic::new(format!("`{op}` is not an operator"), Span::new(start, end_of(i + 2)))
                    .with_hint(format!("write `{want}` (or {})", if want == ">=" { "≥" } else { "≤" })));
            }
            '=' => {
                // `=` and `==` are both equality.
                let len = if next == Some('=') { 2 } else { 1 };
                out.push(single(Tok::Cmp(CmpOp::Eq), len));
                i += len;
                continue;
            }
            '!' if next == Some('=') => {
                out.push(single(Tok::Cmp(CmpOp::Ne), 2));
                i += 2;
                continue;
            }
            '<' | '>' => {
                let (op, len) = match (c, next) {
                    ('<', Some('=')) => (CmpOp::Le, 2),
                    ('>', Some('=')) => (CmpOp::Ge, 2),
                    ('<', Some('>')) => (CmpOp::Ne, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    _ => (CmpOp::Gt, 1),
                };
                out.push(single(Tok::Cmp(op), len));
                i += len;
                continue;
            }
            '/' => {
                let after_matches = matches!(out.last(), Some(Token { tok: Tok::Ident(k), .. }) if k == "matches");
                if after_matches {
                    let (pattern, j) = lex_delimited(src, &chars, i, '/', true)?;
                    out.push(Token { tok: Tok::Regex(pattern), span: Span::new(start, end_of(j)) });
                    i = j;
                    continue;
                }
                out.push(single(Tok::Slash, 1));
            }
            '"' | '“' => {
                let close = if c == '"' { '"' } else { '”' };
                let (s, j) = lex_delimited(src, &chars, i, close, false)?;
                out.push(Token { tok: Tok::Str(s), span: Span::new(start, end_of(j)) });
                i = j;
                continue;
            }
            c if c.is_ascii_digit() => {
                let (tok, j) = lex_number(src, &chars, i)?;
                out.push(Token { tok, span: Span::new(start, end_of(j)) });
                i = j;
                continue;
            }
            c if is_ident_start(c) => {
                let mut j = i;
                while chars.get(j).is_some_and(|(_, c)| is_ident_continue(*c)) {
                    j += 1;
                }
                let text = src.get(start..end_of(j)).unwrap_or_default();
                if text.chars().count() > MAX_LITERAL {
                    return Err(Diagnostic::new("name is too long", Span::new(start, end_of(j))));
                }
                out.push(Token { tok: Tok::Ident(text.to_string()), span: Span::new(start, end_of(j)) });
                i = j;
                continue;
            }
            other => {
                let hint = match other {
                    '&' => Some("write `and` (or 且)"),
                    '|' => Some("write `or` (or 或)"),
                    '!' => Some("write `not` (or 非)"),
                    '\'' => Some("text is written in double quotes: \"软件开发\""),
                    '【' | '】' => Some("lists use [ ]"),
                    _ => None,
                };
                let mut d = Diagnostic::new(format!("unexpected character {other:?}"), Span::new(start, end_of(i + 1)));
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                return Err(d);
            }
        }
        i += 1;
    }
    out.push(Token { tok: Tok::Eof, span: Span::new(src.len(), src.len()) });
    Ok(out)
}

/// Lexes `"…"` or `/…/` starting at `chars[i]` (the opening delimiter). Returns the
/// content and the index after the closing delimiter.
fn lex_delimited(src: &str, chars: &[(usize, char)], i: usize, close: char, regex: bool) -> Result<(String, usize), Diagnostic> {
    let start = chars.get(i).map_or(0, |(b, _)| *b);
    let mut s = String::new();
    let mut j = i + 1;
    loop {
        let Some(&(_, c)) = chars.get(j) else {
            let what = if regex { "regex" } else { "text" };
            return Err(
                Diagnostic::new(format!("unterminated {what}"), Span::new(start, src.len())).with_hint(format!("close it with {close}"))
            );
        };
        if c == close {
            j += 1;
            break;
        }
        if c == '\\' {
            let Some(&(_, n)) = chars.get(j + 1) else {
                j += 1;
                continue;
            };
            if regex {
                // `\/` is a slash; other escapes are the regex's own.
                if n != '/' {
                    s.push('\\');
                }
                s.push(n);
            } else {
                match n {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    '"' | '\\' | '”' => s.push(n),
                    _ => {
                        let b = chars.get(j).map_or(0, |(b, _)| *b);
                        return Err(Diagnostic::new(format!("unknown escape \\{n}"), Span::new(b, b + 1 + n.len_utf8()))
                            .with_hint("text escapes are \\\" \\\\ \\n \\t"));
                    }
                }
            }
            j += 2;
            continue;
        }
        s.push(c);
        j += 1;
        if s.chars().count() > MAX_LITERAL {
            return Err(Diagnostic::new(
                format!("literal longer than {MAX_LITERAL} characters"),
                Span::new(start, chars.get(j).map_or(src.len(), |(b, _)| *b)),
            ));
        }
    }
    Ok((s, j))
}

const UNITS: &[(&str, LitUnit)] = &[
    ("万元", LitUnit::Wan),
    ("亿元", LitUnit::Yi),
    ("万", LitUnit::Wan),
    ("亿", LitUnit::Yi),
    ("元", LitUnit::Yuan),
    ("%", LitUnit::Percent),
    ("％", LitUnit::Percent),
    ("人", LitUnit::Person),
    ("件", LitUnit::Piece),
    ("个", LitUnit::Piece),
    ("项", LitUnit::Piece),
    ("年", LitUnit::Year),
    ("月", LitUnit::Month),
];

fn lex_number(src: &str, chars: &[(usize, char)], i: usize) -> Result<(Tok, usize), Diagnostic> {
    let start = chars.get(i).map_or(0, |(b, _)| *b);
    let byte_at = |k: usize| chars.get(k).map_or(src.len(), |(b, _)| *b);
    let ch = |k: usize| chars.get(k).map(|(_, c)| *c);
    // Date: dddd-dd-dd
    let is_digit = |k: usize| ch(k).is_some_and(|c| c.is_ascii_digit());
    if (0..4).all(|k| is_digit(i + k))
        && ch(i + 4) == Some('-')
        && is_digit(i + 5)
        && is_digit(i + 6)
        && ch(i + 7) == Some('-')
        && is_digit(i + 8)
        && is_digit(i + 9)
        && !is_digit(i + 10)
    {
        let text = src.get(start..byte_at(i + 10)).unwrap_or_default();
        return match Date::parse(text) {
            Ok(d) => Ok((Tok::Date(d), i + 10)),
            Err(e) => Err(Diagnostic::new(e.to_string(), Span::new(start, byte_at(i + 10)))),
        };
    }
    // A date written another way (2025/06/30, 2025-6-30, 2025.6.30) would be read as
    // arithmetic and fail far from the cause: say how dates are written.
    if (0..4).all(|k| is_digit(i + k)) && !is_digit(i + 4) {
        if let Some(sep) = ch(i + 4).filter(|c| matches!(c, '/' | '-' | '.')) {
            let run = |k: usize| (0..3).take_while(|n| is_digit(k + n)).count();
            let m = run(i + 5);
            let d = if (1..=2).contains(&m) && ch(i + 5 + m) == Some(sep) { run(i + 6 + m) } else { 0 };
            if (1..=2).contains(&d) {
                let end = byte_at(i + 6 + m + d);
                let text = src.get(start..end).unwrap_or_default();
                return Err(Diagnostic::new(format!("`{text}` is not a date: dates are written YYYY-MM-DD"), Span::new(start, end))
                    .with_hint("write the year in four digits and the month and day in two, e.g. 2025-06-30"));
            }
        }
    }
    let mut j = i;
    while is_digit(j) {
        j += 1;
    }
    // A fraction, but not the `..` of a year range.
    if ch(j) == Some('.') && ch(j + 1) != Some('.') {
        if !is_digit(j + 1) {
            return Err(Diagnostic::new("a decimal point must be followed by digits", Span::new(start, byte_at(j + 1))));
        }
        j += 1;
        while is_digit(j) {
            j += 1;
        }
    }
    let digits = src.get(start..byte_at(j)).unwrap_or_default().to_string();
    if digits.len() > 28 {
        return Err(Diagnostic::new(format!("number has {} digits; at most 28 are supported", digits.len()), Span::new(start, byte_at(j))));
    }
    let rest = src.get(byte_at(j)..).unwrap_or_default();
    // Durations: 1y 6m 365d (ASCII letter not followed by more identifier characters).
    if let Some(u) = ch(j).filter(|c| matches!(c, 'y' | 'm' | 'd')) {
        if !ch(j + 1).is_some_and(is_ident_continue) {
            let n: i64 = digits
                .parse()
                .map_err(|_| Diagnostic::new("a duration is a whole number of years, months or days", Span::new(start, byte_at(j + 1))))?;
            let d = match u {
                'y' => Duration::Years(n),
                'm' => Duration::Months(n),
                _ => Duration::Days(n),
            };
            return Ok((Tok::Duration(d), j + 1));
        }
    }
    for (spelling, unit) in UNITS {
        if rest.starts_with(spelling) {
            let k = j + spelling.chars().count();
            return Ok((Tok::Number { digits, unit: *unit }, k));
        }
    }
    if ch(j).is_some_and(is_ident_start) {
        let mut k = j;
        while ch(k).is_some_and(is_ident_continue) {
            k += 1;
        }
        let word = src.get(byte_at(j)..byte_at(k)).unwrap_or_default();
        return Err(Diagnostic::new(format!("unknown unit `{word}`"), Span::new(byte_at(j), byte_at(k)))
            .with_hint("units are 元 万 万元 亿 亿元 % 人 件 个 项 年 月, and y m d for durations"));
    }
    Ok((Tok::Number { digits, unit: LitUnit::Plain }, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_with_units() {
        assert_eq!(
            toks("500万 3% 2021-01-01 1y 0.6"),
            vec![
                Tok::Number { digits: "500".into(), unit: LitUnit::Wan },
                Tok::Number { digits: "3".into(), unit: LitUnit::Percent },
                Tok::Date(Date::parse("2021-01-01").unwrap()),
                Tok::Duration(Duration::Years(1)),
                Tok::Number { digits: "0.6".into(), unit: LitUnit::Plain },
                Tok::Eof
            ]
        );
    }

    #[test]
    fn chinese_punctuation_and_keywords() {
        assert_eq!(
            toks("注册资本 ≥ 500万元 且 （x）"),
            vec![
                Tok::Ident("注册资本".into()),
                Tok::Cmp(CmpOp::Ge),
                Tok::Number { digits: "500".into(), unit: LitUnit::Wan },
                Tok::Ident("且".into()),
                Tok::LParen,
                Tok::Ident("x".into()),
                Tok::RParen,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn reversed_comparisons_are_named_with_the_fix() {
        let e = lex("注册资本 => 500万").unwrap_err();
        assert_eq!(e.message, "`=>` is not an operator");
        assert_eq!(e.hint.as_deref(), Some("write `>=` (or ≥)"));
        assert_eq!((e.span.start, e.span.end), ("注册资本 ".len() as u32, "注册资本 =>".len() as u32));
        assert_eq!(lex("x =< 3").unwrap_err().hint.as_deref(), Some("write `<=` (or ≤)"));
        assert_eq!(toks("x == 3")[1], Tok::Cmp(CmpOp::Eq));
    }

    #[test]
    fn regex_only_after_matches() {
        assert_eq!(toks("a / b")[1], Tok::Slash);
        assert_eq!(toks("s matches /芯片|a\\/b/")[2], Tok::Regex("芯片|a/b".into()));
    }

    #[test]
    fn policy_ids_in_eligible_are_one_token() {
        assert_eq!(toks("eligible(hitech-eit-15pct-rate)")[2], Tok::Ident("hitech-eit-15pct-rate".into()));
        assert_eq!(toks("x >= 15万")[2], Tok::Number { digits: "15".into(), unit: LitUnit::Wan });
    }

    #[test]
    fn errors_have_positions() {
        let e = lex("x >= 500美元").unwrap_err();
        assert!(e.message.contains("unknown unit `美元`"), "{}", e.message);
        assert_eq!(e.span, Span::new(8, 14));
        assert!(lex("\"abc").unwrap_err().message.contains("unterminated text"));
        assert!(lex("a & b").unwrap_err().hint.unwrap().contains("and"));
    }
}
