//! The HTTP layer: routes over the operation layer, the middleware every request passes
//! (token, concurrency, metrics, the revision header), and the OpenAPI description built
//! from the operations' JSON Schema.
//!
//! Every answer is the envelope `huiqi::ops` builds, byte for byte what the CLI, C, Python
//! and WASM return; the HTTP status follows the envelope (200 success; 400 a bad request,
//! text that is not JSON, or a store operation without a store; 404 an unknown policy; 422
//! a profile or policy that does not fit; 409 a store that cannot answer; 500 internal; 503
//! while no ruleset is loaded yet).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use huiqi::ops::{self, ErrorItem, ErrorKind};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::decisions::{self, Decision, DecisionLog};
use crate::metrics::Metrics;
use crate::ruleset::Ruleset;

/// What every handler shares.
pub struct AppState {
    /// The ruleset answering now; `None` until the first load finishes.
    pub current: ArcSwapOption<Ruleset>,
    /// The error of the last reload that failed (cleared by one that succeeds).
    pub last_error: std::sync::Mutex<Option<Value>>,
    pub metrics: Metrics,
    pub log: Option<DecisionLog>,
    pub token: Option<String>,
    pub limit: Arc<tokio::sync::Semaphore>,
    pub max_body: usize,
    /// Longest wait for the next part of a streamed batch's body (the request timeout).
    pub idle: Duration,
    /// Numbers the decisions of this process.
    pub decisions: std::sync::atomic::AtomicU64,
}

type Shared = Arc<AppState>;

/// The header every answer carries: the revision of the ruleset that gave it.
pub const REVISION: &str = "huiqi-revision";

/// The router with every endpoint and the middleware.
pub fn router(state: Shared, timeout: Duration) -> Router {
    Router::new()
        .route("/v1/match", post(match_one))
        .route("/v1/match/batch", post(match_batch))
        .route("/v1/policies/{id}/reach", post(reach))
        .route("/v1/check", post(check))
        .route("/v1/what-if", post(what_if))
        .route("/v1/policies", get(policies))
        .route("/v1/ruleset", get(ruleset))
        .route("/v1/call/{op}", post(call))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { failure(StatusCode::NOT_FOUND, ErrorKind::Request, "no such endpoint (GET /openapi.json lists them)") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), around))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            failure(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, "the request failed inside the service; it keeps serving")
        }))
        .with_state(state)
}

/// A failure envelope with a status.
pub(crate) fn failure(status: StatusCode, kind: ErrorKind, message: &str) -> Response {
    envelope_response(status, ops::failure(vec![ErrorItem::new(kind, message)]), None)
}

pub(crate) fn envelope_response(status: StatusCode, body: String, revision: Option<&str>) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
    if let Some(v) = revision.and_then(|r| HeaderValue::from_str(r).ok()) {
        r.headers_mut().insert(REVISION, v);
    }
    r
}

/// The status an envelope answers with.
fn status_of(envelope: &str) -> StatusCode {
    if envelope.starts_with(r#"{"type":"success""#) {
        return StatusCode::OK;
    }
    let kind = serde_json::from_str::<Value>(envelope)
        .ok()
        .and_then(|v| v.pointer("/errors/0/kind").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    match kind.as_str() {
        "request" | "json" => StatusCode::BAD_REQUEST,
        "unknown_policy" => StatusCode::NOT_FOUND,
        "profile" | "policy" | "schema" | "codes" | "compiled" | "file" => StatusCode::UNPROCESSABLE_ENTITY,
        "store" => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn answer(envelope: String, rs: &Ruleset) -> Response {
    envelope_response(status_of(&envelope), envelope, Some(&rs.revision))
}

/// The loaded ruleset, or the 503 answer.
fn loaded(s: &AppState) -> Result<Arc<Ruleset>, Response> {
    s.current.load_full().ok_or_else(|| {
        failure(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Internal, "not ready: the policy set is still loading (GET /health/ready)")
    })
}

/// The body as UTF-8 text, within the size limit.
async fn text(s: &AppState, body: Body) -> Result<String, Response> {
    let bytes: Bytes = axum::body::to_bytes(body, s.max_body).await.map_err(|_| {
        failure(StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::Request, &format!("the request body is over {} bytes", s.max_body))
    })?;
    String::from_utf8(Vec::from(bytes))
        .map_err(|e| failure(StatusCode::BAD_REQUEST, ErrorKind::Json, &format!("the body is not UTF-8: {e}")))
}

/// Runs blocking work (matching, compiling) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        failure(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, "the request failed inside the service; it keeps serving")
    })
}

