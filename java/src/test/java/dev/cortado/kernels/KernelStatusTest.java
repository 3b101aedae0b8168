package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Ptr;
import org.junit.jupiter.api.Test;

/** A kernel's status other than OK reaches Java as an exception naming the kernel set, the kernel and the cause. */
class KernelStatusTest {

    @Test
    void aKernelWithoutWorkspaceSaysSoAndWritesNothing() {
        KernelSet k = new CheckedKernels(CpuKernels.withoutWorkspace());
        Window w = Window.square(2, 5, 5, 3, 1, 1);
        int batch = 3, filters = 4;
        Ptr weight = Buffers.ptr(new float[filters * w.colRows()]);
        Ptr dy = Buffers.ptr(new float[batch * filters * w.colCols()]);
        Ptr dx = Buffers.poisoned((int) (batch * w.inputSize()));
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> k.convBackwardData(w, batch, filters, weight, dy, dx));
        assertEquals("cpu convBackwardData: no memory for its workspace", e.getMessage());
        for (float v : Buffers.read(dx)) assertTrue(Float.isNaN(v), "nothing written");
        k.convForward(w, batch, filters, dx, weight, null, dy); // kernels that need no workspace run in that context
    }

    @Test
    void everyStatusBecomesAnExceptionThatNamesIt() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> KernelStatus.raise("cuda", "gather", KernelStatus.BAD_INDEX.ordinal(), ""));
        assertEquals("cuda gather: an index or label is out of range", bad.getMessage());
        KernelStatus.KernelException device = assertThrows(KernelStatus.KernelException.class,
                () -> KernelStatus.raise("cuda", "gemm", KernelStatus.DEVICE_ERROR.ordinal(), "an illegal memory access was encountered"));
        assertEquals("cuda gemm: device error (an illegal memory access was encountered)", device.getMessage());
        assertEquals("cuda gemm: unknown status 99",
                assertThrows(KernelStatus.KernelException.class, () -> KernelStatus.raise("cuda", "gemm", 99, null)).getMessage());
    }
}
