//! `huiqi reverse`: which enterprises qualify for one policy (免申即享 / 精准推送).

use std::io::Write;
use std::process::ExitCode;

use huiqi::ops as envelope;

use crate::args::{ReverseArgs, StorePath};
use crate::common::{as_of, b_len, engine, load_enterprises, print_load_report, reaches, Fail};

pub(crate) fn run(mut out: impl Write, args: ReverseArgs) -> Result<ExitCode, Fail> {
    let ReverseArgs { policy, enterprises, set, as_of: date, engine: path, list, json } = args;
    let engine = engine(&set)?;
    let date = as_of(&date)?;
    if engine.policy_set().index_of(&policy).is_none() {
        let suggestion = engine.policy_set().suggest_policy(&policy);
        if json {
            writeln!(out, "{}", envelope::failure(vec![envelope::error::unknown_policy(&policy, suggestion.as_deref())]))?;
            return Ok(ExitCode::from(1));
        }
        let hint = suggestion.map(|s| format!("; did you mean {s:?}?")).unwrap_or_default();
        return Err(Fail(format!("unknown policy {policy:?}{hint}"), 2));
    }
    if let Some(i) = engine.policy_set().index_of(&policy) {
        if !engine.version_in_force(i, date) {
            let _ = writeln!(
                std::io::stderr(),
                "note: {policy} is not in force on {date} (effective dates or a newer version); the reach shown is of its condition alone"
            );
        }
    }
    let (store, report) = load_enterprises(engine.schema(), &enterprises, huiqi::store::LoadOptions::default())?;
    if report.skipped > 0 {
        let mut err = std::io::stderr();
        print_load_report(&mut err, &report)?;
    }
    if json && path == StorePath::Store {
        // The shared envelope: byte-identical to the C ABI and Python.
        let open = envelope::OpenStore::new(store, report);
        let request = envelope::stores::ReverseRequest { policy, as_of: date.to_string(), list, offset: 0, missing: false };
        writeln!(out, "{}", envelope::respond(envelope::stores::reverse(&std::sync::Arc::new(engine), &open, &request)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let reach = reaches(&engine, &store, date, path, Some(&policy))?
        .into_iter()
        .next()
        .unwrap_or_else(|| huiqi::store::Reach { eligible: Default::default(), undetermined: Default::default() });
    let ids = |b: &roaring::RoaringBitmap| -> Vec<String> { b.iter().take(list).filter_map(|r| store.id(r).map(str::to_string)).collect() };
    if json {
        writeln!(out, "{}", envelope::success(envelope::stores::ReverseResult::of(&policy, date, &store, &reach, list)))?;
    } else {
        writeln!(out, "{policy} · 评估日 {date} · {} 家企业", store.len())?;
        writeln!(out, "符合 {} 家 · 待确定 {} 家", b_len(&reach.eligible), b_len(&reach.undetermined))?;
        for (label, b) in [("符合", &reach.eligible), ("待确定", &reach.undetermined)] {
            let shown = ids(b);
            if !shown.is_empty() {
                writeln!(out, "{label}：{}{}", shown.join("、"), if b_len(b) > shown.len() as u64 { " …" } else { "" })?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
