package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.iota;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.PerBackend;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.memory.SimAllocator;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shape ops (Shapes): hand-computed values, which results share memory with their input,
 * gradient checks on many shapes and every axis, bad input, and sim against java bit for bit;
 * per backend.
 */
abstract class ShapeOpsTest extends PerBackend {

    static final class JavaTest extends ShapeOpsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends ShapeOpsTest {
        CpuTest() {
            super("cpu");
        }
    }

    ShapeOpsTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(11);


    private static Tensor t(float[] v, int... shape) {
        return Tensor.of(v, shape);
    }

    private static float[] f(float... v) {
        return v;
    }

    private static void same(float[] values, int[] shape, Tensor y) {
        assertArrayEquals(shape, y.shape(), "shape");
        assertArrayEquals(values, y.toArray());
    }



    /** Random integer positions in [0, len) as floats (repeats likely). */
    private Tensor indices(int len, int... shape) {
        float[] v = new float[(int) Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(len);
        return Tensor.of(v, shape);
    }



    // ---- values --------------------------------------------------------------------------------

    @Test
    void narrowSliceSelectValues() {
        Tensor x = iota(2, 5); // [[0 1 2 3 4] [5 6 7 8 9]]
        same(f(1, 2, 3, 6, 7, 8), new int[] {2, 3}, Shapes.narrow(x, 1, 1, 3));
        same(f(5, 6, 7, 8, 9), new int[] {1, 5}, Shapes.narrow(x, 0, 1, 1));
        same(f(3, 4, 8, 9), new int[] {2, 2}, Shapes.narrow(x, -1, -2, 2));
        same(f(), new int[] {2, 0}, Shapes.narrow(x, 1, 5, 0));
        same(f(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), new int[] {2, 5}, Shapes.narrow(x, 0, 0, 2));

        Tensor y = iota(3, 4); // [[0 1 2 3] [4 5 6 7] [8 9 10 11]]
        same(f(0, 2, 4, 6, 8, 10), new int[] {3, 2}, Shapes.slice(y, 1, 0, 4, 2));
        same(f(1, 3, 5, 7, 9, 11), new int[] {3, 2}, Shapes.slice(y, 1, 1, Integer.MAX_VALUE, 2));
        same(f(4, 5, 6, 7, 8, 9, 10, 11), new int[] {2, 4}, Shapes.slice(y, 0, -2, 100, 1));
        same(f(0, 1, 2, 4, 5, 6, 8, 9, 10), new int[] {3, 3}, Shapes.slice(y, -1, -100, -1, 1));
        same(f(0, 1, 2, 3, 8, 9, 10, 11), new int[] {2, 4}, Shapes.slice(y, 0, 0, 3, 2));
        same(f(), new int[] {3, 0}, Shapes.slice(y, 1, 3, 1, 1));
        same(f(), new int[] {0, 4}, Shapes.slice(y, 0, 7, 9, 1));
        same(f(1, 4), new int[] {2}, Shapes.slice(iota(7), 0, 1, 6, 3));
        same(f(1, 4), new int[] {2}, Shapes.slice(iota(7), 0, 1, 7, 3));
        same(f(6), new int[] {1}, Shapes.slice(iota(7), 0, -1, Integer.MAX_VALUE, 5));

        same(f(4, 5, 6, 7), new int[] {4}, Shapes.select(y, 0, 1));
        same(f(3, 7, 11), new int[] {3}, Shapes.select(y, 1, -1));
        same(f(1, 5, 9), new int[] {3}, Shapes.select(y, -1, 1));
        same(f(2), new int[] {}, Shapes.select(iota(4), 0, 2));
        same(f(), new int[] {0}, Shapes.select(iota(2, 0), 0, 1));
    }

    @Test
    void indexSelectEmbeddingGatherValues() {
        Tensor y = iota(3, 4);
        same(f(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11), new int[] {3, 4}, Shapes.indexSelect(y, 0, t(f(2, 0, 2), 3)));
        same(f(3, 1, 7, 5, 11, 9), new int[] {3, 2}, Shapes.indexSelect(y, -1, t(f(3, 1), 2)));
        same(f(), new int[] {3, 0}, Shapes.indexSelect(y, 1, Tensor.zeros(0)));

        Tensor w = iota(4, 3); // rows [0 1 2] [3 4 5] [6 7 8] [9 10 11]
        same(f(3, 4, 5, 9, 10, 11, 0, 1, 2, 3, 4, 5), new int[] {2, 2, 3}, Shapes.embedding(w, t(f(1, 3, 0, 1), 2, 2)));
        same(f(6, 7, 8), new int[] {3}, Shapes.embedding(w, Tensor.scalar(2)));
        same(f(), new int[] {0, 3}, Shapes.embedding(w, Tensor.zeros(0)));

        same(f(0, 0, 5, 4, 11, 10), new int[] {3, 2}, Shapes.gather(y, 1, t(f(0, 0, 1, 0, 3, 2), 3, 2)));
        same(f(8, 5, 2, 3), new int[] {1, 4}, Shapes.gather(y, 0, t(f(2, 1, 0, 0), 1, 4)));
        Tensor z = iota(2, 2, 2); // [[[0 1] [2 3]] [[4 5] [6 7]]]
        same(f(2, 1, 0, 3, 4, 7, 6, 5), new int[] {2, 2, 2}, Shapes.gather(z, 1, t(f(1, 0, 0, 1, 0, 1, 1, 0), 2, 2, 2)));
        same(f(), new int[] {3, 0}, Shapes.gather(y, 1, Tensor.zeros(3, 0)));
    }

    @Test
    void concatStackValues() {
        Tensor a = iota(2, 3), b = t(f(10, 11, 12), 1, 3), c = t(f(10, 11), 2, 1);
        same(f(0, 1, 2, 3, 4, 5, 10, 11, 12), new int[] {3, 3}, Shapes.concat(0, a, b));
        same(f(0, 1, 2, 10, 3, 4, 5, 11), new int[] {2, 4}, Shapes.concat(1, a, c));
        same(f(10, 0, 1, 2, 11, 3, 4, 5), new int[] {2, 4}, Shapes.concat(-1, c, a));
        same(f(0, 1, 2, 3, 4, 5), new int[] {2, 3}, Shapes.concat(-1, a, Tensor.zeros(2, 0)));
        same(f(0, 1, 2, 3, 4, 5), new int[] {2, 3}, Shapes.concat(0, a));
        same(f(), new int[] {0, 3}, Shapes.concat(0, Tensor.zeros(0, 3), Tensor.zeros(0, 3)));
        same(f(0, 1, 0, 1), new int[] {4}, Shapes.concat(0, iota(2), iota(2)));

        Tensor d = t(f(10, 11, 12, 13, 14, 15), 2, 3);
        same(f(0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15), new int[] {2, 2, 3}, Shapes.stack(0, a, d));
        same(f(0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15), new int[] {2, 2, 3}, Shapes.stack(1, a, d));
        same(f(0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15), new int[] {2, 3, 2}, Shapes.stack(2, a, d));
        same(f(0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15), new int[] {2, 3, 2}, Shapes.stack(-1, a, d));
        same(f(0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15), new int[] {2, 2, 3}, Shapes.stack(-3, a, d));
        same(f(3, 7), new int[] {2}, Shapes.stack(0, Tensor.scalar(3), Tensor.scalar(7)));
        same(f(), new int[] {2, 0}, Shapes.stack(0, Tensor.zeros(0), Tensor.zeros(0)));
    }

    @Test
    void splitChunkValues() {
        Tensor[] p = Shapes.split(iota(5, 2), 0, 2);
        assertEquals(3, p.length);
        same(f(0, 1, 2, 3), new int[] {2, 2}, p[0]);
        same(f(4, 5, 6, 7), new int[] {2, 2}, p[1]);
        same(f(8, 9), new int[] {1, 2}, p[2]);
        p = Shapes.split(iota(2, 5), -1, 2);
        assertEquals(3, p.length);
        same(f(0, 1, 5, 6), new int[] {2, 2}, p[0]);
        same(f(2, 3, 7, 8), new int[] {2, 2}, p[1]);
        same(f(4, 9), new int[] {2, 1}, p[2]);
        p = Shapes.split(iota(3), 0, 5);
        assertEquals(1, p.length);
        same(f(0, 1, 2), new int[] {3}, p[0]);
        p = Shapes.split(iota(0, 3), 0, 0);
        assertEquals(1, p.length);
        assertArrayEquals(new int[] {0, 3}, p[0].shape());
        p = Shapes.split(iota(0, 3), 0, 2);
        assertEquals(1, p.length);
        assertArrayEquals(new int[] {0, 3}, p[0].shape());

        p = Shapes.chunk(iota(5), 0, 3);
        assertEquals(3, p.length);
        same(f(0, 1), new int[] {2}, p[0]);
        same(f(2, 3), new int[] {2}, p[1]);
        same(f(4), new int[] {1}, p[2]);
        p = Shapes.chunk(iota(6), 0, 4); // torch.chunk: pieces of ceil(6/4) = 2, so only 3 of them
        assertEquals(3, p.length);
        same(f(4, 5), new int[] {2}, p[2]);
        p = Shapes.chunk(iota(2, 4), 1, 2);
        assertEquals(2, p.length);
        same(f(0, 1, 4, 5), new int[] {2, 2}, p[0]);
        same(f(2, 3, 6, 7), new int[] {2, 2}, p[1]);
        p = Shapes.chunk(iota(2, 3), 1, 5);
        assertEquals(3, p.length);
        same(f(2, 5), new int[] {2, 1}, p[2]);
        p = Shapes.chunk(iota(0, 2), 0, 3);
        assertEquals(3, p.length);
        for (Tensor piece : p) assertArrayEquals(new int[] {0, 2}, piece.shape());
    }

    @Test
    void splitIntoManyPiecesAlongAnInnerAxisEqualsNarrow() {
        // the layout of issue 20's [2, 5, 1048576, 3] split into pieces of 3 (laid out by one copy), smaller
        Tensor x = iota(2, 5, 301, 3);
        Tensor[] p = Shapes.split(x, 2, 3);
        assertEquals(101, p.length);
        for (int i = 0; i < p.length; i++) {
            int len = i < 100 ? 3 : 1;
            assertArrayEquals(new int[] {2, 5, len, 3}, p[i].shape(), "piece " + i);
            assertArrayEquals(Shapes.narrow(x, 2, 3 * i, len).toArray(), p[i].toArray(), "piece " + i);
        }
        x.set(-1f, 1, 4, 299, 2);
        assertEquals(1f * (1 * 5 * 301 * 3 + 4 * 301 * 3 + 299 * 3 + 2), p[99].get(1, 4, 2, 2), "pieces are copies, not views of x");
        p[0].set(-5f, 0, 0, 0, 0);
        assertEquals(9f, p[1].get(0, 0, 0, 0), "pieces do not overlap");
        Tensor[] c = Shapes.chunk(x, 2, 7);
        assertEquals(7, c.length);
        assertArrayEquals(Shapes.narrow(x, 2, 6 * 43, 43).toArray(), c[6].toArray());
    }

    @Test
    void transposePermuteValues() {
        same(f(0, 3, 1, 4, 2, 5), new int[] {3, 2}, Shapes.transpose(iota(2, 3), 0, 1));
        same(f(0, 3, 1, 4, 2, 5), new int[] {3, 2}, Shapes.transpose(iota(2, 3), -1, -2));
        same(f(0, 1, 2, 3, 4, 5), new int[] {2, 3}, Shapes.transpose(iota(2, 3), 1, 1));
        same(f(0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23), new int[] {4, 2, 3},
                Shapes.permute(iota(2, 3, 4), 2, 0, 1));
        same(f(0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23), new int[] {4, 3, 2},
                Shapes.transpose(iota(2, 3, 4), 0, 2));
        same(f(0, 1, 2, 3, 4, 5), new int[] {3, 1, 2}, Shapes.permute(iota(1, 3, 2), 1, 0, 2));
        same(f(7), new int[] {}, Shapes.permute(Tensor.scalar(7)));
        same(f(), new int[] {3, 0, 2}, Shapes.permute(Tensor.zeros(2, 0, 3), -1, 1, 0));
        // rank 4, every permutation, against the index rule y[i_p0, i_p1, ...] = x[i]
        int[] s = {2, 3, 1, 4};
        Tensor x = iota(s);
        for (int[] perm : permutations(4)) {
            Tensor y = Shapes.permute(x, perm);
            int[] ys = y.shape();
            for (int k = 0; k < 4; k++) assertEquals(s[perm[k]], ys[k]);
            float[] v = y.toArray();
            int[] at = new int[4];
            for (int i = 0; i < v.length; i++) {
                int rest = i;
                for (int k = 3; k >= 0; k--) {
                    at[perm[k]] = rest % ys[k];
                    rest /= ys[k];
                }
                assertEquals(((at[0] * 3 + at[1]) * 1 + at[2]) * 4 + at[3], v[i], 0f, Arrays.toString(perm) + " element " + i);
            }
        }
    }

    private static List<int[]> permutations(int n) {
        List<int[]> out = new ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(int[] p, boolean[] used, int k, List<int[]> out) {
        if (k == p.length) {
            out.add(p.clone());
            return;
        }
        for (int i = 0; i < p.length; i++) {
            if (used[i]) continue;
            used[i] = true;
            p[k] = i;
            permute(p, used, k + 1, out);
            used[i] = false;
        }
    }

    @Test
    void unsqueezeSqueezeExpandContiguousValues() {
        Tensor x = iota(2, 3);
        float[] v = x.toArray();
        same(v, new int[] {1, 2, 3}, Shapes.unsqueeze(x, 0));
        same(v, new int[] {2, 1, 3}, Shapes.unsqueeze(x, 1));
        same(v, new int[] {2, 3, 1}, Shapes.unsqueeze(x, 2));
        same(v, new int[] {2, 3, 1}, Shapes.unsqueeze(x, -1));
        same(v, new int[] {1, 2, 3}, Shapes.unsqueeze(x, -3));
        same(f(5), new int[] {1}, Shapes.unsqueeze(Tensor.scalar(5), 0));

        Tensor y = iota(1, 2, 1, 3);
        same(v, new int[] {2, 3}, Shapes.squeeze(y));
        same(v, new int[] {1, 2, 3}, Shapes.squeeze(y, 2));
        same(v, new int[] {2, 1, 3}, Shapes.squeeze(y, -4));
        same(v, new int[] {1, 2, 1, 3}, Shapes.squeeze(y, 1)); // size 2: unchanged, as PyTorch
        same(f(0), new int[] {}, Shapes.squeeze(iota(1, 1)));
        same(f(), new int[] {0, 2}, Shapes.squeeze(Tensor.zeros(1, 0, 1, 2)));

        same(f(1, 2, 3, 1, 2, 3), new int[] {2, 3}, Shapes.expand(t(f(1, 2, 3), 3), 2, 3));
        same(f(1, 1, 1, 2, 2, 2), new int[] {2, 3}, Shapes.expand(t(f(1, 2), 2, 1), -1, 3));
        same(f(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2), new int[] {2, 2, 3}, Shapes.expand(t(f(1, 2), 2, 1), 2, -1, 3));
        same(f(4, 4, 4, 4), new int[] {2, 2}, Shapes.expand(Tensor.scalar(4), 2, 2));
        same(f(), new int[] {0}, Shapes.expand(t(f(1), 1), 0));
        same(f(), new int[] {0, 3}, Shapes.expand(t(f(1, 2, 3), 3), 0, 3));
        same(v, new int[] {2, 3}, Shapes.expand(x, 2, 3));
        same(v, new int[] {1, 2, 3}, Shapes.expand(x, 1, -1, -1));

        same(v, new int[] {2, 3}, Shapes.contiguous(x));
    }

    // ---- views and copies ----------------------------------------------------------------------

    /** Whether y shares x's memory: writes x's element {@code at} and sees whether y's element {@code in} follows. */
    private static boolean shares(Tensor x, int[] at, Tensor y, int[] in) {
        try (GradMode off = GradMode.off()) {
            float before = y.get(in);
            x.set(1000f + before, at);
            return y.get(in) == 1000f + before;
        }
    }

    @Test
    void viewsShareMemoryCopiesDoNot() {
        Tensor x = iota(4, 5).requiresGrad(true); // views work on tensors in the graph too
        assertTrue(shares(x, new int[] {1, 2}, Shapes.narrow(x, 0, 1, 2), new int[] {0, 2}), "narrow along dim 0");
        assertTrue(shares(x, new int[] {2, 0}, Shapes.slice(x, 0, 2, 4, 1), new int[] {0, 0}), "slice with step 1 along dim 0");
        assertTrue(shares(x, new int[] {3, 4}, Shapes.select(x, 0, 3), new int[] {4}), "select along dim 0");
        assertTrue(shares(x, new int[] {2, 1}, Shapes.split(x, 0, 2)[1], new int[] {0, 1}), "split along dim 0");
        assertTrue(shares(x, new int[] {3, 3}, Shapes.chunk(x, 0, 2)[1], new int[] {1, 3}), "chunk along dim 0");
        assertTrue(shares(x, new int[] {1, 1}, Shapes.unsqueeze(x, 1), new int[] {1, 0, 1}), "unsqueeze");
        assertTrue(shares(x, new int[] {1, 1}, Shapes.squeeze(Shapes.unsqueeze(x, 0)), new int[] {1, 1}), "squeeze");
        assertTrue(shares(x, new int[] {0, 4}, Shapes.contiguous(x), new int[] {0, 4}), "contiguous");
        assertTrue(shares(x, new int[] {2, 2}, Shapes.expand(x, 1, 4, 5), new int[] {0, 2, 2}), "expand that adds a leading 1");
        Tensor row = iota(1, 6);
        assertTrue(shares(row, new int[] {0, 3}, Shapes.narrow(row, 1, 2, 3), new int[] {0, 1}), "narrow after size-1 axes");
        assertTrue(shares(row, new int[] {0, 4}, Shapes.transpose(row, 0, 1), new int[] {4, 0}), "transpose keeping the order");
        Tensor cube = iota(1, 3, 4);
        assertTrue(shares(cube, new int[] {0, 2, 1}, Shapes.select(cube, 1, 2), new int[] {0, 1}), "select after size-1 axes");
        assertTrue(shares(cube, new int[] {0, 1, 3}, Shapes.permute(cube, 1, 0, 2), new int[] {1, 0, 3}), "permute keeping the order");

        Tensor y = iota(4, 5);
        assertTrue(!shares(y, new int[] {1, 2}, Shapes.narrow(y, 1, 1, 2), new int[] {1, 1}), "narrow along dim 1 copies");
        assertTrue(!shares(y, new int[] {2, 0}, Shapes.slice(y, 0, 0, 4, 2), new int[] {1, 0}), "slice with step 2 copies");
        assertTrue(!shares(y, new int[] {3, 1}, Shapes.select(y, 1, 1), new int[] {3}), "select along dim 1 copies");
        assertTrue(!shares(y, new int[] {0, 1}, Shapes.transpose(y, 0, 1), new int[] {1, 0}), "transpose copies");
        assertTrue(!shares(y, new int[] {0, 3}, Shapes.split(y, 1, 2)[1], new int[] {0, 1}), "split along dim 1 copies");
        Tensor col = iota(3, 1);
        assertTrue(!shares(col, new int[] {1, 0}, Shapes.expand(col, 3, 2), new int[] {1, 1}), "expand that repeats copies");
        assertTrue(!shares(y, new int[] {0, 0}, Shapes.concat(0, y, y), new int[] {0, 0}), "concat copies");
        assertTrue(!shares(y, new int[] {0, 0}, Shapes.stack(0, y), new int[] {0, 0, 0}), "stack copies");
        assertTrue(!shares(y, new int[] {2, 0}, Shapes.indexSelect(y, 0, t(f(2), 1)), new int[] {0, 0}), "index_select copies");
    }

    @Test
    void stridedWriteBackOfInterleavedLayouts() {
        // columns 0 and 3 of rows of 4 (the gradient of a slice with step 3): the column axis reaches past the row stride
        Tensor dst = Tensor.zeros(12);
        Strides.copyInto(iota(3, 2).add(1f), dst, new long[] {4, 3}, 0);
        assertArrayEquals(f(1, 0, 0, 2, 3, 0, 0, 4, 5, 0, 0, 6), dst.toArray());
        // a slice with step 2 of rows of 5 (columns 0, 2, 4), written back in one kernel call
        dst = Tensor.zeros(10);
        Strides.copyInto(iota(2, 3).add(1f), dst, new long[] {5, 2}, 0);
        assertArrayEquals(f(1, 0, 2, 0, 3, 4, 0, 5, 0, 6), dst.toArray());
    }

    // ---- autograd ------------------------------------------------------------------------------

    @Test
    void eachOpIsRecordedUnderItsName() {
        Tensor x = leaf(rng, 2, 3, 4);
        Tensor idx = t(f(1, 0), 2);
        assertEquals("narrow", Shapes.narrow(x, 0, 0, 1).gradFn());   // a view
        assertEquals("narrow", Shapes.narrow(x, 2, 1, 2).gradFn());   // a copy
        assertEquals("slice", Shapes.slice(x, 1, 0, 3, 2).gradFn());
        assertEquals("select", Shapes.select(x, 1, 0).gradFn());
        assertEquals("split", Shapes.split(x, 0, 1)[1].gradFn());
        assertEquals("chunk", Shapes.chunk(x, 2, 2)[0].gradFn());
        assertEquals("index_select", Shapes.indexSelect(x, 1, idx).gradFn());
        assertEquals("embedding", Shapes.embedding(leaf(rng, 3, 2), idx).gradFn());
        assertEquals("gather", Shapes.gather(x, 0, Tensor.zeros(1, 3, 4)).gradFn());
        assertEquals("concat", Shapes.concat(0, x, x).gradFn());
        assertEquals("stack", Shapes.stack(0, x, x).gradFn());
        assertEquals("transpose", Shapes.transpose(x, 0, 2).gradFn());
        assertEquals("permute", Shapes.permute(x, 2, 0, 1).gradFn());
        assertEquals("unsqueeze", Shapes.unsqueeze(x, 0).gradFn());
        assertEquals("squeeze", Shapes.squeeze(x).gradFn());
        assertEquals("expand", Shapes.expand(x, 3, 2, 3, 4).gradFn());
        assertEquals("contiguous", Shapes.contiguous(x).gradFn());
        assertNull(Shapes.narrow(iota(2, 3), 1, 0, 1).gradFn()); // nothing requires grad: nothing recorded
    }

    @Test
    void indicesGetNoGradientAndMustNotChangeBeforeBackward() {
        Tensor x = leaf(rng, 3, 4);
        Tensor idx = t(f(2, 2, 0), 3).requiresGrad(true);
        Shapes.indexSelect(x, 0, idx).sum().backward();
        assertNull(idx.grad(), "an index receives no gradient");
        assertArrayEquals(f(1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2), x.grad().toArray()); // repeated rows add up

        Tensor ids = t(f(1, 0, 1), 3);
        Tensor w = leaf(rng, 2, 2);
        Tensor e = Shapes.embedding(w, ids);
        ids.set(0f, 0); // changed in place after embedding saved it
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.sum().backward());
        assertTrue(ex.getMessage().contains("embedding") && ex.getMessage().contains("modified in place"), ex.getMessage());

        Tensor gi = Tensor.zeros(1, 4);
        Tensor gy = Shapes.gather(x, 0, gi);
        gi.fill(1f);
        assertThrows(IllegalStateException.class, () -> gy.sum().backward());
    }

    @Test
    void gradientsOfWindows() {
        int[][] shapes = {{5}, {3, 4}, {2, 1, 4}, {2, 3, 4}, {1, 3, 1, 2}, {2, 0, 3}, {3, 2, 2, 3}};
        for (int[] s : shapes) {
            for (int dim = -s.length; dim < s.length; dim++) {
                int d = dim, n = s[dim < 0 ? dim + s.length : dim];
                String at = Shape.str(s) + " dim " + d;
                int start = n == 0 ? 0 : rng.nextInt(n), len = n == 0 ? 0 : 1 + rng.nextInt(n - start);
                gradOk("narrow " + at, in -> Shapes.narrow(in[0], d, start, len), leaf(rng, s));
                gradOk("narrow negative start " + at, in -> Shapes.narrow(in[0], d, start - n, len), leaf(rng, s));
                for (int step = 1; step <= 3; step++) {
                    int st = step;
                    gradOk("slice " + at + " step " + st, in -> Shapes.slice(in[0], d, start, Integer.MAX_VALUE, st), leaf(rng, s));
                    gradOk("slice negative " + at + " step " + st, in -> Shapes.slice(in[0], d, start - n, -1, st), leaf(rng, s));
                }
                if (n > 0) {
                    int index = rng.nextInt(n);
                    gradOk("select " + at, in -> Shapes.select(in[0], d, index), leaf(rng, s));
                    gradOk("select negative " + at, in -> Shapes.select(in[0], d, index - n), leaf(rng, s));
                }
                for (int size = 1; size <= Math.max(1, n); size++) {
                    int sz = size, pieces = Shapes.split(Tensor.zeros(s), d, sz).length;
                    for (int k = 0; k < pieces; k++) {
                        int kk = k;
                        gradOk("split " + at + " size " + sz + " piece " + kk, in -> Shapes.split(in[0], d, sz)[kk], leaf(rng, s));
                    }
                    gradOk("chunk " + at + " n " + sz, in -> {
                        Tensor[] p = Shapes.chunk(in[0], d, sz);
                        Tensor[] reversed = new Tensor[p.length];
                        for (int k = 0; k < p.length; k++) reversed[k] = p[p.length - 1 - k];
                        return Shapes.concat(d, reversed);
                    }, leaf(rng, s));
                }
            }
        }
    }

    @Test
    void gradientsOfIndexOps() {
        int[][] shapes = {{5}, {3, 4}, {2, 1, 4}, {2, 3, 4}, {1, 3, 1, 2}, {2, 0, 3}};
        for (int[] s : shapes) {
            for (int dim = -s.length; dim < s.length; dim++) {
                int d = dim < 0 ? dim + s.length : dim, n = s[d], dd = dim;
                String at = Shape.str(s) + " dim " + dim;
                int count = n == 0 ? 0 : 2 * n + 1; // more picks than positions: repeats
                Tensor index = indices(Math.max(n, 1), count);
                gradOk("indexSelect " + at, in -> Shapes.indexSelect(in[0], dd, index), leaf(rng, s));
                int[] is = s.clone();
                is[d] = count;
                Tensor gi = indices(Math.max(n, 1), is);
                gradOk("gather " + at, in -> Shapes.gather(in[0], dd, gi), leaf(rng, s));
            }
        }
        gradOk("embedding", in -> Shapes.embedding(in[0], t(f(3, 0, 3, 3, 1, 0), 2, 3)), leaf(rng, 4, 5));
        gradOk("embedding 0-d ids", in -> Shapes.embedding(in[0], Tensor.scalar(2)), leaf(rng, 4, 5));
        gradOk("embedding no ids", in -> Shapes.embedding(in[0], Tensor.zeros(2, 0)), leaf(rng, 4, 5));
    }

    @Test
    void gradientsOfJoinsPermutesAndExpands() {
        int[][] shapes = {{5}, {3, 4}, {2, 1, 4}, {2, 3, 4}, {2, 0, 3}};
        for (int[] s : shapes) {
            for (int dim = -s.length; dim < s.length; dim++) {
                int d = dim < 0 ? dim + s.length : dim, dd = dim;
                String at = Shape.str(s) + " dim " + dim;
                int[] other = s.clone();
                other[d] = 1 + rng.nextInt(3);
                int[] none = s.clone();
                none[d] = 0;
                gradOk("concat " + at, in -> Shapes.concat(dd, in[0], in[1], in[2]), leaf(rng, s), leaf(rng, other), leaf(rng, none));
                gradOk("concat with itself " + at, in -> Shapes.concat(dd, in[0], in[0]), leaf(rng, s));
                gradOk("stack " + at, in -> Shapes.stack(dd, in[0], in[1]), leaf(rng, s), leaf(rng, s));
                for (int d1 = -s.length; d1 < s.length; d1++) {
                    int e = d1;
                    gradOk("transpose " + at + " and " + e, in -> Shapes.transpose(in[0], dd, e), leaf(rng, s));
                }
            }
            int r = s.length;
            gradOk("stack last " + Shape.str(s), in -> Shapes.stack(r, in[0], in[1], in[2]), leaf(rng, s), leaf(rng, s), leaf(rng, s));
            gradOk("stack first " + Shape.str(s), in -> Shapes.stack(-r - 1, in[0], in[1]), leaf(rng, s), leaf(rng, s));
        }
        for (int[] perm : permutations(4)) {
            gradOk("permute " + Arrays.toString(perm), in -> Shapes.permute(in[0], perm), leaf(rng, 2, 3, 1, 2));
        }
        gradOk("permute negative dims", in -> Shapes.permute(in[0], -1, -3, -2), leaf(rng, 2, 3, 4));
        int[][][] expands = {
            {{3}, {2, 3}}, {{2, 1}, {2, 4}}, {{1}, {3, 2, 4}}, {{2, 1, 3}, {4, 2, 5, 3}}, {{1, 1}, {0, 1}}, {{1}, {0}},
            {{2, 3}, {2, 3}}, {{2, 3}, {1, 2, 3}}, {{}, {2, 2}}, {{1, 3, 1}, {2, -1, 3, -1}}};
        for (int[][] e : expands) {
            gradOk("expand " + Shape.str(e[0]) + " to " + Arrays.toString(e[1]), in -> Shapes.expand(in[0], e[1]), leaf(rng, e[0]));
        }
        gradOk("unsqueeze", in -> Shapes.unsqueeze(in[0], -2), leaf(rng, 2, 3));
        gradOk("squeeze", in -> Shapes.squeeze(in[0]), leaf(rng, 1, 3, 1, 2));
        gradOk("squeeze dim", in -> Shapes.squeeze(in[0], -2), leaf(rng, 1, 3, 1, 2));
        gradOk("contiguous", in -> Shapes.contiguous(in[0]), leaf(rng, 2, 3));
        // chains mixing views and copies
        gradOk("narrow dim 1 of a transpose", in -> Shapes.narrow(Shapes.transpose(in[0], 0, 1), 1, 1, 2), leaf(rng, 4, 3));
        gradOk("select of a strided slice of an expand", in -> Shapes.select(Shapes.slice(Shapes.expand(in[0], 3, 4, 5), 2, 0, 5, 2), 1, -1),
                leaf(rng, 4, 1));
        gradOk("gather of a permute", in -> Shapes.gather(Shapes.permute(in[0], 1, 0), 1, t(f(2, 2, 0, 1, 1, 1), 3, 2)), leaf(rng, 3, 3));
    }

    // ---- bad input -----------------------------------------------------------------------------

    @Test
    void badInputNamesTheProblem() {
        Tensor x = iota(2, 5);
        rejects("narrow: dim 2 out of range for shape [2, 5] (expected -2 to 1)", () -> Shapes.narrow(x, 2, 0, 1));
        rejects("narrow: dim -3 out of range", () -> Shapes.narrow(x, -3, 0, 1));
        rejects("narrow: start 3 + length 4 exceeds size 5 of dim 1 of shape [2, 5]", () -> Shapes.narrow(x, 1, 3, 4));
        rejects("narrow: start 6 out of range for size 5 of dim 1", () -> Shapes.narrow(x, 1, 6, 0));
        rejects("narrow: start -6 out of range", () -> Shapes.narrow(x, 1, -6, 1));
        rejects("narrow: length -1 must be >= 0", () -> Shapes.narrow(x, 1, 0, -1));
        rejects("narrow: dim 0 out of range for shape []", () -> Shapes.narrow(Tensor.scalar(1), 0, 0, 1));
        rejects("slice: step 0 must be >= 1", () -> Shapes.slice(x, 1, 0, 5, 0));
        rejects("slice: dim 2 out of range", () -> Shapes.slice(x, 2, 0, 5, 1));
        rejects("select: index 5 out of range for size 5 of dim 1 of shape [2, 5] (expected -5 to 4)", () -> Shapes.select(x, 1, 5));
        rejects("select: index -3 out of range for size 2 of dim 0", () -> Shapes.select(x, 0, -3));
        rejects("select: index 0 out of range for size 0 of dim 1 of shape [2, 0] (the axis is empty)",
                () -> Shapes.select(Tensor.zeros(2, 0), 1, 0));
        rejects("select: dim -3 out of range", () -> Shapes.select(x, -3, 0));

        rejects("indexSelect: index 5.0 at [1] is not an integer in [0, 5) (size 5 of dim 1 of shape [2, 5])",
                () -> Shapes.indexSelect(x, 1, t(f(0, 5), 2)));
        rejects("indexSelect: index -1.0 at [0]", () -> Shapes.indexSelect(x, 0, t(f(-1), 1)));
        rejects("indexSelect: index 0.5 at [0] is not an integer", () -> Shapes.indexSelect(x, 0, t(f(0.5f), 1)));
        rejects("indexSelect: index must be 1-D, got shape [1, 1]", () -> Shapes.indexSelect(x, 0, t(f(0), 1, 1)));
        rejects("indexSelect: dim 2 out of range", () -> Shapes.indexSelect(x, 2, t(f(0), 1)));
        rejects("indexSelect: index is null", () -> Shapes.indexSelect(x, 0, null));
        rejects("embedding: index 4.0 at [1, 0] is not an integer in [0, 4) (size 4 of dim 0 of shape [4, 3])",
                () -> Shapes.embedding(iota(4, 3), t(f(0, 1, 4, 2), 2, 2)));
        rejects("embedding: weight must be 2-D, got shape [4]", () -> Shapes.embedding(iota(4), t(f(0), 1)));
        rejects("gather: index 2.0 at [0, 1] is not an integer in [0, 2) (size 2 of dim 0 of shape [2, 5])",
                () -> Shapes.gather(x, 0, t(f(0, 2, 0, 0, 0), 1, 5)));
        rejects("gather: index shape [2, 4] and x shape [2, 5] differ at dim 1 (only dim 0, the one gathered along, may differ)",
                () -> Shapes.gather(x, 0, Tensor.zeros(2, 4)));
        rejects("gather: index shape [5] must have the rank of x shape [2, 5]", () -> Shapes.gather(x, 1, Tensor.zeros(5)));
        rejects("gather: dim 2 out of range", () -> Shapes.gather(x, 2, Tensor.zeros(2, 5)));

        rejects("concat: shapes [2, 5] (tensors[0]) and [2, 4] (tensors[1]) differ at dim 1 (only dim 0, the one joined along, may differ)",
                () -> Shapes.concat(0, x, iota(2, 4)));
        rejects("concat: shapes [2, 5] (tensors[0]) and [10] (tensors[2]) differ in rank", () -> Shapes.concat(1, x, x, iota(10)));
        rejects("concat: no tensors given", () -> Shapes.concat(0));
        rejects("concat: tensors[1] is null", () -> Shapes.concat(0, x, null));
        rejects("concat: dim 2 out of range", () -> Shapes.concat(2, x, x));
        rejects("concat: dim 0 out of range for shape []", () -> Shapes.concat(0, Tensor.scalar(1), Tensor.scalar(2)));
        rejects("stack: shapes [2, 5] (tensors[0]) and [5, 2] (tensors[1]) differ", () -> Shapes.stack(0, x, iota(5, 2)));
        rejects("stack: dim 3 out of range for a result of rank 3 from shape [2, 5] (expected -3 to 2)", () -> Shapes.stack(3, x, x));
        rejects("stack: no tensors given", () -> Shapes.stack(0, new Tensor[0]));

        rejects("split: size 0 must be > 0 for the non-empty dim 1 of shape [2, 5]", () -> Shapes.split(x, 1, 0));
        rejects("split: size -1 must be > 0", () -> Shapes.split(x, 1, -1));
        rejects("split: dim 2 out of range", () -> Shapes.split(x, 2, 1));
        rejects("chunk: n 0 must be >= 1 (shape [2, 5])", () -> Shapes.chunk(x, 1, 0));
        rejects("chunk: dim -3 out of range", () -> Shapes.chunk(x, -3, 1));

        rejects("transpose: dim 2 out of range for shape [2, 5]", () -> Shapes.transpose(x, 0, 2));
        rejects("permute: dims [0, 0] are not a permutation of the axes of shape [2, 5] (axis 0 appears twice)",
                () -> Shapes.permute(x, 0, 0));
        rejects("permute: dims [1, -1] are not a permutation", () -> Shapes.permute(x, 1, -1));
        rejects("permute: dims [1, 0, 2] name 3 axes, shape [2, 5] has 2", () -> Shapes.permute(x, 1, 0, 2));
        rejects("permute: dim 2 out of range for shape [2, 5]", () -> Shapes.permute(x, 2, 0));

        rejects("unsqueeze: dim 3 out of range for a result of rank 3 from shape [2, 5] (expected -3 to 2)", () -> Shapes.unsqueeze(x, 3));
        rejects("unsqueeze: dim -4 out of range", () -> Shapes.unsqueeze(x, -4));
        rejects("squeeze: dim 2 out of range for shape [2, 5]", () -> Shapes.squeeze(x, 2));

        rejects("expand: size 5 of dim 1 of shape [2, 5] cannot become 6", () -> Shapes.expand(x, 2, 6));
        rejects("expand: size 2 of dim 0 of shape [2, 5] cannot become 1", () -> Shapes.expand(x, 3, 1, 5));
        rejects("expand: sizes [5] name 1 axes, fewer than the 2 of shape [2, 5]", () -> Shapes.expand(x, 5));
        rejects("expand: size -1 for the new leading dim 0 must be >= 0", () -> Shapes.expand(x, -1, 2, 5));
        rejects("expand: size -2 for dim 1 must be >= 0 or -1", () -> Shapes.expand(t(f(1), 1, 1), 3, -2));

        rejects("narrow: x is null", () -> Shapes.narrow(null, 0, 0, 1));
        Tensor closed = iota(2);
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Shapes.select(closed, 0, 0));
        assertTrue(e.getMessage().contains("select: x [2] was closed"), e.getMessage());
        try (Tensor s = Tensor.zeros(Device.SIM, 2)) {
            rejects("concat: operands on different devices", () -> Shapes.concat(0, iota(2), s));
            rejects("gather: operands on different devices", () -> Shapes.gather(iota(2), 0, s));
            rejects("embedding: operands on different devices", () -> Shapes.embedding(iota(2, 2), s));
        }
    }

