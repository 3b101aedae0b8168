package dev.cortado.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by tensors and ops. Shapes are int arrays, row-major. */
public final class Shape {

    private Shape() {
    }

    /** Element count; throws if a dimension is negative or the count exceeds 2^31 - 9. */
    public static long numel(int... shape) {
        if (shape == null) throw new IllegalArgumentException("shape is null");
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
        }
        return n;
    }

    /** Resolves one -1 in {@code shape} so that it holds {@code numel} elements. */
    public static int[] infer(long numel, int... shape) {
        int[] out = shape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("only one -1 allowed in shape " + Arrays.toString(shape));
                unknown = i;
            } else {
                if (out[i] < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                known *= out[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(shape));
            }
            out[unknown] = (int) (numel / known);
        }
        if (numel(out) != numel) {
            throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(shape));
        }
        return out;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }
}
