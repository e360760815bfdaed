/*
 * huiqi.h — the C ABI of Huiqi (惠企), the policy-matching engine for
 * enterprise-support policies. Link with -lhuiqi (libhuiqi.so or libhuiqi.a; the
 * static library also needs -lpthread -ldl -lm -lrt -lutil -lgcc_s).
 *
 * JSON in, JSON out. Every answer is an envelope, byte-identical to the CLI's --json:
 *
 *   {"type":"success","result":{...}}
 *   {"type":"failure","errors":[{"kind":"profile","message":"...","path":"$.employees.2024"}]}
 *
 * Error kinds (the same in every binding; docs/operations.md): "request" (a bad
 * argument: null, not UTF-8, bad as_of, unknown option or operation, invalid handle
 * given to huiqi_store_open), "json", "profile", "policy", "unknown_policy", "schema",
 * "codes", "compiled", "store" (an enterprise file that cannot be read or keeps no
 * row, a corrupt store file, a store of another schema), "file" (a folder or file
 * that cannot be read), "internal".
 *
 * ONE ENTRY POINT. huiqi_call(engine, store, op, request_json) answers every
 * operation of the operation layer by name (match, explain, calendar, lint, policies,
 * check_condition, reverse, ...), byte for byte as `huiqi call OP`, Python's and
 * WASM's Engine.call; the other functions are typed shortcuts for the common ones.
 *
 * ERRORS. Bad input never crashes. Calls that return a string return an envelope,
 * also for null, non-UTF-8 or malformed arguments; they return NULL only when a
 * handle itself is invalid (null, already freed, not made by this library, or a
 * handle of the other kind: an engine where a store is expected, or the reverse), and
 * then huiqi_last_error() says why. Constructors (huiqi_engine_*, huiqi_store_open)
 * return NULL on failure and give the failure envelope through error_out. Panics are
 * caught at the boundary and reported as "internal" failures.
 *
 * STACK AND LIMITS. Every call fits in 256 KB of stack (measured with half of that);
 * call from any thread with at least 256 KB (musl's 128 KB default thread stack is too
 * small: raise it with pthread_attr_setstacksize). Input beyond the limits of
 * docs/limits.md (chain and list length, nesting, definition and eligible() chains,
 * line length) gives a failure envelope naming the limit.
 *
 * DETAIL. A match costs what it shows. huiqi_match returns the eligible and
 * undetermined policies in full (score, benefit, unmet and undetermined conditions
 * in words, missing fields) with the counts of every policy in force, the next
 * questions and the recommended combination. huiqi_match_opts and
 * huiqi_match_many_opts take options as JSON, the same names as the CLI flags and the
 * Python and WASM options: {"detail": "verdicts"|"summary"|"full", "all": true,
 * "tags": [...], "limit": N, "recommend_undetermined": true, "engine":
 * "index"|"reference"}. huiqi_verdicts is the verdicts level: ids and verdicts only.
 *
 * OWNERSHIP. Strings returned by huiqi_match, huiqi_match_opts, huiqi_verdicts,
 * huiqi_match_many, huiqi_match_many_opts, huiqi_explain, huiqi_call,
 * huiqi_check, huiqi_store_info, huiqi_reverse, huiqi_bulk_counts and through
 * error_out belong to the caller: free each with huiqi_string_free (never with
 * free()). huiqi_version() and huiqi_last_error() are owned by the library: do not
 * free them. Engines are freed with huiqi_engine_free, stores with huiqi_store_free.
 * Input strings are only read during the call.
 *
 * HANDLES. There are two kinds of handle: engines (HuiqiEngine) and enterprise
 * stores (HuiqiStore). Every call checks its handles against a registry of live
 * handles, which knows each one's kind, before touching them, so a freed or foreign
 * handle, or a handle of the other kind, is reported (NULL + huiqi_last_error), not
 * dereferenced. (If a new handle happens to be allocated at the address of a freed
 * one, the stale pointer then designates the new engine or store.)
 *
 * STORES. huiqi_store_open loads enterprises (a store file saved by `huiqi store
 * build`, CSV or JSON lines) with the schema of an engine, once; huiqi_reverse and
 * huiqi_bulk_counts then evaluate them against an engine's policies. A store must be
 * used with an engine of the same schema as the one it was opened with (any policy
 * set over that schema will do); with an engine of another schema they return a
 * failure envelope of kind "store". A store does not keep its engine: either may be
 * freed first.
 *
 * THREADS. Engines and stores are immutable once built or opened, and Send + Sync:
 *   - huiqi_match_many_opts spreads one batch over up to its `threads` argument
 *     threads (scoped: they end before the call returns);
 *   - any number of threads may call huiqi_match, huiqi_match_opts, huiqi_verdicts,
 *     huiqi_explain, huiqi_match_many, huiqi_match_many_opts,
 *     huiqi_reverse, huiqi_bulk_counts and huiqi_store_info on the same engines and
 *     stores at the same time, without locking;
 *   - huiqi_reverse and huiqi_bulk_counts also spread one call over the cores, on a
 *     pool of worker threads started by the first such call and kept until the
 *     process exits (leak checkers may call those threads' thread-local storage
 *     "possibly lost" at exit: see examples/c/valgrind.supp);
 *   - constructors (including huiqi_store_open, also with an engine in use by other
 *     threads), huiqi_check, huiqi_version and huiqi_string_free may be called from
 *     any thread at any time (each string is freed once, by one thread);
 *   - huiqi_engine_free and huiqi_store_free should not race with use of the same
 *     handle. If they do, it is still memory-safe: calls already running finish on
 *     their own reference, and calls that start after the free return NULL.
 *   - huiqi_last_error() is per thread: it describes the last failing call made on
 *     the calling thread.
 */


