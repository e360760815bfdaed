//! `huiqi schema`: print the fields of the enterprise profile schema, as a table or JSON.

use std::io::Write;
use std::process::ExitCode;

use crate::args::SchemaArgs;
use crate::common::{load_schema, Fail};

pub(crate) fn run(mut out: impl Write, args: SchemaArgs) -> Result<ExitCode, Fail> {
    let SchemaArgs { json, schema } = args;
    let schema = load_schema(schema.as_deref())?;
    if json {
        // The `schema` operation's envelope: fields in groups with types, units, enum values
        // and record fields; qualification codes; derived fields; code lists.
        writeln!(out, "{}", huiqi::ops::success(huiqi::ops::schema_info::schema_info(&schema)))?;
    } else {
        writeln!(out, "schema {} — {} fields\n", schema.version, schema.fields.len())?;
        for f in &schema.fields {
            writeln!(out, "{:<32} {:<14} {:<28} {}", f.name, f.label, f.type_description(&schema), f.description)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
