package dev.cortado.memory;

import java.util.Locale;

/**
 * Where a tensor's memory lives: a kind and an index, as in PyTorch ({@code cpu}, {@code cuda:0}).
 * Every tensor has one; ops require all operands on the same device and run the kernel set of
 * its kind. Each kind brings an {@link Allocator} ({@link Memory#allocator}) and a kernel set.
 */
public record Device(Kind kind, int index) {

    public enum Kind {
        /** Host memory, off-heap: java and native kernels read the same bytes. */
        CPU("dev.cortado:cortado-core"),
        /** The host-sealed test device: the java reference kernels behind a wall the host can cross only by copies. */
        SIM("dev.cortado:cortado-core"),
        /** An NVIDIA GPU (the CUDA engine). */
        CUDA("dev.cortado:cortado-cuda");

        private final String engineArtifact;

        Kind(String engineArtifact) {
            this.engineArtifact = engineArtifact;
        }

        /** The Maven artifact whose engine runs this kind (named when it is missing). */
        public String engineArtifact() {
            return engineArtifact;
        }
    }

    /** Host memory, off-heap. */
    public static final Device CPU = new Device(Kind.CPU, 0);

    /** The first host-sealed test device. */
    public static final Device SIM = new Device(Kind.SIM, 0);

    public Device {
        if (kind == null) throw new IllegalArgumentException("device kind is null");
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
        if (kind == Kind.CPU && index != 0) throw new IllegalArgumentException("there is only one CPU device, got cpu:" + index);
    }

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    public static Device sim(int index) {
        return new Device(Kind.SIM, index);
    }

    /** Parses "cpu", "sim", "sim:1", "cuda", "cuda:0" (a missing index is 0). */
    public static Device parse(String name) {
        if (name == null) throw new IllegalArgumentException("device name is null");
        String[] parts = name.trim().toLowerCase(Locale.ROOT).split(":", -1);
        Kind kind;
        try {
            kind = Kind.valueOf(parts[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown device '" + name + "' (known kinds: cpu, sim, cuda)");
        }
        if (parts.length > 2) throw new IllegalArgumentException("bad device '" + name + "', expected kind or kind:index");
        int index = 0;
        if (parts.length == 2) {
            try {
                index = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device index in '" + name + "'");
            }
        }
        return new Device(kind, index);
    }

    public boolean isCpu() {
        return kind == Kind.CPU;
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : kind.name().toLowerCase(Locale.ROOT) + ":" + index;
    }
}
