// The condition language inside a policy file, for CodeMirror 6: where the condition texts
// are (the values of "condition", "score" and "when" keys and of the "definitions" object),
// a tokenizer for highlighting, and completion of field names (English and Chinese), units,
// code-table entries, definitions and policy ids. The checking itself is the engine's
// (WASM), never re-implemented here.
import { ViewPlugin, Decoration } from "@codemirror/view";
import { RangeSetBuilder } from "@codemirror/state";

const KEYWORDS = new Set([
  "and", "or", "not", "if", "then", "else", "in", "under", "between", "true", "false", "unknown",
  "any", "all", "count", "none", "where", "actual", "且", "或", "非",
]);
const FUNCTIONS = new Set([
  "eligible", "has", "granted", "granted_in", "days_since", "years_since", "full_months_since", "sum", "avg", "min", "max",
  "growth", "band", "manual_review", "known", "exists", "matches", "starts_with", "count_of", "is_known",
]);
export const UNITS = [
  { label: "万", detail: "×10,000（金额：万元）" },
  { label: "亿", detail: "×100,000,000" },
  { label: "元", detail: "元" },
  { label: "万元", detail: "×10,000 元" },
  { label: "%", detail: "百分比" },
  { label: "人", detail: "人数" },
];

// "key": "value" pairs whose value is a condition text; the value's span (quotes excluded).
const KEYED = /"(condition|score|when|expr)"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;
const ENTRY = /"([A-Za-z_][\w]*)"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;

/** The [from, to) spans of condition texts in a policy file's text. */
export function conditionSpans(text) {
  const spans = [];
  for (const m of text.matchAll(KEYED)) {
    const from = m.index + m[0].length - m[2].length - 1;
    spans.push([from, from + m[2].length]);
  }
  // Definitions: every "name": "text" entry inside the top-level "definitions" object.
  const d = text.indexOf('"definitions"');
  if (d >= 0) {
    const open = text.indexOf("{", d);
    let depth = 0;
    let end = open;
    for (let i = open; i >= 0 && i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        // skip the string
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      } else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        end = i;
        break;
      }
    }
    const body = text.slice(open, end);
    for (const m of body.matchAll(ENTRY)) {
      const from = open + m.index + m[0].length - m[2].length - 1;
      spans.push([from, from + m[2].length]);
    }
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

const TOKEN =
  /(\\n|\\")|(\d+(?:\.\d+)?(?:万元|万|亿|元|%|人)?)|(>=|<=|==|!=|>|<|=|\+|-|\*|\/|\.\.)|(@(?:fy\d+|\d{4}))|([A-Za-z_][\w-]*|[\u4e00-\u9fff][\u4e00-\u9fff\w（）()]*?(?=[\s>=<!,)@]|$))/g;

/** Tokens of one condition text: [start, end, class] relative to the text. */
export function tokens(text, vocabulary) {
  const out = [];
  for (const m of text.matchAll(TOKEN)) {
    const [all, escape, num, op, year, word] = m;
    const start = m.index;
    if (escape) continue;
    if (num) out.push([start, start + all.length, "cm-hq-num"]);
    else if (op) out.push([start, start + all.length, "cm-hq-op"]);
    else if (year) out.push([start, start + all.length, "cm-hq-year"]);
    else if (word) {
      let cls = null;
      if (KEYWORDS.has(word)) cls = "cm-hq-kw";
      else if (FUNCTIONS.has(word)) cls = "cm-hq-fn";
      else if (vocabulary.fields.has(word) || vocabulary.definitions.has(word)) cls = "cm-hq-field";
      else if (vocabulary.enumValues.has(word) || vocabulary.policies.has(word) || vocabulary.quals.has(word)) cls = null;
      else if (/^[a-z_]+$/.test(word) && vocabulary.fields.size > 0) cls = "cm-hq-unknown";
      if (cls) out.push([start, start + word.length, cls]);
    }
  }
  return out;
}

const marks = new Map();
const mark = (cls) => {
  if (!marks.has(cls)) marks.set(cls, Decoration.mark({ class: cls }));
  return marks.get(cls);
};

/** Highlighting of the condition texts in the editor (a view plugin). */
export function conditionHighlight(vocabulary) {
  const build = (view) => {
    const b = new RangeSetBuilder();
    const text = view.state.doc.toString();
    for (const [from, to] of conditionSpans(text)) {
      for (const [s, e, cls] of tokens(text.slice(from, to), vocabulary)) b.add(from + s, from + e, mark(cls));
    }
    return b.finish();
  };
  return ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.decorations = build(view);
      }
      update(u) {
        if (u.docChanged) this.decorations = build(u.view);
      }
    },
    { decorations: (v) => v.decorations },
  );
}

