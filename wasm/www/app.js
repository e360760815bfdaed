// 惠企政策计算器: the policy calculator page. Plain ES module over the web build of the
// huiqi-wasm package (copied to ./pkg by wasm/build.sh). Everything runs in the browser.
import init, { Engine, bundledPolicies, schemaInfo, version } from "./pkg/huiqi_wasm.js";
import { loadBundled } from "./pkg/bundled.js";

const $ = (sel, root = document) => root.querySelector(sel);
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

/** The nodes given, without the null of a condition not met (`replaceChildren(null)` would show "null"). */
const present = (...nodes) => nodes.filter((n) => n !== null && n !== undefined);

const VERDICT = {
  eligible: { zh: "符合", icon: "✔", cls: "eligible" },
  undetermined: { zh: "待确定", icon: "?", cls: "undetermined" },
  ineligible: { zh: "不符合", icon: "✘", cls: "ineligible" },
};
const STATUS = { met: "✔", unmet: "✘", unknown: "?" };

const state = {
  engine: null,
  files: [], // policy files the engine is built from (edited ones included)
  original: [], // the bundled files
  schema: null,
  fields: new Map(), // name -> FieldInfo
  extraYears: {}, // per-year values outside the three years shown, kept from a loaded profile
  explainId: null,
  lastMatch: null,
  edited: new Map(), // policy id -> edited condition
  saved: null, // data/policies.hqset (the bundled set saved with its syntax trees by `huiqi compile`)
  enterprises: [], // the sample enterprises: {file, name}
};

// ---------------------------------------------------------------------------------------
// Engine calls, guarded: a panic (a bug) throws a WebAssembly.RuntimeError; the module is
// re-instantiated by the glue, so the engine is built again and the page goes on.
function rebuildEngine() {
  if (state.engine) {
    try {
      state.engine.free();
    } catch {
      /* a stale engine from before a panic */
    }
  }
  // The unedited bundled set starts from the saved set (no condition text is parsed);
  // an edited set is compiled from its texts.
  const fromSaved = state.saved !== null && state.files === state.original;
  state.engine = fromSaved ? Engine.fromSerialized(state.saved) : new Engine(state.files);
  document.body.dataset.engineFrom = fromSaved ? "saved" : "texts";
}

function call(fn) {
  try {
    return fn(state.engine);
  } catch (e) {
    // A panic in this call, or an engine left over from before a panic elsewhere.
    const stale = e instanceof Error && /stale object|previous Wasm instance/.test(e.message);
    if (!(e instanceof WebAssembly.RuntimeError) && !stale) throw e;
    console.error("huiqi: engine failure, rebuilding the engine", e);
    if (e instanceof WebAssembly.RuntimeError) showFatal("引擎内部错误（已记录，引擎已重新加载）：" + e.message);
    rebuildEngine();
    return fn(state.engine);
  }
}

function showFatal(msg) {
  const f = $("#fatal");
  f.textContent = msg;
  f.hidden = false;
}

// ---------------------------------------------------------------------------------------
// Years and formatting.
function asOf() {
  return $("#as-of").value || "2026-06-30";
}
function fiscalYears() {
  const y = Number(asOf().slice(0, 4));
  return [y - 1, y - 2, y - 3]; // fy1, fy2, fy3
}
function yuan(s) {
  if (s === undefined || s === null || s === "") return "";
  const n = Number(s);
  if (!Number.isFinite(n)) return s;
  if (Math.abs(n) >= 10000) return `${(n / 10000).toLocaleString("zh-CN", { maximumFractionDigits: 2 })}万元`;
  return `${n.toLocaleString("zh-CN", { maximumFractionDigits: 2 })}元`;
}

// ---------------------------------------------------------------------------------------
// The form, generated from the schema.
function codeList(system) {
  return state.schema.codes.find((c) => c.system === system)?.codes ?? [];
}

