package dev.cortado.memory;

/**
 * Bytes of one device's allocator: handed out and not yet released ({@code inUse}), released and
 * kept for reuse ({@code cached}), the most in use at once since the start or the last
 * {@link Memory#resetPeak} ({@code peakInUse}), and in all freed because the GC found their
 * tensors unreachable rather than closed ({@code collected}). Counted in whole size classes, as
 * allocated.
 */
public record MemoryStats(long inUse, long cached, long peakInUse, long collected) {
}
