//! The limits of docs/limits.md: long chains and deep trees either work or get a clear
//! error naming the limit — never a stack overflow — on a thread with a 256 KB stack (the
//! smallest stack a binding's caller is documented to need).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::lang::ast::{MAX_CHAIN_TERMS, MAX_TREE_DEPTH};
use huiqi::schema::Schema;
use serde_json::json;

/// The documented stack is 256 KB for a release build (what the bindings ship); the
/// release run (`cargo test --release -p huiqi --test interfaces limits::`, part of
/// `scripts/test`) checks that three quarters of it is enough. The deepest accepted inputs
/// need about 140 KB (a chain of 48 definitions: 1.1 KB for each evaluator frame, two per
/// level); `HUIQI_TEST_STACK=BYTES` runs them on another size, to find that figure again. A
/// debug build's frames are many times larger (the checker's alone is ~20 KB), so a debug
/// run gets 4 MB.
const SMALL_STACK: usize = if cfg!(debug_assertions) { 4 << 20 } else { 192 << 10 };

fn small_stack() -> usize {
    std::env::var("HUIQI_TEST_STACK").ok().and_then(|s| s.parse().ok()).unwrap_or(SMALL_STACK)
}

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(small_stack()).spawn(f).expect("spawn").join().expect("no stack overflow")
}

use crate::common::policy;

fn sources(defs: serde_json::Value, policies: Vec<serde_json::Value>) -> Vec<(String, String)> {
    vec![("t.json".to_string(), json!({"definitions": defs, "policies": policies}).to_string())]
}

const PROFILE: &str = r#"{"registered_capital": "600万", "employees": {"2025": 40}, "tags": ["a"], "registration_date": "2015-03-01"}"#;

/// Everything a caller can do with one set: compile, build the engine, match (index,
/// reference, full envelope), explain, save and load. Returns the first error.
fn run_everything(src: Vec<(String, String)>) -> Result<String, String> {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let engine = Engine::from_sources(schema.clone(), &src).map_err(|e| e.to_string())?;
    let profile = engine.profile_from_json(PROFILE).expect("profile");
    let as_of = huiqi::date::Date::parse("2026-06-30").expect("date");
    let index = engine.verdicts(&profile, as_of);
    let reference = engine.verdicts_reference(&profile, as_of);
    assert_eq!(index, reference);
    let envelope = huiqi::ops::match_json(&engine, PROFILE, "2026-06-30");
    for p in &engine.policy_set().policies {
        huiqi::ops::explain_json(&engine, PROFILE, &p.doc.id, "2026-06-30");
    }
    let (_, bytes) = huiqi::saved::save(schema.clone(), &src).map_err(|e| e.to_string())?;
    huiqi::saved::load(schema, &bytes).map_err(|e| e.to_string())?;
    Ok(envelope)
}

fn short(s: &str) -> String {
    s.chars().take(300).collect()
}

fn chain(op: &str, n: usize) -> String {
    (0..n).map(|i| format!("registered_capital >= {i}万")).collect::<Vec<_>>().join(&format!(" {op} "))
}

#[test]
fn ten_thousand_term_chains_work_on_a_small_stack() {
    for op in ["and", "or", "且"] {
        let text = chain(op, MAX_CHAIN_TERMS);
        let out = on_small_stack(move || {
            let e = huiqi::lang::parse(&text).expect("parses");
            assert!(e.depth() < 20, "a chain is built balanced: depth {}", e.depth());
            assert_eq!(huiqi::lang::parse(&huiqi::lang::print(&e)).expect("printed").without_spans(), e.without_spans());
            run_everything(sources(json!({}), vec![policy("p", &text)]))
        });
        let out = out.expect("a chain at the limit compiles");
        assert!(out.contains("\"success\""), "{}", short(&out));
    }
}

