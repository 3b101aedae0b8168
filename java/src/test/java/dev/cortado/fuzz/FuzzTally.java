package dev.cortado.fuzz;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/** What a fuzz test saw: its calls, and the clean exceptions by type (each must carry a message). */
final class FuzzTally {

    private final String name;
    private final AtomicLong calls = new AtomicLong();
    private final Map<String, AtomicLong> thrown = new ConcurrentSkipListMap<>();

    FuzzTally(String name) {
        this.name = name;
    }

    void call() {
        calls.incrementAndGet();
    }

    /** Counts a clean exception under {@code kind}; one without a message is a finding. */
    void clean(String kind, Throwable e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an exception without a message", e);
        thrown.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    void clean(Throwable e) {
        clean(e.getClass().getSimpleName(), e);
    }

    void report() {
        System.out.println(name + ": " + calls.get() + " calls, clean exceptions by type: " + thrown);
    }
}
