//! Recursive-descent parser: tokens → [`Expr`].
//!
//! Precedence, loosest first: `if … then … else …`; `or`; `and`; `not`; comparisons
//! (`= != < <= > >= between in under contains matches`, not chainable); `+ -`; `* /`;
//! unary `-`; `@` year access. Nesting is limited to [`MAX_DEPTH`], a chain of `and` / `or`
//! is built balanced (shallow however long), arithmetic chains count as nesting, and the
//! finished tree must be at most [`MAX_TREE_DEPTH`] deep, so hostile input cannot overflow
//! the stack (docs/limits.md).

use crate::lang::ast::*;
use crate::lang::diag::Diagnostic;
use crate::lang::lexer::{lex, Tok, Token};

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 40;

/// Parses a condition or value expression.
pub fn parse(src: &str) -> Result<Expr, Diagnostic> {
    let tokens = lex(src)?;
    let mut p = Parser { tokens, pos: 0, depth: 0, open: Span::default() };
    let e = p.expr()?;
    p.expect_eof()?;
    e.check_depth().map_err(|m| {
        Diagnostic::new(m, e.span).with_hint("split the condition into named definitions, or put fewer levels of parentheses")
    })?;
    Ok(e)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// The `(` of the call being parsed.
    open: Span,
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident(s) if s == kw)
}