#[test]
fn a_chain_over_the_limit_is_refused_by_name() {
    let text = chain("and", MAX_CHAIN_TERMS + 1);
    let err = on_small_stack(move || run_everything(sources(json!({}), vec![policy("p", &text)]))).expect_err("over the limit");
    assert!(err.contains(&format!("more than {MAX_CHAIN_TERMS} terms joined by `and`")), "{}", short(&err));
}

#[test]
fn long_arithmetic_chains_are_refused_by_name() {
    let text = format!("{} >= 1", (0..10_000).map(|_| "registered_capital").collect::<Vec<_>>().join(" + ")).replace(" >= 1", " >= 1万");
    let err = on_small_stack(move || run_everything(sources(json!({}), vec![policy("p", &text)]))).expect_err("too long");
    assert!(err.contains("terms joined by `+` / `-` in one chain"), "{}", short(&err));
    let text = format!("{} >= 1万", (0..31).map(|_| "registered_capital").collect::<Vec<_>>().join(" - "));
    on_small_stack(move || run_everything(sources(json!({}), vec![policy("p", &text)]))).expect("31 terms are fine");
}

/// The deepest trees each construct allows all run on the small stack.
#[test]
fn the_deepest_accepted_trees_run_on_a_small_stack() {
    let mut deepest = Vec::new();
    // Nested chains: each level is a five-term chain whose last term is the next level.
    let level = |inner: &str, i: usize| {
        format!(
            "registered_capital >= {i}万 and employees@fy1 >= {i}人 and tags contains \"a\" and registered_capital > {i}万 and ({inner})"
        )
    };
    // Nested parentheses around arithmetic, `not`s, `if`s, and call arguments.
    let shapes: Vec<Box<dyn Fn(usize) -> String>> = vec![
        Box::new(move |n| (0..n).fold("registered_capital >= 1万".to_string(), |acc, i| level(&acc, i))),
        Box::new(|n| format!("{} >= 1万", (0..n).fold("registered_capital".to_string(), |acc, _| format!("(registered_capital + {acc})")))),
        Box::new(|n| (0..n).fold("registered_capital >= 1万".to_string(), |acc, _| format!("not {acc}"))),
        Box::new(|n| {
            (0..n).fold("registered_capital >= 1万".to_string(), |acc, _| format!("if {acc} then true else employees@fy1 > 3人"))
        }),
        Box::new(|n| {
            format!("{} >= 1万", (0..n).fold("registered_capital".to_string(), |acc, _| format!("max(registered_capital, {acc})")))
        }),
        Box::new(|n| (0..n).fold("registered_capital >= 1万".to_string(), |acc, _| format!("at_least(1, [{acc}, false])"))),
    ];
    for shape in &shapes {
        // The largest n that parses.
        let mut n = 1;
        while huiqi::lang::parse(&shape(n + 1)).is_ok() && n < 200 {
            n += 1;
        }
        assert!(n < 200, "{}", shape(3));
        let e = huiqi::lang::parse(&shape(n)).unwrap();
        assert!(e.depth() <= MAX_TREE_DEPTH);
        deepest.push(shape(n));
    }
    for text in deepest {
        let t = text.clone();
        let r = on_small_stack(move || run_everything(sources(json!({}), vec![policy("p", &t)])));
        assert!(r.is_ok(), "{}: {r:?}", short(&text));
    }
}

fn definition_chain(n: usize) -> Vec<(String, String)> {
    let mut defs = serde_json::Map::new();
    defs.insert("d0".into(), json!("registered_capital >= 1万"));
    for i in 1..n {
        defs.insert(format!("d{i}"), json!(format!("d{} and employees@fy1 >= {i}人", i - 1)));
    }
    sources(serde_json::Value::Object(defs), vec![policy("p", &format!("d{}", n - 1))])
}

fn eligible_chain(n: usize) -> Vec<(String, String)> {
    let mut ps = vec![policy("p0", "registered_capital >= 1万")];
    for i in 1..n {
        ps.push(policy(&format!("p{i}"), &format!("eligible(p{}) and employees@fy1 >= {i}人", i - 1)));
    }
    sources(json!({}), ps)
}

