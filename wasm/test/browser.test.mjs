// The policy calculator page in headless Chromium (Debian's, driven by playwright-core):
// served from a static server on 127.0.0.1, a sample enterprise typed into the generated
// form, the eligible policies and an explanation read off the page and checked against the
// WASM engine in Node, an error typed into the policy editor and its diagnostic checked,
// the edit fixed and applied, a panic survived; a screenshot is saved to
// wasm/test-artifacts/calculator.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./static-server.mjs";
import { huiqi, read, WASM_DIR, AS_OF } from "./helpers.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(WASM_DIR, "test-artifacts");
let server, browser, page, url;
const problems = [];
const traps = [];

before(async () => {
  server = await serve(path.join(WASM_DIR, "www"));
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1500, height: 1100 }, deviceScaleFactor: 1 });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/deliberate panic|module trapped|engine failure|RuntimeError|stale object/.test(m.text())) problems.push(`console: ${m.text()}`);
    if (m.type() === "error" && /module trapped|deliberate panic/.test(m.text())) traps.push(m.text());
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
});

// The enterprise typed in: a Jinan software company with a high-tech certificate.
const typed = {
  name: "泉城智算科技有限公司",
  is_resident_enterprise: true,
  registration_date: "2019-05-20",
  registered_region: "370102",
  industry: "I6513",
  tax_collection_method: "audit",
  rd_accounted_separately: true,
  taxable_income: { 2025: 500 },
  rd_expense: { 2025: 300 },
  qualifications: [{ code: "high_tech", level: "national", granted_on: "2025-12-05", expires_on: "2028-12-04", first_grant: true }],
};

/** Opens the form group of a field the way a person does: a click on its heading. */
async function reveal(selector) {
  const group = page.locator("#profile-form details", { has: page.locator(selector) });
  if ((await group.getAttribute("open")) === null) await group.locator("> summary").click();
}

async function fill(selector, value) {
  await reveal(selector);
  await page.fill(selector, value);
}

async function choose(selector, value) {
  await reveal(selector);
  await page.selectOption(selector, value);
}

async function counts() {
  const n = async (k) => Number(await page.locator(`[data-testid=count-${k}] b`).textContent());
  return { eligible: await n("eligible"), undetermined: await n("undetermined"), ineligible: await n("ineligible") };
}

async function waitForCounts(want) {
  await page.waitForFunction(
    (w) => ["eligible", "undetermined", "ineligible"].every((k) => document.querySelector(`[data-testid=count-${k}] b`)?.textContent === String(w[k])),
    want,
    { timeout: 10000 },
  );
}

test("the page loads the engine and builds the form from the schema", async () => {
  const groups = await page.locator("#profile-form details > summary").allTextContents();
  assert.ok(groups.some((g) => g.startsWith("基本信息")) && groups.some((g) => g.startsWith("经营与财务")), groups.join("|"));
  // One form row per schema field (records fields included: a row of records each).
  const schemaFields = JSON.parse(read("data/schema/enterprise.json")).fields.length;
  assert.equal(await page.locator("[data-row]").count(), schemaFields);
  // The bundled set came from the saved set (policies.hqset), not from parsing its texts.
  assert.equal(await page.evaluate(() => document.body.dataset.engineFrom), "saved");
  assert.match(await page.locator('[data-row="registered_capital"] label').textContent(), /注册资本\s*万元/);
  // An empty profile: nothing is eligible, everything is still matched.
  const c = await counts();
  assert.equal(c.eligible, 0);
  assert.ok(c.undetermined + c.ineligible >= 10);
});

