package io.huiqi;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The library's version and the checks that need no engine. */
public final class Huiqi {
    /** The version of this package; the native library must be the same version. */
    public static final String VERSION = "0.1.0";

    private Huiqi() {}

    /** The native library's version (loading it if needed). */
    public static String version() {
        NativeLibrary.load();
        return new String(Native.version(), StandardCharsets.UTF_8);
    }

    /** Where the native library was loaded from: a path, or the jar entry and the file it was extracted to. */
    public static String libraryLocation() {
        return NativeLibrary.loadedFrom();
    }

    /**
     * Checks a policy set on its own ({@code check}): a request as in docs/operations.md,
     * such as {@code {"policies": [{"origin": "a.json", "text": "…"}]}}. Returns what the
     * set holds; throws every problem, with its file, policy, line and column.
     */
    public static Map<String, Object> check(String requestJson) {
        return Bundled.ENGINE.callObject("check", requestJson, null);
    }

    /** The rows of each row group of a Parquet file, from its footer: to cut files into units of work. */
    public static long[] parquetRowGroups(java.nio.file.Path path) {
        if (path == null) {
            throw HuiqiException.request("path", "path is null");
        }
        NativeLibrary.load();
        Object rows = Json.parse(Engine.text(Native.parquetRowGroups(Engine.utf8(path.toString()))));
        java.util.List<?> list = (java.util.List<?>) rows;
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Long) list.get(i);
        }
        return out;
    }

    /** The bundled engine, made on first use and kept (for checks, which read no policy of it). */
    private static final class Bundled {
        static final Engine ENGINE = Engine.bundled();
    }
}
