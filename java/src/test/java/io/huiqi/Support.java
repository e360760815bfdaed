package io.huiqi;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the tests share: the checkout (HUIQI_ROOT), its files, the sample date, the CLI. */
final class Support {
    static final String AS_OF = "2026-06-30";
    static final Path ROOT = Paths.get(System.getenv().getOrDefault("HUIQI_ROOT", ".")).toAbsolutePath().normalize();

    private Support() {}

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        return read(path(relative));
    }

    static String read(Path path) {
        try {
            return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path path, String text) {
        try {
            Files.write(path, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first sample enterprise (济南泉智云图软件科技有限公司). */
    static String sample() {
        return read("data/enterprises/01-quanzhi-software.json");
    }

    /** The sample enterprises (data/enterprises/*.json) in name order. */
    static List<Path> samplePaths() {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(path("data/enterprises"), "*.json")) {
            for (Path p : dir) {
                out.add(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(out);
        return out;
    }

    /** The sample enterprises' texts by file stem, in name order. */
    static Map<String, String> samples() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Path p : samplePaths()) {
            out.put(p.getFileName().toString().replaceFirst("\\.json$", ""), read(p));
        }
        return out;
    }

    /** A profile's text on one line (Json's compact writing of it). */
    static String oneLine(String profile) {
        return Json.write(Json.parse(profile));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** The result of an envelope (which must be a success). */
    static Object result(String envelope) {
        Map<String, Object> e = Json.parseObject(envelope);
        if (!"success".equals(e.get("type"))) {
            throw new AssertionError("not a success: " + envelope);
        }
        return e.get("result");
    }

    /** A recorded envelope of the operation cases (data/cases/ops/expected/NAME.json) without its final newline. */
    static String expectedEnvelope(String name) {
        String s = read("data/cases/ops/expected/" + name + ".json");
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** The CLI, built by scripts/test-java before the tests. */
    static Path cli() {
        Path cli = path("target/release/huiqi");
        if (!Files.isExecutable(cli)) {
            throw new AssertionError(cli + " is missing: run the tests with ./scripts/test-java, which builds it first");
        }
        return cli;
    }

    /** What a child process did. */
    static final class Run {
        final int status;
        final String out;
        final String err;

        Run(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + status + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /** Runs a child process in the checkout, bounded in time (killed after {@code seconds}). */
    static Run run(ProcessBuilder pb, long seconds) {
        try {
            Path out = Files.createTempFile("huiqi-test-", ".out");
            Path err = Files.createTempFile("huiqi-test-", ".err");
            try {
                pb.directory(ROOT.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
                Process p = pb.start();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("timed out after " + seconds + " s: " + pb.command() + "\nstderr: " + read(err));
                }
                return new Run(p.exitValue(), read(out), read(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Where a class was loaded from: the jar (for {@link Huiqi}) or the test classes' folder. */
    static Path codeSource(Class<?> c) {
        try {
            return Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A child JVM (this one's java) running {@code main} of the test classes, with the jar and
     * the test classes on its class path unless {@code classPath} is given, and no
     * HUIQI_LIBRARY_PATH in its environment.
     */
    static ProcessBuilder childJava(String classPath, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath != null ? classPath : codeSource(Huiqi.class) + File.pathSeparator + codeSource(Support.class));
        cmd.add(main.getName());
        Collections.addAll(cmd, args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("HUIQI_LIBRARY_PATH");
        pb.environment().put("HUIQI_ROOT", ROOT.toString());
        return pb;
    }

    /** The lines {@code key value} of a child's output, as a map. */
    static Map<String, String> keyed(String out) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                m.put(line.substring(0, sp), line.substring(sp + 1));
            }
        }
        return m;
    }

    /** The CLI's stdout without its final newline; the exit status must be 0 or 1 (an answer). */
    static String cli(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(cli().toString());
        Collections.addAll(cmd, args);
        Run r = run(new ProcessBuilder(cmd), 120);
        if (r.status != 0 && r.status != 1) {
            throw new AssertionError("huiqi " + String.join(" ", args) + ": " + r);
        }
        return r.out.endsWith("\n") ? r.out.substring(0, r.out.length() - 1) : r.out;
    }

    /** Resident memory of this process (VmRSS of /proc/self/status), in kB. */
    static long rssKb() {
        for (String line : read(Paths.get("/proc/self/status")).split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }
}