    // ---- the sim device ------------------------------------------------------------------------

    /** The outputs of a few shape ops and the gradients they send back, on {@code d}. */
    private static List<float[]> scenario(Device d) {
        Rng r = new Rng(5);
        Tensor x = Tensor.uniform(d, r, -1, 1, 3, 4, 2).requiresGrad(true);
        Tensor w = Tensor.uniform(d, r, -1, 1, 5, 3).requiresGrad(true);
        Tensor idx = Tensor.of(d, f(2, 0, 2, 1), 4), ids = Tensor.of(d, f(4, 4, 0, 1, 3, 4), 2, 3);
        Tensor gi = Tensor.of(d, f(3, 3, 0, 1, 2, 2, 1, 0, 3, 3, 3, 3), 3, 2, 2);
        List<Tensor> outs = List.of(
                Shapes.narrow(x, 1, 1, 2), Shapes.narrow(x, 0, 1, 2), Shapes.slice(x, 1, -1, 0, 1), Shapes.slice(x, 1, 0, 4, 3),
                Shapes.select(x, 2, -1), Shapes.split(x, 1, 3)[1], Shapes.chunk(x, 0, 2)[0], Shapes.indexSelect(x, 0, idx),
                Shapes.embedding(w, ids), Shapes.gather(x, 1, gi), Shapes.concat(1, x, x), Shapes.stack(2, x, x),
                Shapes.permute(x, 2, 0, 1), Shapes.transpose(x, 0, 1), Shapes.expand(Shapes.unsqueeze(x, 1), 3, 5, 4, 2),
                Shapes.squeeze(Shapes.narrow(x, 2, 1, 1)), Shapes.contiguous(x));
        List<float[]> out = new ArrayList<>();
        Tensor loss = null;
        for (Tensor y : outs) {
            out.add(y.toArray());
            Tensor seed = Tensor.uniform(d, r, -1, 1, y.shape());
            Tensor term = Arithmetic.mul(y, seed).sum();
            loss = loss == null ? term : loss.add(term);
        }
        long reads = d.isCpu() ? 0 : ((SimAllocator) Memory.allocator(d)).hostReads();
        loss.backward();
        if (!d.isCpu()) assertEquals(reads, ((SimAllocator) Memory.allocator(d)).hostReads(), "a backward read sim memory into the host");
        out.add(x.grad().toArray());
        out.add(w.grad().toArray());
        return out;
    }

