//! The reference evaluator: the oracle every fast path is tested against.
//!
//! It walks the checked tree directly with Kleene three-valued logic. A missing field makes
//! its leaf *unknown* and records the field; `false and unknown` is false, `true or
//! unknown` is true, `not unknown` is unknown. Division by zero, a growth rate over a zero
//! base and `manual_review(…)` are unknown too, never an error or a guess. The evaluation
//! date is an input; nothing here reads the clock.
//!
//! It is deliberately simple: no caching beyond definitions and `eligible(…)` results
//! within one evaluation, no short cuts that change results.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::check::{Agg, ArithOp, Const, GrantKind, Node, NodeKind, RecordAgg, SinceUnit, YearRef};
use crate::date::{Date, Duration};
use crate::lang::ast::{CmpOp, ContainsMode};
use crate::policy::PolicySet;
use crate::profile::{Profile, Qualification, Record, Scalar, Value};
use crate::schema::{FieldId, FieldType};

mod reads;
pub(crate) use reads::aggregate;

use reads::growth;

/// A runtime value.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum<'a> {
    Bool(bool),
    Num(Decimal),
    Date(Date),
    Dur(Duration),
    Enum(u32),
    Code(&'a str),
    Text(&'a str),
    Tags(&'a BTreeSet<String>),
    Quals(&'a [Qualification]),
    Year(i32),
}

/// Why a value is unknown: the fields that would decide it, and other reasons.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unknown {
    pub fields: BTreeSet<FieldId>,
    /// A `manual_review` leaf is involved.
    pub manual: bool,
    /// A value is undefined (division by zero, growth over a zero base).
    pub undefined: bool,
}

impl Unknown {
    fn field(f: FieldId) -> Unknown {
        Unknown { fields: BTreeSet::from([f]), ..Unknown::default() }
    }
    fn undefined() -> Unknown {
        Unknown { undefined: true, ..Unknown::default() }
    }
    fn merge(&mut self, o: Unknown) {
        self.fields.extend(o.fields);
        self.manual |= o.manual;
        self.undefined |= o.undefined;
    }
}

impl<'a> Datum<'a> {
    /// The value of a constant, a year given relative to the evaluation date resolved by
    /// `year`: the one conversion the evaluator, the explanation and the index use.
    pub fn of_const(c: &'a Const, year: impl FnOnce(YearRef) -> i32) -> Datum<'a> {
        match c {
            Const::Bool(b) => Datum::Bool(*b),
            Const::Num(d) => Datum::Num(*d),
            Const::Date(d) => Datum::Date(*d),
            Const::Duration(d) => Datum::Dur(*d),
            Const::Enum(e) => Datum::Enum(*e),
            Const::Code(s) => Datum::Code(s),
            Const::Text(s) => Datum::Text(s),
            Const::Year(y) => Datum::Year(year(*y)),
        }
    }
}

/// Result of evaluating a node.
pub type Evaluated<'a> = Result<Datum<'a>, Unknown>;

/// `a op b` as the evaluator computes it: `None` (undefined, so unknown) on overflow and
/// on division by zero. The store's column-wise arithmetic uses the same function.
pub(crate) fn arith(op: ArithOp, a: Decimal, b: Decimal) -> Option<Decimal> {
    match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => {
            if b.is_zero() {
                None
            } else {
                a.checked_div(b)
            }
        }
    }
}

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    /// `at_least(k, …)` in Kleene logic, from how many of its parts are true and how many
    /// unknown: true once `k` are true, false once even every unknown part turning true
    /// could not reach `k`, unknown between. The one rule every path uses (the evaluator,
    /// the explanation, the index's programs and their interpreter).
    pub fn at_least(k: u32, true_parts: u32, unknown_parts: u32) -> Tri {
        if true_parts >= k {
            Tri::True
        } else if true_parts.saturating_add(unknown_parts) < k {
            Tri::False
        } else {
            Tri::Unknown
        }
    }

    /// Counts one more part of an `at_least`: `(true, unknown)`.
    pub fn tally(self, (t, u): (u32, u32)) -> (u32, u32) {
        match self {
            Tri::True => (t + 1, u),
            Tri::Unknown => (t, u + 1),
            Tri::False => (t, u),
        }
    }

    pub fn from_ev(e: &Evaluated<'_>) -> Tri {
        match e {
            Ok(Datum::Bool(true)) => Tri::True,
            Ok(_) => Tri::False,
            Err(_) => Tri::Unknown,
        }
    }
}

/// What is known of an unknown number: it lies in `[lo, hi]` (`None`: unbounded on that
/// side). A `max(…)` is at least its largest known argument, a `min(…)` at most its
/// smallest; a `count` or `sum` over records some of which are undecided lies between
/// what the decided records give and what the undecided ones could add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub lo: Option<Decimal>,
    pub hi: Option<Decimal>,
}

