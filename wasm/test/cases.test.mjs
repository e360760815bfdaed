// The shared conformance cases (data/cases/*.toml) through the WASM build (and, last, the
// test cases kept beside the bundled policies through the `test` operation), with the
// semantics of the native runner (core/tests/cases.rs): an engine of the bundled policies
// plus the case's inline policy, `explain` on the case's date, then the verdict, message
// fragments, missing fields, benefit and score; and the index and the reference evaluator
// must give `match` the same verdict.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { huiqi, ROOT, read } from "./helpers.mjs";

const dir = path.join(ROOT, "data", "cases");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".toml")).sort();
const bundled = huiqi.bundledPolicies();
const bundledEngine = new huiqi.Engine();
const filter = process.env.CASE;

function messages(e, out) {
  out.push(e.message_zh, e.message_en);
  for (const c of e.children ?? []) messages(c, out);
  return out;
}

function profileJson(c) {
  if (c.profile !== undefined && c.profile_file !== undefined) throw new Error("give exactly one of profile, profile_file");
  if (typeof c.profile === "string") return JSON.stringify(JSON.parse(c.profile));
  if (c.profile !== undefined) return JSON.stringify(c.profile);
  if (c.profile_file !== undefined) return JSON.stringify(JSON.parse(read(c.profile_file)));
  throw new Error("give exactly one of profile, profile_file");
}

function runCase(c) {
  const profile = profileJson(c);
  let engine = bundledEngine;
  let policyId = c.policy;
  if (c.condition !== undefined) {
    if (c.policy !== undefined) throw new Error("give exactly one of policy, condition");
    const doc = {
      definitions: c.definitions ?? {},
      policies: [
        {
          id: "case", title: c.name, issuer: "test", doc_no: "test", year: 2024, level: "national",
          condition: c.condition, benefit: c.benefit ?? { kind: "none", description: "test" }, source: { document: "test case" },
        },
      ],
    };
    engine = new huiqi.Engine([...bundled, { name: "case.json", text: JSON.stringify(doc) }]);
    policyId = "case";
  }
  const asOf = c.as_of ?? "2026-06-30";
  try {
    const env = engine.explainObject(profile, policyId, asOf);
    assert.equal(env.type, "success", JSON.stringify(env));
    const r = env.result;
    const problems = [];
    if (r.policy.verdict !== c.verdict) problems.push(`verdict ${r.policy.verdict} (expected ${c.verdict})`);
    for (const how of ["index", "reference"]) {
      const m = engine.matchObject(profile, asOf, { engine: how, all: true });
      assert.equal(m.type, "success");
      const p = m.result.policies.find((x) => x.id === policyId);
      if (p && p.verdict !== r.policy.verdict) problems.push(`match (${how}) says ${p.verdict}, explain ${r.policy.verdict}`);
    }
    const all = messages(r.explanation, []);
    for (const m of c.messages ?? []) {
      if (!all.some((x) => x.includes(m))) problems.push(`no message contains ${JSON.stringify(m)}; messages:\n      ${all.join("\n      ")}`);
    }
    if (c.missing !== undefined) {
      const got = (r.policy.missing_fields ?? []).map((f) => f.name).sort();
      const want = [...c.missing].sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`missing fields ${JSON.stringify(got)} (expected ${JSON.stringify(want)})`);
    }
    if (c.benefit_yuan !== undefined && r.policy.benefit.amount_yuan !== c.benefit_yuan) {
      problems.push(`benefit ${r.policy.benefit.amount_yuan} (expected ${c.benefit_yuan})`);
    }
    if (c.score !== undefined && r.policy.score !== c.score) problems.push(`score ${r.policy.score} (expected ${c.score})`);
    return problems;
  } finally {
    if (engine !== bundledEngine) engine.free();
  }
}

let count = 0;
for (const f of files) {
  const parsed = parseToml(fs.readFileSync(path.join(dir, f), "utf8"));
  for (const c of parsed.case) {
    if (filter && !c.name.includes(filter)) continue;
    count++;
    test(`${f} :: ${c.name}`, () => {
      const problems = runCase(c);
      assert.deepEqual(problems, [], problems.join("\n"));
    });
  }
}

// The counts of core/tests/oracle/cases.rs: a case that disappears fails the run.
const MIN_TOML_CASES = 295;
const MIN_POLICY_CASES = 267;

test("every conformance case ran", () => {
  assert.ok(filter || count >= MIN_TOML_CASES, `expected at least ${MIN_TOML_CASES} cases, found ${count}`);
});

// The test cases kept beside the bundled policies, through the `test` operation: every one
// passes (a case marked known_issue is a known disagreement, counted apart), none is lost.
test("every bundled policy test passes", () => {
  const env = JSON.parse(bundledEngine.call("test", "{}"));
  assert.equal(env.type, "success", JSON.stringify(env.errors));
  const r = env.result;
  const failed = r.policies.flatMap((p) => p.results.filter((c) => c.status === "failed").map((c) => `${p.policy} :: ${c.name}: ${JSON.stringify(c)}`));
  assert.deepEqual(failed, []);
  assert.ok(r.cases >= MIN_POLICY_CASES, `expected at least ${MIN_POLICY_CASES} policy test cases, found ${r.cases}`);
  assert.equal(r.cases, r.passed + r.known_issues);
  assert.equal(r.known_issues_passing, 0);
});