#ifndef HUIQI_H
#define HUIQI_H

/* Generated by cbindgen from ffi/src/lib.rs. Do not edit: run scripts/test-bindings or the command in ffi/cbindgen.toml. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * An engine: a schema and a compiled policy set, immutable once built.
 *
 * Opaque to C. Made by `huiqi_engine_new`, `huiqi_engine_from_dir`,
 * `huiqi_engine_from_sources`, `huiqi_engine_with_tables` or `huiqi_engine_from_spec`;
 * freed by `huiqi_engine_free`.
 */
typedef struct HuiqiEngine HuiqiEngine;

/**
 * An enterprise store: enterprises in columns, loaded from a saved store file, CSV, JSON
 * lines, a folder of profiles or an Arrow stream with an engine's schema, immutable once
 * opened, with the predicate sets of the last date asked.
 *
 * Opaque to C. Made by `huiqi_store_open` or `huiqi_store_from_arrow`; freed by
 * `huiqi_store_free`.
 */
typedef struct HuiqiStore HuiqiStore;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Frees a string returned by this library. NULL is ignored.
 *
 * # Safety
 * `s` is NULL or a string returned by this library and not freed yet.
 */
void huiqi_string_free(char *s);

/**
 * Why the most recent failing call on this thread returned NULL (a constructor —
 * `huiqi_engine_*` or `huiqi_store_open` — or a call with an invalid handle;
 * `huiqi_engine_free` and `huiqi_store_free` with an invalid handle also set it). NULL
 * when that call succeeded. Owned by the library: valid until the next call on this
 * thread of any function but `huiqi_string_free`, `huiqi_version` and
 * `huiqi_last_error`; do not free it.
 */
const char *huiqi_last_error(void);

/**
 * The library version (`MAJOR.MINOR.PATCH`), a static string: do not free it.
 */
const char *huiqi_version(void);

/**
 * Matches one enterprise profile (JSON text) against every policy in force on `as_of`
 * (`YYYY-MM-DD`): the envelope of `huiqi match --json`.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle.
 *
 * # Safety
 * `engine` is any pointer value (checked before use); the strings are NULL or
 * NUL-terminated strings valid for the call.
 */
