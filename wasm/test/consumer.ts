// A small TypeScript consumer of the package: `tsc --noEmit -p wasm/test` checks that the
// declarations wasm-bindgen generates and the hand-written envelope types (wasm/types/
// envelopes.d.ts, appended to them) describe every export and answer.
import init, * as web from "../pkg/huiqi/web/huiqi_wasm.js";
import type {
  CheckSummary, ConditionCheck, Envelope, EnvelopeJson, ErrorItem, ExplainResult, Explanation, HuiqiError, LintResult,
  MatchOptions, MatchResult, NextQuestion, PolicyFile, PolicyList, PolicyOutcome, SchemaInfo, Verdict,
} from "../pkg/huiqi/web/huiqi_wasm.js";
import * as node from "../pkg/huiqi/node/index.js";
import { loadBundled, type Bundled } from "../pkg/huiqi/web/bundled.js";

function parse<T>(json: EnvelopeJson<T>): Envelope<T> {
  return JSON.parse(json) as Envelope<T>;
}

function errors(e: Envelope<unknown>): ErrorItem[] {
  return e.type === "failure" ? e.errors : [];
}

function walk(e: Explanation, depth = 0): string[] {
  return [`${"  ".repeat(depth)}${e.status} ${e.message_zh}`, ...(e.children ?? []).flatMap((c) => walk(c, depth + 1))];
}

export async function demo(wasm: Uint8Array): Promise<string[]> {
  await init({ module_or_path: wasm });
  const bundled: Bundled = await loadBundled("/data/");
  const out: string[] = [web.version(), String(bundled.policies), String(node.loadBundled())];
  const files: PolicyFile[] = web.bundledPolicies();
  let engine: web.Engine;
  try {
    engine = new web.Engine(files);
  } catch (e) {
    const err = e as HuiqiError;
    return err.errors.map((x) => `${x.origin ?? ""}:${x.line ?? 0}:${x.column ?? 0} ${x.message}`);
  }
  const profile = { name: "某公司", registered_capital: 800, employees: { "2025": 12 } };
  const options: MatchOptions = { engine: "reference", tags: ["科创"], recommend_undetermined: true };
  const m: Envelope<MatchResult> = parse(engine.match(profile, "2026-06-30", options));
  if (m.type === "success") {
    const { eligible, undetermined, ineligible } = m.result.summary;
    out.push(`${eligible}/${undetermined}/${ineligible}`, m.result.recommended.total_yuan);
    const first: PolicyOutcome | undefined = m.result.policies[0];
    const verdict: Verdict | undefined = first?.verdict;
    out.push(verdict ?? "none", first?.benefit.display ?? "", ...(first?.missing_fields ?? []).map((f) => f.label));
    const q: NextQuestion[] = m.result.next_questions;
    out.push(...q.map((x) => `${x.label} ${x.decides} ${x.benefit_yuan}`));
  }
  const obj: Envelope<MatchResult> = engine.matchObject(JSON.stringify(profile), "2026-06-30");
  out.push(...errors(obj).map((e) => e.message));
  const x: Envelope<ExplainResult> = engine.explainObject(profile, "hitech-certification", "2026-06-30");
  if (x.type === "success") out.push(...walk(x.result.explanation), x.result.condition, x.result.policy.score);
  const nq: Envelope<NextQuestion[]> = parse(engine.nextQuestions(profile, "2026-06-30"));
  const cond: Envelope<ConditionCheck> = parse(engine.checkCondition("注册资本 >= 500万"));
  if (cond.type === "success") out.push(cond.result.canonical, ...cond.result.names, ...cond.result.policies);
  const pol: Envelope<CheckSummary> = parse(engine.checkPolicy(files[0]?.text ?? "{}", "edited.json"));
  const lint: Envelope<LintResult> = parse(engine.lint());
  const policies: Envelope<PolicyList> = parse(engine.policies());
  const schema: Envelope<SchemaInfo> = parse(engine.schema());
  if (schema.type === "success") {
    for (const g of schema.result.groups) out.push(g.label, ...g.fields.map((f) => `${f.label}${f.unit ? `（${f.unit}）` : ""}`));
  }
  const lines: string = engine.matchLines(JSON.stringify(profile) + "\n", "2026-06-30");
  const saved: Uint8Array = engine.serialize();
  const again = web.Engine.fromSerialized(saved, engine.schemaJson() ?? null);
  const stats: Record<string, number> = again.stats();
  out.push(lines, String(stats["predicates"]), ...errors(nq).map((e) => e.kind), ...errors(pol).map((e) => e.kind));
  out.push(String(errors(lint).length + errors(policies).length), parse(web.check(files)).type, parse(web.schemaInfo()).type);
  again.free();
  engine.free();
  // The Node build has the same API.
  const n = new node.Engine();
  const nm: Envelope<MatchResult> = n.matchObject(profile, "2026-06-30");
  out.push(nm.type);
  n.free();
  return out;
}
