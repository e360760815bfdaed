// The operation layer's conformance cases (data/cases/ops/cases.json) through
// `Engine.call`: byte for byte the envelopes recorded in data/cases/ops/expected/, which
// the Rust core, the CLI (`huiqi call`), C and Python are checked against too. The
// operations on stores are not in the browser build; their cases are skipped here.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { huiqi, ROOT } from "./helpers.mjs";

const dir = path.join(ROOT, "data", "cases", "ops");
const cases = JSON.parse(fs.readFileSync(path.join(dir, "cases.json"), "utf8"));
const engine = new huiqi.Engine();

for (const c of cases.filter((c) => !c.store)) {
  test(`ops case ${c.name}`, () => {
    const want = fs.readFileSync(path.join(dir, "expected", `${c.name}.json`), "utf8").replace(/\n$/, "");
    assert.equal(engine.call(c.op, JSON.stringify(c.request)), want);
  });
}

test("call takes an object as well as JSON text; the store operations are not in this build", () => {
  const text = engine.call("schema", "{}");
  assert.equal(engine.call("schema", {}), text);
  assert.equal(engine.call("schema"), text);
  const env = JSON.parse(engine.call("bulk_counts", { as_of: "2026-06-30" }));
  assert.equal(env.type, "failure");
  // The browser build has no stores: the operation says so.
  assert.equal(env.errors[0].kind, "request");
  assert.match(env.errors[0].message, /store/);
});

// The generated schema (docs/operations.schema.json, from the Rust types) describes what
// the operations read and write: every case's request and recorded envelope validate
// against it, store operations included, so the schema cannot promise a shape the engine
// does not give.
test("every case's request and recorded envelope validate against docs/operations.schema.json", async () => {
  const { default: Ajv2020 } = await import("ajv/dist/2020.js");
  const { default: addFormats } = await import("ajv-formats");
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, "docs", "operations.schema.json"), "utf8"));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // schemars names the Rust integer type of a number (`uint64`): a note, not a constraint.
  for (const f of ["uint", "uint8", "uint16", "uint32", "uint64", "int", "int8", "int16", "int32", "int64", "float", "double"]) {
    ajv.addFormat(f, { type: "number", validate: () => true });
  }
  ajv.addSchema({ ...doc, $id: "huiqi:operations" });
  let checked = 0;
  for (const c of cases) {
    const op = doc.operations[c.op];
    const envelope = JSON.parse(fs.readFileSync(path.join(dir, "expected", `${c.name}.json`), "utf8"));
    if (!op) {
      // An operation that does not exist: refused as a request error, with no schema to fit.
      assert.equal(envelope.type, "failure", c.name);
      assert.equal(envelope.errors[0].kind, "request", c.name);
      checked++;
      continue;
    }
    const validResponse = ajv.validate({ $ref: `huiqi:operations${op.response.$ref}` }, envelope);
    assert.ok(validResponse, `${c.name}: envelope does not match ${op.response.$ref}: ${ajv.errorsText()}`);
    // A case whose request is refused on purpose (kind request or json) need not fit.
    if (envelope.type === "success") {
      const validRequest = ajv.validate({ $ref: `huiqi:operations${op.request.$ref}` }, c.request);
      assert.ok(validRequest, `${c.name}: request does not match ${op.request.$ref}: ${ajv.errorsText()}`);
    }
    checked++;
  }
  assert.equal(checked, cases.length);
});
