//! A seeded, deterministic generator of *synthetic* enterprises and policies shaped like
//! real data: Zipf-distributed regions and industries, log-normal capital, staff and
//! revenue, founding dates over 30 years, 0–5 qualifications, and policies of 3–8 leaves
//! drawn from the operators real policies use, with thresholds from the round values
//! policies use plus a tail of arbitrary ones and 5% text patterns.
//!
//! The random source is SplitMix64, written out here on purpose: the output for a seed
//! must never change with a dependency upgrade (benchmarks and tests compare runs).

use serde_json::{json, Map, Value};

/// SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Log-normal with the given median and shape.
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Index drawn from a Zipf distribution over `n` items (exponent `s`).
    pub fn zipf(&mut self, n: usize, s: f64) -> usize {
        let norm: f64 = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).sum();
        let mut x = self.unit() * norm;
        for k in 1..=n {
            x -= 1.0 / (k as f64).powf(s);
            if x <= 0.0 {
                return k - 1;
            }
        }
        n.saturating_sub(1)
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len()))
    }
}

const REGIONS: &[&str] = &[
    "370102", "370112", "370104", "370105", "370103", "370114", "370113", "370116", "370115", "370117", "370124", "370126", "370202",
    "370211", "371202",
];
const CITY_PREFIXES: &[&str] = &["3701", "37", "3702"];
const INDUSTRIES: &[&str] = &[
    "I6513", "C3911", "F5174", "F5212", "H6210", "E4710", "K7010", "G5431", "C3444", "C2720", "M7320", "L7212", "I6520", "C3581", "C3913",
    "F5137", "H6110", "N7723", "C2614", "C3360", "I6431", "G5910", "G5920", "K7020", "P8391", "R8610", "C1351", "C3099", "A0111", "D4411",
];
const INDUSTRY_GROUPS: &[&str] =
    &["C", "C39", "C35", "C34", "C27", "I", "I65", "I64", "F", "F51", "F52", "H", "G", "K", "L", "M", "E", "C16", "R90", "B", "D"];
const QUALS: &[&str] =
    &["high_tech", "tech_sme", "innovative_sme", "specialized_sme", "little_giant", "gazelle", "enterprise_tech_center", "above_scale"];
const SCOPE_WORDS: &[&str] = &[
    "软件开发",
    "集成电路设计",
    "信息技术咨询服务",
    "电子产品销售",
    "餐饮服务",
    "货物进出口",
    "技术开发",
    "机械设备制造",
    "医药研发",
    "道路货物运输",
    "房地产开发经营",
    "日用百货销售",
    "人工智能应用软件开发",
    "数据处理服务",
];
const TAGS: &[&str] = &["数字经济", "外贸", "绿色低碳", "专精特新培育", "制造业", "科技服务"];

fn money_round(rng: &mut Rng, tail: bool) -> String {
    const ROUND: &[u32] = &[50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000];
    if tail && rng.chance(0.05) {
        return format!("{}万", 10 + rng.below(30000));
    }
    format!("{}万", ROUND.get(rng.below(ROUND.len())).copied().unwrap_or(500))
}

fn uscc(rng: &mut Rng, region: &str) -> String {
    const CS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut s = format!("91{region}");
    for _ in 0..9 {
        s.push(char::from(*CS.get(rng.below(CS.len())).unwrap_or(&b'0')));
    }
    if let Some(c) = crate::uscc::check_char(&s) {
        s.push(c);
    }
    s
}

fn year_values(rng: &mut Rng, base: f64, growth_sd: f64, integer: bool, missing: f64) -> Value {
    let mut m = Map::new();
    let mut v = base;
    for y in 2022..=2025 {
        if !rng.chance(missing) {
            let x = if integer { Value::from(v.round().max(0.0) as i64) } else { Value::from((v * 100.0).round() / 100.0) };
            m.insert(y.to_string(), x);
        }
        v *= 1.0 + 0.08 + growth_sd * rng.normal();
        v = v.max(0.0);
    }
    Value::Object(m)
}

