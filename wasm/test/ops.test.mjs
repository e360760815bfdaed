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
