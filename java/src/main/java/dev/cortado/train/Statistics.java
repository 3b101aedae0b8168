package dev.cortado.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Every figure the coffee breaks report, by iteration: kept in memory (for plots) and appended
 * to a CSV file {@code iteration,name,value} when a path is given.
 */
public final class Statistics implements AutoCloseable {

    public record Entry(long iteration, String name, double value) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final BufferedWriter out;

    /** In memory only. */
    public Statistics() {
        out = null;
    }

    /** Also appends to {@code file} (created with a header if new). */
    public Statistics(Path file) throws IOException {
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (fresh) {
            out.write("iteration,name,value\n");
            out.flush();
        }
    }

    public synchronized void record(long iteration, String name, double value) {
        entries.add(new Entry(iteration, name, value));
        if (out != null) {
            try {
                out.write(String.format(Locale.ROOT, "%d,%s,%.8g%n", iteration, name, value));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write statistics: " + e.getMessage(), e);
            }
        }
    }

    public synchronized List<Entry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries));
    }

    /** The values recorded under {@code name}, in order, as (iteration, value) pairs. */
    public synchronized List<Entry> series(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).toList();
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
    }
}
