package dev.cortado.memory;

/**
 * The storages one call reads and writes, held for the duration of the call:
 * {@code try (Leases l = Leases.of(a, b, c)) { kernel(a, b, c); }}. Taking the leases fails with
 * an IllegalStateException if any storage was already released; a release during the call takes
 * effect when the leases close. Null pointers (optional arguments) are skipped.
 */
public final class Leases implements AutoCloseable {

    private final Ptr[] ptrs;
    private int held;

    private Leases(Ptr[] ptrs) {
        this.ptrs = ptrs;
    }

    public static Leases of(Ptr... ptrs) {
        Leases l = new Leases(ptrs);
        try {
            for (; l.held < ptrs.length; l.held++) if (ptrs[l.held] != null) ptrs[l.held].storage().lease();
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
        return l;
    }

    @Override
    public void close() {
        for (; held > 0; held--) if (ptrs[held - 1] != null) ptrs[held - 1].storage().unlease();
    }
}
