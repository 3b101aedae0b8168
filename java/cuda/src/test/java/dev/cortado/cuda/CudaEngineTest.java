package dev.cortado.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The CUDA engine as a plug-in: found by ServiceLoader, its memory sealed from the host, its
 * kernels run by ops; on the emulated library in CI (-Dcortado.cuda=emulate), and the real
 * library's own account of a machine without a GPU.
 */
class CudaEngineTest {

    @Test
    void theEmulatedEngineRunsOpsOnCuda0() {
        assumeTrue(CudaEngine.emulated(), "runs with -Dcortado.cuda=emulate (set by this module's surefire configuration)");
        Device cuda = Device.cuda(0);
        assertEquals("cuda", Backends.of(cuda).name());
        assertTrue(Backends.describe(cuda).contains("emulated"), Backends.describe(cuda));
        try (Tensor a = Tensor.of(new float[] {1, -2, 3, -4}, 2, 2).to(cuda); Tensor b = a.relu(); Tensor c = b.add(a)) {
            assertEquals(cuda, c.device());
            assertArrayEquals(new float[] {2, -2, 6, -4}, c.toArray());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.ptr().host());
            assertTrue(e.getMessage().contains("not host memory"), e.getMessage());
        }
        assertTrue(Memory.stats(cuda).peakInUse() > 0);
    }

    @Test
    void theRealLibrarySaysWhyThereIsNoGpu() {
        long table;
        try {
            table = CudaLibrary.cortado_cuda_runtime_table();
        } catch (Throwable t) {
            assumeTrue(false, "the nvcc-built library is not in this build (no nvcc here, or -DskipCuda): " + t);
            return;
        }
        CudaRuntime runtime = new CudaRuntime(table);
        int n = runtime.device_count();
        assumeTrue(n <= 0, "this machine has " + n + " GPU(s): the no-GPU path is checked on machines without one");
        assertEquals(-1, n);
        assertTrue(runtime.lastError().startsWith("cudaGetDeviceCount: "), runtime.lastError());
    }
}
