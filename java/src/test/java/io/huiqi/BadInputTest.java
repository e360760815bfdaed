package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input is a {@link HuiqiException} of the right kind, naming where: closed
 * handles, null arguments, bad profiles, dates, policy ids, policy sets, folders and store
 * files, stores on the wrong engine, and made-up handle numbers given to the natives
 * directly. Nothing here may crash the JVM.
 */
class BadInputTest {
    private static final String POLICY = "small-low-profit-eit";
    private static final byte[] NO_BYTES = null;

    private static Engine engine;
    private static Store store;
    private static String sample;

    @BeforeAll
    static void open() {
        engine = Engine.bundled();
        store = engine.openStore(Support.path("data/enterprises"));
        sample = Support.sample();
    }

    @AfterAll
    static void close() {
        store.close();
        engine.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code call} throws a HuiqiException of {@code kind} whose first error's path is {@code path} and whose message holds {@code words}. */
    private static HuiqiException fails(String what, ErrorKind kind, String path, String words, Executable call) {
        HuiqiException e = assertThrows(HuiqiException.class, call, what);
        assertEquals(kind, e.kind(), what + ": " + e.getMessage());
        assertEquals(path, e.path(), what + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(words), what + ": wanted \"" + words + "\" in: " + e.getMessage());
        return e;
    }

    /** Named calls, in order. */
    private static final class Calls {
        final Map<String, Executable> calls = new LinkedHashMap<>();

        Calls add(String name, Executable call) {
            calls.put(name, call);
            return this;
        }
    }

