//! The explanation in words: values formatted for people (units, percents, code
//! labels), what a value node stands for (`营业收入（2025年）`), and each leaf's message in
//! Chinese and English with what was seen and what is required.

use super::*;

impl<'e, 'a> Explainer<'e, 'a> {
    /// Formats a value for people.
    pub fn fmt(&self, v: &Datum<'_>, n: &Node, zh: bool) -> String {
        match v {
            Datum::Bool(b) => if zh {
                if *b {
                    "是"
                } else {
                    "否"
                }
            } else if *b {
                "yes"
            } else {
                "no"
            }
            .to_string(),
            Datum::Num(d) => match n.ty {
                Ty::Num(Dim::Number) if n.percent => units::display_percent(*d),
                Ty::Num(dim) => units::display(*d, dim),
                _ => units::trim(*d),
            },
            Datum::Date(d) => d.to_string(),
            Datum::Dur(d) => d.to_string(),
            Datum::Enum(i) => match n.ty {
                Ty::Enum(e) => self
                    .ev
                    .set
                    .schema
                    .enum_def(e)
                    .map_or_else(|| i.to_string(), |d| if zh { d.label_of(*i).to_string() } else { d.code(*i).to_string() }),
                _ => i.to_string(),
            },
            Datum::Code(c) => match n.ty {
                Ty::Code(s) if zh => self.ev.set.schema.codes.get(s).map_or_else(|| (*c).to_string(), |sys| sys.describe(c)),
                _ => (*c).to_string(),
            },
            Datum::Text(t) => {
                let short: String = t.chars().take(40).collect();
                if short.len() < t.len() {
                    format!("“{short}…”")
                } else {
                    format!("“{short}”")
                }
            }
            Datum::Tags(t) => t.iter().cloned().collect::<Vec<_>>().join("、"),
            Datum::Quals(q) => format!("{} 项资质", q.len()),
            Datum::Year(y) => {
                if zh {
                    format!("{y}年")
                } else {
                    y.to_string()
                }
            }
        }
    }

    fn fmt_const(&self, c: &Const, n: &Node, zh: bool) -> String {
        let v = Datum::of_const(c, |y| self.ev.year(y));
        self.fmt(&v, n, zh)
    }

