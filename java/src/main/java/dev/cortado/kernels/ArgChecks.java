package dev.cortado.kernels;

import dev.cortado.memory.Ptr;
import java.util.Arrays;

/** The mechanical argument checks the generated {@link CheckedKernels} calls; each names the argument it refuses. */
final class ArgChecks {

    private ArgChecks() {
    }

    static void nonNegative(String name, long v) {
        if (v < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }

    static void finite(String name, float v) {
        if (!Float.isFinite(v)) throw new IllegalArgumentException(name + " must be finite, got " + v);
    }

    static void present(String name, Object v) {
        if (v == null) throw new IllegalArgumentException(name + " is null");
    }

    /** A shape of at most MAX_RANK axes. */
    static void shape(long[] shape) {
        if (shape == null) throw new IllegalArgumentException("shape is null");
        if (shape.length > KernelSet.MAX_RANK) throw new IllegalArgumentException("rank " + shape.length + " exceeds " + KernelSet.MAX_RANK);
    }

    /** Strides, one per axis of the shape. */
    static void strides(String name, long[] strides, long[] shape) {
        if (strides == null || strides.length != shape.length) {
            throw new IllegalArgumentException(name + " " + Arrays.toString(strides) + " do not match shape " + Arrays.toString(shape));
        }
    }

    /** p is present, its memory not freed, and on the device the kernels run on. */
    static void live(String name, Ptr p, KernelSet kernels) {
        if (p == null) throw new IllegalArgumentException(name + " is null");
        if (p.storage().isFreed()) throw new IllegalStateException(name + " was freed (tensor used after close)");
        if (p.device().kind() != kernels.deviceKind()) {
            throw new IllegalArgumentException(name + " is on " + p.device() + " but the " + kernels.name()
                    + " kernels run on " + kernels.deviceKind());
        }
    }

    /** At least {@code needed} floats lie behind p. */
    static void extent(String name, Ptr p, long needed) {
        if (needed > p.remaining()) {
            throw new IllegalArgumentException(name + " needs " + needed + " floats but only " + p.remaining()
                    + " lie behind it (" + p + ")");
        }
    }

    /** An output and an input (or two outputs) share no element. */
    static void apart(String outName, Ptr out, long outLen, String inName, Ptr in, long inLen) {
        if (out == null || in == null || out.storage() != in.storage() || outLen == 0 || inLen == 0) return;
        if (out.offset() < in.offset() + inLen && in.offset() < out.offset() + outLen) {
            throw new IllegalArgumentException(outName + " overlaps " + inName + " (this kernel does not work in place)");
        }
    }

    /** An output either is the input (the kernel works in place) or lies apart from it. */
    static void inPlaceOrApart(String outName, Ptr out, long outLen, String inName, Ptr in, long inLen) {
        if (out.storage() == in.storage() && out.offset() == in.offset()) return;
        apart(outName, out, outLen, inName, in, inLen);
    }
}