test("typing a sample enterprise gives the engine's eligible policies, with benefits", async () => {
  await fill("#f-name", typed.name);
  await choose("#f-is_resident_enterprise", "true");
  await fill("#f-registration_date", typed.registration_date);
  await fill("#f-registered_region", typed.registered_region);
  await fill("#f-industry", typed.industry);
  await choose("#f-tax_collection_method", "audit");
  await choose("#f-rd_accounted_separately", "true");
  await fill("#f-taxable_income-2025", "500");
  await fill("#f-rd_expense-2025", "300");
  await reveal("[data-testid=add-qualification]");
  await page.click("[data-testid=add-qualification]");
  const row = page.locator("#qualifications .qual-row").first();
  await row.locator('[data-q="code"]').selectOption("high_tech");
  await row.locator('[data-q="level"]').selectOption("national");
  await row.locator('[data-q="granted_on"]').fill("2025-12-05");
  await row.locator('[data-q="expires_on"]').fill("2028-12-04");
  await row.locator('[data-q="first_grant"]').selectOption("true");

  const engine = new huiqi.Engine();
  const want = engine.matchObject(typed, AS_OF, { all: true }).result;
  engine.free();
  await waitForCounts(want.summary);
  const eligible = want.policies.filter((p) => p.verdict === "eligible");
  const ids = eligible.map((p) => p.id);
  assert.ok(ids.includes("hitech-eit-15pct-rate") && ids.includes("rd-super-deduction-100pct"), ids.join(", "));
  const shown = await page.locator("[data-testid=group-eligible] article").evaluateAll((as) => as.map((a) => a.dataset.policy));
  assert.deepEqual(shown, eligible.map((p) => p.id));
  for (const p of eligible) {
    const benefit = await page.locator(`[data-testid=policy-${p.id}] [data-testid=benefit]`).textContent();
    assert.ok(benefit.includes(p.benefit.display), `${benefit} / ${p.benefit.display}`);
  }
  assert.match(await page.locator("[data-testid=policy-hitech-eit-15pct-rate]").textContent(), /约 50万元/);
  // Undetermined policies show their missing fields; next questions are listed.
  const asking = want.policies.find((p) => p.verdict === "undetermined" && p.missing_fields?.length);
  assert.ok(asking, "some undetermined policy asks for a field");
  assert.match(await page.locator(`[data-testid=policy-${asking.id}]`).textContent(), new RegExp(`缺少信息\\s*${asking.missing_fields[0].label}`));
  const questions = await page.locator("[data-testid=next-questions] li").allTextContents();
  assert.deepEqual(questions.map((q) => q.split(" — ")[0]), want.next_questions.map((q) => q.label));
});

test("the explanation view shows how a policy was decided", async () => {
  await page.click("[data-testid=explain-hitech-eit-15pct-rate]");
  await page.waitForSelector("[data-testid=explain-tree]");
  assert.equal(await page.locator("[data-testid=explain-title]").textContent(), "高新技术企业减按15%税率征收企业所得税");
  assert.match(await page.locator("[data-testid=explain-verdict]").textContent(), /符合/);
  const tree = await page.locator("[data-testid=explain-tree]").textContent();
  assert.match(tree, /持有有效的高新技术企业/);
  assert.match(tree, /居民企业：是/);
});

test("an error typed into the policy editor shows its diagnostic; a fix can be applied", async () => {
  const eligibleBefore = (await counts()).eligible;
  await page.selectOption("[data-testid=editor-policy]", "hitech-eit-15pct-rate");
  await page.fill("[data-testid=editor-text]", "has(高新技术企业) and is_resident_enterprise\nand registered_captial >= 500万");
  const diag = page.locator("[data-testid=diagnostic]").first();
  await diag.waitFor({ timeout: 5000 });
  const text = await diag.textContent();
  assert.match(text, /第 2 行第 5 列/);
  assert.match(text, /registered_captial/);
  assert.match(text, /提示：.*registered_capital/);
  assert.equal(await page.locator("[data-testid=editor-apply]").isDisabled(), true);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, "calculator.png"), fullPage: false });

  // Fixed and applied: the policy now also needs registered capital, which is unknown.
  await page.fill("[data-testid=editor-text]", "has(高新技术企业) and is_resident_enterprise\nand registered_capital >= 500万");
  await page.waitForSelector("[data-testid=editor-ok]");
  await page.click("[data-testid=editor-apply]");
  await page.waitForSelector("[data-testid=group-undetermined] [data-testid=policy-hitech-eit-15pct-rate]");
  assert.equal((await counts()).eligible, eligibleBefore - 1);
  assert.equal(await page.evaluate(() => document.body.dataset.engineFrom), "texts");
  await page.click("#editor-reset");
  await page.waitForSelector("[data-testid=group-eligible] [data-testid=policy-hitech-eit-15pct-rate]");
  assert.equal(await page.evaluate(() => document.body.dataset.engineFrom), "saved");
});

