package dev.cortado.memory;

/**
 * Bytes of one device's allocator: handed out and not yet released ({@code inUse}), released and
 * kept for reuse ({@code cached}), and the most ever in use at once ({@code peakInUse}). Counted
 * in whole size classes, as allocated.
 */
public record MemoryStats(long inUse, long cached, long peakInUse) {
}