char *huiqi_match(const HuiqiEngine *engine, const char *profile_json, const char *as_of);

/**
 * Matches one enterprise profile with options: the envelope of `huiqi match --json` with
 * the same options. `options_json` is NULL (the defaults) or a JSON object, every key
 * optional:
 *
 * ```json
 * {"detail": "verdicts" | "summary" | "full", "all": false, "tags": ["科创"], "limit": 20,
 *  "recommend_undetermined": false, "engine": "index" | "reference"}
 * ```
 *
 * By default (`full`) the eligible and undetermined policies are listed with score,
 * benefit, unmet and undetermined conditions and missing fields, with the counts of all
 * policies; `"all": true` lists the ineligible ones too. `summary` leaves out the
 * conditions in words; `verdicts` lists only ids and verdicts (the fast form for bulk
 * callers, see also `huiqi_verdicts`). Unknown keys or values are a failure envelope
 * (kind `"request"`).
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle.
 *
 * # Safety
 * As `huiqi_match`; `options_json` is NULL or a NUL-terminated string valid for the call.
 */
char *huiqi_match_opts(const HuiqiEngine *engine,
                       const char *profile_json,
                       const char *as_of,
                       const char *options_json);

/**
 * The verdicts-only match: the counts of every policy in force, and the ids and verdicts
 * of the eligible and undetermined ones (`huiqi_match_opts` with
 * `{"detail": "verdicts"}`), at the policy index's speed.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle.
 *
 * # Safety
 * As `huiqi_match`.
 */
char *huiqi_verdicts(const HuiqiEngine *engine, const char *profile_json, const char *as_of);

/**
 * The compact verdicts: the verdict of every policy as one byte in `out`, in the set's
 * order, with no JSON built (the fast path for callers that keep the ids): 0 ineligible,
 * 1 eligible, 2 undetermined, 3 not in force on `as_of`. The ids, in that order, come
 * once from `huiqi_call(engine, "policy_ids", NULL)`. `out` holds `out_len` bytes, at
 * least one per policy; bytes past the set's are left alone. Each thread keeps one
 * matcher for the last engine it matched on, so no buffer is allocated per call.
 *
 * Returns the number of policies written (>= 0). Returns -1 when the engine is not a live
 * handle (`huiqi_last_error()` says why) or the profile, date or buffer is bad
 * (`huiqi_last_error()` holds the failure envelope, as `huiqi_verdicts` would answer it).
 *
 * # Safety
 * `profile_json` and `as_of` as in `huiqi_match`; `out` is NULL or points to `out_len`
 * writable bytes that nothing else touches during the call.
 */
int64_t huiqi_verdict_bytes(const HuiqiEngine *engine,
                            const char *profile_json,
                            const char *as_of,
                            uint8_t *out,
                            size_t out_len);

/**
 * Matches many profiles given as JSON lines, with options (as `huiqi_match_opts`; use
 * `{"detail": "verdicts"}` for bulk work): one envelope line (ending in `\n`) per input
 * line, in order, so that output line N answers input line N. A bad or blank line gives
 * a failure line carrying its line number (counted from `first_line`, 0 or 1 for the
 * first line of `jsonl`: a caller sending a long stream in chunks passes the number of
 * each chunk's first line); the batch goes on. The lines are shared out
 * over up to `threads` threads (0: as many as the machine has cores), each with its
 * own reusable matcher; the answer is the same for any thread count.
 *
 * Returns the lines (free them with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle. Bad options or a null argument give a single failure line.
 *
 * # Safety
 * As `huiqi_match_opts`.
 */
char *huiqi_match_many_opts(const HuiqiEngine *engine,
                            const char *jsonl,
                            const char *as_of,
                            const char *options_json,
                            uint64_t first_line,
                            uint32_t threads);

