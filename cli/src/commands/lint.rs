//! `huiqi lint`: find what a policy set may not mean, its reach and whether it is current.

use std::io::Write;
use std::process::ExitCode;

use crate::args::LintArgs;
use crate::common::{as_of, engine, load_enterprises, Fail};

pub(crate) fn run(mut out: impl Write, args: LintArgs) -> Result<ExitCode, Fail> {
    let LintArgs { set, enterprises, as_of: date, json } = args;
    let engine = engine(&set)?;
    let mut whom: Option<Whom> = None;
    let reach: Option<Vec<(u64, u64)>> = match enterprises {
        Some(path) => {
            let date = as_of(&date)?;
            let (store, _) = load_enterprises(engine.schema(), &path, huiqi::store::LoadOptions::default())?;
            let prepared = store.prepare(&engine, date)?;
            let w = whom_of(&engine, &store, &prepared, date);
            let counts = w.reach.iter().map(|r| (r.eligible, r.undetermined)).collect();
            whom = Some(w);
            Some(counts)
        }
        None => None,
    };
    // With --as-of, also whether the set is current on that date (reviews, end
    // dates, closed windows, superseded versions).
    let currency_date = match &date {
        Some(_) => Some(as_of(&date)?),
        None => None,
    };
    let findings = huiqi::lint::lint_at(&engine, reach.as_deref(), currency_date);
    let warnings = findings.iter().filter(|f| f.level == huiqi::lint::Level::Warning).count();
    if json {
        let mut result = serde_json::json!({"findings": findings});
        if let (Some(w), Some(obj)) = (&whom, result.as_object_mut()) {
            obj.insert("reach".into(), serde_json::to_value(&w.reach).unwrap_or_default());
            obj.insert("manual_only_undetermined".into(), serde_json::to_value(&w.manual).unwrap_or_default());
        }
        writeln!(out, "{}", serde_json::json!({"type": "success", "result": result}))?;
    } else {
        for f in &findings {
            writeln!(out, "{f}")?;
        }
        if let Some(w) = &whom {
            writeln!(out, "\nreach of each policy in force (eligible, undetermined; first ids):")?;
            for r in &w.reach {
                writeln!(out, "  {:<48} {:>6} {:>6}  {}", r.policy, r.eligible, r.undetermined, r.examples.join(", "))?;
            }
            if !w.manual.is_empty() {
                writeln!(out, "\nundetermined through manual review alone, per enterprise:")?;
                for m in &w.manual {
                    writeln!(out, "  {:<24} {:>3}  {}", m.enterprise, m.policies.len(), m.policies.join(", "))?;
                }
            }
        }
        writeln!(out, "{} finding(s), {warnings} warning(s)", findings.len())?;
    }
    Ok(if warnings > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Whom each policy reaches in a store, and which policies each enterprise can only get
/// through manual review.
struct Whom {
    reach: Vec<PolicyReach>,
    /// Per enterprise (stores of up to [`MAX_PER_ENTERPRISE`] rows).
    manual: Vec<ManualOnly>,
}

#[derive(serde::Serialize)]
struct PolicyReach {
    policy: String,
    eligible: u64,
    undetermined: u64,
    /// The first few enterprises reached (eligible first).
    examples: Vec<String>,
}

#[derive(serde::Serialize)]
struct ManualOnly {
    enterprise: String,
    /// Policies in force undetermined for this enterprise with no field missing: only a
    /// person can decide them.
    policies: Vec<String>,
}

/// Stores larger than this get reach counts only, not the per-enterprise account (which
/// evaluates every policy for every enterprise on the reference path).
const MAX_PER_ENTERPRISE: u32 = 1000;

fn whom_of(
    engine: &huiqi::engine::Engine,
    store: &huiqi::store::EnterpriseStore,
    prepared: &huiqi::store::Prepared,
    date: huiqi::date::Date,
) -> Whom {
    let set = engine.policy_set();
    let bulk = prepared.bulk(engine, &|| {});
    let in_force: Vec<usize> = (0..set.policies.len()).filter(|&i| engine.version_in_force(i, date)).collect();
    let id = |row: u32| store.id(row).unwrap_or("?").to_string();
    let reach = in_force
        .iter()
        .filter_map(|&i| {
            let (p, r) = (set.policies.get(i)?, bulk.get(i)?);
            let examples = r.eligible.iter().chain(r.undetermined.iter()).take(3).map(id).collect();
            Some(PolicyReach { policy: p.doc.id.clone(), eligible: r.eligible.len(), undetermined: r.undetermined.len(), examples })
        })
        .collect();
    let mut manual = Vec::new();
    if store.len() <= MAX_PER_ENTERPRISE {
        for row in 0..store.len() {
            let profile = store.profile(engine.schema(), row);
            let ev = huiqi::eval::Evaluator::new(set, &profile, date);
            let policies: Vec<String> = in_force
                .iter()
                .filter(|&&i| matches!(ev.policy(i), Err(u) if u.manual && u.fields.is_empty()))
                .filter_map(|&i| set.policies.get(i).map(|p| p.doc.id.clone()))
                .collect();
            manual.push(ManualOnly { enterprise: id(row), policies });
        }
    }
    Whom { reach, manual }
}
