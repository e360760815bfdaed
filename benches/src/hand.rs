//! The hand-written baseline: what a platform developer would write instead of Huiqi.
//!
//! An [`Enterprise`] is a plain struct with one typed field per attribute the generated
//! policies read (money as `f64`, codes as `String`, `Option` for what the file does not
//! say). A policy is a [`Cond`] enum tree, evaluated by a recursive function with
//! short-circuit `and` / `or`, three-valued with `Option<bool>` so that its verdicts are
//! exactly the reference evaluator's (the harness checks every one). No index, no
//! dictionary, no bitsets: one loop over the policies.
//!
//! The trees are built from Huiqi's checked conditions and the structs from decoded
//! profiles (neither is timed); a developer would write both by hand. Only the kinds of
//! leaf that the generator emits are supported; anything else is an error.

use huiqi::check::{Const, Node, NodeKind, RecordAgg};
use huiqi::date::Date;
use huiqi::eval::{Datum, Evaluator};
use huiqi::lang::ast::{CmpOp, ContainsMode};
use huiqi::policy::PolicySet;
use huiqi::profile::{Profile, Scalar, Value};
use rust_decimal::prelude::ToPrimitive;

/// A held qualification.
#[derive(Clone, Debug)]
pub struct Qual {
    pub code: usize,
    pub granted_on: Option<Date>,
    pub expires_on: Option<Date>,
}

/// A hire (record of `hires`).
#[derive(Clone, Debug)]
pub struct Hire {
    pub group: Option<u32>,
    pub contract_months: Option<f64>,
    pub hired_on: Option<Date>,
}

/// A loan (record of `loans`).
#[derive(Clone, Debug)]
pub struct Loan {
    pub bank: Option<bool>,
    pub amount: Option<f64>,
}

/// A fixed-asset purchase (record of `asset_purchases`).
#[derive(Clone, Debug)]
pub struct Purchase {
    pub equipment: Option<bool>,
    pub unit_value: Option<f64>,
    pub purchased_on: Option<Date>,
}

/// One enterprise, as a developer would keep it for matching.
#[derive(Clone, Debug, Default)]
pub struct Enterprise {
    pub region: Option<String>,
    pub industry: Option<String>,
    pub capital: Option<f64>,
    pub revenue: Option<f64>,
    pub employees: Option<f64>,
    pub rd_expense: Option<f64>,
    pub registered_on: Option<Date>,
    pub tax_credit: Option<u32>,
    pub size_class: Option<u32>,
    pub abnormal: Option<bool>,
    pub dishonest: Option<bool>,
    pub quals: Option<Vec<Qual>>,
    pub scope: Option<String>,
    pub tags: Option<Vec<String>>,
    pub hires: Option<Vec<Hire>>,
    pub loans: Option<Vec<Loan>>,
    pub purchases: Option<Vec<Purchase>>,
}

/// A number an enterprise has.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Capital,
    Revenue,
    Employees,
    RdRatio,
    YearsSinceRegistration,
    /// `year_of(registration_date)`.
    RegistrationYear,
}

/// A code an enterprise has.
#[derive(Clone, Copy, Debug)]
pub enum Code {
    Region,
    Industry,
}

/// An enumerated attribute.
#[derive(Clone, Copy, Debug)]
pub enum Choice {
    TaxCredit,
    SizeClass,
}

/// A yes/no attribute.
#[derive(Clone, Copy, Debug)]
pub enum Flag {
    Abnormal,
    Dishonest,
}

/// A policy condition.
#[derive(Clone, Debug)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    AtLeast(u32, Vec<Cond>),
    Not(Box<Cond>),
    Compare(Num, CmpOp, f64),
    /// `x between [lo, hi]` (the brackets: whether each bound is included).
    Range(Num, f64, bool, f64, bool),
    CodeIs(Code, String),
    Under(Code, Vec<String>),
    OneOf(Choice, Vec<u32>, bool),
    Flag(Flag),
    Has(usize),
    ScopeContains(bool, Vec<String>),
    Tagged(bool, Vec<String>),
    /// `any(hires, group in [..] and contract_months >= m)`.
    AnyHire(Vec<u32>, f64),
    /// `count(hires, hired_on > as_of - 1y) >= k`.
    RecentHires(f64),
    /// `sum(loans, amount, lender_kind = bank) >= t` (元).
    BankLoans(f64),
    /// `any(asset_purchases, kind = equipment and unit_value <= t and year_of(purchased_on) >= fy1)`.
    CheapEquipment(f64),
}