/// The largest n for which `make(n)` compiles.
fn longest(make: fn(usize) -> Vec<(String, String)>) -> usize {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let mut n = 1;
    while huiqi::policy::PolicySet::compile(schema.clone(), &make(n + 1)).is_ok() {
        n += 1;
        assert!(n < 1000, "no limit");
    }
    n
}

#[test]
fn long_definition_and_eligible_chains_are_refused_by_name() {
    for (make, what) in
        [(definition_chain as fn(usize) -> Vec<(String, String)>, "definitions it uses"), (eligible_chain, "eligible(…) policies")]
    {
        let err = on_small_stack(move || run_everything(make(10_000))).expect_err("too long");
        assert!(err.contains(what) && err.contains("more than the limit of"), "{}", short(&err));
        let n = longest(make);
        assert!(n >= 20, "{what}: only {n} links");
        let r = on_small_stack(move || run_everything(make(n)));
        assert!(r.is_ok(), "{what} {n}: {r:?}");
    }
}

#[test]
fn many_errors_in_one_long_line_cost_linear_time_and_memory() {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let list = (0..9_000).map(|i| format!("\"Z{i:05}\"")).collect::<Vec<_>>().join(", ");
    let src = sources(json!({}), vec![policy("p", &format!("industry in [{list}]"))]);
    let t = std::time::Instant::now();
    let problems = huiqi::policy::PolicySet::compile(schema, &src).expect_err("bad codes").0;
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
    assert_eq!(problems.len(), huiqi::policy::MAX_PROBLEMS_PER_FILE + 1);
    let last = problems.last().unwrap();
    assert!(last.message.contains("8900 more problems not shown"), "{}", last.message);
    let size: usize = problems.iter().map(|p| p.rendered.as_ref().map_or(0, String::len) + p.message.len()).sum();
    assert!(size < 100_000, "{size} bytes of messages");
    // Lists have a limit of their own.
    let list = (0..10_001).map(|i| format!("\"Z{i:05}\"")).collect::<Vec<_>>().join(", ");
    let err = run_everything(sources(json!({}), vec![policy("p", &format!("industry in [{list}]"))])).expect_err("too long");
    assert!(err.contains("a list of more than 10000 items"), "{}", short(&err));
}

/// `levels` definitions (or policies, or both in turn), each using the one below `fan`
/// times: `fan^levels` nodes expanded from a file of a few hundred bytes.
fn bomb(levels: usize, fan: usize, kind: &str) -> Vec<(String, String)> {
    let uses = |what: String| vec![what; fan].join(" or ");
    let mut defs = serde_json::Map::new();
    let mut ps = vec![policy("p0", "registered_capital >= 1万")];
    defs.insert("d0".into(), json!("registered_capital >= 1万"));
    for i in 1..=levels {
        let def = |j: usize| format!("d{j}");
        let elig = |j: usize| format!("eligible(p{j})");
        let (d, p) = match kind {
            "definitions" => (uses(def(i - 1)), def(i)),
            "policies" => ("registered_capital >= 1万".to_string(), uses(elig(i - 1))),
            // A definition uses the policy below, the policy uses its definition.
            _ => (uses(elig(i - 1)), uses(def(i))),
        };
        defs.insert(format!("d{i}"), json!(d));
        ps.push(policy(&format!("p{i}"), &p));
    }
    sources(serde_json::Value::Object(defs), ps)
}