/// Words that cannot be field names.
pub const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "under",
    "between",
    "contains",
    "contains_any",
    "contains_all",
    "matches",
    "if",
    "then",
    "else",
    "true",
    "false",
    "as_of",
    "且",
    "或",
    "非",
];

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, k: usize) -> &Tok {
        self.tokens.get(self.pos + k).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn span(&self) -> Span {
        self.tokens.get(self.pos).map_or_else(Span::default, |t| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos.checked_sub(1).and_then(|p| self.tokens.get(p)).map_or_else(Span::default, |t| t.span)
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens.get(self.pos).cloned().unwrap_or(Token { tok: Tok::Eof, span: Span::default() });
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        is_kw(self.peek(), kw)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        let found = self.peek().describe();
        let mut d = Diagnostic::new(format!("expected {expected}, found {found}"), self.span());
        if let Tok::Ident(w) = self.peek() {
            let lower = w.to_ascii_lowercase();
            if ["and", "or", "not", "in", "under", "between"].contains(&lower.as_str()) && *w != lower {
                d = d.with_hint(format!("keywords are lowercase: `{lower}`"));
            }
        }
        if matches!(self.peek(), Tok::Eof) && expected.contains(')') {
            d = d.with_hint("a parenthesis or bracket is not closed");
        }
        d
    }

    fn expect(&mut self, t: &Tok, what: &str) -> Result<Span, Diagnostic> {
        if self.peek() == t {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    /// Expects the closing `)` / `]` of the one opened at `open`; at the end of the text,
    /// the error points at the bracket left open, not at the end.
    fn close(&mut self, t: &Tok, what: &str, open: Span) -> Result<Span, Diagnostic> {
        if matches!(self.peek(), Tok::Eof) {
            let shape = if *t == Tok::RBracket { "`[`" } else { "`(`" };
            return Err(Diagnostic::new(format!("this {shape} is never closed"), open)
                .with_hint(format!("add the matching {what} (the text ended while it was open)")));
        }
        self.expect(t, what)
    }

    fn expect_eof(&mut self) -> Result<(), Diagnostic> {
        if matches!(self.peek(), Tok::Eof) {
            return Ok(());
        }
        let mut d = self.unexpected("an operator or the end of the condition");
        if let Tok::Ident(w) = self.peek() {
            if w == "AND" || w == "OR" || w == "&&" {
                d = d.with_hint("keywords are lowercase: `and`, `or`");
            } else {
                d = d.with_hint("two expressions must be joined by `and` / `or` (且 / 或)");
            }
        }
        Err(d)
    }

    fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new(format!("expression nested more than {MAX_DEPTH} levels deep"), self.span())
                .with_hint("this is a limit (docs/limits.md); split it into named definitions"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// expr := 'if' expr 'then' expr 'else' expr | or
    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.enter()?;
        let r = if self.at_kw("if") {
            let start = self.bump().span;
            let cond = self.expr()?;
            if !self.eat_kw("then") {
                return Err(self.unexpected("`then`"));
            }
            let then = self.expr()?;
            if !self.eat_kw("else") {
                return Err(self.unexpected("`else`").with_hint("every `if` needs an `else` branch"));
            }
            let otherwise = self.expr()?;
            let span = start.to(otherwise.span);
            Ok(Expr::new(ExprKind::If { cond: Box::new(cond), then: Box::new(then), otherwise: Box::new(otherwise) }, span))
        } else {
            self.or()
        };
        self.leave();
        r
    }

    fn or(&mut self) -> Result<Expr, Diagnostic> {
        self.chain(BinOp::Or)
    }

    fn and(&mut self) -> Result<Expr, Diagnostic> {
        self.chain(BinOp::And)
    }

    /// A chain of `or` (of `and` terms) or of `and` (of `not` terms), built balanced: a
    /// chain of thousands of terms is a shallow tree (see [`balanced`]).
    fn chain(&mut self, op: BinOp) -> Result<Expr, Diagnostic> {
        let (en, zh) = if op == BinOp::Or { ("or", "或") } else { ("and", "且") };
        let term = |p: &mut Self| if op == BinOp::Or { p.and() } else { p.not() };
        let first = term(self)?;
        if !(self.at_kw(en) || self.at_kw(zh)) {
            return Ok(first);
        }
        let start = first.span;
        let mut terms = vec![first];
        while self.at_kw(en) || self.at_kw(zh) {
            let at = self.bump().span;
            if terms.len() >= MAX_CHAIN_TERMS {
                return Err(Diagnostic::new(format!("more than {MAX_CHAIN_TERMS} terms joined by `{en}` in one chain"), start.to(at))
                    .with_hint("this is a limit (docs/limits.md); split the condition into named definitions"));
            }
            terms.push(term(self)?);
        }
        balanced(op, terms).ok_or_else(|| Diagnostic::new("internal: empty chain", start))
    }

    fn not(&mut self) -> Result<Expr, Diagnostic> {
        if self.at_kw("not") || self.at_kw("非") {
            let start = self.bump().span;
            self.enter()?;
            let inner = self.not();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr::new(ExprKind::Not { expr: Box::new(inner) }, span));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let lhs = self.additive()?;
        let start = lhs.span;
        let e = match self.peek().clone() {
            Tok::Cmp(op) => {
                self.bump();
                let rhs = self.additive()?;
                let span = start.to(rhs.span);
                Expr::new(ExprKind::Compare { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span)
            }
            Tok::Ident(k) if k == "between" => {
                self.bump();
                let low_inclusive = match self.peek() {
                    Tok::LBracket => true,
                    Tok::LParen => false,
                    _ => {
                        return Err(self
                            .unexpected("`[` or `(` (the bracket says whether the bound is included)")
                            .with_hint("write `x between [a, b)`: [ ] include the bound, ( ) exclude it"))
                    }
                };
                self.bump();
                let low = self.additive()?;
                self.expect(&Tok::Comma, "`,`")?;
                let high = self.additive()?;
                let high_inclusive = match self.peek() {
                    Tok::RBracket => true,
                    Tok::RParen => false,
                    _ => return Err(self.unexpected("`]` or `)`")),
                };
                let end = self.bump().span;
                Expr::new(
                    ExprKind::Between { expr: Box::new(lhs), low: Box::new(low), high: Box::new(high), low_inclusive, high_inclusive },
                    start.to(end),
                )
            }
            Tok::Ident(k) if k == "in" => {
                self.bump();
                let (items, end) = self.list_or_one()?;
                Expr::new(ExprKind::In { expr: Box::new(lhs), items, negated: false }, start.to(end))
            }
            Tok::Ident(k) if k == "not" && is_kw(self.peek_at(1), "in") => {
                self.bump();
                self.bump();
                let (items, end) = self.list_or_one()?;
                Expr::new(ExprKind::In { expr: Box::new(lhs), items, negated: true }, start.to(end))
            }
            Tok::Ident(k) if k == "under" => {
                self.bump();
                let (codes, end) = self.list_or_one()?;
                Expr::new(ExprKind::Under { expr: Box::new(lhs), codes }, start.to(end))
            }
            Tok::Ident(k) if k == "contains" || k == "contains_any" || k == "contains_all" => {
                self.bump();
                let mode = match k.as_str() {
                    "contains" => ContainsMode::One,
                    "contains_any" => ContainsMode::Any,
                    _ => ContainsMode::All,
                };
                let (items, end) = if mode == ContainsMode::One {
                    let item = self.additive()?;
                    let sp = item.span;
                    (vec![item], sp)
                } else {
                    self.list()?
                };
                Expr::new(ExprKind::Contains { expr: Box::new(lhs), mode, items }, start.to(end))
            }
            Tok::Ident(k) if k == "matches" => {
                self.bump();
                let t = self.bump();
                let Tok::Regex(pattern) = t.tok else {
                    self.pos -= 1;
                    return Err(self.unexpected("a regular expression `/…/`"));
                };
                Expr::new(ExprKind::Matches { expr: Box::new(lhs), pattern }, start.to(t.span))
            }
            _ => return Ok(lhs),
        };
        if let Tok::Cmp(_) = self.peek() {
            return Err(
                Diagnostic::new("comparisons cannot be chained", self.span()).with_hint("write `a <= x and x <= b`, or `x between [a, b]`")
            );
        }
        Ok(e)
    }

    fn list_or_one(&mut self) -> Result<(Vec<Expr>, Span), Diagnostic> {
        if matches!(self.peek(), Tok::LBracket) {
            self.list()
        } else {
            let e = self.additive()?;
            let sp = e.span;
            Ok((vec![e], sp))
        }
    }

    /// `[a, b, c]`
    fn list(&mut self) -> Result<(Vec<Expr>, Span), Diagnostic> {
        let open = self.expect(&Tok::LBracket, "`[`")?;
        let mut items = Vec::new();
        if !matches!(self.peek(), Tok::RBracket) {
            loop {
                if items.len() >= MAX_LIST_ITEMS {
                    return Err(Diagnostic::new(format!("a list of more than {MAX_LIST_ITEMS} items"), self.span())
                        .with_hint("this is a limit (docs/limits.md); a longer list belongs in a code table or a tag"));
                }
                items.push(self.expr()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
                if matches!(self.peek(), Tok::RBracket) {
                    break; // trailing comma
                }
            }
        }
        let end = self.close(&Tok::RBracket, "`]`", open)?;
        Ok((items, end))
    }

    fn additive(&mut self) -> Result<Expr, Diagnostic> {
        self.arith_chain(true)
    }

    fn multiplicative(&mut self) -> Result<Expr, Diagnostic> {
        self.arith_chain(false)
    }

    /// `a + b - c` (or `a * b / c`), left to right. Each further term nests the chain one
    /// level deeper, so it counts towards the nesting limit, and a chain is at most
    /// [`MAX_ARITH_TERMS`] long.
    fn arith_chain(&mut self, additive: bool) -> Result<Expr, Diagnostic> {
        let term = |p: &mut Self| if additive { p.multiplicative() } else { p.unary() };
        let mut lhs = term(self)?;
        let mut entered = 0;
        let r = loop {
            let op = match (additive, self.peek()) {
                (true, Tok::Plus) => BinOp::Add,
                (true, Tok::Minus) => BinOp::Sub,
                (false, Tok::Star) => BinOp::Mul,
                (false, Tok::Slash) => BinOp::Div,
                _ => break Ok(lhs),
            };
            if entered + 1 >= MAX_ARITH_TERMS {
                let ops = if additive { "`+` / `-`" } else { "`*` / `/`" };
                break Err(Diagnostic::new(format!("more than {MAX_ARITH_TERMS} terms joined by {ops} in one chain"), self.span())
                    .with_hint("this is a limit (docs/limits.md); name parts of the sum in definitions"));
            }
            self.bump();
            if let Err(e) = self.enter() {
                break Err(e);
            }
            entered += 1;
            let rhs = match term(self) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span);
        };
        for _ in 0..entered {
            self.leave();
        }
        r
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        if matches!(self.peek(), Tok::Minus) {
            let start = self.bump().span;
            self.enter()?;
            let inner = self.unary();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr::new(ExprKind::Neg { expr: Box::new(inner) }, span));
        }
        self.postfix()
    }

    fn period(&mut self) -> Result<Period, Diagnostic> {
        let t = self.bump();
        match &t.tok {
            Tok::Ident(s) => fiscal_year(s)
                .map(Period::Fy)
                .ok_or_else(|| Diagnostic::new(format!("expected a year after `@` (fy1, fy2, 2023), found `{s}`"), t.span)),
            Tok::Number { digits, unit: LitUnit::Plain } if digits.len() == 4 => {
                digits.parse::<i32>().map(Period::Year).map_err(|_| Diagnostic::new("bad year", t.span))
            }
            Tok::Number { digits, unit: LitUnit::Year } if digits.len() == 4 => {
                digits.parse::<i32>().map(Period::Year).map_err(|_| Diagnostic::new("bad year", t.span))
            }
            other => Err(Diagnostic::new(format!("expected a year after `@` (fy1, fy2, 2023), found {}", other.describe()), t.span)),
        }
    }

    fn postfix(&mut self) -> Result<Expr, Diagnostic> {
        let e = self.primary()?;
        if !matches!(self.peek(), Tok::At) {
            return Ok(e);
        }
        self.bump();
        let period = self.period()?;
        let to = if self.eat(&Tok::DotDot) { Some(self.period()?) } else { None };
        let span = e.span.to(self.prev_span());
        Ok(Expr::new(ExprKind::At { expr: Box::new(e), period, to }, span))
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.bump();
        let span = t.span;
        let kind = match t.tok {
            Tok::Number { digits, unit: LitUnit::Plain } if digits.len() == 4 && matches!(self.peek(), Tok::DotDot) => {
                let from = digits.parse::<i32>().map(Period::Year).map_err(|_| Diagnostic::new("bad year", span))?;
                self.bump();
                let to = self.period()?;
                return Ok(Expr::new(ExprKind::YearRange { from, to }, span.to(self.prev_span())));
            }
            Tok::Number { digits, unit } => ExprKind::Number { value: digits, unit },
            Tok::Date(d) => ExprKind::Date { value: d },
            Tok::Duration(d) => ExprKind::Duration { value: d },
            Tok::Str(s) => ExprKind::Text { value: s },
            Tok::Regex(_) => return Err(Diagnostic::new("a regular expression may only follow `matches`", span)),
            Tok::LParen => {
                // `expr` counts the nesting level.
                let mut e = self.expr()?;
                let end = self.close(&Tok::RParen, "`)`", span)?;
                e.span = span.to(end);
                return Ok(e);
            }
            Tok::LBracket => {
                self.pos -= 1;
                let (items, end) = self.list()?;
                return Ok(Expr::new(ExprKind::List { items }, span.to(end)));
            }
            Tok::Ident(name) => {
                match name.as_str() {
                    "true" => return Ok(Expr::new(ExprKind::Bool { value: true }, span)),
                    "false" => return Ok(Expr::new(ExprKind::Bool { value: false }, span)),
                    "as_of" => return Ok(Expr::new(ExprKind::AsOf, span)),
                    _ => {}
                }
                if let Some(k) = fiscal_year(&name) {
                    if self.eat(&Tok::DotDot) {
                        let to = self.period()?;
                        return Ok(Expr::new(ExprKind::YearRange { from: Period::Fy(k), to }, span.to(self.prev_span())));
                    }
                    return Ok(Expr::new(ExprKind::FiscalYear { k }, span));
                }
                if KEYWORDS.contains(&name.as_str()) {
                    return Err(Diagnostic::new(format!("expected a value, found keyword `{name}`"), span));
                }
                if matches!(self.peek(), Tok::LParen) {
                    return self.call(name, span);
                }
                ExprKind::Name { name }
            }
            other => {
                self.pos -= 1;
                let _ = other;
                return Err(self.unexpected("a value (field, number, date, text, function call or `(`)"));
            }
        };
        Ok(Expr::new(kind, span))
    }

    fn call(&mut self, function: String, start: Span) -> Result<Expr, Diagnostic> {
        self.open = self.bump().span; // (
        self.enter()?;
        let r = self.call_args(function, start);
        self.leave();
        r
    }

    fn call_args(&mut self, function: String, start: Span) -> Result<Expr, Diagnostic> {
        let open = self.open;
        if function == "band" {
            let subject = self.expr()?;
            self.expect(&Tok::Semicolon, "`;` after the banded value")?;
            let mut rows = Vec::new();
            let mut otherwise = None;
            loop {
                if self.eat_kw("else") {
                    self.expect(&Tok::Colon, "`:`")?;
                    otherwise = Some(Box::new(self.expr()?));
                    break;
                }
                let op = match self.peek() {
                    Tok::Cmp(op) => *op,
                    _ => return Err(self.unexpected("a band row like `>= 6%: 50`, or `else: 0`")),
                };
                self.bump();
                let threshold = self.additive()?;
                self.expect(&Tok::Colon, "`:` between threshold and score")?;
                let score = self.additive()?;
                rows.push(BandRow { op, threshold, score });
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            let end = self.close(&Tok::RParen, "`)`", open)?;
            if rows.is_empty() {
                return Err(Diagnostic::new("a band needs at least one row", start.to(end)));
            }
            return Ok(Expr::new(ExprKind::Band { expr: Box::new(subject), rows, otherwise }, start.to(end)));
        }
        let mut args = Vec::new();
        if function == "eligible" {
            // Policy ids may contain '-': join adjacent tokens into one name.
            if let Some(e) = self.policy_id_arg()? {
                args.push(e);
            }
        } else if !matches!(self.peek(), Tok::RParen) {
            loop {
                if args.len() >= MAX_LIST_ITEMS {
                    return Err(Diagnostic::new(format!("more than {MAX_LIST_ITEMS} arguments"), self.span())
                        .with_hint("this is a limit (docs/limits.md)"));
                }
                args.push(self.expr()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let end = self.close(&Tok::RParen, "`)`", open)?;
        Ok(Expr::new(ExprKind::Call { function, args }, start.to(end)))
    }

    fn policy_id_arg(&mut self) -> Result<Option<Expr>, Diagnostic> {
        if let Tok::Str(s) = self.peek().clone() {
            let sp = self.bump().span;
            return Ok(Some(Expr::new(ExprKind::Name { name: s }, sp)));
        }
        let first = self.span();
        let mut name = String::new();
        let mut last_end = first.start;
        while !matches!(self.peek(), Tok::RParen | Tok::Eof) {
            let sp = self.span();
            if !name.is_empty() && sp.start != last_end {
                return Err(Diagnostic::new("a policy id cannot contain spaces", sp));
            }
            let piece = match self.peek() {
                Tok::Ident(s) => s.clone(),
                Tok::Number { digits, unit: LitUnit::Plain } => digits.clone(),
                Tok::Minus => "-".into(),
                Tok::Duration(d) => d.to_string(),
                _ => return Err(self.unexpected("a policy id")),
            };
            name.push_str(&piece);
            last_end = sp.end;
            self.bump();
        }
        if name.is_empty() {
            return Ok(None);
        }
        Ok(Some(Expr::new(ExprKind::Name { name }, Span { start: first.start, end: last_end })))
    }
}

/// `fy3` → 3.
pub fn fiscal_year(s: &str) -> Option<u32> {
    let n = s.strip_prefix("fy")?;
    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|k| *k >= 1)
}