    @Test
    void simMatchesJavaOnTheCpuBitForBit() {
        List<float[]> cpu, sim;
        try (Backends.Selection java = Backends.use("java"); MemoryScope scope = MemoryScope.open()) {
            cpu = scenario(Device.CPU);
        }
        try (Backends.Selection java = Backends.use("java"); MemoryScope scope = MemoryScope.open()) {
            sim = scenario(Device.SIM);
        }
        assertEquals(cpu.size(), sim.size());
        for (int i = 0; i < cpu.size(); i++) assertArrayEquals(cpu.get(i), sim.get(i), "part " + i);
    }

    @Test
    void splitAndChunkRefuseMorePiecesThanTheHeapHolds() {
        // found by the fuzzer: an empty tensor with a long axis split into pieces of 1 ran the Java heap out
        Tensor x = Tensor.zeros(1 << 21, 0);
        rejects("split: 2097152 pieces along dim 0 of shape [2097152, 0] (at most 1048576)", () -> Shapes.split(x, 0, 1));
        rejects("chunk: 2000000000 pieces along dim 1 of shape [2097152, 0]", () -> Shapes.chunk(x, 1, 2_000_000_000));
        assertEquals(2, Shapes.split(x, 0, 1 << 20).length);
    }

    /** F.pad's reflect and replicate modes, by hand (torch: F.pad(x, (2, 1), 'reflect') etc.), and their gradients. */
    @Test
    void reflectAndReplicatePadding() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}, x.pad(new int[] {2, 1}, Padding.Mode.REFLECT).toArray());
        assertArrayEquals(new float[] {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6}, x.pad(new int[] {2, 1}, Padding.Mode.REPLICATE).toArray());
        // two axes: rows reflected after columns, as torch's 2-D reflect pad (1, 1, 1, 0)
        Tensor two = x.pad(new int[] {1, 1, 1, 0}, Padding.Mode.REFLECT);
        assertArrayEquals(new int[] {3, 5}, two.shape());
        assertArrayEquals(new float[] {5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5}, two.toArray());
        Tensor rep = x.pad(new int[] {0, 0, 2, 1}, Padding.Mode.REPLICATE);
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, rep.toArray());
        // each output copies one input: the gradient counts the copies
        Tensor leaf = Tensor.of(new float[] {1, 2, 3}, 1, 3).requiresGrad(true);
        leaf.pad(new int[] {2, 1}, Padding.Mode.REPLICATE).sum().backward();
        assertArrayEquals(new float[] {3, 1, 2}, leaf.grad().toArray());
        gradOk("reflect", t -> t[0].pad(new int[] {2, 1, 1, 2}, Padding.Mode.REFLECT), leaf(rng, 2, 4, 3));
        gradOk("replicate", t -> t[0].pad(new int[] {3, 0, 0, 2}, Padding.Mode.REPLICATE), leaf(rng, 2, 3, 2));
        rejects("pad: reflect padding (3, 0) of dim 1 must be smaller than its size 3 in [2, 3]", () -> x.pad(new int[] {3, 0}, Padding.Mode.REFLECT));
        rejects("pad: negative padding [-1, 0]", () -> x.pad(new int[] {-1, 0}, Padding.Mode.REPLICATE));
        rejects("pad: mode is null", () -> x.pad(new int[] {1, 0}, (Padding.Mode) null));
    }
}
