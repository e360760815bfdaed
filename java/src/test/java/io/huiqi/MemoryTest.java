package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Many match calls with resident memory flat after warm-up: a native leak of anything per
 * call (the request's bytes, the answer's buffer, an entry of the handle registry) shows
 * as growth of VmRSS between the end of the warm-up and the end.
 *
 * <p>The calls run in a child JVM ({@link MemoryMain}) whose Java heap is fixed and touched
 * from the start ({@code -Xms128m -Xmx128m -XX:+AlwaysPreTouch}, serial collector): its
 * VmRSS then moves only with native memory, not with the collector growing, shrinking or
 * uncommitting the heap (in this JVM, with other tests' garbage, that alone moves VmRSS by
 * 100 MB either way).
 *
 * <p>A million calls (system property {@code huiqi.test.memory.calls}) at verdicts detail on
 * a small profile (about 25 µs each here), within a time budget (90 s,
 * {@code huiqi.test.memory.seconds}) that fails the test if it ends the run first. The
 * warm-up is the first 100 000 calls (or the first third of the budget).
 *
 * <p>The bound, 32 MB: over the 900 000 calls measured, any per-call leak of 40 bytes or
 * more passes it; the JIT's code cache and malloc's arenas, once warm, stay far below it.
 */
class MemoryTest {
    private static final long BOUND_KB = 32 * 1024;

    private static String property(String name, String fallback) {
        String s = System.getProperty(name);
        return s == null || s.trim().isEmpty() ? fallback : s.trim();
    }

    @Test
    void residentMemoryIsFlatOverManyMatches() {
        String calls = property("huiqi.test.memory.calls", "1000000");
        String budget = property("huiqi.test.memory.seconds", "90");
        ProcessBuilder child = Support.childJava(null, Arrays.asList("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"),
                MemoryMain.class, calls, budget);
        Support.Run run = Support.run(child, (long) Double.parseDouble(budget) + 120);
        assertEquals(0, run.status, run.toString());
        Map<String, String> r = Support.keyed(run.out);
        long n = Long.parseLong(r.get("calls"));
        long warm = Long.parseLong(r.get("warm"));
        double seconds = Double.parseDouble(r.get("seconds"));
        long rssWarm = Long.parseLong(r.get("rssWarm"));
        long rssEnd = Long.parseLong(r.get("rssEnd"));
        long growth = rssEnd - rssWarm;
        System.out.printf("MemoryTest: %d match calls (verdicts, %s-character answers) in %.1f s, %.0f µs each; warm-up %d calls in %.1f s%n", n,
                r.get("answer"), seconds, seconds * 1e6 / n, warm, Double.parseDouble(r.get("warmSeconds")));
        System.out.printf("MemoryTest: VmRSS %s kB at the start, %d kB after the warm-up, %d kB after %d more calls: %+d kB%n", r.get("rssStart"),
                rssWarm, rssEnd, n - warm, growth);
        if (n < Long.parseLong(calls)) {
            System.out.printf("MemoryTest: the %s s budget ended the run before %s calls%n", budget, calls);
            // The issue asks for a million calls: a machine too slow for that in the budget
            // says so as a failure, not as a shorter test that passes.
            assertTrue(System.getProperty("huiqi.test.memory.calls") != null || System.getProperty("huiqi.test.memory.seconds") != null,
                    "only " + n + " of " + calls + " calls within " + budget + " s");
        }
        assertEquals("0", r.get("wrong"), "answers that differ from the first");
        assertTrue(n - warm >= warm / 2, "too few calls after the warm-up to measure: " + (n - warm));
        assertTrue(growth < BOUND_KB, "resident memory grew " + growth + " kB over " + (n - warm) + " calls: " + growth * 1024 / (n - warm)
                + " bytes a call");
    }
}
