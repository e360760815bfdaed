//! `huiqi explain`: one policy for one enterprise, condition by condition.

use std::io::Write;
use std::process::ExitCode;

use huiqi::ops as envelope;

use crate::args::ExplainArgs;
use crate::common::{as_of, engine, read, Fail};

pub(crate) fn run(mut out: impl Write, args: ExplainArgs) -> Result<ExitCode, Fail> {
    let ExplainArgs { profile, policy, set, as_of: date, json } = args;
    let engine = engine(&set)?;
    let date = as_of(&date)?;
    let text = read(&profile)?;
    if json {
        let env = envelope::explain_json(&engine, &text, &policy, &date.to_string());
        let failed = env.starts_with("{\"type\":\"failure\"");
        writeln!(out, "{env}")?;
        return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", profile.display()), 1))?;
    let r = engine.explain(&p, &policy, date)?;
    writeln!(out, "{} — {}（{}）", r.policy.title, r.policy.id, r.policy.doc_no)?;
    writeln!(
        out,
        "评估日 {} · 结论：{} ({}) · 满足率 {}%",
        r.as_of,
        r.policy.verdict.zh(),
        r.policy.verdict.as_str(),
        (r.policy.score * huiqi::Decimal::from(100)).normalize()
    )?;
    if let Some(n) = &r.not_in_force {
        writeln!(out, "注意：{}，匹配时不列入；以下为按条件判定的结果", n.message_zh)?;
    }
    if !r.policy.benefit.display.is_empty() {
        writeln!(out, "政策红利：{}", r.policy.benefit.display)?;
    }
    writeln!(out)?;
    print_tree(&mut out, &r.explanation, 0)?;
    Ok(ExitCode::SUCCESS)
}

fn mark(s: huiqi::explain::Status) -> &'static str {
    match s {
        huiqi::explain::Status::Met => "✔",
        huiqi::explain::Status::Unmet => "✘",
        huiqi::explain::Status::Unknown => "?",
    }
}

fn print_tree(out: &mut impl Write, e: &huiqi::explain::Explanation, depth: usize) -> std::io::Result<()> {
    writeln!(out, "{}{} {}", "  ".repeat(depth), mark(e.status), e.message_zh)?;
    for c in &e.children {
        print_tree(out, c, depth + 1)?;
    }
    Ok(())
}
