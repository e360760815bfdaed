// The package's API: errors as envelopes or HuiqiError, the editor's diagnostics, the
// schema form, the serialized set, the web build in Node, and the panic path.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { huiqi, read, enterprises, PKG, AS_OF } from "./helpers.mjs";

const engine = new huiqi.Engine();
const sample = read(enterprises()[0]);

test("match answers with the enterprise, the summary, policies and next questions", () => {
  const env = engine.matchObject(JSON.parse(sample), AS_OF);
  assert.equal(env.type, "success");
  assert.match(env.result.enterprise, /济南泉智云图/);
  const { eligible, undetermined, ineligible } = env.result.summary;
  // By default the eligible and undetermined policies are listed; `all` lists every one.
  assert.equal(eligible + undetermined, env.result.policies.length);
  assert.equal(eligible + undetermined + ineligible, engine.matchObject(sample, AS_OF, { all: true }).result.policies.length);
  assert.ok(env.result.policies.some((p) => p.id === "hitech-eit-15pct-rate" && p.verdict === "eligible"));
  assert.ok(env.result.next_questions.length > 0);
  // A profile object and its JSON text give the same bytes.
  assert.equal(engine.match(JSON.parse(sample), AS_OF), engine.match(JSON.stringify(JSON.parse(sample)), AS_OF));
  const q = JSON.parse(engine.nextQuestions(sample, AS_OF));
  assert.deepEqual(q.result, env.result.next_questions);
});

test("detail levels, limit and the verdicts-only call", () => {
  const full = engine.matchObject(sample, AS_OF).result;
  const summary = engine.matchObject(sample, AS_OF, { detail: "summary" }).result;
  assert.deepEqual(summary.policies.map((p) => p.id), full.policies.map((p) => p.id));
  assert.ok(summary.policies.every((p) => p.unmet === undefined && p.undetermined === undefined));
  assert.ok(full.policies.some((p) => p.undetermined !== undefined));
  const verdicts = JSON.parse(engine.verdicts(sample, AS_OF));
  assert.equal(verdicts.type, "success");
  assert.equal(engine.verdicts(sample, AS_OF), engine.match(sample, AS_OF, { detail: "verdicts" }));
  assert.deepEqual(verdicts.result.summary, full.summary);
  // The same policies and verdicts (listed by verdict, then in policy-set order, not by score).
  const byId = (a, b) => a.id.localeCompare(b.id);
  assert.deepEqual([...verdicts.result.policies].sort(byId), full.policies.map((p) => ({ id: p.id, verdict: p.verdict })).sort(byId));
  assert.equal(engine.matchObject(sample, AS_OF, { limit: 1 }).result.policies.length, 1);
  const bad = engine.matchObject(sample, AS_OF, { detail: "everything" });
  assert.equal(bad.type, "failure");
  assert.equal(bad.errors[0].path, "options.detail");
  const line = JSON.stringify(JSON.parse(sample));
  const lines = engine.matchLines(`${line}\n\n${line}\n`, AS_OF, { detail: "verdicts" }).trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[0], engine.verdicts(sample, AS_OF));
  assert.equal(JSON.parse(lines[1]).errors[0].line, 2);
});

test("bad input is a failure envelope, never an exception", () => {
  const cases = [
    [() => engine.match("{", AS_OF), "json"],
    [() => engine.match("[]", AS_OF), "profile"],
    [() => engine.match(sample, "2026-02-30"), "request"],
    [() => engine.match(null, AS_OF), "request"],
    [() => engine.match(sample, AS_OF, { engine: "fast" }), "request"],
    [() => engine.explain(sample, "no-such-policy", AS_OF), "unknown_policy"],
    [() => engine.explain("{\"registered_capital\": \"lots\"}", "hitech-certification", AS_OF), "profile"],
    [() => engine.nextQuestions("{", AS_OF), "json"],
    [() => huiqi.check("{"), "policy"],
    [() => huiqi.check([{ nope: 1 }]), "request"],
    [() => huiqi.schemaInfo("{}"), "schema"],
  ];
  for (const [call, kind] of cases) {
    const env = JSON.parse(call());
    assert.equal(env.type, "failure", JSON.stringify(env));
    assert.equal(env.errors[0].kind, kind, JSON.stringify(env));
  }
  const bad = JSON.parse(engine.match(JSON.stringify({ employees: { 2024: -3 } }), AS_OF));
  assert.equal(bad.errors[0].path, "$.employees.2024");
  const unknown = JSON.parse(engine.explain(sample, "hitech-certificaton", AS_OF));
  assert.match(unknown.errors[0].hint, /hitech-certification/);
});