function scalarInput(f, name, year) {
  const id = year ? `f-${f.name}-${year}` : `f-${f.name}`;
  const common = { id, name, "data-field": f.name, "data-year": year ?? null, "data-testid": id };
  switch (f.type) {
    case "bool":
      return el("select", common, el("option", { value: "", text: "未填" }), el("option", { value: "true", text: "是" }), el("option", { value: "false", text: "否" }));
    case "enum":
      return el("select", common, el("option", { value: "", text: "未填" }), f.values.map((v) => el("option", { value: v.code, text: v.label })));
    case "date":
      return el("input", { ...common, type: "date" });
    case "code": {
      const listId = `codes-${f.system}`;
      if (!document.getElementById(listId)) {
        document.body.append(el("datalist", { id: listId }, codeList(f.system).map((c) => el("option", { value: c.code, label: `${c.code} ${c.label}` }))));
      }
      return el("input", { ...common, type: "text", list: listId, placeholder: f.system === "industry" ? "如 I6513、C39" : "代码" });
    }
    case "decimal":
    case "integer":
      return el("input", { ...common, type: "text", inputmode: "decimal" });
    case "text":
      return f.name === "business_scope" ? el("textarea", { ...common, rows: 2 }) : el("input", { ...common, type: "text" });
    case "tags":
      return el("input", { ...common, type: "text", placeholder: "以逗号或顿号分隔" });
    default:
      return el("input", { ...common, type: "text" });
  }
}

function qualificationRow(q = {}) {
  const s = state.schema;
  const row = el(
    "div",
    { class: "qual-row" },
    el("select", { "data-q": "code", "aria-label": "资质" }, el("option", { value: "", text: "选择资质" }), s.qualifications.map((x) => el("option", { value: x.code, text: x.label }))),
    el("select", { "data-q": "level", "aria-label": "级别" }, el("option", { value: "", text: "级别" }), s.qualification_levels.map((x) => el("option", { value: x.code, text: x.label }))),
    el("label", { class: "qd" }, "认定", el("input", { type: "date", "data-q": "granted_on", "aria-label": "认定日期" })),
    el("label", { class: "qd" }, "至", el("input", { type: "date", "data-q": "expires_on", "aria-label": "有效期至" })),
    el("select", { "data-q": "first_grant", "aria-label": "首次/重新认定" }, el("option", { value: "", text: "首次/重新" }), el("option", { value: "true", text: "首次认定" }), el("option", { value: "false", text: "重新认定" })),
    el("button", { type: "button", class: "icon", title: "删除", onclick: (e) => { e.target.closest(".qual-row").remove(); scheduleMatch(); } }, "×"),
  );
  for (const [k, v] of Object.entries(q)) {
    const input = row.querySelector(`[data-q="${k}"]`);
    if (input) input.value = v === true ? "true" : v === false ? "false" : String(v ?? "");
  }
  return row;
}

/** One record of a records field (a purchase, a hire …): an input per record field. */
function recordRow(f, r = {}) {
  const row = el("div", { class: "rec-row", "data-testid": `record-${f.name}` });
  for (const rf of f.fields) {
    const input = scalarInput(rf, rf.name);
    input.removeAttribute("id");
    input.removeAttribute("data-testid");
    input.removeAttribute("data-field");
    input.dataset.r = rf.name;
    input.setAttribute("aria-label", rf.label);
    input.title = rf.description;
    if (r[rf.name] !== undefined && r[rf.name] !== null) input.value = r[rf.name] === true ? "true" : r[rf.name] === false ? "false" : String(r[rf.name]);
    row.append(el("label", { class: "rec-cell" }, el("span", { class: "rl" }, rf.label, rf.unit ? `（${rf.unit}）` : ""), input));
  }
  row.append(el("button", { type: "button", class: "icon", title: "删除这一条", onclick: (e) => { e.target.closest(".rec-row").remove(); scheduleMatch(); } }, "×"));
  return row;
}

