package dev.cortado.nn;

import dev.cortado.tensor.Rng;

/**
 * Fills a new parameter's values. fanIn/fanOut follow Caffe: for a weight [out, in, kh, kw],
 * fanIn = in·kh·kw and fanOut = out·kh·kw.
 */
@FunctionalInterface
public interface Initializer {

    float[] values(int[] shape, int fanIn, int fanOut, Rng rng);

    /** Mocha's/Caffe's default Xavier: uniform in ±sqrt(3 / fanIn). */
    static Initializer xavier() {
        return (shape, fanIn, fanOut, rng) -> uniform(shape, (float) Math.sqrt(3.0 / fanIn), rng);
    }

    static Initializer gaussian(float mean, float std) {
        return (shape, fanIn, fanOut, rng) -> {
            float[] v = new float[count(shape)];
            for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rng.nextGaussian());
            return v;
        };
    }

    static Initializer constant(float value) {
        return (shape, fanIn, fanOut, rng) -> {
            float[] v = new float[count(shape)];
            java.util.Arrays.fill(v, value);
            return v;
        };
    }

    static Initializer uniform(float lo, float hi) {
        return (shape, fanIn, fanOut, rng) -> {
            float[] v = new float[count(shape)];
            for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
            return v;
        };
    }

    /**
     * Orthogonal (Saxe et al.): the weight viewed as rows x cols (rows = shape[0]) gets
     * orthonormal rows (or columns, when rows > cols), from Gram-Schmidt on a Gaussian matrix.
     */
    static Initializer orthogonal(float gain) {
        return (shape, fanIn, fanOut, rng) -> {
            int rows = shape[0], cols = count(shape) / rows;
            boolean transpose = rows > cols;
            int r = transpose ? cols : rows, c = transpose ? rows : cols;
            double[][] m = new double[r][c];
            for (int i = 0; i < r; i++) {
                for (int attempt = 0; ; attempt++) {
                    for (int j = 0; j < c; j++) m[i][j] = rng.nextGaussian();
                    for (int k = 0; k < i; k++) {
                        double dot = 0;
                        for (int j = 0; j < c; j++) dot += m[i][j] * m[k][j];
                        for (int j = 0; j < c; j++) m[i][j] -= dot * m[k][j];
                    }
                    double norm = 0;
                    for (int j = 0; j < c; j++) norm += m[i][j] * m[i][j];
                    norm = Math.sqrt(norm);
                    if (norm > 1e-6 || attempt > 10) {
                        for (int j = 0; j < c; j++) m[i][j] /= norm;
                        break;
                    }
                }
            }
            float[] v = new float[rows * cols];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) v[i * cols + j] = (float) (gain * (transpose ? m[j][i] : m[i][j]));
            return v;
        };
    }

    private static float[] uniform(int[] shape, float bound, Rng rng) {
        float[] v = new float[count(shape)];
        for (int i = 0; i < v.length; i++) v[i] = bound * (2 * rng.nextFloat() - 1);
        return v;
    }

    private static int count(int[] shape) {
        return (int) dev.cortado.tensor.Shape.numel(shape);
    }
}
