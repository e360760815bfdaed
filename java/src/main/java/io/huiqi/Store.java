package io.huiqi;

import java.util.Map;

/**
 * Enterprises in columns, loaded with an engine's schema, for questions over all of them
 * at once ({@link Engine#reverse}, {@link Engine#bulkCounts}). Immutable once loaded and
 * safe to share between threads; it keeps the predicate sets of the last date asked.
 * Close it when done; a forgotten store is freed when it becomes unreachable.
 */
public final class Store implements AutoCloseable {
    private final Engine engine;
    private final Cleanup.Handle handle;

    Store(Engine engine, long id) {
        this.engine = engine;
        this.handle = Cleanup.register(this, id, false);
    }

    long id() {
        return handle.get();
    }

    /** The engine this store was loaded for. */
    public Engine engine() {
        return engine;
    }

    /** The number of enterprises and the load report (rows skipped, and why); the envelope of {@code store_info}. */
    public String infoJson() {
        return Engine.text(Native.storeInfo(this, id()));
    }

    /** The number of enterprises and the load report (rows skipped, and why). Answers after its engine is closed. */
    public Map<String, Object> info() {
        return Engine.unwrapObject(infoJson());
    }

    /** The number of enterprises. */
    public long size() {
        Object n = info().get("enterprises");
        return n instanceof Long ? (Long) n : 0L;
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the store. A second close does nothing. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return isClosed() ? "Store(closed)" : "Store(" + handle.get() + ")";
    }
}
