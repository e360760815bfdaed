// 政策工作台: the policy studio. An officer edits one policy file of the bundled set and, on
// every edit, sees the engine's own check as lint markers, the file's test cases run on a
// set with the draft in it, and the focused policy's reach over a store of enterprises
// against the published version (`what_if`); the compare view shows both texts side by
// side (@codemirror/merge) with the differences in words and who gains and loses (`diff`).
// Everything runs in the page over the studio's WASM module (the engine with stores).
// Bundled by wasm/build.sh (esbuild) into www/studio.js.
import init, { Engine, Store, bundledPolicies, schemaInfo, version } from "./studio-pkg/huiqi_wasm.js";
import { loadBundled } from "./studio-pkg/bundled.js";
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { json } from "@codemirror/lang-json";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { MergeView } from "@codemirror/merge";
import { conditionHighlight, conditionCompletion, vocabularyOf } from "./condition.js";

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
const VERDICT_ZH = { eligible: "符合", undetermined: "待确定", ineligible: "不符合" };
const STATUS_ZH = { passed: "通过", failed: "未通过", known_issue: "已知问题" };

const state = {
  files: [], // the published files: {name, text}
  published: null, // Engine of the published set (the saved bundled set)
  draftEngine: null, // Engine of the set with the draft file in place (when it checks)
  store: null,
  storeLabel: "",
  fileName: "",
  samples: {}, // "../enterprises/NAME.json" -> text: the files bundled test cases name
  view: null,
  merge: null,
  timer: null,
  lastCheck: null, // the parsed draft when it checks
  definitions: new Set(),
};

const asOf = () => $("#as-of").value;
const publishedText = () => state.files.find((f) => f.name === state.fileName)?.text ?? "";
const draftText = () => state.view.state.doc.toString();
const draftFiles = () => state.files.map((f) => (f.name === state.fileName ? { name: f.name, text: draftText() } : f));

