package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

class KernelProfilerTest {

    @Test
    void countsCallsByKernelAndShapeAndStillComputes() {
        KernelProfiler profiler = new KernelProfiler(Backends.byName("java"));
        try (Backends.Selection s = Backends.use(profiler.kernels())) {
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor c = a.matmul(a);
            c = c.matmul(a);
            assertEquals(37f, c.get(0, 0)); // [7 10; 15 22] · [1 2; 3 4]
        }
        String report = profiler.report(2);
        assertTrue(report.contains("gemm(N,N,2,2,2,2,2,2)"), report);
        assertTrue(report.contains("    1.0 "), "two calls over two steps: " + report);
        assertTrue(profiler.totalNanos() > 0);
        profiler.reset();
        assertEquals(0, profiler.totalNanos());
        assertThrows(IllegalArgumentException.class, () -> profiler.report(0));
        assertThrows(IllegalArgumentException.class, () -> new KernelProfiler(null));
    }

    @Test
    void argumentErrorsPassThroughUnwrapped() {
        KernelProfiler profiler = new KernelProfiler(Backends.byName("java"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> profiler.kernels().fill(-1, 0f, Buffers.ptr(new float[1])));
        assertTrue(e.getMessage().contains("n must be >= 0"), e.getMessage());
    }
}
