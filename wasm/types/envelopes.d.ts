// The generic part of the package's types, the only part written by hand: the envelope
// (`Envelope<T>`, its JSON text `EnvelopeJson<T>`), the policy sources an engine is built
// from, and the error a constructor throws. Every request and result type is generated from
// the Rust types into operations.d.ts (wasm/tools/gen-types.mjs, from
// docs/operations.schema.json). Both are appended to the .d.ts that wasm-bindgen generates
// (typescript_custom_section in wasm/src/lib.rs) and checked by `tsc --noEmit` on
// wasm/test/consumer.ts. Numbers of money, scores and rates are exact decimals: strings.

/** An exact decimal as text (`"362800"`, `"0.83"`). */
export type DecimalString = string;

export interface Success<T> {
  type: "success";
  result: T;
  warnings?: string[];
}

export interface Failure {
  type: "failure";
  errors: ErrorItem[];
}

/** Every answer: `{"type": "success", "result": …}` or `{"type": "failure", "errors": […]}`. */
export type Envelope<T> = Success<T> | Failure;

/** JSON text of an `Envelope<T>` (byte-identical to the CLI's `--json`); `JSON.parse` gives the envelope. */
export type EnvelopeJson<T> = string & { readonly __envelope?: T };

/** How much `match` shows of each listed policy (`MatchOptions.detail`). */
export type Detail = "verdicts" | "summary" | "full";

/** A policy file: a name (`.jsonl` is read as JSON lines) and its text. */
export interface PolicyFile {
  name: string;
  text: string;
}

/** Policies to build an engine from: one file's text, or several files. */
export type PolicySource = string | PolicyFile[];

/** An enterprise profile (一企一档) as JSON; fields per the schema (docs/profile.md). */
export type Profile = Record<string, unknown>;

/** What `new Engine(...)` and `Engine.fromSerialized(...)` throw when the set does not compile. */
export interface HuiqiError extends Error {
  name: "HuiqiError";
  /** Every problem, with file, policy, line and column. */
  errors: ErrorItem[];
  /** The failure envelope as JSON text. */
  envelope: string;
}