/**
 * Matches many profiles given as JSON lines, at the default detail: one envelope line
 * (ending in `\n`) per input line, in order. A bad or blank line gives a failure line
 * carrying its line number; the batch goes on (see `huiqi_match_many_opts` for options
 * and threads).
 * A bad `as_of` gives a failure line for every input line; a null or non-UTF-8 argument
 * gives a single failure line.
 *
 * Returns the lines (free them with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle.
 *
 * # Safety
 * As `huiqi_match`.
 */
char *huiqi_match_many(const HuiqiEngine *engine, const char *jsonl, const char *as_of);

/**
 * Explains one policy for one enterprise profile on `as_of`: the envelope of
 * `huiqi explain --json`.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
 * a live handle.
 *
 * # Safety
 * As `huiqi_match`.
 */
char *huiqi_explain(const HuiqiEngine *engine,
                    const char *profile_json,
                    const char *policy_id,
                    const char *as_of);

/**
 * The schema fields the engine's policies read (conditions and benefits, through
 * definitions and derived fields) and the fields that name an enterprise: a success
 * envelope `{"fields": [{"name": …, "label": …, "per_year": bool}], "ids": ["uscc",
 * "name"]}`. A columnar job (Arrow, Parquet, Spark) may hand over only these columns
 * (for a per-year field, its `name_YYYY` columns): the others change no answer, and
 * moving them costs time.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` is not
 * a live engine handle.
 *
 * # Safety
 * `engine` is any pointer value (checked before use).
 */
char *huiqi_fields_read(const HuiqiEngine *engine);

/**
 * Answers any operation by name, with its request as JSON text: the one entry point
 * that covers everything the other bindings offer, byte for byte the same envelopes
 * (`huiqi call OP` on the command line, `Engine.call` in Python and WASM, `POST
 * /v1/OP` on the HTTP service). docs/operations.md lists the operations and their
 * requests: `match`, `verdicts`, `summary`, `next_questions`, `explain`, `calendar`,
 * `match_many`, `check_condition`, `check_policy`, `lint`, `policies`, `schema`,
 * `fields_read`, and on a store `store_info`, `prepare`, `reverse`, `bulk_counts`
 * (`lint` counts each policy's reach when given a store).
 *
 * `store` is NULL or a store handle, for the operations on enterprises in bulk.
 * `request_json` is NULL or empty for `{}`. An unknown operation, an unknown request
 * key or a missing store is a failure envelope of kind `"request"`.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine`, or a
 * non-null `store`, is not a live handle of its kind.
 *
 * # Safety
 * `engine` and `store` are any pointer values (checked before use); the strings are NULL
 * or NUL-terminated strings valid for the call.
 */
char *huiqi_call(const HuiqiEngine *engine,
                 const HuiqiStore *store,
                 const char *op,
                 const char *request_json);

/**
 * Opens a store from an Arrow C stream of record batches (the Arrow C stream interface,
 * `struct ArrowArrayStream`), with the engine's schema: no file and no JSON on the way.
 *
 * Columns are named by schema field names or labels; a per-year field has one column per
 * year, `rd_expense_2025`; tags are a list of strings; qualifications a list of structs
 * with a profile qualification's keys; null is unknown (docs/arrow.md has the types). A
 * column that is not a schema field, or a cell that does not fit its field, fails the
 * whole call with a failure whose message names the column and the row (counted from 0
 * over the stream).
 *
 * `stream` is consumed: the library releases it (also on failure) and the caller must not
 * use or release it again; NULL is a request failure. Returns a store handle (free with
 * `huiqi_store_free`), or NULL with `*error_out` set as for `huiqi_store_open`.
 *
 * # Safety
 * `engine` is any pointer value (checked before use); `stream` is NULL or points to a
 * valid `struct ArrowArrayStream` the caller owns and hands over; `error_out` is NULL or
 * points to writable storage for one `char *`.
 */
HuiqiStore *huiqi_store_from_arrow(const HuiqiEngine *engine, void *stream, char **error_out);

