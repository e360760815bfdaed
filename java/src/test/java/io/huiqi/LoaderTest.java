package io.huiqi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading the native library, each case in a child JVM ({@link LoaderMain}, bounded to 60 s):
 * the places it is looked for, and every failure a {@link HuiqiException} of kind
 * {@code library} that says what was looked for and where, given again the same on a
 * second attempt.
 */
class LoaderTest {
    private static final String NAME = System.mapLibraryName("huiqi_jni");

    private static String resource() {
        return "/io/huiqi/native/" + NativeLibrary.platform() + "/" + NAME;
    }

    private static Path jar() {
        Path jar = Support.codeSource(Huiqi.class);
        assertTrue(Files.isRegularFile(jar) && jar.toString().endsWith(".jar"), "the tests run on the jar: " + jar);
        return jar;
    }

    /** The library the jar carries, copied into {@code dir}. */
    private static Path realLibrary(Path dir) throws IOException {
        Path out = dir.resolve(NAME);
        try (ZipFile z = new ZipFile(jar().toFile())) {
            ZipEntry e = z.getEntry(resource().substring(1));
            assertTrue(e != null, "the jar carries " + resource());
            try (InputStream in = z.getInputStream(e)) {
                Files.copy(in, out);
            }
        }
        return out;
    }

    private static Map<String, String> child(String classPath, List<String> options, String env) {
        ProcessBuilder pb = Support.childJava(classPath, options, LoaderMain.class);
        if (env != null) {
            pb.environment().put(NativeLibrary.ENVIRONMENT, env);
        }
        Support.Run r = Support.run(pb, 60);
        assertEquals(0, r.status, r.toString());
        Map<String, String> out = Support.keyed(r.out);
        assertTrue(out.containsKey("version") || out.containsKey("message"), r.toString());
        return out;
    }

    private static Map<String, String> child(String... options) {
        return child(null, Arrays.asList(options), null);
    }

    /** A child that failed to load: kind library, the message holding each of {@code words}, the same again. */
    private static String failed(Map<String, String> out, String... words) {
        String message = out.get("message");
        assertEquals("LIBRARY", out.get("kind"), String.valueOf(out));
        assertTrue(message.startsWith("library: "), message);
        for (String w : words) {
            assertTrue(message.contains(w), "wanted \"" + w + "\" in: " + message);
        }
        assertEquals(message, out.get("again"), "the same failure on every attempt");
        return message;
    }

    private static String property(String name, Path value) {
        return "-D" + name + "=" + value;
    }

    @Test
    void aMissingFileIsNamedWithThePropertyThatGaveIt(@TempDir Path tmp) {
        Path missing = tmp.resolve("nowhere").resolve(NAME);
        failed(child(property(NativeLibrary.PROPERTY, missing)), "no native library at " + missing,
                "(from the system property huiqi.library.path)", "give the path of " + NAME + " or of the folder that holds it");
        failed(child(null, Collections.<String>emptyList(), missing.toString()), "no native library at " + missing,
                "(from the environment variable HUIQI_LIBRARY_PATH)");
        // The property wins over the environment variable.
        failed(child(null, Collections.singletonList(property(NativeLibrary.PROPERTY, missing)), tmp.toString()),
                "no native library at " + missing, "the system property");
    }

    @Test
    void aFileThatIsNotALibraryIsRefusedBeforeLoading(@TempDir Path tmp) throws IOException {
        Path text = tmp.resolve("text.so");
        Files.write(text, "this is a text file, not a shared library\n".getBytes(StandardCharsets.UTF_8));
        failed(child(property(NativeLibrary.PROPERTY, text)), "the native library " + text, "is not a shared library (no ELF header)");
        Path shortFile = tmp.resolve("short.so");
        Files.write(shortFile, new byte[] {0x7f, 'E', 'L', 'F', 2});
        failed(child(property(NativeLibrary.PROPERTY, shortFile)), "is not a shared library: 5 bytes");
    }

