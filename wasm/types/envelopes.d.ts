// The shared JSON envelopes of huiqi::ffi (core/src/ffi.rs) and their payloads, written by
// hand from the Rust types they serialise. They are appended to the .d.ts that wasm-bindgen
// generates (typescript_custom_section in wasm/src/lib.rs) and checked by `tsc --noEmit` on
// wasm/test/consumer.ts. Numbers of money, scores and rates are exact decimals: strings.

/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;
/** An exact decimal as text (`"362800"`, `"0.83"`). */
export type DecimalString = string;

/** One error of a failure envelope. */
export interface ErrorItem {
  kind: ErrorKind;
  message: string;
  /** JSON path (`$.employees.2024`), or the part of a policy (`condition`, `benefit.amount`, `file`). */
  path?: string;
  /** File (or other origin) of a policy text. */
  origin?: string;
  policy?: string;
  /** 1-based line and column (in characters) inside the condition or file text. */
  line?: number;
  column?: number;
  /** 0-based position of the item in a request's array (`match_many`'s `profiles`). */
  item?: number;
  hint?: string;
}

/** The kinds of error, the same in every binding (core/src/ops/error.rs, docs/operations.md). */
export type ErrorKind =
  | "request" | "json" | "profile" | "policy" | "unknown_policy" | "schema" | "codes" | "compiled" | "store" | "file"
  | "internal";

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

export type Verdict = "eligible" | "ineligible" | "undetermined";
export type Mode = "apply" | "automatic";
export type WindowStatus = "upcoming" | "open" | "closing_soon" | "closed" | "always";

export interface BenefitEstimate {
  amount_yuan?: DecimalString;
  max_yuan?: DecimalString;
  /** For people: `20万元`, `约 36.28万元`, `1500元 × 12人 = 1.8万元`. */
  display: string;
}

export interface ConditionNote {
  condition: string;
  message_zh: string;
  message_en: string;
}

export interface FieldRef {
  name: string;
  label: string;
}

export interface PolicyOutcome {
  id: string;
  title: string;
  doc_no: string;
  verdict: Verdict;
  /** Share of leaf conditions met, `"0"`–`"1"`. */
  score: DecimalString;
  benefit: BenefitEstimate;
  unmet?: ConditionNote[];
  undetermined?: ConditionNote[];
  missing_fields?: FieldRef[];
  manual_review?: boolean;
  tags?: string[];
  mode: Mode;
  window: WindowStatus;
  closes?: IsoDate;
  /** Whether the encoding was confirmed against the official text (absent: not said). */
  verified?: boolean;
  /** What could not be confirmed, when `verified` is false. */
  unverified?: string;
}

export interface NextQuestion {
  field: string;
  label: string;
  /** How many undetermined policies this field helps decide. */
  decides: number;
  policies: string[];
  benefit_yuan: DecimalString;
}

export interface Summary {
  eligible: number;
  undetermined: number;
  ineligible: number;
}

export interface LeftOut {
  id: string;
  because_of: string;
  message_zh: string;
  message_en: string;
}

export interface Combination {
  policies: string[];
  total_yuan: DecimalString;
  left_out?: LeftOut[];
  approximate?: boolean;
}

/** One listed policy at the `verdicts` detail level. */
export interface PolicyVerdict {
  id: string;
  verdict: Verdict;
}

/** `match` with `detail: "verdicts"` (and `verdicts`): the counts, and ids and verdicts. */
export interface VerdictsResult {
  as_of: IsoDate;
  enterprise?: string;
  summary: Summary;
  policies: PolicyVerdict[];
  warnings?: string[];
}

/**
 * `match` (`detail` `summary` or `full`): the counts of every policy in force, and the
 * listed policies (by default the eligible and undetermined ones), eligible first. At
 * `summary` the policies carry no `unmet` / `undetermined` conditions in words.
 */
export interface MatchResult {
  as_of: IsoDate;
  enterprise?: string;
  summary: Summary;
  policies: PolicyOutcome[];
  next_questions: NextQuestion[];
  recommended: Combination;
  warnings?: string[];
}

export type ExplanationStatus = "met" | "unmet" | "unknown";

/** One node of an explanation tree. */
export interface Explanation {
  status: ExplanationStatus;
  /** `all`, `any`, `not`, `at_least`, `definition`, `policy`, `leaf`, `manual_review`, `if_condition` … */
  kind: string;
  text: string;
  message_zh: string;
  message_en: string;
  seen?: string;
  required?: string;
  missing?: FieldRef[];
  children?: Explanation[];
}

