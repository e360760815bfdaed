package io.huiqi;

/**
 * MemoryTest's child JVM: match calls at verdicts detail until {@code args[0]} calls or
 * {@code args[1]} seconds, with VmRSS read after the warm-up (the first tenth of the calls,
 * at most 100 000, or a third of the time) and at the end. Prints {@code key value} lines.
 */
public final class MemoryMain {
    private MemoryMain() {}

    public static void main(String[] args) {
        long maxCalls = Long.parseLong(args[0]);
        double budget = Double.parseDouble(args[1]);
        long warmCalls = Math.min(100_000, maxCalls / 10);
        MatchOptions summary = MatchOptions.DEFAULT.detail(MatchOptions.Detail.VERDICTS);
        // A small enterprise (seven fields, one per year), so that a million calls fit the
        // budget; its answer lists every policy's verdict.
        String profile = "{\"name\":\"某市某科技有限公司\",\"uscc\":\"91370100MA3D7K2N8B\",\"registered_capital\":600,"
                + "\"registration_date\":\"2018-05-01\",\"registered_region\":\"370102\",\"industry\":\"I6513\",\"employees\":{\"2025\":30}}";
        try (Engine engine = Engine.bundled()) {
            String want = engine.matchJson(profile, Support.AS_OF, summary);
            long start = System.nanoTime();
            long warmEnd = start + (long) (budget / 3 * 1e9);
            long end = start + (long) (budget * 1e9);
            long calls = 0;
            long wrong = 0;
            long rssStart = Support.rssKb();
            while (calls < warmCalls && System.nanoTime() < warmEnd) {
                if (!engine.matchJson(profile, Support.AS_OF, summary).equals(want)) {
                    wrong++;
                }
                calls++;
            }
            long warm = calls;
            long rssWarm = Support.rssKb();
            double warmSeconds = (System.nanoTime() - start) / 1e9;
            while (calls < maxCalls && System.nanoTime() < end) {
                if (!engine.matchJson(profile, Support.AS_OF, summary).equals(want)) {
                    wrong++;
                }
                calls++;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long rssEnd = Support.rssKb();
            System.out.println("answer " + want.length());
            System.out.println("calls " + calls);
            System.out.println("warm " + warm);
            System.out.println("warmSeconds " + warmSeconds);
            System.out.println("seconds " + seconds);
            System.out.println("wrong " + wrong);
            System.out.println("rssStart " + rssStart);
            System.out.println("rssWarm " + rssWarm);
            System.out.println("rssEnd " + rssEnd);
        }
    }
}
