// The bundled data in the browser: the module carries none (it would be a fifth of its
// size); the package ships it beside the module in `data/`, and a page loads it once,
// after `init()`:
//
//   import init, { Engine } from "huiqi-wasm/web";
//   import { loadBundled } from "huiqi-wasm/web/bundled.js";
//   await init();
//   const bundled = await loadBundled();          // or loadBundled("/static/huiqi-data/")
//   const engine = Engine.fromSerialized(bundled.saved);
import { installBundled, __onFreshInstance } from "./huiqi_wasm.js";

async function get(base, rel, as) {
  const url = new URL(rel, base);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`huiqi: cannot fetch the bundled data file ${url}: ${e.message}`);
  }
  if (!response.ok) throw new Error(`huiqi: the bundled data file ${url}: HTTP ${response.status}`);
  return as === "bytes" ? new Uint8Array(await response.arrayBuffer()) : response.text();
}

/**
 * Fetches the bundled data from `base` (default: the package's `data/`, beside `web/`)
 * and installs it, also on every fresh instance after a panic. Resolves to
 * `{ policies, saved, schema, codes, samples }`: the number of bundled policy files, the
 * saved set's bytes (for `Engine.fromSerialized`, which starts faster than compiling the
 * texts), the schema text and the code tables and sample enterprises as `{name, text}`.
 */
export async function loadBundled(base = new URL("../data/", import.meta.url)) {
  const dir = new URL(base, globalThis.location?.href ?? import.meta.url);
  const index = JSON.parse(await get(dir, "index.json"));
  const files = (sub, names) => Promise.all(names.map(async (name) => ({ name, text: await get(dir, `${sub}/${name}`) })));
  const [saved, schema, codes, samples] = await Promise.all([
    get(dir, index.set, "bytes"),
    get(dir, index.schema),
    files("codes", index.codes),
    files("enterprises", index.enterprises.map((e) => e.file)),
  ]);
  const install = () => installBundled(saved, schema, codes, samples);
  const policies = install();
  __onFreshInstance(install);
  return { policies, saved, schema, codes, samples, enterprises: index.enterprises };
}
