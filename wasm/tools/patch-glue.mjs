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
//
// With --traps (the web and studio modules, whose std is built with panic=immediate-abort:
// wasm/build.sh), a panic traps without running the hook. The instance's exports are then
// wrapped: a `WebAssembly.RuntimeError` from any of them is logged and schedules the fresh
// instance, as the hook does, and is thrown on to the caller.
//   node tools/patch-glue.mjs [--traps] FILE.js...
import fs from "node:fs";

const TRAPS = `
/** The module traps on a panic (std built with panic=immediate-abort: no message, no hook).
 *  Each export is wrapped: a trap is logged, gives the next call a fresh instance, and is
 *  thrown on to its caller only. */
function __huiqi_catch_traps(exports) {
    const wrapped = {};
    for (const [name, value] of Object.entries(exports)) {
        wrapped[name] = typeof value !== "function" ? value : function (...args) {
            try {
                return value.apply(this, args);
            } catch (e) {
                if (e instanceof WebAssembly.RuntimeError) {
                    console.error(\`huiqi: the WebAssembly module trapped in \${name} (\${e.message}): a bug, please report it; the next call gets a fresh instance\`);
                    __wbg_reinit_scheduled = true;
                }
                throw e;
            }
        };
    }
    return wrapped;
}
`;
const args = process.argv.slice(2);
const traps = args.includes("--traps");

const STALE = "if (this.__wbg_inst !== undefined && this.__wbg_inst !== __wbg_instance_id) {";
const FREE = /free\(\) \{\n(\s+)const ptr = this\.__destroy_into_raw\(\);\n\s+__wbg_call_guard\(\);\n/g;

for (const file of args.filter((a) => a !== "--traps")) {
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
  let wrapped = 0;
  if (traps) {
    js = js.replace(/\bwasm = (wasmInstance|instance)\.exports;/g, (_, inst) => {
      wrapped++;
      return `wasm = __huiqi_catch_traps(${inst}.exports);`;
    });
    js += TRAPS;
  }
  const cjs = js.includes("\nexports.Engine = Engine;");
  js +=
    "\nlet __huiqi_fresh_instance = null;\n" +
    "/** Registers `f` to run after the module gets a fresh instance (after a panic). */\n" +
    (cjs
      ? "exports.__onFreshInstance = function (f) { __huiqi_fresh_instance = f; };\n"
      : "export function __onFreshInstance(f) { __huiqi_fresh_instance = f; }\n");
  const reinitFlag = js.includes("let __wbg_reinit_scheduled = false;");
  if (stale < 5 || frees < 1 || !reset || !js.includes("function __wbg_call_guard()") || (traps && (wrapped < 2 || !reinitFlag))) {
    console.error(
      `patch-glue: ${file} does not have the expected shape (stale checks ${stale}, free ${frees}, reset ${reset}, exports wrapped ${wrapped}, reinit flag ${reinitFlag})`,
    );
    process.exit(1);
  }
  fs.writeFileSync(file, `/* huiqi: glue patched */\n${js}`);
  console.log(`patch-glue: ${file}: ${stale} methods, ${frees} free()${traps ? `, traps caught on ${wrapped} instantiations` : ""}`);
}
