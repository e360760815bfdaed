import io.huiqi.Engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The Java side of benches/java_bench.sh: the binding's calls on one thread, over the same
 * profiles and policies as the Rust baseline (benches/src/bin/ops_calls.rs). Prints µs per
 * call for {@code matchJson} (the envelope text, default options), {@code match} (the
 * envelope read into maps) and {@code verdictsJson}, as JSON.
 *
 * <pre>
 *   java -cp target/java/huiqi.jar:target/java/bench JavaBench PROFILES.jsonl AS_OF SECONDS [POLICIES [verdict-bytes]]
 * </pre>
 *
 * With {@code verdict-bytes} it times only {@code verdictBytes} (benches/compact_bench.sh).
 */
public final class JavaBench {
    private JavaBench() {}

    static double[] timed(double seconds, List<String> profiles, Function<String, Integer> call) {
        // Warm-up: the JIT compiles the hot path (a second of calls).
        long warm = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < warm) {
            for (String p : profiles) {
                call.apply(p);
            }
        }
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        long calls = 0;
        long bytes = 0;
        while (System.nanoTime() < deadline) {
            for (String p : profiles) {
                bytes += call.apply(p);
                calls++;
            }
        }
        return new double[] {(System.nanoTime() - start) / 1e3 / calls, bytes / (double) Math.max(1, calls)};
    }

    public static void main(String[] args) throws IOException {
        List<String> profiles = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        String asOf = args[1];
        double seconds = Double.parseDouble(args[2]);
        try (Engine engine = args.length > 3 ? Engine.fromPath(Paths.get(args[3])) : Engine.bundled()) {
            if (args.length > 4 && args[4].equals("verdict-bytes")) {
                // benches/compact_bench.sh: one byte per policy, no JSON built.
                double[] compact = timed(seconds, profiles, p -> engine.verdictBytes(p, asOf).length);
                System.out.printf("{\"verdict_bytes_us\": %.2f}%n", compact[0]);
                return;
            }
            String first = engine.matchJson(profiles.get(0), asOf);
            if (!first.startsWith("{\"type\":\"success\"")) {
                throw new IllegalStateException(first);
            }
            double[] json = timed(seconds, profiles, p -> engine.matchJson(p, asOf).length());
            double[] maps = timed(seconds, profiles, p -> {
                Map<String, Object> r = engine.match(p, asOf);
                return r.size();
            });
            double[] verdicts = timed(seconds, profiles, p -> engine.verdictsJson(p, asOf).length());
            System.out.printf("{\"match_us\": %.2f, \"match_maps_us\": %.2f, \"verdicts_us\": %.2f}%n", json[0], maps[0], verdicts[0]);
        }
    }
}
