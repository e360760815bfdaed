package io.huiqi;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A schema and a compiled policy set, immutable once built. Build one per application and
 * share it: every method is safe to call from many threads at once (a Spring service keeps
 * one as a singleton bean; see docs/java.md).
 *
 * <p>Answers come two ways: as the envelope text of the operation layer ({@code matchJson},
 * byte for byte what C, Python, WASM and the CLI's {@code --json} give; a failure is an
 * envelope too), or read into maps and lists ({@code match}; a failure is a
 * {@link HuiqiException}). Dates are {@code YYYY-MM-DD} text.
 *
 * <p>Close it when done ({@code try}-with-resources); an engine that is forgotten is freed
 * when it becomes unreachable. A closed engine answers every call with a
 * {@link HuiqiException} of kind {@code request}, never a crash.
 */
public final class Engine implements AutoCloseable {
    private final Cleanup.Handle handle;

    private Engine(long id) {
        this.handle = Cleanup.register(this, id, true);
    }

    private static Engine build(String specJson, Path policies, Path codes) {
        NativeLibrary.load();
        return new Engine(Native.engineBuild(utf8(specJson), path(policies), path(codes)));
    }

    /** The bundled schema, code tables and real policies. */
    public static Engine bundled() {
        return build(null, null, null);
    }

    /**
     * The bundled schema and code tables with the policies of {@code path}: a folder (every
     * {@code .json} and {@code .jsonl} file, in name order), one policy file, or a saved set
     * ({@code .hqset}, from {@code huiqi compile}), as {@code huiqi --policies PATH}.
     */
    public static Engine fromPath(Path path) {
        if (path == null) {
            throw HuiqiException.request("policies", "the policy path is null");
        }
        return build(null, path, null);
    }

    /** A builder: schema, code tables and policies from files or strings. */
    public static Builder builder() {
        return new Builder();
    }

    /** What an engine is built from; every part is optional and defaults to the bundled one. */
    public static final class Builder {
        private String schema;
        private final List<Map<String, Object>> codes = new ArrayList<>();
        private Path codesDir;
        private final List<Map<String, Object>> policies = new ArrayList<>();
        private Path policiesPath;
        private boolean includeBundled;

        private Builder() {}

        /** The enterprise schema, as JSON text (default: the bundled schema). */
        public Builder schema(String schemaJson) {
            this.schema = schemaJson;
            return this;
        }

        /** A code table (JSON text) replacing the bundled table of its system, named {@code origin} in errors. */
        public Builder codes(String origin, String tableJson) {
            codes.add(source(origin, tableJson));
            return this;
        }

        /** The code tables of a folder (every {@code .json} file), as {@code huiqi --codes DIR}. */
        public Builder codes(Path dir) {
            this.codesDir = dir;
            return this;
        }

        /**
         * A policy file's text ({@code {"definitions": …, "policies": […]}}, a list of
         * policies, or, when {@code origin} ends in {@code .jsonl}, one policy per line),
         * named {@code origin} in errors.
         */
        public Builder policies(String origin, String text) {
            policies.add(source(origin, text));
            return this;
        }

        /** The policies of a folder, file or saved set (see {@link Engine#fromPath}). */
        public Builder policies(Path path) {
            this.policiesPath = path;
            return this;
        }

        /** Compile the given policies after the bundled ones, which they may then use. */
        public Builder includeBundled(boolean include) {
            this.includeBundled = include;
            return this;
        }