test("a policy set that does not compile throws a HuiqiError with every problem located", () => {
  const doc = {
    policies: [
      {
        id: "p1", title: "t", issuer: "i", doc_no: "d", year: 2024, level: "national",
        condition: "注册资本 >= 500万\nand employes@fy1 >= 10", benefit: { kind: "fixed", amount: "10万" }, source: { document: "d" },
      },
    ],
  };
  // The position is the file's (one line, as JSON.stringify writes it; the condition's
  // line break is the two characters \n there): where an editor of the file goes.
  const text = JSON.stringify(doc);
  const column = [...text.slice(0, text.indexOf("employes"))].length + 1;
  assert.throws(
    () => new huiqi.Engine([{ name: "mine.json", text }]),
    (e) => {
      assert.equal(e.name, "HuiqiError");
      assert.equal(e.errors[0].origin, "mine.json");
      assert.equal(e.errors[0].policy, "p1");
      assert.equal(e.errors[0].line, 1);
      assert.equal(e.errors[0].column, column);
      assert.match(e.errors[0].hint, /employees/);
      assert.equal(JSON.parse(e.envelope).type, "failure");
      assert.match(e.message, new RegExp(`mine\\.json: p1: 1:${column}: `));
      return true;
    },
  );
  assert.throws(() => new huiqi.Engine("not json"), (e) => e.name === "HuiqiError" && e.errors[0].kind === "policy");
  assert.throws(() => new huiqi.Engine(42), (e) => e.errors[0].kind === "request");
  assert.throws(() => huiqi.Engine.fromSerialized(new TextEncoder().encode("{}")), (e) => e.errors[0].kind === "compiled" && /HUIQISET/.test(e.message));
  const check = JSON.parse(huiqi.check([{ name: "mine.json", text }]));
  assert.equal(check.type, "failure");
  assert.deepEqual([check.errors[0].line, check.errors[0].column], [1, column]);
});

test("code tables replace the bundled ones, as huiqi --codes DIR", () => {
  const policy = {
    id: "zone-test", title: "t", issuer: "i", doc_no: "d", year: 2024, level: "district",
    condition: "registered_zone under test_zone", benefit: { kind: "none", description: "t" }, source: { document: "d" },
  };
  // A platform-local zone list (synthetic, for this test only).
  const zones = { system: "zone", standard: "test zones (synthetic)", nodes: [{ code: "test_zone", name: "test zone", districts: ["370102"] }] };
  const files = [{ name: "z.json", text: JSON.stringify(policy) }];
  const codes = [{ name: "zones.json", text: JSON.stringify(zones) }];
  assert.throws(() => new huiqi.Engine(files), (e) => e.name === "HuiqiError" && /test_zone/.test(e.message));
  const engine = new huiqi.Engine(files, null, codes);
  assert.deepEqual(engine.codeTables(), codes);
  const verdicts = JSON.parse(engine.verdicts(JSON.stringify({ registered_zone: "test_zone" }), AS_OF));
  assert.deepEqual(verdicts.result.policies, [{ id: "zone-test", verdict: "eligible" }]);
  const again = huiqi.Engine.fromSerialized(engine.serialize(), null, codes);
  assert.equal(again.verdicts(JSON.stringify({ registered_zone: "test_zone" }), AS_OF), engine.verdicts(JSON.stringify({ registered_zone: "test_zone" }), AS_OF));
  assert.throws(() => new huiqi.Engine(files, null, [{ name: "industry.json", text: '{"system": "industry", "nodes": []}' }]),
    (e) => e.errors[0].kind === "codes" && /industry\.json/.test(e.message));
  assert.throws(() => new huiqi.Engine(files, null, "zones.json"), (e) => e.errors[0].kind === "request");
  engine.free();
  again.free();
});

