package dev.cortado.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.NativeKernels;
import dev.cortado.kernels.NativeTable;
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

    /**
     * On a GPU, the real library's kernels through the public API: a matmul and a softmax on
     * cuda:0 equal the cpu's within float tolerance (skipped, saying why, without a GPU; the whole
     * conformance suite runs on real cuda from the GPU bundle, benchmarks/gpu/run.sh).
     */
    @Test
    void aGpuRunsTheKernels() {
        CudaRuntime runtime = realRuntime();
        int n = runtime.device_count();
        assumeTrue(n > 0, "no GPU: " + (n < 0 ? runtime.lastError() : "no CUDA device"));
        assumeTrue(!CudaEngine.emulated(), "a GPU is here, but this JVM runs the emulated library (-Dcortado.cuda=emulate)");
        Device cuda = Device.cuda(0);
        dev.cortado.tensor.Rng rng = new dev.cortado.tensor.Rng(7);
        try (Tensor a = Tensor.uniform(rng, -1, 1, 37, 53); Tensor b = Tensor.uniform(rng, -1, 1, 53, 29);
             Tensor onCpu = a.matmul(b).softmax(1); Tensor ga = a.to(cuda); Tensor gb = b.to(cuda);
             Tensor onGpu = ga.matmul(gb).softmax(1)) {
            dev.cortado.kernels.Buffers.assertMatchesReference(onCpu.toArray(), onGpu.toArray(), 1e-5, "matmul + softmax on " + cuda);
        }
    }

    private static CudaRuntime realRuntime() {
        try {
            return new CudaRuntime(CudaLibrary.cortado_cuda_runtime_table());
        } catch (Throwable t) {
            assumeTrue(false, "the nvcc-built library is not in this build (no nvcc here, or -DskipCuda): " + t);
            return null;
        }
    }

    /**
     * The nvcc-built library's table, through its own binding CudaTable (whose glue that library
     * alone carries, in this JVM beside the emulated one): its glue and its table were compiled from
     * this build's declarations. Needs no GPU: the table is static data of the library.
     */
    @Test
    void theRealLibrarysTableIsBoundByItsOwnGlueOfThisBuild() {
        realRuntime();
        NativeTable table = new CudaTable(CudaLibrary.cortado_kernel_table());
        assertEquals("libjnicortado_cuda", table.library());
        assertEquals(Long.toHexString(NativeKernels.ABI_HASH), Long.toHexString(table.glueAbiHash()), "the glue's ABI hash");
        assertEquals(Long.toHexString(NativeKernels.ABI_HASH), Long.toHexString(table.abi_hash()), "the table's ABI hash");
    }

    @Test
    void theRealLibrarySaysWhyThereIsNoGpu() {
        CudaRuntime runtime = realRuntime();
        int n = runtime.device_count();
        assumeTrue(n <= 0, "this machine has " + n + " GPU(s): the no-GPU path is checked on machines without one");
        assertEquals(-1, n);
        assertTrue(runtime.lastError().startsWith("cudaGetDeviceCount: "), runtime.lastError());
    }
}
