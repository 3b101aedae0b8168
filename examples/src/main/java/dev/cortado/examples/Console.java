package dev.cortado.examples;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The examples' output: log lines and at most one progress bar on one stream. On a terminal the bar
 * is the last line and every log line is printed above it (the bar's line is cleared, the log line
 * printed, the bar redrawn below). Without a terminal (a pipe, a file, CI) there is no bar at all:
 * only the log lines, each ending with a newline.
 *
 * <pre>{@code
 * Console console = Console.system();
 * try (Console.Progress bar = console.progress("train", rounds, " rounds")) {
 *     ... console.log().println("round 1 loss 0.5"); bar.step(); ...
 * }
 * }</pre>
 */
public final class Console {

    private static final String CLEAR_LINE = "\r\033[2K";
    private static Console system;

    private final PrintStream out;
    private final boolean terminal;
    private final int width;
    private final PrintStream log;
    /** The bar as last rendered; null while no bar is shown. Guarded by this. */
    private String bar;

    /**
     * @param out where lines and the bar go
     * @param terminal whether {@code out} is a terminal (a bar is drawn only then)
     * @param width the terminal's columns (the bar is kept shorter, so it never wraps)
     */
    public Console(PrintStream out, boolean terminal, int width) {
        if (out == null) throw new IllegalArgumentException("Console: out is null");
        if (width < 2) throw new IllegalArgumentException("Console: width " + width + " is under 2 columns");
        this.out = out;
        this.terminal = terminal;
        this.width = width;
        this.log = new PrintStream(new LineStream(), true, StandardCharsets.UTF_8);
    }

    /**
     * The console of this process, on the standard output as it was at the first call: a terminal
     * when {@link System#console()} is (standard input and output both on a terminal), of
     * {@code $COLUMNS} columns (80 when unset).
     */
    public static synchronized Console system() {
        if (system == null) system = new Console(System.out, isTerminal(), columns(System.getenv("COLUMNS")));
        return system;
    }

    private static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) return false;
        try { // Java 22+: a console object exists without a terminal; isTerminal() tells
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // Java 17..21: a console object means a terminal
        }
    }

    static int columns(String env) {
        try {
            int n = env == null ? 80 : Integer.parseInt(env.strip());
            return n >= 2 ? n : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** Whether a progress bar is drawn. */
    public boolean terminal() {
        return terminal;
    }

    /**
     * The log: every line written to it is printed whole, above the bar when one is shown (it
     * flushes at each newline). Hand it to whatever logs (NetTrain, ValidationPerformance).
     */
    public PrintStream log() {
        return log;
    }

    /**
     * A progress bar of {@code max} steps; on a terminal drawn as the last line until closed,
     * otherwise nothing (its methods do nothing).
     */
    public Progress progress(String task, long max, String unit) {
        if (max < 0) throw new IllegalArgumentException("Console.progress: max " + max + " is negative");
        if (!terminal) return Progress.NONE;
        BarLine line = new BarLine();
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUnit(unit, 1).setUpdateIntervalMillis(500).showSpeed().setConsumer(line).build();
        return new Progress(bar, line);
    }

    private synchronized void line(String line) {
        if (bar != null) out.print(CLEAR_LINE);
        out.print(line);
        out.print('\n');
        if (bar != null) out.print(bar);
        out.flush();
    }

    private synchronized void drawBar(String rendered) {
        bar = rendered;
        out.print(CLEAR_LINE);
        out.print(rendered);
        out.flush();
    }

    /** The bar ends where it stands: its last state stays, and the log continues below it. */
    private synchronized void endBar() {
        if (bar == null) return;
        bar = null;
        out.print('\n');
        out.flush();
    }

    /** A progress bar, or nothing without a terminal; closing it leaves its last state on screen. */
    public static final class Progress implements AutoCloseable {
        /** No bar: every method does nothing. */
        public static final Progress NONE = new Progress(null, null);

        private final ProgressBar bar;
        private final ProgressBarConsumer line;
        private boolean closed;

        private Progress(ProgressBar bar, ProgressBarConsumer line) {
            this.bar = bar;
            this.line = line;
        }

        public void step() {
            if (bar != null) bar.step();
        }

        public void stepTo(long n) {
            if (bar != null) bar.stepTo(n);
        }

        /** Ends the bar (its last state stays on screen); a second close does nothing. */
        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            if (bar == null) return;
            bar.close();
            line.close(); // the library's own close may have failed quietly on its thread: the bar ends here in any case
        }
    }

    /**
     * Where the progress bar library renders: the console's last line. The library may render and
     * close from its periodic task and from close() at once; both hold the console's lock, so the
     * bar has ended on screen before any close returns.
     */
    private final class BarLine implements ProgressBarConsumer {
        private boolean closed; // guarded by Console.this

        @Override
        public int getMaxRenderedLength() {
            return width - 1;
        }

        @Override
        public void accept(String rendered) {
            synchronized (Console.this) {
                if (!closed) drawBar(rendered);
            }
        }

        @Override
        public void close() {
            synchronized (Console.this) {
                if (closed) return;
                closed = true;
                endBar();
            }
        }
    }

    /** Collects bytes into lines; each complete line goes to {@link #line}. */
    private final class LineStream extends OutputStream {
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                line(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
            } else {
                pending.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) write(b[i]);
        }

        /** A line left without its newline is printed when the log is closed. */
        @Override
        public synchronized void close() {
            if (pending.size() > 0) write('\n');
        }
    }
}