test("the editor's diagnostics: line, column, message and hint for one condition", () => {
  const ok = JSON.parse(engine.checkCondition("注册资本 >= 500万 且 has(高新技术企业)"));
  assert.equal(ok.type, "success");
  assert.deepEqual(ok.result.names.sort(), ["注册资本"]);
  const typo = JSON.parse(engine.checkCondition("注册资本 >= 500万\nand 研发费用@fy1 >= 100万\nand employes@fy1 >= 10"));
  assert.equal(typo.type, "failure");
  assert.deepEqual([typo.errors[0].line, typo.errors[0].column], [3, 5]);
  assert.match(typo.errors[0].message, /employes/);
  assert.match(typo.errors[0].hint, /employees/);
  const unit = JSON.parse(engine.checkCondition("注册资本 >= 500"));
  assert.match(unit.errors[0].message + unit.errors[0].hint, /万/);
  const syntax = JSON.parse(engine.checkCondition("(注册资本 >= 500万"));
  assert.equal(syntax.type, "failure");
  assert.ok(syntax.errors[0].line >= 1 && syntax.errors[0].column >= 1);
  const several = JSON.parse(engine.checkCondition("注册资本 >= 50人 and foo > 1 and bar"));
  assert.ok(several.errors.length >= 3, JSON.stringify(several));
  // Definitions and other policies of the set are in scope.
  const policies = JSON.parse(engine.checkCondition("eligible(hitech-certification) and not eligible(small-low-profit-eit)"));
  assert.deepEqual(policies.result.policies, ["hitech-certification", "small-low-profit-eit"]);
  const nope = JSON.parse(engine.checkCondition("eligible(hitech-certificaton)"));
  assert.equal(nope.type, "failure");
});

test("checkPolicy checks a whole policy file against the set, replacing the policy it redefines", () => {
  const files = huiqi.bundledPolicies();
  const hitech = files.find((f) => f.name === "hitech.json");
  const ok = JSON.parse(engine.checkPolicy(hitech.text, "hitech.json"));
  assert.equal(ok.type, "success", JSON.stringify(ok));
  assert.ok(ok.result.ids.includes("hitech-certification"));
  const broken = JSON.parse(engine.checkPolicy(hitech.text.replace("is_resident_enterprise", "is_resident"), "hitech.json"));
  assert.equal(broken.type, "failure");
  assert.equal(broken.errors[0].origin, "hitech.json");
  assert.ok(broken.errors[0].line >= 1);
});

test("schemaInfo: grouped fields with Chinese labels and units, code lists", () => {
  const info = JSON.parse(huiqi.schemaInfo()).result;
  const fields = info.groups.flatMap((g) => g.fields);
  // Every schema field, in one group each; a records field carries its record's fields.
  assert.equal(fields.length, JSON.parse(read("data/schema/enterprise.json")).fields.length);
  const hires = fields.find((f) => f.name === "hires");
  assert.equal(hires.type, "records");
  assert.ok(hires.fields.some((f) => f.name === "group" && f.values.some((v) => v.code === "veteran")));
  assert.ok(info.groups.length >= 8);
  const capital = fields.find((f) => f.name === "registered_capital");
  assert.deepEqual([capital.label, capital.unit, capital.type], ["注册资本", "万元", "decimal"]);
  const credit = fields.find((f) => f.name === "tax_credit");
  assert.ok(credit.per_year && credit.values.some((v) => v.code === "A"));
  assert.ok(info.codes.find((c) => c.system === "region").codes.some((c) => c.label === "济南市"));
  assert.deepEqual(JSON.parse(engine.schema()).result, info);
});

