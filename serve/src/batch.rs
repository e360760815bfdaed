//! `POST /v1/match/batch`: many enterprises in one request, in two forms.
//!
//! - **JSON lines** (any content type but Arrow's): one profile per line in, one envelope
//!   line per line out, streamed. The body is read as it arrives and matched in chunks of
//!   [`CHUNK_LINES`] lines on a blocking thread; each chunk's answers are sent as soon as
//!   they are made, so memory stays bounded by a chunk whatever the batch's length, and a
//!   client sees its first answers before it has sent its last line. The lines are numbered
//!   over the whole body, and a line that is blank, not UTF-8, longer than [`MAX_LINE`] or
//!   not a profile gets a failure line naming its number, as `huiqi match --profiles`
//!   writes them: the bytes are the CLI's.
//! - **Arrow IPC stream** (`Content-Type: application/vnd.apache.arrow.stream`): record
//!   batches of enterprises in, columns as docs/arrow.md describes them; out, an Arrow IPC
//!   stream of the results in the shapes of `bulk_arrow` (`output=pairs|lists|counts`,
//!   `undetermined`, `missing`), with the body-size limit of the service.
//!
//! Every successful match of a JSON-lines batch is counted in the metrics and logged as a
//! decision, as a single match is.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use huiqi::engine::{MatchOptions, MatchPath};
use huiqi::ops::{self, ErrorKind};

use crate::app::{blocking, failure, record_line, AppState, REVISION};
use crate::ruleset::Ruleset;

/// Lines matched per chunk of a streamed batch.
pub const CHUNK_LINES: usize = 256;
/// Longest line of a batch (as `huiqi match --profiles`).
pub const MAX_LINE: usize = 16 << 20;

/// The media type of an Arrow IPC stream.
pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// A JSON-lines batch, answered as a stream.
pub fn json_lines(s: Arc<AppState>, rs: Arc<Ruleset>, body: Body, as_of: String, path: MatchPath, opts: MatchOptions) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let revision = rs.revision.clone();
    tokio::spawn(async move {
        let mut data = body.into_data_stream();
        let mut pending: Vec<u8> = Vec::new();
        let mut next_line = 1usize;
        // Skipping the rest of an over-long line, whose failure was already written.
        let mut skipping = false;
        let opts = Arc::new(opts);
        let as_of = Arc::new(as_of);
        loop {
            // A client that stops sending ends its batch after the request timeout.
            let Ok(frame) = tokio::time::timeout(s.idle, data.next()).await else {
                let _ = tx.send(Err(std::io::Error::other("the client sent nothing for the request timeout"))).await;
                return;
            };
            let end = frame.is_none();
            match frame {
                Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
                Some(Err(e)) => {
                    let _ = tx.send(Err(std::io::Error::other(format!("reading the request body: {e}")))).await;
                    return;
                }
                None => {}
            }
            if skipping {
                match pending.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        pending.drain(..=i);
                        skipping = false;
                    }
                    None => {
                        pending.clear();
                        if !end {
                            continue;
                        }
                    }
                }
            }
            // Complete lines only, unless the body has ended; a partial line past the limit
            // ends the chunk there.
            let cut = if end { pending.len() } else { pending.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) };
            let lines_ready = pending.get(..cut).map_or(0, |p| p.iter().filter(|b| **b == b'\n').count());
            let over_long = !end && pending.len().saturating_sub(cut) > MAX_LINE;
            if !(end || over_long || lines_ready >= CHUNK_LINES) {
                continue;
            }
            let chunk: Vec<u8> = pending.drain(..cut).collect();
            if over_long {
                // The long line's failure follows the chunk; the rest of it is skipped.
                pending.clear();
                skipping = true;
            }
            let first = next_line;
            let (s2, rs2, opts2, as_of2) = (s.clone(), rs.clone(), opts.clone(), as_of.clone());
            let answered = blocking(move || match_chunk(&s2, &rs2, &chunk, first, &as_of2, path, &opts2)).await;
            let (mut text, count) = match answered {
                Ok(x) => x,
                Err(_) => {
                    let _ = tx.send(Err(std::io::Error::other("the batch failed inside the service"))).await;
                    return;
                }
            };
            next_line += count;
            if over_long {
                text.push_str(&ops::line_failure(next_line, &format!("line longer than {MAX_LINE} bytes")));
                text.push('\n');
                next_line += 1;
            }
            if !text.is_empty() && tx.send(Ok(Bytes::from(text))).await.is_err() {
                return; // The client left.
            }
            if end {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(stream)).into_response();
    if let Ok(v) = HeaderValue::from_str(&revision) {
        r.headers_mut().insert(REVISION, v);
    }
    r
}

