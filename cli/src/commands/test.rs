//! `huiqi test`: run the test cases kept beside each policy (its `tests`) and report pass or
//! fail per case; for a failure, what differed and the explanation.

use std::io::Write;
use std::process::ExitCode;

use huiqi::explain::Explanation;
use huiqi::ops::testing::{CaseResult, CaseStatus, TestReport, TestRequest};

use crate::args::SetArgs;
use crate::common::{engine, one_line, Fail};

// `huiqi test` (plain comments: a doc comment would replace the command's help text).
#[derive(clap::Args)]
pub(crate) struct TestArgs {
    #[command(flatten)]
    pub(crate) set: SetArgs,
    /// Only the cases of this policy.
    #[arg(long, value_name = "ID")]
    pub(crate) policy: Option<String>,
    /// Evaluation date (YYYY-MM-DD) of the cases that give no `as_of`; default: today.
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Print the JSON envelope of the `test` operation instead of the report.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(mut out: impl Write, args: TestArgs) -> Result<ExitCode, Fail> {
    let TestArgs { set, policy, as_of, json } = args;
    let engine = engine(&set)?;
    let as_of = match as_of {
        Some(d) => huiqi::date::Date::parse(&d).map_err(|e| Fail(format!("--as-of: {e}"), 2))?,
        None => crate::common::today(),
    };
    let request = TestRequest { policy, as_of: Some(as_of.to_string()), files: Default::default() };
    let report = huiqi::ops::testing::test(&engine, &request);
    if json {
        let failed = report.as_ref().map_or(true, |r| r.failed > 0);
        let bad = report.is_err();
        writeln!(out, "{}", huiqi::ops::respond(report))?;
        return Ok(ExitCode::from(if bad { 2 } else { u8::from(failed) }));
    }
    let report = report.map_err(|e| Fail(one_line(&e), 2))?;
    print_report(&mut out, &report, &set.policies.as_ref().map_or_else(|| "the bundled policies".into(), |p| p.display().to_string()))?;
    Ok(if report.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print_report(out: &mut impl Write, r: &TestReport, source: &str) -> std::io::Result<()> {
    let mut untested = Vec::new();
    for p in &r.policies {
        if p.results.is_empty() {
            untested.push(p.policy.as_str());
            continue;
        }
        writeln!(out, "{} — {}（{}）", p.policy, p.title, p.origin)?;
        for c in &p.results {
            print_case(out, c)?;
        }
    }
    if !untested.is_empty() {
        writeln!(out, "\n无测试用例的政策 policies without test cases ({}): {}", untested.len(), untested.join(", "))?;
    }
    writeln!(out)?;
    let stale = if r.known_issues_passing > 0 {
        format!(
            "；{n} 个已知问题用例已通过，请删去其 known_issue / {n} known-issue case(s) now pass: remove their known_issue",
            n = r.known_issues_passing
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} 个用例：通过 {}，未通过 {}，已知问题 {} / {} case(s) in {} polic{} of {}: {} passed, {} failed, {} known issue(s){stale}",
        r.cases,
        r.passed,
        r.failed,
        r.known_issues,
        r.cases,
        r.policies.len(),
        if r.policies.len() == 1 { "y" } else { "ies" },
        source,
        r.passed,
        r.failed,
        r.known_issues,
    )
}

fn print_case(out: &mut impl Write, c: &CaseResult) -> std::io::Result<()> {
    let date = c.as_of.map(|d| format!(" @ {d}")).unwrap_or_default();
    match c.status {
        CaseStatus::Passed => {
            writeln!(out, "  ✔ 通过 pass   {}{date}", c.name)?;
            if let Some(k) = &c.known_issue {
                writeln!(out, "      已知问题标记已不成立 the known issue no longer shows: {k}")?;
            }
            return Ok(());
        }
        CaseStatus::Failed => writeln!(out, "  ✘ 未通过 FAIL {}{date}", c.name)?,
        CaseStatus::KnownIssue => {
            writeln!(out, "  ! 已知问题 known issue {}{date}", c.name)?;
            if let Some(k) = &c.known_issue {
                writeln!(out, "      {k}")?;
            }
        }
    }
    if let Some(e) = &c.error {
        writeln!(out, "      无法运行 cannot run: {e}")?;
    }
    let (want, Some(got)) = (&c.expected, &c.got) else { return Ok(()) };
    for d in &c.differs {
        match d.as_str() {
            "verdict" => writeln!(
                out,
                "      结论 verdict: 期望 expected {} ({})，实际 got {} ({})",
                want.verdict.zh(),
                want.verdict.as_str(),
                got.verdict.zh(),
                got.verdict.as_str()
            )?,
            "in_force" => writeln!(
                out,
                "      有效期 in force: 期望 expected {}，实际 got {}{}",
                want.in_force.unwrap_or_default(),
                got.in_force,
                got.not_in_force.as_ref().map(|n| format!("（{n}）")).unwrap_or_default()
            )?,
            "missing" => writeln!(
                out,
                "      缺少字段 missing: 期望 expected [{}]，实际 got [{}]",
                want.missing.as_deref().unwrap_or_default().join(", "),
                got.missing.join(", ")
            )?,
            "benefit_yuan" => writeln!(
                out,
                "      政策红利 benefit: 期望 expected {} 元，实际 got {}",
                want.benefit_yuan.as_deref().unwrap_or_default(),
                got.benefit_yuan.as_deref().map_or_else(|| "无金额 no amount".to_string(), |b| format!("{b} 元"))
            )?,
            "score" => {
                writeln!(out, "      满足率 score: 期望 expected {}，实际 got {}", want.score.as_deref().unwrap_or_default(), got.score)?
            }
            "messages" => {
                for m in &got.messages_not_found {
                    writeln!(out, "      说明中未见 no message contains: {m:?}")?;
                }
            }
            "index" => writeln!(
                out,
                "      索引结论不同 the index says {} ({})，说明 the explanation says {} ({})",
                got.index_verdict.map_or("?", |v| v.zh()),
                got.index_verdict.map_or("?", |v| v.as_str()),
                got.verdict.zh(),
                got.verdict.as_str()
            )?,
            other => writeln!(out, "      {other}")?,
        }
    }
    if let Some(e) = &c.explanation {
        writeln!(out, "      说明 explanation:")?;
        print_tree(out, e, 4)?;
    }
    Ok(())
}

fn mark(s: huiqi::explain::Status) -> &'static str {
    match s {
        huiqi::explain::Status::Met => "✔",
        huiqi::explain::Status::Unmet => "✘",
        huiqi::explain::Status::Unknown => "?",
    }
}

fn print_tree(out: &mut impl Write, e: &Explanation, depth: usize) -> std::io::Result<()> {
    let pad = "  ".repeat(depth);
    writeln!(out, "{pad}{} {}", mark(e.status), e.message_zh)?;
    writeln!(out, "{pad}  {}", e.message_en)?;
    for c in &e.children {
        print_tree(out, c, depth + 1)?;
    }
    Ok(())
}