test("serialize / fromSerialized: same answers, format checked", () => {
  const s = engine.serialize();
  assert.ok(s instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(s.subarray(0, 8)), "HUIQISET");
  const again = huiqi.Engine.fromSerialized(s);
  // A damaged set is refused with the reason, never loaded.
  const flipped = s.slice();
  flipped[s.length - 3] ^= 1;
  assert.throws(() => huiqi.Engine.fromSerialized(flipped), (e) => /checksum/.test(e.message));
  // The set saved natively by the CLI (`huiqi compile`; what the page loads) gives the same answers.
  const native = fs.readFileSync(path.join(PKG, "data", "policies.hqset"));
  const fromNative = huiqi.Engine.fromSerialized(native);
  for (const f of enterprises()) {
    assert.equal(again.match(read(f), AS_OF), engine.match(read(f), AS_OF));
    assert.equal(fromNative.match(read(f), AS_OF), engine.match(read(f), AS_OF));
  }
  again.free();
  fromNative.free();
});

test("lint, policies, stats, version, policyFiles", () => {
  assert.equal(JSON.parse(engine.lint()).type, "success");
  const policies = JSON.parse(engine.policies()).result.policies;
  assert.ok(policies.length >= 10 && policies.every((p) => p.id && p.title && p.condition));
  assert.ok(engine.stats().predicates > 0);
  assert.match(huiqi.version(), /^\d+\.\d+\.\d+/);
  assert.deepEqual(engine.policyFiles(), huiqi.bundledPolicies());
  assert.equal(engine.schemaJson(), undefined);
});

test("the web build loads in Node and gives the same bytes", async () => {
  const web = await import(path.join(PKG, "web", "huiqi_wasm.js"));
  await web.default({ module_or_path: fs.readFileSync(path.join(PKG, "web", "huiqi_wasm_bg.wasm")) });
  // The module carries no bundled data: until it is installed, the bundled defaults say so.
  assert.throws(() => new web.Engine(), (e) => e.errors[0].kind === "schema" && /no bundled data/.test(e.message));
  // With a schema given, the missing policies are named (the tables given are all there are).
  const schemaText = fs.readFileSync(path.join(PKG, "data", "schema", "enterprise.json"), "utf8");
  const allCodes = ["industry.json", "region.json", "zone.json"].map((name) => ({ name, text: fs.readFileSync(path.join(PKG, "data", "codes", name), "utf8") }));
  assert.throws(() => new web.Engine(null, schemaText, allCodes), (e) => e.errors[0].kind === "request" && /no bundled data/.test(e.message));
  assert.match(web.schemaInfo(), /no bundled data/);
  // What web/bundled.js's loadBundled() does with the files it fetches from data/.
  const data = path.join(PKG, "data");
  const index = JSON.parse(fs.readFileSync(path.join(data, "index.json"), "utf8"));
  const files = (sub, names) => names.map((name) => ({ name, text: fs.readFileSync(path.join(data, sub, name), "utf8") }));
  const n = web.installBundled(
    fs.readFileSync(path.join(data, index.set)),
    fs.readFileSync(path.join(data, index.schema), "utf8"),
    files("codes", index.codes),
    files("enterprises", index.enterprises.map((x) => x.file)),
  );
  assert.equal(n, huiqi.bundledPolicies().length);
  assert.throws(() => web.installBundled(new Uint8Array([1, 2]), "{}", [], []), (e) => e.errors[0].kind === "compiled");
  const e = new web.Engine();
  assert.equal(e.match(sample, AS_OF), engine.match(sample, AS_OF));
  assert.equal(e.checkCondition("employees >= 10"), engine.checkCondition("employees >= 10"));
  // The calculator's module has no workbench operations (the studio's and Node's have):
  // each says so, as a failure envelope, and names where they are.
  for (const [op, request] of [["lint", {}], ["test", {}], ["diff", {}]]) {
    const env = JSON.parse(e.call(op, request));
    assert.equal(env.type, "failure", op);
    assert.equal(env.errors[0].kind, "request", op);
    assert.match(env.errors[0].message, new RegExp(`^${op} is an operation of the officer's workbench: not in this build.*studio`), op);
    assert.equal(JSON.parse(engine.call(op, request)).errors?.[0]?.message?.includes("not in this build") ?? false, false, op);
  }
  assert.match(e.lint(), /not in this build/);
  assert.equal(JSON.parse(engine.lint()).type, "success");

  // Its std is built with panic=immediate-abort: a panic traps without the hook. The glue
  // logs the trap, throws it to the caller only, and gives the next call a fresh instance
  // (with the bundled data installed again, when loadBundled registered it: here by hand).
  // Built on rustup's std (no rust-src: install-wasm-toolchain), the hook logs the panic.
  web.__onFreshInstance(() =>
    web.installBundled(
      fs.readFileSync(path.join(data, index.set)),
      fs.readFileSync(path.join(data, index.schema), "utf8"),
      files("codes", index.codes),
      files("enterprises", index.enterprises.map((x) => x.file)),
    ),
  );
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args.join(" "));
  let thrown;
  try {
    web.__panicForTests();
  } catch (x) {
    thrown = x;
  } finally {
    console.error = original;
  }
  assert.ok(thrown instanceof WebAssembly.RuntimeError, String(thrown));
  const traps = fs.readFileSync(path.join(PKG, "web", "huiqi_wasm.js"), "utf8").includes("function __huiqi_catch_traps(");
  const want = traps ? /module trapped in __panicForTests/ : /deliberate panic/;
  assert.ok(logged.some((l) => want.test(l)), logged.join("\n"));
  assert.throws(() => e.match(sample, AS_OF), /stale object|previous Wasm instance/);
  e.free();
  const fresh = new web.Engine();
  assert.equal(fresh.match(sample, AS_OF), engine.match(sample, AS_OF));
  fresh.free();
});

