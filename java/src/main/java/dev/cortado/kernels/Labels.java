package dev.cortado.kernels;

import java.nio.FloatBuffer;

/** The check every kernel that reads class labels makes: each is an integer in [0, cols). */
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
}
