package io.huiqi;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The safety net behind {@code close()}: what {@code java.lang.ref.Cleaner} does, written
 * for Java 8 (which has no Cleaner). When an {@link Engine} or {@link Store} becomes
 * unreachable without being closed, a daemon thread frees its native handle.
 *
 * <p>The action ({@link Handle}) holds the handle number only, never its owner, so the
 * owner can become unreachable. {@link Handle#close()} is idempotent and safe from any
 * thread: the number is swapped to 0 once, and freed once.
 */
final class Cleanup {
    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
    /** The live references (a phantom reference must itself stay reachable). */
    private static final Set<Ref> LIVE = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<Ref, Boolean>()));
    /** Handles freed by the safety net rather than by close(), for tests and diagnostics. */
    static final AtomicLong CLEANED = new AtomicLong();

    static {
        Thread t = new Thread(Cleanup::drain, "huiqi-cleanup");
        t.setDaemon(true);
        t.start();
    }

    private Cleanup() {}

    private static final class Ref extends PhantomReference<Object> {
        final Handle handle;

        Ref(Object owner, Handle handle) {
            super(owner, QUEUE);
            this.handle = handle;
        }
    }

    private static void drain() {
        while (true) {
            try {
                Ref r = (Ref) QUEUE.remove();
                LIVE.remove(r);
                if (r.handle.close()) {
                    CLEANED.incrementAndGet();
                }
            } catch (InterruptedException e) {
                // A daemon thread: keep serving until the JVM exits.
            } catch (RuntimeException e) {
                // A free never throws, but the thread must not die if one did.
            }
        }
    }

    /** A native handle: its number while open, 0 once closed. */
    static final class Handle {
        private final AtomicLong id;
        private final boolean engine;
        private volatile Ref ref;

        private Handle(long id, boolean engine) {
            this.id = new AtomicLong(id);
            this.engine = engine;
        }

        /** The number, or the exception of a closed handle. */
        long get() {
            long h = id.get();
            if (h == 0) {
                throw HuiqiException.request(engine ? "engine" : "store", "this " + (engine ? "Engine" : "Store") + " is closed");
            }
            return h;
        }

        boolean isClosed() {
            return id.get() == 0;
        }

        /** Frees the handle once; true when this call freed it. */
        boolean close() {
            long h = id.getAndSet(0);
            if (h == 0) {
                return false;
            }
            Ref r = ref;
            if (r != null) {
                LIVE.remove(r);
                r.clear();
            }
            if (engine) {
                Native.engineFree(h);
            } else {
                Native.storeFree(h);
            }
            return true;
        }
    }

    /** Registers {@code owner}'s native handle, freed when closed or when the owner is unreachable. */
    static Handle register(Object owner, long id, boolean engine) {
        Handle h = new Handle(id, engine);
        Ref r = new Ref(owner, h);
        h.ref = r;
        LIVE.add(r);
        return h;
    }
}