test("verdictBytes: one byte per policy in the set's order, the verdicts envelope's answer", () => {
  const ids = JSON.parse(engine.call("policy_ids")).result;
  assert.deepEqual(ids.codes, ["ineligible", "eligible", "undetermined", "not_in_force"]);
  for (const f of enterprises()) {
    for (const asOf of [AS_OF, "2019-01-01"]) {
      const bytes = engine.verdictBytes(read(f), asOf);
      assert.ok(bytes instanceof Uint8Array && bytes.length === ids.ids.length, f);
      const v = JSON.parse(engine.verdicts(read(f), asOf)).result;
      const listed = Object.fromEntries(v.policies.map((p) => [p.id, p.verdict]));
      const codes = [...bytes].map((b) => ids.codes[b]);
      assert.deepEqual(Object.fromEntries(ids.ids.map((id, i) => [id, codes[i]]).filter(([, c]) => c === "eligible" || c === "undetermined")), listed, f);
      assert.equal(codes.filter((c) => c === "not_in_force").length, v.summary.not_in_force, f);
    }
  }
  const bad = engine.verdictBytes({ employees: "many" }, AS_OF);
  assert.equal(typeof bad, "string");
  assert.equal(JSON.parse(bad).errors[0].kind, "profile");
});

test("loadBundled: a missing data folder is an error naming the file", () => {
  assert.throws(() => huiqi.loadBundled("/nonexistent-huiqi-data"), /\/nonexistent-huiqi-data\/index\.json/);
  assert.ok(huiqi.loadBundled() >= 10, "the package's own data/ loads");
});

test("a panic is logged, throws only to its caller, and the module goes on", () => {
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args.join(" "));
  let thrown;
  try {
    huiqi.__panicForTests();
  } catch (e) {
    thrown = e;
  } finally {
    console.error = original;
  }
  assert.ok(thrown instanceof WebAssembly.RuntimeError, String(thrown));
  assert.ok(logged.some((l) => l.includes("deliberate panic")), logged.join("\n"));
  // The module is instantiated afresh: engines from before are refused with a clear error,
  // new ones work.
  assert.throws(() => engine.match(sample, AS_OF), /stale object|previous Wasm instance/);
  engine.free(); // forgets the stale pointer; frees nothing in the new instance
  // The fresh instance has the bundled data again (node/index.js installs it on each one).
  const fresh = new huiqi.Engine();
  const other = new huiqi.Engine();
  assert.equal(fresh.policyFiles().length, huiqi.bundledPolicies().length);
  assert.ok(huiqi.bundledPolicies().length >= 10);
  assert.equal(JSON.parse(fresh.match(sample, AS_OF)).type, "success");
  assert.equal(fresh.match(sample, AS_OF), other.match(sample, AS_OF));
  fresh.free();
  other.free();
});