/**
 * Every enterprise of a store against every policy version in force on `as_of`, as an
 * Arrow C stream of record batches written to `out` (a `struct ArrowArrayStream` the
 * caller allocated; the caller releases it when done).
 *
 * `options_json`: NULL, or `{"output": "pairs" | "lists" | "counts", "undetermined":
 * bool, "missing": bool}` (default pairs, no undetermined, no missing fields):
 *
 * - pairs: `enterprise_id`, `policy_id`, `verdict` (utf8): one row per eligible pair, and
 *   per undetermined pair when asked, policy by policy, as `huiqi bulk` writes them; with
 *   `missing` (and `undetermined`) a fourth column `missing_fields` (list<utf8>: the
 *   field names an undetermined pair lacks, null for eligible pairs), which matches each
 *   enterprise with an undetermined pair on its own (much slower than the rest);
 * - lists: `enterprise_id`, `eligible` (list<utf8> of policy ids), and `undetermined`
 *   when asked: one row per enterprise, in store order;
 * - counts: `policy_id`, `eligible`, `undetermined` (uint64): one row per policy.
 *
 * Returns a success envelope (`{"output": …, "undetermined": bool}`) when `out` was
 * written, else a failure envelope (`out` untouched); free it with `huiqi_string_free`.
 * NULL only when `engine` or `store` is not a live handle of its kind. The batches are
 * made as they are read (64 Ki rows each), from the bulk result computed by this call.
 *
 * # Safety
 * `engine` and `store` are any pointer values (checked before use); the strings are NULL
 * or NUL-terminated strings valid for the call; `out` is NULL or points to writable
 * storage for one `struct ArrowArrayStream`.
 */
char *huiqi_bulk_arrow(const HuiqiEngine *engine,
                       const HuiqiStore *store,
                       const char *as_of,
                       const char *options_json,
                       void *out);

/**
 * Builds an engine from a schema and one policy-set document.
 *
 * `schema_json`: the enterprise schema as JSON text, or NULL for the bundled schema.
 * `policies_json`: one policy-set JSON document (`{"definitions": …, "policies": […]}`, an
 * array of policies, or one policy), or NULL for the bundled real policies.
 *
 * Returns a new engine, or NULL when the schema or the policies have problems: then
 * `*error_out` (if `error_out` is non-null) receives a failure envelope listing every
 * problem (free it with `huiqi_string_free`; it is set to NULL on success), and
 * `huiqi_last_error()` a one-line summary.
 *
 * # Safety
 * The string arguments are NULL or NUL-terminated strings valid for the call;
 * `error_out` is NULL or points to writable storage for one `char *`.
 */
HuiqiEngine *huiqi_engine_new(const char *schema_json, const char *policies_json, char **error_out);

/**
 * Builds an engine from what an engine spec (JSON text) names, every key optional:
 *
 * ```json
 * {"schema": "<schema JSON text>", "codes": [{"origin": "industry.json", "text": …}],
 *  "policies": [{"origin": "a.json", "text": …}], "include_bundled": false}
 * ```
 *
 * Absent parts are the bundled schema, code tables and policies; `include_bundled`
 * compiles the given policies after the bundled ones. The form of the other bindings
 * (Python `Engine(spec=…)`, the HTTP service), for callers who build a spec anyway.
 *
 * Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
 * `huiqi_engine_new`.
 *
 * # Safety
 * As `huiqi_engine_new`.
 */
HuiqiEngine *huiqi_engine_from_spec(const char *spec_json, char **error_out);

/**
 * Builds an engine from the bundled schema and the policy files of a folder (every
 * `.json` and `.jsonl` file, in name order) or of one file, as `huiqi --policies DIR`.
 *
 * Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
 * `huiqi_engine_new`; a folder or file that cannot be read is an error of kind `file`.
 *
 * # Safety
 * As `huiqi_engine_new`.
 */
HuiqiEngine *huiqi_engine_from_dir(const char *policies_dir, char **error_out);