    private static Map<String, Object> requestMap() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("as_of", Support.AS_OF);
        return r;
    }

    // ---- closed handles -----------------------------------------------------------------

    @Test
    void aClosedEngineAnswersEveryMethodWithARequestError() {
        Engine e = Engine.bundled();
        Store mine = e.openStore(Support.path("data/enterprises"));
        e.close();
        Path enterprises = Support.path("data/enterprises");
        List<String> one = Collections.singletonList(Support.oneLine(sample));
        MatchOptions o = MatchOptions.DEFAULT.detail(MatchOptions.Detail.SUMMARY);
        Calls c = new Calls()
                .add("callJson(op, request, store)", () -> e.callJson("store_info", null, store))
                .add("callJson(op, request)", () -> e.callJson("schema", "{}"))
                .add("call(op, text, store)", () -> e.call("store_info", (String) null, store))
                .add("call(op, text)", () -> e.call("schema", "{}"))
                .add("call(op, map, store)", () -> e.call("bulk_counts", requestMap(), store))
                .add("matchJson(profile, asOf, options)", () -> e.matchJson(sample, Support.AS_OF, o))
                .add("matchJson(profile, asOf)", () -> e.matchJson(sample, Support.AS_OF))
                .add("match(profile, asOf, options)", () -> e.match(sample, Support.AS_OF, o))
                .add("match(profile, asOf)", () -> e.match(sample, Support.AS_OF))
                .add("verdictsJson", () -> e.verdictsJson(sample, Support.AS_OF))
                .add("verdicts", () -> e.verdicts(sample, Support.AS_OF))
                .add("explainJson", () -> e.explainJson(sample, POLICY, Support.AS_OF))
                .add("explain", () -> e.explain(sample, POLICY, Support.AS_OF))
                .add("matchManyJson", () -> e.matchManyJson(one, Support.AS_OF, o, 1))
                .add("matchMany", () -> e.matchMany(one, Support.AS_OF, null, 0))
                .add("matchManyJson of a pretty-printed profile", () -> e.matchManyJson(Collections.singletonList(sample), Support.AS_OF, null, 1))
                .add("fieldsRead", e::fieldsRead)
                .add("openStore", () -> e.openStore(enterprises))
                .add("storeFromJsonLines", () -> e.storeFromJsonLines(one.get(0) + "\n"))
                .add("openParquet", () -> e.openParquet(enterprises.resolve("none.parquet"), null, false))
                .add("reverseJson", () -> e.reverseJson(store, POLICY, Support.AS_OF, 5))
                .add("reverse", () -> e.reverse(store, POLICY, Support.AS_OF, 5))
                .add("prepare", () -> e.prepare(store, Support.AS_OF))
                .add("bulkCountsJson", () -> e.bulkCountsJson(store, Support.AS_OF))
                .add("bulkCounts", () -> e.bulkCounts(store, Support.AS_OF));
        for (Map.Entry<String, Executable> call : c.calls.entrySet()) {
            fails(call.getKey(), ErrorKind.REQUEST, "engine", "this Engine is closed", call.getValue());
        }
        assertEquals(25, c.calls.size());
        assertTrue(e.isClosed());
        assertEquals("Engine(closed)", e.toString());
        e.close();
        assertTrue(e.isClosed());
        // The store it opened is alive and answers through another engine.
        assertFalse(mine.isClosed());
        assertEquals(engine.reverseJson(store, POLICY, Support.AS_OF, 5), engine.reverseJson(mine, POLICY, Support.AS_OF, 5));
        mine.close();
    }

    @Test
    void aClosedEngineRefusesEveryBatch() {
        Engine e = Engine.bundled();
        e.close();
        fails("matchManyJson([])", ErrorKind.REQUEST, "engine", "this Engine is closed",
                () -> e.matchManyJson(Collections.<String>emptyList(), Support.AS_OF, null, 1));
        fails("matchManyJson([null])", ErrorKind.REQUEST, "engine", "this Engine is closed",
                () -> e.matchManyJson(Collections.<String>singletonList(null), Support.AS_OF, null, 1));
    }

    @Test
    void aClosedStoreAnswersEveryUseWithARequestError() {
        Store s = engine.openStore(Support.path("data/enterprises"));
        assertEquals(15L, s.size());
        assertTrue(s.toString().startsWith("Store("));
        s.close();
        s.close();
        assertTrue(s.isClosed());
        assertEquals("Store(closed)", s.toString());
        assertSame(engine, s.engine());
        Calls c = new Calls()
                .add("info", s::info)
                .add("size", s::size)
                .add("callJson(op, request, store)", () -> engine.callJson("store_info", null, s))
                .add("call(op, text, store)", () -> engine.call("store_info", (String) null, s))
                .add("call(op, map, store)", () -> engine.call("bulk_counts", requestMap(), s))
                .add("reverseJson", () -> engine.reverseJson(s, POLICY, Support.AS_OF, 5))
                .add("reverse", () -> engine.reverse(s, POLICY, Support.AS_OF, 5))
                .add("prepare", () -> engine.prepare(s, Support.AS_OF))
                .add("bulkCountsJson", () -> engine.bulkCountsJson(s, Support.AS_OF))
                .add("bulkCounts", () -> engine.bulkCounts(s, Support.AS_OF));
        for (Map.Entry<String, Executable> call : c.calls.entrySet()) {
            fails(call.getKey(), ErrorKind.REQUEST, "store", "this Store is closed", call.getValue());
        }
        // The engine is unaffected.
        assertEquals(Support.expectedEnvelope("store-info"), engine.callJson("store_info", null, store));
    }

    // ---- null arguments ----------------------------------------------------------------

    @Test
    void aNullArgumentIsARequestErrorNamingIt() {
        String d = Support.AS_OF;
        List<String> one = Collections.singletonList(Support.oneLine(sample));
        Object[][] cases = {
            {"op", (Executable) () -> engine.callJson(null, "{}")},
            {"op", (Executable) () -> engine.call(null, "{}", store)},
            {"profile", (Executable) () -> engine.matchJson(null, d)},
            {"asOf", (Executable) () -> engine.matchJson(sample, null)},
            {"profile", (Executable) () -> engine.match(null, d, MatchOptions.DEFAULT)},
            {"asOf", (Executable) () -> engine.match(sample, null)},
            {"profile", (Executable) () -> engine.verdictsJson(null, d)},
            {"asOf", (Executable) () -> engine.verdicts(sample, null)},
            {"profile", (Executable) () -> engine.explainJson(null, POLICY, d)},
            {"policyId", (Executable) () -> engine.explain(sample, null, d)},
            {"asOf", (Executable) () -> engine.explainJson(sample, POLICY, null)},
            {"profiles", (Executable) () -> engine.matchManyJson(null, d, null, 1)},
            {"asOf", (Executable) () -> engine.matchManyJson(one, null, null, 1)},
            {"threads", (Executable) () -> engine.matchMany(one, d, null, -1)},
            {"path", (Executable) () -> engine.openStore(null)},
            {"jsonLines", (Executable) () -> engine.storeFromJsonLines(null)},
            {"path", (Executable) () -> engine.openParquet(null, null, false)},
            {"rowGroups", (Executable) () -> engine.openParquet(Support.path("x.parquet"), new int[] {-1}, true)},
            {"path", (Executable) () -> Huiqi.parquetRowGroups(null)},
            {"store", (Executable) () -> engine.reverseJson(null, POLICY, d, 5)},
            {"store", (Executable) () -> engine.reverse(null, POLICY, d, 5)},
            {"store", (Executable) () -> engine.prepare(null, d)},
            {"store", (Executable) () -> engine.bulkCountsJson(null, d)},
            {"store", (Executable) () -> engine.bulkCounts(null, d)},
            {"policies", (Executable) () -> Engine.fromPath(null)},
            {"sources", (Executable) () -> Engine.builder().policies(null, "{}")},
            {"sources", (Executable) () -> Engine.builder().policies("a.json", null)},
            {"sources", (Executable) () -> Engine.builder().codes(null, "{}")},
            {"options.detail", (Executable) () -> MatchOptions.DEFAULT.detail(null)},
            {"options.tags", (Executable) () -> MatchOptions.DEFAULT.tags("科创", null)},
            {"json", (Executable) () -> Json.parse(null)},
        };
        for (Object[] c : cases) {
            String path = (String) c[0];
            HuiqiException e = assertThrows(HuiqiException.class, (Executable) c[1], path);
            assertEquals(ErrorKind.REQUEST, e.kind(), e.getMessage());
            assertEquals(path, e.path(), e.getMessage());
        }
        // A null request is an empty one; a null store is none.
        assertEquals(Support.expectedEnvelope("schema"), engine.callJson("schema", null, null));
    }

    @Test
    void aNullPolicyOrDateOfAStoreQuestionIsARequestErrorNamingIt() {
        HuiqiException policy = assertThrows(HuiqiException.class, () -> engine.reverseJson(store, null, Support.AS_OF, 5));
        assertEquals("policyId", policy.path());
        HuiqiException reverseDate = assertThrows(HuiqiException.class, () -> engine.reverseJson(store, POLICY, null, 5));
        assertEquals("asOf", reverseDate.path());
        HuiqiException prepare = assertThrows(HuiqiException.class, () -> engine.prepare(store, null));
        assertEquals("asOf", prepare.path());
        HuiqiException counts = assertThrows(HuiqiException.class, () -> engine.bulkCountsJson(store, null));
        assertEquals("asOf", counts.path());
    }

    @Test
    void nullTagsAreARequestError() {
        HuiqiException array = assertThrows(HuiqiException.class, () -> MatchOptions.DEFAULT.tags((String[]) null));
        assertEquals("options.tags", array.path());
        HuiqiException collection = assertThrows(HuiqiException.class, () -> MatchOptions.DEFAULT.tags((Collection<String>) null));
        assertEquals("options.tags", collection.path());
    }

    // ---- profiles, dates, ids ----------------------------------------------------------

    @Test
    void aProfileThatIsNotJsonIsAJsonError() {
        for (String bad : Arrays.asList("{not json", "", "   ", "{\"a\":1} trailing", "{\"a\":}")) {
            HuiqiException e = fails(bad, ErrorKind.JSON, "$", "not valid JSON", () -> engine.match(bad, Support.AS_OF));
            // The exception carries the envelope the …Json method returns.
            assertEquals(engine.matchJson(bad, Support.AS_OF), e.envelope());
            fails(bad, ErrorKind.JSON, "$", "not valid JSON", () -> engine.verdicts(bad, Support.AS_OF));
            fails(bad, ErrorKind.JSON, "$", "not valid JSON", () -> engine.explain(bad, POLICY, Support.AS_OF));
        }
    }

    @Test
    void aFieldOfTheWrongTypeIsAProfileErrorAtItsPath() {
        HuiqiException e = fails("capital", ErrorKind.PROFILE, "$.registered_capital", "\"lots\" is not a number",
                () -> engine.match("{\"registered_capital\":\"lots\"}", Support.AS_OF));
        assertEquals("profile: $.registered_capital: \"lots\" is not a number with an optional unit (e.g. 500, \"500万\", \"12%\")", e.getMessage());
        fails("per year", ErrorKind.PROFILE, "$.employees.2025", "\"many\" is not a number",
                () -> engine.verdicts("{\"employees\":{\"2025\":\"many\"}}", Support.AS_OF));
        fails("not an object", ErrorKind.PROFILE, "$", "expected an object of fields, found an array", () -> engine.match("[1]", Support.AS_OF));
        fails("explain", ErrorKind.PROFILE, "$.registered_capital", "expected a number in 万元, found a boolean",
                () -> engine.explain("{\"registered_capital\":true}", POLICY, Support.AS_OF));
    }

    @Test
    void aBadDateIsARequestErrorAtAsOf() {
        for (String bad : Arrays.asList("2026-02-30", "June", "", "2026/06/30", "26-06-30")) {
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.match("{}", bad));
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.verdicts("{}", bad));
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.explain("{}", POLICY, bad));
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.reverse(store, POLICY, bad, 1));
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.bulkCounts(store, bad));
            fails(bad, ErrorKind.REQUEST, "as_of", "invalid date", () -> engine.prepare(store, bad));
        }
        fails("no such day", ErrorKind.REQUEST, "as_of", "no such day", () -> engine.match("{}", "2026-02-30"));
    }

    @Test
    void anUnknownPolicyIdSuggestsTheNearest() {
        HuiqiException e = fails("explain", ErrorKind.UNKNOWN_POLICY, "policy", "unknown policy \"hitech-eit-15pct-rat\"",
                () -> engine.explain("{}", "hitech-eit-15pct-rat", Support.AS_OF));
        assertEquals("did you mean \"hitech-eit-15pct-rate\"?", e.hint());
        HuiqiException r = fails("reverse", ErrorKind.UNKNOWN_POLICY, "policy", "unknown policy \"small-low-profit\"",
                () -> engine.reverse(store, "small-low-profit", Support.AS_OF, 3));
        assertEquals("did you mean \"small-low-profit-eit\"?", r.hint());
        assertEquals(Support.expectedEnvelope("reverse-unknown"), engine.reverseJson(store, "small-low-profit", Support.AS_OF, 20));
    }

    // ---- policy sets, folders, stores --------------------------------------------------

    private static final String BROKEN = "{\n"
            + "  \"policies\": [\n"
            + "    {\n"
            + "      \"id\": \"broken\",\n"
            + "      \"title\": \"B\",\n"
            + "      \"issuer\": \"t\",\n"
            + "      \"doc_no\": \"t\",\n"
            + "      \"year\": 2024,\n"
            + "      \"level\": \"national\",\n"
            + "      \"condition\": \"registered_capital >= >= 500万\",\n"
            + "      \"benefit\": {\"kind\": \"none\", \"description\": \"t\"},\n"
            + "      \"source\": {\"document\": \"t\"}\n"
            + "    },\n"
            + "    {\"id\": \"broken2\", \"title\": \"B\", \"issuer\": \"t\", \"doc_no\": \"t\", \"year\": 2024, \"level\": \"national\","
            + " \"condition\": \"no_such_field > 1\", \"benefit\": {\"kind\": \"none\", \"description\": \"t\"}, \"source\": {\"document\": \"t\"}}\n"
            + "  ]\n"
            + "}\n";

    @Test
    void aPolicySetWithErrorsNamesEachWithItsFileLineAndColumn() {
        HuiqiException e = assertThrows(HuiqiException.class, () -> Engine.builder().policies("bad.json", BROKEN).build());
        assertEquals(ErrorKind.POLICY, e.kind());
        assertEquals("bad.json", e.origin());
        assertEquals("broken", e.policy());
        assertEquals("condition", e.path());
        // The second >= of the condition on line 10.
        String[] lines = BROKEN.split("\n");
        assertTrue(lines[9].contains("\"condition\""));
        assertEquals(Integer.valueOf(10), e.line());
        assertEquals(Integer.valueOf(lines[9].indexOf(">= >=") + 4), e.column());
        assertEquals(2, e.errors().size());
        HuiqiException.Error second = e.errors().get(1);
        assertEquals(ErrorKind.POLICY, second.kind());
        assertEquals("broken2", second.policy());
        assertEquals(Integer.valueOf(14), second.line());
        assertTrue(second.message().contains("unknown name `no_such_field`"), second.message());
        assertTrue(e.getMessage().startsWith("policy: bad.json: broken: 10:43: expected a value"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(and 1 more)"), e.getMessage());
        assertTrue(e.envelope().startsWith("{\"type\":\"failure\",\"errors\":[{\"kind\":\"policy\""), e.envelope());
        // The same set on one line: line 1, the column of the same token.
        String flat = Json.write(Json.parse(BROKEN));
        HuiqiException f = assertThrows(HuiqiException.class, () -> Engine.builder().policies("flat.json", flat).build());
        assertEquals("flat.json", f.origin());
        assertEquals(Integer.valueOf(1), f.line());
        assertEquals(Integer.valueOf(flat.indexOf(">= >=") + 4), f.column());
        // Text that is not JSON is a policy error of its file too.
        HuiqiException json = assertThrows(HuiqiException.class, () -> Engine.builder().policies("x.json", "{nope").build());
        assertEquals(ErrorKind.POLICY, json.kind());
        assertEquals("x.json", json.origin());
        assertEquals(Integer.valueOf(1), json.line());
        assertEquals(Integer.valueOf(2), json.column());
    }

    @Test
    void aMissingFolderIsAFileError(@TempDir Path tmp) {
        Path missing = tmp.resolve("nonexistent");
        fails("policies", ErrorKind.FILE, missing.toString(), "cannot read policy folder " + missing, () -> Engine.fromPath(missing));
        fails("empty folder", ErrorKind.FILE, tmp.toString(), "no .json or .jsonl policy files", () -> Engine.fromPath(tmp));
        fails("codes", ErrorKind.FILE, missing.toString(), "cannot read code-table folder", () -> Engine.builder().codes(missing).build());
        fails("builder policies", ErrorKind.FILE, missing.toString(), "cannot read policy folder", () -> Engine.builder().policies(missing).build());
    }

    @Test
    void aStoreFileThatCannotBeReadIsAStoreError(@TempDir Path tmp) throws IOException {
        Path garbage = tmp.resolve("garbage.store");
        Files.write(garbage, utf8("garbage garbage garbage"));
        fails("garbage", ErrorKind.STORE, garbage.toString(), "is not a store file, JSON lines or CSV", () -> engine.openStore(garbage));
        Path binary = tmp.resolve("binary.bin");
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        Files.write(binary, noise);
        assertEquals(ErrorKind.STORE, assertThrows(HuiqiException.class, () -> engine.openStore(binary)).kind());
        Path empty = tmp.resolve("empty.jsonl");
        Files.write(empty, new byte[0]);
        fails("empty", ErrorKind.STORE, empty.toString(), "is empty", () -> engine.openStore(empty));
        Path missing = tmp.resolve("missing.store");
        fails("missing", ErrorKind.STORE, missing.toString(), "cannot read", () -> engine.openStore(missing));
        Path bad = tmp.resolve("bad.jsonl");
        Files.write(bad, utf8("{nope\n{\"registered_capital\":\"lots\"}\n{}\n"));
        fails("mostly bad rows", ErrorKind.STORE, bad.toString(), "more than half the rows are bad", () -> engine.openStore(bad));
        fails("no rows", ErrorKind.STORE, "jsonLines", "no enterprises", () -> engine.storeFromJsonLines(""));
        fails("bad rows", ErrorKind.STORE, "jsonLines", "kept no enterprise", () -> engine.storeFromJsonLines("garbage\n"));
    }

    @Test
    void aStoreOutlivesItsEngine() {
        Engine first = Engine.bundled();
        Store s = first.openStore(Support.path("data/enterprises"));
        first.close();
        // Its own engine is closed: questions through it are refused …
        fails("reverse on the closed engine", ErrorKind.REQUEST, "engine", "this Engine is closed", () -> first.reverse(s, POLICY, Support.AS_OF, 5));
        // … but the store is alive, and another engine of the schema asks it.
        assertFalse(s.isClosed());
        try (Engine second = Engine.bundled()) {
            assertEquals(Support.expectedEnvelope("reverse"), second.reverseJson(s, POLICY, Support.AS_OF, 5));
            assertEquals(Support.expectedEnvelope("bulk-counts"), second.bulkCountsJson(s, Support.AS_OF));
            assertEquals(Support.expectedEnvelope("store-info"), second.callJson("store_info", null, s));
        }
        s.close();
    }

    @Test
    void aStoreSaysItsSizeAfterItsEngineIsClosed() {
        Engine first = Engine.bundled();
        Store s = first.openStore(Support.path("data/enterprises"));
        first.close();
        try {
            assertEquals(15L, s.size());
            assertEquals(Support.result(Support.expectedEnvelope("store-info")), s.info());
        } finally {
            s.close();
        }
    }

    @Test
    void aStoreGivenToAnotherEngine() {
        // Another engine of the same schema: the same answers.
        try (Engine other = Engine.bundled()) {
            assertEquals(engine.reverseJson(store, POLICY, Support.AS_OF, 5), other.reverseJson(store, POLICY, Support.AS_OF, 5));
            assertEquals(engine.bulkCountsJson(store, Support.AS_OF), other.bulkCountsJson(store, Support.AS_OF));
        }
        // An engine of another schema: refused, whatever its policies.
        Map<String, Object> schema = Json.parseObject(Support.read("data/schema/enterprise.json"));
        List<Object> fields = Support.list(schema.get("fields"));
        fields.remove(fields.size() - 1);
        try (Engine narrow = Engine.builder().schema(Json.write(schema)).policies("own.json", EngineTest.OWN).build()) {
            fails("reverse", ErrorKind.STORE, null, "the store was built with another schema",
                    () -> narrow.reverse(store, "big-capital", Support.AS_OF, 5));
            fails("bulk counts", ErrorKind.STORE, null, "another schema", () -> narrow.bulkCounts(store, Support.AS_OF));
            fails("prepare", ErrorKind.STORE, null, "another schema", () -> narrow.prepare(store, Support.AS_OF));
            assertTrue(narrow.bulkCountsJson(store, Support.AS_OF).startsWith("{\"type\":\"failure\",\"errors\":[{\"kind\":\"store\""));
        }
    }

    // ---- the natives with made-up handles ----------------------------------------------

    private static List<Executable> engineCalls(long h) {
        byte[] p = utf8("{}");
        byte[] d = utf8(Support.AS_OF);
        List<Executable> out = new ArrayList<>();
        out.add(() -> Native.call(null, h, 0, utf8("fields_read"), null));
        out.add(() -> Native.match(null, h, p, d, null));
        out.add(() -> Native.verdicts(null, h, p, d));
        out.add(() -> Native.explain(null, h, p, utf8(POLICY), d));
        out.add(() -> Native.matchMany(null, h, utf8("{}\n"), d, null, 1, 1));
        out.add(() -> Native.storeOpen(null, h, utf8(Support.path("data/enterprises").toString())));
        out.add(() -> Native.storeFromJsonLines(null, h, utf8("{}\n")));
        out.add(() -> Native.storeOpenParquet(null, h, utf8("x.parquet"), null, false));
        return out;
    }

    @Test
    void madeUpHandlesAreRequestErrors() {
        for (long h : new long[] {12345, Long.MAX_VALUE, -1, Long.MIN_VALUE, 1}) {
            for (Executable call : engineCalls(h)) {
                fails("engine " + h, ErrorKind.REQUEST, "engine", "handle " + h + " is not a live engine", call);
            }
            fails("store " + h, ErrorKind.REQUEST, "store", "handle " + h + " is not a live store",
                    () -> Native.call(null, engine.id(), h, utf8("store_info"), null));
            // Freeing what is not there is nothing, not an error.
            Native.engineFree(h);
            Native.storeFree(h);
        }
        for (Executable call : engineCalls(0)) {
            fails("engine 0", ErrorKind.REQUEST, "engine", "this engine is closed", call);
        }
        // Store 0 is no store: an answer (a failure envelope), not an exception.
        String none = new String(Native.call(null, engine.id(), 0, utf8("store_info"), null), StandardCharsets.UTF_8);
        assertTrue(none.startsWith("{\"type\":\"failure\"") && none.contains("asks a store"), none);
        // Everything real still works.
        assertEquals(Support.expectedEnvelope("store-info"), engine.callJson("store_info", null, store));
    }

    @Test
    void anEngineHandleIsNotAStoreNorAStoreAnEngine() {
        long e = engine.id();
        long s = store.id();
        fails("engine as store", ErrorKind.REQUEST, "store", "handle " + e + " is an engine, not a store",
                () -> Native.call(null, e, e, utf8("store_info"), null));
        for (Executable call : engineCalls(s)) {
            fails("store as engine", ErrorKind.REQUEST, "engine", "handle " + s + " is a store, not an engine", call);
        }
        // Freeing one as the other frees nothing.
        Native.engineFree(s);
        Native.storeFree(e);
        assertEquals(Support.expectedEnvelope("store-info"), engine.callJson("store_info", null, store));
        assertEquals(Support.expectedEnvelope("reverse"), engine.reverseJson(store, POLICY, Support.AS_OF, 5));
    }

    @Test
    void nullAndBrokenArgumentsOfTheNatives() {
        long e = engine.id();
        fails("null op", ErrorKind.REQUEST, "op", "op is null", () -> Native.call(null, e, 0, NO_BYTES, null));
        fails("null profile", ErrorKind.REQUEST, "profile", "profile is null", () -> Native.match(null, e, NO_BYTES, utf8(Support.AS_OF), null));
        fails("null date", ErrorKind.REQUEST, "asOf", "asOf is null", () -> Native.verdicts(null, e, utf8("{}"), NO_BYTES));
        fails("null policy", ErrorKind.REQUEST, "policyId", "policyId is null",
                () -> Native.explain(null, e, utf8("{}"), NO_BYTES, utf8(Support.AS_OF)));
        fails("null lines", ErrorKind.REQUEST, "profiles", "profiles is null", () -> Native.matchMany(null, e, NO_BYTES, NO_BYTES, null, 1, 0));
        fails("null path", ErrorKind.REQUEST, "path", "path is null", () -> Native.storeOpen(null, e, NO_BYTES));
        fails("null lines", ErrorKind.REQUEST, "jsonLines", "jsonLines is null", () -> Native.storeFromJsonLines(null, e, NO_BYTES));
        fails("null parquet", ErrorKind.REQUEST, "path", "path is null", () -> Native.storeOpenParquet(null, e, NO_BYTES, null, true));
        fails("null parquet", ErrorKind.REQUEST, "path", "path is null", () -> Native.parquetRowGroups(NO_BYTES));
        fails("bad row groups", ErrorKind.REQUEST, "rowGroups", "rowGroups must be a list of row-group numbers",
                () -> Native.storeOpenParquet(null, e, utf8("x.parquet"), utf8("[1, -2]"), true));
        byte[] notUtf8 = {'{', (byte) 0xff, '}'};
        fails("bad UTF-8", ErrorKind.REQUEST, "profile", "profile is not valid UTF-8",
                () -> Native.match(null, e, notUtf8, utf8(Support.AS_OF), null));
        fails("bad UTF-8 op", ErrorKind.REQUEST, "op", "op is not valid UTF-8", () -> Native.call(null, e, 0, notUtf8, null));
        fails("bad UTF-8 spec", ErrorKind.REQUEST, "spec", "spec is not valid UTF-8", () -> Native.engineBuild(notUtf8, null, null));
        assertEquals(ErrorKind.REQUEST, assertThrows(HuiqiException.class, () -> Native.engineBuild(utf8("garbage"), null, null)).kind());
        // Negative first lines and thread counts are read as defaults, not trusted.
        String lines = new String(Native.matchMany(null, e, utf8("{}\n{nope\n"), utf8(Support.AS_OF), null, -5, -3), StandardCharsets.UTF_8);
        String[] out = lines.split("\n");
        assertEquals(2, out.length, lines);
        assertEquals(engine.matchJson("{}", Support.AS_OF), out[0]);
        assertEquals(ErrorKind.JSON, new HuiqiException(out[1]).kind());
        assertEquals(Integer.valueOf(2), new HuiqiException(out[1]).line(), "counted from line 1");
    }
}