function envelope(text) {
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------
// The check: the engine's diagnostics, placed at their line and column.
function diagnosticsOf(errors, doc) {
  return errors.map((e) => {
    let from = 0;
    let to = doc.length;
    if (e.line && e.line <= doc.lines) {
      const line = doc.line(e.line);
      from = Math.min(line.from + Math.max(0, (e.column ?? 1) - 1), line.to);
      const rest = doc.sliceString(from, line.to);
      const word = /^[\w\u4e00-\u9fff@.-]+/.exec(rest);
      to = word ? from + word[0].length : Math.min(from + 1, line.to);
    } else {
      to = Math.min(doc.length, 1);
    }
    const message = [e.policy ? `${e.policy}: ` : "", e.message, e.hint ? `\n提示：${e.hint}` : ""].join("");
    return { from, to, severity: "error", message, source: e.kind };
  });
}

function check() {
  const text = draftText();
  const env = envelope(state.published.checkPolicy(text, state.fileName));
  const status = $("#check-status");
  const doc = state.view.state.doc;
  if (env.type === "success") {
    state.diagnostics = [];
    state.view.dispatch(setDiagnostics(state.view.state, []));
    status.className = "check-status ok";
    status.textContent = `检查通过：${env.result.policies} 项政策，${env.result.definitions} 个定义（${env.result.ids.join("、")}）`;
    status.dataset.state = "ok";
    try {
      state.lastCheck = JSON.parse(text);
    } catch {
      state.lastCheck = null;
    }
    state.definitions = new Set(Object.keys(state.lastCheck?.definitions ?? {}));
    for (const d of state.definitions) state.vocabulary.definitions.add(d);
    return true;
  }
  state.diagnostics = diagnosticsOf(env.errors, doc);
  state.view.dispatch(setDiagnostics(state.view.state, state.diagnostics));
  status.className = "check-status bad";
  status.dataset.state = "error";
  status.textContent = env.errors
    .map((e) => `${e.line ? `第 ${e.line} 行第 ${e.column ?? 1} 列：` : ""}${e.message}${e.hint ? `（${e.hint}）` : ""}`)
    .join("\n");
  state.lastCheck = null;
  return false;
}

// ---------------------------------------------------------------------------------------
// Test cases: the file's policies' cases, on the set with the draft in it.
function runTests() {
  const body = $("#tests-body");
  const summary = $("#tests-summary");
  if (state.draftEngine) state.draftEngine.free();
  state.draftEngine = null;
  let engine;
  try {
    engine = new Engine(draftFiles());
  } catch (e) {
    summary.textContent = "草稿未通过检查，测试未运行";
    body.replaceChildren();
    return;
  }
  state.draftEngine = engine;
  // Only the cases of this file's policies (the whole set has hundreds).
  const ids = (state.lastCheck?.policies ?? []).map((p) => p.id);
  const mine = [];
  for (const id of ids) {
    const env = envelope(engine.call("test", { policy: id, as_of: asOf(), files: state.samples }));
    if (env.type !== "success") {
      summary.textContent = env.errors.map((e) => e.message).join("；");
      return;
    }
    mine.push(...env.result.policies);
  }
  let cases = 0;
  let passed = 0;
  let failed = 0;
  const blocks = mine.map((p) => {
    cases += p.cases;
    passed += p.passed;
    failed += p.failed;
    return el(
      "div",
      { class: "policy-tests", "data-policy": p.policy },
      el("h3", { text: `${p.title}（${p.policy}）：${p.passed}/${p.cases} 通过` }),
      p.results.map((r) =>
        el(
          "div",
          { class: `case ${r.status}`, "data-testid": "case", "data-status": r.status },
          el("div", { class: "head" }, el("span", { class: "name", text: r.name }), el("span", { class: `badge ${r.status}`, text: STATUS_ZH[r.status] ?? r.status })),
          r.status === "passed" ? null : el("div", { class: "why", text: whyText(r) }),
        ),
      ),
    );
  });
  summary.textContent = `${passed}/${cases} 通过${failed ? `，${failed} 未通过` : ""}`;
  summary.dataset.failed = String(failed);
  body.replaceChildren(...blocks);
}

function whyText(r) {
  if (r.error) return r.error;
  const lines = [];
  const got = r.got ?? {};
  lines.push(`期望 ${VERDICT_ZH[r.expected.verdict] ?? r.expected.verdict}，实际 ${VERDICT_ZH[got.verdict] ?? got.verdict ?? "—"}（不同：${r.differs.join("、")}）`);
  if (r.known_issue) lines.push(`已知问题：${r.known_issue}`);
  const walk = (e, depth) => {
    if (depth > 3 || !e) return;
    if (e.status !== "met") lines.push(`${"  ".repeat(depth)}${e.status === "unmet" ? "✘" : "?"} ${e.message_zh}`);
    for (const c of e.children ?? []) walk(c, depth + 1);
  };
  walk(r.explanation, 0);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------
// Impact: the focused policy's reach over the store, draft against published (`what_if`).
function focusedDraft() {
  const doc = state.lastCheck;
  const id = $("#policy").value;
  const policy = doc?.policies?.find((p) => p.id === id);
  if (!policy) return null;
  return { definitions: doc.definitions ?? {}, policies: [policy] };
}

// The reach of one policy needs only that policy, the policies its verdict reads
// (`eligible(…)`, `requires`) and the definitions: the impact is asked of a small set of
// those (kept per policy, so the store keeps its prepared sets for it between keystrokes),
// not of the whole library, whose every condition the store would evaluate again.
const COMBINATION_ONLY = ["excludes", "exclusive_group", "superseded_by", "supersedes", "tests"];

function subsetFor(id) {
  const defs = {};
  const byId = new Map();
  for (const f of state.files) {
    const doc = JSON.parse(f.text);
    Object.assign(defs, doc.definitions ?? {});
    for (const p of doc.policies ?? []) byId.set(p.id, p);
  }
  const wanted = [];
  const seen = new Set();
  const visit = (pid) => {
    if (seen.has(pid) || !byId.has(pid)) return;
    seen.add(pid);
    const p = byId.get(pid);
    for (const m of JSON.stringify(p.condition ?? "").matchAll(/eligible\(\s*([\w-]+)\s*\)/g)) visit(m[1]);
    for (const r of p.requires ?? []) visit(r);
    wanted.push(p);
  };
  visit(id);
  const policies = wanted.map((p) => Object.fromEntries(Object.entries(p).filter(([k]) => !COMBINATION_ONLY.includes(k))));
  return { definitions: defs, policies };
}

function impactEngine(id) {
  const key = `${id}`;
  if (state.impactKey !== key) {
    state.impactEngine?.free();
    state.impactEngine = null;
    state.impactKey = key;
    try {
      state.impactEngine = new Engine([{ name: "impact.json", text: JSON.stringify(subsetFor(id)) }]);
    } catch (e) {
      console.warn(`impact set of ${id}: ${e.message}; the whole set is used`);
    }
  }
  return state.impactEngine ?? state.published;
}

function runImpact(started) {
  const body = $("#impact-body");
  if (!state.store) return;
  const draft = focusedDraft();
  if (!draft) {
    body.replaceChildren(el("p", { class: "hint", text: "草稿通过检查后显示影响范围。" }));
    return;
  }
  const policy = draft.policies[0];
  const clean = { definitions: draft.definitions, policies: [Object.fromEntries(Object.entries(policy).filter(([k]) => !COMBINATION_ONLY.includes(k)))] };
  const useSubset = new URLSearchParams(location.search).get("impact") !== "full";
  const engine = useSubset ? impactEngine(policy.id) : state.published;
  const env = envelope(engine.callStore("what_if", state.store, { text: JSON.stringify(useSubset ? clean : draft), as_of: asOf(), list: 5 }));
  const ms = performance.now() - started;
  if (env.type !== "success") {
    body.replaceChildren(el("p", { class: "banner error", text: env.errors.map((e) => e.message).join("；") }));
    return;
  }
  const r = env.result;
  const cur = r.current ?? { eligible: 0, undetermined: 0 };
  const names = (ids) => (ids.length ? ids.join("、") : "—");
  body.replaceChildren(
    el("p", { text: `${r.policy}：在 ${r.enterprises.toLocaleString()} 家企业中（评估日期 ${r.as_of}）` }),
    el(
      "div",
      { class: "counts" },
      el("div", { class: "count", "data-testid": "reach-eligible" }, el("b", { text: r.draft.eligible.toLocaleString() }), `草稿：符合（已发布 ${cur.eligible.toLocaleString()}）`),
      el("div", { class: "count", "data-testid": "reach-undetermined" }, el("b", { text: r.draft.undetermined.toLocaleString() }), `草稿：待确定（已发布 ${cur.undetermined.toLocaleString()}）`),
      el("div", { class: "count gained", "data-testid": "reach-gained" }, el("b", { text: `+${r.gained.toLocaleString()}` }), "新增符合"),
      el("div", { class: "count lost", "data-testid": "reach-lost" }, el("b", { text: `−${r.lost.toLocaleString()}` }), "不再符合"),
    ),
    el("p", { class: "ids" }, `新增符合（前 5）：${names(r.gained_ids)}`),
    el("p", { class: "ids" }, `不再符合（前 5）：${names(r.lost_ids)}`),
    el("p", { class: "timing", "data-testid": "impact-ms", "data-ms": ms.toFixed(2), text: `检查＋影响计算 ${ms.toFixed(1)} ms` }),
  );
  body.dataset.draftEligible = String(r.draft.eligible);
}

// ---------------------------------------------------------------------------------------
// The compare view: published and draft side by side, the differences in words (`diff`).
function openCompare() {
  $("#compare").hidden = false;
  if (state.merge) state.merge.destroy();
  const readOnly = [basicSetup, json(), EditorState.readOnly.of(true), EditorView.editable.of(false)];
  state.merge = new MergeView({
    a: { doc: publishedText(), extensions: readOnly },
    b: { doc: draftText(), extensions: readOnly },
    parent: $("#merge"),
    collapseUnchanged: { margin: 3, minSize: 6 },
  });
  const words = $("#compare-words");
  const request = { policies: draftFiles().map((f) => ({ origin: f.name, text: f.text })), as_of: asOf(), page_size: 5 };
  const env = state.store ? envelope(state.published.callStore("diff", state.store, request)) : envelope(state.published.call("diff", request));
  if (env.type !== "success") {
    words.replaceChildren(el("p", { class: "banner error", text: env.errors.map((e) => `${e.origin ?? ""} ${e.line ? `${e.line}:${e.column}` : ""} ${e.message}`).join("\n") }));
    return;
  }
  const d = env.result;
  const items = d.policies.map((p) =>
    el(
      "div",
      { class: "policy-diff", "data-testid": "policy-diff", "data-policy": p.id },
      el("h3", { text: `${p.title}（${p.id}）：${{ changed: "已修改", added: "新增", removed: "删除", superseded: "被替代" }[p.change] ?? p.change}` }),
      el("ul", {}, (p.changes ?? []).map((c) => el("li", { text: c.zh }))),
      p.reach
        ? el(
            "p",
            { "data-testid": "diff-reach" },
            `符合：${p.reach.old.eligible} → ${p.reach.new.eligible}；新增符合 ${p.reach.gained}，不再符合 ${p.reach.lost}，变为待确定 ${p.reach.became_undetermined}`,
            p.reach.gained_ids.length ? el("span", { class: "ids", text: `（新增：${p.reach.gained_ids.join("、")}）` }) : null,
            p.reach.lost_ids.length ? el("span", { class: "ids", text: `（不再符合：${p.reach.lost_ids.join("、")}）` }) : null,
          )
        : null,
    ),
  );
  const defs = (d.definitions ?? []).map((x) => el("li", { text: x.zh ?? JSON.stringify(x) }));
  words.replaceChildren(
    ...[el("p", { "data-testid": "diff-summary", text: `修改 ${d.changed} 项，新增 ${d.added} 项，删除 ${d.removed} 项，未变 ${d.unchanged} 项` }), defs.length ? el("ul", {}, defs) : null, ...items].filter(Boolean),
  );
}

// ---------------------------------------------------------------------------------------
// Export: the policy file, and the entry of the published list (`huiqi policies`).
function download(name, text, type = "application/json") {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

function exportEntry() {
  const engine = state.draftEngine ?? state.published;
  const env = envelope(engine.call("policies", { as_of: asOf() }));
  if (env.type !== "success") return;
  const ids = new Set((state.lastCheck?.policies ?? []).map((p) => p.id));
  const entries = env.result.policies.filter((p) => ids.has(p.id));
  download(state.fileName.replace(/\.json$/, ".entry.json"), JSON.stringify({ policies: entries }, null, 2) + "\n");
}

// ---------------------------------------------------------------------------------------
// Adding a test case to the focused policy (the file stays in its two-space JSON form).
function addCase() {
  let doc;
  try {
    doc = JSON.parse(draftText());
  } catch {
    return;
  }
  const policy = doc.policies?.find((p) => p.id === $("#policy").value);
  if (!policy) return;
  policy.tests = policy.tests ?? [];
  policy.tests.push({ name: `新用例 ${policy.tests.length + 1}`, as_of: asOf(), profile: {}, verdict: "eligible" });
  const text = JSON.stringify(doc, null, 2) + "\n";
  state.view.dispatch({ changes: { from: 0, to: state.view.state.doc.length, insert: text } });
}

// ---------------------------------------------------------------------------------------
function refresh() {
  const started = performance.now();
  const ok = check();
  const checked = performance.now();
  if (ok) runImpact(started);
  else $("#impact-body").replaceChildren(el("p", { class: "hint", text: "草稿未通过检查：修正标出的错误后显示影响范围。" }));
  const reached = performance.now();
  runTests();
  const tested = performance.now();
  state.lastWork = tested - started;
  // Where the time of an edit went, for the benchmark (bench/studio.mjs).
  Object.assign(document.body.dataset, {
    msCheck: (checked - started).toFixed(2),
    msReach: (reached - checked).toFixed(2),
    msTests: (tested - reached).toFixed(2),
  });
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
}

// Every edit is answered at once while the answer is quick (under 100 ms); when it is slow (a policy whose
// conditions read many fields of every enterprise in a large store) a burst of keystrokes
// waits for a pause as long as the last answer took (up to 300 ms), so it is asked once.
function schedule() {
  clearTimeout(state.timer);
  const last = state.lastWork ?? 0;
  state.timer = setTimeout(refresh, last < 100 ? 0 : Math.min(300, last));
}

function fillPolicies() {
  let doc = null;
  try {
    doc = JSON.parse(draftText());
  } catch {
    /* keep the list */
  }
  const select = $("#policy");
  const keep = select.value;
  const ids = (doc?.policies ?? []).map((p) => [p.id, p.title]);
  if (!ids.length) return;
  select.replaceChildren(...ids.map(([id, title]) => el("option", { value: id, text: `${title}（${id}）` })));
  if (ids.some(([id]) => id === keep)) select.value = keep;
}

function openFile(name) {
  state.fileName = name;
  $("#file-name").textContent = name;
  state.view.setState(editorState(publishedText()));
  fillPolicies();
  refresh();
}

let extensions = [];
function editorState(text) {
  return EditorState.create({ doc: text, extensions });
}

async function loadStore(kind) {
  const body = $("#impact-body");
  state.impactKey = null;
  if (kind === "file") {
    $("#store-file").click();
    return;
  }
  if (state.store) state.store.free();
  state.store = null;
  const t = performance.now();
  const n = Number(kind.slice("generated-".length));
  body.replaceChildren(el("p", { class: "hint", text: `正在生成 ${n.toLocaleString()} 家合成企业…` }));
  await new Promise((r) => setTimeout(r, 0));
  state.store = Store.generate(state.published, 11n, n);
  state.storeLabel = `合成企业 ${n.toLocaleString()} 家`;
  $("#store-name").textContent = `${state.storeLabel}（载入 ${((performance.now() - t) / 1000).toFixed(1)} s）`;
  $("#store-name").dataset.size = String(state.store.size());
  refresh();
}

async function loadStoreFile(file) {
  state.impactKey = null;
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (state.store) state.store.free();
  state.store = null;
  const t = performance.now();
  try {
    const saved = new TextDecoder().decode(bytes.subarray(0, 8)) !== "{" && !file.name.endsWith(".jsonl") && !file.name.endsWith(".json");
    state.store = saved ? Store.fromSaved(state.published, bytes) : Store.fromJsonLines(state.published, bytes);
  } catch (e) {
    $("#impact-body").replaceChildren(el("p", { class: "banner error", "data-testid": "store-error", text: `无法载入 ${file.name}：${e.message}` }));
    return;
  }
  state.storeLabel = `${file.name}：${state.store.size().toLocaleString()} 家`;
  $("#store-name").textContent = `${state.storeLabel}（载入 ${((performance.now() - t) / 1000).toFixed(1)} s）`;
  $("#store-name").dataset.size = String(state.store.size());
  refresh();
}

async function main() {
  await init();
  const bundled = await loadBundled("data/");
  for (const s of bundled.samples) state.samples[`../enterprises/${s.name}`] = s.text;
  state.published = Engine.fromSerialized(bundled.saved);
  state.files = bundledPolicies();
  const schema = envelope(schemaInfo()).result;
  const policies = envelope(state.published.policies()).result.policies;
  const vocabulary = vocabularyOf(schema, policies);
  // Definitions are set-wide: every file's names are known in every condition.
  for (const f of state.files) for (const d of Object.keys(JSON.parse(f.text).definitions ?? {})) vocabulary.definitions.add(d);
  state.vocabulary = vocabulary;
  extensions = [
    basicSetup,
    json(),
    lintGutter(),
    conditionHighlight(vocabulary),
    autocompletion({ override: [conditionCompletion(vocabulary, () => state.definitions)] }),
    EditorView.lineWrapping,
    EditorView.updateListener.of((u) => {
      if (u.docChanged) {
        fillPolicies();
        schedule();
      }
    }),
  ];
  state.view = new EditorView({ parent: $("#editor"), state: editorState("") });
  // For the browser tests and the benchmark, which place the cursor as an officer's click does.
  window.studio = { view: state.view };
  $("#version").textContent = version();
  const fileSelect = $("#file");
  for (const f of state.files) fileSelect.append(el("option", { value: f.name, text: f.name }));
  fileSelect.addEventListener("change", () => openFile(fileSelect.value));
  $("#policy").addEventListener("change", refresh);
  $("#as-of").addEventListener("change", refresh);
  $("#add-case").addEventListener("click", addCase);
  $("#compare-open").addEventListener("click", openCompare);
  $("#compare-close").addEventListener("click", () => {
    $("#compare").hidden = true;
  });
  $("#revert").addEventListener("click", () => openFile(state.fileName));
  // A click on the check's message goes to the first problem in the text.
  $("#check-status").addEventListener("click", () => {
    const d = state.diagnostics?.[0];
    if (!d) return;
    state.view.dispatch({ selection: { anchor: d.from, head: d.to }, effects: EditorView.scrollIntoView(d.from, { y: "center" }) });
    state.view.focus();
  });
  $("#export-file").addEventListener("click", () => download(state.fileName, draftText()));
  $("#export-entry").addEventListener("click", exportEntry);
  $("#store-kind").addEventListener("change", (e) => loadStore(e.target.value));
  $("#store-file").addEventListener("change", (e) => e.target.files[0] && loadStoreFile(e.target.files[0]));
  const start = new URLSearchParams(location.search);
  const first = start.get("file") ?? "hitech.json";
  fileSelect.value = state.files.some((f) => f.name === first) ? first : state.files[0].name;
  openFile(fileSelect.value);
  const kind = start.get("store") ?? "generated-100000";
  $("#store-kind").value = kind;
  await loadStore(kind);
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  console.error(e);
  const f = $("#fatal");
  f.hidden = false;
  f.textContent = `无法加载政策工作台：${e.message ?? e}`;
});
