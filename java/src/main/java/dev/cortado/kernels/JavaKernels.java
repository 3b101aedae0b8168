package dev.cortado.kernels;

import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import dev.cortado.memory.Storage;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The pure-Java reference kernel set: plain loops, obviously right, accumulating in double.
 * It is the oracle every native and CUDA kernel is tested against, so clarity beats speed here.
 */
public final class JavaKernels implements KernelSet {

    private final String name;
    private final Device.Kind kind;
    private final Function<Ptr, FloatBuffer> view;

    /** The reference kernels on CPU memory. */
    public JavaKernels() {
        this("java", Device.Kind.CPU, Ptr::host);
    }

    /**
     * The reference kernels on another device kind whose memory {@code view} opens to them (the
     * host-sealed sim device: its kernels are these, behind the wall).
     */
    public JavaKernels(String name, Device.Kind kind, Function<Ptr, FloatBuffer> view) {
        this.name = name;
        this.kind = kind;
        this.view = view;
    }

    /** A buffer whose index 0 is p's element. */
    private FloatBuffer view(Ptr p) {
        return view.apply(p);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Device.Kind deviceKind() {
        return kind;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Ptr a, int lda, Ptr b, int ldb, float beta, Ptr c, int ldc) {
        FloatBuffer va = view(a), vb = view(b), vc = view(c);
        double[] acc = new double[n];
        for (int i = 0; i < m; i++) {
            Arrays.fill(acc, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = transA ? va.get(p * lda + i) : va.get(i * lda + p);
                for (int j = 0; j < n; j++) {
                    acc[j] += aip * (transB ? vb.get(j * ldb + p) : vb.get(p * ldb + j));
                }
            }
            for (int j = 0; j < n; j++) {
                double v = alpha * acc[j];
                if (beta != 0) v += (double) beta * vc.get(i * ldc + j);
                vc.put(i * ldc + j, (float) v);
            }
        }
    }

    @Override
    public void gemmBias(boolean transA, boolean transB, int m, int n, int k, Ptr a, int lda, Ptr b, int ldb, Ptr bias, Ptr z, UnaryOp act,
                         float p1, float p2, Ptr c, int ldc) {
        gemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);
        FloatBuffer vc = view(c), vbias = bias == null ? null : view(bias), vz = z == null ? null : view(z);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float v = vc.get(i * ldc + j);
                if (vbias != null) v += vbias.get(j);
                if (vz != null) v += vz.get(i * ldc + j);
                vc.put(i * ldc + j, act == UnaryOp.CLAMP ? clamp(v, p1, p2) : act.apply(v, p1, p2));
            }
        }
    }

    @Override
    public void im2col(Window w, int batch, Ptr images, Ptr col) {
        FloatBuffer im = view(images), out = view(col);
        forEachColumnEntry(w, batch, (colIndex, imIndex) -> out.put(colIndex, imIndex < 0 ? 0f : im.get(imIndex)));
    }

    @Override
    public void col2im(Window w, int batch, Ptr col, Ptr images) {
        FloatBuffer in = view(col), im = view(images);
        double[] acc = new double[(int) (batch * w.inputSize())];
        forEachColumnEntry(w, batch, (colIndex, imIndex) -> {
            if (imIndex >= 0) acc[imIndex] += in.get(colIndex);
        });
        for (int i = 0; i < acc.length; i++) im.put(i, (float) acc[i]);
    }

    // The three convolution kernels, Caffe's way, one image at a time from the reference im2col,
    // col2im and gemm: with K = C kh kw and P = outH outW,
    //   y_n = W[F, K] · col_n[K, P] + bias,   dx_n = col2im(Wᵀ · dy_n),   dW = Σ_n dy_n · col_nᵀ.

    @Override
    public void convForward(Window w, int batch, int filters, Ptr x, Ptr weight, Ptr prepared, Ptr bias, Ptr z, float lo, float hi, Ptr y) {
        int k = w.colRows(), p = w.colCols();
        try (Scratch col = new Scratch(y.device(), (long) k * p)) {
            for (int n = 0; n < batch; n++) {
                Ptr yn = y.at((long) n * filters * p);
                im2col(w, 1, x.at(n * w.inputSize()), col.ptr);
                gemm(false, false, filters, p, k, 1f, weight, k, col.ptr, p, 0f, yn, p);
                if (bias != null) biasAdd(1, filters, p, bias, yn);
            }
        }
        FloatBuffer vy = view(y), vz = z == null ? null : view(z);
        for (int i = 0; i < batch * filters * p; i++) {
            float v = vz == null ? vy.get(i) : vy.get(i) + vz.get(i);
            vy.put(i, clamp(v, lo, hi));
        }
    }

    @Override
    public void convPrepareFilters(Window w, int batch, int filters, Ptr weight, Ptr prepared) {
        fill(KernelSet.preparedFilters(w, filters), 0f, prepared); // (this kernel set reads the weights as they lie)
    }

    @Override
    public void convBackwardData(Window w, int batch, int filters, Ptr weight, Ptr dy, Ptr dx) {
        int k = w.colRows(), p = w.colCols();
        try (Scratch col = new Scratch(dx.device(), (long) k * p)) {
            for (int n = 0; n < batch; n++) {
                gemm(true, false, k, p, filters, 1f, weight, k, dy.at((long) n * filters * p), p, 0f, col.ptr, p);
                col2im(w, 1, col.ptr, dx.at(n * w.inputSize()));
            }
        }
    }

    @Override
    public void convBackwardFilter(Window w, int batch, int filters, Ptr x, Ptr dy, Ptr dweight) {
        int k = w.colRows(), p = w.colCols();
        double[] acc = new double[filters * k];
        try (Scratch col = new Scratch(x.device(), (long) k * p); Scratch part = new Scratch(x.device(), (long) filters * k)) {
            FloatBuffer dwn = view(part.ptr);
            for (int n = 0; n < batch; n++) {
                im2col(w, 1, x.at(n * w.inputSize()), col.ptr);
                gemm(false, true, filters, k, p, 1f, dy.at((long) n * filters * p), p, col.ptr, p, 0f, part.ptr, k);
                for (int i = 0; i < acc.length; i++) acc[i] += dwn.get(i);
            }
        }
        FloatBuffer dw = view(dweight);
        for (int i = 0; i < acc.length; i++) dw.put(i, (float) acc[i]);
    }

    // The three depthwise convolution kernels: every (output, tap) pair whose input pixel lies in
    // the image (a tap in the padding adds nothing), each sum in double in scan order.

    @Override
    public void depthwiseForward(Window w, int batch, Ptr x, Ptr weight, Ptr bias, float lo, float hi, Ptr y) {
        FloatBuffer vx = view(x), vw = view(weight), vy = view(y);
        FloatBuffer vb = bias == null ? null : view(bias);
        int plane = w.outH() * w.outW();
        double[] acc = new double[(int) (batch * w.outputSize())];
        if (vb != null) for (int i = 0; i < acc.length; i++) acc[i] = vb.get(i / plane % w.channels());
        forEachDepthwiseTap(w, batch, (xi, wi, yi) -> acc[yi] += (double) vw.get(wi) * vx.get(xi));
        for (int i = 0; i < acc.length; i++) vy.put(i, clamp((float) acc[i], lo, hi));
    }

    @Override
    public void depthwiseBackwardData(Window w, int batch, Ptr weight, Ptr dy, Ptr dx) {
        FloatBuffer vw = view(weight), vdy = view(dy), vdx = view(dx);
        double[] acc = new double[(int) (batch * w.inputSize())];
        forEachDepthwiseTap(w, batch, (xi, wi, yi) -> acc[xi] += (double) vw.get(wi) * vdy.get(yi));
        for (int i = 0; i < acc.length; i++) vdx.put(i, (float) acc[i]);
    }

    @Override
    public void depthwiseBackwardFilter(Window w, int batch, Ptr x, Ptr dy, Ptr dweight) {
        FloatBuffer vx = view(x), vdy = view(dy), vdw = view(dweight);
        double[] acc = new double[w.colRows()];
        forEachDepthwiseTap(w, batch, (xi, wi, yi) -> acc[wi] += (double) vdy.get(yi) * vx.get(xi));
        for (int i = 0; i < acc.length; i++) vdw.put(i, (float) acc[i]);
    }

    private interface TapVisitor {
        void visit(int xIndex, int weightIndex, int yIndex);
    }

    /** The fused tails' clamp, min(max(v, lo), hi): a NaN fails both tests and stays. */
    private static float clamp(float v, float lo, float hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    /** Calls v for output (n, c, oy, ox) and tap (ki, kj) in that order wherever the tap reads a pixel of the image. */
    private static void forEachDepthwiseTap(Window w, int batch, TapVisitor v) {
        int oh = w.outH(), ow = w.outW(), kh = w.kernelH(), kw = w.kernelW();
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < w.channels(); c++) {
                int plane = n * w.channels() + c, in = plane * w.height() * w.width(), out = plane * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        for (int ki = 0; ki < kh; ki++) {
                            int iy = oy * w.strideH() - w.padH() + ki;
                            if (iy < 0 || iy >= w.height()) continue;
                            for (int kj = 0; kj < kw; kj++) {
                                int ix = ox * w.strideW() - w.padW() + kj;
                                if (ix >= 0 && ix < w.width()) v.visit(in + iy * w.width() + ix, (c * kh + ki) * kw + kj, out + oy * ow + ox);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Scratch for one kernel call, on the device of the kernel's operands. */
    private static final class Scratch implements AutoCloseable {
        final Ptr ptr;

        Scratch(Device device, long floats) {
            ptr = new Ptr(Storage.allocate(device, Math.max(1, floats)), 0);
        }

        @Override
        public void close() {
            ptr.storage().release();
        }
    }

    private interface ColumnVisitor {
        void visit(int colIndex, int imIndex);
    }

    /** Every entry of the batched im2col matrix with the image index it copies, or -1 for padding. */
    private static void forEachColumnEntry(Window w, int batch, ColumnVisitor v) {
        int oh = w.outH(), ow = w.outW(), cols = batch * oh * ow, image = (int) w.inputSize();
        for (int c = 0; c < w.channels(); c++) {
            for (int ki = 0; ki < w.kernelH(); ki++) {
                for (int kj = 0; kj < w.kernelW(); kj++) {
                    int row = (c * w.kernelH() + ki) * w.kernelW() + kj;
                    for (int n = 0; n < batch; n++) {
                        for (int y = 0; y < oh; y++) {
                            for (int x = 0; x < ow; x++) {
                                int iy = y * w.strideH() - w.padH() + ki;
                                int ix = x * w.strideW() - w.padW() + kj;
                                boolean inside = iy >= 0 && iy < w.height() && ix >= 0 && ix < w.width();
                                v.visit(row * cols + (n * oh + y) * ow + x,
                                        inside ? n * image + (c * w.height() + iy) * w.width() + ix : -1);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void maxPoolForward(Window w, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        forEachWindow(w, (plane, out) -> {
            int at = firstMax(w, vx, plane, out);
            vy.put(out, vx.get(at));
        });
    }

    @Override
    public void maxPoolBackward(Window w, Ptr x, Ptr dy, Ptr dx) {
        FloatBuffer vx = view(x), vdy = view(dy), vdx = view(dx);
        double[] acc = new double[(int) w.inputSize()];
        forEachWindow(w, (plane, out) -> acc[firstMax(w, vx, plane, out)] += vdy.get(out));
        for (int i = 0; i < acc.length; i++) vdx.put(i, (float) acc[i]);
    }

    @Override
    public void avgPoolForward(Window w, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        int area = w.kernelH() * w.kernelW();
        forEachWindow(w, (plane, out) -> {
            double s = 0;
            for (int i : windowIndices(w, plane, out)) s += vx.get(i);
            vy.put(out, (float) (s / area));
        });
    }

    @Override
    public void avgPoolBackward(Window w, Ptr dy, Ptr dx) {
        FloatBuffer vdy = view(dy), vdx = view(dx);
        double[] acc = new double[(int) w.inputSize()];
        int area = w.kernelH() * w.kernelW();
        forEachWindow(w, (plane, out) -> {
            for (int i : windowIndices(w, plane, out)) acc[i] += vdy.get(out) / (double) area;
        });
        for (int i = 0; i < acc.length; i++) vdx.put(i, (float) acc[i]);
    }

    @Override
    public void adaptiveAvgPoolForward(int planes, int height, int width, int outH, int outW, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (long p = 0; p < planes; p++) {
            long in = p * height * width, out = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                int r0 = adaptiveStart(i, height, outH), r1 = adaptiveEnd(i, height, outH);
                for (int j = 0; j < outW; j++) {
                    int c0 = adaptiveStart(j, width, outW), c1 = adaptiveEnd(j, width, outW);
                    double s = 0;
                    for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) s += vx.get((int) (in + (long) r * width + c));
                    vy.put((int) (out + (long) i * outW + j), (float) (s / ((r1 - r0) * (c1 - c0))));
                }
            }
        }
    }

    @Override
    public void adaptiveAvgPoolBackward(int planes, int height, int width, int outH, int outW, Ptr dy, Ptr dx) {
        FloatBuffer vdy = view(dy), vdx = view(dx);
        double[] acc = new double[height * width];
        for (long p = 0; p < planes; p++) {
            long in = p * height * width, out = p * outH * outW;
            java.util.Arrays.fill(acc, 0);
            for (int i = 0; i < outH; i++) { // windows in scan order, as the gathers of the other backends sum them
                int r0 = adaptiveStart(i, height, outH), r1 = adaptiveEnd(i, height, outH);
                for (int j = 0; j < outW; j++) {
                    int c0 = adaptiveStart(j, width, outW), c1 = adaptiveEnd(j, width, outW);
                    double g = vdy.get((int) (out + (long) i * outW + j)) / (double) ((r1 - r0) * (c1 - c0));
                    for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) acc[r * width + c] += g;
                }
            }
            for (int k = 0; k < acc.length; k++) vdx.put((int) (in + k), (float) acc[k]);
        }
    }

    /** Adaptive pooling's window of output i: rows floor(i·in/outs) to ceil((i+1)·in/outs), exclusive (native/common/adaptive_window.h). */
    private static int adaptiveStart(int i, int in, int outs) {
        return (int) ((long) i * in / outs);
    }

    private static int adaptiveEnd(int i, int in, int outs) {
        return (int) (((long) (i + 1) * in + outs - 1) / outs);
    }

    private interface WindowVisitor {
        void visit(int plane, int outIndex);
    }

    private static void forEachWindow(Window w, WindowVisitor v) {
        int oh = w.outH(), ow = w.outW();
        for (int plane = 0; plane < w.channels(); plane++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    v.visit(plane, (plane * oh + y) * ow + x);
                }
            }
        }
    }

    /** Input indices of the window that produces output {@code out}, padding skipped, in scan order. */
    private static int[] windowIndices(Window w, int plane, int out) {
        int ow = w.outW();
        int y = (out / ow) % w.outH(), x = out % ow;
        int[] idx = new int[w.kernelH() * w.kernelW()];
        int count = 0;
        for (int ki = 0; ki < w.kernelH(); ki++) {
            for (int kj = 0; kj < w.kernelW(); kj++) {
                int iy = y * w.strideH() - w.padH() + ki;
                int ix = x * w.strideW() - w.padW() + kj;
                if (iy >= 0 && iy < w.height() && ix >= 0 && ix < w.width()) {
                    idx[count++] = (plane * w.height() + iy) * w.width() + ix;
                }
            }
        }
        return Arrays.copyOf(idx, count);
    }

    private static int firstMax(Window w, FloatBuffer x, int plane, int out) {
        int best = -1;
        for (int i : windowIndices(w, plane, out)) {
            if (best < 0 || x.get(i) > x.get(best) || (Float.isNaN(x.get(i)) && !Float.isNaN(x.get(best)))) best = i;
        }
        return best;
    }

    @Override
    public void sigmoidForward(long n, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, (float) (1.0 / (1.0 + Math.exp(-vx.get(i)))));
    }

    @Override
    public void sigmoidBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        FloatBuffer vy = view(y), vdy = view(dy), vdx = view(dx);
        for (int i = 0; i < n; i++) {
            double s = vy.get(i);
            vdx.put(i, (float) (vdy.get(i) * s * (1.0 - s)));
        }
    }

    @Override
    public void reluForward(long n, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, Math.max(vx.get(i), 0f)); // Math.max keeps NaN
    }

    @Override
    public void reluBackward(long n, Ptr x, Ptr dy, Ptr dx) {
        FloatBuffer vx = view(x), vdy = view(dy), vdx = view(dx);
        for (int i = 0; i < n; i++) vdx.put(i, vx.get(i) > 0 ? vdy.get(i) : 0f);
    }

    @Override
    public void tanhForward(long n, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, (float) Math.tanh(vx.get(i)));
    }

    @Override
    public void tanhBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        FloatBuffer vy = view(y), vdy = view(dy), vdx = view(dx);
        for (int i = 0; i < n; i++) {
            double t = vy.get(i);
            vdx.put(i, (float) (vdy.get(i) * (1.0 - t * t)));
        }
    }

    @Override
    public void softmaxForward(int rows, int cols, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double logZ = logSumExp(vx, o, cols);
            for (int j = 0; j < cols; j++) vy.put(o + j, (float) Math.exp(vx.get(o + j) - logZ));
        }
    }

    @Override
    public void softmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        FloatBuffer vy = view(y), vdy = view(dy), vdx = view(dx);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += (double) vdy.get(o + j) * vy.get(o + j);
            for (int j = 0; j < cols; j++) vdx.put(o + j, (float) (vy.get(o + j) * (vdy.get(o + j) - dot)));
        }
    }

    @Override
    public void logSoftmaxForward(int rows, int cols, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double logZ = logSumExp(vx, o, cols);
            for (int j = 0; j < cols; j++) vy.put(o + j, (float) (vx.get(o + j) - logZ));
        }
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        FloatBuffer vy = view(y), vdy = view(dy), vdx = view(dx);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += vdy.get(o + j);
            for (int j = 0; j < cols; j++) vdx.put(o + j, (float) (vdy.get(o + j) - Math.exp(vy.get(o + j)) * sum));
        }
    }

    @Override
    public void softmaxCrossEntropyForward(int rows, int cols, Ptr logits, Ptr labels, Ptr probs, Ptr loss) {
        FloatBuffer x = view(logits), lab = view(labels), l = view(loss);
        Labels.check(lab, rows, cols);
        softmaxForward(rows, cols, logits, probs);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            l.put(r, (float) (logSumExp(x, o, cols) - x.get(o + (int) lab.get(r))));
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(int rows, int cols, Ptr probs, Ptr labels, float scale, Ptr dx) {
        FloatBuffer p = view(probs), lab = view(labels), vdx = view(dx);
        Labels.check(lab, rows, cols);
        for (int r = 0; r < rows; r++) {
            int label = (int) lab.get(r);
            for (int j = 0; j < cols; j++) {
                double target = j == label ? 1.0 : 0.0;
                vdx.put(r * cols + j, (float) (scale * (p.get(r * cols + j) - target)));
            }
        }
    }

    private static double rowMax(FloatBuffer x, int o, int cols) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, x.get(o + j));
        return max;
    }

    private static double logSumExp(FloatBuffer x, int o, int cols) {
        double max = rowMax(x, o, cols), sum = 0;
        for (int j = 0; j < cols; j++) sum += Math.exp(x.get(o + j) - max);
        return max + Math.log(sum);
    }

    // ---- fused attention: per item, scores and sums in double from the float inputs -------------

    /** How many keys row i attends to: all s, or with causal those j <= i. */
    private static int attended(int i, int s, boolean causal) {
        return causal ? Math.min(s, i + 1) : s;
    }

    /** Σ_c a[ao + c]·b[bo + c] over n floats, in double. */
    private static double dot(FloatBuffer a, long ao, FloatBuffer b, long bo, int n) {
        double d = 0;
        for (int c = 0; c < n; c++) d += (double) a.get((int) (ao + c)) * b.get((int) (bo + c));
        return d;
    }

    @Override
    public void attentionForward(int batch, int heads, int queries, int keys, int e, int ev, float scale, boolean causal, Ptr q, Ptr k,
                                 int ld, Ptr v, int ldv, Ptr out, int ldo, Ptr lse) {
        int l = queries, s = keys;
        FloatBuffer vq = view(q), vk = view(k), vv = view(v), vout = view(out), vlse = view(lse);
        double[] p = new double[s];
        for (int b = 0; b < batch * heads; b++) {
            AttentionItem it = new AttentionItem(b, heads, l, s, e, ev, ld, ldv, ldo);
            for (int i = 0; i < l; i++) {
                int n = attended(i, s, causal);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    p[j] = scale * dot(vq, it.q(i), vk, it.k(j), e);
                    max = Math.max(max, p[j]); // NaN wins
                }
                double sum = 0;
                for (int j = 0; j < n; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int c = 0; c < ev; c++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += p[j] / sum * vv.get((int) (it.v(j) + c));
                    vout.put((int) (it.out(i) + c), (float) acc);
                }
                vlse.put(b * l + i, (float) (n == 0 ? Double.NEGATIVE_INFINITY : max + Math.log(sum)));
            }
        }
    }

    /** Where item b = (batch index, head)'s rows start in the strided q, k (ld), v (ldv) and out, dOut (ldo). */
    private record AttentionItem(long qBase, long kBase, long vBase, long oBase, int ld, int ldv, int ldo) {
        AttentionItem(int b, int heads, int l, int s, int e, int ev, int ld, int ldv, int ldo) {
            this((long) (b / heads) * l * ld + (long) (b % heads) * e, (long) (b / heads) * s * ld + (long) (b % heads) * e,
                    (long) (b / heads) * s * ldv + (long) (b % heads) * ev, (long) (b / heads) * l * ldo + (long) (b % heads) * ev, ld, ldv,
                    ldo);
        }

        long q(int i) {
            return qBase + (long) i * ld;
        }

        long k(int j) {
            return kBase + (long) j * ld;
        }

        long v(int j) {
            return vBase + (long) j * ldv;
        }

        long out(int i) {
            return oBase + (long) i * ldo;
        }
    }

    @Override
    public void attentionBackward(int batch, int heads, int queries, int keys, int e, int ev, float scale, boolean causal, Ptr q, Ptr k,
                                  int ld, Ptr v, int ldv, Ptr out, Ptr dOut, int ldo, Ptr lse, Ptr dq, Ptr dk, Ptr dv) {
        int l = queries, s = keys;
        FloatBuffer vq = view(q), vk = view(k), vv = view(v), vout = view(out), vlse = view(lse), vdo = view(dOut);
        FloatBuffer vdq = view(dq), vdk = view(dk), vdv = view(dv);
        for (int b = 0; b < batch * heads; b++) {
            AttentionItem it = new AttentionItem(b, heads, l, s, e, ev, ld, ldv, ldo);
            double[] gq = new double[l * e], gk = new double[s * e], gv = new double[s * ev];
            for (int i = 0; i < l; i++) {
                double d = dot(vdo, it.out(i), vout, it.out(i), ev);
                double rowLse = vlse.get(b * l + i);
                for (int j = 0; j < attended(i, s, causal); j++) {
                    double pij = Math.exp(scale * dot(vq, it.q(i), vk, it.k(j), e) - rowLse);
                    double dp = dot(vdo, it.out(i), vv, it.v(j), ev);
                    double ds = pij * (dp - d);
                    for (int c = 0; c < e; c++) {
                        gq[i * e + c] += scale * ds * vk.get((int) (it.k(j) + c));
                        gk[j * e + c] += scale * ds * vq.get((int) (it.q(i) + c));
                    }
                    for (int c = 0; c < ev; c++) gv[j * ev + c] += pij * vdo.get((int) (it.out(i) + c));
                }
            }
            for (int x = 0; x < gq.length; x++) vdq.put((int) ((long) b * l * e + x), (float) gq[x]);
            for (int x = 0; x < gk.length; x++) vdk.put((int) ((long) b * s * e + x), (float) gk[x]);
            for (int x = 0; x < gv.length; x++) vdv.put((int) ((long) b * s * ev + x), (float) gv[x]);
        }
    }

    @Override
    public void add(long n, Ptr a, Ptr b, Ptr y) {
        FloatBuffer va = view(a), vb = view(b), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, va.get(i) + vb.get(i));
    }

    @Override
    public void mul(long n, Ptr a, Ptr b, Ptr y) {
        FloatBuffer va = view(a), vb = view(b), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, va.get(i) * vb.get(i));
    }

    @Override
    public void scale(long n, float alpha, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, alpha * vx.get(i));
    }

    @Override
    public void axpy(long n, float alpha, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, (float) (vy.get(i) + (double) alpha * vx.get(i)));
    }

    @Override
    public void fill(long n, float value, Ptr y) {
        FloatBuffer vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, value);
    }

    @Override
    public void biasAdd(int outer, int channels, int inner, Ptr bias, Ptr y) {
        FloatBuffer vbias = view(bias), vy = view(y);
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int base = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) vy.put(base + i, vy.get(base + i) + vbias.get(c));
            }
        }
    }

    @Override
    public void biasGrad(int outer, int channels, int inner, Ptr dy, Ptr db) {
        FloatBuffer vdy = view(dy), vdb = view(db);
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int o = 0; o < outer; o++) {
                int base = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) s += vdy.get(base + i);
            }
            vdb.put(c, (float) s);
        }
    }

    @Override
    public void sum(long n, Ptr x, Ptr out) {
        FloatBuffer vx = view(x);
        double s = 0;
        for (int i = 0; i < n; i++) s += vx.get(i);
        view(out).put(0, (float) s);
    }

    @Override
    public void equal(long n, Ptr a, Ptr b, Ptr y) {
        FloatBuffer va = view(a), vb = view(b), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, va.get(i) == vb.get(i) ? 1f : 0f);
    }

    @Override
    public void argmax(int rows, int cols, Ptr x, Ptr out) {
        FloatBuffer vx = view(x), o = view(out);
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int j = 0; j < cols; j++) {
                float v = vx.get(r * cols + j);
                if (Float.isNaN(v)) {
                    best = j;
                    break;
                }
                if (v > vx.get(r * cols + best)) best = j;
            }
            o.put(r, best);
        }
    }

    // ---- general tensor ops ----------------------------------------------------------------------

    /** The element offsets Σ i_d·strides_d of every index i below shape, in row-major order. */
    private static long[] offsets(long[] shape, long[] strides) {
        long n = 1;
        for (long d : shape) n *= d;
        long[] out = new long[(int) n];
        long[] i = new long[shape.length];
        long at = 0;
        for (int k = 0; k < n; k++) {
            out[k] = at;
            for (int d = shape.length - 1; d >= 0; d--) { // odometer: step the last axis, carry left
                if (++i[d] < shape[d]) {
                    at += strides[d];
                    break;
                }
                at -= (shape[d] - 1) * strides[d];
                i[d] = 0;
            }
        }
        return out;
    }

    @Override
    public void copyStrided(long[] shape, long[] srcStrides, Ptr src, long[] dstStrides, Ptr dst) {
        FloatBuffer vsrc = view(src), vdst = view(dst);
        long[] from = offsets(shape, srcStrides), to = offsets(shape, dstStrides);
        for (int k = 0; k < from.length; k++) vdst.put((int) to[k], vsrc.get((int) from[k]));
    }

    @Override
    public void binary(BinaryOp op, long[] shape, long[] aStrides, Ptr a, long[] bStrides, Ptr b, Ptr y) {
        FloatBuffer va = view(a), vb = view(b), vy = view(y);
        long[] ia = offsets(shape, aStrides), ib = offsets(shape, bStrides);
        for (int k = 0; k < ia.length; k++) vy.put(k, op.apply(va.get((int) ia[k]), vb.get((int) ib[k])));
    }

    @Override
    public void unary(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, op.apply(vx.get(i), p1, p2));
    }

    @Override
    public void unaryBackward(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr dy, Ptr dx) {
        FloatBuffer vx = view(x), vdy = view(dy), vdx = view(dx);
        for (int i = 0; i < n; i++) vdx.put(i, op.derivative(vx.get(i), vdy.get(i), p1, p2));
    }

    @Override
    public void reduce(ReduceOp op, long outer, long len, long inner, Ptr x, Ptr y) {
        FloatBuffer vx = view(x), vy = view(y);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = (int) (o * len * inner + i);
                vy.put((int) (o * inner + i), reduceOne(op, vx, base, (int) len, (int) inner));
            }
        }
    }

    /** op over x[base + j·step] for j &lt; len. */
    private static float reduceOne(ReduceOp op, FloatBuffer x, int base, int len, int step) {
        switch (op) {
            case SUM, MEAN -> {
                double s = 0;
                for (int j = 0; j < len; j++) s += x.get(base + j * step);
                return (float) (op == ReduceOp.SUM ? s : s / len);
            }
            case MAX, MIN, ARGMAX, ARGMIN -> {
                boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX;
                int best = 0;
                for (int j = 0; j < len; j++) {
                    float v = x.get(base + j * step), b = x.get(base + best * step);
                    if (Float.isNaN(v)) {
                        best = j;
                        break;
                    }
                    if (max ? v > b : v < b) best = j;
                }
                return op == ReduceOp.MAX || op == ReduceOp.MIN ? x.get(base + best * step) : best;
            }
            case LOGSUMEXP -> {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) m = Math.max(m, x.get(base + j * step)); // Math.max propagates NaN
                if (Double.isInfinite(m) || Double.isNaN(m)) return (float) m;
                double s = 0;
                for (int j = 0; j < len; j++) s += Math.exp(x.get(base + j * step) - m);
                return (float) (m + Math.log(s));
            }
            default -> throw new AssertionError(op);
        }
    }

    /**
     * index[pos], which must be an integer in [0, len): checked here as well, since on a device
     * (sim) nothing checked it before the call (the device-side assert of a CUDA kernel).
     */
    private static int indexAt(FloatBuffer index, long pos, long len) {
        float v = index.get((int) pos);
        if (!(v >= 0 && v < len) || v != Math.rint(v)) {
            throw new IllegalArgumentException("index " + v + " at position " + pos + " is not an integer in [0, " + len + ")");
        }
        return (int) v;
    }

    @Override
    public void gather(long outer, long len, long inner, long count, Ptr x, Ptr index, long is0, long is1, long is2, Ptr y) {
        FloatBuffer vx = view(x), vindex = view(index), vy = view(y);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < count; j++) {
                for (int i = 0; i < inner; i++) {
                    int at = indexAt(vindex, o * is0 + j * is1 + i * is2, len);
                    vy.put((int) ((o * count + j) * inner + i), vx.get((int) ((o * len + at) * inner + i)));
                }
            }
        }
    }

    @Override
    public void scatterAdd(long outer, long len, long inner, long count, Ptr index, long is0, long is1, long is2, Ptr dy, Ptr dx) {
        FloatBuffer vindex = view(index), vdy = view(dy), vdx = view(dx);
        double[] acc = new double[(int) (outer * len * inner)]; // each element summed in double, in order of j
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < count; j++) {
                for (int i = 0; i < inner; i++) {
                    int at = indexAt(vindex, o * is0 + j * is1 + i * is2, len);
                    acc[(int) ((o * len + at) * inner + i)] += vdy.get((int) ((o * count + j) * inner + i));
                }
            }
        }
        for (int k = 0; k < acc.length; k++) {
            if (acc[k] != 0) vdx.put(k, (float) (vdx.get(k) + acc[k]));
        }
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            Ptr a, int lda, long strideA, Ptr b, int ldb, long strideB,
                            float beta, Ptr c, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0) return;
        for (int i = 0; i < batch; i++) {
            // with k == 0 no A or B is read: their matrices are empty and their strides may point past them
            Ptr ai = k == 0 ? a : a.at(i * strideA), bi = k == 0 ? b : b.at(i * strideB);
            gemm(transA, transB, m, n, k, alpha, ai, lda, bi, ldb, beta, c.at(i * strideC), ldc);
        }
    }

    // ---- layer normalisation: statistics and every element in double, rounded once -------------

    @Override
    public void layerNormForward(int rows, int cols, float eps, Ptr x, Ptr weight, Ptr bias, Ptr y, Ptr mean, Ptr rstd) {
        normForward(rows, cols, eps, true, x, weight, bias, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(int rows, int cols, Ptr x, Ptr weight, Ptr mean, Ptr rstd, Ptr dy, Ptr dx, Ptr dweight, Ptr dbias) {
        normBackward(rows, cols, x, weight, mean, rstd, dy, dx, dweight, dbias);
    }

    @Override
    public void rmsNormForward(int rows, int cols, float eps, Ptr x, Ptr weight, Ptr y, Ptr rstd) {
        normForward(rows, cols, eps, false, x, weight, null, y, null, rstd);
    }

    @Override
    public void rmsNormBackward(int rows, int cols, Ptr x, Ptr weight, Ptr rstd, Ptr dy, Ptr dx, Ptr dweight) {
        normBackward(rows, cols, x, weight, null, rstd, dy, dx, dweight, null);
    }

    /** LayerNorm (centred: mean and bias) or RMSNorm (mean 0, no bias, mean null). */
    private void normForward(int rows, int cols, float eps, boolean centred, Ptr x, Ptr weight, Ptr bias, Ptr y, Ptr mean,
                                    Ptr rstd) {
        FloatBuffer vx = view(x), vy = view(y), vr = view(rstd);
        FloatBuffer vw = weight == null ? null : view(weight), vb = bias == null ? null : view(bias);
        FloatBuffer vm = mean == null ? null : view(mean);
        for (int r = 0; r < rows; r++) {
            long o = (long) r * cols;
            double mu = 0;
            if (centred) {
                for (int j = 0; j < cols; j++) mu += vx.get((int) (o + j));
                mu /= cols;
            }
            double ss = 0;
            for (int j = 0; j < cols; j++) {
                double d = vx.get((int) (o + j)) - mu;
                ss += d * d;
            }
            double rs = 1 / Math.sqrt(ss / cols + eps);
            for (int j = 0; j < cols; j++) {
                double v = (vx.get((int) (o + j)) - mu) * rs;
                if (vw != null) v *= vw.get(j);
                if (vb != null) v += vb.get(j);
                vy.put((int) (o + j), (float) v);
            }
            if (vm != null) vm.put(r, (float) mu);
            vr.put(r, (float) rs);
        }
    }

    /** The backward of {@link #normForward}: centred when mean is given (then dbias too). */
    private void normBackward(int rows, int cols, Ptr x, Ptr weight, Ptr mean, Ptr rstd, Ptr dy, Ptr dx, Ptr dweight, Ptr dbias) {
        FloatBuffer vx = view(x), vr = view(rstd), vdy = view(dy), vdx = view(dx);
        FloatBuffer vw = weight == null ? null : view(weight), vm = mean == null ? null : view(mean);
        double[] dw = new double[cols], db = new double[cols];
        for (int r = 0; r < rows; r++) {
            long o = (long) r * cols;
            double mu = vm == null ? 0 : vm.get(r), rs = vr.get(r);
            double sg = 0, sgx = 0;
            for (int j = 0; j < cols; j++) {
                double d = vdy.get((int) (o + j)), xh = (vx.get((int) (o + j)) - mu) * rs, g = vw == null ? d : d * vw.get(j);
                sg += g;
                sgx += g * xh;
                dw[j] += d * xh;
                db[j] += d;
            }
            double a = vm == null ? 0 : sg / cols, b = sgx / cols;
            for (int j = 0; j < cols; j++) {
                double d = vdy.get((int) (o + j)), xh = (vx.get((int) (o + j)) - mu) * rs, g = vw == null ? d : d * vw.get(j);
                vdx.put((int) (o + j), (float) (rs * (g - a - xh * b)));
            }
        }
        FloatBuffer vdw = view(dweight), vdb = dbias == null ? null : view(dbias);
        for (int j = 0; j < cols; j++) {
            vdw.put(j, (float) dw[j]);
            if (vdb != null) vdb.put(j, (float) db[j]);
        }
    }

    // ---- recurrent cells: each element in double from the float inputs, rounded once ------------

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @Override
    public void lstmCellForward(int batch, int hidden, Ptr gates, Ptr cPrev, Ptr act, Ptr c, Ptr h) {
        FloatBuffer vgates = view(gates), vcPrev = view(cPrev), vact = view(act), vc = view(c), vh = view(h);
        for (int r = 0; r < batch; r++) {
            int g = r * 4 * hidden, o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                double i = sigmoid(vgates.get(g + j)), f = sigmoid(vgates.get(g + hidden + j));
                double gg = Math.tanh(vgates.get(g + 2 * hidden + j)), out = sigmoid(vgates.get(g + 3 * hidden + j));
                double cNew = f * vcPrev.get(o + j) + i * gg;
                vact.put(g + j, (float) i);
                vact.put(g + hidden + j, (float) f);
                vact.put(g + 2 * hidden + j, (float) gg);
                vact.put(g + 3 * hidden + j, (float) out);
                vc.put(o + j, (float) cNew);
                vh.put(o + j, (float) (out * Math.tanh(cNew)));
            }
        }
    }

    @Override
    public void lstmCellBackward(int batch, int hidden, Ptr act, Ptr cPrev, Ptr c, Ptr dh, Ptr dc, Ptr dGates, Ptr dcPrev) {
        FloatBuffer vact = view(act), vcPrev = view(cPrev), vc = view(c), vdh = view(dh), vdc = view(dc);
        FloatBuffer vdGates = view(dGates), vdcPrev = view(dcPrev);
        for (int r = 0; r < batch; r++) {
            int g = r * 4 * hidden, o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                double i = vact.get(g + j), f = vact.get(g + hidden + j), gg = vact.get(g + 2 * hidden + j), out = vact.get(g + 3 * hidden + j);
                double t = Math.tanh(vc.get(o + j)), dhj = vdh.get(o + j);
                double dcTotal = vdc.get(o + j) + dhj * out * (1.0 - t * t);
                vdGates.put(g + j, (float) (dcTotal * gg * i * (1.0 - i)));
                vdGates.put(g + hidden + j, (float) (dcTotal * vcPrev.get(o + j) * f * (1.0 - f)));
                vdGates.put(g + 2 * hidden + j, (float) (dcTotal * i * (1.0 - gg * gg)));
                vdGates.put(g + 3 * hidden + j, (float) (dhj * t * out * (1.0 - out)));
                vdcPrev.put(o + j, (float) (dcTotal * f));
            }
        }
    }

    // ---- batch normalisation: per channel, statistics in double over two passes, each value rounded once ----

    private static double weightAt(FloatBuffer w, int c) {
        return w == null ? 1.0 : w.get(c);
    }

    /** Writes y = (x - mean[c])·invstd[c]·weight[c] + bias[c] over x [n, channels, spatial]. */
    private static void batchNormApply(long n, int channels, long spatial, FloatBuffer vx, FloatBuffer vw, FloatBuffer vb,
                                       double[] mean, double[] invstd, FloatBuffer vy) {
        for (int c = 0; c < channels; c++) {
            double scale = invstd[c] * weightAt(vw, c), shift = vb == null ? 0.0 : vb.get(c);
            for (long i = 0; i < n; i++) {
                int base = (int) ((i * channels + c) * spatial);
                for (int s = 0; s < spatial; s++) vy.put(base + s, (float) ((vx.get(base + s) - mean[c]) * scale + shift));
            }
        }
    }

    @Override
    public void batchNormForward(long n, int channels, long spatial, float eps, float momentum, Ptr x, Ptr weight, Ptr bias,
                                 Ptr runningMean, Ptr runningVar, Ptr y, Ptr saveMean, Ptr saveInvstd) {
        FloatBuffer vx = view(x), vw = weight == null ? null : view(weight), vb = bias == null ? null : view(bias);
        FloatBuffer vrm = view(runningMean), vrv = view(runningVar), vsm = view(saveMean), vsi = view(saveInvstd);
        double m = (double) n * spatial;
        double[] mean = new double[channels], invstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0, sq = 0;
            for (long i = 0; i < n; i++) {
                int base = (int) ((i * channels + c) * spatial);
                for (int s = 0; s < spatial; s++) sum += vx.get(base + s);
            }
            mean[c] = sum / m;
            for (long i = 0; i < n; i++) {
                int base = (int) ((i * channels + c) * spatial);
                for (int s = 0; s < spatial; s++) {
                    double d = vx.get(base + s) - mean[c];
                    sq += d * d;
                }
            }
            double var = sq / m;
            invstd[c] = 1.0 / Math.sqrt(var + eps);
            vsm.put(c, (float) mean[c]);
            vsi.put(c, (float) invstd[c]);
            double unbiased = var * m / (m - 1);
            vrm.put(c, (float) ((1.0 - momentum) * vrm.get(c) + (double) momentum * mean[c]));
            vrv.put(c, (float) ((1.0 - momentum) * vrv.get(c) + (double) momentum * unbiased));
        }
        batchNormApply(n, channels, spatial, vx, vw, vb, mean, invstd, view(y));
    }

    @Override
    public void batchNormInference(long n, int channels, long spatial, float eps, Ptr x, Ptr weight, Ptr bias, Ptr runningMean,
                                   Ptr runningVar, Ptr y, Ptr invstd) {
        FloatBuffer vrm = view(runningMean), vrv = view(runningVar), vi = view(invstd);
        double[] mean = new double[channels], inv = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = vrm.get(c);
            inv[c] = 1.0 / Math.sqrt((double) vrv.get(c) + eps);
            vi.put(c, (float) inv[c]);
        }
        batchNormApply(n, channels, spatial, view(x), weight == null ? null : view(weight), bias == null ? null : view(bias), mean, inv,
                view(y));
    }

    @Override
    public void batchNormBackward(long n, int channels, long spatial, boolean training, Ptr x, Ptr dy, Ptr weight, Ptr mean,
                                  Ptr invstd, Ptr dx, Ptr dweight, Ptr dbias) {
        FloatBuffer vx = view(x), vdy = view(dy), vw = weight == null ? null : view(weight), vm = view(mean), vi = view(invstd);
        FloatBuffer vdx = view(dx), vdw = view(dweight), vdb = view(dbias);
        double m = (double) n * spatial;
        for (int c = 0; c < channels; c++) {
            double mu = vm.get(c), inv = vi.get(c), sumDy = 0, sumDyXhat = 0;
            for (long i = 0; i < n; i++) {
                int base = (int) ((i * channels + c) * spatial);
                for (int s = 0; s < spatial; s++) {
                    double g = vdy.get(base + s);
                    sumDy += g;
                    sumDyXhat += g * (vx.get(base + s) - mu) * inv;
                }
            }
            vdb.put(c, (float) sumDy);
            vdw.put(c, (float) sumDyXhat);
            double scale = weightAt(vw, c) * inv, meanDy = sumDy / m, meanDyXhat = sumDyXhat / m;
            for (long i = 0; i < n; i++) {
                int base = (int) ((i * channels + c) * spatial);
                for (int s = 0; s < spatial; s++) {
                    double g = vdy.get(base + s);
                    double v = training ? scale * (g - meanDy - (vx.get(base + s) - mu) * inv * meanDyXhat) : scale * g;
                    vdx.put(base + s, (float) v);
                }
            }
        }
    }

    @Override
    public void rand(long n, long state, Ptr y) {
        FloatBuffer vy = view(y);
        for (int i = 0; i < n; i++) vy.put(i, SplitMix64.floatAt(state, i));
    }

    @Override
    public void sgdMomentum(long n, float lr, float momentum, float weightDecay, boolean nesterov, Ptr w, Ptr g, Ptr v) {
        FloatBuffer vw = view(w), vg = view(g), vv = view(v);
        for (int i = 0; i < n; i++) {
            double vPrev = vv.get(i);
            double vNew = momentum * vPrev - lr * (vg.get(i) + (double) weightDecay * vw.get(i));
            double step = nesterov ? (1.0 + momentum) * vNew - momentum * vPrev : vNew;
            vv.put(i, (float) vNew);
            vw.put(i, (float) (vw.get(i) + step));
        }
    }

    @Override
    public void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                     Ptr w, Ptr g, Ptr m, Ptr v) {
        FloatBuffer vw = view(w), vg = view(g), vm = view(m), vv = view(v);
        double c1 = 1.0 - Math.pow(beta1, step), c2 = 1.0 - Math.pow(beta2, step);
        for (int i = 0; i < n; i++) {
            double d = vg.get(i) + (double) weightDecay * vw.get(i);
            double mi = beta1 * (double) vm.get(i) + (1.0 - beta1) * d;
            double vi = beta2 * (double) vv.get(i) + (1.0 - beta2) * d * d;
            vm.put(i, (float) mi);
            vv.put(i, (float) vi);
            vw.put(i, (float) (vw.get(i) - lr * (mi / c1) / (Math.sqrt(vi / c2) + eps)));
        }
    }
}
