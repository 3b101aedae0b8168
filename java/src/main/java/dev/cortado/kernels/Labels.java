package dev.cortado.kernels;

import java.nio.FloatBuffer;

/** The check every kernel that reads class labels or indices makes: each is an integer in [0, cols). */
final class Labels {

    private Labels() {
    }

    static void check(FloatBuffer labels, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            float v = labels.get(r);
            if (!(v >= 0 && v < cols) || v != Math.rint(v)) {
                throw new IllegalArgumentException("label " + v + " at row " + r + " is not a class index in [0, " + cols + ")");
            }
        }
    }

    /** Every index[Σ i_d·strides_d] for i below shape is an integer in [0, len). */
    static void checkIndices(FloatBuffer index, long[] shape, long[] strides, long len) {
        long n = 1;
        for (long d : shape) n *= d;
        long[] i = new long[shape.length];
        for (long k = 0; k < n; k++) {
            long at = 0;
            for (int d = 0; d < shape.length; d++) at += i[d] * strides[d];
            float v = index.get((int) at);
            if (!(v >= 0 && v < len) || v != Math.rint(v)) {
                throw new IllegalArgumentException("index " + v + " at " + java.util.Arrays.toString(i) + " is not in [0, " + len + ")");
            }
            for (int d = shape.length - 1; d >= 0 && ++i[d] == shape[d]; d--) i[d] = 0;
        }
    }
}
