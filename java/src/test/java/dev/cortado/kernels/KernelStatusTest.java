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
        // a padded forward without workspace for its padded copy of x lowers the padding in place: the same values
        float[] xs = new float[(int) (batch * w.inputSize())], ws = new float[filters * w.colRows()];
        for (int i = 0; i < xs.length; i++) xs[i] = (i * 37 % 11) - 5f;
        for (int i = 0; i < ws.length; i++) ws[i] = (i * 13 % 7) - 3f;
        Ptr y = Buffers.poisoned(batch * filters * (int) w.colCols()), expected = Buffers.poisoned(batch * filters * (int) w.colCols());
        k.convForward(w, batch, filters, Buffers.ptr(xs), Buffers.ptr(ws), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y);
        new CheckedKernels(new CpuKernels()).convForward(w, batch, filters, Buffers.ptr(xs), Buffers.ptr(ws), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, expected);
        org.junit.jupiter.api.Assertions.assertArrayEquals(Buffers.read(expected), Buffers.read(y));
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