/// Kleene `and` of optional truths.
fn and3(xs: &[Option<bool>]) -> Option<bool> {
    if xs.contains(&Some(false)) {
        Some(false)
    } else if xs.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// `any` over records: true if one is, false if all are false, else unknown.
fn any3(xs: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for x in xs {
        match x {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

fn num(e: &Enterprise, n: Num, as_of: Date) -> Option<f64> {
    match n {
        Num::Capital => e.capital,
        Num::Revenue => e.revenue,
        Num::Employees => e.employees,
        Num::RdRatio => match (e.rd_expense, e.revenue) {
            (Some(_), Some(0.0)) => None,
            (Some(rd), Some(r)) => Some(rd / r),
            _ => None,
        },
        Num::YearsSinceRegistration => e.registered_on.map(|d| d.full_years_until(as_of) as f64),
        Num::RegistrationYear => e.registered_on.map(|d| f64::from(d.year())),
    }
}

/// The three-valued verdict of `c` for `e` (`None` = undetermined).
pub fn eval(c: &Cond, e: &Enterprise, as_of: Date) -> Option<bool> {
    match c {
        Cond::And(xs) => {
            let mut unknown = false;
            for x in xs {
                match eval(x, e, as_of) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(true)
            }
        }
        Cond::Or(xs) => {
            let mut unknown = false;
            for x in xs {
                match eval(x, e, as_of) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        Cond::AtLeast(k, xs) => {
            let (mut yes, mut maybe) = (0, 0);
            for x in xs {
                match eval(x, e, as_of) {
                    Some(true) => yes += 1,
                    None => maybe += 1,
                    Some(false) => {}
                }
            }
            if yes >= *k {
                Some(true)
            } else if yes + maybe < *k {
                Some(false)
            } else {
                None
            }
        }
        Cond::Not(x) => eval(x, e, as_of).map(|b| !b),
        Cond::Compare(n, op, t) => {
            let v = num(e, *n, as_of)?;
            Some(match op {
                CmpOp::Ge => v >= *t,
                CmpOp::Gt => v > *t,
                CmpOp::Le => v <= *t,
                CmpOp::Lt => v < *t,
                CmpOp::Eq => v == *t,
                CmpOp::Ne => v != *t,
            })
        }
        Cond::Range(n, lo, lo_in, hi, hi_in) => {
            let v = num(e, *n, as_of)?;
            Some((if *lo_in { v >= *lo } else { v > *lo }) && (if *hi_in { v <= *hi } else { v < *hi }))
        }
        Cond::CodeIs(c, want) => code(e, *c).map(|v| v == want),
        Cond::Under(c, prefixes) => code(e, *c).map(|v| prefixes.iter().any(|p| v.starts_with(p.as_str()))),
        Cond::OneOf(c, values, negated) => {
            let v = match c {
                Choice::TaxCredit => e.tax_credit,
                Choice::SizeClass => e.size_class,
            }?;
            Some(values.contains(&v) != *negated)
        }
        Cond::Flag(Flag::Abnormal) => e.abnormal,
        Cond::Flag(Flag::Dishonest) => e.dishonest,
        Cond::Has(q) => {
            let quals = e.quals.as_ref()?;
            Some(quals.iter().any(|g| g.code == *q && g.granted_on.is_none_or(|d| d <= as_of) && g.expires_on.is_none_or(|d| as_of <= d)))
        }
        Cond::ScopeContains(all, words) => {
            let s = e.scope.as_deref()?;
            Some(if *all { words.iter().all(|w| s.contains(w.as_str())) } else { words.iter().any(|w| s.contains(w.as_str())) })
        }
        Cond::Tagged(all, want) => {
            let tags = e.tags.as_ref()?;
            Some(if *all { want.iter().all(|w| tags.contains(w)) } else { want.iter().any(|w| tags.contains(w)) })
        }
        Cond::AnyHire(groups, months) => {
            any3(e.hires.as_ref()?.iter().map(|h| and3(&[h.group.map(|g| groups.contains(&g)), h.contract_months.map(|m| m >= *months)])))
        }
        Cond::RecentHires(k) => {
            // A hire of unknown date may or may not count: decided when the range decides.
            let cutoff = huiqi::date::Duration::Years(1).apply(as_of, true)?;
            let (mut yes, mut maybe) = (0.0, 0.0);
            for h in e.hires.as_ref()? {
                match h.hired_on {
                    Some(d) if d > cutoff => yes += 1.0,
                    Some(_) => {}
                    None => maybe += 1.0,
                }
            }
            if yes >= *k {
                Some(true)
            } else if yes + maybe < *k {
                Some(false)
            } else {
                None
            }
        }
        Cond::BankLoans(t) => {
            // Amounts are never negative: an unknown one leaves the sum unbounded above.
            let (mut lo, mut hi) = (0.0, Some(0.0));
            for l in e.loans.as_ref()? {
                match (l.bank, l.amount) {
                    (Some(false), _) => {}
                    (Some(true), Some(a)) => {
                        lo += a;
                        hi = hi.map(|h| h + a);
                    }
                    (None, Some(a)) => hi = hi.map(|h| h + a),
                    (_, None) => hi = None,
                }
            }
            if lo >= *t {
                Some(true)
            } else if hi.is_some_and(|h| h < *t) {
                Some(false)
            } else {
                None
            }
        }
        Cond::CheapEquipment(max) => {
            let fy1 = as_of.year() - 1;
            any3(
                e.purchases
                    .as_ref()?
                    .iter()
                    .map(|p| and3(&[p.equipment, p.unit_value.map(|v| v <= *max), p.purchased_on.map(|d| d.year() >= fy1)])),
            )
        }
    }
}

fn code(e: &Enterprise, c: Code) -> Option<&str> {
    match c {
        Code::Region => e.region.as_deref(),
        Code::Industry => e.industry.as_deref(),
    }
}

fn field_name<'s>(set: &'s PolicySet, n: &Node) -> Option<&'s str> {
    match &n.kind {
        NodeKind::Field { field, .. } => set.schema.fields.get(*field).map(|f| f.name.as_str()),
        NodeKind::Def(i) => set.definitions.get(*i).map(|d| d.name.as_str()),
        _ => None,
    }
}

fn number(c: &Const) -> Result<f64, String> {
    match c {
        Const::Num(d) => d.to_f64().ok_or_else(|| format!("{d} is not a float")),
        Const::Year(huiqi::check::YearRef::Abs(y)) => Ok(f64::from(*y)),
        other => Err(format!("not a number: {other:?}")),
    }
}

fn num_source(set: &PolicySet, n: &Node) -> Result<Num, String> {
    match &n.kind {
        NodeKind::Since { .. } => Ok(Num::YearsSinceRegistration),
        NodeKind::YearOf(x) if field_name(set, x) == Some("registration_date") => Ok(Num::RegistrationYear),
        NodeKind::Arith { .. } => Ok(Num::RdRatio),
        _ => match field_name(set, n) {
            Some("registered_capital") => Ok(Num::Capital),
            Some("operating_revenue") => Ok(Num::Revenue),
            Some("employees") => Ok(Num::Employees),
            other => Err(format!("no hand-written number for {other:?}")),
        },
    }
}

fn code_source(set: &PolicySet, n: &Node) -> Result<Code, String> {
    match field_name(set, n) {
        Some("registered_region") => Ok(Code::Region),
        Some("industry") => Ok(Code::Industry),
        other => Err(format!("no hand-written code for {other:?}")),
    }
}

/// The numbers and enum values written in a record condition, in order.
fn constants(n: &Node) -> (Vec<f64>, Vec<u32>) {
    let (mut nums, mut enums) = (Vec::new(), Vec::new());
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        match &x.kind {
            NodeKind::Const(Const::Num(d)) => nums.extend(d.to_f64()),
            NodeKind::Const(Const::Enum(e)) => enums.push(*e),
            NodeKind::InSet { items, .. } => {
                enums.extend(items.iter().filter_map(|c| if let Const::Enum(e) = c { Some(*e) } else { None }))
            }
            _ => {}
        }
        let mut kids = x.children();
        kids.reverse();
        stack.extend(kids);
    }
    (nums, enums)
}

/// The hand-written tree of a checked condition.
pub fn cond(set: &PolicySet, n: &Node) -> Result<Cond, String> {
    let all = |xs: &[Node]| xs.iter().map(|x| cond(set, x)).collect::<Result<Vec<_>, _>>();
    Ok(match &n.kind {
        NodeKind::And(xs) => Cond::And(all(xs)?),
        NodeKind::Or(xs) => Cond::Or(all(xs)?),
        NodeKind::AtLeast(k, xs) => Cond::AtLeast(*k, all(xs)?),
        NodeKind::Not(x) => Cond::Not(Box::new(cond(set, x)?)),
        NodeKind::Records { agg: RecordAgg::Any, cond: Some(c), collection, .. } => {
            let (nums, enums) = constants(c);
            match set.schema.fields.get(*collection).map(|f| f.name.as_str()) {
                Some("hires") => Cond::AnyHire(enums, *nums.first().ok_or("no contract months")?),
                Some("asset_purchases") => Cond::CheapEquipment(*nums.first().ok_or("no unit value")?),
                other => return Err(format!("no hand-written quantifier over {other:?}")),
            }
        }
        NodeKind::Cmp { op: CmpOp::Ge, lhs, rhs } if matches!(lhs.kind, NodeKind::Records { .. }) => {
            let NodeKind::Const(c) = &rhs.kind else { return Err("a count compared with a non-constant".into()) };
            match &lhs.kind {
                NodeKind::Records { agg: RecordAgg::Count, .. } => Cond::RecentHires(number(c)?),
                NodeKind::Records { agg: RecordAgg::Sum, .. } => Cond::BankLoans(number(c)?),
                _ => return Err(format!("unsupported quantifier {lhs:?}")),
            }
        }
        NodeKind::Cmp { op, lhs, rhs } => match (&lhs.kind, &rhs.kind) {
            (_, NodeKind::Const(Const::Code(c))) if *op == CmpOp::Eq => Cond::CodeIs(code_source(set, lhs)?, c.clone()),
            (_, NodeKind::Const(c)) => Cond::Compare(num_source(set, lhs)?, *op, number(c)?),
            _ => return Err(format!("unsupported comparison {n:?}")),
        },
        NodeKind::Between { expr, low, high, low_inclusive, high_inclusive } => match (&low.kind, &high.kind) {
            (NodeKind::Const(lo), NodeKind::Const(hi)) => {
                Cond::Range(num_source(set, expr)?, number(lo)?, *low_inclusive, number(hi)?, *high_inclusive)
            }
            _ => return Err(format!("a range with bounds that are not constants {n:?}")),
        },
        NodeKind::Under { expr, codes, .. } => {
            // Region codes are six digits padded with zeros (370000 is the province 37):
            // a region is under a code when it starts with the code's non-padded part.
            let prefix = |c: &String| {
                let mut p = c.as_str();
                while p.len() > 2 && p.bytes().all(|b| b.is_ascii_digit()) && p.ends_with("00") {
                    p = p.get(..p.len() - 2).unwrap_or(p);
                }
                p.to_string()
            };
            Cond::Under(code_source(set, expr)?, codes.iter().map(prefix).collect())
        }
        NodeKind::InSet { expr, items, negated } => {
            let choice = match field_name(set, expr) {
                Some("tax_credit") => Choice::TaxCredit,
                Some("size_class") => Choice::SizeClass,
                other => return Err(format!("no hand-written choice for {other:?}")),
            };
            let values =
                items.iter().map(|c| if let Const::Enum(e) = c { Ok(*e) } else { Err(format!("{c:?}")) }).collect::<Result<_, _>>()?;
            Cond::OneOf(choice, values, *negated)
        }
        NodeKind::Field { .. } => match field_name(set, n) {
            Some("abnormal_operation_list") => Cond::Flag(Flag::Abnormal),
            Some("serious_dishonesty") => Cond::Flag(Flag::Dishonest),
            other => return Err(format!("no hand-written flag for {other:?}")),
        },
        NodeKind::Has { qual, level: None } => Cond::Has(*qual),
        NodeKind::TextContains { mode, items, .. } => Cond::ScopeContains(*mode == ContainsMode::All, items.clone()),
        NodeKind::TagContains { mode, items, .. } => Cond::Tagged(*mode == ContainsMode::All, items.clone()),
        _ => return Err(format!("unsupported condition {n:?}")),
    })
}

/// The hand-written struct of a decoded profile: every attribute read once, as a
/// developer's loader would (the fiscal year `fy1` as of `as_of`).
pub fn enterprise(set: &PolicySet, p: &Profile, as_of: Date) -> Enterprise {
    let ev = Evaluator::new(set, p, as_of);
    let fy1 = Some(huiqi::check::YearRef::Fy(1));
    let field = |name: &str, year| set.schema.fields.iter().position(|f| f.name == name).and_then(|i| ev.field(i, year).ok());
    let num = |name: &str, year| match field(name, year) {
        Some(Datum::Num(d)) => d.to_f64(),
        _ => None,
    };
    let text = |name: &str| match field(name, None) {
        Some(Datum::Code(s) | Datum::Text(s)) => Some(s.to_string()),
        _ => None,
    };
    let choice = |v: Option<Datum<'_>>| match v {
        Some(Datum::Enum(e)) => Some(e),
        _ => None,
    };
    let flag = |name: &str| match field(name, None) {
        Some(Datum::Bool(b)) => Some(b),
        _ => None,
    };
    let size = set.definitions.iter().position(|d| d.name == "size_class").and_then(|i| ev.def(i).ok());
    let enum_value = |e: &str, v: &str| set.schema.enums.iter().find(|x| x.name == e).and_then(|x| x.index_of(v));
    let (bank, equipment) = (enum_value("lender_kind", "bank"), enum_value("asset_kind", "equipment"));
    Enterprise {
        region: text("registered_region"),
        industry: text("industry"),
        capital: num("registered_capital", None),
        revenue: num("operating_revenue", fy1),
        employees: num("employees", fy1),
        rd_expense: num("rd_expense", fy1),
        registered_on: match field("registration_date", None) {
            Some(Datum::Date(d)) => Some(d),
            _ => None,
        },
        tax_credit: choice(field("tax_credit", fy1)),
        size_class: choice(size),
        abnormal: flag("abnormal_operation_list"),
        dishonest: flag("serious_dishonesty"),
        quals: match field("qualifications", None) {
            Some(Datum::Quals(qs)) => {
                Some(qs.iter().map(|q| Qual { code: q.qual, granted_on: q.granted_on, expires_on: q.expires_on }).collect())
            }
            _ => None,
        },
        scope: text("business_scope"),
        tags: match field("tags", None) {
            Some(Datum::Tags(t)) => Some(t.iter().cloned().collect()),
            _ => None,
        },
        hires: records(set, p, "hires", |r| Hire {
            group: match r.get("group") {
                Some(Scalar::Enum(e)) => Some(*e),
                _ => None,
            },
            contract_months: scalar_num(r.get("contract_months")),
            hired_on: scalar_date(r.get("hired_on")),
        }),
        loans: records(set, p, "loans", |r| Loan {
            bank: match (r.get("lender_kind"), bank) {
                (Some(Scalar::Enum(e)), Some(b)) => Some(*e == b),
                _ => None,
            },
            amount: scalar_num(r.get("amount")),
        }),
        purchases: records(set, p, "asset_purchases", |r| Purchase {
            equipment: match (r.get("kind"), equipment) {
                (Some(Scalar::Enum(e)), Some(q)) => Some(*e == q),
                _ => None,
            },
            unit_value: scalar_num(r.get("unit_value")),
            purchased_on: scalar_date(r.get("purchased_on")),
        }),
    }
}

fn scalar_num(s: Option<&Scalar>) -> Option<f64> {
    match s {
        Some(Scalar::Num(d)) => d.to_f64(),
        _ => None,
    }
}

fn scalar_date(s: Option<&Scalar>) -> Option<Date> {
    match s {
        Some(Scalar::Date(d)) => Some(*d),
        _ => None,
    }
}

/// The records of a records field as structs (`None`: the list is not given).
fn records<T>(set: &PolicySet, p: &Profile, name: &str, make: impl Fn(&Getter<'_>) -> T) -> Option<Vec<T>> {
    let f = set.schema.field(name)?;
    let def = set.schema.record_def(f.id)?;
    match p.get(f.id)? {
        Value::Records(list) => Some(list.iter().map(|r| make(&Getter { def, record: r })).collect()),
        _ => None,
    }
}

/// One record's values by field name.
struct Getter<'a> {
    def: &'a huiqi::schema::RecordDef,
    record: &'a huiqi::profile::Record,
}

impl<'a> Getter<'a> {
    fn get(&self, k: &str) -> Option<&'a Scalar> {
        self.def.field(k).and_then(|rf| self.record.get(rf.id))
    }
}