function fieldRow(f) {
  const unit = f.unit ? el("span", { class: "unit" }, f.unit) : null;
  let control;
  if (f.type === "records") {
    // A list of records: rows added by hand; "已知无" says the list is known to be empty
    // (an empty list is known, a list not given is unknown).
    const rows = el("div", { class: "rec-rows", id: `rec-${f.name}`, "data-testid": `records-${f.name}` });
    const none = el("input", { type: "checkbox", id: `none-${f.name}`, "data-none": f.name });
    control = el(
      "div",
      { class: "records" },
      rows,
      el("button", { type: "button", class: "secondary small", "data-testid": `add-${f.name}`, onclick: () => { rows.append(recordRow(f)); none.checked = false; } }, "＋ 添加一条"),
      el("label", { class: "none" }, none, "已知无此类记录"),
    );
  } else if (f.type === "qualifications") {
    const rows = el("div", { class: "qual-rows", id: "qualifications", "data-testid": "qualifications" });
    // "已知无资质": the list is known to be empty (none held), not unknown.
    const none = el("input", { type: "checkbox", id: "none-qualifications", "data-none": "qualifications" });
    control = el(
      "div",
      { class: "quals" },
      rows,
      el("button", { type: "button", class: "secondary small", "data-testid": "add-qualification", onclick: () => { rows.append(qualificationRow()); none.checked = false; } }, "＋ 添加资质"),
      el("label", { class: "none" }, none, "已知无任何资质"),
    );
  } else if (f.per_year) {
    control = el("div", { class: "years" }, fiscalYears().map((y) => el("label", { class: "year" }, el("span", { class: "y" }, String(y)), scalarInput(f, `${f.name}@${y}`, y))));
  } else {
    control = scalarInput(f, f.name);
  }
  return el(
    "div",
    { class: `field type-${f.type}`, "data-row": f.name, title: f.description },
    el("label", { for: f.per_year ? `f-${f.name}-${fiscalYears()[0]}` : `f-${f.name}` }, f.label, unit),
    control,
  );
}

function buildForm() {
  const form = $("#profile-form");
  form.replaceChildren();
  state.schema.groups.forEach((g, i) => {
    form.append(
      el("details", { open: i < 4 || g.id === "qualifications" ? true : null, "data-group": g.id }, el("summary", {}, g.label, el("span", { class: "count" }, `${g.fields.length} 项`)), el("div", { class: "fields" }, g.fields.map(fieldRow))),
    );
  });
}

function numberValue(raw) {
  const t = raw.trim().replaceAll(",", "");
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t; // e.g. "500万": the engine reads a number with its unit
}

function readValue(f, input) {
  const v = input.value.trim();
  if (v === "") return undefined;
  switch (f.type) {
    case "bool":
      return v === "true";
    case "decimal":
    case "integer":
      return numberValue(v);
    case "tags":
      return v.split(/[,，、;；]\s*/).map((s) => s.trim()).filter(Boolean);
    default:
      return v;
  }
}

/** The profile the form describes: only what was filled in (missing = unknown). */
function profileFromForm() {
  const p = {};
  for (const f of state.fields.values()) {
    if (f.type === "records") {
      const list = [...document.querySelectorAll(`#rec-${f.name} .rec-row`)]
        .map((row) => {
          const r = {};
          for (const input of row.querySelectorAll("[data-r]")) {
            const rf = f.fields.find((x) => x.name === input.dataset.r);
            const v = rf ? readValue(rf, input) : undefined;
            if (v !== undefined) r[input.dataset.r] = v;
          }
          return r;
        })
        .filter((r) => Object.keys(r).length);
      if (list.length) p[f.name] = list;
      else if (document.getElementById(`none-${f.name}`)?.checked) p[f.name] = [];
      continue;
    }
    if (f.type === "qualifications") {
      const quals = [...document.querySelectorAll("#qualifications .qual-row")]
        .map((row) => {
          const q = {};
          for (const input of row.querySelectorAll("[data-q]")) {
            const v = input.value.trim();
            if (v === "") continue;
            q[input.dataset.q] = input.dataset.q === "first_grant" ? v === "true" : v;
          }
          return q;
        })
        .filter((q) => q.code);
      if (quals.length) p[f.name] = quals;
      else if (document.getElementById("none-qualifications")?.checked) p[f.name] = [];
    } else if (f.per_year) {
      const years = { ...(state.extraYears[f.name] ?? {}) };
      for (const input of document.querySelectorAll(`[data-field="${f.name}"][data-year]`)) {
        const v = readValue(f, input);
        if (v !== undefined) years[input.dataset.year] = v;
        else delete years[input.dataset.year];
      }
      if (Object.keys(years).length) p[f.name] = years;
    } else {
      const input = document.getElementById(`f-${f.name}`);
      const v = input ? readValue(f, input) : undefined;
      if (v !== undefined) p[f.name] = v;
    }
  }
  return p;
}