test("a sample enterprise loads into the form and matches as the CLI does", async () => {
  const engine = new huiqi.Engine();
  const want = engine.matchObject(read("data/enterprises/01-quanzhi-software.json"), AS_OF, { all: true }).result;
  engine.free();
  await page.selectOption("[data-testid=samples]", "01-quanzhi-software.json");
  await waitForCounts(want.summary);
  assert.equal(await page.inputValue("#f-name"), "济南泉智云图软件科技有限公司");
  const shown = await page.locator("#policies article").evaluateAll((as) => as.map((a) => a.dataset.policy));
  assert.deepEqual(shown, want.policies.map((p) => p.id));
});

test("record rows can be added in the form, and the explanation names the record that decided", async () => {
  // The restaurant sample has one hire (a young unemployed person); a veteran hired on a
  // two-year contract, added as a second row, makes the veteran deduction eligible.
  await page.selectOption("[data-testid=samples]", "03-laojiefang-restaurant.json");
  await page.waitForFunction(() => document.querySelector("#f-name")?.value === "济南槐荫老街坊家常菜馆有限公司");
  await reveal("[data-testid=add-hires]");
  await page.waitForFunction(() => document.querySelectorAll("#rec-hires .rec-row").length === 1);
  await page.click("[data-testid=add-hires]");
  const row = page.locator("#rec-hires .rec-row").nth(1);
  await row.locator('[data-r="group"]').selectOption("veteran");
  await row.locator('[data-r="contract_months"]').fill("24");
  await row.locator('[data-r="insured_months"]').fill("2");
  await row.locator('[data-r="hired_on"]').fill("2026-03-01");
  const profile = JSON.parse(read("data/enterprises/03-laojiefang-restaurant.json"));
  profile.hires = [...profile.hires, { group: "veteran", contract_months: 24, insured_months: 2, hired_on: "2026-03-01" }];
  const engine = new huiqi.Engine();
  const want = engine.matchObject(profile, AS_OF, { all: true }).result;
  engine.free();
  assert.equal(want.policies.find((p) => p.id === "veteran-hiring-tax-deduction").verdict, "eligible");
  await waitForCounts(want.summary);
  await page.click("[data-testid=explain-veteran-hiring-tax-deduction]");
  await page.waitForSelector("[data-testid=explain-tree]");
  assert.match(await page.locator("[data-testid=explain-tree]").textContent(), /第2条招用人员：人员类别 自主就业退役士兵，满足 = 自主就业退役士兵/);
});

test("a panic inside the module does not break the page", async () => {
  await page.evaluate(async () => {
    const m = await import("./pkg/huiqi_wasm.js");
    try {
      m.__panicForTests();
    } catch {
      /* the RuntimeError reaches this caller only */
    }
  });
  // The module traps (std built with panic=immediate-abort) and the glue logs it; built on
  // rustup's std (no rust-src), the panic hook logs the panic's message.
  assert.ok(traps.some((t) => /trapped in __panicForTests|deliberate panic/.test(t)), traps.join("\n"));
  await fill("#f-registered_capital", "800");
  await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("已填"));
  await page.waitForSelector("[data-testid=group-eligible] article");
  assert.ok((await counts()).eligible >= 2);
});

test("no page errors or console errors", () => {
  assert.deepEqual(problems, []);
});
