// Benchmark: the WASM build in Node against native code on the same data.
//
//   node bench/bench.mjs [--counts bundled,1000,10000] [--profiles 50] [--repeat 3] [--json FILE]
//                        [--module node|web|studio|DIR]
//
// --module: which build runs the WASM side: Node's (default; built for speed), the
// calculator's (`web`) or the studio's, or a directory holding another web build
// (huiqi_wasm.js and huiqi_wasm_bg.wasm, e.g. an older one to compare); the web builds get
// the package's data/ installed as web/bundled.js would.
//
// "bundled" is the real policies the package ships with (what the demo page loads). For each
// policy count N: `huiqi gen policies --count N --seed 1` and `huiqi gen
// enterprises --count P --seed 7`, then, through WASM and natively (target/release/
// huiqi-wasm-bench, the same Rust calls), best of `repeat` passes after a warm-up pass:
//   start-up   engine from the policy texts / from the saved set (files + syntax trees)
//   match      the default match envelope per profile (eligible and undetermined policies in full)
//   verdicts   the verdicts-only envelope per profile (`verdicts`: ids and verdicts)
//   summary    the verdict counts per profile through the policy index only
// Needs wasm/build.sh and `cargo build --release -p huiqi-cli -p huiqi-wasm --bins`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { huiqi, cli, ROOT, PKG, AS_OF } from "../test/helpers.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const counts = opt("counts", "bundled,1000,10000").split(",").map((c) => (c === "bundled" ? c : Number(c)));
const nProfiles = Number(opt("profiles", "50"));
const repeat = Number(opt("repeat", "3"));
const out = opt("json", null);
const NATIVE = path.join(ROOT, "target", "release", "huiqi-wasm-bench");
const moduleName = opt("module", "node");
const wasmApi = moduleName === "node" ? huiqi : await webModule(["web", "studio"].includes(moduleName) ? path.join(PKG, moduleName) : path.resolve(moduleName));

/** A web build, instantiated in Node with the package's bundled data installed. */
async function webModule(dir) {
  const m = await import(path.join(dir, "huiqi_wasm.js"));
  await m.default({ module_or_path: fs.readFileSync(path.join(dir, "huiqi_wasm_bg.wasm")) });
  const data = path.join(PKG, "data");
  const index = JSON.parse(fs.readFileSync(path.join(data, "index.json"), "utf8"));
  const files = (sub, names) => names.map((name) => ({ name, text: fs.readFileSync(path.join(data, sub, name), "utf8") }));
  m.installBundled(
    fs.readFileSync(path.join(data, index.set)),
    fs.readFileSync(path.join(data, index.schema), "utf8"),
    files("codes", index.codes),
    files("enterprises", index.enterprises.map((x) => x.file)),
  );
  return m;
}

function best(fn) {
  fn(); // warm-up (JIT tiers, caches), not counted
  let b = Infinity;
  for (let i = 0; i < repeat; i++) b = Math.min(b, fn());
  return b;
}

function wasmSide(policiesFile, profiles) {
  const files = policiesFile === "bundled" ? wasmApi.bundledPolicies() : [{ name: path.basename(policiesFile), text: fs.readFileSync(policiesFile, "utf8") }];
  const startupText = best(() => {
    const t = performance.now();
    const e = new wasmApi.Engine(files);
    const d = performance.now() - t;
    e.free();
    return d;
  });
  const engine = new wasmApi.Engine(files);
  const serialized = engine.serialize();
  const startupSerialized = best(() => {
    const t = performance.now();
    const e = wasmApi.Engine.fromSerialized(serialized);
    const d = performance.now() - t;
    e.free();
    return d;
  });
  let bytes = 0;
  const matchMs = best(() => {
    const t = performance.now();
    bytes = 0;
    for (const p of profiles) bytes += engine.match(p, AS_OF).length;
    return (performance.now() - t) / profiles.length;
  });
  const verdictsMs = best(() => {
    const t = performance.now();
    for (const p of profiles) engine.verdicts(p, AS_OF);
    return (performance.now() - t) / profiles.length;
  });
  const summaryMs = best(() => {
    const t = performance.now();
    for (const p of profiles) engine.summary(p, AS_OF);
    return (performance.now() - t) / profiles.length;
  });
  // The same answers as native: the first profile's envelope is compared by the caller.
  const first = engine.match(profiles[0], AS_OF);
  engine.free();
  return { startup_text_ms: startupText, startup_serialized_ms: startupSerialized, match_ms: matchMs, verdicts_ms: verdictsMs, summary_ms: summaryMs, serialized_bytes: serialized.length, first };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "huiqi-wasm-bench-"));
const rows = [];
try {
  const entsFile = path.join(tmp, "enterprises.jsonl");
  fs.writeFileSync(entsFile, cli("gen", "enterprises", "--count", String(nProfiles), "--seed", "7"));
  const profiles = fs.readFileSync(entsFile, "utf8").split("\n").filter((l) => l.trim());
  for (const n of counts) {
    let polFile = "bundled";
    if (n !== "bundled") {
      polFile = path.join(tmp, `policies-${n}.jsonl`);
      fs.writeFileSync(polFile, cli("gen", "policies", "--count", String(n), "--seed", "1"));
    }
    const native = JSON.parse(execFileSync(NATIVE, [polFile, entsFile, AS_OF, String(repeat)], { encoding: "utf8" }));
    const wasm = wasmSide(polFile, profiles);
    const cliFirst = execFileSync(path.join(ROOT, "target", "release", "huiqi"), ["match", "--profiles", entsFile, ...(n === "bundled" ? [] : ["--policies", polFile]), "--as-of", AS_OF, "--json"], { encoding: "utf8", maxBuffer: 1 << 30 }).split("\n")[0];
    if (cliFirst !== wasm.first) throw new Error(`WASM and native answers differ at ${n} policies`);
    rows.push({ policies: n === "bundled" ? `bundled (${native.policies})` : n, profiles: profiles.length, native, wasm: { ...wasm, first: undefined } });
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));
console.log(`WASM (module ${moduleName}, Node ${process.version}) vs native, best of ${repeat}; ms; ratio = WASM / native`);
console.log("  policies  what                               native       wasm   ratio");
for (const r of rows) {
  for (const [k, label] of [
    ["startup_text_ms", "start-up from texts"],
    ["startup_serialized_ms", "start-up from saved set"],
    ["match_ms", "match (default envelope)/profile"],
    ["verdicts_ms", "verdicts envelope/profile"],
    ["summary_ms", "summary (index)/profile"],
  ]) {
    console.log(`${String(r.policies).padStart(12)}  ${label.padEnd(30)} ${f(r.native[k]).padStart(10)} ${f(r.wasm[k]).padStart(10)} ${(r.wasm[k] / r.native[k]).toFixed(2).padStart(6)}×`);
  }
  console.log(`${String(r.policies).padStart(12)}  serialized set ${r.wasm.serialized_bytes} bytes; match envelope ${(r.native.match_bytes / r.profiles / 1024).toFixed(0)} KiB per profile`);
}
if (out) fs.writeFileSync(out, JSON.stringify(rows, null, 1));
