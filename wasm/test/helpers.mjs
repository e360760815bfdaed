// Shared by the node tests: the built package, the repository's data, and the native CLI.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WASM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(WASM_DIR, "..");
export const PKG = path.join(WASM_DIR, "pkg", "huiqi");
export const CLI = process.env.HUIQI_CLI ?? path.join(ROOT, "target", "release", "huiqi");
export const AS_OF = "2026-06-30";

/** The package in Node (CommonJS, its bundled data installed from pkg/huiqi/data), as
 * `require("huiqi-wasm")` gives it. */
export const huiqi = createRequire(import.meta.url)(path.join(PKG, "node", "index.js"));

/** Runs the native CLI; stdout as text. */
export function cli(...args) {
  return execFileSync(CLI, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 << 20 });
}

/** Runs the native CLI where it exits non-zero after printing a failure envelope; stdout. */
export function cliFailing(...args) {
  try {
    execFileSync(CLI, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if (typeof e.stdout === "string" && e.stdout.startsWith('{"type":"failure"')) return e.stdout;
    throw e;
  }
  throw new Error(`huiqi ${args.join(" ")} succeeded; a failure was expected`);
}

export function read(rel) {
  return fs.readFileSync(path.join(ROOT, rel), "utf8");
}

export function enterprises() {
  return fs
    .readdirSync(path.join(ROOT, "data", "enterprises"))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => `data/enterprises/${f}`);
}
