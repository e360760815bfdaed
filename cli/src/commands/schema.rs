//! `huiqi schema`: print the fields of the enterprise profile schema, as a table or JSON.

use std::io::Write;
use std::process::ExitCode;

use crate::args::SchemaArgs;
use crate::common::{load_schema, Fail};

pub(crate) fn run(mut out: impl Write, args: SchemaArgs) -> Result<ExitCode, Fail> {
    let SchemaArgs { json, schema } = args;
    let schema = load_schema(schema.as_deref())?;
    if json {
        let fields: Vec<_> = schema
                .fields
                .iter()
                .map(|f| serde_json::json!({"name": f.name, "label": f.label, "type": f.type_description(&schema), "per_year": f.per_year, "description": f.description}))
                .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({"version": schema.version, "fields": fields}))?)?;
    } else {
        writeln!(out, "schema {} — {} fields\n", schema.version, schema.fields.len())?;
        for f in &schema.fields {
            writeln!(out, "{:<32} {:<14} {:<28} {}", f.name, f.label, f.type_description(&schema), f.description)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
