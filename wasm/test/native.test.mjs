// The WASM build gives the native CLI's answers byte for byte: `match --json` and
// `explain --json` on every sample enterprise, `--profiles` JSON lines, both evaluation
// paths, and a generated policy set.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { huiqi, cli, cliFailing, read, enterprises, AS_OF } from "./helpers.mjs";

const engine = new huiqi.Engine();
const samples = enterprises();

for (const f of samples) {
  test(`match --json ${path.basename(f)}`, () => {
    for (const how of ["index", "reference"]) {
      const native = cli("match", "--profile", f, "--as-of", AS_OF, "--json", "--engine", how);
      assert.equal(engine.match(read(f), AS_OF, { engine: how }) + "\n", native);
    }
  });
}

test("match --json with a tag filter and undetermined recommendations", () => {
  const f = samples[0];
  const native = cli("match", "--profile", f, "--as-of", AS_OF, "--json", "--tag", "科创", "--recommend-undetermined");
  assert.equal(engine.match(read(f), AS_OF, { tags: ["科创"], recommendUndetermined: true }) + "\n", native);
});

test("explain --json: every bundled policy on three enterprises", () => {
  const ids = JSON.parse(engine.policies()).result.policies.map((p) => p.id);
  assert.ok(ids.length >= 10);
  for (const f of samples.slice(0, 3)) {
    for (const id of ids) {
      const native = cli("explain", "--profile", f, "--policy", id, "--as-of", AS_OF, "--json");
      assert.equal(engine.explain(read(f), id, AS_OF) + "\n", native, `${f} ${id}`);
    }
  }
});

test("failure envelopes equal the CLI's: unknown policy, bad profile", () => {
  const f = samples[0];
  const unknown = cliFailing("explain", "--profile", f, "--policy", "hitech-certificaton", "--as-of", AS_OF, "--json");
  assert.equal(engine.explain(read(f), "hitech-certificaton", AS_OF) + "\n", unknown);
  assert.match(unknown, /did you mean/);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huiqi-wasm-"));
  try {
    const bad = path.join(tmp, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ registered_capital: "五百万", employees: { 2024: -3 }, industry: "Z99" }));
    const native = cliFailing("match", "--profile", bad, "--as-of", AS_OF, "--json");
    const wasm = engine.match(fs.readFileSync(bad, "utf8"), AS_OF);
    assert.equal(wasm + "\n", native);
    assert.equal(JSON.parse(wasm).type, "failure");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("match --profiles (JSON lines) on generated enterprises and 1000 generated policies", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huiqi-wasm-"));
  try {
    const ents = path.join(tmp, "e.jsonl");
    const pols = path.join(tmp, "p.jsonl");
    fs.writeFileSync(ents, cli("gen", "enterprises", "--count", "40", "--seed", "5"));
    fs.writeFileSync(pols, cli("gen", "policies", "--count", "1000", "--seed", "1"));
    const jsonl = fs.readFileSync(ents, "utf8");
    assert.equal(engine.matchLines(jsonl, AS_OF), cli("match", "--profiles", ents, "--as-of", AS_OF, "--json"));
    const gen = new huiqi.Engine([{ name: "p.jsonl", text: fs.readFileSync(pols, "utf8") }]);
    try {
      assert.equal(gen.matchLines(jsonl, AS_OF), cli("match", "--profiles", ents, "--policies", pols, "--as-of", AS_OF, "--json"));
      // The saved set (files + syntax trees) gives the same answers.
      const again = huiqi.Engine.fromSerialized(gen.serialize());
      try {
        assert.equal(again.matchLines(jsonl, AS_OF), gen.matchLines(jsonl, AS_OF));
      } finally {
        again.free();
      }
    } finally {
      gen.free();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