/**
 * Builds an engine from a schema and several in-memory policy files, optionally after
 * the bundled real policies (whose definitions and policies the files may then use).
 *
 * `sources_json`: a JSON array of `{"origin": "name.json", "text": …}`, where `text` is
 * the file's content as a JSON string, or the policy-set document itself. An origin
 * ending in `.jsonl` reads the text as one policy per line. The origin appears in error
 * locations.
 *
 * Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
 * `huiqi_engine_new`.
 *
 * # Safety
 * As `huiqi_engine_new`.
 */
HuiqiEngine *huiqi_engine_from_sources(const char *schema_json,
                                       const char *sources_json,
                                       bool include_bundled,
                                       char **error_out);

/**
 * Builds an engine on replaced code tables (and optionally a schema), from in-memory
 * policy files or the bundled policies: what `huiqi --codes DIR` does on the command
 * line, for a platform whose data follows another revision of the region or industry
 * codes, or another province's zones.
 *
 * `codes_json`: a JSON array of `{"origin": "industry.json", "text": …}` (the table
 * file's name and content, as for `sources_json`); each table replaces the bundled table
 * of the same system (`industry`, `region`, `zone`) and is validated as the bundled ones
 * are. NULL or `[]`: the bundled tables.
 * `sources_json`: as for `huiqi_engine_from_sources`, or NULL for the bundled policies
 * (`include_bundled` then has no effect).
 *
 * Returns NULL on failure, with `*error_out` and `huiqi_last_error()` as for
 * `huiqi_engine_new`; a bad table is an error of kind `codes` naming the file.
 *
 * # Safety
 * As `huiqi_engine_new`.
 */
HuiqiEngine *huiqi_engine_with_tables(const char *schema_json,
                                      const char *codes_json,
                                      const char *sources_json,
                                      bool include_bundled,
                                      char **error_out);

/**
 * Frees an engine. NULL is ignored. A handle that is not live (freed already, or not
 * made by this library) is left alone and reported by `huiqi_last_error()`.
 *
 * Calls already running on the engine in other threads finish normally (they hold
 * their own reference); calls made after this one return NULL.
 *
 * # Safety
 * `engine` is NULL or any pointer value; it is only dereferenced when it is a live handle.
 */
void huiqi_engine_free(HuiqiEngine *engine);

/**
 * Checks a schema and a policy-set document, as `huiqi check`: a success envelope with a
 * summary (`policies`, `definitions`, `ids`), or a failure envelope with every problem
 * (origin, policy, line, column, hint).
 *
 * `schema_json`: NULL for the bundled schema. `policies_json`: one policy-set document,
 * or NULL for the bundled policies. Never returns NULL.
 *
 * # Safety
 * The strings are NULL or NUL-terminated strings valid for the call.
 */
char *huiqi_check(const char *schema_json, const char *policies_json);

/**
 * Opens an enterprise store for `huiqi_reverse` and `huiqi_bulk_counts`: a store file
 * saved by `huiqi store build`, enterprises as CSV (a `.csv` name) or JSON lines (any
 * other name), or a folder of profiles (one JSON document per `.json` file), read with
 * the schema of `engine`, as `huiqi reverse --enterprises PATH`. Bad CSV or JSON-lines
 * rows are skipped and counted in the load report (`huiqi_store_info`); an unreadable
 * file, a store file that is corrupt or was built with another schema, or a file whose
 * rows are mostly bad (none kept, or more skipped than kept) is an error.
 *
 * The store does not keep `engine`: either may be freed first. Use the store with
 * engines of the same schema as `engine` (any policy set).
 *
 * Returns a new store, or NULL on failure: then `*error_out` (if `error_out` is
 * non-null) receives a failure envelope (kind `"store"` for the file, `"request"` for a
 * null, non-UTF-8 or invalid argument, including an engine handle that is not live; free
 * it with `huiqi_string_free`; it is set to NULL on success), and `huiqi_last_error()` a
 * one-line summary.
 *
 * # Safety
 * `engine` is any pointer value (checked before use); `path` is NULL or a NUL-terminated
 * string valid for the call; `error_out` is NULL or points to writable storage for one
 * `char *`.
 */
