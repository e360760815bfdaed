//! `huiqi diff OLD NEW`: what changed between two versions of a policy set (or of one
//! policy file), in words, and with `--enterprises` whom the change reaches
//! (`huiqi::diff`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use huiqi::diff::{Change, DiffOptions, PolicyDiff, ReachOn, SetDiff};

use crate::args::SetArgs;
use crate::common::{as_of, engine, load_enterprises, print_load_report, Fail};

/// `huiqi diff`
#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    /// The published version: a folder (or file) of policy files, or a saved set.
    pub(crate) old: PathBuf,
    /// The new version: a folder (or file) of policy files, or a saved set.
    pub(crate) new: PathBuf,
    /// Enterprises to count who gains and who loses (JSON lines, CSV, Parquet, a folder of
    /// profiles, or a store built by `huiqi store build`).
    #[arg(long, value_name = "FILE")]
    pub(crate) enterprises: Option<PathBuf>,
    /// The evaluation date of the reach (default: today).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Schema JSON file replacing the bundled enterprise schema (both sides).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
    /// Folder of code tables replacing the bundled ones (both sides).
    #[arg(long, value_name = "DIR")]
    pub(crate) codes: Option<PathBuf>,
    /// Enterprise ids listed per page of those gained, lost and become undetermined.
    #[arg(long, default_value_t = 20)]
    pub(crate) list: usize,
    /// The page of ids (from 0).
    #[arg(long, default_value_t = 0)]
    pub(crate) page: usize,
    /// How many enterprise benefits the whole diff estimates at most (one evaluation of one
    /// policy for one enterprise each); past it, a policy's benefit totals are not estimated.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) estimate_limit: u64,
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(mut out: impl Write, args: DiffArgs) -> Result<ExitCode, Fail> {
    let side = |p: &PathBuf| SetArgs { policies: Some(p.clone()), schema: args.schema.clone(), codes: args.codes.clone() };
    let old = engine(&side(&args.old)).map_err(|Fail(m, c)| Fail(format!("{} (old): {m}", args.old.display()), c))?;
    let new = engine(&side(&args.new)).map_err(|Fail(m, c)| Fail(format!("{} (new): {m}", args.new.display()), c))?;
    let opts = DiffOptions { page_size: args.list, page: args.page, estimate_limit: args.estimate_limit };
    let loaded = match &args.enterprises {
        None => None,
        Some(path) => {
            let (store, report) = load_enterprises(new.schema(), path, huiqi::store::LoadOptions::default())?;
            if report.skipped > 0 {
                print_load_report(&mut std::io::stderr(), &report)?;
            }
            Some((store, as_of(&args.as_of)?))
        }
    };
    let on = loaded.as_ref().map(|(store, date)| ReachOn { store, as_of: *date });
    let d = huiqi::diff::diff(&old, &new, on, opts).map_err(|e| Fail(e.to_string(), 2))?;
    if args.json {
        writeln!(out, "{}", huiqi::ops::success(&d))?;
    } else {
        print(&mut out, &args, &d)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print(out: &mut impl Write, args: &DiffArgs, d: &SetDiff) -> std::io::Result<()> {
    writeln!(out, "huiqi diff · {}（{} 项）→ {}（{} 项）", args.old.display(), d.old_policies, args.new.display(), d.new_policies)?;
    writeln!(out, "新增 {} · 删去 {} · 变更 {} · 未变 {}", d.added, d.removed, d.changed, d.unchanged)?;
    writeln!(out, "added {} · removed {} · changed {} · unchanged {}", d.added, d.removed, d.changed, d.unchanged)?;
    if let (Some(date), Some(n)) = (d.as_of, d.enterprises) {
        writeln!(out, "覆盖按评估日 {date}、{n} 家企业计算 (reach on {date} over {n} enterprises)")?;
    }
    for c in &d.definitions {
        writeln!(out, "  {}\n    {}", c.zh, c.en)?;
    }
    for p in &d.policies {
        writeln!(out)?;
        policy(out, p)?;
    }
    Ok(())
}

fn policy(out: &mut impl Write, p: &PolicyDiff) -> std::io::Result<()> {
    let (mark, zh, en) = match p.change {
        Change::Added => ("+", "新增", "added"),
        Change::Removed => ("-", "删去", "removed"),
        Change::Changed => ("~", "变更", "changed"),
        Change::Superseded => ("~", "被替代", "superseded"),
        Change::Definition => ("~", "所用定义变更", "a definition it uses changed"),
    };
    writeln!(out, "{mark} {zh} ({en}) {} {}", p.id, p.title)?;
    for c in &p.changes {
        writeln!(out, "    {}\n      {}", c.zh, c.en)?;
    }
    if let Some(r) = &p.reach {
        writeln!(
            out,
            "    符合 {} → {}（新增 {}，失去 {}）· 待确定 {} → {}（新增 {}，不再 {}）",
            r.old.eligible,
            r.new.eligible,
            r.gained,
            r.lost,
            r.old.undetermined,
            r.new.undetermined,
            r.became_undetermined,
            r.no_longer_undetermined
        )?;
        writeln!(
            out,
            "      eligible {} → {} (gained {}, lost {}) · undetermined {} → {} (became {}, no longer {})",
            r.old.eligible,
            r.new.eligible,
            r.gained,
            r.lost,
            r.old.undetermined,
            r.new.undetermined,
            r.became_undetermined,
            r.no_longer_undetermined
        )?;
        for (zh, en, ids, n) in [
            ("新增符合", "gained", &r.gained_ids, r.gained),
            ("失去资格", "lost", &r.lost_ids, r.lost),
            ("变为待确定", "became undetermined", &r.became_undetermined_ids, r.became_undetermined),
        ] {
            if !ids.is_empty() {
                let more = if n > ids.len() as u64 { " …" } else { "" };
                writeln!(out, "    {zh} ({en})：{}{more}", ids.join("、"))?;
            }
        }
        if let Some(b) = &r.benefit {
            let unestimated = if b.unestimated > 0 {
                format!("；{} 家无法估算 ({} not estimated)", b.unestimated, b.unestimated)
            } else {
                String::new()
            };
            writeln!(
                out,
                "    估算优惠合计变化 {} 元（新增符合 {}，失去 {}，原符合者变动 {}）{unestimated}\n      estimated benefit totals {} 元 (gained {}, lost {}, changed {})",
                b.net_yuan, b.gained_yuan, b.lost_yuan, b.changed_yuan, b.net_yuan, b.gained_yuan, b.lost_yuan, b.changed_yuan
            )?;
        }
        if let Some(note) = &r.benefit_note {
            writeln!(out, "    {note}")?;
        }
    }
    Ok(())
}