/// Matches the lines of `chunk` (numbered from `first`); returns the answer lines and how
/// many lines there were.
fn match_chunk(
    s: &AppState,
    rs: &Ruleset,
    chunk: &[u8],
    first: usize,
    as_of: &str,
    path: MatchPath,
    opts: &MatchOptions,
) -> (String, usize) {
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    if chunk.is_empty() {
        return (String::new(), 0);
    }
    let mut m = rs.engine.matcher();
    let mut out = String::new();
    let mut count = 0;
    for (k, line) in body.split(|b| *b == b'\n').enumerate() {
        let line_no = first + k;
        count += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let answer = if line.len() > MAX_LINE {
            ops::line_failure(line_no, &format!("line longer than {MAX_LINE} bytes"))
        } else {
            match std::str::from_utf8(line) {
                Ok(text) => {
                    let a = ops::match_line(&rs.engine, &mut m, line_no, text, as_of, path, opts);
                    if a.starts_with(r#"{"type":"success""#) {
                        record_line(s, rs, text, as_of, &a);
                    }
                    a
                }
                Err(e) => ops::line_failure(line_no, &format!("not UTF-8: {e}")),
            }
        };
        out.push_str(&answer);
        out.push('\n');
    }
    (out, count)
}

/// The options of an Arrow batch (query parameters).
pub struct ArrowOptions {
    pub output: Option<String>,
    pub undetermined: Option<bool>,
    pub missing: Option<bool>,
}

/// An Arrow IPC batch: enterprises in, results out, in one request.
pub async fn arrow(s: Arc<AppState>, rs: Arc<Ruleset>, body: Body, as_of: String, o: ArrowOptions) -> Response {
    let options = serde_json::json!({"output": o.output, "undetermined": o.undetermined, "missing": o.missing});
    let options: serde_json::Map<String, serde_json::Value> = options
        .as_object()
        .map(|m| m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let bulk = match ops::stores::BulkOptions::from_json(Some(&serde_json::Value::Object(options).to_string())) {
        Ok(b) => b,
        Err(e) => return crate::app::envelope_response(StatusCode::BAD_REQUEST, ops::failure(e), Some(&rs.revision)),
    };
    let date = match huiqi::date::Date::parse(&as_of) {
        Ok(d) => d,
        Err(e) => return failure(StatusCode::BAD_REQUEST, ErrorKind::Request, &format!("as_of: {e}")),
    };
    let bytes = match axum::body::to_bytes(body, s.max_body).await {
        Ok(b) => b,
        Err(_) => {
            return failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorKind::Request,
                &format!("the body is larger than {} bytes (--max-body)", s.max_body),
            )
        }
    };
    let revision = rs.revision.clone();
    let made = blocking(move || -> Result<Vec<u8>, (StatusCode, ErrorKind, String)> {
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
            .map_err(|e| (StatusCode::BAD_REQUEST, ErrorKind::Request, format!("not an Arrow IPC stream: {e}")))?;
        let (store, _report) = huiqi_arrow::store_from_batches(rs.engine.schema(), reader)
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, ErrorKind::Store, e))?;
        let batches = huiqi_arrow::bulk_batches(&rs.engine, &store, date, bulk.output, bulk.undetermined, bulk.missing)
            .map_err(|e| (StatusCode::CONFLICT, ErrorKind::Store, e))?;
        let internal = |e: arrow_schema::ArrowError| (StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, e.to_string());
        let mut out = Vec::new();
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batches.schema()).map_err(internal)?;
        for b in batches {
            w.write(&b.map_err(internal)?).map_err(internal)?;
        }
        w.finish().map_err(internal)?;
        drop(w);
        Ok(out)
    })
    .await;
    match made {
        Ok(Ok(out)) => {
            let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, ARROW_STREAM)], out).into_response();
            if let Ok(v) = HeaderValue::from_str(&revision) {
                r.headers_mut().insert(REVISION, v);
            }
            r
        }
        Ok(Err((status, kind, message))) => failure(status, kind, &message),
        Err(r) => r,
    }
}