function fillForm(profile) {
  $("#profile-form").reset();
  $("#qualifications").replaceChildren();
  for (const rows of document.querySelectorAll(".rec-rows")) rows.replaceChildren();
  state.extraYears = {};
  const shown = fiscalYears().map(String);
  for (const [name, value] of Object.entries(profile)) {
    const f = state.fields.get(name);
    if (!f) continue;
    if (f.type === "records") {
      for (const r of value) document.getElementById(`rec-${name}`).append(recordRow(f, r));
      const none = document.getElementById(`none-${name}`);
      if (none) none.checked = value.length === 0;
    } else if (f.type === "qualifications") {
      for (const q of value) $("#qualifications").append(qualificationRow(q));
      const none = document.getElementById("none-qualifications");
      if (none) none.checked = value.length === 0;
    } else if (f.per_year && value && typeof value === "object") {
      for (const [year, v] of Object.entries(value)) {
        const input = document.getElementById(`f-${name}-${year}`);
        if (input && shown.includes(year)) input.value = String(v);
        else (state.extraYears[name] ??= {})[year] = v;
      }
    } else {
      const input = document.getElementById(`f-${name}`);
      if (input) input.value = Array.isArray(value) ? value.join("、") : String(value);
    }
  }
}

function focusField(name) {
  const row = document.querySelector(`[data-row="${name}"]`);
  if (!row) return;
  row.closest("details").open = true;
  row.scrollIntoView({ block: "center", behavior: "smooth" });
  row.classList.add("flash");
  setTimeout(() => row.classList.remove("flash"), 1600);
  row.querySelector("input, select, textarea")?.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------
// Matching, live.
let timer = null;
function scheduleMatch() {
  clearTimeout(timer);
  timer = setTimeout(runMatch, 120);
}

function runMatch() {
  const profile = profileFromForm();
  const t0 = performance.now();
  // Every policy, the ineligible ones too (their group is shown folded, with reasons).
  const env = call((e) => e.matchObject(profile, asOf(), { all: true }));
  const ms = performance.now() - t0;
  document.querySelectorAll(".field.invalid").forEach((x) => x.classList.remove("invalid"));
  const errBox = $("#profile-errors");
  if (env.type === "failure") {
    errBox.hidden = false;
    errBox.replaceChildren(el("strong", {}, "企业信息有误："), el("ul", {}, env.errors.map((e) => el("li", {}, e.path ? `${e.path}：` : "", e.message))));
    for (const e of env.errors) {
      const name = (e.path ?? "").replace(/^\$\./, "").split(/[.[]/)[0];
      document.querySelector(`[data-row="${name}"]`)?.classList.add("invalid");
    }
    $("#status").textContent = "请修正标红的项";
    return;
  }
  errBox.hidden = true;
  state.lastMatch = env.result;
  const filled = Object.keys(profile).length;
  $("#status").textContent = `已填 ${filled} 项 · 评估日 ${env.result.as_of} · 计算用时 ${ms.toFixed(1)} ms`;
  renderResults(env.result);
  if (state.explainId) showExplanation(state.explainId);
}

function renderResults(r) {
  const s = r.summary;
  $("#summary").replaceChildren(
    ...present(
    el("div", { class: "count eligible", "data-testid": "count-eligible" }, el("b", {}, String(s.eligible)), "符合"),
    el("div", { class: "count undetermined", "data-testid": "count-undetermined" }, el("b", {}, String(s.undetermined)), "待确定"),
    el("div", { class: "count ineligible", "data-testid": "count-ineligible" }, el("b", {}, String(s.ineligible)), "不符合"),
    s.not_in_force
      ? el("div", { class: "count not-in-force", "data-testid": "count-not-in-force", title: "评估日不在有效期（未施行、已失效或已被新版本取代），未参与匹配" }, el("b", {}, String(s.not_in_force)), "不在有效期")
      : null,
    ),
  );
  const rec = r.recommended;
  $("#recommended").replaceChildren(
    rec.policies.length
      ? el("p", {}, "建议申报组合：", el("b", {}, `${rec.policies.length} 项`), `，合计约 ${yuan(rec.total_yuan)}`, rec.left_out?.length ? `（${rec.left_out.map((l) => l.message_zh).join("；")}）` : "")
      : el("p", { class: "hint" }, "暂无确定符合的政策。"),
  );
  const nq = $("#next-questions");
  nq.replaceChildren();
  if (r.next_questions.length) {
    nq.append(
      el("h3", {}, "建议补充以下信息（可判定更多政策）"),
      el("ol", {}, r.next_questions.map((q) => el("li", {}, el("a", { href: "#", "data-testid": `question-${q.field}`, onclick: (e) => { e.preventDefault(); focusField(q.field); } }, q.label), ` — 影响 ${q.decides} 项政策`, Number(q.benefit_yuan) > 0 ? ` · 涉及约 ${yuan(q.benefit_yuan)}` : ""))),
    );
  }
  const box = $("#policies");
  box.replaceChildren();
  for (const verdict of ["eligible", "undetermined", "ineligible"]) {
    const list = r.policies.filter((p) => p.verdict === verdict);
    if (!list.length) continue;
    const section = el("details", { open: verdict !== "ineligible" ? true : null, class: `group ${verdict}`, "data-testid": `group-${verdict}` }, el("summary", {}, `${VERDICT[verdict].zh}（${list.length}）`));
    for (const p of list) section.append(policyCard(p));
    box.append(section);
  }
}

function notes(title, items, cls) {
  if (!items?.length) return null;
  return el("div", { class: `notes ${cls}` }, el("span", { class: "label" }, title), el("ul", {}, items.map((n) => el("li", { title: n.condition }, n.message_zh))));
}

function policyCard(p) {
  const v = VERDICT[p.verdict];
  const pct = Math.round(Number(p.score) * 100);
  return el(
    "article",
    { class: `policy ${v.cls}`, "data-policy": p.id, "data-testid": `policy-${p.id}` },
    el("header", {}, el("span", { class: `badge ${v.cls}` }, `${v.icon} ${v.zh}`), el("h4", {}, p.title), el("span", { class: "score", title: "满足的条件占比" }, `满足率 ${pct}%`)),
    el("div", { class: "meta" }, `${p.doc_no} · ${p.mode === "automatic" ? "免申即享" : "需申报"}`, p.closes ? ` · 申报截止 ${p.closes}` : "", p.tags?.length ? ` · ${p.tags.join("、")}` : ""),
    p.benefit.display ? el("div", { class: "benefit", "data-testid": "benefit" }, "政策支持：", el("b", {}, p.benefit.display)) : null,
    notes("未满足", p.unmet, "unmet"),
    notes("待确定", p.undetermined, "undetermined"),
    p.missing_fields?.length
      ? el("div", { class: "missing" }, el("span", { class: "label" }, "缺少信息"), p.missing_fields.map((f) => el("a", { href: "#", class: "chip", onclick: (e) => { e.preventDefault(); focusField(f.name); } }, f.label)))
      : null,
    el("div", { class: "actions" }, el("button", { type: "button", class: "secondary small", "data-testid": `explain-${p.id}`, onclick: () => showExplanation(p.id) }, "查看解释"), el("button", { type: "button", class: "link small", onclick: () => editPolicy(p.id) }, "编辑条件")),
  );
}

function explanationNode(e) {
  const li = el(
    "li",
    { class: `x ${e.status}` },
    el("span", { class: `st ${e.status}` }, STATUS[e.status] ?? "·"),
    el("span", { class: "msg" }, e.message_zh),
    e.kind === "leaf" || e.kind === "manual_review" ? el("code", { class: "src" }, e.text) : null,
  );
  if (e.children?.length) li.append(el("ul", {}, e.children.map(explanationNode)));
  return li;
}

function showExplanation(id) {
  state.explainId = id;
  const pane = $("#explain-pane");
  const env = call((e) => e.explainObject(profileFromForm(), id, asOf()));
  if (env.type === "failure") {
    pane.replaceChildren(el("h2", {}, "判定解释"), el("p", { class: "error" }, env.errors.map((e) => e.message).join("；")));
    return;
  }
  const r = env.result;
  const v = VERDICT[r.policy.verdict];
  pane.replaceChildren(
    ...present(
    el("h2", {}, "判定解释"),
    el("h3", { "data-testid": "explain-title" }, r.policy.title),
    el("p", {}, el("span", { class: `badge ${v.cls}`, "data-testid": "explain-verdict" }, `${v.icon} ${v.zh}`), ` ${r.policy.doc_no} · 满足率 ${Math.round(Number(r.policy.score) * 100)}%`),
    r.not_in_force ? el("p", { class: "hint", "data-testid": "explain-not-in-force" }, `注意：${r.not_in_force.message_zh}，匹配时不列入。`) : null,
    r.policy.benefit.display ? el("p", { class: "benefit" }, "政策支持：", el("b", {}, r.policy.benefit.display)) : null,
    el("details", {}, el("summary", {}, "政策条件原文"), el("pre", { class: "condition" }, r.condition)),
    el("ul", { class: "tree", "data-testid": "explain-tree" }, explanationNode(r.explanation)),
    ),
  );
  document.querySelectorAll("article.policy.selected").forEach((a) => a.classList.remove("selected"));
  document.querySelector(`article.policy[data-policy="${id}"]`)?.classList.add("selected");
}

// ---------------------------------------------------------------------------------------
// The policy-text editor: live diagnostics; "apply" rebuilds the engine with the edit.
function policyInfo() {
  const env = JSON.parse(call((e) => e.policies()));
  return env.type === "success" ? env.result.policies : [];
}

function fillEditorPolicies() {
  const sel = $("#editor-policy");
  sel.replaceChildren(...policyInfo().map((p) => el("option", { value: p.id }, `${state.edited.has(p.id) ? "✎ " : ""}${p.title}`)));
}

function editPolicy(id) {
  $("#editor-policy").value = id;
  loadEditor();
  $("#editor-text").focus();
  $("#editor-pane").scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function loadEditor() {
  const id = $("#editor-policy").value;
  const p = policyInfo().find((x) => x.id === id);
  $("#editor-text").value = p ? p.condition : "";
  $("#editor-state").textContent = state.edited.has(id) ? "已修改（计算使用修改后的条件）" : "";
  checkEditor();
}

function caretLine(text, line, column) {
  const src = text.split("\n")[line - 1] ?? "";
  const pad = [...src.slice(0, Math.max(0, column - 1))].map((ch) => (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0\uffe6]/.test(ch) ? "  " : " ")).join("");
  return `${String(line).padStart(3)} | ${src}\n    | ${pad}^`;
}

let editorTimer = null;
function checkEditor() {
  clearTimeout(editorTimer);
  editorTimer = setTimeout(() => {
    const text = $("#editor-text").value;
    const env = JSON.parse(call((e) => e.checkCondition(text)));
    const box = $("#editor-diagnostics");
    $("#editor-apply").disabled = env.type !== "success";
    if (env.type === "success") {
      box.className = "diagnostics ok";
      box.replaceChildren(el("p", { "data-testid": "editor-ok" }, "✔ 条件有效", env.result.names.length ? `，使用：${env.result.names.join("、")}` : ""));
      return;
    }
    box.className = "diagnostics bad";
    box.replaceChildren(
      ...env.errors.map((d) =>
        el(
          "div",
          { class: "diag", "data-testid": "diagnostic" },
          el("p", {}, el("b", {}, `第 ${d.line} 行第 ${d.column} 列：`), d.message),
          d.hint ? el("p", { class: "hint" }, `提示：${d.hint}`) : null,
          d.line ? el("pre", {}, caretLine(text, d.line, d.column)) : null,
        ),
      ),
    );
  }, 80);
}

function applyEdit(id, condition) {
  state.files = state.original.map((f) => {
    const doc = JSON.parse(f.text);
    const list = Array.isArray(doc) ? doc : doc.policies ?? [doc];
    let changed = false;
    for (const p of list) {
      const c = condition(p.id);
      if (c !== undefined && p.condition !== c) {
        p.condition = c;
        changed = true;
      }
    }
    return changed ? { name: f.name, text: JSON.stringify(doc) } : f;
  });
  // Nothing differs from the bundled set (e.g. after a reset): start from the saved set again.
  if (state.files.every((f, i) => f === state.original[i])) state.files = state.original;
  try {
    rebuildEngine();
    $("#editor-state").textContent = state.edited.has(id) ? "已修改（计算使用修改后的条件）" : "已恢复原文";
  } catch (e) {
    $("#editor-state").textContent = `无法应用：${e.errors?.map((x) => x.message).join("；") ?? e.message}`;
    state.files = state.original;
    state.edited.delete(id);
    rebuildEngine();
  }
  fillEditorPolicies();
  $("#editor-policy").value = id;
  runMatch();
}

function setupEditor() {
  fillEditorPolicies();
  $("#editor-policy").addEventListener("change", loadEditor);
  $("#editor-text").addEventListener("input", checkEditor);
  $("#editor-apply").addEventListener("click", () => {
    const id = $("#editor-policy").value;
    state.edited.set(id, $("#editor-text").value);
    applyEdit(id, (pid) => state.edited.get(pid));
  });
  $("#editor-reset").addEventListener("click", () => {
    const id = $("#editor-policy").value;
    state.edited.delete(id);
    applyEdit(id, (pid) => state.edited.get(pid));
    loadEditor();
  });
  loadEditor();
}

// ---------------------------------------------------------------------------------------
async function loadSamples() {
  for (const s of state.enterprises) $("#samples").append(el("option", { value: s.file }, s.name));
  $("#samples").disabled = state.enterprises.length === 0;
  $("#samples").addEventListener("change", async (e) => {
    const file = e.target.value;
    if (!file) {
      fillForm({});
    } else {
      const profile = await (await fetch(`data/enterprises/${file}`)).json();
      delete profile.$comment;
      fillForm(profile);
    }
    runMatch();
  });
}

async function main() {
  await init();
  // The module carries no data: the bundled set, schema, code tables and samples are
  // files beside it (data/), installed once.
  const bundled = await loadBundled("data/");
  state.saved = bundled.saved;
  state.enterprises = bundled.enterprises;
  state.original = bundledPolicies();
  state.files = state.original;
  const info = JSON.parse(schemaInfo());
  state.schema = info.result;
  for (const g of state.schema.groups) for (const f of g.fields) state.fields.set(f.name, f);
  rebuildEngine();
  $("#version").textContent = version();
  buildForm();
  const form = $("#profile-form");
  form.addEventListener("input", scheduleMatch);
  form.addEventListener("change", scheduleMatch);
  $("#as-of").addEventListener("change", () => {
    const profile = profileFromForm();
    buildForm();
    fillForm(profile);
    runMatch();
  });
  $("#clear").addEventListener("click", () => {
    $("#samples").value = "";
    fillForm({});
    runMatch();
  });
  setupEditor();
  await loadSamples();
  runMatch();
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  console.error(e);
  showFatal(`无法加载政策引擎：${e.message ?? e}`);
  $("#status").textContent = "加载失败";
});