#[test]
fn expansion_bombs_are_refused_naming_the_chain() {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    for kind in ["definitions", "policies", "alternating"] {
        // Ten levels of ten: 10^10 nodes; this used to pass `check` and exhaust memory in `match`.
        let err = huiqi::policy::PolicySet::compile(schema.clone(), &bomb(10, 10, kind)).expect_err(kind).to_string();
        assert!(err.contains(&format!("more than the limit of {}", huiqi::policy::MAX_EXPANDED_NODES)), "{kind}: {}", short(&err));
        let chain = match kind {
            "definitions" => "d6 uses d5 10 times, d5 uses d4 10 times",
            "policies" => "p6 uses eligible(p5) 10 times, eligible(p5) uses eligible(p4) 10 times",
            _ => "p3 uses d3 10 times, d3 uses eligible(p2) 10 times",
        };
        assert!(err.contains(chain), "{kind}: {}", short(&err));
        // Reported once, where the limit is first passed, not again for every user above it.
        assert_eq!(err.matches("more than the limit").count(), 1, "{kind}: {}", short(&err));
        // 10^4 nodes per use are accepted and run everywhere (alternating squares each level).
        let levels = if kind == "alternating" { 2 } else { 4 };
        let r = on_small_stack(move || run_everything(bomb(levels, 10, kind)));
        assert!(r.is_ok(), "{kind}: {r:?}");
    }
}

#[test]
fn the_whole_sets_expansion_is_bounded() {
    // p7 expands to about 450,000 nodes (under the per-policy limit); 30 policies using it
    // once each add about 13.5 million, over the set's limit.
    let mut src = bomb(7, 5, "policies");
    let mut set: serde_json::Value = serde_json::from_str(&src[0].1).unwrap();
    let ps = set["policies"].as_array_mut().unwrap();
    ps.truncate(8);
    for k in 0..30 {
        ps.push(policy(&format!("q{k}"), &format!("eligible(p7) and registered_capital >= {k}万")));
    }
    src[0].1 = set.to_string();
    let schema = Arc::new(Schema::embedded().expect("schema"));
    let err = huiqi::policy::PolicySet::compile(schema.clone(), &src).expect_err("too much").to_string();
    assert!(
        err.contains(&format!("over the set, more than the limit of {} (38 policies)", huiqi::policy::set_expansion_limit(38))),
        "{}",
        short(&err)
    );
    // With fifteen users it is accepted.
    set["policies"].as_array_mut().unwrap().truncate(8 + 15);
    src[0].1 = set.to_string();
    assert!(huiqi::policy::PolicySet::compile(schema, &src).is_ok());
}

#[test]
fn a_definition_that_uses_eligible_orders_and_cycles_like_the_policy_itself() {
    let schema = Arc::new(Schema::embedded().expect("schema"));
    // A cycle through a definition: `check` used to accept it and `match` overflowed the stack.
    let cycle = sources(json!({"dd": "eligible(p1) or registered_capital > 1万"}), vec![policy("p1", "dd")]);
    let err = huiqi::policy::PolicySet::compile(schema.clone(), &cycle).expect_err("cycle").to_string();
    assert!(err.contains("definitions and policies use each other in a cycle: dd → eligible(p1) → dd"), "{err}");
    // q comes first in the file but needs p through dd: evaluated after p, on every path.
    let src = sources(
        json!({"dd": "eligible(p) and employees@fy1 >= 10人"}),
        vec![policy("q", "dd"), policy("p", "registered_capital >= 100万")],
    );
    let engine = Engine::from_sources(schema, &src).expect("engine");
    let order: Vec<&str> = engine.policy_set().order.iter().map(|&i| engine.policy_set().policies[i].doc.id.as_str()).collect();
    assert_eq!(order, ["p", "q"]);
    let as_of = huiqi::date::Date::parse("2026-06-30").expect("date");
    for (capital, expect) in [("600万", "eligible"), ("50万", "ineligible")] {
        let profile =
            engine.profile_from_json(&format!(r#"{{"registered_capital": "{capital}", "employees": {{"2025": 40}}}}"#)).expect("p");
        let index = engine.verdicts(&profile, as_of);
        assert_eq!(index, engine.verdicts_reference(&profile, as_of));
        let q = engine.policy_set().index_of("q").expect("q");
        assert_eq!(format!("{:?}", index[q]).to_lowercase(), expect, "{capital}");
    }
}
