// Benchmark: the policy studio's impact panel in headless Chromium, as an officer sees it.
//
//   node bench/studio.mjs [--store 100000] [--edits 5] [--json FILE]
//
// Opens www/studio.html on a store of N synthetic enterprises generated in the page
// (`huiqi gen enterprises --seed 11`), then for each policy below puts the cursor after the
// first number with a unit in its condition and types keystrokes (a new digit each time,
// so that no draft repeats an earlier one) and reads the
// time the page measured from the edit's refresh to the impact panel's answer: the check
// of the file in the set's context plus the reach of the draft and of the published
// version over the store (`data-ms`, performance.now() in the page), and the wall time
// from the keystroke to the panels' refresh (the page's wait for a pause included: none
// while the last answer took under 100 ms, else as long as it took, up to 300 ms). Needs
// wasm/build.sh and Debian's chromium.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../test/static-server.mjs";
import { read, WASM_DIR } from "../test/helpers.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const storeSize = Number(opt("store", "100000"));
const edits = Number(opt("edits", "5"));
const out = opt("json", null);

// (file, policy): a long condition with multi-year sums and records, a short tax one, a
// local one on regions and zones, a tiered one with definitions.
const CASES = [
  ["hitech.json", "hitech-certification"],
  ["small-low-profit.json", "small-low-profit-eit"],
  ["jinan-hitech-zone.json", null],
  ["sme-tiers.json", null],
];

function edited(text, id, k) {
  const doc = JSON.parse(text);
  const p = id ? doc.policies.find((x) => x.id === id) : doc.policies[0];
  const m = /(\d+)(%|万|人)/.exec(p.condition);
  if (!m) return null;
  const n = Number(m[1]) + (k % 2 === 0 ? 1 : 2);
  p.condition = p.condition.slice(0, m.index) + `${n}${m[2]}` + p.condition.slice(m.index + m[0].length);
  return { id: p.id, text: JSON.stringify(doc, null, 2) + "\n" };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve(path.join(WASM_DIR, "www"));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const results = [];
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${server.address().port}/studio.html?store=generated-${storeSize}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 300000 });
  const ready = Date.now() - t0;
  console.log(`studio ready in ${ready} ms with ${storeSize} enterprises (generated in the page)`);
  for (const [file, id] of CASES) {
    const original = read(`data/policies/${file}`);
    const first = edited(original, id, 0);
    if (!first) continue;
    // Opening the file answers for its first policy; then the policy measured is chosen.
    // The first answer for a policy computes its every condition over the store.
    const opened = await page.evaluate(() => document.body.dataset.refreshed);
    await page.selectOption("[data-testid=file]", file);
    await page.waitForFunction((b) => document.body.dataset.refreshed !== b && document.querySelector("[data-testid=impact-ms]"), opened, { timeout: 300000 });
    let firstMs = Number(await page.locator("[data-testid=impact-ms]").getAttribute("data-ms"));
    if ((await page.locator("[data-testid=policy]").inputValue()) !== first.id) {
      const chosen = await page.evaluate(() => document.body.dataset.refreshed);
      await page.selectOption("[data-testid=policy]", first.id);
      await page.waitForFunction((b) => document.body.dataset.refreshed !== b, chosen, { timeout: 300000 });
      firstMs = Number(await page.locator("[data-testid=impact-ms]").getAttribute("data-ms"));
    }
    const inPage = [];
    const wall = [];
    const parts = { check: [], reach: [], tests: [] };
    // The cursor after the number's last digit, as a click there puts it; then keystrokes:
    // a digit typed (the bound moves tenfold) and deleted again, in turn.
    const doc = JSON.parse(original);
    const cond = (id ? doc.policies.find((x) => x.id === id) : doc.policies[0]).condition;
    const m = /(\d+)(%|万|人)/.exec(cond);
    const anchor = JSON.stringify(cond.slice(0, m.index + m[1].length)).slice(1, -1);
    await page.evaluate((a) => {
      const view = window.studio.view;
      const at = view.state.doc.toString().indexOf(a);
      view.dispatch({ selection: { anchor: at + a.length }, scrollIntoView: true });
      view.focus();
    }, anchor);
    for (let k = 0; k < edits; k++) {
      const before = await page.evaluate(() => document.body.dataset.refreshed);
      const t = Date.now();
      // A new digit each time (10 -> 101 -> 1012 …): every draft is one not seen before.
      await page.keyboard.press(String((k + 1) % 10));
      await page.waitForFunction((b) => document.body.dataset.refreshed !== b, before, { timeout: 300000 });
      wall.push(Date.now() - t);
      inPage.push(Number(await page.locator("[data-testid=impact-ms]").getAttribute("data-ms")));
      const d = await page.evaluate(() => ({ ...document.body.dataset }));
      parts.check.push(Number(d.msCheck));
      parts.reach.push(Number(d.msReach));
      parts.tests.push(Number(d.msTests));
    }
    const row = {
      file,
      policy: first.id,
      enterprises: storeSize,
      first_ms: firstMs,
      impact_ms_median: median(inPage),
      impact_ms: inPage,
      check_ms_median: median(parts.check),
      reach_ms_median: median(parts.reach),
      tests_ms_median: median(parts.tests),
      wall_ms_median: median(wall),
    };
    results.push(row);
    console.log(`${first.id}: first answer ${firstMs.toFixed(0)} ms (every condition computed); per edit check+reach median ${row.impact_ms_median.toFixed(1)} ms [${inPage.map((x) => x.toFixed(0)).join(", ")}], of which check ${row.check_ms_median.toFixed(1)} and reach ${row.reach_ms_median.toFixed(1)}; test cases ${row.tests_ms_median.toFixed(0)} ms; keystroke to refreshed panels ${row.wall_ms_median} ms`);
  }
} finally {
  await browser.close();
  server.close();
}
if (out) fs.writeFileSync(out, JSON.stringify({ store: storeSize, edits, results }, null, 1));
