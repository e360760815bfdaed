//! The JSON Schema of every operation: its request and its envelope, generated from the
//! Rust types (schemars) so it cannot drift from what [`call`](super::call) reads and
//! writes.
//!
//! [`document`] is one JSON Schema 2020-12 document: `operations.<name>.request` and
//! `operations.<name>.response` point into `$defs`, where every type is defined once. It
//! is checked in as `docs/operations.schema.json` (`huiqi call --json-schema` prints it; the
//! CLI's tests fail when it differs), the npm package's TypeScript types are generated
//! from it (`wasm/types/operations.d.ts`), the recorded envelopes of the conformance
//! cases are validated against it, and the HTTP service's OpenAPI description reuses it.
//!
//! Requests are described as they are read (the `deserialize` contract: a key with a
//! default is optional; unknown keys are refused) and responses as they are written (the
//! `serialize` contract: a key left out when empty is optional; no key beyond those
//! described). The two sets of definitions are merged; a type that
//! would read differently in the two is named once per contract (`…Request` types are
//! read only, so this does not happen today, and the merge refuses it if it ever does).

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::answers::{Calendar, CalendarRequest, ExplainRequest, MatchManyRequest, MatchRequest, PolicyIds, ProfileRequest};
use super::authoring::{
    ConditionCheck, ConditionRequest, FieldsRead, LintRequest, LintResult, PoliciesRequest, PolicyFileRequest, PolicyList,
};
use super::build::{CheckSummary, EngineSpec};
use super::diff::DiffRequest;
use super::error::Envelope;
use super::schema_info::SchemaInfo;
use super::stores::{DateRequest, PolicyCount, PrepareResult, ReverseRequest, ReverseResult, StoreSummary, WhatIfRequest, WhatIfResult};
use super::testing::{TestReport, TestRequest};
use super::{Empty, OPERATIONS};
use crate::engine::{Answer, ExplainOutcome};
use crate::outcome::{NextQuestion, Summary};

/// An error of the generation: a name defined twice with different schemas, or an
/// operation of [`OPERATIONS`] this module does not describe.
#[derive(Debug, thiserror::Error)]
#[error("operation schemas: {0}")]
pub struct SchemaError(String);

/// Both generators and the operations described so far.
struct Described {
    read: SchemaGenerator,
    written: SchemaGenerator,
    operations: Map<String, Value>,
}

impl Described {
    fn new() -> Described {
        Described {
            read: SchemaSettings::draft2020_12().for_deserialize().into_generator(),
            written: SchemaSettings::draft2020_12().for_serialize().into_generator(),
            operations: Map::new(),
        }
    }

    /// Operation `name` reads a `Req` and answers an envelope of `Res`.
    fn op<Req: JsonSchema, Res: JsonSchema>(&mut self, name: &str) {
        let request = self.read.subschema_for::<Req>();
        let response = self.written.subschema_for::<Envelope<Res>>();
        self.operations.insert(name.to_string(), json!({"request": request, "response": response}));
    }
}

/// The JSON Schema document of every operation (see the module doc).
pub fn document() -> Result<Value, SchemaError> {
    let mut d = Described::new();
    d.op::<MatchRequest, Answer<'static>>("match");
    d.op::<ProfileRequest, Answer<'static>>("verdicts");
    d.op::<ProfileRequest, Summary>("summary");
    d.op::<ProfileRequest, Vec<NextQuestion>>("next_questions");
    d.op::<ExplainRequest, ExplainOutcome>("explain");
    d.op::<CalendarRequest, Calendar>("calendar");
    d.op::<MatchManyRequest, Vec<Envelope<Answer<'static>>>>("match_many");
    d.op::<ConditionRequest, ConditionCheck>("check_condition");
    d.op::<PolicyFileRequest, CheckSummary>("check_policy");
    d.op::<EngineSpec, CheckSummary>("check");
    d.op::<LintRequest, LintResult>("lint");
    d.op::<PoliciesRequest, PolicyList>("policies");
    d.op::<Empty, SchemaInfo>("schema");
    d.op::<Empty, FieldsRead>("fields_read");
    d.op::<Empty, PolicyIds>("policy_ids");
    d.op::<Empty, StoreSummary>("store_info");
    d.op::<DateRequest, PrepareResult>("prepare");
    d.op::<ReverseRequest, ReverseResult>("reverse");
    d.op::<DateRequest, Vec<PolicyCount>>("bulk_counts");
    d.op::<WhatIfRequest, WhatIfResult>("what_if");
    d.op::<TestRequest, TestReport>("test");
    d.op::<DiffRequest, crate::diff::SetDiff>("diff");
    for o in OPERATIONS {
        if !d.operations.contains_key(o.name) {
            return Err(SchemaError(format!("operation {:?} has no schema", o.name)));
        }
    }
    if d.operations.len() != OPERATIONS.len() {
        return Err(SchemaError("a schema is described for an operation that call() does not answer".into()));
    }
    let mut defs = d.read.take_definitions(true);
    for (name, mut schema) in d.written.take_definitions(true) {
        match defs.get(&name) {
            Some(same) if *same == schema => {}
            Some(_) => return Err(SchemaError(format!("{name} reads differently from how it is written; name the two apart"))),
            None => {
                closed(&mut schema);
                defs.insert(name, schema);
            }
        }
    }
    let operations: Map<String, Value> = OPERATIONS
        .iter()
        .filter_map(|o| {
            let mut entry = d.operations.get(o.name)?.clone();
            if let Some(m) = entry.as_object_mut() {
                m.insert("summary".into(), json!(o.summary));
                m.insert("store".into(), json!(format!("{:?}", o.store).to_lowercase()));
            }
            Some((o.name.to_string(), entry))
        })
        .collect();
    Ok(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Huiqi operations",
        "description": "Every operation of huiqi::ops::call: its request (read) and its envelope (written). Generated from the Rust types by `huiqi call --json-schema`; do not edit.",
        "operations": operations,
        "$defs": defs,
    }))
}

/// Marks every object schema with properties in `v` as closed (`additionalProperties:
/// false`): what the engine writes has exactly the keys described, so a key added without
/// a type (or a type whose keys the engine does not write) fails the conformance check.
fn closed(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(closed);
        }
        Value::Array(xs) => xs.iter_mut().for_each(closed),
        _ => {}
    }
}
