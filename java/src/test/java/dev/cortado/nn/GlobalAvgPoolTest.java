package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.autograd.GradCheck;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class GlobalAvgPoolTest extends PerBackend {

    static final class JavaTest extends GlobalAvgPoolTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends GlobalAvgPoolTest {
        CpuTest() {
            super("cpu");
        }
    }

    GlobalAvgPoolTest(String backend) {
        super(backend);
    }

    @Test
    void averagesEachChannelsPlane() {
        Rng rng = new Rng(1);
        int n = 2, c = 3, h = 5, w = 7;
        Tensor x = Tensor.uniform(rng, -1, 1, n, c, h, w).requiresGrad(true);
        GlobalAvgPool pool = new GlobalAvgPool();
        Tensor y = pool.forward(x);
        assertArrayEquals(new int[] {n, c}, y.shape());
        float[] xa = x.toArray(), got = y.toArray();
        for (int p = 0; p < n * c; p++) {
            double sum = 0;
            for (int i = 0; i < h * w; i++) sum += xa[p * h * w + i];
            assertEquals(sum / (h * w), got[p], 1e-6);
        }
        y.sum().backward();
        for (float g : x.grad().toArray()) assertEquals(1.0 / (h * w), g, 1e-7);
        GradCheck.Result r = new GradCheck().check(in -> pool.forward(in[0]), Tensor.uniform(rng, -1, 1, 2, 2, 3, 3).requiresGrad(true));
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void anInfStaysInItsOwnChannel() {
        // channel 0 holds an inf; channel 1 must stay finite (as PyTorch's adaptive_avg_pool2d to 1x1)
        float[] v = {Float.POSITIVE_INFINITY, 1, 2, 3, 1, 2, 3, 4};
        float[] got = new GlobalAvgPool().forward(Tensor.of(v, 1, 2, 2, 2)).toArray();
        assertEquals(Float.POSITIVE_INFINITY, got[0]);
        assertEquals(2.5f, got[1], 0f);
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GlobalAvgPool().forward(Tensor.zeros(2, 3, 4)));
        assertTrue(e.getMessage().contains("GlobalAvgPool") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
    }
}
