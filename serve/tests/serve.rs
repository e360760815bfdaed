//! The real `huiqi-serve` binary on a free loopback port: every operation case answered
//! byte for byte as the CLI, C, Python and WASM answer it (data/cases/ops/expected/); the
//! endpoints, limits and failures; reload under a watched folder (a broken file keeps the
//! previous revision serving); SIGTERM; the decision log and its replay. Every server is
//! killed when its test ends; every request has a deadline.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Server {
    child: Child,
    addr: String,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huiqi-serve"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        let s = Server { child, addr };
        s.wait_for(|s| s.get("/health/ready").status == 200, "ready");
        s
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn wait_for(&self, ok: impl Fn(&Server) -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok(self) {
            assert!(Instant::now() < deadline, "not {what} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], "")
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        self.request("POST", path, &[("Content-Type", "application/json")], body)
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        http(&self.addr, method, path, headers, body)
    }

    /// Sends a signal and waits for the process to exit; its status.
    fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        Command::new("kill").args([signal, &self.pid()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of {signal}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection, with a 30 s read deadline.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n", addr, body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Reply { status, headers, body }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// The recorded cases (data/cases/ops/cases.json): name, operation, whether it asks a
/// store, request.
fn cases() -> Vec<(String, String, bool, Value)> {
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(root().join("data/cases/ops/cases.json")).unwrap()).unwrap();
    let text = |c: &Value, k: &str| c[k].as_str().unwrap().to_string();
    all.iter().map(|c| (text(c, "name"), text(c, "op"), c["store"].as_bool().unwrap_or(false), c["request"].clone())).collect()
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("data/cases/ops/expected/{name}.json"))).unwrap().trim_end().to_string()
}

#[test]
fn every_operation_answers_as_the_other_bindings() {
    // The store's cases on a service with the store, the others on one without (lint
    // reports each policy's reach when there is a store), as the CLI runs them.
    let with_store = Server::start(&["--enterprises", "data/enterprises"]);
    let without = Server::start(&[]);
    let revision = without.get("/v1/ruleset").json()["result"]["revision"].as_str().unwrap().to_string();
    for (name, op, store, request) in cases() {
        let s = if store { &with_store } else { &without };
        let r = s.post(&format!("/v1/call/{}", op), &request.to_string());
        assert_eq!(r.body, expected(&name), "POST /v1/call/{} ({})", op, name);
        let success = r.body.starts_with(r#"{"type":"success""#);
        assert_eq!(r.status == 200, success, "{}: status {}", name, r.status);
        if op == "match" {
            assert_eq!(s.post("/v1/match", &request.to_string()).body, r.body, "/v1/match ({})", name);
        }
        if store && op == "reverse" && success {
            let policy = request["policy"].as_str().unwrap();
            let mut rest = request.clone();
            rest.as_object_mut().unwrap().remove("policy");
            assert_eq!(s.post(&format!("/v1/policies/{policy}/reach"), &rest.to_string()).body, r.body, "reach ({})", name);
        }
        if op == "what_if" {
            assert_eq!(s.post("/v1/what-if", &request.to_string()).body, r.body, "/v1/what-if ({})", name);
        }
        if !store {
            assert_eq!(r.header("huiqi-revision"), Some(revision.as_str()), "{}", name);
        }
    }
}

#[test]
fn endpoints_limits_and_failures() {
    let dir = tempdir("limits");
    std::fs::write(dir.join("token"), "s3cret\n").unwrap();
    let token = dir.join("token").display().to_string();
    let s = Server::start(&["--token-file", &token, "--max-body-bytes", "20000"]);
    let auth = [("Content-Type", "application/json"), ("Authorization", "Bearer s3cret")];
    let profile = std::fs::read_to_string(root().join("data/enterprises/01-quanzhi-software.json")).unwrap();
    let request = format!(r#"{{"profile": {profile}, "as_of": "2026-06-30", "options": {{"detail": "verdicts"}}}}"#);

    // Health and metrics need no token; /v1 does.
    assert_eq!(s.get("/health/live").status, 200);
    assert_eq!(s.post("/v1/match", &request).status, 401);
    let wrong = s.request("POST", "/v1/match", &[("Content-Type", "application/json"), ("Authorization", "Bearer s3creT")], &request);
    assert_eq!((wrong.status, wrong.json()["errors"][0]["kind"].as_str()), (401, Some("request")));
    let ok = s.request("POST", "/v1/match", &auth, &request);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.header("huiqi-revision").is_some_and(|r| r.starts_with("sha256:")));

    // Bad input: each a failure envelope with its status, and the service still answers.
    let bad_json = s.request("POST", "/v1/match", &auth, "{\"profile\": ");
    assert_eq!((bad_json.status, bad_json.json()["errors"][0]["kind"].as_str()), (400, Some("json")));
    let bad_profile = s.request("POST", "/v1/match", &auth, r#"{"profile": {"employees": "many"}, "as_of": "2026-06-30"}"#);
    assert_eq!((bad_profile.status, bad_profile.json()["errors"][0]["kind"].as_str()), (422, Some("profile")));
    let text_type = s.request("POST", "/v1/match", &[("Content-Type", "text/plain"), ("Authorization", "Bearer s3cret")], &request);
    assert_eq!(text_type.status, 415);
    let big = format!(r#"{{"profile": {{"name": "{}"}}, "as_of": "2026-06-30"}}"#, "x".repeat(30_000));
    let too_big = s.request("POST", "/v1/match", &auth, &big);
    assert_eq!((too_big.status, too_big.json()["type"].as_str()), (413, Some("failure")));
    let no_store = s.request("POST", "/v1/policies/hitech-certification/reach", &auth, r#"{"as_of": "2026-06-30"}"#);
    assert_eq!((no_store.status, no_store.json()["errors"][0]["path"].as_str()), (400, Some("store")), "{}", no_store.body);
    assert_eq!(s.request("GET", "/v2/nothing", &auth, "").status, 404);
    assert_eq!(s.request("POST", "/v1/match", &auth, &request).body, ok.body, "still answering");

    // JSON lines: one envelope line per line, a bad line failing alone.
    let line = serde_json::to_string(&serde_json::from_str::<Value>(&profile).unwrap()).unwrap();
    let batch = s.request(
        "POST",
        "/v1/match/batch?as_of=2026-06-30&detail=verdicts",
        &[("Content-Type", "application/x-ndjson"), ("Authorization", "Bearer s3cret")],
        &format!("{line}\n{{\n{line}\n"),
    );
    let lines: Vec<&str> = batch.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", batch.body);
    assert_eq!(lines[0], ok.body);
    assert_eq!(lines[2], ok.body);
    assert!(lines[1].contains(r#""type":"failure""#) && lines[1].contains(r#""line":2"#), "{}", lines[1]);

    // The catalog, the ruleset, the metrics, the OpenAPI description.
    let policies = s.request("GET", "/v1/policies", &auth, "").json();
    assert_eq!(policies["result"]["policies"].as_array().unwrap().len(), 62);
    let rs = s.request("GET", "/v1/ruleset", &auth, "").json();
    assert_eq!(rs["result"]["policies"], json!(62));
    assert_eq!(rs["result"]["revision"].as_str(), ok.header("huiqi-revision"));
    let metrics = s.get("/metrics").body;
    assert!(metrics.contains(r#"huiqi_requests_total{endpoint="/v1/match",status="200"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"huiqi_requests_total{endpoint="/v1/match",status="401"} 2"#), "{metrics}");
    // 11 eligible each: two single matches and the batch's two good lines.
    assert!(metrics.contains("huiqi_decisions_total{verdict=\"eligible\"} 44"), "{metrics}");
    let api = s.request("GET", "/openapi.json", &auth, "").json();
    assert_eq!(api["openapi"], json!("3.1.0"));
    for path in ["/v1/match", "/v1/match/batch", "/v1/policies/{id}/reach", "/v1/check", "/v1/ruleset", "/health/ready"] {
        assert!(api["paths"][path].is_object(), "{path}");
    }
    let match_ref = api["paths"]["/v1/match"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
    assert_eq!(match_ref, "#/components/schemas/MatchRequest");
    assert!(api["components"]["schemas"]["MatchRequest"].is_object());
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("huiqi-serve-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn revision(s: &Server) -> (String, Value) {
    let v = s.get("/v1/ruleset").json();
    (v["result"]["revision"].as_str().unwrap_or_default().to_string(), v["result"]["last_reload_error"].clone())
}

#[test]
fn reload_swaps_a_good_set_and_keeps_serving_through_a_broken_one() {
    let dir = tempdir("reload");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    for f in std::fs::read_dir(root().join("data/policies")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&f, policies.join(f.file_name().unwrap())).unwrap();
        }
    }
    let mut s = Server::start(&["--policies", &policies.display().to_string()]);
    let (first, _) = revision(&s);
    let count = |s: &Server| s.get("/v1/policies").json()["result"]["policies"].as_array().map_or(0, Vec::len);
    let before = count(&s);

    // A new file (a synthetic test policy): watched, loaded, swapped in.
    let extra = json!({"policies": [{"id": "reload-test", "title": "测试政策（合成）", "issuer": "测试", "doc_no": "测〔2026〕1号",
        "year": 2026, "level": "municipal", "condition": "is_legal_person", "benefit": {"kind": "fixed", "amount": "1万"},
        "source": {"document": "synthetic test policy"}}]});
    std::fs::write(policies.join("zz-extra.json"), extra.to_string()).unwrap();
    s.wait_for(|s| revision(s).0 != first, "reloaded");
    let (second, error) = revision(&s);
    assert!(error.is_null());
    assert_eq!(count(&s), before + 1);

    // A broken file: the load fails, the second revision keeps answering, and says why.
    std::fs::write(policies.join("broken.json"), r#"{"policies": [{"id": "x", "condition": "registered_capital >="}]}"#).unwrap();
    s.wait_for(|s| !revision(s).1.is_null(), "a reload error reported");
    assert_eq!(revision(&s).0, second);
    assert!(s.get("/metrics").body.contains("huiqi_reload_failures_total 1"));
    let r = s.post("/v1/match", r#"{"profile": {}, "as_of": "2026-06-30", "options": {"detail": "verdicts"}}"#);
    assert_eq!((r.status, r.header("huiqi-revision")), (200, Some(second.as_str())));

    // Fixed, and a SIGHUP: loaded again, the error cleared.
    std::fs::remove_file(policies.join("broken.json")).unwrap();
    Command::new("kill").args(["-HUP", &s.pid()]).status().unwrap();
    s.wait_for(|s| revision(s).1.is_null(), "the error cleared");
    assert_eq!(revision(&s).0, second, "the same files: the same revision");

    // SIGTERM: a clean stop.
    assert!(s.signal_and_wait("-TERM").success());
}

#[test]
fn the_decision_log_replays_and_a_changed_decision_is_found() {
    let dir = tempdir("log");
    let log = dir.join("log");
    let mut s = Server::start(&["--decision-log", &log.display().to_string(), "--log-profiles"]);
    for f in ["01-quanzhi-software.json", "02-mingchuan-hydraulics.json"] {
        let profile = std::fs::read_to_string(root().join("data/enterprises").join(f)).unwrap();
        let r = s.post("/v1/match", &format!(r#"{{"profile": {profile}, "as_of": "2026-06-30"}}"#));
        assert_eq!(r.status, 200);
    }
    assert!(s.signal_and_wait("-TERM").success());
    let file = log.join("decisions.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let entries: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert!(e["revision"].as_str().unwrap().starts_with("sha256:"));
        assert_eq!(e["profile_sha256"].as_str().unwrap().len(), 64);
        assert!(e["profile"].get("uscc").is_none(), "masked: {e}");
        assert!(e["masked"]["uscc"].as_str().unwrap().contains('…'));
        assert!(!e["eligible"].as_array().unwrap().is_empty());
    }
    let replay =
        |path: &Path| Command::new(env!("CARGO_BIN_EXE_huiqi-serve")).arg("replay").arg(path).current_dir(root()).output().unwrap();
    let out = replay(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("replayed 2 decision(s)"));

    // A decision whose logged verdicts are not what the ruleset gives is reported.
    let mut changed = entries[0].clone();
    changed["eligible"] = json!(["no-such-policy"]);
    let tampered = dir.join("tampered.jsonl");
    std::fs::write(&tampered, format!("{changed}\n{}\n", entries[1])).unwrap();
    let out = replay(&tampered);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("differs") && stdout.contains("1 differ"), "{stdout}");
}

/// Requests from `threads` threads until `stop`; each reply's (status, revision).
fn load(addr: &str, threads: usize, body: &str, stop: &std::sync::atomic::AtomicBool) -> Vec<(u16, String)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let r = http(addr, "POST", "/v1/match", &[("Content-Type", "application/json")], body);
                        seen.push((r.status, r.header("huiqi-revision").unwrap_or_default().to_string()));
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn reloads_under_load_fail_no_request_and_each_answer_names_one_revision() {
    let dir = tempdir("reload-load");
    let policies = dir.join("p.json");
    let policy = |amount: &str| {
        json!({"policies": [{"id": "p1", "title": "测试政策（合成）", "issuer": "测试", "doc_no": "测〔2026〕1号", "year": 2026,
            "level": "municipal", "condition": "is_legal_person", "benefit": {"kind": "fixed", "amount": amount},
            "source": {"document": "synthetic test policy"}}]})
        .to_string()
    };
    std::fs::write(&policies, policy("1万")).unwrap();
    let s = Server::start(&["--policies", &policies.display().to_string(), "--no-watch"]);
    let (first, _) = revision(&s);
    let body = r#"{"profile": {"is_legal_person": true}, "as_of": "2026-06-30"}"#;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut revisions = vec![first];
    let seen = std::thread::scope(|scope| {
        let loader = scope.spawn(|| load(&s.addr, 4, body, &stop));
        // Ten reloads, alternating two versions, each waited for.
        for k in 0..10 {
            std::fs::write(&policies, policy(if k % 2 == 0 { "2万" } else { "1万" })).unwrap();
            Command::new("kill").args(["-HUP", &s.pid()]).status().unwrap();
            let before = revision(&s).0;
            s.wait_for(|s| revision(s).0 != before, "reloaded");
            revisions.push(revision(&s).0);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        loader.join().unwrap()
    });
    assert!(seen.len() > 20, "{} requests", seen.len());
    assert!(seen.iter().all(|(status, _)| *status == 200), "a request failed during reloads");
    assert!(seen.iter().all(|(_, r)| revisions.contains(r)), "an answer named an unknown revision");
    assert_eq!(revisions.iter().collect::<std::collections::BTreeSet<_>>().len(), 2, "two versions, two revisions: {revisions:?}");
    assert!(s.get("/metrics").body.contains("huiqi_reloads_total 10"));
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut s = Server::start(&[]);
    let profile = std::fs::read_to_string(root().join("data/enterprises/01-quanzhi-software.json")).unwrap();
    let line = serde_json::to_string(&serde_json::from_str::<Value>(&profile).unwrap()).unwrap();
    // Batches long enough to be in flight when the signal comes.
    let batch: String = std::iter::repeat_n(format!("{line}\n"), 1000).collect();
    let addr = s.addr.clone();
    let in_flight: Vec<_> = (0..3)
        .map(|_| {
            let (addr, batch) = (addr.clone(), batch.clone());
            std::thread::spawn(move || {
                http(&addr, "POST", "/v1/match/batch?as_of=2026-06-30", &[("Content-Type", "application/x-ndjson")], &batch)
            })
        })
        .collect();
    // Accepted and being answered by now (a batch takes about a second).
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.signal_and_wait("-TERM").success());
    for t in in_flight {
        let r = t.join().unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body.lines().count(), 1000);
        assert!(r.body.lines().all(|l| l.starts_with(r#"{"type":"success""#)));
    }
}

#[test]
fn a_truncated_store_fails_its_reload_and_the_loaded_one_keeps_answering() {
    let dir = tempdir("store");
    let lines: String = std::fs::read_dir(root().join("data/enterprises"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::to_string(&serde_json::from_str::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap()).unwrap() + "\n")
        .collect();
    // A saved store (what `huiqi store build` writes), made with the library.
    let schema = huiqi::schema::Schema::embedded().unwrap();
    let (store, _) = huiqi::store::EnterpriseStore::load_jsonl(&schema, lines.as_bytes(), huiqi::store::LoadOptions::default()).unwrap();
    let bytes = store.to_bytes();
    let file = dir.join("e.hqs");
    std::fs::write(&file, &bytes).unwrap();
    let mut s = Server::start(&["--enterprises", &file.display().to_string(), "--no-watch"]);
    let (first, _) = revision(&s);
    let enterprises = |s: &Server| s.post("/v1/call/store_info", "{}").json()["result"]["enterprises"].as_u64().unwrap();
    let before = enterprises(&s);
    assert!(before > 3);
    // Cut short: the reload fails, names the file, and the store loaded before answers.
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    Command::new("kill").args(["-HUP", &s.pid()]).status().unwrap();
    s.wait_for(|s| !revision(s).1.is_null(), "the reload error");
    let (now, error) = revision(&s);
    assert_eq!(now, first);
    assert!(error.to_string().contains("e.hqs"), "{error}");
    assert_eq!(enterprises(&s), before);
    assert!(s.signal_and_wait("-TERM").success());
}

#[test]
fn killed_during_a_reload_it_restarts_on_the_same_files() {
    let dir = tempdir("kill9");
    let policies = dir.join("p.json");
    let policy = json!({"policies": [{"id": "p1", "title": "测试政策（合成）", "issuer": "测试", "doc_no": "测〔2026〕1号", "year": 2026,
        "level": "municipal", "condition": "is_legal_person", "benefit": {"kind": "fixed", "amount": "1万"},
        "source": {"document": "synthetic test policy"}}]});
    std::fs::write(&policies, policy.to_string()).unwrap();
    let args = ["--policies", &policies.display().to_string(), "--no-watch"].map(str::to_string);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = Server::start(&args);
    let (first, _) = revision(&s);
    Command::new("kill").args(["-HUP", &s.pid()]).status().unwrap();
    let status = s.signal_and_wait("-KILL");
    assert!(!status.success());
    let again = Server::start(&args);
    assert_eq!(revision(&again).0, first, "the same files, the same revision after a restart");
}

#[test]
fn idle_connections_and_a_slow_sender_do_not_stop_the_others() {
    let s = Server::start(&[]);
    // 10,000 connections that never send a byte (fewer where the open-file limit is lower:
    // this process and the service each hold one descriptor per connection), and one that
    // sends half a request and stalls.
    let limit: usize = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1024);
    let n = 10_000.min(limit.saturating_sub(300));
    if n < 10_000 {
        eprintln!("open-file limit {limit}: {n} idle connections instead of 10,000");
    }
    // (Loopback connects cost 1–4 ms each on this kind of machine, whoever accepts them: a
    // plain Python accept loop is as slow past a few thousand, so this takes 20–45 s.)
    let idle: Vec<TcpStream> = (0..n).map(|_| TcpStream::connect(&s.addr).unwrap()).collect();
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.write_all(b"POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"profile\": ").unwrap();
    let r = s.post("/v1/match", r#"{"profile": {}, "as_of": "2026-06-30", "options": {"detail": "verdicts"}}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get("/health/ready").status, 200);
    drop(idle);
    drop(slow);
    assert_eq!(s.get("/health/live").status, 200);
}

/// Reads an HTTP/1.1 response's head and (de-chunked) body from `stream`, as bytes.
fn read_reply(stream: &mut TcpStream, already: Vec<u8>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut raw = already;
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..i]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[i + 2..i + 2 + n]);
            rest = &rest[i + 2 + n + 2..];
        }
        body = out;
    }
    (status, headers, body)
}

#[test]
fn a_json_lines_batch_streams_and_an_arrow_batch_goes_both_ways() {
    let s = Server::start(&[]);
    let samples: Vec<String> = std::fs::read_dir(root().join("data/enterprises"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::to_string(&serde_json::from_str::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap()).unwrap())
        .collect();
    // 700 lines: the samples over and over, with a blank line, one not UTF-8 and one not JSON.
    let mut lines: Vec<Vec<u8>> = (0..700).map(|i| samples[i % samples.len()].clone().into_bytes()).collect();
    lines[10] = Vec::new();
    lines[300] = b"{\"name\": \"\xff\xfe\"}".to_vec();
    lines[650] = b"{".to_vec();
    let body: Vec<u8> = lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
    let first_part = lines[..400].iter().map(|l| l.len() + 1).sum::<usize>();

    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /v1/match/batch?as_of=2026-06-30&detail=verdicts HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..first_part]).unwrap();
    // Streamed: answers come back before the last line is sent.
    let mut early = vec![0u8; 64 * 1024];
    let n = stream.read(&mut early).unwrap();
    early.truncate(n);
    assert!(early.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&early));
    stream.write_all(&body[first_part..]).unwrap();
    let (status, headers, out) = read_reply(&mut stream, early);
    assert_eq!(status, 200);
    assert!(headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("huiqi-revision")));
    let out = String::from_utf8(out).unwrap();
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), 700, "one answer per line");
    // Each answer is the single match's, byte for byte; the bad lines fail alone, by number.
    let mut single = std::collections::HashMap::new();
    for (i, a) in answers.iter().enumerate() {
        match i {
            10 => assert!(a.contains(r#""line":11"#) && a.contains("empty line"), "{a}"),
            300 => assert!(a.contains(r#""line":301"#) && a.contains("not UTF-8"), "{a}"),
            650 => assert!(a.contains(r#""line":651"#) && a.contains(r#""kind":"json""#), "{a}"),
            _ => {
                let profile = &samples[i % samples.len()];
                let want = single.entry(profile.clone()).or_insert_with(|| {
                    let request = format!(r#"{{"profile": {profile}, "as_of": "2026-06-30", "options": {{"detail": "verdicts"}}}}"#);
                    s.post("/v1/match", &request).body
                });
                assert_eq!(a, want, "line {}", i + 1);
            }
        }
    }

    // Arrow IPC in and out: three enterprises as columns, the counts shape back.
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("name", std::sync::Arc::new(StringArray::from(vec!["甲", "乙", "丙"]))),
        ("registered_capital", std::sync::Arc::new(StringArray::from(vec!["100万元", "5000万元", "30万元"]))),
        ("industry", std::sync::Arc::new(StringArray::from(vec!["I6513", "C3911", "F5211"]))),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let mut ipc = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut ipc, &batch.schema()).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
    }
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /v1/match/batch?as_of=2026-06-30&output=counts&undetermined=true HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/vnd.apache.arrow.stream\r\nContent-Length: {}\r\n\r\n",
        ipc.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&ipc).unwrap();
    let (status, headers, out) = read_reply(&mut stream, Vec::new());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&out));
    assert!(headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "application/vnd.apache.arrow.stream"));
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(out), None).unwrap();
    let mut counts: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for b in reader {
        let b = b.unwrap();
        use arrow_array::cast::AsArray;
        let ids = b.column(0).as_string::<i32>();
        let e = b.column(1).as_primitive::<arrow_array::types::UInt64Type>();
        let u = b.column(2).as_primitive::<arrow_array::types::UInt64Type>();
        for i in 0..b.num_rows() {
            counts.insert(ids.value(i).to_string(), (e.value(i), u.value(i)));
        }
    }
    // The same three through /v1/match, counted by hand.
    let mut want: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for (name, capital, industry) in [("甲", "100万元", "I6513"), ("乙", "5000万元", "C3911"), ("丙", "30万元", "F5211")] {
        let request = json!({"profile": {"name": name, "registered_capital": capital, "industry": industry}, "as_of": "2026-06-30", "options": {"detail": "verdicts", "all": true}});
        for p in s.post("/v1/match", &request.to_string()).json()["result"]["policies"].as_array().unwrap() {
            let entry = want.entry(p["id"].as_str().unwrap().to_string()).or_default();
            match p["verdict"].as_str().unwrap() {
                "eligible" => entry.0 += 1,
                "undetermined" => entry.1 += 1,
                _ => {}
            }
        }
    }
    want.retain(|id, _| counts.contains_key(id));
    let nonzero: std::collections::BTreeMap<_, _> = counts.iter().filter(|(_, c)| **c != (0, 0)).collect();
    let want_nonzero: std::collections::BTreeMap<_, _> = want.iter().filter(|(_, c)| **c != (0, 0)).collect();
    assert_eq!(nonzero, want_nonzero);
    assert!(!nonzero.is_empty());
    // Not Arrow: a failure envelope naming it.
    let bad =
        http(&s.addr, "POST", "/v1/match/batch?as_of=2026-06-30", &[("Content-Type", "application/vnd.apache.arrow.stream")], "not arrow");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("not an Arrow IPC stream"), "{}", bad.body);
}
