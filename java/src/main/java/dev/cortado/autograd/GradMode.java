package dev.cortado.autograd;

/**
 * Whether ops record the autograd tape on this thread. {@code try (var g = GradMode.off()) {...}}
 * runs a block without recording (inference, optimizer updates), and restores the previous
 * mode when the block ends.
 */
public final class GradMode implements AutoCloseable {

    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private final boolean previous;
    private boolean closed;

    private GradMode(boolean enabled) {
        previous = ENABLED.get();
        ENABLED.set(enabled);
    }

    /** Disables recording until the returned scope is closed. */
    public static GradMode off() {
        return new GradMode(false);
    }

    /** Enables recording until the returned scope is closed (inside an {@link #off()} block). */
    public static GradMode on() {
        return new GradMode(true);
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ENABLED.set(previous);
    }
}
