//! The policy list for publication (政策精准公开): one row per policy with what a citizen
//! or an enterprise needs to know before matching — title, issuer, 文号, validity,
//! application window, how the benefit is obtained (免申即享 or 申报), the benefit as
//! written, and whether the encoding was verified against the official text.
//!
//! Rows come from the policy documents only; nothing is evaluated. With a date, only the
//! versions in force on that date are listed (as `huiqi match` would consider them).

use serde::Serialize;

use crate::date::Date;
use crate::engine::Engine;
use crate::policy::{BenefitSpec, Level, Mode, PolicyDoc};

/// One policy as published.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ListedPolicy {
    pub id: String,
    pub title: String,
    pub issuer: String,
    pub doc_no: String,
    pub level: &'static str,
    /// `2023-01-01 – 2027-12-31`, `2018-01-01 起长期`, `截止日期未知` …
    pub validity: String,
    /// The application window, when the policy has one.
    pub window: Option<String>,
    /// `免申即享` or `申报`.
    pub mode: &'static str,
    /// The benefit as written in the policy file.
    pub benefit: String,
    pub tags: Vec<String>,
    /// `true`, `false`, or absent when the policy does not say.
    pub verified: Option<bool>,
    pub unverified: Option<String>,
    pub reviewed_on: Option<String>,
    pub source: String,
    pub url: Option<String>,
    /// The year of the policy document.
    pub year: i32,
    /// The file the policy was read from.
    pub origin: String,
    /// The condition as written in the policy file.
    pub condition: String,
    pub effective_from: Option<Date>,
    pub effective_to: Option<Date>,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::National => "国家",
        Level::Provincial => "省",
        Level::Municipal => "市",
        Level::District => "区县",
    }
}

fn validity(d: &PolicyDoc) -> String {
    match (d.effective_from, d.effective_to) {
        (Some(f), Some(t)) => format!("{f} – {t}"),
        (None, Some(t)) => format!("至 {t}"),
        (Some(f), None) if d.open_ended => format!("{f} 起长期"),
        (None, None) if d.open_ended => "长期".into(),
        (Some(f), None) => format!("{f} 起，截止日期未知"),
        (None, None) => "起止日期未知".into(),
    }
}

fn benefit(b: &BenefitSpec) -> String {
    match b {
        BenefitSpec::Fixed { amount, description } => description.clone().unwrap_or_else(|| amount.clone()),
        BenefitSpec::PerUnit { amount, count, cap, description } => description.clone().unwrap_or_else(|| {
            let cap = cap.as_ref().map(|c| format!("，最高 {c}")).unwrap_or_default();
            format!("{amount} × {count}{cap}")
        }),
        BenefitSpec::Rate { rate, base, cap, description } => description.clone().unwrap_or_else(|| {
            let cap = cap.as_ref().map(|c| format!("，最高 {c}")).unwrap_or_default();
            format!("{rate} × {base}{cap}")
        }),
        BenefitSpec::Tiers { tiers, description } => {
            description.clone().unwrap_or_else(|| tiers.iter().map(|t| format!("{}：{}", t.when, t.amount)).collect::<Vec<_>>().join("；"))
        }
        BenefitSpec::None { description } => description.clone(),
    }
}

/// The published rows of an engine's policy set, in set order: all of them, or with
/// `as_of` only the versions in force on that date; with `tags`, only the policies in one
/// of those 政策包.
pub fn list(engine: &Engine, as_of: Option<Date>, tags: &[String]) -> Vec<ListedPolicy> {
    engine
        .policy_set()
        .policies
        .iter()
        .enumerate()
        .filter(|(i, _)| as_of.is_none_or(|d| engine.version_in_force(*i, d)))
        .filter(|(_, p)| tags.is_empty() || p.doc.tags.iter().any(|t| tags.contains(t)))
        .map(|(_, p)| {
            let d = &p.doc;
            let window = d.application_window.as_ref().map(|w| match (w.opens, w.closes) {
                (Some(o), Some(c)) => format!("{o} – {c}"),
                (Some(o), None) => format!("{o} 起"),
                (None, Some(c)) => format!("至 {c}"),
                (None, None) => "另行通知".into(),
            });
            let source = match &d.source.article {
                Some(a) => format!("{} {a}", d.source.document),
                None => d.source.document.clone(),
            };
            ListedPolicy {
                id: d.id.clone(),
                title: d.title.clone(),
                issuer: d.issuer.clone(),
                doc_no: d.doc_no.clone(),
                level: level(d.level),
                validity: validity(d),
                window,
                mode: match d.mode {
                    Mode::Automatic => "免申即享",
                    Mode::Apply => "申报",
                },
                benefit: benefit(&d.benefit),
                tags: d.tags.clone(),
                verified: d.verified,
                unverified: d.unverified.clone(),
                reviewed_on: d.reviewed_on.map(|r| r.to_string()),
                source,
                url: d.source.url.clone(),
                year: d.year,
                origin: p.origin.clone(),
                condition: p.condition_text.clone(),
                effective_from: d.effective_from,
                effective_to: d.effective_to,
            }
        })
        .collect()
}

fn verified_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "已核对原文",
        Some(false) => "未完全核实",
        None => "未说明",
    }
}

/// Markdown: one table per 政策包 (a policy with several tags appears under each); with
/// `only`, just the tables of those 政策包.
pub fn to_markdown(rows: &[ListedPolicy], only: &[String]) -> String {
    let mut tags: Vec<&str> =
        rows.iter().flat_map(|r| r.tags.iter().map(String::as_str)).filter(|t| only.is_empty() || only.iter().any(|o| o == t)).collect();
    crate::sort::sort(&mut tags);
    tags.dedup();
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let mut section = |name: &str, rows: Vec<&ListedPolicy>| {
        if rows.is_empty() {
            return;
        }
        out.push_str(&format!("## {name}（{} 项）\n\n", rows.len()));
        out.push_str(
            "| 政策 | 发文单位 | 文号 | 层级 | 有效期 | 申报期 | 方式 | 支持内容 | 核实 |\n|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            out.push_str(&format!(
                "| {} `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&r.title),
                r.id,
                cell(&r.issuer),
                cell(&r.doc_no),
                r.level,
                r.validity,
                r.window.as_deref().unwrap_or("—"),
                r.mode,
                cell(&r.benefit),
                verified_text(r.verified),
            ));
        }
        out.push('\n');
    };
    for t in &tags {
        section(&format!("政策包：{t}"), rows.iter().filter(|r| r.tags.iter().any(|x| x == t)).collect());
    }
    section("未归入政策包", rows.iter().filter(|r| r.tags.is_empty()).collect());
    out
}

/// CSV with a header row; fields quoted where needed.
pub fn to_csv(rows: &[ListedPolicy]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out =
        String::from("id,title,issuer,doc_no,level,validity,window,mode,benefit,tags,verified,unverified,reviewed_on,source,url\n");
    for r in rows {
        let cols = [
            r.id.clone(),
            r.title.clone(),
            r.issuer.clone(),
            r.doc_no.clone(),
            r.level.to_string(),
            r.validity.clone(),
            r.window.clone().unwrap_or_default(),
            r.mode.to_string(),
            r.benefit.clone(),
            r.tags.join(";"),
            r.verified.map(|v| v.to_string()).unwrap_or_default(),
            r.unverified.clone().unwrap_or_default(),
            r.reviewed_on.clone().unwrap_or_default(),
            r.source.clone(),
            r.url.clone().unwrap_or_default(),
        ];
        out.push_str(&cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
