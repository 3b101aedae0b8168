package dev.cortado.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.Buffers;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cpu kernels' workspace cache (native/cpu/workspace.h): a kernel's temporary memory is kept
 * for the next call, reused there whatever it holds, and freed on request.
 */
class WorkspaceCacheTest {

    // a 3x3 window over 48 channels to 48 filters: Winograd on every machine (32 go direct where
    // 512-bit FMAs run at half rate), whose transforms take megabytes of workspace
    private static final Window W = new Window(48, 40, 40, 3, 3, 1, 1, 1, 1);
    private static final int BATCH = 2, FILTERS = 48;

    private final Buffers.Owned owned = new Buffers.Owned();

    @AfterEach
    void release() {
        owned.release();
    }

    private float[] convolve(KernelSet k, float[] x, float[] w) {
        Ptr px = owned.copyTo(Device.CPU, x), pw = owned.copyTo(Device.CPU, w);
        Ptr y = owned.copyTo(Device.CPU, Buffers.poison((long) BATCH * FILTERS * W.colCols()));
        k.convForward(W, BATCH, FILTERS, px, pw, null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y);
        return Buffers.fetch(y);
    }

    @Test
    void workspaceIsKeptReusedWhateverItHoldsAndTrimmed() {
        assumeTrue(CpuKernels.isAvailable(), "the cpu library did not load here: " + CpuKernels.loadFailure());
        KernelSet k = new CpuKernels();
        Random r = new Random(5);
        float[] x = new float[(int) (BATCH * W.inputSize())], w = new float[(int) (FILTERS * W.colRows())];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() - 0.5f;

        CpuKernels.trimWorkspace();
        assertEquals(0, CpuKernels.workspaceCached(), "nothing cached after a trim");
        float[] first = convolve(k, x, w);
        long kept = CpuKernels.workspaceCached();
        assertTrue(kept >= 1 << 20, "the Winograd transforms' megabytes are kept after the call: " + kept + " bytes");

        // the next call takes the same blocks, full of NaN, and gives them back: same result, no growth
        CpuKernels.fillWorkspaceCache(Float.NaN);
        assertArrayEquals(first, convolve(k, x, w), "the result with reused (NaN-filled) workspace");
        assertEquals(kept, CpuKernels.workspaceCached(), "the second call reuses the cached blocks");

        assertEquals(kept, CpuKernels.trimWorkspace(), "trim frees what was cached");
        assertEquals(0, CpuKernels.workspaceCached());
        assertArrayEquals(first, convolve(k, x, w), "the result with new workspace after the trim");
    }
}
