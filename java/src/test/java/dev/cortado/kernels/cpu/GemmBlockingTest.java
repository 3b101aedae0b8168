package dev.cortado.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.KernelSet;
import dev.cortado.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SGEMM cache blocking derived from the caches (native/cpu/gemm.cpp, derive_blocks): for
 * made-up caches of real and odd CPUs, every micro-kernel's blocks keep the model's invariants
 * (B and A micro-panels within L1's ways, the A block within half of L2, the B block within half
 * of the thread's L3 share, mc a multiple of mr, nc of nr), and GEMMs run under blockings derived
 * from tiny caches (many blocks along every dimension, equal blocks past a boundary) equal a
 * product summed in double, on every ISA and on 1 and 2 threads.
 */
class GemmBlockingTest {

    /** Every micro-kernel's register tile {mr, nr} (gemm.cpp's kTiles). */
    private static final int[][] TILES = {{4, 8}, {6, 16}, {12, 32}, {10, 32}, {8, 32}};

    private static final long KIB = 1 << 10, MIB = 1 << 20;

    /** {L1d bytes, ways, L2 bytes, ways, L3 bytes, ways, CPUs sharing L3, line} of CPUs this project may meet, and odd ones. */
    private static final long[][] CACHES = {
        {32 * KIB, 8, 512 * KIB, 8, 32 * MIB, 16, 16, 64},   // Zen 3 (as on this project's VMs, CPUID's sharing aside)
        {32 * KIB, 8, 1 * MIB, 8, 32 * MIB, 16, 16, 64},     // Zen 4
        {48 * KIB, 12, 1 * MIB, 16, 32 * MIB, 16, 16, 64},   // Zen 5
        {48 * KIB, 12, 2 * MIB, 16, 105 * MIB, 15, 112, 64}, // Sapphire Rapids
        {32 * KIB, 8, 256 * KIB, 4, 8 * MIB, 16, 8, 64},     // a Skylake desktop
        {32 * KIB, 8, 512 * KIB, 8, 256 * MIB, 16, 1, 64},   // a whole socket's L3 reported as ours
        {128 * KIB, 8, 12 * MIB, 12, 0, 0, 1, 128},          // no L3, 128-byte lines
        {4 * KIB, 2, 16 * KIB, 2, 64 * KIB, 4, 1, 64},       // tiny, 2-way
        {8 * KIB, 1, 32 * KIB, 1, 128 * KIB, 1, 2, 32},      // direct-mapped
    };

    private static long[] caches(long[] c) {
        return new long[] {c[0], c[1], c[7], 1, c[2], c[3], c[7], 1, c[4], c[5], c[7], c[6]};
    }

    @BeforeAll
    static void nativeLibrary() {
        assumeTrue(CpuKernels.isAvailable(), () -> "native cpu kernels unavailable: " + CpuKernels.loadFailure());
    }

    private static int[] derive(long[] caches, int mr, int nr, boolean largeC) {
        return derive(caches, mr, nr, largeC, false);
    }

    private static int[] derive(long[] caches, int mr, int nr, boolean largeC, boolean streamB) {
        int[] b = new int[3];
        CpuLibrary.cortado_gemm_derive_blocks(caches, mr, nr, largeC ? 1 : 0, streamB ? 1 : 0, b);
        return b;
    }

    @Test
    void derivedBlocksKeepTheModelsInvariants() {
        for (long[] c : CACHES) {
            long[] caches = caches(c);
            long l1 = c[0], ways = Math.max(2, c[1]), line = c[7], wayBytes = l1 / ways, l2 = c[2];
            long l3Share = c[4] > 0 ? Math.min(4 * MIB, c[4] / c[6]) : l2; // without an L3, B is sized for L2
            for (int[] tile : TILES) {
                int mr = tile[0], nr = tile[1];
                int[] small = derive(caches, mr, nr, false), large = derive(caches, mr, nr, true);
                String where = java.util.Arrays.toString(c) + " " + mr + "x" + nr + ": mc/kc/nc " + java.util.Arrays.toString(small);
                int mc = small[0], kc = small[1], nc = small[2];
                assertTrue(kc >= 16, where);
                // L1: the A and B micro-panels in ways of their own, one way left for C, kc the
                // largest for which they fit (with 2 ways or fewer: together in the one left)
                assertTrue(l1Fits(kc, mr, nr, ways, wayBytes) || kc == 16, where);
                assertTrue(!l1Fits(kc + 1, mr, nr, ways, wayBytes) || kc == 4096, where);
                // L2 and L3: mc a multiple of mr, nc of nr, each block within half its cache (or one tile)
                assertEquals(0, mc % mr, where);
                assertEquals(0, nc % nr, where);
                assertTrue(mc == mr || 4L * mc * kc <= l2 / 2 && 4L * (mc + mr) * kc > l2 / 2 || mc == 1 << 16, where);
                assertTrue(nc == nr || 4L * nc * kc <= l3Share / 2 && 4L * (nc + nr) * kc > l3Share / 2, where);
                // a C larger than L2: kc doubled as far as the B micro-panel alone fits in L1 less a way
                assertEquals(Math.max(kc, Math.min(2L * kc, (ways - 1) * wayBytes / (4L * nr))), large[1], where);
                assertTrue(large[0] <= mc && large[2] <= nc && large[0] % mr == 0 && large[2] % nr == 0, where);
                // B streamed from L2 (Zen 4's AVX-512 tiles): kc as large as keeps the A micro-panel in
                // all but two of L1's ways, if that is more; mc and nc derived for it as above
                int[] streamed = derive(caches, mr, nr, false, true);
                long kcA = Math.max(kc, Math.min(4096, (ways - 2) * wayBytes / (4L * mr)));
                String s = where + ", streamed " + java.util.Arrays.toString(streamed);
                assertEquals(kcA, streamed[1], s);
                assertTrue(streamed[0] == mr || 4L * streamed[0] * kcA <= l2 / 2 && 4L * (streamed[0] + mr) * kcA > l2 / 2, s);
                assertTrue(streamed[2] == nr || 4L * streamed[2] * kcA <= l3Share / 2 && 4L * (streamed[2] + nr) * kcA > l3Share / 2, s);
            }
        }
    }

    @Test
    void knownCpusGetTheModelsBlocks() {
        // Zen 3, AVX2 6x16: 7 of 8 ways of 4 KiB, 2 for the A micro-panel (24 bytes per step of k)
        // and 5 for the B micro-panel (64 bytes): kc = 20 KiB / 64 = 320; mc = 256 KiB / 1280 = 204;
        // nc = 1 MiB (half of 32 MiB / 16) / 1280 = 819 -> 816
        assertArrayEquals3(new int[] {204, 320, 816}, derive(caches(CACHES[0]), 6, 16, false));
        // a socket's 256 MiB L3 reported as one thread's: held to 4 MiB per thread, nc = 2 MiB / 1280 -> 1632
        assertArrayEquals3(new int[] {204, 320, 1632}, derive(caches(CACHES[5]), 6, 16, false));
        // Sapphire Rapids, AVX-512 12x32: 11 of 12 ways, 3 for A (48 bytes a step) and 8 for B (128):
        // kc = 256 (the blocking measured best on a Xeon before it was derived)
        assertArrayEquals3(new int[] {1020, 256, 480}, derive(caches(CACHES[3]), 12, 32, false));
        // Zen 4, AVX-512 12x32: 7 of 8 ways, 2 for A and 5 for B: kc = 20 KiB / 128 = 160
        assertArrayEquals3(new int[] {816, 160, 1632}, derive(caches(CACHES[1]), 12, 32, false));
        // the same with B streamed from L2, as Zen 4 runs it: the A micro-panel (48 bytes a step) in 6
        // ways, kc = 24 KiB / 48 = 512; mc = 512 KiB / 2 KiB = 256 -> 252, nc = 1 MiB / 2 KiB = 512
        assertArrayEquals3(new int[] {252, 512, 512}, derive(caches(CACHES[1]), 12, 32, false, true));
        // Zen 3 and a C larger than L2: kc doubled to 640 would not keep the B micro-panel (64 bytes a
        // step) in 7 ways of 4 KiB: 448; mc = 256 KiB / 1792 = 146 -> 144, nc = 2 MiB / 1792 = 1170 -> 1168
        assertArrayEquals3(new int[] {144, 448, 1168}, derive(caches(CACHES[5]), 6, 16, true));
    }

    private static void assertArrayEquals3(int[] expected, int[] got) {
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(got));
    }

    @Test
    void machineCachesAreReadAndDescribed() {
        long[] c = new long[13];
        CpuLibrary.cortado_cache_sizes(c);
        assertTrue(c[0] >= 4 * KIB && c[4] >= c[0] && c[8] >= 0, java.util.Arrays.toString(c));
        for (int level = 0; level < 3; level++) {
            assertTrue(c[4 * level + 1] >= 1 && c[4 * level + 2] >= 16 && c[4 * level + 3] >= 1, java.util.Arrays.toString(c));
        }
        assertTrue(c[12] > 0 && c[12] <= 4 * MIB && c[12] <= Math.max(c[8], 1), java.util.Arrays.toString(c));
        String d = CpuKernels.gemmBlocking();
        assertTrue(d.startsWith("L1d ") && d.contains(CpuKernels.isa() + " ") && d.contains("mc/kc/nc"), d);
    }

    /** Tiny made-up caches: blocks of a few tiles, so that small GEMMs cross every block boundary. */
    private static final long[][] TINY = {
        {4 * KIB, 2, 16 * KIB, 2, 64 * KIB, 4, 1, 64},
        {8 * KIB, 4, 24 * KIB, 3, 96 * KIB, 3, 3, 64},
    };

    @Test
    void gemmUnderBlocksFromTinyCachesEqualsTheProduct() {
        KernelSet cpu = new CpuKernels();
        CpuKernels.Isa best = CpuKernels.bestIsa();
        int threadsBefore = CpuKernels.threads();
        Random rng = new Random(7);
        // {m, n, k}: C within the tiny L2 and beyond it, k a little past a kc, few columns, few rows past 8
        int[][] shapes = {{30, 20, 200}, {97, 131, 300}, {200, 333, 257}, {9, 700, 90}, {450, 17, 129}};
        try {
            for (long[] tiny : TINY) {
                CpuLibrary.cortado_gemm_set_caches(caches(tiny));
                for (CpuKernels.Isa isa : CpuKernels.Isa.values()) {
                    if (isa.ordinal() > best.ordinal()) continue;
                    CpuKernels.setIsa(isa);
                    int[] in = new int[5];
                    CpuLibrary.cortado_gemm_blocking(120, 1, in);
                    boolean streamB = CpuLibrary.cortado_gemm_streams_b() != 0 && in[1] >= 32;
                    assertArrayEquals3(derive(caches(tiny), in[0], in[1], false, streamB), new int[] {in[2], in[3], in[4]});
                    for (int[] s : shapes) {
                        for (int threads = 1; threads <= 2; threads++) {
                            CpuKernels.setThreads(threads);
                            for (boolean ta : new boolean[] {false, true}) {
                                checkGemm(cpu, rng, ta, !ta, s[0], s[1], s[2], isa + " " + threads + " threads " + java.util.Arrays.toString(tiny));
                            }
                        }
                    }
                }
            }
        } finally {
            CpuLibrary.cortado_gemm_set_caches(null);
            CpuKernels.setIsa(best);
            CpuKernels.setThreads(threadsBefore);
        }
        int[] restored = new int[5];
        CpuLibrary.cortado_gemm_blocking(120, 1, restored);
        long[] machine = new long[13];
        CpuLibrary.cortado_cache_sizes(machine);
        assertTrue(restored[3] >= 16 && machine[0] >= 4 * KIB, "the machine's caches are back");
    }

    /** C = 1.5 op(A) op(B) into a NaN-poisoned C, against the product summed in double. */
    private static void checkGemm(KernelSet cpu, Random rng, boolean ta, boolean tb, int m, int n, int k, String where) {
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextFloat() * 2 - 1;
        for (int i = 0; i < b.length; i++) b[i] = rng.nextFloat() * 2 - 1;
        java.util.Arrays.fill(c, Float.NaN);
        float[] got;
        try (Tensor ta_ = Tensor.of(a, a.length); Tensor tb_ = Tensor.of(b, b.length); Tensor tc = Tensor.of(c, c.length)) {
            cpu.gemm(ta, tb, m, n, k, 1.5f, ta_.ptr(), ta ? m : k, tb_.ptr(), tb ? k : n, 0f, tc.ptr(), n);
            got = tc.toArray();
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = (ta ? a[p * m + i] : a[i * k + p]) * (double) (tb ? b[j * k + p] : b[p * n + j]);
                    sum += x;
                    mag += Math.abs(x);
                }
                double expected = 1.5 * sum, g = got[i * n + j];
                if (Double.isNaN(g) || Math.abs(g - expected) > 1e-5 * 1.5 * mag + 1e-6) {
                    fail(where + " " + m + "x" + n + "x" + k + (ta ? " A^T" : "") + (tb ? " B^T" : "") + ": C[" + i + "," + j + "] " + g + ", expected " + expected);
                }
            }
        }
    }

    private static boolean l1Fits(long kc, int mr, int nr, long ways, long wayBytes) {
        if (ways <= 2) return 4L * (mr + nr) * kc <= wayBytes;
        return ceilDiv(4L * mr * kc, wayBytes) + ceilDiv(4L * nr * kc, wayBytes) <= ways - 1;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