/// Token, concurrency limit, metrics, revision header.
async fn around(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let endpoint = req.extensions().get::<MatchedPath>().map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let open = endpoint.starts_with("/health/") || endpoint == "/metrics";
    if let (Some(token), false) = (&s.token, open) {
        let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            s.metrics.request(&endpoint, 401, 0.0);
            return failure(StatusCode::UNAUTHORIZED, ErrorKind::Request, "a bearer token is required (Authorization: Bearer …)");
        }
    }
    if req.method() == axum::http::Method::POST && endpoint != "/v1/match/batch" && !is_json(req.headers()) {
        s.metrics.request(&endpoint, 415, 0.0);
        return failure(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorKind::Request, "the body is JSON: Content-Type: application/json");
    }
    let Ok(_permit) = s.limit.clone().acquire_owned().await else {
        return failure(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Internal, "the service is shutting down");
    };
    let start = Instant::now();
    let mut response = next.run(req).await;
    if endpoint == "/v1/match/batch" && response.status() == StatusCode::OK {
        // A streamed answer holds its slot until its last byte is sent, not only until
        // its head is.
        let (parts, body) = response.into_parts();
        let permit = _permit;
        let stream = futures_util::StreamExt::map(body.into_data_stream(), move |x| {
            let _slot = &permit;
            x
        });
        response = Response::from_parts(parts, Body::from_stream(stream));
    }
    if !response.headers().contains_key(REVISION) {
        if let Some(v) = s.current.load().as_ref().and_then(|r| HeaderValue::from_str(&r.revision).ok()) {
            response.headers_mut().insert(REVISION, v);
        }
    }
    s.metrics.request(&endpoint, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn match_one(State(s): State<Shared>, body: Body) -> Response {
    let rs = match loaded(&s) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match text(&s, body).await {
        // One enterprise is a fraction of a millisecond: answered on the async worker, which
        // costs less than handing it to a blocking thread and back.
        Ok(request) => answer(decide(&s, &rs, "match", &request), &rs),
        Err(r) => r,
    }
}

/// Answers an operation and, for a match, counts its verdicts and logs the decision.
fn decide(s: &AppState, rs: &Ruleset, op: &str, request: &str) -> String {
    let envelope = ops::call(&rs.engine, rs.store.as_ref(), op, request);
    if op == "match" && envelope.starts_with(r#"{"type":"success""#) {
        record(s, rs, request, &envelope);
    }
    envelope
}

/// The `summary` counts of a match envelope, read without parsing the whole answer.
fn summary_of(envelope: &str) -> Option<Value> {
    let at = envelope.find(r#""summary":{"#)? + r#""summary":"#.len();
    let rest = envelope.get(at..)?;
    let end = rest.find('}')? + 1;
    serde_json::from_str(rest.get(..end)?).ok()
}

/// Counts a match's verdicts and logs the decision (when a log is kept).
fn record(s: &AppState, rs: &Ruleset, request: &str, envelope: &str) {
    let Ok(req) = serde_json::from_str::<Value>(request) else { return };
    let (Some(profile), Some(as_of)) = (req.get("profile"), req.get("as_of").and_then(Value::as_str)) else { return };
    record_profile(s, rs, profile, as_of, envelope);
}

/// [`record`] for one line of a batch: the profile's JSON text and the batch's date.
pub(crate) fn record_line(s: &AppState, rs: &Ruleset, profile: &str, as_of: &str, envelope: &str) {
    if s.log.is_none() {
        count_verdicts(s, envelope);
        return;
    }
    let Ok(profile) = serde_json::from_str::<Value>(profile) else { return };
    record_profile(s, rs, &profile, as_of, envelope);
}

/// Counts the verdicts of a match envelope in the metrics.
fn count_verdicts(s: &AppState, envelope: &str) -> bool {
    let Some(summary) = summary_of(envelope) else { return false };
    let n = |k: &str| summary.get(k).and_then(Value::as_u64).unwrap_or(0);
    s.metrics.decisions(n("eligible"), n("undetermined"), n("ineligible"));
    true
}

fn record_profile(s: &AppState, rs: &Ruleset, profile: &Value, as_of: &str, envelope: &str) {
    if !count_verdicts(s, envelope) {
        return;
    }
    let Some(log) = &s.log else { return };
    // The verdicts of every policy in force, whatever the detail and limit asked.
    let verdicts_request = json!({"profile": profile, "as_of": as_of}).to_string();
    let env: Value = serde_json::from_str(&ops::call(&rs.engine, None, "verdicts", &verdicts_request)).unwrap_or(Value::Null);
    let Some((eligible, undetermined, summary)) = decisions::verdicts_of(&env) else { return };
    let seq = s.decisions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let time_ms = crate::now_ms();
    let (profile_kept, masked) = decisions::kept_profile(profile, log.profiles);
    log.write(&Decision {
        id: format!("{time_ms:x}-{seq}"),
        time_ms,
        revision: rs.revision.clone(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: as_of.to_string(),
        profile_sha256: decisions::sha256(profile.to_string().as_bytes()),
        eligible,
        undetermined,
        summary,
        profile: profile_kept,
        masked,
    });
}

/// `POST /v1/match/batch?as_of=…`: JSON lines in and out, streamed (`detail`, `all`,
/// `limit`), or an Arrow IPC stream in and out (`output`, `undetermined`, `missing`); see
/// [`crate::batch`].
#[derive(Deserialize)]
struct BatchQuery {
    as_of: Option<String>,
    detail: Option<String>,
    all: Option<bool>,
    limit: Option<usize>,
    output: Option<String>,
    undetermined: Option<bool>,
    missing: Option<bool>,
}

async fn match_batch(State(s): State<Shared>, Query(q): Query<BatchQuery>, headers: HeaderMap, body: Body) -> Response {
    let rs = match loaded(&s) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(as_of) = q.as_of else {
        return failure(StatusCode::BAD_REQUEST, ErrorKind::Request, "as_of is required: /v1/match/batch?as_of=YYYY-MM-DD");
    };
    let arrow = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(crate::batch::ARROW_STREAM)));
    if arrow {
        let o = crate::batch::ArrowOptions { output: q.output, undetermined: q.undetermined, missing: q.missing };
        return crate::batch::arrow(s, rs, body, as_of, o).await;
    }
    let options = json!({"detail": q.detail, "all": q.all, "limit": q.limit});
    let options: serde_json::Map<String, Value> = options
        .as_object()
        .map(|o| o.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let (path, opts) = match ops::match_options(Some(&Value::Object(options).to_string())) {
        Ok(o) => o,
        Err(e) => return envelope_response(StatusCode::BAD_REQUEST, ops::failure(e), Some(&rs.revision)),
    };
    if let Err(e) = huiqi::date::Date::parse(&as_of) {
        return failure(StatusCode::BAD_REQUEST, ErrorKind::Request, &format!("as_of: {e}"));
    }
    crate::batch::json_lines(s, rs, body, as_of, path, opts)
}

/// `POST /v1/policies/{id}/reach` with `{"as_of": …, "list": 20}`: the reverse query.
async fn reach(State(s): State<Shared>, Path(id): Path<String>, body: Body) -> Response {
    let request = match text(&s, body).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut req: Value = if request.trim().is_empty() {
        json!({})
    } else {
        match ops::request::<Value>("reach", &request) {
            Ok(v) => v,
            Err(e) => return envelope_response(StatusCode::BAD_REQUEST, ops::failure(e), None),
        }
    };
    if let Some(o) = req.as_object_mut() {
        o.insert("policy".into(), json!(id));
    }
    run_op(s, "reverse", req.to_string()).await
}

async fn check(State(s): State<Shared>, body: Body) -> Response {
    match text(&s, body).await {
        Ok(request) => run_op(s, "check_policy", request).await,
        Err(r) => r,
    }
}

/// `POST /v1/what-if`: a draft of one policy, its reach against the current version's.
async fn what_if(State(s): State<Shared>, body: Body) -> Response {
    match text(&s, body).await {
        Ok(request) => run_op(s, "what_if", request).await,
        Err(r) => r,
    }
}

async fn policies(State(s): State<Shared>) -> Response {
    run_op(s, "policies", "{}".into()).await
}

async fn call(State(s): State<Shared>, Path(op): Path<String>, body: Body) -> Response {
    match text(&s, body).await {
        Ok(request) => run_op(s, &op, request).await,
        Err(r) => r,
    }
}

/// The operations about one enterprise: quick enough for the async worker.
const QUICK: &[&str] = &["match", "verdicts", "summary", "next_questions", "explain", "calendar", "check_condition", "fields_read"];

/// Any operation of the layer, on the loaded ruleset and its store; the slow ones (many
/// enterprises, whole sets, stores) on a blocking thread.
async fn run_op(s: Shared, op: &str, request: String) -> Response {
    let rs = match loaded(&s) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if QUICK.contains(&op) {
        return answer(decide(&s, &rs, op, &request), &rs);
    }
    let op = op.to_string();
    let st = s.clone();
    match blocking(move || (decide(&st, &rs, &op, &request), rs)).await {
        Ok((envelope, rs)) => answer(envelope, &rs),
        Err(r) => r,
    }
}

async fn ruleset(State(s): State<Shared>) -> Response {
    let last_error = s.last_error.lock().map(|e| e.clone()).unwrap_or(None);
    let body = match s.current.load_full() {
        Some(rs) => {
            let set = rs.engine.policy_set();
            ops::success(json!({
                "revision": rs.revision,
                "loaded_at": rs.loaded_at,
                "source": rs.source,
                "policies": set.policies.len(),
                "definitions": set.definitions.len(),
                "enterprises": rs.store.as_ref().map(|st| st.store.len()),
                "last_reload_error": last_error,
            }))
        }
        None => ops::success(json!({"revision": null, "last_reload_error": last_error})),
    };
    envelope_response(StatusCode::OK, body, None)
}

async fn ready(State(s): State<Shared>) -> Response {
    match s.current.load().as_ref() {
        Some(rs) => (StatusCode::OK, format!("ready: {}\n", rs.revision)).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading\n").into_response(),
    }
}

async fn metrics(State(s): State<Shared>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}

async fn openapi() -> Response {
    match crate::openapi::document() {
        Ok(doc) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response(),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, &e),
    }
}

/// Whether a request's body is declared JSON (or not declared at all).
fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.starts_with("application/json"))
}