HuiqiStore *huiqi_store_open(const HuiqiEngine *engine, const char *path, char **error_out);

/**
 * Frees a store. NULL is ignored. A handle that is not a live store (freed already, an
 * engine handle, or not made by this library) is left alone and reported by
 * `huiqi_last_error()`.
 *
 * Calls already running on the store in other threads finish normally (they hold their
 * own reference); calls made after this one return NULL.
 *
 * # Safety
 * `store` is NULL or any pointer value; it is only dereferenced when it is a live store
 * handle.
 */
void huiqi_store_free(HuiqiStore *store);

/**
 * The load report of a store: a success envelope whose result is
 * `{"enterprises": N, "report": {"loaded": N, "skipped": N, "warnings": N, "errors":
 * [{"line": N, "reason": "…"}, …]}}` (the first 100 skipped rows; a store file reports
 * its enterprises as loaded, with no warnings).
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `store` is not
 * a live store handle.
 *
 * # Safety
 * `store` is any pointer value (checked before use).
 */
char *huiqi_store_info(const HuiqiStore *store);

/**
 * Prepares a store for the engine's questions on `as_of`: computes the predicate sets of
 * every enterprise (the work a bulk run, a reverse query or the counts would otherwise
 * do first) and keeps them with the store handle, so that `huiqi_reverse`,
 * `huiqi_bulk_counts` and `huiqi_bulk_arrow` on this engine and date answer from them.
 * A handle keeps the sets of one date: asking another date (or engine) prepares again
 * and replaces them. Calling this is optional: the first question on a date prepares.
 *
 * Returns a success envelope `{"enterprises": N, "as_of": "YYYY-MM-DD", "seconds": s}`
 * (the time the call took: next to nothing when the sets were kept already), or a failure (a
 * bad date, a store of another schema); NULL only when `engine` or `store` is not a
 * live handle of its kind.
 *
 * # Safety
 * `engine` and `store` are any pointer values (checked before use); `as_of` is NULL or a
 * NUL-terminated string valid for the call.
 */
char *huiqi_store_prepare(const HuiqiEngine *engine, const HuiqiStore *store, const char *as_of);

/**
 * Which enterprises of a store qualify for one policy on `as_of` (免申即享 / 精准推送):
 * the envelope of `huiqi reverse --json`, byte for byte. The result has `policy`,
 * `as_of`, `enterprises`, the counts `eligible` and `undetermined`, and the ids (统一社会信用代码)
 * of the first `list` enterprises of each, in `eligible_ids` and `undetermined_ids`.
 *
 * An unknown policy id gives a failure of kind `"unknown_policy"` whose message suggests
 * the nearest id ("did you mean …?"); a store of another schema than the engine's a
 * failure of kind `"store"`. A policy that is not in force on `as_of` (effective dates,
 * or replaced by a newer version) is evaluated all the same, by its condition alone, as
 * the CLI does; `huiqi_bulk_counts` lists only the versions in force.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` or
 * `store` is not a live handle of its kind.
 *
 * # Safety
 * `engine` and `store` are any pointer values (checked before use); the strings are NULL
 * or NUL-terminated strings valid for the call.
 */
char *huiqi_reverse(const HuiqiEngine *engine,
                    const HuiqiStore *store,
                    const char *policy_id,
                    const char *as_of,
                    size_t list);

/**
 * Every enterprise of a store against every policy version in force on `as_of`: a
 * success envelope whose result is an array of `{"policy": id, "eligible": N,
 * "undetermined": N}`, one per policy in the engine's order, the same numbers as
 * `huiqi bulk --format counts`.
 *
 * Returns an envelope (free it with `huiqi_string_free`); NULL only when `engine` or
 * `store` is not a live handle of its kind.
 *
 * # Safety
 * As `huiqi_reverse`.
 */
char *huiqi_bulk_counts(const HuiqiEngine *engine, const HuiqiStore *store, const char *as_of);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* HUIQI_H */