        private static Map<String, Object> source(String origin, String text) {
            if (origin == null || text == null) {
                throw HuiqiException.request("sources", "a source needs an origin and a text, not null");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("origin", origin);
            m.put("text", text);
            return m;
        }

        /** Compiles the engine; throws every problem of the set, with its file, policy, line and column. */
        public Engine build() {
            if (policiesPath != null && !policies.isEmpty()) {
                throw HuiqiException.request("policies", "give policies as a path or as texts, not both");
            }
            if (codesDir != null && !codes.isEmpty()) {
                throw HuiqiException.request("codes", "give code tables as a folder or as texts, not both");
            }
            Map<String, Object> spec = new LinkedHashMap<>();
            if (schema != null) spec.put("schema", schema);
            if (!codes.isEmpty()) spec.put("codes", codes);
            if (!policies.isEmpty()) spec.put("policies", policies);
            if (includeBundled) spec.put("include_bundled", true);
            return Engine.build(spec.isEmpty() ? null : Json.write(spec), policiesPath, codesDir);
        }
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] path(Path p) {
        return p == null ? null : utf8(p.toString());
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] required(String value, String name) {
        if (value == null) {
            throw HuiqiException.request(name, name + " is null");
        }
        return utf8(value);
    }

    long id() {
        return handle.get();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the engine. Calls in flight finish first; later calls throw. A second close does nothing. */
    @Override
    public void close() {
        handle.close();
    }

    /** Whether an envelope is a success, from its first bytes ({@code {"type":"success"}). */
    static boolean succeeded(String envelope) {
        return envelope.startsWith("{\"type\":\"success\"");
    }

    /** The result of an envelope, or its failure thrown. */
    static Object unwrap(String envelope) {
        if (!succeeded(envelope)) {
            throw new HuiqiException(envelope);
        }
        return Json.parseObject(envelope).get("result");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> unwrapObject(String envelope) {
        Object r = unwrap(envelope);
        if (!(r instanceof Map)) {
            throw new HuiqiException(ErrorKind.INTERNAL, "expected an object result: " + envelope, (Throwable) null);
        }
        return (Map<String, Object>) r;
    }

    // ---- any operation ---------------------------------------------------------------

    /**
     * Any operation by name with its request as JSON text (null: {@code {}}), on
     * {@code store} when it asks one (null: none): the envelope. docs/operations.md lists
     * them ({@code match}, {@code verdicts}, {@code explain}, {@code calendar},
     * {@code lint}, {@code policies}, {@code reverse}, {@code bulk_counts}, {@code what_if}, …).
     */
    public String callJson(String op, String requestJson, Store store) {
        byte[] o = required(op, "op");
        long s = store == null ? 0 : store.id();
        return text(Native.call(keep(store), id(), s, o, utf8(requestJson)));
    }

    /** {@link #callJson(String, String, Store)} without a store. */
    public String callJson(String op, String requestJson) {
        return callJson(op, requestJson, null);
    }

    /** {@link #callJson} with the result read (a map, or a list for {@code bulk_counts}); a failure is thrown. */
    public Object call(String op, String requestJson, Store store) {
        return unwrap(callJson(op, requestJson, store));
    }

    /** {@link #call(String, String, Store)} without a store. */
    public Object call(String op, String requestJson) {
        return call(op, requestJson, null);
    }

    /** {@link #call} with the request as a map (written as JSON). */
    public Object call(String op, Map<String, ?> request, Store store) {
        return call(op, request == null ? null : Json.write(request), store);
    }

    Map<String, Object> callObject(String op, String requestJson, Store store) {
        return unwrapObject(callJson(op, requestJson, store));
    }

    /** The object the native call keeps reachable: this engine and the store. */
    private Object keep(Store store) {
        return store == null ? this : new Object[] {this, store};
    }

    // ---- one enterprise ----------------------------------------------------------------

    /** One enterprise (a profile as JSON text) against every policy in force on {@code asOf}: the envelope. */
    public String matchJson(String profileJson, String asOf, MatchOptions options) {
        byte[] p = required(profileJson, "profile");
        byte[] d = required(asOf, "asOf");
        byte[] o = utf8(options == null ? null : options.toJson());
        return text(Native.match(this, id(), p, d, o));
    }

    /** {@link #matchJson(String, String, MatchOptions)} with the default options. */
    public String matchJson(String profileJson, String asOf) {
        return matchJson(profileJson, asOf, null);
    }

    /** The match's result: {@code summary}, {@code eligible}, {@code undetermined}, … as maps and lists. */
    public Map<String, Object> match(String profileJson, String asOf, MatchOptions options) {
        return unwrapObject(matchJson(profileJson, asOf, options));
    }

    /** {@link #match(String, String, MatchOptions)} with the default options. */
    public Map<String, Object> match(String profileJson, String asOf) {
        return match(profileJson, asOf, null);
    }

    /** The counts, ids and verdicts of a match, at the index's speed: the envelope. */
    public String verdictsJson(String profileJson, String asOf) {
        byte[] p = required(profileJson, "profile");
        byte[] d = required(asOf, "asOf");
        return text(Native.verdicts(this, id(), p, d));
    }

    /** {@link #verdictsJson} read. */
    public Map<String, Object> verdicts(String profileJson, String asOf) {
        return unwrapObject(verdictsJson(profileJson, asOf));
    }

    /** Verdict code of {@link #verdictBytes}: not eligible. */
    public static final byte INELIGIBLE = 0;
    /** Verdict code of {@link #verdictBytes}: eligible. */
    public static final byte ELIGIBLE = 1;
    /** Verdict code of {@link #verdictBytes}: undetermined (a field unknown, or a manual review). */
    public static final byte UNDETERMINED = 2;
    /** Verdict code of {@link #verdictBytes}: not in force on the date. */
    public static final byte NOT_IN_FORCE = 3;

    /**
     * The compact verdicts: one byte per policy in the set's order (the order of
     * {@link #policyIds}), with no JSON built: {@link #INELIGIBLE}, {@link #ELIGIBLE},
     * {@link #UNDETERMINED}, {@link #NOT_IN_FORCE}. A bad profile or date throws
     * {@link HuiqiException}, as {@link #verdicts} does.
     */
    public byte[] verdictBytes(String profileJson, String asOf) {
        byte[] p = required(profileJson, "profile");
        byte[] d = required(asOf, "asOf");
        return Native.verdictBytes(this, id(), p, d);
    }

    /** The ids of the set's policies in its order: the order of {@link #verdictBytes}. */
    @SuppressWarnings("unchecked")
    public List<String> policyIds() {
        Object ids = callObject("policy_ids", "{}", null).get("ids");
        List<String> out = new ArrayList<String>();
        for (Object id : (List<Object>) ids) {
            out.add((String) id);
        }
        return out;
    }

    /** One policy for one enterprise, in words (zh and en), with what is missing: the envelope. */
    public String explainJson(String profileJson, String policyId, String asOf) {
        byte[] p = required(profileJson, "profile");
        byte[] i = required(policyId, "policyId");
        byte[] d = required(asOf, "asOf");
        return text(Native.explain(this, id(), p, i, d));
    }

    /** {@link #explainJson} read; an unknown id is a {@link HuiqiException} of kind {@code unknown_policy}, with a suggestion. */
    public Map<String, Object> explain(String profileJson, String policyId, String asOf) {
        return unwrapObject(explainJson(profileJson, policyId, asOf));
    }

    // ---- many enterprises --------------------------------------------------------------

    /**
     * Many enterprises at once, on up to {@code threads} threads (0: every core): one
     * envelope per profile, in order. A bad profile gets its own failure envelope (naming
     * its item, counted from 1 as a line); the others are unaffected. The answer is the
     * same for any thread count.
     */
    public List<String> matchManyJson(List<String> profiles, String asOf, MatchOptions options, int threads) {
        if (profiles == null) {
            throw HuiqiException.request("profiles", "profiles is null");
        }
        if (threads < 0) {
            throw HuiqiException.request("threads", "threads must be 0 (every core) or more, not " + threads);
        }
        byte[] d = required(asOf, "asOf");
        byte[] o = utf8(options == null ? null : options.toJson());
        id(); // a closed engine is an error even when no profile reaches the library
        List<String> out = new ArrayList<>(profiles.size());
        StringBuilder chunk = new StringBuilder();
        int inChunk = 0;
        long first = 1;
        for (int k = 0; k < profiles.size(); k++) {
            String p = profiles.get(k);
            long number = k + 1;
            if (p == null || p.indexOf('\n') >= 0 || p.indexOf('\r') >= 0) {
                // A null or pretty-printed profile is answered on its own, not as lines.
                flush(out, chunk, inChunk, d, o, first, threads);
                chunk.setLength(0);
                inChunk = 0;
                first = number + 1;
                out.add(p == null
                        ? "{\"type\":\"failure\",\"errors\":[{\"kind\":\"request\",\"message\":\"profile is null\",\"line\":" + number + "}]}"
                        : atLine(text(Native.match(this, id(), utf8(p), d, o)), number));
                continue;
            }
            chunk.append(p).append('\n');
            inChunk++;
        }
        flush(out, chunk, inChunk, d, o, first, threads);
        return out;
    }

    /** The keys of an error in an envelope, in the order the engine writes them. */
    private static final String[] ERROR_KEYS = {"kind", "message", "path", "origin", "policy", "line", "column", "item", "hint"};

    /**
     * A failure envelope of one profile matched on its own, with its position in the batch
     * as {@code line} (as the library writes it for the profiles it matched as lines); a
     * success as it is.
     */
    static String atLine(String envelope, long number) {
        if (succeeded(envelope)) {
            return envelope;
        }
        Map<String, Object> parsed = Json.parseObject(envelope);
        Object errors = parsed.get("errors");
        if (!(errors instanceof List)) {
            return envelope;
        }
        List<Object> rewritten = new ArrayList<>();
        for (Object e : (List<?>) errors) {
            if (!(e instanceof Map)) {
                return envelope;
            }
            Map<?, ?> old = (Map<?, ?>) e;
            Map<String, Object> item = new LinkedHashMap<>();
            for (String k : ERROR_KEYS) {
                Object v = "line".equals(k) && old.get(k) == null ? Long.valueOf(number) : old.get(k);
                if (v != null) {
                    item.put(k, v);
                }
            }
            rewritten.add(item);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "failure");
        out.put("errors", rewritten);
        return Json.write(out);
    }

    private void flush(List<String> out, StringBuilder chunk, int count, byte[] asOf, byte[] options, long first, int threads) {
        if (count == 0) {
            return;
        }
        String lines = text(Native.matchMany(this, id(), utf8(chunk.toString()), asOf, options, first, threads));
        int start = 0;
        int got = 0;
        for (int i = lines.indexOf('\n'); i >= 0; i = lines.indexOf('\n', start)) {
            out.add(lines.substring(start, i));
            start = i + 1;
            got++;
        }
        if (got != count || start != lines.length()) {
            throw new HuiqiException(ErrorKind.INTERNAL, count + " profiles gave " + got + " result lines", (Throwable) null);
        }
    }

    /** {@link #matchManyJson} with every envelope read: each a map with {@code type} ({@code success} or {@code failure}). */
    public List<Map<String, Object>> matchMany(List<String> profiles, String asOf, MatchOptions options, int threads) {
        List<String> envelopes = matchManyJson(profiles, asOf, options, threads);
        List<Map<String, Object>> out = new ArrayList<>(envelopes.size());
        for (String e : envelopes) {
            out.add(Json.parseObject(e));
        }
        return out;
    }

    // ---- the set ---------------------------------------------------------------------

    /** The fields the policies read ({@code fields_read}): what a form must ask. */
    public Map<String, Object> fieldsRead() {
        return callObject("fields_read", null, null);
    }

    // ---- stores ----------------------------------------------------------------------

    /**
     * A store of enterprises with this engine's schema, from a file or folder: a saved
     * store, CSV, JSON lines, a folder of profiles, or Parquet (by name or by content), as
     * {@code huiqi bulk --enterprises PATH} reads it. Bad rows are skipped and reported in
     * {@link Store#info()}; a file that keeps no row, or more bad rows than good, is an error.
     */
    public Store openStore(Path path) {
        byte[] p = required(path == null ? null : path.toString(), "path");
        return new Store(this, Native.storeOpen(this, id(), p));
    }

    /**
     * A store from some row groups of a Parquet file ({@code rowGroups}: their numbers, from
     * 0; null: all), reading only the columns this engine's policies read (see
     * {@code fields_read}) unless {@code allColumns}. Every column name is checked either
     * way: one that is not a schema field (nor {@code $…}) is an error, not dropped. For a
     * job that cuts files into units of row groups ({@link Huiqi#parquetRowGroups}), as the
     * Spark example does.
     */
    public Store openParquet(Path path, int[] rowGroups, boolean allColumns) {
        byte[] p = required(path == null ? null : path.toString(), "path");
        String groups = null;
        if (rowGroups != null) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < rowGroups.length; i++) {
                if (rowGroups[i] < 0) {
                    throw HuiqiException.request("rowGroups", "row group numbers are 0 or more, not " + rowGroups[i]);
                }
                sb.append(i == 0 ? "" : ",").append(rowGroups[i]);
            }
            groups = sb.append(']').toString();
        }
        return new Store(this, Native.storeOpenParquet(this, id(), p, utf8(groups), allColumns));
    }

