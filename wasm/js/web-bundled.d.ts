import type { PolicyFile } from "./huiqi_wasm.js";
/** The bundled data, installed: see `loadBundled`. */
export interface Bundled {
  /** The number of bundled policy files. */
  policies: number;
  /** The saved bundled set, for `Engine.fromSerialized`. */
  saved: Uint8Array;
  /** The enterprise schema's JSON text. */
  schema: string;
  codes: PolicyFile[];
  /** The synthetic sample enterprises. */
  samples: PolicyFile[];
  /** The sample enterprises' files and names. */
  enterprises: { file: string; name: string }[];
}
/**
 * Fetches the bundled data from `base` (default: the package's `data/`) and installs it.
 * Call after `init()`.
 */
export function loadBundled(base?: string | URL): Promise<Bundled>;