/// One synthetic enterprise profile (JSON), deterministic for `(seed, n)`.
pub fn enterprise(rng: &mut Rng, n: usize) -> Value {
    let region = REGIONS.get(rng.zipf(REGIONS.len(), 1.1)).copied().unwrap_or("370102");
    let industry = INDUSTRIES.get(rng.zipf(INDUSTRIES.len(), 1.0)).copied().unwrap_or("I6513");
    let miss = 0.08;
    let mut m = Map::new();
    m.insert("$comment".into(), json!("synthetic (huiqi gen)"));
    m.insert("uscc".into(), json!(uscc(rng, region)));
    m.insert("name".into(), json!(format!("合成企业{n:07}")));
    let reg_year = 1996 + rng.below(30) as i32;
    m.insert("registration_date".into(), json!(format!("{reg_year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))));
    m.insert("registered_region".into(), json!(region));
    m.insert("industry".into(), json!(industry));
    let staff = rng.log_normal(30.0, 1.3);
    let revenue = rng.log_normal(2000.0, 1.6);
    let mut fields: Vec<(&str, Value)> = Vec::new();
    fields.push(("entity_type", json!(if rng.chance(0.9) { "company_llc" } else { "joint_stock" })));
    fields.push(("is_legal_person", json!(rng.chance(0.95))));
    fields.push(("registered_capital", json!((rng.log_normal(500.0, 1.4) * 100.0).round() / 100.0)));
    fields.push(("employees", year_values(rng, staff, 0.1, true, 0.05)));
    let tech = staff * rng.unit() * 0.5;
    fields.push(("tech_staff", year_values(rng, tech, 0.1, true, 0.1)));
    fields.push(("operating_revenue", year_values(rng, revenue, 0.2, false, 0.05)));
    fields.push(("main_business_revenue", year_values(rng, revenue * 0.9, 0.2, false, 0.1)));
    let rd = revenue * rng.unit() * 0.1;
    fields.push(("rd_expense", year_values(rng, rd, 0.3, false, 0.15)));
    let assets = revenue * (0.5 + rng.unit() * 1.5);
    fields.push(("total_assets", year_values(rng, assets, 0.1, false, 0.1)));
    let credit = ["A", "A", "A", "B", "B", "B", "B", "M", "C", "D"];
    let c = credit.get(rng.below(credit.len())).copied().unwrap_or("B");
    fields.push(("tax_credit", json!({"2024": c, "2025": c})));
    fields.push(("vat_payer_type", json!(if revenue > 500.0 { "general" } else { "small_scale" })));
    fields.push(("abnormal_operation_list", json!(rng.chance(0.03))));
    fields.push(("serious_dishonesty", json!(rng.chance(0.01))));
    let nq = rng.below(6);
    let mut quals = Vec::new();
    for _ in 0..nq {
        let code = QUALS.get(rng.zipf(QUALS.len(), 1.2)).copied().unwrap_or("high_tech");
        let y = 2018 + rng.below(8);
        let level = ["municipal", "provincial", "national"].get(rng.below(3)).copied().unwrap_or("municipal");
        let month = 1 + rng.below(12);
        let first = rng.chance(0.7);
        quals.push(json!({"code": code, "level": level, "granted_on": format!("{y}-{month:02}-15"), "expires_on": format!("{}-12-31", y + 3), "first_grant": first}));
    }
    fields.push(("qualifications", Value::Array(quals)));
    let nw = 1 + rng.below(4);
    let words: Vec<&str> = (0..nw).filter_map(|_| SCOPE_WORDS.get(rng.zipf(SCOPE_WORDS.len(), 0.8)).copied()).collect();
    fields.push(("business_scope", json!(words.join("；"))));
    let nt = rng.below(3);
    let tags: Vec<&str> = (0..nt).filter_map(|_| TAGS.get(rng.below(TAGS.len())).copied()).collect();
    fields.push(("tags", json!(tags)));
    fields.push(("avg_staff", year_values(rng, staff * 0.95, 0.1, true, 0.05)));
    for (k, v) in records(rng, staff, revenue) {
        fields.push((k, v));
    }
    for (k, v) in fields {
        // Each field is missing with some probability: unknowns are part of real data.
        if !rng.chance(miss) {
            m.insert(k.into(), v);
        }
    }
    Value::Object(m)
}

/// Record collections of a generated enterprise (about five records in all): purchases,
/// hires, disabled staff, loans, quarterly sales for small-scale taxpayers and a rare
/// violation. A record field is unknown now and then, as in real files.
fn records(rng: &mut Rng, staff: f64, revenue: f64) -> Vec<(&'static str, Value)> {
    fn record(rng: &mut Rng, fields: Vec<(&str, Value)>) -> Value {
        let mut m = Map::new();
        for (k, v) in fields {
            if !rng.chance(0.03) {
                m.insert(k.into(), v);
            }
        }
        Value::Object(m)
    }
    fn date(rng: &mut Rng, from: i32, years: usize) -> String {
        format!("{}-{:02}-{:02}", from + rng.below(years) as i32, 1 + rng.below(12), 1 + rng.below(28))
    }
    let pick = |rng: &mut Rng, xs: &[&'static str]| xs.get(rng.below(xs.len())).copied().unwrap_or("other");
    let mut out = Vec::new();
    let purchases: Vec<Value> = (0..rng.below(3))
        .map(|_| {
            let kind = pick(rng, &["equipment", "equipment", "equipment", "building", "software", "vehicle"]);
            let catalog = if rng.chance(0.12) { pick(rng, &["energy_water_saving", "environmental", "safety"]) } else { "none" };
            let d = date(rng, 2023, 4);
            let value = (rng.log_normal(60.0, 1.5) * 100.0).round() / 100.0;
            let (new, domestic, built) = (rng.chance(0.9), rng.chance(0.8), rng.chance(0.05));
            record(
                rng,
                vec![
                    ("purchased_on", json!(d)),
                    ("kind", json!(kind)),
                    ("unit_value", json!(value)),
                    ("self_built", json!(built)),
                    ("is_new", json!(new)),
                    ("catalog", json!(catalog)),
                    ("domestic", json!(domestic)),
                ],
            )
        })
        .collect();
    out.push(("asset_purchases", Value::Array(purchases)));
    let hires: Vec<Value> = (0..rng.below(4))
        .map(|_| {
            let group = pick(
                rng,
                &[
                    "other",
                    "other",
                    "other",
                    "college_graduate",
                    "college_graduate",
                    "poverty_relief",
                    "unemployed_half_year",
                    "young_unemployed",
                    "veteran",
                    "disabled",
                ],
            );
            let d = date(rng, 2024, 3);
            let contract = [6, 12, 12, 24, 36].get(rng.below(5)).copied().unwrap_or(12);
            let insured = rng.below(18);
            record(
                rng,
                vec![
                    ("hired_on", json!(d)),
                    ("group", json!(group)),
                    ("contract_months", json!(contract)),
                    ("insured_months", json!(insured)),
                    ("unemployment_insured", json!(insured > 0)),
                ],
            )
        })
        .collect();
    out.push(("hires", Value::Array(hires)));
    let disabled = if staff > 30.0 && rng.chance(0.3) { 1 + rng.below(3) } else { 0 };
    let disabled: Vec<Value> = (0..disabled)
        .map(|_| {
            let d = date(rng, 2015, 10);
            let contract = [12, 24, 36, 60].get(rng.below(4)).copied().unwrap_or(12);
            let wage = 2200 + rng.below(4000);
            let insured = rng.chance(0.9);
            record(
                rng,
                vec![
                    ("employed_from", json!(d)),
                    ("contract_months", json!(contract)),
                    ("insured", json!(insured)),
                    ("monthly_wage", json!(wage)),
                    ("full_time", json!(true)),
                ],
            )
        })
        .collect();
    out.push(("disabled_staff", Value::Array(disabled)));
    let loans: Vec<Value> = (0..rng.below(3))
        .map(|_| {
            let d = date(rng, 2023, 4);
            let lender = pick(rng, &["bank", "bank", "bank", "microcredit", "other"]);
            let amount = (rng.log_normal(revenue.max(50.0) * 0.2, 1.0)).round();
            let purpose = pick(rng, &["working_capital", "working_capital", "equipment_renewal", "tech_innovation"]);
            record(
                rng,
                vec![
                    ("contract_date", json!(d)),
                    ("lender_kind", json!(lender)),
                    ("amount", json!(amount)),
                    ("purpose", json!(purpose)),
                    ("term_months", json!(12)),
                ],
            )
        })
        .collect();
    out.push(("loans", Value::Array(loans)));
    if revenue <= 500.0 {
        // Small-scale taxpayers file quarterly: the last four quarters.
        let quarter = revenue * 10_000.0 / 4.0;
        let periods: Vec<Value> = ["2025-07-01", "2025-10-01", "2026-01-01", "2026-04-01"]
            .iter()
            .map(|q| {
                let sales = (quarter * (0.7 + rng.unit() * 0.6)).round();
                record(
                    rng,
                    vec![("period_start", json!(q)), ("cycle", json!("quarter")), ("sales", json!(sales)), ("real_estate_sales", json!(0))],
                )
            })
            .collect();
        out.push(("sales_periods", Value::Array(periods)));
    }
    let violations: Vec<Value> = (0..usize::from(rng.chance(0.05)))
        .map(|_| {
            let d = date(rng, 2022, 4);
            let kind = pick(rng, &["tax", "environmental", "safety_accident", "quality", "labour"]);
            let severity = pick(rng, &["general", "general", "major", "serious"]);
            record(rng, vec![("occurred_on", json!(d)), ("kind", json!(kind)), ("severity", json!(severity))])
        })
        .collect();
    out.push(("violations", Value::Array(violations)));
    out
}

fn leaf(rng: &mut Rng) -> String {
    let r = rng.unit();
    let pct = |rng: &mut Rng| [2, 3, 4, 5, 6, 10].get(rng.below(6)).copied().unwrap_or(3);
    match (r * 100.0) as u32 {
        0..=17 => {
            if rng.chance(0.6) {
                format!("registered_region under {}", CITY_PREFIXES.get(rng.zipf(CITY_PREFIXES.len(), 1.5)).copied().unwrap_or("3701"))
            } else {
                format!("registered_region = {}", REGIONS.get(rng.zipf(REGIONS.len(), 1.1)).copied().unwrap_or("370102"))
            }
        }
        18..=31 => {
            let k = 1 + rng.below(3);
            let codes: Vec<&str> = (0..k).filter_map(|_| INDUSTRY_GROUPS.get(rng.zipf(INDUSTRY_GROUPS.len(), 1.0)).copied()).collect();
            let not = if rng.chance(0.15) { "not " } else { "" };
            format!("{not}industry under [{}]", codes.join(", "))
        }
        32..=43 => format!("registered_capital >= {}", money_round(rng, true)),
        44..=51 => format!("operating_revenue@fy1 {} {}", if rng.chance(0.7) { ">=" } else { "<=" }, money_round(rng, true)),
        52..=57 => format!(
            "employees@fy1 {} {}",
            if rng.chance(0.6) { ">=" } else { "<" },
            [10, 20, 50, 100, 200, 300, 500].get(rng.below(7)).copied().unwrap_or(50)
        ),
        58..=63 => format!("full_years_since(registration_date) >= {}", 1 + rng.below(5)),
        64..=70 => "tax_credit@fy1 in [A, B]".to_string(),
        71..=75 => "not abnormal_operation_list".to_string(),
        76..=80 => format!("rd_expense@fy1 / operating_revenue@fy1 >= {}%", pct(rng)),
        81..=86 => format!("has({})", QUALS.get(rng.zipf(QUALS.len(), 1.0)).copied().unwrap_or("high_tech")),
        87..=90 => {
            format!("size_class in [{}]", ["small, micro", "medium, small, micro", "micro"].get(rng.below(3)).copied().unwrap_or("micro"))
        }
        91..=94 => "not serious_dishonesty".to_string(),
        _ => {
            let words: Vec<String> =
                (0..1 + rng.below(2)).filter_map(|_| SCOPE_WORDS.get(rng.below(SCOPE_WORDS.len())).map(|w| format!("\"{w}\""))).collect();
            format!("business_scope contains_any [{}]", words.join(", "))
        }
    }
}

/// The shape of a generated policy set: how many leaves a policy has, how often two of
/// them are joined by `or`, and how many are tag tests. Benchmarks run several shapes so
/// that no single one is tuned for; [`Shape::STANDARD`] is the shape of [`policies`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// A short name for tables and command lines.
    pub name: &'static str,
    /// Fewest and most leaves of a policy (before `or` joins two of them).
    pub leaves: (usize, usize),
    /// Share of policies in which the last two leaves are joined by `or`.
    pub or_share: f64,
    /// Share of leaves that are `tags contains "…"` tests.
    pub tag_share: f64,
    /// Share of policies with a quantifier over records added (`any(hires, …)`,
    /// `count(hires, …) >= k`, `sum(loans, amount, …) >= t`, `any(asset_purchases, …)`).
    pub record_share: f64,
    /// Share of leaves drawn from the forms of an outside workload ([`outside_leaf`]):
    /// region lists of 1–18 codes, industry prefixes at every depth, ranges, founding-year
    /// bounds, employee ranges.
    pub outside_share: f64,
}

impl Shape {
    /// 3–8 leaves, one `or` in 20% of policies, an `at_least(1, …)` in 5%, no tag tests:
    /// about 6% of policy × enterprise pairs are eligible.
    pub const STANDARD: Shape =
        Shape { name: "standard", leaves: (3, 8), or_share: 0.2, tag_share: 0.0, record_share: 0.0, outside_share: 0.0 };
    /// The named shapes the latency benchmark runs: `standard`; `tags` (3–6 leaves, 15%
    /// of them tag tests); `narrow` (6–10 leaves: few matches); `broad` (2–3 leaves: many
    /// matches); `or-heavy` (an `or` in 60% of policies); `records` (the standard shape
    /// with a quantifier over records in 10% of policies); `outside` (3–8 leaves in the
    /// forms of an outside workload, [`outside_leaf`]).
    pub const ALL: [Shape; 7] = [
        Shape::STANDARD,
        Shape { name: "tags", leaves: (3, 6), or_share: 0.2, tag_share: 0.15, record_share: 0.0, outside_share: 0.0 },
        Shape { name: "narrow", leaves: (6, 10), or_share: 0.2, tag_share: 0.0, record_share: 0.0, outside_share: 0.0 },
        Shape { name: "broad", leaves: (2, 3), or_share: 0.2, tag_share: 0.0, record_share: 0.0, outside_share: 0.0 },
        Shape { name: "or-heavy", leaves: (3, 8), or_share: 0.6, tag_share: 0.0, record_share: 0.0, outside_share: 0.0 },
        Shape { name: "records", leaves: (3, 8), or_share: 0.2, tag_share: 0.0, record_share: 0.1, outside_share: 0.0 },
        Shape { name: "outside", leaves: (3, 8), or_share: 0.2, tag_share: 0.0, record_share: 0.0, outside_share: 1.0 },
    ];

    /// The shape called `name`.
    pub fn named(name: &str) -> Option<Shape> {
        Shape::ALL.iter().find(|s| s.name == name).copied()
    }
}

/// A quantifier over the records generated enterprises carry, with round thresholds.
fn record_leaf(rng: &mut Rng) -> String {
    let pick = |rng: &mut Rng, xs: &[i64]| xs.get(rng.below(xs.len())).copied().unwrap_or(1);
    match rng.below(4) {
        0 => {
            let groups = ["poverty_relief, unemployed_half_year", "veteran", "college_graduate, young_unemployed"];
            let g = groups.get(rng.below(groups.len())).copied().unwrap_or("veteran");
            format!("any(hires, group in [{g}] and contract_months >= {}月)", pick(rng, &[6, 12, 24]))
        }
        1 => format!("count(hires, hired_on > as_of - 1y) >= {}", pick(rng, &[1, 2, 3])),
        2 => format!("sum(loans, amount, lender_kind = bank) >= {}万", pick(rng, &[100, 500, 1000, 5000])),
        _ => format!(
            "any(asset_purchases, kind = equipment and unit_value <= {}万 and year_of(purchased_on) >= fy1)",
            pick(rng, &[50, 100, 500])
        ),
    }
}

/// A leaf in the forms of an outside workload, not this generator's own: a list of 1–18
/// regions (counties and prefixes mixed), an industry prefix at any depth (section,
/// division, group, class), a capital or employee range (`between`), a founding-year
/// bound, a tag test, an R&D ratio.
fn outside_leaf(rng: &mut Rng) -> String {
    let pool: Vec<&str> = REGIONS.iter().chain(CITY_PREFIXES).copied().collect();
    match rng.below(7) {
        0 => {
            let k = 1 + rng.below(pool.len());
            let mut codes: Vec<&str> = (0..k).filter_map(|_| pool.get(rng.below(pool.len())).copied()).collect();
            crate::sort::sort(&mut codes);
            codes.dedup();
            format!("registered_region under [{}]", codes.join(", "))
        }
        1 => {
            let code = INDUSTRIES.get(rng.below(INDUSTRIES.len())).copied().unwrap_or("C3911");
            let depth = [1, 3, 4, 5].get(rng.below(4)).copied().unwrap_or(3);
            format!("industry under {}", code.get(..depth).unwrap_or(code))
        }
        2 => {
            let lo = [50, 100, 200, 500, 1000].get(rng.below(5)).copied().unwrap_or(100);
            let hi = lo * [5, 10, 50].get(rng.below(3)).copied().unwrap_or(10);
            format!("registered_capital between [{lo}万, {hi}万]")
        }
        3 => {
            let year = 2000 + rng.below(25);
            let op = if rng.chance(0.7) { ">=" } else { "<=" };
            format!("year_of(registration_date) {op} {year}")
        }
        4 => {
            let lo = [1, 10, 20, 50].get(rng.below(4)).copied().unwrap_or(10);
            let hi = lo * [10, 20, 50].get(rng.below(3)).copied().unwrap_or(10);
            format!("employees@fy1 between [{lo}, {hi}]")
        }
        5 => format!("tags contains \"{}\"", TAGS.get(rng.below(TAGS.len())).copied().unwrap_or("制造业")),
        _ => format!("rd_expense@fy1 / operating_revenue@fy1 >= {}%", [2, 3, 4, 5, 6].get(rng.below(5)).copied().unwrap_or(3)),
    }
}

fn shaped_leaf(rng: &mut Rng, shape: &Shape) -> String {
    // The other shapes draw no extra random number here, so their output never changes.
    if shape.outside_share > 0.0 && rng.chance(shape.outside_share) {
        return outside_leaf(rng);
    }
    // The standard shape draws no extra random number, so its output never changes.
    if shape.tag_share > 0.0 && rng.chance(shape.tag_share) {
        let tag = TAGS.get(rng.below(TAGS.len())).copied().unwrap_or("制造业");
        return format!("tags contains \"{tag}\"");
    }
    leaf(rng)
}

/// One synthetic policy (JSON), deterministic for `(seed, n)`.
pub fn policy(rng: &mut Rng, n: usize) -> Value {
    shaped_policy(rng, n, &Shape::STANDARD)
}

/// One synthetic policy of the given shape.
pub fn shaped_policy(rng: &mut Rng, n: usize, shape: &Shape) -> Value {
    let (lo, hi) = shape.leaves;
    let k = lo + rng.below(hi.saturating_sub(lo) + 1);
    let mut leaves: Vec<String> = (0..k).map(|_| shaped_leaf(rng, shape)).collect();
    if rng.chance(shape.or_share) && leaves.len() >= 2 {
        let a = leaves.pop().unwrap_or_default();
        let b = leaves.pop().unwrap_or_default();
        leaves.push(format!("({a} or {b})"));
    }
    if rng.chance(0.05) {
        leaves.push(format!("at_least(1, [{}, {}])", shaped_leaf(rng, shape), shaped_leaf(rng, shape)));
    }
    // The other shapes draw no extra random number here, so their output never changes.
    if shape.record_share > 0.0 && rng.chance(shape.record_share) {
        leaves.push(record_leaf(rng));
    }
    let amount = money_round(rng, false);
    let level = ["national", "provincial", "municipal", "district"].get(rng.below(4)).copied().unwrap_or("municipal");
    let tag = ["科创", "人才", "稳岗", "税费"].get(rng.below(4)).copied().unwrap_or("科创");
    json!({
        "id": format!("syn-{n:06}"),
        "title": format!("合成政策{n}"),
        "issuer": "synthetic (huiqi gen)",
        "doc_no": "合成〔0000〕0号",
        "year": 2024,
        "level": level,
        "condition": leaves.join(" and "),
        "benefit": {"kind": "fixed", "amount": amount},
        "tags": [tag],
        "source": {"document": "synthetic policy generated by huiqi gen (not a real policy)"},
    })
}

/// `count` enterprises for `seed`.
pub fn enterprises(seed: u64, count: usize) -> impl Iterator<Item = Value> {
    let mut rng = Rng::new(seed);
    (0..count).map(move |i| enterprise(&mut rng, i))
}

/// `count` policies for `seed`.
pub fn policies(seed: u64, count: usize) -> impl Iterator<Item = Value> {
    shaped_policies(seed, count, Shape::STANDARD)
}

/// `count` policies of `shape` for `seed`.
pub fn shaped_policies(seed: u64, count: usize, shape: Shape) -> impl Iterator<Item = Value> {
    let mut rng = Rng::new(seed.wrapping_add(0x5EED));
    (0..count).map(move |i| shaped_policy(&mut rng, i, &shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        let a: Vec<Value> = enterprises(7, 20).collect();
        let b: Vec<Value> = enterprises(7, 20).collect();
        assert_eq!(a, b);
        let c: Vec<Value> = enterprises(8, 20).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn generated_data_is_valid() {
        let schema = crate::schema::Schema::embedded().expect("schema");
        for e in enterprises(1, 300) {
            let p = crate::profile::Profile::from_json(&schema, &e);
            assert!(p.is_ok(), "{e}: {:?}", p.err());
            let p = p.expect("checked");
            assert!(p.warnings.iter().all(|w| !w.message.contains("check character")), "USCC check characters are valid");
        }
        let ps: Vec<Value> = policies(1, 300).collect();
        let set =
            crate::policy::PolicySet::compile(std::sync::Arc::new(schema), &[("gen.json".into(), json!({"policies": ps}).to_string())]);
        assert!(set.is_ok(), "{:?}", set.err());
    }

    #[test]
    fn zipf_prefers_the_first_items() {
        let mut r = Rng::new(3);
        let mut counts = [0usize; 5];
        for _ in 0..5000 {
            if let Some(c) = counts.get_mut(r.zipf(5, 1.2)) {
                *c += 1;
            }
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[4], "{counts:?}");
    }
}
