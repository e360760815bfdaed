package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores of enterprises: the sample folder, JSON lines in memory and on disk, Parquet; the
 * answers of reverse, prepare and bulk counts equal to {@code callJson}, to the recorded
 * envelopes of data/cases/ops/expected and to the CLI.
 */
class StoreTest {
    private static final String POLICY = "small-low-profit-eit";

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

    private static String jsonLines(List<String> profiles) {
        StringBuilder sb = new StringBuilder();
        for (String p : profiles) {
            sb.append(p).append('\n');
        }
        return sb.toString();
    }

    private static List<String> sampleLines() {
        List<String> out = new ArrayList<>();
        for (String s : Support.samples().values()) {
            out.add(Support.oneLine(s));
        }
        return out;
    }

    private static String reverseRequest(String policy, int list) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("policy", policy);
        r.put("as_of", Support.AS_OF);
        r.put("list", list);
        return Json.write(r);
    }

    private static List<String> policyIds() {
        List<String> ids = new ArrayList<>();
        for (Map<String, Object> c : engine.bulkCounts(store, Support.AS_OF)) {
            ids.add((String) c.get("policy"));
        }
        return ids;
    }

    // ---- opening -------------------------------------------------------------------------

    @Test
    void theSampleFolderHoldsFifteenEnterprises() {
        assertEquals(15, Support.samplePaths().size());
        assertEquals(15L, store.size());
        Map<String, Object> info = store.info();
        assertEquals(Support.result(Support.expectedEnvelope("store-info")), info);
        assertEquals(15L, info.get("enterprises"));
        Map<String, Object> report = Support.map(info.get("report"));
        assertEquals(15L, report.get("loaded"));
        assertEquals(0L, report.get("skipped"));
        assertSame(engine, store.engine());
        assertFalse(store.isClosed());
        assertTrue(store.toString().matches("Store\\(\\d+\\)"), store.toString());
    }

    @Test
    void jsonLinesInMemoryAndOnDiskAreTheSameStore(@TempDir Path tmp) {
        String lines = jsonLines(sampleLines());
        Path file = tmp.resolve("samples.jsonl");
        Support.write(file, lines);
        try (Store memory = engine.storeFromJsonLines(lines); Store disk = engine.openStore(file)) {
            for (Store s : Arrays.asList(memory, disk)) {
                assertEquals(15L, s.size());
                assertEquals(store.info(), s.info());
                assertEquals(engine.bulkCountsJson(store, Support.AS_OF), engine.bulkCountsJson(s, Support.AS_OF));
                for (String id : policyIds()) {
                    assertEquals(engine.reverseJson(store, id, Support.AS_OF, 20), engine.reverseJson(s, id, Support.AS_OF, 20), id);
                }
            }
        }
    }

    @Test
    void badRowsAreSkippedAndReported() {
        List<String> good = sampleLines();
        String lines = jsonLines(Arrays.asList(good.get(0), "{not json", good.get(1), "{\"registered_capital\": \"lots\"}", good.get(2)));
        try (Store s = engine.storeFromJsonLines(lines)) {
            Map<String, Object> info = s.info();
            assertEquals(3L, info.get("enterprises"));
            Map<String, Object> report = Support.map(info.get("report"));
            assertEquals(3L, report.get("loaded"));
            assertEquals(2L, report.get("skipped"));
            List<Object> errors = Support.list(report.get("errors"));
            assertEquals(2, errors.size());
            assertEquals(2L, Support.map(errors.get(0)).get("line"));
            assertEquals(4L, Support.map(errors.get(1)).get("line"));
            assertTrue(((String) Support.map(errors.get(1)).get("reason")).contains("registered_capital"), errors.toString());
            assertEquals(3L, engine.reverse(s, POLICY, Support.AS_OF, 20).get("enterprises"));
        }
    }

    // ---- the questions -------------------------------------------------------------------

    @Test
    void reverseIsTheRecordedEnvelopeAndTheCallJsonAnswer() {
        String want = Support.expectedEnvelope("reverse");
        assertEquals(want, engine.reverseJson(store, POLICY, Support.AS_OF, 5));
        assertEquals(want, engine.callJson("reverse", reverseRequest(POLICY, 5), store));
        Map<String, Object> r = engine.reverse(store, POLICY, Support.AS_OF, 5);
        assertEquals(Support.result(want), r);
        assertEquals(4L, r.get("eligible"));
        assertEquals(2L, r.get("undetermined"));
        assertEquals(15L, r.get("enterprises"));
        // Paging and missing fields: only through callJson.
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("policy", "job-expansion-subsidy-2026");
        page.put("as_of", Support.AS_OF);
        page.put("list", 2);
        page.put("offset", 1);
        page.put("missing", true);
        assertEquals(Support.expectedEnvelope("reverse-page-missing"), engine.callJson("reverse", Json.write(page), store));
    }

    @Test
    void reverseListsAsManyIdsAsAsked() {
        // An enterprise is named by its 统一社会信用代码, or by its name when it has none.
        List<Object> names = new ArrayList<>();
        for (String s : Support.samples().values()) {
            Map<String, Object> p = Json.parseObject(s);
            names.add(p.containsKey("uscc") ? p.get("uscc") : p.get("name"));
        }
        for (String id : policyIds()) {
            for (int list : new int[] {0, 1, 3, 1000}) {
                Map<String, Object> r = engine.reverse(store, id, Support.AS_OF, list);
                assertEquals(engine.callJson("reverse", reverseRequest(id, list), store), engine.reverseJson(store, id, Support.AS_OF, list));
                long eligible = (Long) r.get("eligible");
                long undetermined = (Long) r.get("undetermined");
                assertEquals(Math.min(list, eligible), Support.list(r.get("eligible_ids")).size(), id);
                assertEquals(Math.min(list, undetermined), Support.list(r.get("undetermined_ids")).size(), id);
                for (Object e : Support.list(r.get("eligible_ids"))) {
                    assertTrue(names.contains(e), e + " is no sample");
                    assertFalse(Support.list(r.get("undetermined_ids")).contains(e));
                }
                assertTrue(names.containsAll(Support.list(r.get("undetermined_ids"))));
            }
        }
    }

    @Test
    void bulkCountsAreTheRecordedEnvelopeAndOneReversePerPolicy() {
        String want = Support.expectedEnvelope("bulk-counts");
        assertEquals(want, engine.bulkCountsJson(store, Support.AS_OF));
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("as_of", Support.AS_OF);
        assertEquals(want, engine.callJson("bulk_counts", Json.write(request), store));
        List<Map<String, Object>> counts = engine.bulkCounts(store, Support.AS_OF);
        assertEquals(Support.result(want), counts);
        assertThrows(UnsupportedOperationException.class, () -> counts.clear());
        assertTrue(counts.size() > 10);
        assertTrue(counts.stream().anyMatch(c -> (Long) c.get("eligible") > 0));
        assertTrue(counts.stream().anyMatch(c -> (Long) c.get("undetermined") > 0));
        for (Map<String, Object> c : counts) {
            Map<String, Object> r = engine.reverse(store, (String) c.get("policy"), Support.AS_OF, 0);
            assertEquals(c.get("eligible"), r.get("eligible"), (String) c.get("policy"));
            assertEquals(c.get("undetermined"), r.get("undetermined"), (String) c.get("policy"));
        }
    }

    @Test
    void prepareKeepsTheSetsOfADate() {
        Map<String, Object> p = engine.prepare(store, Support.AS_OF);
        assertEquals(15L, p.get("enterprises"));
        assertEquals(Support.AS_OF, p.get("as_of"));
        assertTrue(p.get("seconds") instanceof Double, p.toString());
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("as_of", Support.AS_OF);
        Map<String, Object> again = Support.map(engine.call("prepare", request, store));
        assertEquals(15L, again.get("enterprises"));
        // Another date, then back: the same answers.
        assertEquals("2025-01-01", engine.prepare(store, "2025-01-01").get("as_of"));
        assertEquals(Support.expectedEnvelope("reverse"), engine.reverseJson(store, POLICY, Support.AS_OF, 5));
        assertEquals(Support.expectedEnvelope("bulk-counts"), engine.bulkCountsJson(store, Support.AS_OF));
    }

    @Test
    void otherPolicySetsAskTheSameStore() {
        try (Engine own = Engine.builder().policies("own.json", EngineTest.OWN).build()) {
            List<Map<String, Object>> counts = own.bulkCounts(store, Support.AS_OF);
            assertEquals(1, counts.size());
            assertEquals("big-capital", counts.get(0).get("policy"));
            Map<String, Object> r = own.reverse(store, "big-capital", Support.AS_OF, 20);
            assertEquals(counts.get(0).get("eligible"), r.get("eligible"));
            assertTrue((Long) r.get("eligible") > 0);
        }
    }

    @Test
    void manyThreadsAskOneStore() throws Exception {
        List<String> ids = policyIds();
        List<String> want = new ArrayList<>();
        for (String id : ids) {
            want.add(engine.reverseJson(store, id, Support.AS_OF, 10));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> got = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String id : ids) {
                    got.add(pool.submit(() -> engine.reverseJson(store, id, Support.AS_OF, 10)));
                }
            }
            List<Future<String>> counts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                counts.add(pool.submit(() -> engine.bulkCountsJson(store, Support.AS_OF)));
            }
            for (int i = 0; i < got.size(); i++) {
                assertEquals(want.get(i % ids.size()), got.get(i).get(60, TimeUnit.SECONDS));
            }
            for (Future<String> c : counts) {
                assertEquals(Support.expectedEnvelope("bulk-counts"), c.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- the CLI -------------------------------------------------------------------------

    @Test
    void reverseAndBulkCountsAreTheClis(@TempDir Path tmp) {
        String folder = Support.path("data/enterprises").toString();
        for (String id : Arrays.asList(POLICY, "job-expansion-subsidy-2026", "hitech-eit-15pct-rate")) {
            assertEquals(Support.cli("reverse", "--policy", id, "--enterprises", folder, "--as-of", Support.AS_OF, "--json", "--list", "5"),
                    engine.reverseJson(store, id, Support.AS_OF, 5), id);
        }
        // The CLI refuses an unknown id with the failure envelope the binding gets.
        assertEquals(Support.cli("reverse", "--policy", "small-low-profit", "--enterprises", folder, "--as-of", Support.AS_OF, "--json"),
                engine.reverseJson(store, "small-low-profit", Support.AS_OF, 20));
        Path csv = tmp.resolve("counts.csv");
        Support.cli("bulk", "--enterprises", folder, "--out", csv.toString(), "--format", "counts", "--as-of", Support.AS_OF);
        String[] rows = Support.read(csv).split("\r?\n");
        assertEquals("policy_id,eligible,undetermined", rows[0]);
        List<Map<String, Object>> want = new ArrayList<>();
        for (int i = 1; i < rows.length; i++) {
            String[] cells = rows[i].split(",");
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("policy", cells[0]);
            c.put("eligible", Long.parseLong(cells[1]));
            c.put("undetermined", Long.parseLong(cells[2]));
            want.add(c);
        }
        assertEquals(want, engine.bulkCounts(store, Support.AS_OF));
    }

    // ---- Parquet -------------------------------------------------------------------------

    /**
     * Writes {@code parquet} (and the same rows as JSON lines, {@code kept}) from JSON lines
     * with pyarrow, as Spark writes profile JSON, in row groups of 4 rows; and {@code bad}, a
     * file with a column that is no schema field.
     */
    private static final String TO_PARQUET = String.join("\n",
            "import json, sys",
            "import pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq",
            "src, kept, out, bad = sys.argv[1:]",
            "def has_null(t):",
            "    if pa.types.is_null(t): return True",
            "    if pa.types.is_list(t) or pa.types.is_large_list(t): return has_null(t.value_type)",
            "    if pa.types.is_struct(t): return any(has_null(t.field(i).type) for i in range(t.num_fields))",
            "    return False",
            "table = pj.read_json(src)",
            "# A column empty in every row has no type (list<null>): left out of both files.",
            "drop = [f.name for f in table.schema if has_null(f.type)]",
            "pq.write_table(table.select([n for n in table.column_names if n not in drop]), out, row_group_size=4)",
            "pq.write_table(pa.table({'name': ['a'], 'not_a_field': [1]}), bad)",
            "with open(src, encoding='utf-8') as f, open(kept, 'w', encoding='utf-8') as k:",
            "    for line in f:",
            "        row = json.loads(line)",
            "        for name in drop: row.pop(name, None)",
            "        k.write(json.dumps(row, ensure_ascii=False) + '\\n')",
            "");

    @Test
    void aParquetFileIsAStore(@TempDir Path tmp) throws IOException {
        Path python = Support.path("target/venv/bin/python");
        boolean pyarrow = Files.isExecutable(python)
                && Support.run(new ProcessBuilder(python.toString(), "-c", "import pyarrow.parquet, pyarrow.json"), 60).status == 0;
        Assumptions.assumeTrue(pyarrow, "no pyarrow in target/venv (scripts/test-bindings installs it): no Parquet file to read");
        Path src = tmp.resolve("samples.jsonl");
        Path kept = tmp.resolve("kept.jsonl");
        Path parquet = tmp.resolve("samples.parquet");
        Path bad = tmp.resolve("bad.parquet");
        Support.write(src, jsonLines(sampleLines()));
        Support.Run r = Support.run(
                new ProcessBuilder(python.toString(), "-c", TO_PARQUET, src.toString(), kept.toString(), parquet.toString(), bad.toString()), 120);
        assertEquals(0, r.status, r.toString());
        // By name, and by content under another name.
        Path unnamed = tmp.resolve("samples.data");
        Files.copy(parquet, unnamed);
        try (Store p = engine.openStore(parquet); Store byContent = engine.openStore(unnamed); Store j = engine.openStore(kept)) {
            assertEquals(15L, p.size());
            assertEquals(15L, byContent.size());
            assertEquals(j.info(), p.info());
            String counts = engine.bulkCountsJson(j, Support.AS_OF);
            assertTrue(counts.startsWith("{\"type\":\"success\""), counts);
            assertEquals(counts, engine.bulkCountsJson(p, Support.AS_OF));
            assertEquals(counts, engine.bulkCountsJson(byContent, Support.AS_OF));
            for (String id : policyIds()) {
                assertEquals(engine.reverseJson(j, id, Support.AS_OF, 20), engine.reverseJson(p, id, Support.AS_OF, 20), id);
            }
            // Its row groups, and stores of some of them (as a Spark task opens its unit of work).
            assertArrayEquals(new long[] {4, 4, 4, 3}, Huiqi.parquetRowGroups(parquet));
            for (boolean allColumns : new boolean[] {false, true}) {
                try (Store whole = engine.openParquet(parquet, null, allColumns)) {
                    assertEquals(15L, whole.size());
                    assertEquals(counts, engine.bulkCountsJson(whole, Support.AS_OF));
                }
            }
            List<Map<String, Object>> total = engine.bulkCounts(j, Support.AS_OF);
            long[] eligible = new long[total.size()];
            long[] undetermined = new long[total.size()];
            long rows = 0;
            for (int g = 0; g < 4; g++) {
                try (Store unit = engine.openParquet(parquet, new int[] {g}, false)) {
                    rows += unit.size();
                    List<Map<String, Object>> c = engine.bulkCounts(unit, Support.AS_OF);
                    for (int i = 0; i < c.size(); i++) {
                        assertEquals(total.get(i).get("policy"), c.get(i).get("policy"));
                        eligible[i] += (Long) c.get(i).get("eligible");
                        undetermined[i] += (Long) c.get(i).get("undetermined");
                    }
                }
            }
            assertEquals(15, rows);
            for (int i = 0; i < total.size(); i++) {
                assertEquals(total.get(i).get("eligible"), eligible[i], (String) total.get(i).get("policy"));
                assertEquals(total.get(i).get("undetermined"), undetermined[i], (String) total.get(i).get("policy"));
            }
            try (Store two = engine.openParquet(parquet, new int[] {1, 3}, false)) {
                assertEquals(7L, two.size());
            }
        }
        HuiqiException noGroup = assertThrows(HuiqiException.class, () -> engine.openParquet(parquet, new int[] {99}, false));
        assertEquals(ErrorKind.STORE, noGroup.kind());
        assertTrue(noGroup.getMessage().contains("there is no row group 99: the file has 4 (0 to 3)"), noGroup.getMessage());
        assertEquals(parquet.toString(), noGroup.path());
        HuiqiException negative = assertThrows(HuiqiException.class, () -> engine.openParquet(parquet, new int[] {0, -1}, false));
        assertEquals(ErrorKind.REQUEST, negative.kind());
        assertEquals("rowGroups", negative.path());
        HuiqiException twice = assertThrows(HuiqiException.class, () -> engine.openParquet(parquet, new int[] {0, 2, 0}, false));
        assertTrue(twice.getMessage().contains("row group 0 is asked twice"), twice.getMessage());
        HuiqiException none = assertThrows(HuiqiException.class, () -> engine.openParquet(parquet, new int[] {}, false));
        assertTrue(none.getMessage().contains("no row group asked"), none.getMessage());
        // A column that is no schema field is an error, not dropped, whatever is read.
        for (boolean allColumns : new boolean[] {false, true}) {
            HuiqiException column = assertThrows(HuiqiException.class, () -> engine.openParquet(bad, null, allColumns));
            assertEquals(ErrorKind.STORE, column.kind());
            assertTrue(column.getMessage().contains("column \"not_a_field\" is not a schema field"), column.getMessage());
        }
        // Not Parquet at all.
        for (Path notParquet : Arrays.asList(kept, tmp.resolve("missing.parquet"))) {
            assertEquals(ErrorKind.STORE, assertThrows(HuiqiException.class, () -> Huiqi.parquetRowGroups(notParquet)).kind());
            assertEquals(ErrorKind.STORE, assertThrows(HuiqiException.class, () -> engine.openParquet(notParquet, null, false)).kind());
        }
        // A damaged Parquet file is a store error naming it.
        Path cut = tmp.resolve("cut.parquet");
        byte[] bytes = Files.readAllBytes(parquet);
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        HuiqiException e = assertThrows(HuiqiException.class, () -> engine.openStore(cut));
        assertEquals(ErrorKind.STORE, e.kind(), e.getMessage());
    }
}
