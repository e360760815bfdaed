//! Pretty-printer: [`Expr`] → text that parses back to the same tree.
//!
//! Parentheses are printed only where precedence needs them, so `a and (b or c)` keeps its
//! parentheses and `(a and b) and c` loses them (both sides of that are the same tree). A
//! chain of `and` / `or` prints flat when it has the balanced shape the parser builds.

use std::fmt::Write;

use crate::lang::ast::*;

/// Prints an expression as condition text.
pub fn print(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(&mut s, e, 0);
    s
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => 0,
        ExprKind::Binary { op: BinOp::Or, .. } => 1,
        ExprKind::Binary { op: BinOp::And, .. } => 2,
        ExprKind::Not { .. } => 3,
        ExprKind::Compare { .. }
        | ExprKind::Between { .. }
        | ExprKind::In { .. }
        | ExprKind::Under { .. }
        | ExprKind::Contains { .. }
        | ExprKind::Matches { .. } => 4,
        ExprKind::Binary { op: BinOp::Add | BinOp::Sub, .. } => 5,
        ExprKind::Binary { op: BinOp::Mul | BinOp::Div, .. } => 6,
        ExprKind::Neg { .. } => 7,
        _ => 9,
    }
}

fn period(p: Period) -> String {
    match p {
        Period::Fy(k) => format!("fy{k}"),
        Period::Year(y) => y.to_string(),
    }
}

fn list(s: &mut String, items: &[Expr]) {
    s.push('[');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        write_expr(s, it, 0);
    }
    s.push(']');
}

fn quote(s: &mut String, text: &str) {
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
}

fn write_expr(s: &mut String, e: &Expr, min: u8) {
    let p = prec(e);
    if p < min {
        s.push('(');
        write_expr(s, e, 0);
        s.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Bool { value } => s.push_str(if *value { "true" } else { "false" }),
        ExprKind::Number { value, unit } => {
            s.push_str(value);
            s.push_str(unit.suffix());
        }
        ExprKind::Date { value } => {
            let _ = write!(s, "{value}");
        }
        ExprKind::Duration { value } => {
            let _ = write!(s, "{value}");
        }
        ExprKind::Text { value } => quote(s, value),
        ExprKind::Regex { pattern } => {
            let _ = write!(s, "/{}/", pattern.replace('/', "\\/"));
        }
        ExprKind::AsOf => s.push_str("as_of"),
        ExprKind::FiscalYear { k } => {
            let _ = write!(s, "fy{k}");
        }
        ExprKind::Name { name } => s.push_str(name),
        ExprKind::At { expr, period: from, to } => {
            write_expr(s, expr, 9);
            s.push('@');
            s.push_str(&period(*from));
            if let Some(t) = to {
                s.push_str("..");
                s.push_str(&period(*t));
            }
        }
        ExprKind::YearRange { from, to } => {
            let _ = write!(s, "{}..{}", period(*from), period(*to));
        }
        ExprKind::Neg { expr } => {
            s.push('-');
            write_expr(s, expr, 7);
        }
        ExprKind::Not { expr } => {
            s.push_str("not ");
            write_expr(s, expr, 3);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let sym = match op {
                BinOp::Add => " + ",
                BinOp::Sub => " - ",
                BinOp::Mul => " * ",
                BinOp::Div => " / ",
                BinOp::And => " and ",
                BinOp::Or => " or ",
            };
            if matches!(op, BinOp::And | BinOp::Or) {
                // The parser builds a chain balanced: a tree of that shape prints as the
                // plain chain; any other shape keeps its parentheses.
                if balanced_terms(e, *op).is_some() {
                    for (i, t) in chain_terms(e, *op).into_iter().enumerate() {
                        if i > 0 {
                            s.push_str(sym);
                        }
                        write_expr(s, t, p + 1);
                    }
                } else {
                    write_expr(s, lhs, p + 1);
                    s.push_str(sym);
                    write_expr(s, rhs, p + 1);
                }
                return;
            }
            write_expr(s, lhs, p);
            s.push_str(sym);
            write_expr(s, rhs, p + 1);
        }
        ExprKind::Compare { op, lhs, rhs } => {
            write_expr(s, lhs, 5);
            let _ = write!(s, " {} ", op.symbol());
            write_expr(s, rhs, 5);
        }
        ExprKind::Between { expr, low, high, low_inclusive, high_inclusive } => {
            write_expr(s, expr, 5);
            s.push_str(if *low_inclusive { " between [" } else { " between (" });
            write_expr(s, low, 5);
            s.push_str(", ");
            write_expr(s, high, 5);
            s.push(if *high_inclusive { ']' } else { ')' });
        }
        ExprKind::In { expr, items, negated } => {
            write_expr(s, expr, 5);
            s.push_str(if *negated { " not in " } else { " in " });
            list(s, items);
        }
        ExprKind::Under { expr, codes } => {
            write_expr(s, expr, 5);
            s.push_str(" under ");
            list(s, codes);
        }
        ExprKind::Contains { expr, mode, items } => {
            write_expr(s, expr, 5);
            match (mode, items.as_slice()) {
                (ContainsMode::One, [one]) => {
                    s.push_str(" contains ");
                    write_expr(s, one, 5);
                }
                (ContainsMode::All, _) => {
                    s.push_str(" contains_all ");
                    list(s, items);
                }
                _ => {
                    s.push_str(" contains_any ");
                    list(s, items);
                }
            }
        }
        ExprKind::Matches { expr, pattern } => {
            write_expr(s, expr, 5);
            let _ = write!(s, " matches /{}/", pattern.replace('/', "\\/"));
        }
        ExprKind::If { cond, then, otherwise } => {
            s.push_str("if ");
            write_expr(s, cond, 0);
            s.push_str(" then ");
            write_expr(s, then, 0);
            s.push_str(" else ");
            write_expr(s, otherwise, 0);
        }
        ExprKind::Call { function, args } => {
            s.push_str(function);
            s.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_expr(s, a, 0);
            }
            s.push(')');
        }
        ExprKind::List { items } => list(s, items),
        ExprKind::Band { expr, rows, otherwise } => {
            s.push_str("band(");
            write_expr(s, expr, 0);
            s.push_str("; ");
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "{} ", r.op.symbol());
                write_expr(s, &r.threshold, 5);
                s.push_str(": ");
                write_expr(s, &r.score, 5);
            }
            if let Some(o) = otherwise {
                s.push_str(", else: ");
                write_expr(s, o, 0);
            }
            s.push(')');
        }
    }
}
