// The policy studio (www/studio.html) in headless Chromium (Debian's, through
// playwright-core): an officer's edit of hitech.json typed into the CodeMirror editor.
// A misspelt field gets its lint marker at the right place; the fix moves the reach over
// the sample store, checked against the full set's `what_if` computed in Node with the
// same module; a failing test case added with the button fails; the compare view shows
// both versions and the change in words; an enterprise file picked by the officer becomes
// the store. Screenshots go to wasm/test-artifacts/studio-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./static-server.mjs";
import { cli, read, PKG, WASM_DIR, AS_OF } from "./helpers.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(WASM_DIR, "test-artifacts");
const STORE_SIZE = 10000;
let server, browser, page;
const problems = [];

const ORIGINAL = read("data/policies/hitech.json");
const RULE = "tech_staff@fy1 / employees@fy1 >= 10%";
assert.ok(ORIGINAL.includes(RULE), "hitech.json holds the rule the test edits");
const TYPO = ORIGINAL.replace(RULE, RULE.replace("tech_staff", "tech_staf"));
const FIXED = ORIGINAL.replace(RULE, RULE.replace("10%", "20%"));

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await serve(path.join(WASM_DIR, "www"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/studio.html?file=hitech.json&store=generated-${STORE_SIZE}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
});

/** Replaces the editor's text as an officer pasting does, and waits for the panels. */
async function typeText(text) {
  const before = await page.evaluate(() => document.body.dataset.refreshed);
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
  await page.waitForFunction((b) => document.body.dataset.refreshed !== b, before, { timeout: 30000 });
}

let opened = null; // the reach of the file as published
/** Puts the cursor in the text, as a click there does: `offset` characters into the first
 * occurrence of `find`, selecting `length` characters. */
async function cursorAt(find, offset, length = 0) {
  await page.evaluate(
    ([f, off, len]) => {
      const view = window.studio.view;
      const at = view.state.doc.toString().indexOf(f);
      if (at < 0) throw new Error(`not in the editor: ${f}`);
      view.dispatch({ selection: { anchor: at + off, head: at + off + len }, scrollIntoView: true });
      view.focus();
    },
    [find, offset, length],
  );
}

/** Keystrokes at the cursor, then waits for the panels. */
async function keys(...presses) {
  const before = await page.evaluate(() => document.body.dataset.refreshed);
  for (const k of presses) await page.keyboard.press(k);
  await page.waitForFunction((b) => document.body.dataset.refreshed !== b, before, { timeout: 30000 });
}

const number = async (id) => Number((await page.locator(`[data-testid=${id}] b`).textContent()).replace(/[^\d]/g, ""));

/** The full set's `what_if` for a draft of hitech.json, computed in Node with the studio's module. */
let nodeStudio;
async function fullWhatIf(fileText) {
  if (!nodeStudio) {
    const m = await import(path.join(PKG, "studio", "huiqi_wasm.js"));
    await m.default({ module_or_path: fs.readFileSync(path.join(PKG, "studio", "huiqi_wasm_bg.wasm")) });
    const data = path.join(PKG, "data");
    const index = JSON.parse(fs.readFileSync(path.join(data, "index.json"), "utf8"));
    const files = (sub, names) => names.map((name) => ({ name, text: fs.readFileSync(path.join(data, sub, name), "utf8") }));
    m.installBundled(fs.readFileSync(path.join(data, index.set)), fs.readFileSync(path.join(data, index.schema), "utf8"), files("codes", index.codes), files("enterprises", index.enterprises.map((e) => e.file)));
    const engine = m.Engine.fromSerialized(fs.readFileSync(path.join(data, index.set)));
    nodeStudio = { engine, store: m.Store.generate(engine, 11n, STORE_SIZE) };
  }
  const doc = JSON.parse(fileText);
  const draft = { definitions: doc.definitions, policies: [doc.policies.find((p) => p.id === "hitech-certification")] };
  const env = JSON.parse(nodeStudio.engine.callStore("what_if", nodeStudio.store, { text: JSON.stringify(draft), as_of: AS_OF, list: 5 }));
  assert.equal(env.type, "success", JSON.stringify(env));
  return env.result;
}