    /** A store from JSON lines in memory (one profile per line). */
    public Store storeFromJsonLines(String jsonLines) {
        byte[] l = required(jsonLines, "jsonLines");
        return new Store(this, Native.storeFromJsonLines(this, id(), l));
    }

    private static Map<String, Object> dateRequest(String asOf) {
        required(asOf, "asOf");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("as_of", asOf);
        return r;
    }

    /** Which enterprises of {@code store} qualify for one policy on {@code asOf} (免申即享), listing up to {@code list} of each: the envelope. */
    public String reverseJson(Store store, String policyId, String asOf, int list) {
        required(policyId, "policyId");
        required(asOf, "asOf");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("policy", policyId);
        r.put("as_of", asOf);
        r.put("list", list);
        return callJson("reverse", Json.write(r), requireStore(store));
    }

    /** {@link #reverseJson} read: counts and ids of the eligible and undetermined enterprises. */
    public Map<String, Object> reverse(Store store, String policyId, String asOf, int list) {
        return unwrapObject(reverseJson(store, policyId, asOf, list));
    }

    /** Computes and keeps the store's predicate sets for {@code asOf}, for the next questions on that date. */
    public Map<String, Object> prepare(Store store, String asOf) {
        return callObject("prepare", Json.write(dateRequest(asOf)), requireStore(store));
    }

    /** Every enterprise of {@code store} against every policy in force on {@code asOf}, counted: the envelope. */
    public String bulkCountsJson(Store store, String asOf) {
        return callJson("bulk_counts", Json.write(dateRequest(asOf)), requireStore(store));
    }

    /** {@link #bulkCountsJson} read: one map per policy ({@code policy}, {@code eligible}, {@code undetermined}). */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> bulkCounts(Store store, String asOf) {
        Object r = unwrap(bulkCountsJson(store, asOf));
        if (!(r instanceof List)) {
            throw new HuiqiException(ErrorKind.INTERNAL, "bulk_counts did not answer a list", (Throwable) null);
        }
        return Collections.unmodifiableList((List<Map<String, Object>>) r);
    }

    private static Store requireStore(Store store) {
        if (store == null) {
            throw HuiqiException.request("store", "store is null");
        }
        return store;
    }

    @Override
    public String toString() {
        return isClosed() ? "Engine(closed)" : "Engine(" + handle.get() + ")";
    }
}
