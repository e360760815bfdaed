package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The operation layer's conformance cases (data/cases/ops/cases.json) through
 * {@link Engine#callJson(String, String, Store)}: byte for byte the envelopes recorded in
 * data/cases/ops/expected/ (as python/tests/test_ops.py checks them). Cases with
 * {@code "store": true} run on a store of data/enterprises.
 *
 * <p>The engine re-parses the request, so how it is written must not matter: each case is
 * sent as {@link Json#write} writes it (compact), as Python's {@code json.dumps} writes it
 * (spaces after {@code ,} and {@code :}), and indented over many lines, and all three must give
 * the recorded bytes.
 */
class OpsConformanceTest {
    private static Engine engine;
    private static Store store;

    @BeforeAll
    static void open() {
        engine = Engine.bundled();
        store = engine.openStore(Support.path("data/enterprises"));
    }

    @AfterAll
    static void close() {
        store.close();
        engine.close();
    }

    static List<Map<String, Object>> cases() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object c : Support.list(Json.parse(Support.read("data/cases/ops/cases.json")))) {
            out.add(Support.map(c));
        }
        return out;
    }

    @Test
    void thereAreAtLeast35CasesEachWithItsRecordedEnvelope() {
        List<Map<String, Object>> cases = cases();
        assertTrue(cases.size() >= 35, "only " + cases.size() + " operation cases");
        Set<String> names = new HashSet<>();
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            assertTrue(names.add(name), "two cases named " + name);
            assertTrue(Support.path("data/cases/ops/expected/" + name + ".json").toFile().isFile(), name);
            assertTrue(c.get("op") instanceof String, name);
            assertTrue(c.containsKey("request"), name);
        }
        // Failures are recorded too, and some cases ask a store.
        assertTrue(cases.stream().anyMatch(c -> Boolean.TRUE.equals(c.get("store"))));
        assertTrue(cases.stream().anyMatch(c -> Support.expectedEnvelope((String) c.get("name")).startsWith("{\"type\":\"failure\"")));
    }

    @TestFactory
    List<DynamicTest> everyCaseGivesTheRecordedEnvelope() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                String want = Support.expectedEnvelope(name);
                String op = (String) c.get("op");
                Object request = c.get("request");
                Store s = Boolean.TRUE.equals(c.get("store")) ? store : null;
                String compact = Json.write(request);
                assertEquals(want, engine.callJson(op, compact, s), "compact request");
                String python = pythonDumps(request);
                if (!(request instanceof Map) || !((Map<?, ?>) request).isEmpty()) {
                    assertNotEquals(compact, python, "the two writings differ");
                }
                assertEquals(want, engine.callJson(op, python, s), "request written as json.dumps writes it");
                assertEquals(want, engine.callJson(op, indented(request), s), "request indented over many lines");
            }));
        }
        return tests;
    }

    @Test
    void anAbsentRequestIsAnEmptyObject() {
        assertEquals(Support.expectedEnvelope("schema"), engine.callJson("schema", null));
        assertEquals(Support.expectedEnvelope("fields-read"), engine.callJson("fields_read", null, null));
        assertEquals(Support.expectedEnvelope("store-info"), engine.callJson("store_info", null, store));
    }

    /** As Python's {@code json.dumps(value, ensure_ascii=False)}: separators {@code ", "} and {@code ": "}. */
    static String pythonDumps(Object value) {
        StringBuilder sb = new StringBuilder();
        dumps(sb, value, ", ", ": ", null, "");
        return sb.toString();
    }

    /** Indented by two spaces a level, one item a line. */
    static String indented(Object value) {
        StringBuilder sb = new StringBuilder();
        dumps(sb, value, ",", ": ", "  ", "");
        return sb.toString();
    }

    private static void dumps(StringBuilder sb, Object value, String comma, String colon, String step, String indent) {
        String inner = step == null ? null : indent + step;
        if (value instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) value;
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : comma);
                if (inner != null) {
                    sb.append('\n').append(inner);
                }
                first = false;
                sb.append(Json.quote((String) e.getKey())).append(colon);
                dumps(sb, e.getValue(), comma, colon, step, inner);
            }
            if (inner != null && !m.isEmpty()) {
                sb.append('\n').append(indent);
            }
            sb.append('}');
        } else if (value instanceof Collection) {
            Collection<?> items = (Collection<?>) value;
            sb.append('[');
            boolean first = true;
            for (Object item : items) {
                sb.append(first ? "" : comma);
                if (inner != null) {
                    sb.append('\n').append(inner);
                }
                first = false;
                dumps(sb, item, comma, colon, step, inner);
            }
            if (inner != null && !items.isEmpty()) {
                sb.append('\n').append(indent);
            }
            sb.append(']');
        } else {
            sb.append(Json.write(value));
        }
    }
}
