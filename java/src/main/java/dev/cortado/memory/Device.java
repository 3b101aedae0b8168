package dev.cortado.memory;

/**
 * Where a tensor's memory lives. Every tensor has one; ops require all operands on the same
 * device and pick the kernel set for it ({@code Backends.of(Device)}).
 */
public record Device(Kind kind, int index) {

    public enum Kind { CPU, CUDA }

    /** Host memory, off-heap. */
    public static final Device CPU = new Device(Kind.CPU, 0);

    public Device {
        if (kind == null) throw new IllegalArgumentException("device kind is null");
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
        if (kind == Kind.CPU && index != 0) throw new IllegalArgumentException("there is only one CPU device, got cpu:" + index);
    }

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    public boolean isCpu() {
        return kind == Kind.CPU;
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
