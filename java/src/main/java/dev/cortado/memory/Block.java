package dev.cortado.memory;

/**
 * One allocation of an {@link Allocator}: {@code capacity} floats (a size class, at least what
 * was asked for), its native address where the host can address it (0 otherwise), and the
 * allocator's own handle.
 */
public record Block(long address, long capacity, Object handle) {
}
