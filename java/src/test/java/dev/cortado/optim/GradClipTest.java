package dev.cortado.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class GradClipTest extends PerBackend {

    static final class JavaTest extends GradClipTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends GradClipTest {
        CpuTest() {
            super("cpu");
        }
    }

    GradClipTest(String backend) {
        super(backend);
    }

    @Test
    void clipsByTheGlobalNormAsClipGradNorm() {
        Tensor a = Tensor.zeros(2).requiresGrad(true), b = Tensor.zeros(1, 1).requiresGrad(true), none = Tensor.zeros(3).requiresGrad(true);
        AdamWTest.grad(a, new float[] {3, 4});
        AdamWTest.grad(b, new float[] {12});
        // ‖(3, 4, 12)‖ = 13; coefficient max_norm / (13 + 1e-6)
        double norm = GradClip.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(13, norm, 1e-6);
        double c = 1.0 / (13 + 1e-6);
        assertArrayEquals(new float[] {(float) (3 * c), (float) (4 * c)}, a.grad().toArray(), 1e-7f);
        assertArrayEquals(new float[] {(float) (12 * c)}, b.grad().toArray(), 1e-7f);
        assertEquals(null, none.grad());
        // now below the limit: returned, left alone
        assertEquals(13 * c, GradClip.clipGradNorm(List.of(a, b, none), 5.0), 1e-6);
        assertArrayEquals(new float[] {(float) (3 * c), (float) (4 * c)}, a.grad().toArray(), 0f);
    }

    @Test
    void aNonFiniteNormIsReturnedAndSpreadsAsInPyTorch() {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        AdamWTest.grad(a, new float[] {Float.NaN, 1});
        assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(a), 1.0)));
        assertTrue(Float.isNaN(a.grad().toArray()[1]));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(null, 1));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(), -1));
        assertEquals(0, GradClip.clipGradNorm(List.of(), 1), 0);
    }
}
