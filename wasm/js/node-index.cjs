// The package's entry in Node (CommonJS): the engine (`./huiqi_wasm.js`) with its bundled
// data installed from the files beside the module (`../data`, see `loadBundled`), so
// `new Engine()` is the bundled real policies as in every other binding.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const huiqi = require("./huiqi_wasm.js");

const DATA = path.join(__dirname, "..", "data");

function read(dir, rel, binary) {
  const file = path.join(dir, rel);
  try {
    return binary ? fs.readFileSync(file) : fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`huiqi: cannot read the bundled data file ${file}: ${e.message}`);
  }
}

/**
 * Reads the bundled data (the saved bundled set, schema, code tables and sample
 * enterprises) from `dir` (default: the package's `data/`) and installs it, also on every
 * fresh instance of the module after a panic. Returns the number of bundled policy files.
 */
function loadBundled(dir = DATA) {
  let index;
  try {
    index = JSON.parse(read(dir, "index.json"));
  } catch (e) {
    throw new Error(`huiqi: ${path.join(dir, "index.json")}: ${e.message}`);
  }
  const files = (sub, list) => list.map((name) => ({ name, text: read(dir, `${sub}/${name}`) }));
  const saved = new Uint8Array(read(dir, index.set, true));
  const schema = read(dir, index.schema);
  const codes = files("codes", index.codes);
  const samples = files("enterprises", index.enterprises.map((e) => e.file));
  const install = () => huiqi.installBundled(saved, schema, codes, samples);
  const n = install();
  huiqi.__onFreshInstance(install);
  return n;
}

loadBundled();

module.exports = { ...huiqi, loadBundled };
