//! `GET /openapi.json`: the OpenAPI 3.1 description of the service, built from the JSON
//! Schema the operation layer generates from its Rust types (`huiqi::ops::schemas`), so
//! the service and its description cannot drift apart. OpenAPI 3.1 schemas are JSON Schema
//! 2020-12: the definitions go in as they are, their references moved to
//! `#/components/schemas/`.

use serde_json::{json, Map, Value};

fn moved(v: Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("#/$defs/") => Value::String(s.replacen("#/$defs/", "#/components/schemas/", 1)),
        Value::Array(xs) => Value::Array(xs.into_iter().map(moved).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, moved(v))).collect()),
        other => other,
    }
}

fn body(schema: &Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn answers(schema: &Value) -> Value {
    let envelope = json!({"application/json": {"schema": schema}});
    json!({
        "200": {"description": "a success envelope", "content": envelope},
        "400": {"description": "a failure envelope: a bad request, or text that is not JSON", "content": envelope},
        "404": {"description": "a failure envelope: no policy has that id", "content": envelope},
        "422": {"description": "a failure envelope: a profile or policy text that does not fit", "content": envelope},
        "503": {"description": "no ruleset loaded yet", "content": envelope}
    })
}

/// The OpenAPI document.
pub fn document() -> Result<Value, String> {
    let doc = moved(huiqi::ops::schemas::document().map_err(|e| e.to_string())?);
    let ops = doc.get("operations").cloned().unwrap_or(Value::Null);
    let op = |name: &str, part: &str| ops.pointer(&format!("/{name}/{part}")).cloned().unwrap_or(Value::Null);
    let mut paths = Map::new();
    paths.insert(
        "/v1/match".into(),
        json!({"post": {"summary": "one enterprise against every policy in force", "requestBody": body(&op("match", "request")), "responses": answers(&op("match", "response"))}}),
    );
    paths.insert(
        "/v1/match/batch".into(),
        json!({"post": {
            "summary": "JSON lines of profiles in, one envelope line per line out, streamed; or an Arrow IPC stream of enterprises in and the bulk results out",
            "parameters": [
                {"name": "as_of", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                {"name": "detail", "in": "query", "description": "JSON lines", "schema": {"enum": ["verdicts", "summary", "full"]}},
                {"name": "all", "in": "query", "description": "JSON lines", "schema": {"type": "boolean"}},
                {"name": "limit", "in": "query", "description": "JSON lines", "schema": {"type": "integer", "minimum": 0}},
                {"name": "output", "in": "query", "description": "Arrow: the shape of the results (as bulk_arrow)", "schema": {"enum": ["pairs", "lists", "counts"]}},
                {"name": "undetermined", "in": "query", "description": "Arrow: also the undetermined pairs or lists", "schema": {"type": "boolean"}},
                {"name": "missing", "in": "query", "description": "Arrow: the fields each undetermined pair lacks", "schema": {"type": "boolean"}}
            ],
            "requestBody": {"required": true, "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}}
            }},
            "responses": {"200": {"description": "one envelope per input line (JSON lines), or the results as an Arrow IPC stream", "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}}
            }}}
        }}),
    );
    paths.insert(
        "/v1/policies/{id}/reach".into(),
        json!({"post": {
            "summary": "which enterprises of the loaded store qualify for a policy (免申即享)",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": body(&json!({"type": "object", "properties": {"as_of": {"type": "string", "format": "date"}, "list": {"type": "integer", "minimum": 0}, "offset": {"type": "integer", "minimum": 0}, "missing": {"type": "boolean"}}, "required": ["as_of"]})),
            "responses": answers(&op("reverse", "response"))
        }}),
    );
    paths.insert(
        "/v1/check".into(),
        json!({"post": {"summary": "a policy file checked in the context of the loaded set", "requestBody": body(&op("check_policy", "request")), "responses": answers(&op("check_policy", "response"))}}),
    );
    paths.insert(
        "/v1/policies".into(),
        json!({"get": {"summary": "the published policy list", "responses": answers(&op("policies", "response"))}}),
    );
    paths.insert("/v1/ruleset".into(), json!({"get": {"summary": "the revision loaded, when and from where, and the last reload error", "responses": {"200": {"description": "a success envelope"}}}}));
    let names: Vec<Value> = ops.as_object().map(|o| o.keys().map(|k| json!(k)).collect()).unwrap_or_default();
    paths.insert(
        "/v1/call/{op}".into(),
        json!({"post": {
            "summary": "any operation by name, with its request (components: each operation's request and envelope)",
            "parameters": [{"name": "op", "in": "path", "required": true, "schema": {"enum": names}}],
            "requestBody": {"content": {"application/json": {"schema": {}}}},
            "responses": {"200": {"description": "the operation's envelope"}}
        }}),
    );
    paths.insert("/health/live".into(), json!({"get": {"summary": "the process answers", "responses": {"200": {"description": "ok"}}}}));
    paths.insert("/health/ready".into(), json!({"get": {"summary": "a ruleset is loaded", "responses": {"200": {"description": "ready"}, "503": {"description": "loading"}}}}));
    paths.insert(
        "/metrics".into(),
        json!({"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format"}}}}),
    );
    Ok(json!({
        "openapi": "3.1.0",
        "info": {"title": "Huiqi decision service", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Which enterprise-support policies an enterprise qualifies for, over HTTP: the envelopes of huiqi::ops."},
        "paths": paths,
        "components": {
            "schemas": doc.get("$defs").cloned().unwrap_or(Value::Null),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "x-operations": ops,
    }))
}