/** The words the page knows: from the engine's schema form and its policies. */
export function vocabularyOf(schema, policies) {
  const v = {
    fields: new Set(),
    definitions: new Set(),
    enumValues: new Set(),
    policies: new Set(policies.map((p) => p.id)),
    quals: new Set(),
    options: [],
    codes: [],
    policyOptions: policies.map((p) => ({ label: p.id, detail: p.title, type: "constant" })),
  };
  for (const g of schema.groups) {
    for (const f of g.fields) {
      v.fields.add(f.name);
      v.fields.add(f.label);
      const unit = f.unit ? `，${f.unit}` : "";
      const detail = `${f.label}（${f.type}${unit}${f.per_year ? "，按年 @fy1" : ""}）`;
      v.options.push({ label: f.name, detail, type: "variable", boost: 1 });
      v.options.push({ label: f.label, detail: `${f.name}（${f.type}${unit}）`, type: "variable" });
      for (const e of f.values ?? []) {
        v.enumValues.add(e.code);
        v.options.push({ label: e.code, detail: `${f.label}：${e.label}`, type: "enum" });
      }
    }
  }
  for (const d of schema.derived ?? []) {
    v.fields.add(d.name);
    v.fields.add(d.label);
    v.options.push({ label: d.name, detail: `${d.label}（推导）`, type: "variable" });
  }
  for (const q of schema.qualifications ?? []) {
    v.quals.add(q.code);
    v.quals.add(q.label);
    v.options.push({ label: q.label, detail: `资质 ${q.code}`, type: "constant" });
  }
  for (const system of schema.codes ?? []) {
    for (const c of system.codes) v.codes.push({ label: c.code, detail: `${c.label}（${system.standard}）`, type: "constant" });
  }
  return v;
}

/** Completion inside condition texts: fields, units after a number, codes, policy ids. */
export function conditionCompletion(vocabulary, definitions) {
  return (context) => {
    const text = context.state.doc.toString();
    const pos = context.pos;
    if (!conditionSpans(text).some(([from, to]) => pos >= from && pos <= to)) return null;
    const before = text.slice(Math.max(0, pos - 60), pos);
    const number = /\d(?:\.\d+)?([万亿元%人]?)$/.exec(before);
    if (number) return { from: pos - number[1].length, options: UNITS.map((u) => ({ ...u, type: "keyword" })), validFor: /^[万亿元%人]*$/ };
    if (/eligible\(\s*[\w-]*$/.test(before)) {
      const w = context.matchBefore(/[\w-]*/);
      return { from: w.from, options: vocabulary.policyOptions, validFor: /^[\w-]*$/ };
    }
    const word = context.matchBefore(/[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*|\d{2,}/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const typed = text.slice(word.from, pos);
    if (/^\d/.test(typed) || /^[A-Z]\d*$/.test(typed)) {
      // A code (region 6 digits, industry letter + digits): entries of the code tables.
      return { from: word.from, options: vocabulary.codes.filter((c) => c.label.startsWith(typed)).slice(0, 200) };
    }
    const defs = [...definitions()].map((d) => ({ label: d, detail: "定义（definitions）", type: "function" }));
    return { from: word.from, options: [...vocabulary.options, ...defs], validFor: /^[\w\u4e00-\u9fff]*$/ };
  };
}
