//! What the evaluator reads from the profile: fields and per-year values, records and
//! what is known of counts and sums over them, year aggregates, qualifications; and the
//! verdicts of other policies and definitions.

use super::*;

impl<'a> Evaluator<'a> {
    /// Runs `f` with record `i` of a collection as the record visited.
    pub fn with_record<R>(&self, i: usize, r: &'a Record, f: impl FnOnce() -> R) -> R {
        let saved = self.loop_record.replace(Some((i, r)));
        let out = f();
        self.loop_record.set(saved);
        out
    }

    /// The records of a `records` field: unknown when the field is absent.
    pub fn records_of(&self, collection: FieldId) -> Result<&'a [Record], Unknown> {
        let profile: &'a Profile = self.profile;
        match profile.get(collection) {
            Some(Value::Records(r)) => Ok(r),
            Some(_) => Err(Unknown::undefined()),
            None => Err(Unknown::field(collection)),
        }
    }

    /// `any` (`all` false) or `all` over records: true (false) as soon as one record's
    /// condition is; otherwise unknown when some record's is; otherwise false (true). An
    /// empty list is known: `any` of none is false, `all` of none is true.
    pub(super) fn records_bool(&self, all: bool, collection: FieldId, cond: &'a Node) -> Evaluated<'a> {
        let mut unknown: Option<Unknown> = None;
        for (i, r) in self.records_of(collection)?.iter().enumerate() {
            match self.with_record(i, r, || self.eval(cond)) {
                Ok(Datum::Bool(b)) if b != all => return Ok(Datum::Bool(b)),
                Ok(_) => {}
                Err(u) => unknown.get_or_insert_with(Unknown::default).merge(u),
            }
        }
        unknown.map_or(Ok(Datum::Bool(all)), Err)
    }

    /// `count` (no value) or `sum` of `value` over the records whose condition holds: the
    /// range of what it can be, and why it is not exact (none when it is). A record whose
    /// condition is unknown may or may not count; an unknown value is at least zero when
    /// it is a record field that cannot be negative, and unbounded otherwise.
    pub fn records_range(
        &self,
        collection: FieldId,
        value: Option<&'a Node>,
        cond: Option<&'a Node>,
    ) -> Result<(Range, Option<Unknown>), Unknown> {
        let records = self.records_of(collection)?;
        let nonneg = value.is_none_or(|v| self.never_negative(v));
        let (mut lo, mut hi) = (Some(Decimal::ZERO), Some(Decimal::ZERO));
        let add = |b: Option<Decimal>, d: Decimal| -> Result<Option<Decimal>, Unknown> {
            match b {
                Some(b) => b.checked_add(d).map(Some).ok_or_else(Unknown::undefined),
                None => Ok(None),
            }
        };
        let mut unknown: Option<Unknown> = None;
        for (i, r) in records.iter().enumerate() {
            let (holds, v) = self.with_record(i, r, || {
                let holds = match cond {
                    None => Ok(true),
                    Some(c) => match self.eval(c) {
                        Ok(Datum::Bool(b)) => Ok(b),
                        Ok(_) => Err(Unknown::undefined()),
                        Err(u) => Err(u),
                    },
                };
                let v = match (&holds, value) {
                    (Ok(false), _) => Ok(Decimal::ZERO),
                    (_, None) => Ok(Decimal::ONE),
                    (_, Some(v)) => self.num(v),
                };
                (holds, v)
            });
            match (holds, v) {
                (Ok(false), _) => {}
                (Ok(true), Ok(d)) => {
                    lo = add(lo, d)?;
                    hi = add(hi, d)?;
                }
                (Err(u), Ok(d)) => {
                    unknown.get_or_insert_with(Unknown::default).merge(u);
                    if d.is_sign_negative() {
                        lo = add(lo, d)?;
                    } else {
                        hi = add(hi, d)?;
                    }
                }
                (h, Err(u)) => {
                    let u2 = h.err();
                    let un = unknown.get_or_insert_with(Unknown::default);
                    un.merge(u);
                    if let Some(u2) = u2 {
                        un.merge(u2);
                    }
                    hi = None;
                    if !nonneg {
                        lo = None;
                    }
                }
            }
        }
        Ok((Range { lo, hi }, unknown))
    }

    /// Whether a summed value can never be negative: a numeric record field that does not
    /// allow negatives.
    pub(super) fn never_negative(&self, n: &Node) -> bool {
        match &n.kind {
            NodeKind::RecordField { collection, field } => self
                .set
                .schema
                .record_def(*collection)
                .and_then(|d| d.fields.get(*field))
                .is_some_and(|f| f.ty.dim().is_some() && !f.allow_negative),
            _ => false,
        }
    }

    /// The years a range covers, oldest first.
    pub fn years_of(&self, from: YearRef, to: YearRef) -> Vec<i32> {
        self.years(from, to)
    }

    /// A policy's verdict as three-valued truth, with the fields that would decide it.
    pub fn policy(&self, i: usize) -> Result<bool, Unknown> {
        if let Some(Some(r)) = self.policies.borrow().get(i) {
            return r.clone();
        }
        let r = match self.set.policies.get(i) {
            Some(p) => match self.eval(&p.condition) {
                Ok(Datum::Bool(b)) => Ok(b),
                Ok(_) => Err(Unknown::undefined()),
                Err(u) => Err(u),
            },
            None => Err(Unknown::undefined()),
        };
        let mut cache = self.policies.borrow_mut();
        if cache.len() <= i {
            cache.resize(self.set.policies.len().max(i + 1), None);
        }
        if let Some(slot) = cache.get_mut(i) {
            *slot = Some(r.clone());
        }
        r
    }

    /// A definition's value.
    pub fn def(&self, i: usize) -> Evaluated<'a> {
        if let Some(Some(r)) = self.defs.borrow().get(i) {
            return r.clone();
        }
        let r = match self.set.definitions.get(i) {
            Some(d) => self.eval(&d.node),
            None => Err(Unknown::undefined()),
        };
        let mut cache = self.defs.borrow_mut();
        if cache.len() <= i {
            cache.resize(self.set.definitions.len().max(i + 1), None);
        }
        if let Some(slot) = cache.get_mut(i) {
            *slot = Some(r.clone());
        }
        r
    }

    pub(super) fn scalar(s: &'a Scalar) -> Datum<'a> {
        match s {
            Scalar::Bool(b) => Datum::Bool(*b),
            Scalar::Num(n) => Datum::Num(*n),
            Scalar::Date(d) => Datum::Date(*d),
            Scalar::Enum(e) => Datum::Enum(*e),
            Scalar::Code(c) => Datum::Code(c),
            Scalar::Text(t) => Datum::Text(t),
        }
    }

    /// Value of a field (at a year, for per-year fields).
    pub fn field(&self, field: FieldId, year: Option<YearRef>) -> Evaluated<'a> {
        let profile: &'a Profile = self.profile;
        match (profile.get(field), year) {
            (None, _) => Err(Unknown::field(field)),
            (Some(Value::Yearly(m)), Some(y)) => m.get(&self.year(y)).map(Self::scalar).ok_or_else(|| Unknown::field(field)),
            (Some(Value::Scalar(s)), _) => Ok(Self::scalar(s)),
            (Some(Value::Tags(t)), _) => Ok(Datum::Tags(t)),
            (Some(Value::Qualifications(q)), _) => Ok(Datum::Quals(q)),
            (Some(Value::Yearly(_)), None) => Err(Unknown::field(field)),
            // Read only through the quantifiers (the checker refuses a plain read).
            (Some(Value::Records(_)), _) => Err(Unknown::undefined()),
        }
    }

    pub(super) fn num(&self, n: &'a Node) -> Result<Decimal, Unknown> {
        match self.eval(n)? {
            Datum::Num(d) => Ok(d),
            _ => Err(Unknown::undefined()),
        }
    }

    pub(super) fn yearly_num(&self, field: FieldId, year: i32) -> Result<Decimal, Unknown> {
        match self.profile.year(field, year) {
            Some(Scalar::Num(d)) => Ok(*d),
            _ => Err(Unknown::field(field)),
        }
    }

    /// What is known of an unknown number: a `max(…)` / `min(…)` from its known
    /// arguments, a `count` / `sum` over records from the records decided.
    pub fn bounded(&self, n: &'a Node) -> Option<Range> {
        if let Some((max, args)) = bounded_minmax(self.set, n) {
            let known = args.iter().filter_map(|a| self.num(a).ok());
            let b = if max { known.max() } else { known.min() }?;
            return Some(if max { Range { lo: Some(b), hi: None } } else { Range { lo: None, hi: Some(b) } });
        }
        let mut n = n;
        for _ in 0..=crate::policy::MAX_EXPANDED_DEPTH {
            match &n.kind {
                NodeKind::Def(i) => n = &self.set.definitions.get(*i)?.node,
                NodeKind::Records { agg: RecordAgg::Count | RecordAgg::Sum, collection, value, cond } => {
                    return self.records_range(*collection, value.as_deref(), cond.as_deref()).ok().map(|(r, _)| r);
                }
                _ => return None,
            }
        }
        None
    }

    pub(super) fn year_agg(&self, agg: Agg, field: FieldId, from: YearRef, to: YearRef, actual: bool) -> Evaluated<'a> {
        let mut years = self.years(from, to);
        if actual {
            // Only years since registration count (成立不足 n 年的按实际经营年限). Which years
            // those are depends on the registration date, so without it the value is unknown.
            let reg = self.reg_field.ok_or_else(Unknown::undefined)?;
            match self.field(reg, None) {
                Ok(Datum::Date(d)) => years.retain(|y| *y >= d.year()),
                Ok(_) => return Err(Unknown::undefined()),
                Err(mut u) => {
                    for y in &years {
                        if self.profile.year(field, *y).is_none() {
                            u.fields.insert(field);
                        }
                    }
                    return Err(u);
                }
            }
        }
        let mut vals = Vec::new();
        for y in &years {
            vals.push(self.yearly_num(field, *y)?);
        }
        aggregate(agg, &vals).map(Datum::Num).ok_or_else(Unknown::undefined)
    }

    pub(super) fn quals(&self) -> Result<&'a [Qualification], Unknown> {
        let f = self.qual_field.ok_or_else(Unknown::undefined)?;
        match self.field(f, None)? {
            Datum::Quals(q) => Ok(q),
            _ => Err(Unknown::undefined()),
        }
    }

    /// Holds a grant of `qual` valid on the evaluation date (and of the level asked).
    /// A grant without dates counts as held; a grant whose level is not stated makes a
    /// level test unknown unless another grant decides it.
    pub(super) fn has(&self, qual: usize, level: Option<(crate::lang::ast::CmpOp, u32)>) -> Result<bool, Unknown> {
        let quals = self.quals()?;
        let mut unknown = false;
        // Without an expiry date, a grant lasts its qualification's validity period.
        let validity = self.set.schema.qualifications.get(qual).and_then(|d| d.validity_years);
        for q in quals.iter().filter(|q| q.qual == qual) {
            if q.unknown {
                unknown = true;
                continue;
            }
            let expires = q.expires_on.or_else(|| {
                let (g, y) = (q.granted_on?, validity?);
                Duration::Years(i64::from(y)).apply(g, false)?.add_days(-1)
            });
            let valid = q.granted_on.is_none_or(|g| g <= self.as_of) && expires.is_none_or(|e| self.as_of <= e);
            if !valid {
                continue;
            }
            match (level, q.level) {
                (None, _) => return Ok(true),
                (Some((op, want)), Some(l)) => {
                    if op.holds(l.cmp(&want)) {
                        return Ok(true);
                    }
                }
                (Some(_), None) => unknown = true,
            }
        }
        if unknown {
            Err(Unknown::field(self.qual_field.unwrap_or_default()))
        } else {
            Ok(false)
        }
    }

    pub(super) fn granted_in(&self, qual: usize, year: i32, kind: GrantKind) -> Result<bool, Unknown> {
        let quals = self.quals()?;
        let mut unknown = false;
        for q in quals.iter().filter(|q| q.qual == qual) {
            let Some(g) = q.granted_on.filter(|_| !q.unknown) else {
                unknown = true;
                continue;
            };
            if g.year() != year {
                continue;
            }
            match (kind, q.first_grant) {
                (GrantKind::Any, _) | (GrantKind::First, Some(true)) | (GrantKind::Renewal, Some(false)) => return Ok(true),
                (_, None) => unknown = true,
                _ => {}
            }
        }
        if unknown {
            Err(Unknown::field(self.qual_field.unwrap_or_default()))
        } else {
            Ok(false)
        }
    }
}

/// `cur / prev - 1`; `None` over a zero (or negative) base.
pub(super) fn growth(cur: Decimal, prev: Decimal) -> Option<Decimal> {
    if prev <= Decimal::ZERO {
        return None;
    }
    cur.checked_div(prev)?.checked_sub(Decimal::ONE)
}

/// `sum` / `avg` / `min` / `max` of a field's values over years, as the evaluator computes
/// it: `None` (undefined) for an overflow and for the average or extreme of no years. The
/// store's column-wise aggregates use the same function.
pub(crate) fn aggregate(agg: Agg, vals: &[Decimal]) -> Option<Decimal> {
    match agg {
        Agg::Sum => vals.iter().try_fold(Decimal::ZERO, |a, b| a.checked_add(*b)),
        Agg::Avg => {
            if vals.is_empty() {
                None
            } else {
                vals.iter().try_fold(Decimal::ZERO, |a, b| a.checked_add(*b)).and_then(|s| s.checked_div(Decimal::from(vals.len() as i64)))
            }
        }
        Agg::Min => vals.iter().copied().min(),
        Agg::Max => vals.iter().copied().max(),
    }
}