    @Test
    void aLibraryForAnotherMachineSaysWhichItIs(@TempDir Path tmp) throws IOException {
        Path lib = realLibrary(tmp);
        byte[] bytes = Files.readAllBytes(lib);
        String here = NativeLibrary.arch();
        // e_machine, bytes 18–19 (little-endian): 0xB7 aarch64, 0x3E x86_64.
        String other = "aarch64".equals(here) ? "x86_64" : "aarch64";
        bytes[18] = (byte) ("aarch64".equals(other) ? 0xB7 : 0x3E);
        bytes[19] = 0;
        Path foreign = tmp.resolve("foreign.so");
        Files.write(foreign, bytes);
        failed(child(property(NativeLibrary.PROPERTY, foreign)), "the native library " + foreign, "is for " + other + " (64-bit)",
                "this JVM runs on " + here + " (64-bit, os.arch=" + System.getProperty("os.arch") + ")");
        // The same machine, 32-bit (EI_CLASS, byte 4).
        byte[] narrow = Files.readAllBytes(lib);
        narrow[4] = 1;
        Path thirtyTwo = tmp.resolve("thirty-two.so");
        Files.write(thirtyTwo, narrow);
        failed(child(property(NativeLibrary.PROPERTY, thirtyTwo)), "is for " + here + " (32-bit), but this JVM runs on " + here + " (64-bit");
    }

    @Test
    void aFolderInTheEnvironmentVariableIsLoaded(@TempDir Path tmp) throws IOException {
        Path lib = realLibrary(tmp);
        Map<String, String> out = child(null, Collections.<String>emptyList(), tmp.toString());
        assertEquals(Huiqi.VERSION, out.get("version"), String.valueOf(out));
        assertEquals(lib.toAbsolutePath() + " (from the environment variable HUIQI_LIBRARY_PATH)", out.get("location"));
        assertEquals("[uscc, name]", out.get("ids"));
        // And the file itself through the property.
        Map<String, String> file = child(property(NativeLibrary.PROPERTY, lib));
        assertEquals(lib.toAbsolutePath() + " (from the system property huiqi.library.path)", file.get("location"));
    }

    @Test
    void theJarsLibraryIsExtractedLoadedAndDeleted(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("extract"));
        Map<String, String> out = child(property(NativeLibrary.TMPDIR_PROPERTY, dir));
        assertEquals(Huiqi.VERSION, out.get("version"), String.valueOf(out));
        String location = out.get("location");
        assertTrue(location.startsWith(resource() + " in "), location);
        assertTrue(location.contains(jar().getFileName().toString()), location);
        assertTrue(location.contains(", extracted to " + dir.resolve("huiqi_jni-")), location);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "the extracted file is deleted once loaded");
        }
    }

    @Test
    void aJarWithoutTheLibrarySaysWhatWasLookedForAndWhere(@TempDir Path tmp) throws IOException {
        Path classes = Files.createDirectory(tmp.resolve("classes"));
        int copied = 0;
        try (ZipFile z = new ZipFile(jar().toFile())) {
            Enumeration<? extends ZipEntry> entries = z.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory() || e.getName().startsWith("io/huiqi/native/") || e.getName().startsWith("META-INF/")) {
                    continue;
                }
                Path to = classes.resolve(e.getName());
                Files.createDirectories(to.getParent());
                try (InputStream in = z.getInputStream(e)) {
                    Files.copy(in, to);
                }
                copied++;
            }
        }
        assertTrue(copied >= 10, "classes copied: " + copied);
        assertFalse(Files.exists(classes.resolve("io/huiqi/native")));
        String cp = classes + File.pathSeparator + Support.codeSource(LoaderTest.class);
        String message = failed(child(cp, Collections.<String>emptyList(), null), "no native library for " + NativeLibrary.platform(),
                "os.arch=" + System.getProperty("os.arch"), "looked for " + resource() + " in file:", classes.toString(),
                "which carries no native library", "set -Dhuiqi.library.path=PATH or HUIQI_LIBRARY_PATH");
        assertFalse(message.contains("huiqi.jar"), message);
        // A jar built for other platforms says which.
        Path list = Files.createDirectories(classes.resolve("io/huiqi/native")).resolve("platforms");
        Files.write(list, "linux-riscv64\nmacos-aarch64\n".getBytes(StandardCharsets.UTF_8));
        failed(child(cp, Collections.<String>emptyList(), null), "looked for " + resource(),
                "which carries libraries for linux-riscv64, macos-aarch64");
    }

    @Test
    void aMissingExtractionFolderSuggestsHuiqiTmpdir(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-folder");
        failed(child(property(NativeLibrary.TMPDIR_PROPERTY, missing)), "cannot extract " + resource() + " from ", "huiqi.jar",
                " to " + missing, "set -Dhuiqi.tmpdir=DIR to a writable folder", "or -Dhuiqi.library.path=PATH");
        assertFalse(Files.exists(missing));
    }
}
