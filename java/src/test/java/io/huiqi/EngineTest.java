package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's API on the bundled data: answers, other policy sets, options, batches, the safety net. */
class EngineTest {
    private static Engine engine;
    private static Map<String, String> samples;

    @BeforeAll
    static void open() {
        engine = Engine.bundled();
        samples = Support.samples();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static Map<String, Object> summary(Map<String, Object> result) {
        return Support.map(result.get("summary"));
    }

    private static Map<String, String> verdicts(Map<String, Object> result) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Object p : Support.list(result.get("policies"))) {
            out.put((String) Support.map(p).get("id"), (String) Support.map(p).get("verdict"));
        }
        return out;
    }

    private static Map<String, Object> byId(Map<String, Object> result, String id) {
        for (Object p : Support.list(result.get("policies"))) {
            if (id.equals(Support.map(p).get("id"))) {
                return Support.map(p);
            }
        }
        throw new AssertionError("no policy " + id);
    }

    /** The listed policies in id order (their order depends on the order the set was read in). */
    private static List<String> policiesById(Map<String, Object> result) {
        List<String> out = new ArrayList<>();
        for (Object p : Support.list(result.get("policies"))) {
            out.add(Json.write(p));
        }
        Collections.sort(out);
        return out;
    }

    // ---- the bundled engine ------------------------------------------------------------

    @Test
    void theBundledEngineMatchesTheSampleAsTheCliCounts() {
        try (Engine e = Engine.bundled()) {
            Map<String, Object> r = e.match(Support.sample(), Support.AS_OF);
            Map<String, Object> summary = summary(r);
            assertEquals(11L, summary.get("eligible"));
            assertEquals(3L, summary.get("undetermined"));
            assertEquals(32L, summary.get("ineligible"));
            assertEquals(16L, summary.get("not_in_force"));
        }
    }

    @Test
    void verdictBytesAreTheVerdictsInTheSetsOrder() {
        List<String> ids = engine.policyIds();
        String[] codes = {"ineligible", "eligible", "undetermined", "not_in_force"};
        for (Map.Entry<String, String> s : samples.entrySet()) {
            for (String asOf : new String[] {Support.AS_OF, "2019-01-01"}) {
                byte[] b = engine.verdictBytes(s.getValue(), asOf);
                assertEquals(ids.size(), b.length);
                Map<String, Object> v = engine.verdicts(s.getValue(), asOf);
                Map<String, String> listed = verdicts(v);
                Map<String, String> fromBytes = new LinkedHashMap<>();
                long notInForce = 0;
                for (int i = 0; i < b.length; i++) {
                    String c = codes[b[i]];
                    if (c.equals("eligible") || c.equals("undetermined")) {
                        fromBytes.put(ids.get(i), c);
                    }
                    notInForce += c.equals("not_in_force") ? 1 : 0;
                }
                assertEquals(new java.util.TreeMap<>(listed), new java.util.TreeMap<>(fromBytes), s.getKey() + " " + asOf);
                assertEquals(summary(v).get("not_in_force"), notInForce, s.getKey());
            }
        }
        HuiqiException bad = assertThrows(HuiqiException.class, () -> engine.verdictBytes("{\"employees\": \"many\"}", Support.AS_OF));
        assertEquals(ErrorKind.PROFILE, bad.kind());
        assertThrows(HuiqiException.class, () -> engine.verdictBytes("{}", "30/06/2026"));
    }

    @Test
    void aClosedEngineIsARequestError() {
        Engine e = Engine.bundled();
        assertFalse(e.isClosed());
        e.close();
        e.close();
        assertTrue(e.isClosed());
        assertEquals("Engine(closed)", e.toString());
        HuiqiException x = assertThrows(HuiqiException.class, () -> e.match(Support.sample(), Support.AS_OF));
        assertEquals(ErrorKind.REQUEST, x.kind());
        assertTrue(x.getMessage().contains("this Engine is closed"), x.getMessage());
    }

    @Test
    void theVersionIsTheJars() {
        assertEquals(Huiqi.VERSION, Huiqi.version());
        String cargo = Support.read("Cargo.toml");
        assertTrue(cargo.contains("version = \"" + Huiqi.VERSION + "\""), "the workspace version");
    }

    @Test
    void knownVerdictsOfTheSamples() {
        Map<String, Object> r = engine.match(samples.get("01-quanzhi-software"), Support.AS_OF);
        assertEquals(Support.AS_OF, r.get("as_of"));
        assertEquals("济南泉智云图软件科技有限公司（91370100MA3D7K2N8B）", r.get("enterprise"));
        Map<String, String> v = verdicts(r);
        assertEquals("eligible", v.get("hitech-eit-15pct-rate"));
        assertEquals("eligible", v.get("job-expansion-subsidy-2026"));
        assertEquals("3000", Support.map(byId(r, "job-expansion-subsidy-2026").get("benefit")).get("amount_yuan"));
        Map<String, Object> restaurant = engine.match(samples.get("03-laojiefang-restaurant"), Support.AS_OF, MatchOptions.DEFAULT.all(true));
        Map<String, Object> slp = byId(restaurant, "small-low-profit-eit");
        assertEquals("eligible", slp.get("verdict"));
        assertEquals("1", slp.get("score"));
        assertEquals("6200", Support.map(slp.get("benefit")).get("amount_yuan"));
        assertEquals("ineligible", verdicts(restaurant).get("hitech-eit-15pct-rate"));
        Map<String, Object> construction = engine.match(samples.get("08-hengzhu-construction"), Support.AS_OF);
        Map<String, Object> p = byId(construction, "small-low-profit-eit");
        assertEquals("undetermined", p.get("verdict"));
        assertEquals("total_assets", Support.map(Support.list(p.get("missing_fields")).get(0)).get("name"));
    }

    @Test
    void explainGivesTheTree() {
        Map<String, Object> r = engine.explain(samples.get("03-laojiefang-restaurant"), "hitech-eit-15pct-rate", Support.AS_OF);
        assertEquals("ineligible", Support.map(r.get("policy")).get("verdict"));
        Map<String, Object> tree = Support.map(r.get("explanation"));
        assertEquals(r.get("condition"), tree.get("text"));
        List<Object> leaves = Support.list(tree.get("children"));
        assertEquals("met", Support.map(leaves.get(0)).get("status"));
        assertEquals("unmet", Support.map(leaves.get(1)).get("status"));
        Map<String, Object> first = Support.map(Support.list(Support.map(leaves.get(1)).get("children")).get(0));
        assertEquals("未持有有效的高新技术企业", first.get("message_zh"));
    }

    @Test
    void answersAreByteIdenticalToTheCli() {
        for (Path p : Support.samplePaths().subList(0, 4)) {
            String text = Support.read(p);
            assertEquals(Support.cli("match", "--profile", p.toString(), "--as-of", Support.AS_OF, "--json"), engine.matchJson(text, Support.AS_OF),
                    p.toString());
        }
        Path p = Support.samplePaths().get(2);
        assertEquals(Support.cli("explain", "--profile", p.toString(), "--policy", "small-low-profit-eit", "--as-of", Support.AS_OF, "--json"),
                engine.explainJson(Support.read(p), "small-low-profit-eit", Support.AS_OF));
        assertEquals(
                Support.cli("match", "--profile", p.toString(), "--as-of", Support.AS_OF, "--json", "--detail", "summary", "--all", "--limit", "2"),
                engine.matchJson(Support.read(p), Support.AS_OF, MatchOptions.DEFAULT.detail(MatchOptions.Detail.SUMMARY).all(true).limit(2)));
    }

    @Test
    void verdictsAreTheMatchAtVerdictDetail() {
        String s = samples.get("01-quanzhi-software");
        Map<String, Object> full = engine.match(s, Support.AS_OF);
        Map<String, Object> v = engine.verdicts(s, Support.AS_OF);
        assertEquals(full.get("summary"), v.get("summary"));
        assertEquals(verdicts(full), verdicts(v));
        for (Object p : Support.list(v.get("policies"))) {
            assertEquals(Arrays.asList("id", "verdict"), new ArrayList<>(Support.map(p).keySet()));
        }
        assertEquals(engine.matchJson(s, Support.AS_OF, MatchOptions.DEFAULT.detail(MatchOptions.Detail.VERDICTS)),
                engine.verdictsJson(s, Support.AS_OF));
    }

    // ---- other policy sets -------------------------------------------------------------

    @Test
    void thePolicyFolderHoldsTheBundledPolicies() {
        try (Engine folder = Engine.fromPath(Support.path("data/policies"))) {
            for (Map.Entry<String, String> s : samples.entrySet()) {
                MatchOptions all = MatchOptions.DEFAULT.all(true);
                Map<String, Object> want = engine.match(s.getValue(), Support.AS_OF, all);
                Map<String, Object> got = folder.match(s.getValue(), Support.AS_OF, all);
                // The same answer for every policy; the list is in the order the set was read.
                assertEquals(want.get("summary"), got.get("summary"), s.getKey());
                assertEquals(policiesById(want), policiesById(got), s.getKey());
            }
            // Byte for byte the CLI's --policies.
            Path p = Support.samplePaths().get(0);
            assertEquals(Support.cli("match", "--policies", "data/policies", "--profile", p.toString(), "--as-of", Support.AS_OF, "--json"),
                    folder.matchJson(Support.read(p), Support.AS_OF));
            // One file of the folder is a set of its own.
            try (Engine one = Engine.fromPath(Support.path("data/policies/employment.json"))) {
                String s = samples.get("01-quanzhi-software");
                Map<String, String> all = verdicts(engine.match(s, Support.AS_OF, MatchOptions.DEFAULT.all(true)));
                Map<String, String> v = verdicts(one.match(s, Support.AS_OF, MatchOptions.DEFAULT.all(true)));
                assertEquals("eligible", v.get("job-expansion-subsidy-2026"));
                assertTrue(v.size() < all.size());
                for (Map.Entry<String, String> e : v.entrySet()) {
                    assertEquals(all.get(e.getKey()), e.getValue(), e.getKey());
                }
            }
        }
    }

    @Test
    void aSavedSetAnswersAsTheBundledSet(@TempDir Path tmp) throws IOException {
        Path saved = Support.path("target/java/fixtures/bundled.hqset");
        assertTrue(Files.isRegularFile(saved), saved + " is missing: scripts/test-java compiles it with `huiqi compile` before the tests");
        try (Engine e = Engine.fromPath(saved)) {
            for (Map.Entry<String, String> s : samples.entrySet()) {
                assertEquals(engine.matchJson(s.getValue(), Support.AS_OF), e.matchJson(s.getValue(), Support.AS_OF), s.getKey());
            }
            String lint = "{\"as_of\":\"" + Support.AS_OF + "\"}";
            assertEquals(engine.callJson("lint", lint), e.callJson("lint", lint));
        }
        // A damaged set is refused with what is wrong, never loaded.
        byte[] bytes = Files.readAllBytes(saved);
        byte[] flipped = bytes.clone();
        flipped[flipped.length / 2] ^= (byte) 0xff;
        Object[][] damaged = {
            {"cut.hqset", Arrays.copyOf(bytes, bytes.length / 2), "truncated"},
            {"flipped.hqset", flipped, "checksum does not match"},
            {"empty.hqset", new byte[0], "cut short"},
            {"text.hqset", "not a set".getBytes(StandardCharsets.UTF_8), "does not start with HUIQISET"},
        };
        for (Object[] d : damaged) {
            Path f = tmp.resolve((String) d[0]);
            Files.write(f, (byte[]) d[1]);
            HuiqiException x = assertThrows(HuiqiException.class, () -> Engine.fromPath(f), f.toString());
            assertEquals(ErrorKind.COMPILED, x.kind(), x.getMessage());
            assertTrue(x.getMessage().contains((String) d[2]), x.getMessage());
        }
    }

    static final String ZONE_POLICY = "{\"policies\":[{\"id\":\"zone-test\",\"title\":\"t\",\"issuer\":\"test\",\"doc_no\":\"test\",\"year\":2024,"
            + "\"level\":\"district\",\"condition\":\"registered_zone under test_zone\",\"benefit\":{\"kind\":\"none\",\"description\":\"test\"},"
            + "\"source\":{\"document\":\"test\"}}]}";
    /** A platform-local zone list (synthetic, for these tests only). */
    static final String ZONE_TABLE = "{\"system\":\"zone\",\"standard\":\"test zones (synthetic)\","
            + "\"nodes\":[{\"code\":\"test_zone\",\"name\":\"test zone\",\"districts\":[\"370102\"]}]}";
    static final String OWN = "{\"policies\":[{\"id\":\"big-capital\",\"title\":\"Big capital\",\"issuer\":\"test\",\"doc_no\":\"test\","
            + "\"year\":2024,\"level\":\"national\",\"condition\":\"registered_capital >= 500万\","
            + "\"benefit\":{\"kind\":\"none\",\"description\":\"test\"},\"source\":{\"document\":\"test\"}}]}";

    @Test
    void theBuilderTakesSchemaCodesAndPoliciesAsText(@TempDir Path tmp) {
        String zoned = "{\"name\":\"z\",\"registered_zone\":\"test_zone\"}";
        Map<String, String> eligible = Collections.singletonMap("zone-test", "eligible");
        try (Engine e = Engine.builder().schema(Support.read("data/schema/enterprise.json")).codes("zones.json", ZONE_TABLE)
                .policies("z.json", ZONE_POLICY).build()) {
            assertEquals(eligible, verdicts(e.match(zoned, Support.AS_OF)));
        }
        // Without the table the policy names a zone nobody knows.
        HuiqiException unknownZone = assertThrows(HuiqiException.class, () -> Engine.builder().policies("z.json", ZONE_POLICY).build());
        assertEquals(ErrorKind.POLICY, unknownZone.kind());
        assertEquals("z.json", unknownZone.origin());
        assertTrue(unknownZone.getMessage().contains("test_zone"), unknownZone.getMessage());
        // The table from a folder, as `huiqi --codes DIR`.
        Support.write(tmp.resolve("zones.json"), ZONE_TABLE);
        try (Engine e = Engine.builder().codes(tmp).policies("z.json", ZONE_POLICY).build()) {
            assertEquals(eligible, verdicts(e.match(zoned, Support.AS_OF)));
        }
        // Replaced zones are all the zones: the bundled policies' 高新区 test no longer checks.
        HuiqiException replaced = assertThrows(HuiqiException.class, () -> Engine.builder().codes("zones.json", ZONE_TABLE).build());
        assertTrue(replaced.getMessage().contains("370176"), replaced.getMessage());
        // A schema that does not check, a code table that does not check.
        assertEquals(ErrorKind.SCHEMA, assertThrows(HuiqiException.class, () -> Engine.builder().schema("{}").build()).kind());
        HuiqiException codes = assertThrows(HuiqiException.class,
                () -> Engine.builder().codes("industry.json", "{\"system\":\"industry\",\"nodes\":[]}").build());
        assertEquals(ErrorKind.CODES, codes.kind());
        assertTrue(codes.getMessage().contains("industry.json"), codes.getMessage());
    }

    @Test
    void ownPoliciesWithAndWithoutTheBundledSet() {
        String s = samples.get("01-quanzhi-software");
        try (Engine own = Engine.builder().policies("own.json", OWN).build()) {
            assertEquals(Collections.singletonMap("big-capital", "eligible"), verdicts(own.match("{\"registered_capital\":800}", Support.AS_OF)));
            Map<String, Object> explained = own.explain("{\"registered_capital\":100}", "big-capital", Support.AS_OF);
            assertEquals("ineligible", Support.map(explained.get("policy")).get("verdict"));
        }
        try (Engine both = Engine.builder().policies("own.json", OWN).includeBundled(true).build()) {
            int bundledCount = Support.list(engine.match(s, Support.AS_OF, MatchOptions.DEFAULT.all(true)).get("policies")).size();
            Map<String, String> v = verdicts(both.match(s, Support.AS_OF, MatchOptions.DEFAULT.all(true)));
            assertEquals(bundledCount + 1, v.size());
            assertTrue(v.containsKey("big-capital"));
        }
        // A .jsonl origin is one policy per line.
        String line = Json.write(Support.list(Json.parseObject(OWN).get("policies")).get(0));
        String second = line.replace("big-capital", "big-capital-2").replace("500万", "1000万");
        try (Engine lines = Engine.builder().policies("own.jsonl", line + "\n" + second + "\n").build()) {
            Map<String, String> want = new LinkedHashMap<>();
            want.put("big-capital", "eligible");
            want.put("big-capital-2", "ineligible");
            assertEquals(want, verdicts(lines.match("{\"registered_capital\":800}", Support.AS_OF, MatchOptions.DEFAULT.all(true))));
        }
        // Policies as a path or as texts, not both; code tables likewise.
        HuiqiException both = assertThrows(HuiqiException.class,
                () -> Engine.builder().policies("own.json", OWN).policies(Support.path("data/policies")).build());
        assertEquals(ErrorKind.REQUEST, both.kind());
        assertEquals("policies", both.path());
        HuiqiException codes = assertThrows(HuiqiException.class,
                () -> Engine.builder().codes("zones.json", ZONE_TABLE).codes(Support.path("data/codes")).build());
        assertEquals(ErrorKind.REQUEST, codes.kind());
        assertEquals("codes", codes.path());
    }

    // ---- options -----------------------------------------------------------------------

    private static Map<String, Object> options(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void matchOptionsAreTheMatchOperationsOptions() {
        MatchOptions d = MatchOptions.DEFAULT;
        Object[][] cases = {
            {d, options()},
            {d.detail(MatchOptions.Detail.VERDICTS), options("detail", "verdicts")},
            {d.detail(MatchOptions.Detail.SUMMARY).limit(2), options("detail", "summary", "limit", 2)},
            {d.detail(MatchOptions.Detail.FULL).all(true), options("all", true)},
            {d.tags("科创"), options("tags", Collections.singletonList("科创"))},
            {d.tags(Arrays.asList("科创", "税费")).limit(0), options("tags", Arrays.asList("科创", "税费"), "limit", 0)},
            {d.recommendUndetermined(true).detail(MatchOptions.Detail.SUMMARY), options("detail", "summary", "recommend_undetermined", true)},
            {d.all(true).detail(MatchOptions.Detail.VERDICTS).limit(3).tags("科创"),
                options("detail", "verdicts", "all", true, "tags", Collections.singletonList("科创"), "limit", 3)},
        };
        for (String s : Arrays.asList(samples.get("01-quanzhi-software"), samples.get("14-xiaomei-ads"))) {
            Object profile = Json.parse(s);
            for (Object[] c : cases) {
                MatchOptions o = (MatchOptions) c[0];
                Map<String, Object> request = new LinkedHashMap<>();
                request.put("profile", profile);
                request.put("as_of", Support.AS_OF);
                request.put("options", c[1]);
                String want = engine.callJson("match", Json.write(request));
                assertTrue(want.startsWith("{\"type\":\"success\""), want);
                assertEquals(want, engine.matchJson(s, Support.AS_OF, o), o.toString());
                assertEquals(Json.write(c[1]), o.toString());
            }
        }
        // What the options do.
        String s = samples.get("01-quanzhi-software");
        Map<String, Object> plain = engine.match(s, Support.AS_OF);
        Map<String, Object> sum = summary(plain);
        assertEquals((Long) sum.get("eligible") + (Long) sum.get("undetermined"), Support.list(plain.get("policies")).size());
        assertEquals((Long) sum.get("eligible") + (Long) sum.get("undetermined") + (Long) sum.get("ineligible"),
                Support.list(engine.match(s, Support.AS_OF, d.all(true)).get("policies")).size());
        assertEquals(1, Support.list(engine.match(s, Support.AS_OF, d.limit(1)).get("policies")).size());
        for (Object p : Support.list(engine.match(s, Support.AS_OF, d.detail(MatchOptions.Detail.SUMMARY)).get("policies"))) {
            assertFalse(Support.map(p).containsKey("unmet"));
        }
        // Immutable: each with… is a copy.
        MatchOptions limited = d.limit(5);
        assertNotEquals(d.toString(), limited.toString());
        assertEquals("{}", d.toString());
        assertNull(d.toJson());
        assertEquals("{\"limit\":5}", limited.limit(5).toString());
        assertEquals("{}", limited.limit(null).toString());
    }

    @Test
    void badOptionsAreRequestErrors() {
        HuiqiException limit = assertThrows(HuiqiException.class, () -> MatchOptions.DEFAULT.limit(-1));
        assertEquals(ErrorKind.REQUEST, limit.kind());
        assertEquals("options.limit", limit.path());
        HuiqiException detail = assertThrows(HuiqiException.class, () -> MatchOptions.DEFAULT.detail(null));
        assertEquals("options.detail", detail.path());
        HuiqiException tag = assertThrows(HuiqiException.class, () -> MatchOptions.DEFAULT.tags("a", null));
        assertEquals("options.tags", tag.path());
        // Options the engine refuses are a failure envelope naming them.
        String e = engine.callJson("match", "{\"profile\":{},\"as_of\":\"" + Support.AS_OF + "\",\"options\":{\"detail\":\"everything\"}}");
        assertTrue(e.startsWith("{\"type\":\"failure\"") && e.contains("detail"), e);
    }

    // ---- many enterprises --------------------------------------------------------------

    private static List<String> oneLineSamples(int times) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            for (String s : samples.values()) {
                out.add(Support.oneLine(s));
            }
        }
        return out;
    }

    @Test
    void matchManyIsTheSameOnAnyNumberOfThreads() {
        List<String> profiles = oneLineSamples(3);
        for (MatchOptions o : Arrays.asList(null, MatchOptions.DEFAULT.detail(MatchOptions.Detail.SUMMARY))) {
            List<String> want = new ArrayList<>();
            for (String p : profiles) {
                want.add(engine.matchJson(p, Support.AS_OF, o));
            }
            for (int threads : new int[] {0, 1, 4}) {
                assertEquals(want, engine.matchManyJson(profiles, Support.AS_OF, o, threads), "threads " + threads);
            }
        }
        List<Map<String, Object>> parsed = engine.matchMany(profiles.subList(0, 3), Support.AS_OF, null, 2);
        assertEquals(3, parsed.size());
        for (int i = 0; i < 3; i++) {
            assertEquals("success", parsed.get(i).get("type"));
            assertEquals(engine.match(profiles.get(i), Support.AS_OF), parsed.get(i).get("result"));
        }
        assertEquals(Collections.emptyList(), engine.matchManyJson(Collections.<String>emptyList(), Support.AS_OF, null, 0));
    }

    @Test
    void aPrettyPrintedProfileInABatchIsOneProfile() {
        List<String> names = new ArrayList<>(samples.keySet());
        String pretty = samples.get(names.get(1));
        assertTrue(pretty.trim().contains("\n"), "the sample file is indented over many lines");
        String windows = samples.get(names.get(2)).replace("\n", "\r\n");
        List<String> profiles = Arrays.asList(Support.oneLine(samples.get(names.get(0))), pretty, Support.oneLine(samples.get(names.get(3))),
                windows, "{\"registered_capital\":\"lots\"}", Support.oneLine(samples.get(names.get(4))));
        for (int threads : new int[] {1, 4}) {
            List<String> out = engine.matchManyJson(profiles, Support.AS_OF, null, threads);
            assertEquals(profiles.size(), out.size());
            for (int i : new int[] {0, 1, 2, 3, 5}) {
                assertEquals(engine.matchJson(profiles.get(i), Support.AS_OF), out.get(i), "item " + (i + 1));
            }
            // The bad one after the pretty ones still names its place (line 5).
            HuiqiException bad = new HuiqiException(out.get(4));
            assertEquals(ErrorKind.PROFILE, bad.kind());
            assertEquals("$.registered_capital", bad.path());
            assertEquals(Integer.valueOf(5), bad.line());
        }
    }

    @Test
    void aBadPrettyPrintedProfileInABatchNamesItsItem() {
        List<String> out = engine.matchManyJson(Arrays.asList("{}", "{\n  \"registered_capital\": \"lots\"\n}"), Support.AS_OF, null, 1);
        HuiqiException bad = new HuiqiException(out.get(1));
        assertEquals(ErrorKind.PROFILE, bad.kind());
        assertEquals(Integer.valueOf(2), bad.line(), out.get(1));
    }

    @Test
    void aNullOrBadProfileInABatchIsAFailureAtItsPlace() {
        List<String> good = oneLineSamples(1).subList(0, 3);
        List<String> profiles = Arrays.asList(good.get(0), null, good.get(1), "{not json", null, "", good.get(2));
        List<String> out = engine.matchManyJson(profiles, Support.AS_OF, MatchOptions.DEFAULT.detail(MatchOptions.Detail.VERDICTS), 2);
        assertEquals(profiles.size(), out.size());
        int[] bad = {1, 3, 4, 5};
        ErrorKind[] kinds = {ErrorKind.REQUEST, ErrorKind.JSON, ErrorKind.REQUEST, ErrorKind.JSON};
        for (int k = 0; k < bad.length; k++) {
            int i = bad[k];
            assertTrue(out.get(i).startsWith("{\"type\":\"failure\""), out.get(i));
            HuiqiException x = new HuiqiException(out.get(i));
            assertEquals(kinds[k], x.kind(), out.get(i));
            assertEquals(Integer.valueOf(i + 1), x.line(), "failures name their item, counted from 1: " + out.get(i));
        }
        assertEquals("{\"type\":\"failure\",\"errors\":[{\"kind\":\"request\",\"message\":\"profile is null\",\"line\":2}]}", out.get(1));
        for (int i : new int[] {0, 2, 6}) {
            assertEquals(engine.verdictsJson(profiles.get(i), Support.AS_OF), out.get(i));
        }
        List<Map<String, Object>> parsed = engine.matchMany(profiles, Support.AS_OF, null, 1);
        assertEquals("failure", parsed.get(1).get("type"));
        assertEquals("success", parsed.get(2).get("type"));
    }

    // ---- the set -----------------------------------------------------------------------

    @Test
    void fieldsReadAreWhatAFormMustAsk() {
        Map<String, Object> f = engine.fieldsRead();
        assertEquals(Support.result(Support.expectedEnvelope("fields-read")), f);
        assertEquals(f, engine.call("fields_read", (String) null));
        List<String> names = new ArrayList<>();
        for (Object field : Support.list(f.get("fields"))) {
            names.add((String) Support.map(field).get("name"));
        }
        assertTrue(names.contains("rd_expense") && names.contains("qualifications"), names.toString());
        assertFalse(names.contains("registered_capital"), "no bundled policy reads it");
        assertEquals(Arrays.asList("uscc", "name"), f.get("ids"), "the fields that name the enterprise");
        try (Engine own = Engine.builder().policies("own.json", OWN).build()) {
            Map<String, Object> mine = own.fieldsRead();
            List<Object> fields = Support.list(mine.get("fields"));
            assertEquals(1, fields.size());
            assertEquals("registered_capital", Support.map(fields.get(0)).get("name"));
        }
    }

    @Test
    void callReadsAnyOperationAndThrowsItsFailure() {
        String s = samples.get("01-quanzhi-software");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("profile", Json.parse(s));
        request.put("as_of", Support.AS_OF);
        assertEquals(engine.match(s, Support.AS_OF).get("summary"), engine.call("summary", request, null));
        HuiqiException unknown = assertThrows(HuiqiException.class, () -> engine.call("mach", (String) null));
        assertEquals(ErrorKind.REQUEST, unknown.kind());
        assertEquals("did you mean \"match\"?", unknown.hint());
        assertEquals(engine.callJson("mach", null), unknown.envelope());
        HuiqiException noStore = assertThrows(HuiqiException.class, () -> engine.call("bulk_counts", "{\"as_of\":\"2026-06-30\"}"));
        assertTrue(noStore.getMessage().contains("open one and pass it"), noStore.getMessage());
        Map<String, Object> checked = Huiqi.check("{}");
        assertEquals(checked.get("policies"), (long) Support.list(checked.get("ids")).size());
        assertTrue(Support.list(checked.get("ids")).contains("small-low-profit-eit"));
    }

    // ---- the safety net ----------------------------------------------------------------

    /** Whether {@code engine} is a live handle of the registry. */
    private static boolean engineLive(long id) {
        try {
            Native.call(null, id, 0, "fields_read".getBytes(StandardCharsets.UTF_8), null);
            return true;
        } catch (HuiqiException e) {
            assertTrue(e.getMessage().contains("is not a live engine"), e.getMessage());
            return false;
        }
    }

    private static boolean storeLive(long id) {
        try {
            Native.call(null, engine.id(), id, "store_info".getBytes(StandardCharsets.UTF_8), null);
            return true;
        } catch (HuiqiException e) {
            assertTrue(e.getMessage().contains("is not a live store"), e.getMessage());
            return false;
        }
    }

    /** An engine and a store made and dropped without close: their handle numbers. */
    private static long[] dropped() {
        Engine e = Engine.bundled();
        Store s = e.storeFromJsonLines(Support.oneLine(Support.sample()) + "\n");
        return new long[] {e.id(), s.id()};
    }

    @Test
    void anEngineDroppedWithoutCloseIsFreed() throws InterruptedException {
        long before = Cleanup.CLEANED.get();
        long[] ids = dropped();
        assertTrue(engineLive(ids[0]));
        assertTrue(storeLive(ids[1]));
        long deadline = System.nanoTime() + 5_000_000_000L;
        boolean freed = false;
        while (!freed && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            freed = !engineLive(ids[0]) && !storeLive(ids[1]);
        }
        assertTrue(freed, "the safety net freed neither within 5 s");
        assertTrue(Cleanup.CLEANED.get() >= before + 2, "freed by the safety net: " + before + " -> " + Cleanup.CLEANED.get());
    }

    @Test
    void closeFreesTheHandleAtOnce() {
        Engine e = Engine.bundled();
        long id = e.id();
        assertTrue(engineLive(id));
        e.close();
        assertFalse(engineLive(id));
        e.close();
        assertFalse(engineLive(id));
    }
}
