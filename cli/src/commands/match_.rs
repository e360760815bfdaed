//! `huiqi match`: which policies one enterprise (or each line of a JSON-lines file) qualifies for, and what is missing.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use huiqi::engine::Engine;
use huiqi::index::Matcher;
use huiqi::ops as envelope;
use huiqi::outcome::{MatchOutcome, Verdict};
use huiqi::policy::PolicySet;

use crate::args::MatchArgs;
use crate::common::{as_of, load_set, print_calendar, read, render_policy_errors, Fail};

pub(crate) fn run(mut out: impl Write, args: MatchArgs) -> Result<ExitCode, Fail> {
    let MatchArgs {
        profile,
        profiles,
        set,
        as_of: date,
        json,
        all,
        detail,
        limit,
        engine: path_arg,
        tags,
        recommend_undetermined,
        threads,
    } = args;
    if threads.is_some() && profiles.is_none() {
        return Err(Fail("--threads answers the lines of --profiles FILE.jsonl; one --profile is answered on one thread".into(), 2));
    }
    let opts = huiqi::engine::MatchOptions { tags, recommend_undetermined, detail: detail.detail(), all, limit };
    let engine = match load_set(&set)? {
        Ok(s) => Engine::from_set(s),
        // Asked for JSON, a broken policy set is a failure envelope too.
        Err(e) if json || profiles.is_some() => {
            writeln!(out, "{}", envelope::failure(envelope::policy_errors(&e)))?;
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(Fail(render_policy_errors(&e), 2)),
    };
    let date = as_of(&date)?;
    let date_s = date.to_string();
    if let Some(path) = profiles {
        return match_lines(&mut out, &engine, &path, &date_s, path_arg.path(), &opts, threads.unwrap_or(0));
    }
    let Some(path) = profile else { return Err(Fail("give --profile FILE or --profiles FILE.jsonl".into(), 2)) };
    let text = read(&path)?;
    if json {
        let env = envelope::match_json_opts(&engine, &text, &date_s, path_arg.path(), &opts);
        let failed = env.starts_with("{\"type\":\"failure\"");
        writeln!(out, "{env}")?;
        return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    let p = engine.profile_from_json(&text).map_err(|e| Fail(format!("{}: {e}", path.display()), 1))?;
    match engine.answer(&mut engine.matcher(), &p, date, path_arg.path(), &opts) {
        huiqi::engine::Answer::Detailed(r) => print_match(&mut out, &r, all)?,
        huiqi::engine::Answer::Verdicts(r) => print_verdicts(&mut out, &r, engine.policy_set())?,
    }
    let entries = engine.calendar(&p, date, 3, &opts.tags);
    writeln!(out)?;
    print_calendar(&mut out, &entries, date, 3)?;
    Ok(ExitCode::SUCCESS)
}

/// The longest input line `match --profiles` reads (a profile is a few KB).
const MAX_LINE: usize = 16 << 20;

/// Lines answered per batch and thread: enough that the threads stay busy, few enough that a
/// batch's answers (up to a few hundred KB each against 10k policies) stay small in memory.
const LINES_PER_THREAD: usize = 32;

/// At most this many lines in a batch, whatever the threads (two batches of answers are
/// held at a time: about 400 MB at most for the default envelope against 10k policies).
const MAX_BATCH_LINES: usize = 512;

/// At most this many threads (each keeps a matcher, a few hundred KB against 10k policies).
const MAX_THREADS: usize = 64;

/// A batch also stops growing past this many bytes of input.
const BATCH_BYTES: usize = 32 << 20;

/// One input line as read: its number and its bytes (without the line end), or why it is
/// not answered (too long).
type Line = (usize, Result<Vec<u8>, String>);

/// `match --profiles`: one envelope line per input line, in order. A line that is blank,
/// not UTF-8, too long or not a valid profile gets a failure line naming its number; the
/// batch goes on. Lines are read in batches and answered on `threads` threads (0: one per
/// core), each with a matcher of its own kept for the whole file; the output is the same
/// whatever the number of threads.
fn match_lines(
    out: &mut impl Write,
    engine: &Engine,
    path: &Path,
    as_of: &str,
    how: huiqi::engine::MatchPath,
    opts: &huiqi::engine::MatchOptions,
    threads: usize,
) -> Result<ExitCode, Fail> {
    let file = std::fs::File::open(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 2))?;
    let mut reader = std::io::BufReader::new(file);
    let mut out = std::io::BufWriter::new(out);
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
    .min(MAX_THREADS);
    let batch_lines = (threads * LINES_PER_THREAD).min(MAX_BATCH_LINES);
    let mut matchers: Vec<Matcher> = (0..threads).map(|_| engine.matcher()).collect();
    let answer = |m: &mut Matcher, (line_no, line): &Line| -> String {
        match line {
            Err(why) => envelope::line_failure(*line_no, why),
            Ok(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => envelope::match_line(engine, m, *line_no, text, as_of, how, opts),
                Err(e) => envelope::line_failure(*line_no, &format!("not UTF-8: {e}")),
            },
        }
    };
    let mut line_no = 0usize;
    let mut batch: Vec<Line> = Vec::new();
    // The answers of the last batch, written while the threads answer the next one.
    let mut written: Vec<String> = Vec::new();
    loop {
        batch.clear();
        let mut bytes = 0usize;
        let mut failed = None;
        while batch.len() < batch_lines && bytes < BATCH_BYTES {
            match read_line(&mut reader, line_no + 1) {
                Ok(Some(line)) => {
                    line_no += 1;
                    bytes += line.1.as_ref().map_or(0, Vec::len);
                    batch.push(line);
                }
                Ok(None) => break,
                // The lines before it are answered first, as one at a time would have.
                Err(e) => {
                    failed = Some(Fail(format!("cannot read {}: {e}", path.display()), 2));
                    break;
                }
            }
        }
        let last = std::mem::take(&mut written);
        written = answer_batch(&batch, &mut matchers, &answer, || last.iter().try_for_each(|a| writeln!(out, "{a}")))?;
        if let Some(fail) = failed {
            written.iter().try_for_each(|a| writeln!(out, "{a}"))?;
            out.flush()?;
            return Err(fail);
        }
        if batch.len() < batch_lines && bytes < BATCH_BYTES {
            break;
        }
    }
    written.iter().try_for_each(|a| writeln!(out, "{a}"))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads line `line_no`: `None` at the end of the input; a line longer than [`MAX_LINE`] is
/// skipped to its end and answered with why.
fn read_line(reader: &mut impl BufRead, line_no: usize) -> std::io::Result<Option<Line>> {
    use std::io::Read;
    let mut buf = Vec::new();
    let n = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let k = reader.take(1 << 20).read_until(b'\n', &mut rest)?;
            if k == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some((line_no, Err(format!("line longer than {MAX_LINE} bytes")))));
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(Some((line_no, Ok(buf))))
}

/// The answers to a batch, in its order, while this thread does `meanwhile` (writing the
/// last batch's answers). The threads take the next line as they finish the last (lines
/// differ a lot in cost), each with its own matcher.
fn answer_batch(
    batch: &[Line],
    matchers: &mut [Matcher],
    answer: &(dyn Fn(&mut Matcher, &Line) -> String + Sync),
    meanwhile: impl FnOnce() -> std::io::Result<()>,
) -> Result<Vec<String>, Fail> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = matchers.len().min(batch.len());
    if threads <= 1 {
        meanwhile()?;
        let Some(m) = matchers.first_mut() else { return Ok(Vec::new()) };
        return Ok(batch.iter().map(|line| answer(m, line)).collect());
    }
    let next = AtomicUsize::new(0);
    let parts: Vec<Vec<(usize, String)>> = std::thread::scope(|s| {
        let workers: Vec<_> = matchers
            .iter_mut()
            .take(threads)
            .map(|m| {
                let next = &next;
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(line) = batch.get(k) else { break };
                        done.push((k, answer(m, line)));
                    }
                    done
                })
            })
            .collect();
        // Written before the joins; a write error is reported after them.
        let wrote = meanwhile();
        let parts = workers
            .into_iter()
            .map(|w| w.join().map_err(|_| Fail("a matching thread stopped unexpectedly".into(), 2)))
            .collect::<Result<Vec<_>, Fail>>();
        wrote.map_err(Fail::from).and(parts)
    })?;
    let mut slots: Vec<Option<String>> = vec![None; batch.len()];
    for (k, a) in parts.into_iter().flatten() {
        if let Some(slot) = slots.get_mut(k) {
            *slot = Some(a);
        }
    }
    slots.into_iter().enumerate().map(|(k, a)| a.ok_or_else(|| Fail(format!("no answer for line {} of the batch", k + 1), 2))).collect()
}

