package dev.cortado.spark;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

/**
 * Many tensors as one float vector (their values in list order, each row-major), and the vector as
 * text for {@code BarrierTaskContext.allGather}, which carries strings: little-endian float32,
 * Base64 (4/3 bytes of text per byte).
 */
final class FlatVector {

    private FlatVector() {
    }

    static long size(List<Tensor> tensors) {
        long n = 0;
        for (Tensor t : tensors) n += t.numel();
        return n;
    }

    /** The tensors' values, one after another. */
    static float[] of(List<Tensor> tensors) {
        long n = size(tensors);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(n + " values do not fit one Java array");
        float[] out = new float[(int) n];
        int at = 0;
        for (Tensor t : tensors) {
            float[] v = t.toArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    /** Copies {@code values} back into the tensors, in the order {@link #of} read them. */
    static void copyInto(float[] values, List<Tensor> tensors) {
        if (values.length != size(tensors)) {
            throw new IllegalArgumentException(values.length + " values for tensors of " + size(tensors));
        }
        int at = 0;
        try (GradMode off = GradMode.off()) { // parameters change in place, outside autograd
            for (Tensor t : tensors) {
                int n = (int) t.numel();
            float[] part = new float[n];
            System.arraycopy(values, at, part, 0, n);
                t.copyFrom(part);
                at += n;
            }
        }
    }

    static String encode(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(b.array());
    }

    static float[] decode(String text) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(text)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** A checksum of the values' bits (to check that workers hold the same weights). */
    static long checksum(float[] values) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        crc.update(b.array());
        return crc.getValue() ^ ((long) values.length << 32);
    }
}
