package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The LSTM against PyTorch's equations written out in double, gradient-checked through time, bad shapes; per backend. */
abstract class RecurrentTest extends PerBackend {

    static final class JavaTest extends RecurrentTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends RecurrentTest {
        CpuTest() {
            super("cpu");
        }
    }

    RecurrentTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(17);

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** h of every step by PyTorch's nn.LSTM equations (gate order i, f, g, o), zero initial state. */
    private static float[] reference(float[] x, float[] wIh, float[] wHh, float[] b, int batch, int steps, int f, int hidden) {
        float[] out = new float[batch * steps * hidden];
        for (int n = 0; n < batch; n++) {
            double[] h = new double[hidden], c = new double[hidden];
            for (int t = 0; t < steps; t++) {
                double[] z = new double[4 * hidden];
                for (int r = 0; r < 4 * hidden; r++) {
                    double s = b[r];
                    for (int j = 0; j < f; j++) s += wIh[r * f + j] * x[(n * steps + t) * f + j];
                    for (int j = 0; j < hidden; j++) s += wHh[r * hidden + j] * h[j];
                    z[r] = s;
                }
                for (int u = 0; u < hidden; u++) {
                    double i = sigmoid(z[u]), fg = sigmoid(z[hidden + u]), g = Math.tanh(z[2 * hidden + u]), o = sigmoid(z[3 * hidden + u]);
                    c[u] = fg * c[u] + i * g;
                    h[u] = o * Math.tanh(c[u]);
                    out[(n * steps + t) * hidden + u] = (float) h[u];
                }
            }
        }
        return out;
    }

    @Test
    void matchesTheEquations() {
        int[][] cases = {{1, 1, 1, 1}, {2, 3, 4, 5}, {3, 7, 2, 17}, {4, 2, 9, 3}};
        for (int[] k : cases) {
            int batch = k[0], steps = k[1], f = k[2], hidden = k[3];
            Tensor x = Tensor.uniform(rng, -1, 1, batch, steps, f), wIh = Tensor.uniform(rng, -0.5f, 0.5f, 4 * hidden, f);
            Tensor wHh = Tensor.uniform(rng, -0.5f, 0.5f, 4 * hidden, hidden), b = Tensor.uniform(rng, -0.5f, 0.5f, 4 * hidden);
            Tensor y = Recurrent.lstm(x, wIh, wHh, b);
            assertArrayEquals(new int[] {batch, steps, hidden}, y.shape());
            assertArrayEquals(reference(x.toArray(), wIh.toArray(), wHh.toArray(), b.toArray(), batch, steps, f, hidden), y.toArray(), 2e-5f,
                    java.util.Arrays.toString(k));
        }
    }

    @Test
    void gradientsThroughTime() {
        gradOk(t -> Recurrent.lstm(t[0], t[1], t[2], t[3]), leaf(rng, 2, 4, 3), leaf(rng, 12, 3), leaf(rng, 12, 3), leaf(rng, 12));
        gradOk(t -> Recurrent.lstm(t[0], t[1], t[2], null), leaf(rng, 3, 1, 2), leaf(rng, 8, 2), leaf(rng, 8, 2));
        gradOk(t -> Recurrent.lstm(t[0], t[1], t[2], t[3]).select(1, -1), leaf(rng, 2, 5, 2), leaf(rng, 4, 2), leaf(rng, 4, 1), leaf(rng, 4));
    }

    /** A sequence continued from the state its first half ended in equals the whole sequence run at once. */
    @Test
    void aSequenceContinuesFromItsFinalState() {
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 7, 3), wIh = Tensor.uniform(rng, -0.5f, 0.5f, 16, 3);
        Tensor wHh = Tensor.uniform(rng, -0.5f, 0.5f, 16, 4), b = Tensor.uniform(rng, -0.5f, 0.5f, 16);
        Tensor whole = Recurrent.lstm(x, wIh, wHh, b);
        Recurrent.LstmResult first = Recurrent.lstm(x.narrow(1, 0, 4), wIh, wHh, b, null, null);
        Recurrent.LstmResult rest = Recurrent.lstm(x.narrow(1, 4, 3), wIh, wHh, b, first.h(), first.c());
        assertArrayEquals(whole.toArray(), Tensor.concat(1, first.output(), rest.output()).toArray(), 1e-5f);
        assertArrayEquals(whole.select(1, 6).toArray(), rest.h().toArray(), 1e-5f);
        // one step at a time, as a sampler runs it
        Tensor h = null, c = null;
        for (int t = 0; t < 7; t++) {
            Recurrent.LstmResult r = Recurrent.lstm(x.narrow(1, t, 1), wIh, wHh, b, h, c);
            assertArrayEquals(whole.select(1, t).toArray(), r.h().toArray(), 1e-5f, "step " + t);
            h = r.h();
            c = r.c();
        }
    }

    @Test
    void gradientsReachTheInitialState() {
        gradOk("h0, c0 and the weights", t -> Recurrent.lstm(t[0], t[1], t[2], t[3], t[4], t[5]).output(),
                leaf(rng, 2, 3, 2), leaf(rng, 12, 2), leaf(rng, 12, 3), leaf(rng, 12), leaf(rng, 2, 3), leaf(rng, 2, 3));
        gradOk("through the final h", t -> Recurrent.lstm(t[0], t[1], t[2], null, t[3], null).h(),
                leaf(rng, 1, 4, 2), leaf(rng, 8, 2), leaf(rng, 8, 2), leaf(rng, 1, 2));
        Tensor x = Tensor.ones(2, 3, 4);
        rejects("lstm: initial h0 [3, 5] is not [batch, hidden] = [2, 5]",
                () -> Recurrent.lstm(x, Tensor.ones(20, 4), Tensor.ones(20, 5), null, Tensor.ones(3, 5), null));
        rejects("lstm: initial c0 [2, 4] is not [batch, hidden] = [2, 5]",
                () -> Recurrent.lstm(x, Tensor.ones(20, 4), Tensor.ones(20, 5), null, null, Tensor.ones(2, 4)));
    }

    @Test
    void badShapes() {
        Tensor x = Tensor.ones(2, 3, 4);
        rejects("lstm: x [2, 3, 4], wIh [20, 3] and wHh [20, 5] do not fit", () -> Recurrent.lstm(x, Tensor.ones(20, 3), Tensor.ones(20, 5), null));
        rejects("lstm: x must be 3-D", () -> Recurrent.lstm(Tensor.ones(3, 4), Tensor.ones(20, 4), Tensor.ones(20, 5), null));
        rejects("lstm: bias [7] does not match 20 gate rows", () -> Recurrent.lstm(x, Tensor.ones(20, 4), Tensor.ones(20, 5), Tensor.ones(7)));
    }
}