/** `explain`: one policy for one enterprise. */
export interface ExplainResult {
  as_of: IsoDate;
  policy: PolicyOutcome;
  condition: string;
  explanation: Explanation;
}

/** `check`: a policy set that compiles. */
export interface CheckSummary {
  policies: number;
  definitions: number;
  ids: string[];
}

/** `checkCondition`: a condition text that checks. */
export interface ConditionCheck {
  /** The condition as the engine prints it. */
  canonical: string;
  /** Fields, derived fields and definitions it names. */
  names: string[];
  /** Policies it depends on through `eligible(…)`. */
  policies: string[];
}

/** `lint`: one finding. */
export interface LintFinding {
  level: "info" | "warning";
  code: string;
  policy?: string;
  line?: number;
  column?: number;
  message: string;
}

/** `lint`: the findings (with a store, natively, also each policy's reach). */
export interface LintResult {
  findings: LintFinding[];
  reach?: { policy: string; eligible: number; undetermined: number; examples: string[] }[];
  manual_only_undetermined?: { enterprise: string; policies: string[] }[];
}

/** `policies`: the published list (政策精准公开). */
export interface PolicyList {
  policies: ListedPolicy[];
}

/** One policy as published, with its condition text. */
export interface ListedPolicy {
  id: string;
  title: string;
  issuer: string;
  doc_no: string;
  /** 国家, 省, 市, 区县. */
  level: string;
  /** `2023-01-01 – 2027-12-31`, `2018-01-01 起长期` … */
  validity: string;
  window?: string;
  /** 免申即享 or 申报. */
  mode: string;
  benefit: string;
  tags: string[];
  verified?: boolean;
  unverified?: string;
  reviewed_on?: IsoDate;
  source: string;
  url?: string;
  year: number;
  origin: string;
  condition: string;
  effective_from?: IsoDate;
  effective_to?: IsoDate;
}

export interface Choice {
  code: string;
  label: string;
}

export type FieldType = "bool" | "decimal" | "integer" | "date" | "enum" | "code" | "tags" | "qualifications" | "text";

export interface FieldInfo {
  name: string;
  /** Chinese label (`注册资本`). */
  label: string;
  description: string;
  type: FieldType;
  /** The unit a bare number is read in: `万元`, `人`, `%`, `件`, `年`, `月` … */
  unit?: string;
  /** Per fiscal year: the profile gives `{"2024": …, "2025": …}`. */
  per_year: boolean;
  ordered?: boolean;
  values?: Choice[];
  /** Code fields: the code system, listed in `SchemaInfo.codes`. */
  system?: string;
  allow_negative?: boolean;
}

export interface FieldGroup {
  id: string;
  label: string;
  fields: FieldInfo[];
}

export interface CodeList {
  system: string;
  standard: string;
  codes: Choice[];
}

/** `schemaInfo` / `Engine.schema`: the profile form. */
export interface SchemaInfo {
  version: string;
  description: string;
  groups: FieldGroup[];
  qualifications: { code: string; label: string; issuer?: string; validity_years?: number }[];
  qualification_levels: Choice[];
  derived: { name: string; label: string; description: string }[];
  codes: CodeList[];
}

/** A policy file: a name (`.jsonl` is read as JSON lines) and its text. */
export interface PolicyFile {
  name: string;
  text: string;
}

/** Policies to build an engine from: one file's text, or several files. */
export type PolicySource = string | PolicyFile[];

/** How much `match` shows of each listed policy. */
export type Detail = "verdicts" | "summary" | "full";

/** Options of `match` (the same names as the CLI flags, the C ABI and Python). */
export interface MatchOptions {
  /** `index` (default, fast) or `reference` (the reference evaluator; same answers). */
  engine?: "index" | "reference";
  /**
   * `full` (default): conditions in words too; `summary`: score, benefit, missing fields,
   * next questions, recommendation; `verdicts`: ids and verdicts only.
   */
  detail?: Detail;
  /** Also list the ineligible policies (default: eligible and undetermined only). */
  all?: boolean;
  /** List at most this many policies, the best first (the counts cover all). */
  limit?: number;
  /** Only policies with one of these tags (政策包). */
  tags?: string[];
  /** Also recommend undetermined policies. */
  recommendUndetermined?: boolean;
}

/** An enterprise profile (一企一档) as JSON; fields per the schema. */
export type Profile = Record<string, unknown>;

/** What `new Engine(...)` and `Engine.fromSerialized(...)` throw when the set does not compile. */
export interface HuiqiError extends Error {
  name: "HuiqiError";
  /** Every problem, with file, policy, line and column. */
  errors: ErrorItem[];
  /** The failure envelope as JSON text. */
  envelope: string;
}
