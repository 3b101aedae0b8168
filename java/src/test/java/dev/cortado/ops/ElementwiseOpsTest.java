package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leafIn;
import static dev.cortado.ops.OpsTesting.rejects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Broadcasting binary ops and unary math: hand-computed values, gradient checks on broadcast shapes, bad input; per backend. */
abstract class ElementwiseOpsTest extends PerBackend {

    static final class JavaTest extends ElementwiseOpsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends ElementwiseOpsTest {
        CpuTest() {
            super("cpu");
        }
    }

    ElementwiseOpsTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(7);

    private static Tensor t(float[] v, int... shape) {
        return Tensor.of(v, shape);
    }



    /** A leaf of multiples of 0.1 in [-1, 1), plus offset. */
    private Tensor grid(float offset, int... shape) {
        float[] v = new float[(int) dev.cortado.tensor.Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (rng.nextInt(20) - 10) * 0.1f + offset;
        return Tensor.of(v, shape).requiresGrad(true);
    }


    @Test
    void broadcastValues() {
        Tensor a = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = t(new float[] {10, 20, 30}, 3), col = t(new float[] {100, 200}, 2, 1);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, a.add(row).toArray());
        assertArrayEquals(new float[] {101, 102, 103, 204, 205, 206}, a.add(col).toArray());
        assertArrayEquals(new int[] {2, 3}, col.add(row).shape());
        assertArrayEquals(new float[] {110, 120, 130, 210, 220, 230}, col.add(row).toArray());
        assertArrayEquals(new float[] {-9, -18, -27, -6, -15, -24}, a.sub(row).toArray());
        assertArrayEquals(new float[] {100, 200, 300, 800, 1000, 1200}, a.mul(col).toArray());
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, a.div(2f).toArray());
        assertArrayEquals(new float[] {2, 1, 2f / 3, 0.5f, 0.4f, 1f / 3}, a.rdiv(2f).toArray(), 1e-7f);
        assertArrayEquals(new float[] {1, 4, 9, 16, 25, 36}, a.pow(2f).toArray());
        assertArrayEquals(new float[] {2, 4, 8, 16, 32, 64}, a.rpow(2f).toArray());
        assertArrayEquals(new float[] {3, 3, 3, 4, 5, 6}, a.maximum(3f).toArray());
        assertArrayEquals(new float[] {1, 2, 3, 3, 3, 3}, a.minimum(3f).toArray());
        assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0}, a.eq(3f).toArray());
        assertArrayEquals(new float[] {1, 1, 0, 1, 1, 1}, a.ne(3f).toArray());
        assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0}, a.lt(3f).toArray());
        assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0}, a.le(3f).toArray());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, a.gt(3f).toArray());
        assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1}, a.ge(3f).toArray());
        Tensor nan = t(new float[] {Float.NaN, 1}, 2);
        assertArrayEquals(new float[] {Float.NaN, 1}, nan.maximum(0f).toArray());
        assertArrayEquals(new float[] {0, 0}, nan.eq(nan.mul(1f).mul(0f).add(Float.NaN)).toArray());
        // scalars on either side, and 0-d tensors
        assertArrayEquals(new float[] {9, 8, 7, 6, 5, 4}, a.rsub(10f).toArray());
        assertArrayEquals(new float[] {11, 12, 13, 14, 15, 16}, a.add(Tensor.scalar(10f)).toArray());
        // an axis of 0 broadcasts with 1 and stays empty
        assertArrayEquals(new int[] {0, 3}, Tensor.zeros(0, 1).add(row).shape());
    }

    @Test
    void unaryValues() {
        Tensor x = t(new float[] {-2, -0.5f, 0, 1, 4}, 5);
        assertArrayEquals(new float[] {(float) Math.exp(-2), (float) Math.exp(-0.5), 1, (float) Math.E, (float) Math.exp(4)}, x.exp().toArray(), 1e-5f);
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, Float.NEGATIVE_INFINITY, 0, (float) Math.log(4)}, x.log().toArray(), 1e-6f);
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, 0, 1, 2}, x.sqrt().toArray(), 1e-6f);
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, Float.POSITIVE_INFINITY, 1, 0.5f}, x.rsqrt().toArray(), 1e-6f);
        assertArrayEquals(new float[] {2, 0.5f, 0, 1, 4}, x.abs().toArray());
        assertArrayEquals(new float[] {2, 0.5f, -0f, -1, -4}, x.neg().toArray());
        assertArrayEquals(new float[] {4, 0.25f, 0, 1, 16}, x.square().toArray());
        assertArrayEquals(new float[] {-1, -0.5f, 0, 1, 1}, x.clamp(-1, 1).toArray());
        assertArrayEquals(new float[] {0, 0, 0, 1, 4}, x.clamp(0, Float.POSITIVE_INFINITY).toArray());
        assertArrayEquals(new float[] {-0.02f, -0.005f, 0, 1, 4}, x.leakyRelu(0.01f).toArray(), 1e-7f);
        assertArrayEquals(new float[] {(float) Math.expm1(-2), (float) Math.expm1(-0.5), 0, 1, 4}, x.elu(1f).toArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.log1p(Math.exp(-2)), (float) Math.log1p(Math.exp(-0.5)), (float) Math.log(2),
            (float) Math.log1p(Math.E), (float) Math.log1p(Math.exp(4))}, x.softplus(1f, 20f).toArray(), 1e-6f);
        assertArrayEquals(new float[] {1, 4}, t(new float[] {1, 4}, 2).softplus(1f, 0.5f).toArray()); // linear above the threshold
        // GELU (tanh form) at 1: 0.8411920 (PyTorch: gelu(tensor(1.), approximate='tanh'))
        assertEquals(0.841192f, t(new float[] {1}, 1).gelu(true).item(), 1e-6f);
        assertEquals(0.841192f, t(new float[] {1}, 1).gelu("tanh").item(), 1e-6f);
        // GELU (exact, PyTorch's default): x Φ(x) = 0.5 x (1 + erf(x / sqrt 2)), Φ from the normal table
        float[] gx = {-3, -1, -0.5f, 0, 0.5f, 1, 2, 10};
        double[] phi = {0.0013498980316301, 0.15865525393145707, 0.3085375387259869, 0.5, 0.6914624612740131, 0.8413447460685429,
            0.9772498680518208, 1};
        float[] gelu = t(gx, gx.length).gelu().toArray(), none = t(gx, gx.length).gelu("none").toArray();
        for (int i = 0; i < gx.length; i++) {
            assertEquals(gx[i] * phi[i], gelu[i], 1e-6 * Math.max(1, Math.abs(gx[i])), "gelu(" + gx[i] + ")");
            assertEquals(gelu[i], none[i], "gelu(" + gx[i] + ", 'none')");
        }
        assertEquals(0.8413447f, t(new float[] {1}, 1).gelu().item(), 1e-6f); // PyTorch: gelu(tensor(1.))
        // its derivative Φ(x) + x φ(x), φ(x) = e^(-x²/2) / sqrt(2 pi)
        for (int i = 0; i < gx.length; i++) {
            Tensor leaf = t(new float[] {gx[i]}, 1).requiresGrad(true);
            leaf.gelu().sum().backward();
            double want = phi[i] + gx[i] * Math.exp(-0.5 * gx[i] * gx[i]) / Math.sqrt(2 * Math.PI);
            assertEquals(want, leaf.grad().item(), 1e-6, "gelu'(" + gx[i] + ")");
        }
        // at the infinities as PyTorch's formula in double: +inf, and -inf · 0 = NaN
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, Float.NaN, Float.NaN},
                t(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}, 3).gelu().toArray());
        rejects("gelu: approximate must be 'none' or 'tanh', got 'erf'", () -> x.gelu("erf"));
        assertArrayEquals(new float[] {Float.NaN}, t(new float[] {Float.NaN}, 1).clamp(-1, 1).toArray());
        rejects("clamp: min 2.0 and max 1.0", () -> x.clamp(2, 1));
        rejects("softplus: beta must be > 0", () -> x.softplus(0f, 20f));
    }

    @Test
    void badShapesNameBoth() {
        Tensor a = Tensor.ones(2, 3);
        rejects("add: shapes [2, 3] and [2] do not broadcast", () -> a.add(Tensor.ones(2)));
        rejects("mul: shapes [2, 3] and [4, 1, 2] do not broadcast", () -> a.mul(Tensor.ones(4, 1, 2)));
        rejects("div: shapes", () -> a.div(Tensor.ones(3, 3)));
    }

    @Test
    void broadcastGradients() {
        int[][][] pairs = {
            {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {2, 3, 1}}, {{5}, {}}, {{}, {2, 2}},
            {{1, 3, 1, 2}, {4, 1, 5, 1}}, {{2, 3}, {2, 3}}};
        for (int[][] p : pairs) {
            gradOk(in -> in[0].add(in[1]), leafIn(rng, -1, 1, p[0]), leafIn(rng, -1, 1, p[1]));
            gradOk(in -> in[0].sub(in[1]), leafIn(rng, -1, 1, p[0]), leafIn(rng, -1, 1, p[1]));
            gradOk(in -> in[0].mul(in[1]), leafIn(rng, -1, 1, p[0]), leafIn(rng, -1, 1, p[1]));
            gradOk(in -> in[0].div(in[1]), leafIn(rng, -1, 1, p[0]), leafIn(rng, 0.5f, 2, p[1]));
            gradOk(in -> in[0].pow(in[1]), leafIn(rng, 0.5f, 2, p[0]), leafIn(rng, -2, 2, p[1]));
            // values on two grids 0.05 apart: no pair within the check's step of a tie
            gradOk(in -> in[0].maximum(in[1]), grid(0f, p[0]), grid(0.05f, p[1]));
            gradOk(in -> in[0].minimum(in[1]), grid(0f, p[0]), grid(0.05f, p[1]));
        }
        gradOk(in -> in[0].rdiv(3f), leafIn(rng, 0.5f, 2, 3, 2));
        gradOk(in -> in[0].rpow(1.5f), leafIn(rng, -1, 1, 3, 2));
        gradOk(in -> in[0].rsub(1f).mul(2f), leafIn(rng, -1, 1, 3, 2));
    }

    @Test
    void emptyAxesBroadcastAndGiveZeroGradients() {
        Tensor a = Tensor.zeros(0, 3).requiresGrad(true), b = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor y = a.mul(b).add(b);
        assertArrayEquals(new int[] {0, 3}, y.shape());
        y.sum().backward();
        assertArrayEquals(new int[] {0, 3}, a.grad().shape());
        assertArrayEquals(new float[] {0, 0, 0}, b.grad().toArray()); // summed over an empty axis
        Tensor e = Tensor.zeros(2, 0).requiresGrad(true);
        e.exp().sum(1, false).sum().backward();
        assertArrayEquals(new int[] {2, 0}, e.grad().shape());
    }

    @Test
    void powGradientsAtZeroFollowPyTorch() {
        // d/da a^0 = 0 everywhere (also at a = 0); d/db 0^b = 0 for b >= 0.
        Tensor a = t(new float[] {0, 2}, 2).requiresGrad(true), b = t(new float[] {0, 0}, 2).requiresGrad(true);
        a.pow(b).sum().backward();
        assertArrayEquals(new float[] {0, 0}, a.grad().toArray());
        assertArrayEquals(new float[] {0, (float) Math.log(2)}, b.grad().toArray(), 1e-6f);
        // d/db 0^b for b < 0: y · ln 0 = inf · -inf = -inf in PyTorch (masked to 0 only where b >= 0), not NaN
        Tensor z = t(new float[] {0, 0, 0, 2}, 4).requiresGrad(true), e = t(new float[] {-1, -2.5f, 3, -1}, 4).requiresGrad(true);
        z.pow(e).sum().backward();
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 0, (float) (0.5 * Math.log(2))},
                e.grad().toArray(), 1e-6f);
    }

    @Test
    void unaryGradients() {
        gradOk(in -> in[0].exp(), leafIn(rng, -2, 2, 4, 3));
        gradOk(in -> in[0].log(), leafIn(rng, 0.5f, 3, 4, 3));
        gradOk(in -> in[0].sqrt(), leafIn(rng, 0.5f, 3, 4, 3));
        gradOk(in -> in[0].rsqrt(), leafIn(rng, 0.5f, 3, 4, 3));
        gradOk(in -> in[0].abs(), leafIn(rng, 0.1f, 2, 4, 3));
        gradOk(in -> in[0].neg(), leafIn(rng, -2, 2, 4, 3));
        gradOk(in -> in[0].square(), leafIn(rng, -2, 2, 4, 3));
        gradOk(in -> in[0].clamp(-0.5f, 0.5f), Tensor.of(new float[] {-0.9f, -0.3f, 0.1f, 0.45f, 0.8f}, 5).requiresGrad(true));
        gradOk(in -> in[0].softplus(2f, 3f), leafIn(rng, -3, 3, 4, 3));
        gradOk(in -> in[0].leakyRelu(0.1f), Tensor.of(new float[] {-0.9f, -0.3f, 0.1f, 0.45f, 0.8f}, 5).requiresGrad(true));
        gradOk(in -> in[0].elu(0.7f), leafIn(rng, -3, 3, 4, 3));
        gradOk(in -> in[0].gelu(), leafIn(rng, -3, 3, 4, 3));
        gradOk(in -> in[0].gelu(true), leafIn(rng, -3, 3, 4, 3));
    }
}