    /// Describes what a value node stands for (`营业收入（2025年）`).
    pub fn describe(&self, n: &Node, src: &str, zh: bool) -> String {
        use NodeKind as K;
        let schema = &self.ev.set.schema;
        let field_name = |f: FieldId| schema.field_by_id(f).map_or_else(String::new, |f| if zh { f.label.clone() } else { f.name.clone() });
        let year = |y: Option<YearRef>| y.map(|y| self.ev.year(y));
        match &n.kind {
            K::Field { field, year: y } => match year(*y) {
                Some(y) if zh => format!("{}（{y}年）", field_name(*field)),
                Some(y) => format!("{}@{y}", field_name(*field)),
                None => field_name(*field),
            },
            K::Def(i) => self.ev.set.definitions.get(*i).map_or_else(String::new, |d| {
                if zh {
                    d.label.clone().unwrap_or_else(|| d.name.clone())
                } else {
                    d.name.clone()
                }
            }),
            K::Const(c) => self.fmt_const(c, n, zh),
            K::AsOf => if zh { "评估日" } else { "as_of" }.to_string(),
            K::Arith { op, lhs, rhs } => {
                let additive = |c: &Node| matches!(c.kind, K::Arith { op: ArithOp::Add | ArithOp::Sub, .. });
                let wrap = |c: &Node, right: bool| {
                    let s = self.describe(c, src, zh);
                    // Parentheses only where precedence needs them: a sum inside a product or
                    // quotient, and a sum on the right of a minus or a division.
                    let needed = match op {
                        ArithOp::Mul | ArithOp::Div => additive(c) || (right && matches!(c.kind, K::Arith { .. })),
                        ArithOp::Sub => right && additive(c),
                        ArithOp::Add => false,
                    };
                    if needed {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                let sym = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "×",
                    ArithOp::Div => "/",
                };
                format!("{} {sym} {}", wrap(lhs, false), wrap(rhs, true))
            }
            K::YearAgg { agg, field, from, to, actual } => {
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                let (lo, hi) = (a.min(b), a.max(b));
                let (azh, aen) = match agg {
                    Agg::Sum => ("合计", "sum"),
                    Agg::Avg => ("平均", "average"),
                    Agg::Min => ("最小值", "minimum"),
                    Agg::Max => ("最大值", "maximum"),
                };
                if zh {
                    format!("{}{lo}–{hi}年{azh}{}", field_name(*field), if *actual { "（按实际年限）" } else { "" })
                } else {
                    format!("{aen} of {} {lo}–{hi}{}", field_name(*field), if *actual { " (actual years)" } else { "" })
                }
            }
            K::Growth { field, year: y } => {
                let y = self.ev.year(*y);
                if zh {
                    format!("{}{y}年同比增长率", field_name(*field))
                } else {
                    format!("growth of {} in {y}", field_name(*field))
                }
            }
            K::AvgGrowth { field, from, to } => {
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                if zh {
                    format!("{}{}–{}年平均增长率", field_name(*field), a.min(b), a.max(b))
                } else {
                    format!("average growth of {} {}–{}", field_name(*field), a.min(b), a.max(b))
                }
            }
            K::Since { date, unit } => {
                let d = self.describe(date, src, zh);
                match (unit, zh) {
                    (SinceUnit::Years, true) => format!("{d}至今整年数"),
                    (SinceUnit::Months, true) => format!("{d}至今整月数"),
                    (SinceUnit::Days, true) => format!("{d}至今天数"),
                    (SinceUnit::Years, false) => format!("full years since {d}"),
                    (SinceUnit::Months, false) => format!("full months since {d}"),
                    (SinceUnit::Days, false) => format!("days since {d}"),
                }
            }
            K::Band { expr, .. } => {
                if zh {
                    format!("{}对应档位分", self.describe(expr, src, zh))
                } else {
                    format!("band score of {}", self.describe(expr, src, zh))
                }
            }
            K::MinMax { max, args } => {
                let parts: Vec<String> = args.iter().map(|a| self.describe(a, src, zh)).collect();
                format!("{}({})", if *max { "max" } else { "min" }, parts.join(", "))
            }
            K::DateShift { date, duration, negate } => {
                format!("{} {} {duration}", self.describe(date, src, zh), if *negate { "-" } else { "+" })
            }
            K::YearOf(d) => {
                if zh {
                    format!("{}所属年度", self.describe(d, src, zh))
                } else {
                    format!("year of {}", self.describe(d, src, zh))
                }
            }
            K::RecordField { collection, field } => schema
                .record_def(*collection)
                .and_then(|d| d.fields.get(*field))
                .map_or_else(String::new, |f| if zh { f.label.clone() } else { f.name.clone() }),
            K::Records { agg, collection, value, cond } => {
                let c = field_name(*collection);
                let filter = cond.as_ref().map(|c| snippet(src, c)).filter(|t| !t.is_empty());
                match (agg, zh) {
                    (RecordAgg::Sum, true) => format!(
                        "{}{c}的{}合计",
                        filter.map(|f| format!("满足“{f}”的")).unwrap_or_default(),
                        value.as_ref().map(|v| self.describe(v, src, zh)).unwrap_or_default()
                    ),
                    (RecordAgg::Sum, false) => format!(
                        "sum of {} over {c}{}",
                        value.as_ref().map(|v| self.describe(v, src, zh)).unwrap_or_default(),
                        filter.map(|f| format!(" where {f}")).unwrap_or_default()
                    ),
                    (_, true) => format!("{}{c}条数", filter.map(|f| format!("满足“{f}”的")).unwrap_or_default()),
                    (_, false) => format!("number of {c}{}", filter.map(|f| format!(" where {f}")).unwrap_or_default()),
                }
            }
            _ => snippet(src, n),
        }
    }

    /// The value of `n` in Chinese and in English, evaluated once.
    fn value_texts(&self, n: &'a Node) -> (String, String) {
        self.value_texts_pct(n, n.percent)
    }

    fn value_texts_pct(&self, n: &'a Node, percent: bool) -> (String, String) {
        match self.ev.eval(n) {
            Ok(Datum::Num(d)) if percent && n.ty == Ty::Num(Dim::Number) => {
                let t = units::display_percent(d);
                (t.clone(), t)
            }
            Ok(v) => (self.fmt(&v, n, true), self.fmt(&v, n, false)),
            // A count or sum over records some of which are undecided: what it can be.
            Err(_) if matches!(n.kind, NodeKind::Records { .. }) => {
                let range = self.ev.bounded(n);
                let text = |zh: bool| {
                    let shown = |d: Decimal| self.fmt(&Datum::Num(d), n, zh);
                    match range {
                        Some(Range { lo: Some(a), hi: Some(b) }) => format!("{}–{}", shown(a), shown(b)),
                        Some(Range { lo: Some(a), hi: None }) => {
                            if zh {
                                format!("至少 {}", shown(a))
                            } else {
                                format!("at least {}", shown(a))
                            }
                        }
                        _ => (if zh { "未知" } else { "unknown" }).to_string(),
                    }
                };
                (text(true), text(false))
            }
            Err(_) => ("未知".to_string(), "unknown".to_string()),
        }
    }

    pub(super) fn leaf(&self, n: &'a Node, src: &'a str, positive: bool, status: Status) -> Explanation {
        use NodeKind as K;
        let unknown = self.ev.eval(n).err();
        let schema = &self.ev.set.schema;
        let missing = match &unknown {
            Some(u) if !self.notes_only => self.missing(u),
            _ => Vec::new(),
        };
        // Why the leaf is unknown, in both languages (nothing to say of a known one).
        let why = |zh: bool| -> String {
            let Some(u) = &unknown else { return String::new() };
            if u.manual {
                return (if zh { "需人工审核" } else { "needs manual review" }).to_string();
            }
            if u.fields.is_empty() {
                return (if zh { "无法计算（如除数为零）" } else { "cannot be computed (e.g. division by zero)" }).to_string();
            }
            let mut out = String::from(if zh { "缺少：" } else { "missing: " });
            for (k, f) in u.fields.iter().filter_map(|f| schema.field_by_id(*f)).enumerate() {
                if k > 0 {
                    out.push_str(if zh { "、" } else { ", " });
                }
                out.push_str(if zh { &f.label } else { &f.name });
            }
            out
        };
        let (why_unknown_zh, why_unknown_en) = (why(true), why(false));
        let mut e = Explanation {
            status,
            kind: "leaf",
            text: snippet(src, n),
            message_zh: String::new(),
            message_en: String::new(),
            seen: None,
            required: None,
            missing,
            children: Vec::new(),
        };
        match &n.kind {
            K::Cmp { op, lhs, rhs } => {
                let op = if positive { *op } else { op.negate() };
                let (s_zh, s_en) = (self.describe(lhs, src, true), self.describe(lhs, src, false));
                let pct = lhs.percent || rhs.percent;
                let (v_zh, v_en) = self.value_texts_pct(lhs, pct);
                let (r_zh, r_en) = self.value_texts_pct(rhs, pct);
                let r_zh = if matches!(rhs.kind, K::Const(_)) { r_zh } else { format!("{}（{r_zh}）", self.describe(rhs, src, true)) };
                let r_en = if matches!(rhs.kind, K::Const(_)) { r_en } else { format!("{} ({r_en})", self.describe(rhs, src, false)) };
                e.seen = self.detail(|| v_zh.clone());
                e.required = self.detail(|| format!("{} {r_zh}", op.pretty()));
                (e.message_zh, e.message_en) = match status {
                    Status::Met => {
                        (format!("{s_zh} {v_zh}，满足 {} {r_zh}", op.pretty()), format!("{s_en} is {v_en}, meets {} {r_en}", op.pretty()))
                    }
                    Status::Unmet => {
                        let (zh, en) = match op {
                            CmpOp::Ge => ("低于要求的", "below the required"),
                            CmpOp::Gt => ("未超过要求的", "not above the required"),
                            CmpOp::Le => ("超过上限", "above the limit"),
                            CmpOp::Lt => ("未低于上限", "not below the limit"),
                            CmpOp::Eq => ("要求为", "required"),
                            CmpOp::Ne => ("要求不为", "must not be"),
                        };
                        (format!("{s_zh} {v_zh}，{zh} {r_zh}"), format!("{s_en} is {v_en}, {en} {r_en}"))
                    }
                    // A count or sum over records that is known only as a range says so.
                    Status::Unknown if matches!(lhs.kind, K::Records { .. }) => (
                        format!("{s_zh} 未定（可能为 {v_zh}；{why_unknown_zh}），要求 {} {r_zh}", op.pretty()),
                        format!("{s_en} is undecided (could be {v_en}; {why_unknown_en}), required {} {r_en}", op.pretty()),
                    ),
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求 {} {r_zh}", op.pretty()),
                        format!("{s_en} is unknown ({why_unknown_en}), required {} {r_en}", op.pretty()),
                    ),
                };
            }
            K::Field { .. } | K::Def(_) | K::Known(_) | K::Const(_) => {
                let subject_zh = match &n.kind {
                    K::Known(f) => format!("已填写{}", schema.field_by_id(*f).map_or("", |f| f.label.as_str())),
                    _ => self.describe(n, src, true),
                };
                let subject_en = match &n.kind {
                    K::Known(f) => format!("{} provided", schema.field_by_id(*f).map_or("", |f| f.name.as_str())),
                    _ => self.describe(n, src, false),
                };
                let (v_zh, v_en) = self.value_texts(n);
                let want_zh = if positive { "是" } else { "否" };
                let want_en = if positive { "yes" } else { "no" };
                e.seen = self.detail(|| v_zh.clone());
                e.required = self.detail(|| want_zh.into());
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{subject_zh}：未知（{why_unknown_zh}），要求：{want_zh}"),
                        format!("{subject_en}: unknown ({why_unknown_en}), required: {want_en}"),
                    ),
                    _ => (format!("{subject_zh}：{v_zh}，要求：{want_zh}"), format!("{subject_en}: {v_en}, required: {want_en}")),
                };
            }
            K::Between { expr, low, high, low_inclusive, high_inclusive } => {
                let (v_zh, v_en) = self.value_texts(expr);
                let (lo, _) = self.value_texts(low);
                let (hi, _) = self.value_texts(high);
                let range = format!("{}{lo}, {hi}{}", if *low_inclusive { "[" } else { "(" }, if *high_inclusive { "]" } else { ")" });
                let neg = if positive { "" } else { "不" };
                e.seen = self.detail(|| v_zh.clone());
                e.required = self.detail(|| format!("{neg}在 {range} 内"));
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}在 {range} 内"),
                        format!("{s_en} is unknown ({why_unknown_en}), required {}in {range}", if positive { "" } else { "not " }),
                    ),
                    _ => (
                        format!("{s_zh} {v_zh}，要求{neg}在 {range} 内（{}）", if status == Status::Met { "满足" } else { "不满足" }),
                        format!(
                            "{s_en} is {v_en}, required {}in {range} ({})",
                            if positive { "" } else { "not " },
                            if status == Status::Met { "met" } else { "not met" }
                        ),
                    ),
                };
            }
            K::InSet { expr, items, negated } => {
                let inside = positive != *negated;
                let (v_zh, v_en) = self.value_texts(expr);
                let list_zh = items.iter().map(|c| self.fmt_const(c, expr, true)).collect::<Vec<_>>().join("、");
                let list_en = items.iter().map(|c| self.fmt_const(c, expr, false)).collect::<Vec<_>>().join(", ");
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                e.seen = self.detail(|| v_zh.clone());
                e.required = self.detail(|| format!("{}属于 {list_zh}", if inside { "" } else { "不" }));
                let req_zh = format!("要求{}为 {list_zh} 之一", if inside { "" } else { "不" });
                let req_en = format!("required {}one of {list_en}", if inside { "" } else { "not " });
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => {
                        (format!("{s_zh} 未知（{why_unknown_zh}），{req_zh}"), format!("{s_en} is unknown ({why_unknown_en}), {req_en}"))
                    }
                    Status::Met => (format!("{s_zh} 为 {v_zh}，满足{req_zh}"), format!("{s_en} is {v_en}, meets: {req_en}")),
                    Status::Unmet => (format!("{s_zh} 为 {v_zh}，{req_zh}"), format!("{s_en} is {v_en}, {req_en}")),
                };
            }
            K::Under { expr, system, codes } => {
                let sys = schema.codes.get(*system);
                let list_zh = codes.iter().map(|c| sys.map_or_else(|| c.clone(), |s| s.describe(c))).collect::<Vec<_>>().join("、");
                let list_en = codes.join(", ");
                let (v_zh, v_en) = self.value_texts(expr);
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let neg = if positive { "" } else { "不" };
                e.seen = self.detail(|| v_zh.clone());
                e.required = self.detail(|| format!("{neg}属于 {list_zh}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}属于 {list_zh}"),
                        format!("{s_en} is unknown ({why_unknown_en}), required {}under {list_en}", if positive { "" } else { "not " }),
                    ),
                    Status::Met => (
                        format!("{s_zh} {v_zh}，{neg}属于 {list_zh}（满足）"),
                        format!("{s_en} {v_en} is {}under {list_en} (met)", if positive { "" } else { "not " }),
                    ),
                    Status::Unmet => (
                        format!("{s_zh} {v_zh}，要求{neg}属于 {list_zh}"),
                        format!("{s_en} {v_en}, required {}under {list_en}", if positive { "" } else { "not " }),
                    ),
                };
            }
            K::TagContains { expr, mode, items } | K::TextContains { expr, mode, items } => {
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let how_zh = match mode {
                    ContainsMode::All => "全部",
                    _ => "任一",
                };
                let how_en = match mode {
                    ContainsMode::All => "all of",
                    _ => "any of",
                };
                let list = items.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join("、");
                let neg_zh = if positive { "包含" } else { "不包含" };
                let neg_en = if positive { "contain" } else { "not contain" };
                e.required = self.detail(|| format!("{neg_zh}{how_zh} {list}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg_zh}{how_zh} {list}"),
                        format!("{s_en} is unknown ({why_unknown_en}), must {neg_en} {how_en} {list}"),
                    ),
                    _ => (
                        format!("{s_zh} 须{neg_zh}{how_zh} {list}（{}）", verdict_zh_of(status)),
                        format!("{s_en} must {neg_en} {how_en} {list} ({})", verdict_en_of(status)),
                    ),
                };
            }
            K::Matches { expr, pattern } => {
                let (s_zh, s_en) = (self.describe(expr, src, true), self.describe(expr, src, false));
                let neg = if positive { "" } else { "不" };
                e.required = self.detail(|| format!("{neg}匹配 /{}/", pattern.source));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{s_zh} 未知（{why_unknown_zh}），要求{neg}匹配 /{}/", pattern.source),
                        format!(
                            "{s_en} is unknown ({why_unknown_en}), must {}match /{}/",
                            if positive { "" } else { "not " },
                            pattern.source
                        ),
                    ),
                    _ => (
                        format!("{s_zh} 须{neg}匹配 /{}/（{}）", pattern.source, verdict_zh_of(status)),
                        format!("{s_en} must {}match /{}/ ({})", if positive { "" } else { "not " }, pattern.source, verdict_en_of(status)),
                    ),
                };
            }
            K::Has { qual, level } => {
                let q = schema.qualifications.get(*qual);
                let label = q.map_or("", |q| q.label.as_str());
                let code = q.map_or("", |q| q.code.as_str());
                let lvl_zh = level
                    .and_then(|(op, l)| {
                        schema.qualification_levels.get(l as usize).map(|lv| format!("（级别 {} {}）", op.pretty(), lv.label))
                    })
                    .unwrap_or_default();
                let lvl_en = level
                    .and_then(|(op, l)| {
                        schema.qualification_levels.get(l as usize).map(|lv| format!(" (level {} {})", op.pretty(), lv.code))
                    })
                    .unwrap_or_default();
                let want = if positive { "须持有" } else { "须未持有" };
                e.required = self.detail(|| format!("{want}有效的{label}{lvl_zh}"));
                (e.message_zh, e.message_en) = match (status, positive) {
                    (Status::Unknown, _) => (
                        format!("{label}资质{lvl_zh}未知（{why_unknown_zh}）"),
                        format!("{code} qualification{lvl_en} unknown ({why_unknown_en})"),
                    ),
                    (Status::Met, true) | (Status::Unmet, false) => (
                        format!("持有有效的{label}{lvl_zh}{}", if positive { "" } else { "，要求未持有" }),
                        format!("holds a valid {code}{lvl_en}{}", if positive { "" } else { ", required not to" }),
                    ),
                    _ => (
                        format!("未持有有效的{label}{lvl_zh}{}", if positive { "" } else { "（满足）" }),
                        format!("holds no valid {code}{lvl_en}{}", if positive { "" } else { " (met)" }),
                    ),
                };
            }
            K::GrantedIn { qual, year, kind } => {
                let q = schema.qualifications.get(*qual);
                let label = q.map_or("", |q| q.label.as_str());
                let code = q.map_or("", |q| q.code.as_str());
                let y = self.ev.year(*year);
                let (k_zh, k_en) = match kind {
                    GrantKind::Any => ("获得", "granted"),
                    GrantKind::First => ("首次认定", "first granted"),
                    GrantKind::Renewal => ("重新认定", "renewed"),
                };
                let neg = if positive { "" } else { "未" };
                e.required = self.detail(|| format!("{y}年{neg}{k_zh}{label}"));
                (e.message_zh, e.message_en) = match status {
                    Status::Unknown => (
                        format!("{y}年是否{k_zh}{label}未知（{why_unknown_zh}）"),
                        format!("whether {code} was {k_en} in {y} is unknown ({why_unknown_en})"),
                    ),
                    _ => (
                        format!("要求{y}年{neg}{k_zh}{label}（{}）", verdict_zh_of(status)),
                        format!("{code} {}{k_en} in {y} required ({})", if positive { "" } else { "not " }, verdict_en_of(status)),
                    ),
                };
            }
            K::Records { agg: agg @ (RecordAgg::Any | RecordAgg::All), collection, cond: Some(cond), .. } => {
                (e.message_zh, e.message_en) = self.records_message(*agg == RecordAgg::All, *collection, cond, src, positive, status);
                e.required = self.detail(|| snippet(src, n));
            }
            K::ManualReview(text) => {
                e.kind = "manual_review";
                e.required = self.detail(|| text.clone());
                e.message_zh = format!("需人工审核：{text}");
                e.message_en = format!("needs manual review: {text}");
            }
            K::CagrCmp { op, field, from, to, rate } => {
                let op = if positive { *op } else { op.negate() };
                let f = schema.field_by_id(*field);
                let (a, b) = (self.ev.year(*from), self.ev.year(*to));
                let (r, _) = self.value_texts(rate);
                e.required = self.detail(|| format!("{} {r}", op.pretty()));
                e.message_zh = format!(
                    "{}{}–{}年复合增长率 {} {r}（{}）",
                    f.map_or("", |f| f.label.as_str()),
                    a.min(b),
                    a.max(b),
                    op.pretty(),
                    if status == Status::Unknown { why_unknown_zh.clone() } else { verdict_zh_of(status).to_string() }
                );
                e.message_en = format!(
                    "CAGR of {} {}–{} {} {r} ({})",
                    f.map_or("", |f| f.name.as_str()),
                    a.min(b),
                    a.max(b),
                    op.pretty(),
                    if status == Status::Unknown { why_unknown_en.clone() } else { verdict_en_of(status).to_string() }
                );
            }
            _ => {
                let text = snippet(src, n);
                e.message_zh = format!(
                    "{text}：{}{}",
                    verdict_zh_of(status),
                    if status == Status::Unknown { format!("（{why_unknown_zh}）") } else { String::new() }
                );
                e.message_en = format!(
                    "{text}: {}{}",
                    verdict_en_of(status),
                    if status == Status::Unknown { format!(" ({why_unknown_en})") } else { String::new() }
                );
            }
        }
        e
    }
}