impl Range {
    /// The comparison `x op c` when every `x` in the range gives the same answer.
    pub fn decides(self, op: CmpOp, c: Decimal) -> Option<bool> {
        let ge = |b: Option<Decimal>| b.is_some_and(|b| b >= c);
        let gt = |b: Option<Decimal>| b.is_some_and(|b| b > c);
        let le = |b: Option<Decimal>| b.is_some_and(|b| b <= c);
        let lt = |b: Option<Decimal>| b.is_some_and(|b| b < c);
        let exact = self.lo == Some(c) && self.hi == Some(c);
        let outside = gt(self.lo) || lt(self.hi);
        match op {
            CmpOp::Ge if ge(self.lo) => Some(true),
            CmpOp::Ge if lt(self.hi) => Some(false),
            CmpOp::Gt if gt(self.lo) => Some(true),
            CmpOp::Gt if le(self.hi) => Some(false),
            CmpOp::Le if le(self.hi) => Some(true),
            CmpOp::Le if gt(self.lo) => Some(false),
            CmpOp::Lt if lt(self.hi) => Some(true),
            CmpOp::Lt if ge(self.lo) => Some(false),
            CmpOp::Eq if exact => Some(true),
            CmpOp::Eq if outside => Some(false),
            CmpOp::Ne if outside => Some(true),
            CmpOp::Ne if exact => Some(false),
            _ => None,
        }
    }
}

/// A `count` / `sum` over records, directly or through definitions (comparisons of it are
/// decided by its range: the index leaves them to the evaluator).
pub fn ranged_records<'a>(set: &'a PolicySet, n: &'a Node) -> bool {
    let mut n = n;
    for _ in 0..=crate::policy::MAX_EXPANDED_DEPTH {
        match &n.kind {
            NodeKind::Def(i) => match set.definitions.get(*i) {
                Some(d) => n = &d.node,
                None => return false,
            },
            NodeKind::Records { agg: RecordAgg::Count | RecordAgg::Sum, .. } => return true,
            _ => return false,
        }
    }
    false
}

/// Whether a comparison of `n` is decided by the evaluator from a range rather than from
/// a value (`max` / `min` with unknown arguments, `count` / `sum` over records).
pub fn compared_by_range(set: &PolicySet, n: &Node) -> bool {
    bounded_minmax(set, n).is_some() || ranged_records(set, n)
}

/// The `max(…)` / `min(…)` a numeric node is, directly or through definitions: (whether
/// max, its arguments). Comparisons of such a node are decided by [`Evaluator`] with the
/// bound its known arguments give, so the index leaves them to the evaluator.
pub fn bounded_minmax<'a>(set: &'a PolicySet, n: &'a Node) -> Option<(bool, &'a [Node])> {
    let mut n = n;
    // Definitions nest at most MAX_EXPANDED_DEPTH deep.
    for _ in 0..=crate::policy::MAX_EXPANDED_DEPTH {
        match &n.kind {
            NodeKind::Def(i) => n = &set.definitions.get(*i)?.node,
            NodeKind::MinMax { max, args } if matches!(n.ty, crate::check::Ty::Num(_)) => return Some((*max, args)),
            _ => return None,
        }
    }
    None
}

