package dev.cortado.kernels;

import static dev.cortado.kernels.ArgChecks.nonNegative;

import dev.cortado.memory.Ptr;
import java.util.Arrays;

/**
 * What the kernel declarations in {@link KernelSet} need beyond the mechanical checks: the extents
 * their {@code @In/@Out/@InOut} expressions call, and the kernel-specific checks their
 * {@code @Check} statements call. The generated {@link CheckedKernels} calls both.
 */
final class KernelChecks {

    private KernelChecks() {
    }

    // ---- extents: the floats an argument reaches ------------------------------------------------

    /** A rows x cols matrix with leading dimension ld. */
    static long span(long rows, long cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    /** batch such matrices, stride apart. */
    static long batched(long rows, long cols, int ld, long stride, int batch) {
        long one = span(rows, cols, ld);
        return batch == 0 || one == 0 ? 0 : Math.addExact(Math.multiplyExact(batch - 1L, stride), one);
    }

    /** outer x channels x inner. */
    static long layout(long outer, long channels, long inner) {
        return Math.multiplyExact(Math.multiplyExact(outer, channels), inner);
    }

    /** Elements in shape (each extent >= 0). */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            nonNegative("extent", d);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A strided array of shape: 1 + Σ (shape_d - 1)·strides_d, or 0 when empty (strides >= 0). */
    static long strided(String name, long[] shape, long[] strides) {
        long n = numel(shape), last = 0;
        for (int d = 0; d < shape.length; d++) {
            nonNegative(name + " stride", strides[d]);
            if (shape[d] > 0) last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, strides[d]));
        }
        return n == 0 ? 0 : last + 1;
    }

    /** From an index array's first element to its last read one. */
    static long indexSpan(long outer, long count, long inner, long is0, long is1, long is2) {
        if (outer == 0 || count == 0 || inner == 0) return 0;
        return Math.addExact(Math.addExact(Math.multiplyExact(outer - 1, is0), Math.multiplyExact(count - 1, is1)),
                Math.multiplyExact(inner - 1, is2)) + 1;
    }

    /** The im2col matrix of a batch. */
    static long columns(Window w, int batch) {
        return (long) w.colRows() * batch * w.colCols();
    }

    // ---- kernel-specific checks -------------------------------------------------------------------

    /** gemm's leading dimensions, and each matrix's floats named with its shape. */
    static void matrices(boolean transA, boolean transB, int m, int n, int k, Ptr a, int lda, Ptr b, int ldb, Ptr c, int ldc) {
        matrix("A", a, transA ? k : m, transA ? m : k, lda);
        matrix("B", b, transB ? n : k, transB ? k : n, ldb);
        matrix("C", c, m, n, ldc);
    }

    private static void matrix(String name, Ptr p, long rows, long cols, int ld) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("leading dimension of " + name + " is " + ld + " but its rows hold " + cols + " columns");
        }
        long needed = span(rows, cols, ld);
        if (needed > p.remaining()) {
            throw new IllegalArgumentException(name + " (" + rows + " x " + cols + ", ld " + ld + ") needs " + needed
                    + " floats but only " + p.remaining() + " lie behind it");
        }
    }

    /** gemmBatched: each matrix as in gemm, and C matrices that do not overlap each other. */
    static void batchedMatrices(boolean transA, boolean transB, int m, int n, int k, Ptr a, int lda, long strideA,
                                Ptr b, int ldb, long strideB, Ptr c, int ldc, long strideC, int batch) {
        batchedMatrix("A", a, transA ? k : m, transA ? m : k, lda, strideA, batch);
        batchedMatrix("B", b, transB ? n : k, transB ? k : n, ldb, strideB, batch);
        long cOne = span(m, n, ldc);
        if (batch > 1 && cOne > 0 && strideC < cOne) {
            throw new IllegalArgumentException("strideC " + strideC + " makes the C matrices (" + m + " x " + n + ", ld " + ldc
                    + ", " + cOne + " floats each) overlap");
        }
        batchedMatrix("C", c, m, n, ldc, strideC, batch);
    }

    private static void batchedMatrix(String name, Ptr p, long rows, long cols, int ld, long stride, int batch) {
        matrix(name, p, batch == 0 ? 0 : rows, cols, ld); // an empty batch reads nothing
        long all = batched(rows, cols, ld, stride, batch);
        if (all > p.remaining()) {
            throw new IllegalArgumentException(name + " (" + batch + " matrices of " + rows + " x " + cols + ", ld " + ld + ", stride "
                    + stride + ") needs " + all + " floats but only " + p.remaining() + " lie behind it");
        }
    }

    /** An im2col matrix and its images stay below 2^31 floats. */
    static void columnsFit(Window w, int batch) {
        if (batch * w.inputSize() > Integer.MAX_VALUE || columns(w, batch) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch of " + batch + " for " + w + " addresses more than 2^31 elements");
        }
    }

    /** x, weight and y of a convolution each stay below 2^31 floats. */
    static void convolutionFits(Window w, int batch, int filters) {
        long[] n = {batch * w.inputSize(), (long) filters * w.colRows(), (long) batch * filters * w.colCols()};
        for (long v : n) {
            if (v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("convolution of batch " + batch + ", " + filters + " filters over " + w
                        + " addresses more than 2^31 elements");
            }
        }
    }

    /** A clamp's bounds: neither NaN, lo <= hi (infinite bounds clamp nothing on their side). */
    static void clampRange(float lo, float hi) {
        if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) throw new IllegalArgumentException("clamp range [" + lo + ", " + hi + "] is not lo <= hi");
    }

    /** A depthwise convolution's x and y of the whole batch fit in an int. */
    static void depthwiseFits(Window w, int batch) {
        if (batch * w.inputSize() > Integer.MAX_VALUE || batch * w.outputSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("depthwise convolution of batch " + batch + " over " + w + " addresses more than 2^31 elements");
        }
    }

    /** Pooling pads less than its kernel (a window of padding alone has no maximum). */
    static void poolWindow(Window w) {
        if (w.padH() >= w.kernelH() || w.padW() >= w.kernelW()) {
            throw new IllegalArgumentException("pooling padding " + w.padH() + "x" + w.padW()
                    + " must be smaller than the kernel " + w.kernelH() + "x" + w.kernelW());
        }
    }

    static void adaptivePool(int planes, int height, int width, int outH, int outW) {
        if (height < 1 || width < 1 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptive pooling of " + height + "x" + width + " planes to " + outH + "x" + outW
                    + " needs every size >= 1");
        }
        if ((double) planes * height * width > Long.MAX_VALUE / 8 || (double) planes * outH * outW > Long.MAX_VALUE / 8) {
            throw new IllegalArgumentException("adaptive pooling of " + planes + " planes " + height + "x" + width + " to " + outH + "x" + outW
                    + " has too many values");
        }
    }

    static void nonEmptyRows(int cols) {
        if (cols == 0) throw new IllegalArgumentException("argmax over rows of 0 columns");
    }

    /** A destination writes each element once: ordered by stride, each axis of extent above 1 steps past all the smaller ones reach. */
    static void writesOnce(long[] shape, long[] strides) {
        if (numel(shape) == 0) return; // an empty copy writes nothing (its strides may repeat)
        int[] axes = new int[shape.length]; // by stride: an insertion sort of at most MAX_RANK axes
        for (int d = 0; d < axes.length; d++) {
            int i = d;
            for (; i > 0 && strides[axes[i - 1]] > strides[d]; i--) axes[i] = axes[i - 1];
            axes[i] = d;
        }
        long reach = 0; // the farthest offset the smaller axes reach
        for (int d : axes) {
            if (shape[d] <= 1) continue;
            if (strides[d] <= reach) {
                throw new IllegalArgumentException("dst strides " + Arrays.toString(strides) + " write some elements of shape "
                        + Arrays.toString(shape) + " twice");
            }
            reach += (shape[d] - 1) * strides[d];
        }
    }

    /** An attention call's row strides hold the heads' features: ld >= heads·e, ldv and ldo >= heads·ev. */
    static void attentionLayout(int heads, int e, int ev, int ld, int ldv, int ldo) {
        if (heads < 1) throw new IllegalArgumentException("attention heads must be >= 1, got " + heads);
        if (ld < (long) heads * e) throw new IllegalArgumentException("attention ld " + ld + " is less than heads x e = " + (long) heads * e);
        if (ldv < (long) heads * ev) throw new IllegalArgumentException("attention ldv " + ldv + " is less than heads x ev = " + (long) heads * ev);
        if (ldo < (long) heads * ev) throw new IllegalArgumentException("attention ldo " + ldo + " is less than heads x ev = " + (long) heads * ev);
    }

    static void unarySettings(UnaryOp op, float p1, float p2) {
        if (Float.isNaN(p1) || Float.isNaN(p2)) throw new IllegalArgumentException(op + " settings must not be NaN, got " + p1 + ", " + p2);
        if (op == UnaryOp.CLAMP && p1 > p2) throw new IllegalArgumentException("clamp min " + p1 + " exceeds max " + p2);
        if (op == UnaryOp.SOFTPLUS && !(p1 > 0 && Float.isFinite(p1))) {
            throw new IllegalArgumentException("softplus beta must be > 0 and finite, got " + p1);
        }
    }

    static void reduceAxis(ReduceOp op, long outer, long len, long inner) {
        if (len == 0 && layout(outer, 1, inner) > 0 && op.needsElements()) {
            throw new IllegalArgumentException(op + " over an axis of length 0");
        }
    }

    /** The gates of one LSTM step (4 per unit) stay below 2^31 floats. */
    static void lstmStep(int batch, int hidden) {
        if (4L * batch * hidden > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an LSTM step of batch " + batch + " and hidden " + hidden
                    + " has more than 2^31 gate values");
        }
    }

    /** A normalised row holds at least one value when there are rows; eps is >= 0 and finite. */
    static void normRows(int rows, int cols, float eps) {
        if (rows > 0 && cols == 0) throw new IllegalArgumentException("a normalisation over rows of 0 values (rows " + rows + ")");
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("eps must be >= 0 and finite, got " + eps);
    }

    static void adamSettings(float beta1, float beta2, float eps, long step) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("eps must be > 0 and finite, got " + eps);
        if (step < 1) throw new IllegalArgumentException("adam step is 1-based, got " + step);
    }

    // ---- under the call's lease: values the host can read (device kernels guard their own reads) ----

    static void hostLabels(int rows, int cols, Ptr labels) {
        if (labels.device().isCpu()) Labels.check(labels.host(), rows, cols);
    }

    static void hostIndices(Ptr index, long len, long outer, long count, long inner, long is0, long is1, long is2) {
        if (!index.device().isCpu()) return;
        long[] shape = {outer, count, inner}, strides = {is0, is1, is2};
        long[] distinct = shape.clone();
        for (int d = 0; d < shape.length; d++) if (strides[d] == 0) distinct[d] = Math.min(1, shape[d]); // repeats read one element
        Labels.checkIndices(index.host(), distinct, strides, len);
    }
}
