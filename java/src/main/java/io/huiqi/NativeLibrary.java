package io.huiqi;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds and loads {@code libhuiqi_jni.so}, once per class loader.
 *
 * <ol>
 *   <li>The system property {@code huiqi.library.path}, else the environment variable
 *       {@code HUIQI_LIBRARY_PATH}: the library file, or a folder holding it.</li>
 *   <li>Otherwise the copy inside the jar, {@code /io/huiqi/native/<os>-<arch>/libhuiqi_jni.so},
 *       extracted to a new private file (owner-only permissions) in {@code huiqi.tmpdir}
 *       (default {@code java.io.tmpdir}) and loaded from there. Each class loader gets its own
 *       file, so two web applications in one server do not collide ("already loaded in
 *       another classloader"). The file is deleted once loaded.</li>
 * </ol>
 *
 * Before {@code System.load}, the file's ELF header is read: a library for another machine
 * or word size is refused with a message naming both, instead of the JVM's
 * {@code wrong ELF class}. After it, the library's version must be the jar's. Every failure
 * is a {@link HuiqiException} of kind {@link ErrorKind#LIBRARY} that says what was looked
 * for and where, and it is given again, the same, on every later attempt.
 */
final class NativeLibrary {
    static final String PROPERTY = "huiqi.library.path";
    static final String ENVIRONMENT = "HUIQI_LIBRARY_PATH";
    static final String TMPDIR_PROPERTY = "huiqi.tmpdir";

    private static boolean loaded;
    private static HuiqiException failure;
    private static String loadedFrom;

    private NativeLibrary() {}

    /** Loads the library unless it is loaded; throws the failure of the first attempt otherwise. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        if (failure == null) {
            try {
                loadedFrom = locateAndLoad();
                String native_ = new String(Native.version(), StandardCharsets.UTF_8);
                if (!native_.equals(Huiqi.VERSION)) {
                    throw fail("the native library at " + loadedFrom + " is version " + native_ + ", but this jar is version "
                            + Huiqi.VERSION + ": use the library built with the jar", null);
                }
                loaded = true;
                return;
            } catch (HuiqiException e) {
                failure = e;
            } catch (UnsatisfiedLinkError e) {
                failure = fail("the native library was loaded but does not have Huiqi's natives (" + e.getMessage() + ")", e);
            }
        }
        throw new HuiqiException(failure.kind(), failure.getMessage().replaceFirst("^library: ", ""), failure.getCause());
    }

    /** Where the library was loaded from (a path, or the jar entry and the file it was extracted to). */
    static synchronized String loadedFrom() {
        load();
        return loadedFrom;
    }

    /** The platform as the jar names its folders: {@code linux-x86_64}, {@code linux-aarch64}, {@code macos-aarch64}. */
    static String platform() {
        return os() + "-" + arch();
    }

    static String os() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) return "linux";
        if (os.startsWith("mac") || os.startsWith("darwin")) return "macos";
        if (os.startsWith("windows")) return "windows";
        return os.replaceAll("[^a-z0-9]+", "");
    }

    static String arch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x86-64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            default:
                return arch.replaceAll("[^a-z0-9_]+", "");
        }
    }

    private static HuiqiException fail(String message, Throwable cause) {
        return new HuiqiException(ErrorKind.LIBRARY, message, cause);
    }

    private static String locateAndLoad() {
        String name = System.mapLibraryName("huiqi_jni");
        String given = System.getProperty(PROPERTY);
        String source = "the system property " + PROPERTY;
        if (given == null || given.isEmpty()) {
            given = System.getenv(ENVIRONMENT);
            source = "the environment variable " + ENVIRONMENT;
        }
        if (given != null && !given.isEmpty()) {
            Path path = Paths.get(given);
            if (Files.isDirectory(path)) {
                path = path.resolve(name);
            }
            String where = path.toAbsolutePath() + " (from " + source + ")";
            if (!Files.isRegularFile(path)) {
                throw fail("no native library at " + where + ": give the path of " + name + " or of the folder that holds it", null);
            }
            checkElf(path, where);
            systemLoad(path, where);
            return where;
        }
        String resource = "/io/huiqi/native/" + platform() + "/" + name;
        InputStream in = NativeLibrary.class.getResourceAsStream(resource);
        if (in == null) {
            throw fail("no native library for " + platform() + " (os.name=" + System.getProperty("os.name") + ", os.arch="
                    + System.getProperty("os.arch") + "): looked for " + resource + " in " + jarOf() + ", which carries "
                    + carried() + "; build libhuiqi_jni for this platform and set -D" + PROPERTY + "=PATH or " + ENVIRONMENT, null);
        }
        String dirName = System.getProperty(TMPDIR_PROPERTY, System.getProperty("java.io.tmpdir"));
        Path file = null;
        try {
            try {
                Path dir = Paths.get(dirName);
                file = Files.createTempFile(dir, "huiqi_jni-", "-" + name);
                // createTempFile makes it owner-only (rw-------) on POSIX file systems.
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                in.close();
            }
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file);
            throw fail("cannot extract " + resource + " from " + jarOf() + " to " + dirName + " (" + e
                    + "); set -D" + TMPDIR_PROPERTY + "=DIR to a writable folder, or -D" + PROPERTY + "=PATH to an installed library", e);
        }
        String where = resource + " in " + jarOf() + ", extracted to " + file;
        try {
            checkElf(file, where);
            systemLoad(file, where + " (if the folder is mounted noexec, set -D" + TMPDIR_PROPERTY + "=DIR to one that is not)");
        } finally {
            deleteQuietly(file);
        }
        return where;
    }

    private static void systemLoad(Path path, String where) {
        try {
            System.load(path.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw fail("cannot load the native library " + where + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                file.toFile().deleteOnExit();
            }
        }
    }

    /** Where this class was loaded from, for messages. */
    private static String jarOf() {
        try {
            return String.valueOf(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation());
        } catch (RuntimeException e) {
            return "the class path";
        }
    }

    /** The platforms the jar carries a library for (its {@code platforms} list). */
    private static String carried() {
        try (InputStream in = NativeLibrary.class.getResourceAsStream("/io/huiqi/native/platforms")) {
            if (in == null) {
                return "no native library";
            }
            byte[] all = readAll(in);
            String list = new String(all, StandardCharsets.UTF_8).trim().replaceAll("\\s+", ", ");
            return list.isEmpty() ? "no native library" : "libraries for " + list;
        } catch (IOException e) {
            return "an unreadable list of libraries";
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Refuses a file that is not an ELF shared library for this JVM's machine and word size
     * (Linux only; elsewhere {@code System.load} says it).
     */
    static void checkElf(Path path, String where) {
        if (!"linux".equals(os())) {
            return;
        }
        byte[] head = new byte[20];
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "r")) {
            int n = f.read(head);
            if (n < head.length) {
                throw fail("the native library " + where + " is not a shared library: " + Math.max(n, 0) + " bytes", null);
            }
        } catch (IOException e) {
            throw fail("cannot read the native library " + where + ": " + e.getMessage(), e);
        }
        if (head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            throw fail("the native library " + where + " is not a shared library (no ELF header)", null);
        }
        int bits = head[4] == 1 ? 32 : head[4] == 2 ? 64 : 0;
        boolean little = head[5] == 1;
        int machine = little ? (head[18] & 0xff) | (head[19] & 0xff) << 8 : (head[19] & 0xff) | (head[18] & 0xff) << 8;
        String libArch = elfMachine(machine, bits);
        String jvmBits = System.getProperty("sun.arch.data.model", "64");
        if (!libArch.equals(arch()) || !String.valueOf(bits).equals(jvmBits)) {
            throw fail("the native library " + where + " is for " + libArch + " (" + bits + "-bit), but this JVM runs on "
                    + arch() + " (" + jvmBits + "-bit, os.arch=" + System.getProperty("os.arch") + ")", null);
        }
    }

    private static String elfMachine(int machine, int bits) {
        switch (machine) {
            case 0x3e: return "x86_64";
            case 0xb7: return "aarch64";
            case 0x03: return "x86";
            case 0x28: return "arm";
            case 0xf3: return "riscv" + bits;
            case 0x15: return "ppc64";
            case 0x16: return "s390x";
            default: return "ELF machine " + machine;
        }
    }
}
