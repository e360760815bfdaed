package io.huiqi;

/**
 * The natives of {@code libhuiqi_jni.so} (java/native/natives.rs). Text crosses as UTF-8
 * {@code byte[]} both ways; handles are registry numbers, never pointers. Each native that
 * takes a handle also takes its owner ({@code keep}), which keeps the owner reachable for
 * the whole call, so its cleaner cannot close the handle under a running call.
 *
 * <p>Package-private: {@link Engine} and {@link Store} are the API.
 */
final class Native {
    private Native() {}

    static native byte[] version();

    static native long engineBuild(byte[] spec, byte[] policiesPath, byte[] codesPath);

    static native void engineFree(long engine);

    static native void storeFree(long store);

    static native byte[] call(Object keep, long engine, long store, byte[] op, byte[] request);

    static native byte[] match(Object keep, long engine, byte[] profile, byte[] asOf, byte[] options);

    static native byte[] verdicts(Object keep, long engine, byte[] profile, byte[] asOf);

    static native byte[] verdictBytes(Object keep, long engine, byte[] profile, byte[] asOf);

    static native byte[] explain(Object keep, long engine, byte[] profile, byte[] policy, byte[] asOf);

    static native byte[] matchMany(Object keep, long engine, byte[] jsonl, byte[] asOf, byte[] options, long firstLine, int threads);

    static native long storeOpen(Object keep, long engine, byte[] path);

    static native long storeFromJsonLines(Object keep, long engine, byte[] jsonl);

    static native byte[] storeInfo(Object keep, long store);

    static native byte[] parquetRowGroups(byte[] path);

    static native long storeOpenParquet(Object keep, long engine, byte[] path, byte[] rowGroups, boolean allColumns);
}
