// Patches the JS glue that wasm-bindgen 0.2.130 generates, for what happens after a panic.
//
// The panic hook (wasm/src/lib.rs) schedules a fresh instance of the module; the glue
// creates it in `__wbg_call_guard()` at the next call. But the generated methods check
// "stale object from a previous instance" *before* that guard runs, so the first call on an
// engine made before the panic passes the check and then hands its old pointer to the new
// instance (memory access out of bounds, or worse, a wrong answer); and `free()` of such an
// engine frees its old pointer in the new instance's allocator. Both are fixed here: the
// guard runs first, and a stale engine's `free()` only forgets its pointer. A fresh instance
// has none of the old one's memory, so neither the bundled data its loader installed
// (`installBundled`): `__onFreshInstance(f)` registers what to run on every fresh instance
// (the loaders of wasm/js/ install the data again). The build fails
// when the generated code no longer has the expected shape (a wasm-bindgen upgrade: check
// whether the patch is still needed).
//   node tools/patch-glue.mjs FILE.js...
import fs from "node:fs";

const STALE = "if (this.__wbg_inst !== undefined && this.__wbg_inst !== __wbg_instance_id) {";
const FREE = /free\(\) \{\n(\s+)const ptr = this\.__destroy_into_raw\(\);\n\s+__wbg_call_guard\(\);\n/g;

for (const file of process.argv.slice(2)) {
  let js = fs.readFileSync(file, "utf8");
  if (js.includes("/* huiqi: glue patched */")) continue;
  const stale = js.split(STALE).length - 1;
  let frees = 0;
  js = js.replaceAll(STALE, `__wbg_call_guard();\n            ${STALE}`);
  js = js.replace(FREE, (_, indent) => {
    frees++;
    return (
      `free() {\n${indent}__wbg_call_guard();\n` +
      `${indent}const stale = this.__wbg_inst !== undefined && this.__wbg_inst !== __wbg_instance_id;\n` +
      `${indent}const ptr = this.__destroy_into_raw();\n${indent}if (stale) return;\n`
    );
  });
  const RESET = /(function __wbg_reset_state \(\) \{[^}]*?wasm\.__wbindgen_start\(\);\n)\}/;
  const reset = RESET.test(js);
  js = js.replace(RESET, (_, body) => `${body}    if (__huiqi_fresh_instance) __huiqi_fresh_instance();\n}`);
  const cjs = js.includes("\nexports.Engine = Engine;");
  js +=
    "\nlet __huiqi_fresh_instance = null;\n" +
    "/** Registers `f` to run after the module gets a fresh instance (after a panic). */\n" +
    (cjs
      ? "exports.__onFreshInstance = function (f) { __huiqi_fresh_instance = f; };\n"
      : "export function __onFreshInstance(f) { __huiqi_fresh_instance = f; }\n");
  if (stale < 5 || frees < 1 || !reset || !js.includes("function __wbg_call_guard()")) {
    console.error(`patch-glue: ${file} does not have the expected shape (stale checks ${stale}, free ${frees}, reset ${reset})`);
    process.exit(1);
  }
  fs.writeFileSync(file, `/* huiqi: glue patched */\n${js}`);
  console.log(`patch-glue: ${file}: ${stale} methods, ${frees} free()`);
}
