package dev.cortado.kernels;

/**
 * A child JVM's main ({@link ForeignGlue#probe}): asks {@link Backends} for the kernel set named
 * by the argument and prints "REFUSED: " and the exception's messages, cause by cause, or
 * "LOADED: " and the set's name.
 */
public final class GlueProbe {

    private GlueProbe() {
    }

    public static void main(String[] args) {
        try {
            System.out.println("LOADED: " + Backends.byName(args[0]).name());
        } catch (RuntimeException | LinkageError e) {
            StringBuilder s = new StringBuilder("REFUSED:");
            for (Throwable t = e; t != null; t = t.getCause()) s.append(' ').append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" |");
            System.out.println(s);
        }
    }
}