/// Both values, or the unknown of either (both merged when both are unknown, so the
/// fields that would decide the pair are all named).
fn both<A, B>(a: Result<A, Unknown>, b: Result<B, Unknown>) -> Result<(A, B), Unknown> {
    match (a, b) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        (Err(mut e), Err(f)) => {
            e.merge(f);
            Err(e)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Evaluates nodes of one policy set against one profile on one date.
pub struct Evaluator<'a> {
    pub set: &'a PolicySet,
    pub profile: &'a Profile,
    pub as_of: Date,
    loop_year: Cell<Option<i32>>,
    /// The record a quantifier over records is visiting, and its index.
    loop_record: Cell<Option<(usize, &'a Record)>>,
    defs: RefCell<Vec<Option<Evaluated<'a>>>>,
    policies: RefCell<Vec<Option<Result<bool, Unknown>>>>,
    qual_field: Option<FieldId>,
    reg_field: Option<FieldId>,
}

impl<'a> Evaluator<'a> {
    pub fn new(set: &'a PolicySet, profile: &'a Profile, as_of: Date) -> Evaluator<'a> {
        let schema = &set.schema;
        Evaluator {
            set,
            profile,
            as_of,
            loop_year: Cell::new(None),
            loop_record: Cell::new(None),
            // Caches grow on first use: a match through the index touches few of them.
            defs: RefCell::new(Vec::new()),
            policies: RefCell::new(Vec::new()),
            qual_field: schema.fields.iter().find(|f| f.ty == FieldType::Qualifications).map(|f| f.id),
            reg_field: schema.field("registration_date").map(|f| f.id),
        }
    }

    /// The calendar year a [`YearRef`] denotes on this evaluation date.
    pub fn year(&self, y: YearRef) -> i32 {
        match y {
            YearRef::Fy(k) => self.as_of.year() - i32::try_from(k).unwrap_or(0),
            YearRef::Abs(y) => y,
            YearRef::Loop => self.loop_year.get().unwrap_or_else(|| self.as_of.year() - 1),
        }
    }

    fn years(&self, from: YearRef, to: YearRef) -> Vec<i32> {
        let (a, b) = (self.year(from), self.year(to));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        (lo..=hi).collect()
    }

    /// Runs `f` with the loop year of `all_years` / `any_years` set to `year`.
    pub fn with_loop_year<R>(&self, year: i32, f: impl FnOnce() -> R) -> R {
        let saved = self.loop_year.replace(Some(year));
        let r = f();
        self.loop_year.set(saved);
        r
    }

    /// Runs `f` with the loop year set to `year` (none: outside any quantifier).
    pub fn with_loop_year_opt<R>(&self, year: Option<i32>, f: impl FnOnce() -> R) -> R {
        let saved = self.loop_year.replace(year);
        let r = f();
        self.loop_year.set(saved);
        r
    }

    /// The loop year of the enclosing `all_years` / `any_years` being evaluated, if any.
    pub fn loop_year(&self) -> Option<i32> {
        self.loop_year.get()
    }

    /// Evaluates a node.
    pub fn eval(&self, n: &'a Node) -> Evaluated<'a> {
        use NodeKind as K;
        match &n.kind {
            K::Const(c) => Ok(self.constant(c)),
            K::AsOf => Ok(Datum::Date(self.as_of)),
            K::Field { field, year } => self.field(*field, *year),
            K::Def(i) => self.def(*i),
            K::Eligible(i) => self.policy(*i).map(Datum::Bool),
            K::Not(x) => match self.eval(x)? {
                Datum::Bool(b) => Ok(Datum::Bool(!b)),
                _ => Err(Unknown::undefined()),
            },
            // Kleene `and` / `or`: a false (true) part decides; else any unknown part leaves
            // it unknown, with the fields that would decide it.
            K::And(xs) => self.connective(xs, false),
            K::Or(xs) => self.connective(xs, true),
            K::AtLeast(k, xs) => {
                let (mut t, mut u) = (0u32, 0u32);
                let mut unknown = Unknown::default();
                for x in xs {
                    match self.eval(x) {
                        Ok(Datum::Bool(true)) => t += 1,
                        Ok(_) => {}
                        Err(e) => {
                            u += 1;
                            unknown.merge(e);
                        }
                    }
                }
                match Tri::at_least(*k, t, u) {
                    Tri::True => Ok(Datum::Bool(true)),
                    Tri::False => Ok(Datum::Bool(false)),
                    Tri::Unknown => Err(unknown),
                }
            }
            K::Cmp { op, lhs, rhs } => {
                let (l, r) = (self.eval(lhs), self.eval(rhs));
                // `max(x, unknown) >= t` is true when `x >= t`: a max (min) with some
                // arguments known is bounded below (above), which may decide the
                // comparison in Kleene logic. See docs/language.md (Three-valued logic).
                match (&l, &r) {
                    (Err(_), Ok(Datum::Num(c))) => {
                        if let Some(b) = self.bounded(lhs).and_then(|b| b.decides(*op, *c)) {
                            return Ok(Datum::Bool(b));
                        }
                    }
                    (Ok(Datum::Num(c)), Err(_)) => {
                        if let Some(b) = self.bounded(rhs).and_then(|b| b.decides(op.flip(), *c)) {
                            return Ok(Datum::Bool(b));
                        }
                    }
                    _ => {}
                }
                let (a, b) = both(l, r)?;
                let ord = compare(&a, &b).ok_or_else(Unknown::undefined)?;
                Ok(Datum::Bool(op.holds(ord)))
            }
            K::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let (x, lo, hi) = (self.eval(expr), self.eval(low), self.eval(high));
                // A count or sum over records known only as a range: decided when the
                // range lies inside the bounds, or outside them.
                if let (Err(_), Ok(Datum::Num(a)), Ok(Datum::Num(b))) = (&x, &lo, &hi) {
                    if let Some(r) = self.bounded(expr).filter(|_| ranged_records(self.set, expr)) {
                        let lower = r.decides(if *low_inclusive { CmpOp::Ge } else { CmpOp::Gt }, *a);
                        let upper = r.decides(if *high_inclusive { CmpOp::Le } else { CmpOp::Lt }, *b);
                        match (lower, upper) {
                            (Some(false), _) | (_, Some(false)) => return Ok(Datum::Bool(false)),
                            (Some(true), Some(true)) => return Ok(Datum::Bool(true)),
                            _ => {}
                        }
                    }
                }
                let (x, lo, hi) = match (both(x, lo), hi) {
                    (Ok((x, lo)), Ok(hi)) => (x, lo, hi),
                    (Err(mut u), Err(v)) => {
                        u.merge(v);
                        return Err(u);
                    }
                    (Err(u), _) | (_, Err(u)) => return Err(u),
                };
                let a = compare(&x, &lo).ok_or_else(Unknown::undefined)?;
                let b = compare(&x, &hi).ok_or_else(Unknown::undefined)?;
                let lo_ok = if *low_inclusive { a != Ordering::Less } else { a == Ordering::Greater };
                let hi_ok = if *high_inclusive { b != Ordering::Greater } else { b == Ordering::Less };
                Ok(Datum::Bool(lo_ok && hi_ok))
            }
            K::InSet { expr, items, negated } => {
                let x = self.eval(expr)?;
                let found = items.iter().any(|c| compare(&x, &self.constant(c)) == Some(Ordering::Equal));
                Ok(Datum::Bool(found != *negated))
            }
            K::Under { expr, system, codes } => {
                let Datum::Code(c) = self.eval(expr)? else { return Err(Unknown::undefined()) };
                let sys = self.set.schema.codes.get(*system).ok_or_else(Unknown::undefined)?;
                if codes.iter().any(|a| sys.is_under(c, a)) {
                    return Ok(Datum::Bool(true));
                }
                // A coarser code than the ones asked for (C for C39) cannot decide: unknown,
                // and the field that needs more detail is the one to ask for.
                if codes.iter().any(|a| a != c && sys.is_under(a, c)) {
                    let mut fields = Vec::new();
                    expr.fields(&mut fields);
                    return Err(Unknown { fields: crate::sort::set_of(fields), ..Unknown::default() });
                }
                Ok(Datum::Bool(false))
            }
            K::TagContains { expr, mode, items } => {
                let Datum::Tags(t) = self.eval(expr)? else { return Err(Unknown::undefined()) };
                let hit = |s: &String| t.contains(s);
                Ok(Datum::Bool(match mode {
                    ContainsMode::All => items.iter().all(hit),
                    _ => items.iter().any(hit),
                }))
            }
            K::TextContains { expr, mode, items } => {
                let Datum::Text(t) = self.eval(expr)? else { return Err(Unknown::undefined()) };
                let hit = |s: &String| t.contains(s.as_str());
                Ok(Datum::Bool(match mode {
                    ContainsMode::All => items.iter().all(hit),
                    _ => items.iter().any(hit),
                }))
            }
            K::Matches { expr, pattern } => {
                let Datum::Text(t) = self.eval(expr)? else { return Err(Unknown::undefined()) };
                Ok(Datum::Bool(pattern.regex.is_match(t)))
            }
            K::Arith { op, lhs, rhs } => {
                let (a, b) = both(self.eval(lhs), self.eval(rhs))?;
                let (Datum::Num(a), Datum::Num(b)) = (a, b) else { return Err(Unknown::undefined()) };
                arith(*op, a, b).map(Datum::Num).ok_or_else(Unknown::undefined)
            }
            K::Neg(x) => match self.eval(x)? {
                Datum::Num(d) => Ok(Datum::Num(-d)),
                _ => Err(Unknown::undefined()),
            },
            K::MinMax { max, args } => {
                let mut best: Option<Decimal> = None;
                let mut unknown: Option<Unknown> = None;
                for a in args {
                    match self.num(a) {
                        Ok(d) => best = Some(best.map_or(d, |b| if *max { b.max(d) } else { b.min(d) })),
                        Err(u) => unknown.get_or_insert_with(Unknown::default).merge(u),
                    }
                }
                match (unknown, best) {
                    (Some(u), _) => Err(u),
                    (None, Some(b)) => Ok(Datum::Num(b)),
                    (None, None) => Err(Unknown::undefined()),
                }
            }
            K::If { cond, then, otherwise } => match self.eval(cond)? {
                Datum::Bool(true) => self.eval(then),
                _ => self.eval(otherwise),
            },
            K::Band { expr, rows, otherwise } => {
                let x = self.eval(expr)?;
                for (op, t, s) in rows {
                    let t = self.eval(t)?;
                    let ord = compare(&x, &t).ok_or_else(Unknown::undefined)?;
                    if op.holds(ord) {
                        return self.eval(s);
                    }
                }
                match otherwise {
                    Some(o) => self.eval(o),
                    None => Ok(Datum::Num(Decimal::ZERO)),
                }
            }
            K::YearAgg { agg, field, from, to, actual } => self.year_agg(*agg, *field, *from, *to, *actual),
            K::Quantified { all, from, to, body } => {
                let saved = self.loop_year.get();
                let mut unknown: Option<Unknown> = None;
                let mut decided: Option<bool> = None;
                for y in self.years(*from, *to) {
                    self.loop_year.set(Some(y));
                    match self.eval(body) {
                        Ok(Datum::Bool(b)) if b != *all => {
                            decided = Some(b);
                            break;
                        }
                        Ok(_) => {}
                        Err(u) => unknown.get_or_insert_with(Unknown::default).merge(u),
                    }
                }
                self.loop_year.set(saved);
                match (decided, unknown) {
                    (Some(b), _) => Ok(Datum::Bool(b)),
                    (None, Some(u)) => Err(u),
                    (None, None) => Ok(Datum::Bool(*all)),
                }
            }
            K::Growth { field, year } => {
                let y = self.year(*year);
                let (a, b) = both(self.yearly_num(*field, y), self.yearly_num(*field, y - 1))?;
                growth(a, b).map(Datum::Num).ok_or_else(Unknown::undefined)
            }
            K::AvgGrowth { field, from, to } => {
                let years = self.years(*from, *to);
                let mut vals = Vec::new();
                let mut unknown: Option<Unknown> = None;
                for y in &years {
                    match self.yearly_num(*field, *y) {
                        Ok(v) => vals.push(v),
                        Err(u) => unknown.get_or_insert_with(Unknown::default).merge(u),
                    }
                }
                if let Some(u) = unknown {
                    return Err(u);
                }
                let mut sum = Decimal::ZERO;
                let mut n = 0i64;
                for w in vals.windows(2) {
                    let (Some(prev), Some(cur)) = (w.first(), w.get(1)) else { continue };
                    sum = sum.checked_add(growth(*cur, *prev).ok_or_else(Unknown::undefined)?).ok_or_else(Unknown::undefined)?;
                    n += 1;
                }
                if n == 0 {
                    return Err(Unknown::undefined());
                }
                sum.checked_div(Decimal::from(n)).map(Datum::Num).ok_or_else(Unknown::undefined)
            }
            K::CagrCmp { op, field, from, to, rate } => {
                let years = self.years(*from, *to);
                let (Some(first), Some(last)) = (years.first(), years.last()) else { return Err(Unknown::undefined()) };
                let (start, end) = both(self.yearly_num(*field, *first), self.yearly_num(*field, *last))?;
                let r = self.num(rate)?;
                if start <= Decimal::ZERO {
                    return Err(Unknown::undefined());
                }
                // end / start  op  (1 + r)^n, compared exactly as end  op  start × (1 + r)^n.
                let mut factor = Decimal::ONE;
                let base = Decimal::ONE.checked_add(r).ok_or_else(Unknown::undefined)?;
                for _ in 1..years.len() {
                    factor = factor.checked_mul(base).ok_or_else(Unknown::undefined)?;
                }
                let target = start.checked_mul(factor).ok_or_else(Unknown::undefined)?;
                Ok(Datum::Bool(op.holds(end.cmp(&target))))
            }
            K::DateShift { date, duration, negate } => match self.eval(date)? {
                Datum::Date(d) => duration.apply(d, *negate).map(Datum::Date).ok_or_else(Unknown::undefined),
                _ => Err(Unknown::undefined()),
            },
            K::Since { date, unit } => match self.eval(date)? {
                Datum::Date(d) => Ok(Datum::Num(Decimal::from(match unit {
                    SinceUnit::Years => d.full_years_until(self.as_of),
                    SinceUnit::Months => d.full_months_until(self.as_of),
                    SinceUnit::Days => d.days_until(self.as_of),
                }))),
                _ => Err(Unknown::undefined()),
            },
            K::YearOf(x) => match self.eval(x)? {
                Datum::Date(d) => Ok(Datum::Year(d.year())),
                _ => Err(Unknown::undefined()),
            },
            K::Has { qual, level } => self.has(*qual, *level).map(Datum::Bool),
            K::GrantedIn { qual, year, kind } => self.granted_in(*qual, self.year(*year), *kind).map(Datum::Bool),
            K::Known(f) => Ok(Datum::Bool(self.profile.get(*f).is_some())),
            K::ManualReview(_) => Err(Unknown { manual: true, ..Unknown::default() }),
            K::RecordField { collection, field } => match self.loop_record.get() {
                Some((_, r)) => r.get(*field).map(Self::scalar).ok_or_else(|| Unknown::field(*collection)),
                None => Err(Unknown::undefined()),
            },
            K::Records { agg: agg @ (RecordAgg::Any | RecordAgg::All), collection, cond, .. } => match cond {
                Some(c) => self.records_bool(*agg == RecordAgg::All, *collection, c),
                None => Err(Unknown::undefined()),
            },
            K::Records { collection, value, cond, .. } => match self.records_range(*collection, value.as_deref(), cond.as_deref())? {
                (Range { lo: Some(lo), .. }, None) => Ok(Datum::Num(lo)),
                (_, Some(u)) => Err(u),
                (_, None) => Err(Unknown::undefined()),
            },
        }
    }

    /// `and` (`decides` = false) or `or` (`decides` = true) of `xs`, three-valued.
    fn connective(&self, xs: &'a [Node], decides: bool) -> Evaluated<'a> {
        let mut unknown: Option<Unknown> = None;
        for x in xs {
            match self.eval(x) {
                Ok(Datum::Bool(b)) if b == decides => return Ok(Datum::Bool(decides)),
                Ok(_) => {}
                Err(u) => unknown.get_or_insert_with(Unknown::default).merge(u),
            }
        }
        unknown.map_or(Ok(Datum::Bool(!decides)), Err)
    }

    fn constant(&self, c: &'a Const) -> Datum<'a> {
        Datum::of_const(c, |y| self.year(y))
    }
}

/// Orders two values of the same type; `None` for values that do not compare.
pub fn compare(a: &Datum<'_>, b: &Datum<'_>) -> Option<Ordering> {
    Some(match (a, b) {
        (Datum::Bool(x), Datum::Bool(y)) => x.cmp(y),
        (Datum::Num(x), Datum::Num(y)) => x.cmp(y),
        (Datum::Date(x), Datum::Date(y)) => x.cmp(y),
        (Datum::Enum(x), Datum::Enum(y)) => x.cmp(y),
        (Datum::Code(x), Datum::Code(y)) => x.cmp(y),
        (Datum::Text(x), Datum::Text(y)) => x.cmp(y),
        (Datum::Year(x), Datum::Year(y)) => x.cmp(y),
        _ => return None,
    })
}
