import io.huiqi.Engine;
import io.huiqi.HuiqiException;
import io.huiqi.MatchOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * Matches the sample enterprises of data/enterprises against the bundled policies, in
 * process, through the Java binding (the jar of ./scripts/build-java):
 *
 * <pre>
 *   javac -cp target/java/huiqi.jar -d target/java/examples examples/java/MatchSamples.java
 *   java -cp target/java/huiqi.jar:target/java/examples MatchSamples data/enterprises 2026-06-30
 * </pre>
 *
 * One line per enterprise: its name, the verdict counts, and the eligible policies.
 */
public final class MatchSamples {
    public static void main(String[] args) throws IOException {
        Path dir = Paths.get(args.length > 0 ? args[0] : "data/enterprises");
        String asOf = args.length > 1 ? args[1] : "2026-06-30";
        MatchOptions summary = MatchOptions.DEFAULT.detail(MatchOptions.Detail.SUMMARY);
        try (Engine engine = Engine.bundled(); DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            java.util.List<Path> sorted = new java.util.ArrayList<>();
            files.forEach(sorted::add);
            java.util.Collections.sort(sorted);
            for (Path f : sorted) {
                String profile = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
                try {
                    Map<String, Object> r = engine.match(profile, asOf, summary);
                    @SuppressWarnings("unchecked")
                    Map<String, Object> counts = (Map<String, Object>) r.get("summary");
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> policies = (List<Map<String, Object>>) r.get("policies");
                    StringBuilder ids = new StringBuilder();
                    for (Map<String, Object> p : policies) {
                        if ("eligible".equals(p.get("verdict"))) {
                            ids.append(ids.length() == 0 ? "" : " ").append(p.get("id"));
                        }
                    }
                    System.out.printf("%s: eligible %s, undetermined %s, ineligible %s, not in force %s: %s%n", f.getFileName(),
                            counts.get("eligible"), counts.get("undetermined"), counts.get("ineligible"), counts.get("not_in_force"), ids);
                } catch (HuiqiException e) {
                    System.out.printf("%s: %s%n", f.getFileName(), e.getMessage());
                }
            }
        }
    }
}