impl<'a> Explainer<'_, 'a> {
    /// Words for `any` / `all` over records, naming the record that decided
    /// (`第2条设备购置：单价 520万元，满足 > 500万元`), or, when none did, how many were looked
    /// at and the first one that is undecided.
    fn records_message(
        &self,
        all: bool,
        collection: FieldId,
        cond: &'a Node,
        src: &'a str,
        positive: bool,
        status: Status,
    ) -> (String, String) {
        let schema = &self.ev.set.schema;
        let (label, name) = schema.field_by_id(collection).map_or((String::new(), String::new()), |f| (f.label.clone(), f.name.clone()));
        let Ok(records) = self.ev.records_of(collection) else {
            return (format!("{label}：未知（缺少：{label}）"), format!("{name}: unknown (missing: {name})"));
        };
        // The record that decides: for `any`, one whose condition holds (true) or, for
        // `all`, one whose condition fails (false); else an undecided one.
        let mut decided = None;
        let mut undecided = None;
        for (i, r) in records.iter().enumerate() {
            match Tri::from_ev(&self.ev.with_record(i, r, || self.ev.eval(cond))) {
                Tri::True if !all => {
                    decided = Some((i, r));
                    break;
                }
                Tri::False if all => {
                    decided = Some((i, r));
                    break;
                }
                Tri::Unknown if undecided.is_none() => undecided = Some((i, r)),
                _ => {}
            }
        }
        let words = |i: usize, r: &'a crate::profile::Record| {
            // The record's own leaves, with the requirement the policy makes of each record
            // (its condition holds; under `not`, it does not).
            let x = self.ev.with_record(i, r, || self.explain(cond, src, positive));
            let leaves = x.leaves();
            let zh = leaves.iter().map(|l| l.message_zh.as_str()).collect::<Vec<_>>().join("；");
            let en = leaves.iter().map(|l| l.message_en.as_str()).collect::<Vec<_>>().join("; ");
            (format!("第{}条{label}：{zh}", i + 1), format!("{name} record {}: {en}", i + 1))
        };
        let text = snippet(src, cond);
        match (decided, undecided, status) {
            (Some((i, r)), _, _) => words(i, r),
            (None, Some((i, r)), Status::Unknown) => {
                let (zh, en) = words(i, r);
                (
                    format!("{label}（共 {} 条）尚不能判定：{zh}", records.len()),
                    format!("{name} ({} records) undecided: {en}", records.len()),
                )
            }
            _ if all => {
                (format!("{label}共 {} 条，均满足“{text}”", records.len()), format!("all {} {name} records meet “{text}”", records.len()))
            }
            _ => (
                format!("{label}共 {} 条，无一满足“{text}”", records.len()),
                format!("none of {} {name} records meets “{text}”", records.len()),
            ),
        }
    }
}
