export * from "./huiqi_wasm.js";
/**
 * Reads the bundled data (saved bundled set, schema, code tables, sample enterprises)
 * from `dir` (default: the package's `data/`, done when the package is loaded) and
 * installs it. Returns the number of bundled policy files.
 */
export function loadBundled(dir?: string): number;