test("the studio opens a bundled file: it checks, its cases pass, its reach is shown", async () => {
  assert.equal(await page.locator("[data-testid=check-status]").getAttribute("data-state"), "ok");
  assert.equal(await page.locator("[data-testid=store-name]").getAttribute("data-size"), String(STORE_SIZE));
  const summary = await page.locator("[data-testid=tests-summary]").textContent();
  assert.match(summary, /^(\d+)\/\1 通过$/, summary);
  // The reach over the subset the page asks equals the whole set's what_if.
  const want = await fullWhatIf(ORIGINAL);
  assert.equal(await number("reach-eligible"), want.draft.eligible);
  assert.equal(await number("reach-undetermined"), want.draft.undetermined);
  opened = want.draft;
  // The condition language is highlighted inside the JSON strings.
  assert.ok((await page.locator(".cm-hq-kw").count()) > 5);
  assert.ok((await page.locator(".cm-hq-field", { hasText: "tech_staff" }).count()) >= 1);
  // A definition of the file is a known name, not an unknown one.
  assert.ok((await page.locator(".cm-hq-field", { hasText: "hitech_has_any_ip" }).count()) >= 1);
  assert.equal(await page.locator(".cm-hq-unknown").count(), 0);
});

test("a misspelt field gets a lint marker at the right place, with the suggestion", async () => {
  // The officer deletes the last letter of tech_staff in the condition.
  await cursorAt(RULE, "tech_staff".length);
  await keys("Backspace");
  assert.equal(await page.evaluate(() => window.studio.view.state.doc.toString()), TYPO);
  assert.equal(await page.locator("[data-testid=check-status]").getAttribute("data-state"), "error");
  // The officer clicks the message: the editor goes to the problem.
  await page.click("[data-testid=check-status]");
  const marker = page.locator(".cm-lintRange-error").first();
  await marker.waitFor();
  assert.match(await marker.textContent(), /^tech_staf/);
  assert.equal(await page.locator(".cm-hq-unknown").first().textContent(), "tech_staf", "highlighted as no field while typed");
  // The marked line is the condition's line of the file, where the engine placed it.
  const line = TYPO.split("\n").findIndex((l) => l.includes("tech_staf@fy1")) + 1;
  const markedLine = await page.evaluate(() => {
    const range = document.querySelector(".cm-lintRange-error");
    const lines = [...document.querySelectorAll(".cm-line")];
    return lines.findIndex((l) => l.contains(range)) + 1;
  });
  // The gutter's number beside the marked line (lines are rendered from the first visible).
  const gutterNumber = await page.evaluate((i) => {
    const numbers = [...document.querySelectorAll(".cm-lineNumbers .cm-gutterElement")].filter((g) => /^\d+$/.test(g.textContent) && g.style.visibility !== "hidden");
    return Number(numbers[i - 1]?.textContent);
  }, markedLine);
  assert.equal(gutterNumber, line);
  const status = await page.locator("[data-testid=check-status]").textContent();
  assert.match(status, new RegExp(`第 ${line} 行`), status);
  assert.match(status, /tech_staff/, "the suggestion names the field meant");
  await page.screenshot({ path: path.join(ARTIFACTS, "studio-error.png") });
});

test("the fix checks again and moves the reach over the store", async () => {
  const before = opened.undetermined;
  // Types the letter back, then 20 over the 10 of the bound.
  await cursorAt("tech_staf@fy1", "tech_staf".length);
  await keys("f");
  await cursorAt(RULE, RULE.indexOf("10%"), 2);
  await keys("2", "0");
  assert.equal(await page.evaluate(() => window.studio.view.state.doc.toString()), FIXED);
  assert.equal(await page.locator("[data-testid=check-status]").getAttribute("data-state"), "ok");
  assert.equal(await page.locator(".cm-lintRange-error").count(), 0);
  const want = await fullWhatIf(FIXED);
  const after = await number("reach-undetermined");
  assert.equal(after, want.draft.undetermined);
  assert.equal(await number("reach-eligible"), want.draft.eligible);
  assert.notEqual(after, before, "a stricter bound leaves fewer enterprises undetermined");
  assert.ok(after < before);
  const ms = Number(await page.locator("[data-testid=impact-ms]").getAttribute("data-ms"));
  assert.ok(ms > 0, "the page measured its check and reach");
  await page.screenshot({ path: path.join(ARTIFACTS, "studio-impact.png") });
});

test("a failing test case added with the button fails, with the reason", async () => {
  const failedBefore = Number(await page.locator("[data-testid=tests-summary]").getAttribute("data-failed"));
  const before = await page.evaluate(() => document.body.dataset.refreshed);
  await page.click("[data-testid=add-case]");
  await page.waitForFunction((b) => document.body.dataset.refreshed !== b, before, { timeout: 30000 });
  // The new case expects `eligible` of an empty profile: undetermined, so it fails.
  const failed = page.locator("[data-testid=case][data-status=failed]");
  assert.equal(await failed.count(), failedBefore + 1);
  assert.match(await failed.last().textContent(), /新用例/);
  assert.match(await failed.last().textContent(), /期望 符合，实际 待确定/);
  assert.equal(await page.locator("[data-testid=tests-summary]").getAttribute("data-failed"), String(failedBefore + 1));
  await page.locator("[data-testid=case][data-status=failed]").last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, "studio-tests.png") });
});

