package dev.cortado.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;

/**
 * The cleaner of one {@link Storage}: returns its block to its allocator exactly once, either
 * when the storage's last owner releases it ({@link #free}) or after the storage became
 * unreachable without a release (a tensor made outside any MemoryScope and never closed). The
 * second path is a phantom reference whose queue is drained by the allocating threads
 * ({@link #drain}, called on every allocation and after a collection), not by a thread of its own,
 * so memory the GC found goes back on the thread that needs it, in order, and a test can wait for it.
 */
final class Reclaimer extends PhantomReference<Storage> {

    private static final ReferenceQueue<Storage> QUEUE = new ReferenceQueue<>();
    private static final VarHandle DONE;
    /**
     * Every pending cleaner, reachable from here until it has run (a reference object nobody can
     * reach is never enqueued): a doubly linked list, as java.lang.ref.Cleaner keeps, so adding and
     * removing allocate nothing.
     */
    private static final Reclaimer PENDING = new Reclaimer();

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Reclaimer.class, "done", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Allocator allocator;
    private final Block block;
    private volatile boolean done;
    private Reclaimer prev, next; // under PENDING's lock

    Reclaimer(Storage storage, Allocator allocator, Block block) {
        super(storage, QUEUE);
        this.allocator = allocator;
        this.block = block;
        synchronized (PENDING) {
            next = PENDING.next;
            prev = PENDING;
            if (next != null) next.prev = this;
            PENDING.next = this;
        }
    }

    /** The list's head. */
    private Reclaimer() {
        super(null, null);
        allocator = null;
        block = null;
    }

    /** The explicit path: the last owner released the storage and no call holds it. */
    void free() {
        if (claim()) allocator.free(block);
    }

    /** Runs the cleaners of storages the GC found unreachable; returns how many ran. */
    static int drain() {
        int n = 0;
        for (Reference<? extends Storage> r; (r = QUEUE.poll()) != null; ) n += ((Reclaimer) r).collect();
        return n;
    }

    /**
     * Waits up to {@code millis} for the GC's findings to reach the queue (after a System.gc()),
     * running cleaners as they come; returns how many ran.
     */
    static int await(long millis) throws InterruptedException {
        int n = 0;
        for (Reference<? extends Storage> r = QUEUE.remove(millis); r != null; r = QUEUE.remove(5)) n += ((Reclaimer) r).collect();
        return n;
    }

    private int collect() {
        if (!claim()) return 0;
        allocator.free(block);
        if (allocator instanceof CachingAllocator c) c.countCollected(block);
        return 1;
    }

    private boolean claim() {
        if (!DONE.compareAndSet(this, false, true)) return false;
        synchronized (PENDING) {
            prev.next = next;
            if (next != null) next.prev = prev;
            prev = next = null;
        }
        clear();
        return true;
    }
}