fn print_verdicts(out: &mut impl Write, r: &huiqi::outcome::VerdictsOutcome<'_>, set: &PolicySet) -> std::io::Result<()> {
    writeln!(out, "惠企政策匹配 · {} · 评估日 {}", r.enterprise.as_deref().unwrap_or("(未命名企业)"), r.as_of)?;
    writeln!(out, "{}\n", counts_line(&r.summary))?;
    for p in &r.policies {
        let title = set.policy(p.id).map_or("", |x| x.doc.title.as_str());
        writeln!(out, "{} {title} [{}]", verdict_mark(p.verdict), p.id)?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// `符合 11 · 待确定 3 · 不符合 32`, and the policies left out for their dates.
fn counts_line(s: &huiqi::outcome::Summary) -> String {
    let mut line = format!("符合 {} · 待确定 {} · 不符合 {}", s.eligible, s.undetermined, s.ineligible);
    if s.not_in_force > 0 {
        line.push_str(&format!(" · 评估日不在有效期 {}（未参与匹配；explain 可查看原因）", s.not_in_force));
    }
    line
}

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Eligible => "✔ 符合  ",
        Verdict::Undetermined => "? 待确定",
        Verdict::Ineligible => "✘ 不符合",
    }
}

fn print_match(out: &mut impl Write, r: &MatchOutcome, all: bool) -> std::io::Result<()> {
    writeln!(out, "惠企政策匹配 · {} · 评估日 {}", r.enterprise.as_deref().unwrap_or("(未命名企业)"), r.as_of)?;
    writeln!(out, "{}\n", counts_line(&r.summary))?;
    for p in &r.policies {
        if p.verdict == Verdict::Ineligible && !all {
            continue;
        }
        let m = verdict_mark(p.verdict);
        let pct = p.score * huiqi::Decimal::from(100);
        writeln!(
            out,
            "{m} {}{} [{}] 满足率 {}%{}",
            p.title,
            if p.verified == Some(false) { "（未经原文核实）" } else { "" },
            p.id,
            pct.normalize(),
            if p.benefit.display.is_empty() { String::new() } else { format!(" · {}", p.benefit.display) }
        )?;
        for u in p.unmet.iter().take(3) {
            writeln!(out, "           ✘ {}", u.message_zh)?;
        }
        for u in p.undetermined.iter().take(3) {
            writeln!(out, "           ? {}", u.message_zh)?;
        }
    }
    if !all && r.summary.ineligible > 0 {
        writeln!(out, "\n（另有 {} 项不符合，加 --all 查看原因）", r.summary.ineligible)?;
    }
    if !r.recommended.policies.is_empty() {
        let total = r.recommended.total_yuan.parse::<huiqi::Decimal>().unwrap_or_default();
        writeln!(
            out,
            "\n建议申报组合（共 {} 项，估算 {}）：{}",
            r.recommended.policies.len(),
            huiqi::units::display(total, huiqi::units::Dim::Money),
            r.recommended.policies.join("、")
        )?;
        for l in &r.recommended.left_out {
            writeln!(out, "  未列入 {}：{}", l.id, l.message_zh)?;
        }
    }
    if !r.next_questions.is_empty() {
        writeln!(out, "\n建议补充以下信息（可判定更多政策）：")?;
        for (i, q) in r.next_questions.iter().enumerate() {
            writeln!(out, "  {}. {}（{}）— 影响 {} 项政策", i + 1, q.label, q.field, q.decides)?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