test("the compare view shows both versions and the change in words, with who gains and loses", async () => {
  await page.click("[data-testid=compare-open]");
  await page.waitForSelector("[data-testid=compare]:not([hidden]) .cm-mergeView");
  await page.waitForSelector("[data-testid=diff-summary], [data-testid=compare-words] .banner", { timeout: 30000 });
  assert.equal(await page.locator("[data-testid=compare-words] .banner").count(), 0, await page.locator("[data-testid=compare-words]").textContent());
  assert.equal(await page.locator(".cm-mergeView .cm-editor").count(), 2);
  assert.ok((await page.locator(".cm-mergeView .cm-changedLine, .cm-mergeView .cm-changedText").count()) > 0);
  const words = await page.locator("[data-testid=policy-diff][data-policy=hitech-certification]").textContent();
  assert.match(words, /由 10% 改为 20%/, words);
  const want = await fullWhatIf(FIXED);
  assert.match(await page.locator("[data-testid=policy-diff][data-policy=hitech-certification] [data-testid=diff-reach]").textContent(), new RegExp(`不再符合 ${want.lost}`));
  await page.locator("[data-testid=compare]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, "studio-compare.png"), fullPage: true });
  await page.click("[data-testid=compare-close]");
});

test("export: the policy file as edited, and its entry of the published list", async () => {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-file]")]);
  assert.equal(file.suggestedFilename(), "hitech.json");
  const text = fs.readFileSync(await file.path(), "utf8");
  assert.ok(text.includes("employees@fy1 >= 20%") && text.includes("新用例"));
  const [entry] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=export-entry]")]);
  const listed = JSON.parse(fs.readFileSync(await entry.path(), "utf8")).policies;
  assert.deepEqual(listed.map((p) => p.id).sort(), ["hitech-certification", "hitech-eit-15pct-rate"]);
  assert.ok(listed.every((p) => p.title && p.doc_no), JSON.stringify(listed[0]));
});

test("completion offers fields in English and Chinese, and units after a number", async () => {
  const text = await page.evaluate(() => window.studio.view.state.doc.toString());
  await cursorAt(RULE.replace("10%", "20%"), 0);
  await page.keyboard.type("regist");
  const list = page.locator(".cm-tooltip-autocomplete");
  await list.waitFor();
  const options = await list.textContent();
  assert.match(options, /registered_capital/);
  assert.match(options, /注册资本/, "the Chinese label beside the name");
  await page.keyboard.press("Escape");
  for (let i = 0; i < "regist".length; i++) await page.keyboard.press("Backspace");
  await page.keyboard.type("注册");
  await list.waitFor();
  assert.match(await list.textContent(), /注册资本/);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  // After a number: units.
  await cursorAt(RULE.replace("10%", "20%"), RULE.indexOf("10%") + 2);
  await page.keyboard.press("Backspace");
  await page.keyboard.type("0");
  await list.waitFor();
  assert.match(await list.textContent(), /万/);
  await page.keyboard.press("Escape");
  await page.waitForFunction((t) => window.studio.view.state.doc.toString() === t, text, { timeout: 10000 });
});

test("an enterprise file the officer picks becomes the store", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huiqi-studio-"));
  const file = path.join(dir, "enterprises.jsonl");
  fs.writeFileSync(file, cli("gen", "enterprises", "--count", "300", "--seed", "5"));
  const before = await page.evaluate(() => document.body.dataset.refreshed);
  await page.setInputFiles("[data-testid=store-file]", file);
  await page.waitForFunction((b) => document.body.dataset.refreshed !== b, before, { timeout: 30000 });
  assert.equal(await page.locator("[data-testid=store-name]").getAttribute("data-size"), "300");
  assert.match(await page.locator("[data-testid=impact-body]").textContent(), /在 300 家企业中/);
  // A file that is not enterprises is refused with the reason, and the page goes on.
  const bad = path.join(dir, "bad.jsonl");
  fs.writeFileSync(bad, "not json\nnor this\n");
  await page.setInputFiles("[data-testid=store-file]", bad);
  await page.waitForSelector("[data-testid=store-error]");
  assert.match(await page.locator("[data-testid=store-error]").textContent(), /bad\.jsonl/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("no page errors or console errors", () => {
  assert.deepEqual(problems, []);
});
