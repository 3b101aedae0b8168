package dev.cortado.ops;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.ReduceOp;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Layout arithmetic shared by the ops: row-major strides, NumPy broadcasting, axis numbering,
 * merging axes before a strided kernel call, and the two data movements every view-like op and
 * every broadcast's backward lower to ({@link #copy}, {@link #sumTo}). Tensors are contiguous;
 * strides here describe how a kernel reads one.
 */
final class Strides {

    private Strides() {
    }

    /** Row-major strides of a contiguous tensor of this shape. */
    static long[] contiguous(int[] shape) {
        long[] s = new long[shape.length];
        long step = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = step;
            step *= shape[d];
        }
        return s;
    }

    /** Axis {@code dim} of a rank-{@code rank} shape, negative counting from the end. */
    static int axis(String op, int dim, int[] shape) {
        return axis(op, dim, shape, shape.length);
    }

    /** As {@link #axis(String, int, int[])} for a result of rank {@code rank} (e.g. unsqueeze and stack: rank + 1). */
    static int axis(String op, int dim, int[] shape, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for " + (rank == shape.length ? "" : "a result of rank "
                    + rank + " from ") + "shape " + Shape.str(shape) + " (expected " + -rank + " to " + (rank - 1) + ")");
        }
        return d;
    }

    /** The NumPy broadcast of two shapes: aligned at the right, each pair equal or one of them 1. */
    static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 1; i <= rank; i++) {
            int x = i <= a.length ? a[a.length - i] : 1, y = i <= b.length ? b[b.length - i] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Shape.str(a) + " and " + Shape.str(b)
                        + " do not broadcast (size " + x + " vs " + y + " at dim " + (rank - i) + " of the result)");
            }
            out[rank - i] = x == 1 ? y : x;
        }
        return out;
    }

    /** How a contiguous tensor of shape {@code from} is read as the broadcast shape {@code to}: stride 0 on repeated axes. */
    static long[] broadcastStrides(int[] from, int[] to) {
        long[] own = contiguous(from), s = new long[to.length];
        for (int i = 1; i <= from.length; i++) {
            s[to.length - i] = from[from.length - i] == 1 && to[to.length - i] != 1 ? 0 : own[from.length - i];
        }
        return s;
    }

    /**
     * The same element order with fewer axes: drops axes of extent 1 and merges each axis into
     * the next where every layout steps over it as one run. Returns {shape, strides...} as long
     * arrays, at least rank 1 unless the shape is empty of elements (then shape {0}).
     */
    static long[][] merge(int[] shape, long[]... strides) {
        List<long[]> axes = new ArrayList<>(); // each: {extent, stride of layout 0, stride of layout 1, ...}
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return zeroLayout(strides.length);
            if (shape[d] == 1) continue;
            long[] ax = new long[1 + strides.length];
            ax[0] = shape[d];
            for (int k = 0; k < strides.length; k++) ax[1 + k] = strides[k][d];
            if (!axes.isEmpty() && mergesInto(axes.get(axes.size() - 1), ax)) {
                long[] prev = axes.get(axes.size() - 1);
                prev[0] *= ax[0];
                for (int k = 0; k < strides.length; k++) prev[1 + k] = ax[1 + k];
            } else {
                axes.add(ax);
            }
        }
        if (axes.isEmpty()) axes.add(unit(strides.length));
        if (axes.size() > KernelSet.MAX_RANK) {
            throw new IllegalArgumentException("a layout of shape " + Shape.str(shape) + " needs " + axes.size()
                    + " separate axes; the strided kernels take at most " + KernelSet.MAX_RANK);
        }
        long[][] out = new long[1 + strides.length][axes.size()];
        for (int d = 0; d < axes.size(); d++) {
            for (int k = 0; k <= strides.length; k++) out[k][d] = axes.get(d)[k];
        }
        return out;
    }

    /** Whether an outer axis and the inner axis after it are one run in every layout. */
    private static boolean mergesInto(long[] outer, long[] inner) {
        for (int k = 1; k < outer.length; k++) if (outer[k] != inner[k] * inner[0]) return false;
        return true;
    }

    private static long[] unit(int layouts) {
        long[] ax = new long[1 + layouts];
        ax[0] = 1;
        return ax;
    }

    private static long[][] zeroLayout(int layouts) {
        long[][] out = new long[1 + layouts][1];
        out[0][0] = 0;
        return out;
    }

    /**
     * A new contiguous tensor of {@code shape} whose element i is x's element
     * {@code offset + Σ i_d·strides_d} (not recorded): the one copy that permute, narrow with a
     * step, expand and concat lower to.
     */
    static Tensor copy(Tensor x, int[] shape, long[] strides, long offset) {
        Tensor y = Tensor.empty(x.device(), shape);
        if (y.numel() == 0) return y;
        long[][] m = merge(shape, strides, contiguous(shape));
        x.kernels().copyStrided(m[0], m[1], x.ptr().at(offset), m[2], y.ptr());
        return y;
    }

    /**
     * Writes the contiguous src into dst's elements {@code offset + Σ i_d·strides_d} for i below
     * src's shape; those elements must be distinct (the write-back of a narrow, slice, select or
     * permute).
     */
    static void copyInto(Tensor src, Tensor dst, long[] strides, long offset) {
        if (src.numel() == 0) return;
        int[] shape = src.shape();
        long[][] m = merge(shape, contiguous(shape), strides);
        src.kernels().copyStrided(m[0], m[1], src.ptr(), m[2], dst.ptr().at(offset));
    }

    /**
     * g summed over the axes along which {@code shape} was broadcast to g's shape: the gradient
     * of a broadcast input (not recorded). Returns a new owner of g's memory when nothing was
     * broadcast.
     */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g.detach();
        boolean[] axes = new boolean[gs.length];
        int lead = gs.length - shape.length;
        for (int d = 0; d < gs.length; d++) axes[d] = d < lead || shape[d - lead] != gs[d];
        try (Tensor kept = reduce(ReduceOp.SUM, g, axes)) {
            return kept.reshape(shape);
        }
    }

    /**
     * op over the marked axes of x (not recorded), the result keeping them with size 1: one
     * kernel call per run of adjacent marked axes (a run is one axis in memory). For ops that
     * compose over runs (SUM, MEAN, MAX, MIN, LOGSUMEXP); ARGMAX and ARGMIN take one axis.
     */
    static Tensor reduce(ReduceOp op, Tensor x, boolean[] axes) {
        int[] shape = x.shape();
        Tensor cur = x.detach();
        for (int d = 0; d < shape.length; ) {
            if (!axes[d]) {
                d++;
                continue;
            }
            int end = d;
            while (end < shape.length && axes[end]) end++;
            long outer = prod(shape, 0, d), len = prod(shape, d, end), inner = prod(shape, end, shape.length);
            for (int i = d; i < end; i++) shape[i] = 1;
            Tensor next = Tensor.empty(x.device(), shape);
            if (next.numel() > 0) x.kernels().reduce(op, outer, len, inner, cur.ptr(), next.ptr());
            cur.close();
            cur = next;
            d = end;
        }
        return cur;
    }

    /** x (keepdim-shaped, or of fewer leading axes) repeated to shape: the backward of a sum (not recorded). */
    static Tensor expand(Tensor x, int[] shape) {
        return copy(x, shape, broadcastStrides(x.shape(), shape), 0);
    }

    static long prod(int[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) p *= shape[d];
        return p;
    }
}
