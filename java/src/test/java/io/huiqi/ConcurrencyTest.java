package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

/**
 * One engine shared by 8 threads: every answer equal to the one computed on one thread
 * first, for a bounded time (20 s, or the system property {@code huiqi.test.seconds}; set
 * {@code HUIQI_JAVA_SOAK_SECONDS} for scripts/test-java). Then close from another thread
 * while 8 threads call: each call gives a correct answer or a request error, never a crash
 * and never a wrong answer.
 */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final String[] EXPLAINED = {"hitech-eit-15pct-rate", "small-low-profit-eit"};
    private static final String[] KINDS = {"match", "verdicts", "explain"};

    /** One question and its answer, computed on one thread. */
    private static final class Question {
        final String name;
        final int kind;
        final String profile;
        final String policy;
        final String want;

        Question(String name, int kind, String profile, String policy, String want) {
            this.name = name;
            this.kind = kind;
            this.profile = profile;
            this.policy = policy;
            this.want = want;
        }

        String ask(Engine e) {
            switch (kind) {
                case 0:
                    return e.matchJson(profile, Support.AS_OF);
                case 1:
                    return e.verdictsJson(profile, Support.AS_OF);
                default:
                    return e.explainJson(profile, policy, Support.AS_OF);
            }
        }
    }

    /** match, verdicts and two explains of each of the 15 samples, answered on this thread. */
    private static List<Question> questions(Engine e) {
        List<Question> out = new ArrayList<>();
        for (Map.Entry<String, String> s : Support.samples().entrySet()) {
            String p = s.getValue();
            out.add(new Question("match " + s.getKey(), 0, p, null, e.matchJson(p, Support.AS_OF)));
            out.add(new Question("verdicts " + s.getKey(), 1, p, null, e.verdictsJson(p, Support.AS_OF)));
            for (String policy : EXPLAINED) {
                out.add(new Question("explain " + policy + " " + s.getKey(), 2, p, policy, e.explainJson(p, policy, Support.AS_OF)));
            }
        }
        for (Question q : out) {
            assertTrue(q.want.startsWith("{\"type\":\"success\""), q.name + ": " + q.want);
        }
        return out;
    }

    static double seconds() {
        String s = System.getProperty("huiqi.test.seconds");
        return s == null || s.trim().isEmpty() ? 20 : Double.parseDouble(s.trim());
    }

    @Test
    void eightThreadsShareOneEngine() throws InterruptedException {
        double seconds = seconds();
        try (Engine engine = Engine.bundled()) {
            List<Question> questions = questions(engine);
            assertEquals(15 * 4, questions.size());
            AtomicLongArray calls = new AtomicLongArray(KINDS.length);
            AtomicLong mismatches = new AtomicLong();
            List<String> problems = Collections.synchronizedList(new ArrayList<String>());
            long[] perThread = new long[THREADS];
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                Thread th = new Thread(() -> {
                    // Each thread walks the questions from its own place, so that different
                    // questions run at once.
                    int i = me * questions.size() / THREADS;
                    try {
                        do {
                            Question q = questions.get(i++ % questions.size());
                            String got = q.ask(engine);
                            calls.incrementAndGet(q.kind);
                            perThread[me]++;
                            if (!got.equals(q.want)) {
                                if (mismatches.incrementAndGet() <= 5) {
                                    problems.add(q.name + ": " + got);
                                }
                            }
                        } while (System.nanoTime() < deadline);
                    } catch (Throwable x) {
                        problems.add("thread " + me + ": " + x);
                    }
                }, "huiqi-soak-" + t);
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join((long) (seconds * 1000) + 120_000);
                assertFalse(th.isAlive(), th.getName() + " did not finish");
            }
            long total = 0;
            StringBuilder kinds = new StringBuilder();
            for (int k = 0; k < KINDS.length; k++) {
                total += calls.get(k);
                kinds.append(k == 0 ? "" : ", ").append(KINDS[k]).append(' ').append(calls.get(k));
            }
            System.out.printf("ConcurrencyTest: %d calls in %.1f s on %d threads (%s), %d mismatches%n", total, seconds, THREADS, kinds,
                    mismatches.get());
            assertTrue(problems.isEmpty(), String.join("\n", problems));
            assertEquals(0, mismatches.get());
            assertTrue(total > 0);
            for (int t = 0; t < THREADS; t++) {
                assertTrue(perThread[t] > 0, "thread " + t + " made no call");
            }
        }
    }

    @Test
    void closeWhileEightThreadsCall() throws InterruptedException {
        List<Question> questions;
        try (Engine reference = Engine.bundled()) {
            questions = questions(reference);
        }
        for (int round = 0; round < 5; round++) {
            Engine engine = Engine.bundled();
            CountDownLatch started = new CountDownLatch(THREADS);
            AtomicLong answered = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            List<String> problems = Collections.synchronizedList(new ArrayList<String>());
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                Thread th = new Thread(() -> {
                    int i = me * questions.size() / THREADS;
                    boolean closed = false;
                    int afterClose = 0;
                    long end = System.nanoTime() + 60_000_000_000L;
                    // Until the engine refuses, and a few more calls after that: still refused.
                    while (afterClose < 3 && System.nanoTime() < end) {
                        Question q = questions.get(i++ % questions.size());
                        try {
                            String got = q.ask(engine);
                            if (closed) {
                                problems.add("thread " + me + ": an answer after a refusal: " + q.name);
                            } else if (!got.equals(q.want)) {
                                problems.add("thread " + me + ": a wrong answer to " + q.name + ": " + got);
                            }
                            answered.incrementAndGet();
                        } catch (HuiqiException x) {
                            if (x.kind() != ErrorKind.REQUEST || !"engine".equals(x.path())) {
                                problems.add("thread " + me + ": " + x.kind() + " " + x.getMessage());
                            }
                            closed = true;
                            afterClose++;
                            refused.incrementAndGet();
                        } catch (Throwable x) {
                            problems.add("thread " + me + ": " + x);
                            return;
                        }
                        if (i == me * questions.size() / THREADS + 1) {
                            started.countDown();
                        }
                    }
                    if (!closed) {
                        problems.add("thread " + me + ": never refused");
                    }
                }, "huiqi-close-" + t);
                threads.add(th);
                th.start();
            }
            assertTrue(started.await(60, TimeUnit.SECONDS), "every thread answered once");
            Thread.sleep(20 + 30 * round);
            engine.close();
            for (Thread th : threads) {
                th.join(120_000);
                assertFalse(th.isAlive(), th.getName() + " did not finish");
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems));
            assertTrue(engine.isClosed());
            assertTrue(answered.get() >= THREADS, "answers before the close: " + answered.get());
            assertEquals(3L * THREADS, refused.get());
        }
    }
}
