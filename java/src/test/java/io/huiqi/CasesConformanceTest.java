package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The shared conformance cases (data/cases/*.toml) with the semantics of
 * python/tests/test_cases.py (and the Rust runner core/tests/cases.rs): for each case the
 * bundled engine, or, when the case gives a {@code condition}, an engine of its own policy
 * compiled after the bundled ones; then explain, and the verdict, message fragments,
 * missing fields, benefit and score must be exactly as expected, and match must agree with
 * explain on the verdict. The cases of one bundled policy are kept beside it (its
 * {@code tests}) and run by the {@code test} operation.
 *
 * <p>Java has no TOML reader: scripts/test-java converts the files with Python's tomllib to
 * target/java/cases.json ({@code [{"file": NAME, "toml": DOCUMENT}]}, in name order).
 */
class CasesConformanceTest {
    private static final Set<String> FIELDS = new HashSet<>(Arrays.asList("name", "as_of", "policy", "condition", "definitions",
            "benefit", "profile", "profile_file", "verdict", "messages", "missing", "benefit_yuan", "score"));

    private static Engine bundled;

    @BeforeAll
    static void open() {
        bundled = Engine.bundled();
    }

    @AfterAll
    static void close() {
        bundled.close();
    }

    /** One case of one file. */
    static final class Case {
        final String file;
        final Map<String, Object> c;

        Case(String file, Map<String, Object> c) {
            this.file = file;
            this.c = c;
        }

        String name() {
            return file + " :: " + c.get("name");
        }
    }

    static List<Case> cases() {
        Path converted = Support.path("target/java/cases.json");
        if (!Files.isRegularFile(converted)) {
            throw new AssertionError(converted + " is missing: scripts/test-java converts data/cases/*.toml before the tests");
        }
        List<Case> out = new ArrayList<>();
        for (Object f : Support.list(Json.parse(Support.read(converted)))) {
            Map<String, Object> file = Support.map(f);
            String name = (String) file.get("file");
            Map<String, Object> toml = Support.map(file.get("toml"));
            Set<String> keys = new HashSet<>(toml.keySet());
            keys.removeAll(Arrays.asList("description", "case"));
            if (!keys.isEmpty()) {
                throw new AssertionError(name + ": unknown keys " + keys);
            }
            for (Object c : Support.list(toml.get("case"))) {
                Map<String, Object> one = Support.map(c);
                Set<String> unknown = new HashSet<>(one.keySet());
                unknown.removeAll(FIELDS);
                if (!unknown.isEmpty()) {
                    throw new AssertionError(name + " :: " + one.get("name") + ": unknown keys " + unknown);
                }
                out.add(new Case(name, one));
            }
        }
        return out;
    }

    /** The counts of core/tests/oracle/cases.rs: a case that disappears fails the run. */
    static final int MIN_TOML_CASES = 295;

    static final int MIN_POLICY_CASES = 267;

    @Test
    void noCaseHasDisappearedFromAnyFile() throws Exception {
        List<Case> cases = cases();
        assertTrue(cases.size() >= MIN_TOML_CASES, "only " + cases.size() + " cases");
        Set<String> files = new HashSet<>();
        for (Case c : cases) {
            files.add(c.file);
        }
        Set<String> onDisk = new HashSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Support.path("data/cases"), "*.toml")) {
            for (Path p : dir) {
                onDisk.add(p.getFileName().toString());
            }
        }
        assertEquals(onDisk, files, "every file converted");
    }

    /**
     * The test cases kept beside the bundled policies, through the {@code test} operation:
     * every one passes (a case marked {@code known_issue} is a known disagreement, counted
     * apart), and none is lost.
     */
    @Test
    void everyBundledPolicyTestPasses() {
        Map<String, Object> r = Support.map(bundled.call("test", "{}"));
        List<String> failed = new ArrayList<>();
        for (Object p : Support.list(r.get("policies"))) {
            Map<String, Object> policy = Support.map(p);
            for (Object c : Support.list(policy.get("results"))) {
                Map<String, Object> one = Support.map(c);
                if ("failed".equals(one.get("status"))) {
                    failed.add(policy.get("policy") + " :: " + one.get("name") + ": " + Json.write(one));
                }
            }
        }
        assertEquals(Collections.emptyList(), failed);
        long cases = ((Number) r.get("cases")).longValue();
        assertTrue(cases >= MIN_POLICY_CASES, "only " + cases + " policy test cases");
        assertEquals(cases, ((Number) r.get("passed")).longValue() + ((Number) r.get("known_issues")).longValue());
        assertEquals(0L, ((Number) r.get("known_issues_passing")).longValue());
    }

    @TestFactory
    List<DynamicTest> everyCase() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
        }
        return tests;
    }

    private static String profileText(Map<String, Object> c) {
        if (c.containsKey("profile") == c.containsKey("profile_file")) {
            throw new AssertionError("give exactly one of profile, profile_file");
        }
        if (c.containsKey("profile_file")) {
            return Support.read((String) c.get("profile_file"));
        }
        Object p = c.get("profile");
        // A string is JSON text; a table is written as JSON.
        return p instanceof String ? (String) p : Json.write(p);
    }

    private static void messages(Map<String, Object> e, List<String> out) {
        out.add((String) e.get("message_zh"));
        out.add((String) e.get("message_en"));
        Object children = e.get("children");
        if (children != null) {
            for (Object child : Support.list(children)) {
                messages(Support.map(child), out);
            }
        }
    }

    /** The policy file of a case's own condition, as python/tests/test_cases.py writes it. */
    private static Map<String, Object> ownPolicy(Map<String, Object> c) {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("id", "case");
        policy.put("title", c.get("name"));
        policy.put("issuer", "test");
        policy.put("doc_no", "test");
        policy.put("year", 2024);
        policy.put("level", "national");
        policy.put("condition", c.get("condition"));
        Map<String, Object> none = new LinkedHashMap<>();
        none.put("kind", "none");
        none.put("description", "test");
        policy.put("benefit", c.containsKey("benefit") ? c.get("benefit") : none);
        policy.put("source", Collections.singletonMap("document", "test case"));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("definitions", c.containsKey("definitions") ? c.get("definitions") : new LinkedHashMap<String, Object>());
        doc.put("policies", Collections.singletonList(policy));
        return doc;
    }

    private static void check(Case k) {
        Map<String, Object> c = k.c;
        String asOf = c.containsKey("as_of") ? (String) c.get("as_of") : Support.AS_OF;
        String text = profileText(c);
        if (c.containsKey("policy") == c.containsKey("condition")) {
            throw new AssertionError("give exactly one of policy, condition");
        }
        boolean own = c.containsKey("condition");
        Engine engine = own
                ? Engine.builder().policies("case.json", Json.write(ownPolicy(c))).includeBundled(true).build()
                : bundled;
        String policyId = own ? "case" : (String) c.get("policy");
        try {
            Map<String, Object> r = engine.explain(text, policyId, asOf);
            List<String> problems = new ArrayList<>();
            Map<String, Object> policy = Support.map(r.get("policy"));
            Object verdict = policy.get("verdict");
            if (!Objects.equals(verdict, c.get("verdict"))) {
                problems.add("verdict " + verdict + " (expected " + c.get("verdict") + ")");
            }
            // The index (match) must agree with explain (the reference evaluator) on the verdict.
            for (Object p : Support.list(engine.match(text, asOf).get("policies"))) {
                Map<String, Object> m = Support.map(p);
                if (policyId.equals(m.get("id")) && !Objects.equals(m.get("verdict"), verdict)) {
                    problems.add("match says " + m.get("verdict") + ", explain says " + verdict);
                }
            }
            List<String> found = new ArrayList<>();
            messages(Support.map(r.get("explanation")), found);
            if (c.containsKey("messages")) {
                for (Object m : Support.list(c.get("messages"))) {
                    if (found.stream().noneMatch(x -> x.contains((String) m))) {
                        problems.add("no message contains \"" + m + "\"; messages:\n      " + String.join("\n      ", found));
                    }
                }
            }
            if (c.containsKey("missing")) {
                List<String> got = new ArrayList<>();
                Object missing = policy.get("missing_fields");
                if (missing != null) {
                    for (Object f : Support.list(missing)) {
                        got.add((String) Support.map(f).get("name"));
                    }
                }
                List<String> want = new ArrayList<>();
                for (Object f : Support.list(c.get("missing"))) {
                    want.add((String) f);
                }
                Collections.sort(got);
                Collections.sort(want);
                if (!got.equals(want)) {
                    problems.add("missing fields " + got + " (expected " + want + ")");
                }
            }
            if (c.containsKey("benefit_yuan")) {
                Object amount = Support.map(policy.get("benefit")).get("amount_yuan");
                if (!Objects.equals(amount, c.get("benefit_yuan"))) {
                    problems.add("benefit " + amount + " (expected " + c.get("benefit_yuan") + ")");
                }
            }
            if (c.containsKey("score") && !Objects.equals(policy.get("score"), c.get("score"))) {
                problems.add("score " + policy.get("score") + " (expected " + c.get("score") + ")");
            }
            if (!problems.isEmpty()) {
                fail(k.name() + "\n    " + String.join("\n    ", problems));
            }
        } finally {
            if (own) {
                engine.close();
            }
        }
    }
}
