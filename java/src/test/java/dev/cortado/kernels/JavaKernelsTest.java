package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertClose;
import static dev.cortado.kernels.Buffers.poisoned;
import static dev.cortado.kernels.Buffers.ptr;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cortado.memory.Ptr;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for every reference kernel. */
class JavaKernelsTest {

    private final KernelSet k = Backends.byName("java");

    @Test
    void gemmAllTransposesAlphaBeta() {
        // A = [1 2 3; 4 5 6] (2x3), B = [7 8; 9 10; 11 12] (3x2): A·B = [58 64; 139 154]
        float[] a = {1, 2, 3, 4, 5, 6}, aT = {1, 4, 2, 5, 3, 6};
        float[] b = {7, 8, 9, 10, 11, 12}, bT = {7, 9, 11, 8, 10, 12};
        float[] ab = {58, 64, 139, 154};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Ptr c = poisoned(4);
                k.gemm(ta, tb, 2, 2, 3, 1f, ptr(ta ? aT : a), ta ? 2 : 3, ptr(tb ? bT : b), tb ? 3 : 2, 0f, c, 2);
                assertClose(ab, c, "gemm transA=" + ta + " transB=" + tb);
            }
        }
        Ptr c = ptr(1, 1, 1, 1);
        k.gemm(false, false, 2, 2, 3, 2f, ptr(a), 3, ptr(b), 2, -1f, c, 2);
        assertClose(new float[] {115, 127, 277, 307}, c, "alpha 2, beta -1");
    }

    @Test
    void gemmLeadingDimensionsSkipPadding() {
        // A 2x2 inside rows of 3 (pad column = 100), C 2x2 inside rows of 3 (pad must stay 5)
        Ptr a = ptr(1, 2, 100, 3, 4, 100);
        Ptr b = ptr(1, 0, 0, 1);
        Ptr c = ptr(Float.NaN, Float.NaN, 5, Float.NaN, Float.NaN, 5);
        k.gemm(false, false, 2, 2, 2, 1f, a, 3, b, 2, 0f, c, 3);
        assertClose(new float[] {1, 2, 5, 3, 4, 5}, c, "identity product with lda = ldc = 3");
    }

    @Test
    void gemmWithKZeroScalesC() {
        Ptr c = ptr(2, 4);
        k.gemm(false, false, 1, 2, 0, 1f, ptr(0), 1, ptr(0), 2, 0.5f, c, 2);
        assertClose(new float[] {1, 2}, c, "k = 0 leaves beta * C");
    }

    @Test
    void im2colAndCol2imWithPadding() {
        // one 2x2 channel [1 2; 3 4], 2x2 kernel, stride 1, pad 1 -> 3x3 outputs
        Window w = Window.square(1, 2, 2, 2, 1, 1);
        Ptr col = poisoned(4 * 9);
        k.im2col(w, 1, ptr(1, 2, 3, 4), col);
        assertClose(new float[] {
            0, 0, 0, 0, 1, 2, 0, 3, 4,   // kernel (0,0)
            0, 0, 0, 1, 2, 0, 3, 4, 0,   // kernel (0,1)
            0, 1, 2, 0, 3, 4, 0, 0, 0,   // kernel (1,0)
            1, 2, 0, 3, 4, 0, 0, 0, 0},  // kernel (1,1)
            col, "im2col");
        // col2im of all ones counts how many windows cover each pixel: 4 each here
        float[] ones = new float[36];
        java.util.Arrays.fill(ones, 1f);
        Ptr im = poisoned(4);
        k.col2im(w, 1, ptr(ones), im);
        assertClose(new float[] {4, 4, 4, 4}, im, "col2im sums overlaps");
    }

    @Test
    void im2colBatchPutsImagesSideBySide() {
        // two 1x2x2 images, 1x1 kernel: each row of col is [image 0 pixels, image 1 pixels]
        Window w = Window.square(1, 2, 2, 1, 1, 0);
        Ptr col = poisoned(8);
        k.im2col(w, 2, ptr(1, 2, 3, 4, 5, 6, 7, 8), col);
        assertClose(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, col, "batched 1x1");
        // 2x2 kernel on 2x2 images, no pad: one window per image, rows = kernel positions
        Window w2 = Window.square(1, 2, 2, 2, 1, 0);
        Ptr col2 = poisoned(8);
        k.im2col(w2, 2, ptr(1, 2, 3, 4, 5, 6, 7, 8), col2);
        assertClose(new float[] {1, 5, 2, 6, 3, 7, 4, 8}, col2, "batched 2x2");
        Ptr back = poisoned(8);
        k.col2im(w2, 2, col2, back);
        assertClose(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, back, "col2im inverts a non-overlapping im2col");
    }

    @Test
    void convolutionByHand() {
        // x = [1 2; 3 4], w = [1 2; 0 -1], bias 10, pad 1: y(oy, ox) = x(oy-1, ox-1) + 2 x(oy-1, ox) - x(oy, ox) + 10
        Window w = Window.square(1, 2, 2, 2, 1, 1);
        Ptr y = poisoned(9);
        k.convForward(w, 1, 1, ptr(1, 2, 3, 4), ptr(1, 2, 0, -1), null, ptr(10), null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y);
        assertClose(new float[] {9, 8, 10, 9, 11, 12, 16, 21, 14}, y, "convForward");
        // dy = 1..9: dx(iy, ix) = dy(iy+1, ix+1) + 2 dy(iy+1, ix) - dy(iy, ix)
        Ptr dy = ptr(1, 2, 3, 4, 5, 6, 7, 8, 9), dx = poisoned(4), dw = poisoned(4);
        k.convBackwardData(w, 1, 1, ptr(1, 2, 0, -1), dy, dx);
        assertClose(new float[] {12, 14, 18, 20}, dx, "convBackwardData");
        // dw(ki, kj) = sum of dy(oy, ox) x(oy-1+ki, ox-1+kj), e.g. dw(0, 0) = 5*1 + 6*2 + 8*3 + 9*4
        k.convBackwardFilter(w, 1, 1, ptr(1, 2, 3, 4), dy, dw);
        assertClose(new float[] {77, 67, 47, 37}, dw, "convBackwardFilter");
    }

    @Test
    void im2colStrideTwoTwoChannels() {
        // two 3x3 channels, 1x1 kernel, stride 2: picks the four corners of each channel
        Window w = Window.square(2, 3, 3, 1, 2, 0);
        Ptr col = poisoned(8);
        k.im2col(w, 1, ptr(1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19), col);
        assertClose(new float[] {1, 3, 7, 9, 11, 13, 17, 19}, col, "strided corners");
    }

    @Test
    void maxPoolForwardBackward() {
        // 4x4 -> 2x2 with 2x2 windows; ties resolved to the first in scan order
        float[] x = {1, 5, 2, 2,
                     3, 4, 2, 2,
                     9, 0, -1, -2,
                     0, 9, -3, -4};
        Window w = Window.square(1, 4, 4, 2, 2, 0);
        Ptr y = poisoned(4);
        k.maxPoolForward(w, ptr(x), y);
        assertClose(new float[] {5, 2, 9, -1}, y, "max pool");
        Ptr dx = poisoned(16);
        k.maxPoolBackward(w, ptr(x), ptr(10, 20, 30, 40), dx);
        assertClose(new float[] {0, 10, 20, 0,
                                 0, 0, 0, 0,
                                 30, 0, 40, 0,
                                 0, 0, 0, 0}, dx, "max pool backward");
    }

    @Test
    void maxPoolWithPaddingIgnoresPad() {
        // all-negative input: a padded zero must never win
        Window w = Window.square(1, 2, 2, 2, 2, 1);
        Ptr y = poisoned(4);
        k.maxPoolForward(w, ptr(-1, -2, -3, -4), y);
        assertClose(new float[] {-1, -2, -3, -4}, y, "padding is not a candidate");
    }

    @Test
    void avgPoolForwardBackwardCountsPadding() {
        Window w = Window.square(1, 2, 2, 2, 2, 1); // each window holds one real pixel and three pads
        Ptr y = poisoned(4);
        k.avgPoolForward(w, ptr(4, 8, 12, 16), y);
        assertClose(new float[] {1, 2, 3, 4}, y, "avg pool with pad");
        Ptr dx = poisoned(4);
        k.avgPoolBackward(w, ptr(4, 8, 12, 16), dx);
        assertClose(new float[] {1, 2, 3, 4}, dx, "avg pool backward with pad");
        Window plain = Window.square(1, 2, 4, 2, 2, 0);
        Ptr y2 = poisoned(2);
        k.avgPoolForward(plain, ptr(1, 2, 3, 4, 5, 6, 7, 8), y2);
        assertClose(new float[] {3.5f, 5.5f}, y2, "avg pool");
    }

    @Test
    void activations() {
        Ptr x = ptr(-2, 0, 3);
        Ptr y = poisoned(3);
        k.sigmoidForward(3, x, y);
        assertClose(new float[] {(float) (1 / (1 + Math.exp(2))), 0.5f, (float) (1 / (1 + Math.exp(-3)))}, y, "sigmoid");
        Ptr dx = poisoned(3);
        k.sigmoidBackward(3, ptr(0.5f, 0.25f, 1f), ptr(2, 2, 2), dx);
        assertClose(new float[] {0.5f, 0.375f, 0f}, dx, "sigmoid backward from output");

        k.reluForward(3, x, y);
        assertClose(new float[] {0, 0, 3}, y, "relu");
        k.reluBackward(3, x, ptr(5, 6, 7), dx);
        assertClose(new float[] {0, 0, 7}, dx, "relu backward (0 at x = 0)");

        k.tanhForward(3, x, y);
        assertClose(new float[] {(float) Math.tanh(-2), 0, (float) Math.tanh(3)}, y, "tanh");
        k.tanhBackward(3, ptr(0.5f, 0f, -1f), ptr(4, 4, 4), dx);
        assertClose(new float[] {3f, 4f, 0f}, dx, "tanh backward from output");
    }

    @Test
    void reluPropagatesNaN() {
        Ptr y = poisoned(1);
        k.reluForward(1, ptr(Float.NaN), y);
        assertEquals(Float.NaN, Buffers.read(y, 1)[0]);
    }

    @Test
    void softmaxAndLogSoftmax() {
        // row [0, ln 2, ln 5] -> [1/8, 2/8, 5/8]; a second row shifted by 1000 must give the same
        float l2 = (float) Math.log(2), l5 = (float) Math.log(5);
        Ptr x = ptr(0, l2, l5, 1000, 1000 + l2, 1000 + l5);
        Ptr y = poisoned(6);
        k.softmaxForward(2, 3, x, y);
        // 1000 + ln 2 rounds to float (ulp 6e-5), so the shifted row matches to 1e-4
        assertClose(new float[] {0.125f, 0.25f, 0.625f, 0.125f, 0.25f, 0.625f}, Buffers.read(y, 6), 1e-4, 1e-4,
                "softmax, stable for large logits");
        Ptr ly = poisoned(6);
        k.logSoftmaxForward(2, 3, x, ly);
        float[] logs = {(float) Math.log(0.125), (float) Math.log(0.25), (float) Math.log(0.625)};
        assertClose(new float[] {logs[0], logs[1], logs[2], logs[0], logs[1], logs[2]}, Buffers.read(ly, 6), 1e-4, 1e-5, "log softmax");

        // softmax backward: dx = y (dy - y·dy); with dy = [1 0 0]: y·dy = 1/8
        Ptr dx = poisoned(3);
        k.softmaxBackward(1, 3, ptr(0.125f, 0.25f, 0.625f), ptr(1, 0, 0), dx);
        assertClose(new float[] {0.125f * 0.875f, -0.25f * 0.125f, -0.625f * 0.125f}, dx, "softmax backward");
        // log softmax backward: dx = dy - softmax * sum(dy); dy = [1 1 0] -> sum 2
        k.logSoftmaxBackward(1, 3, ptr(logs), ptr(1, 1, 0), dx);
        assertClose(new float[] {1 - 0.25f, 1 - 0.5f, -1.25f}, dx, "log softmax backward");
    }

    @Test
    void softmaxCrossEntropy() {
        float l2 = (float) Math.log(2), l5 = (float) Math.log(5);
        Ptr probs = poisoned(6), loss = poisoned(2);
        k.softmaxCrossEntropyForward(2, 3, ptr(0, l2, l5, 0, l2, l5), ptr(2, 0), probs, loss);
        assertClose(new float[] {0.125f, 0.25f, 0.625f, 0.125f, 0.25f, 0.625f}, probs, "probs");
        assertClose(new float[] {(float) -Math.log(0.625), (float) -Math.log(0.125)}, Buffers.read(loss, 2), 1e-6, 1e-5, "loss");
        Ptr dx = poisoned(6);
        k.softmaxCrossEntropyBackward(2, 3, probs, ptr(2, 0), 0.5f, dx);
        assertClose(new float[] {0.0625f, 0.125f, -0.1875f, -0.4375f, 0.125f, 0.3125f}, dx, "backward = scale (p - onehot)");
    }

    @Test
    void elementwise() {
        Ptr y = poisoned(3);
        k.add(3, ptr(1, 2, 3), ptr(10, 20, 30), y);
        assertClose(new float[] {11, 22, 33}, y, "add");
        k.mul(3, ptr(1, 2, 3), ptr(10, 20, 30), y);
        assertClose(new float[] {10, 40, 90}, y, "mul");
        k.scale(3, -2f, ptr(1, 2, 3), y);
        assertClose(new float[] {-2, -4, -6}, y, "scale");
        k.axpy(3, 3f, ptr(1, 1, 1), y);
        assertClose(new float[] {1, -1, -3}, y, "axpy accumulates");
        k.fill(2, 7f, y);
        assertClose(new float[] {7, 7, -3}, y, "fill touches n only");
        Ptr inPlace = ptr(1, 2);
        k.add(2, inPlace, inPlace, inPlace);
        assertClose(new float[] {2, 4}, inPlace, "add in place");
    }

    @Test
    void biasAddAndGrad() {
        // outer 2, channels 2, inner 2
        Ptr y = ptr(0, 0, 0, 0, 1, 1, 1, 1);
        k.biasAdd(2, 2, 2, ptr(10, 20), y);
        assertClose(new float[] {10, 10, 20, 20, 11, 11, 21, 21}, y, "bias add");
        Ptr db = poisoned(2);
        k.biasGrad(2, 2, 2, ptr(1, 2, 3, 4, 5, 6, 7, 8), db);
        assertClose(new float[] {1 + 2 + 5 + 6, 3 + 4 + 7 + 8}, db, "bias grad");
    }

    @Test
    void sumAndArgmax() {
        Ptr out = poisoned(1);
        k.sum(4, ptr(1, 2, 3, 4.5f), out);
        assertClose(new float[] {10.5f}, out, "sum");
        Ptr idx = poisoned(3);
        k.argmax(3, 3, ptr(1, 3, 2, 5, 5, 1, 0, Float.NaN, 9), idx);
        assertClose(new float[] {1, 0, 1}, idx, "argmax: first max; NaN wins");
    }

    @Test
    void sgdMomentumCaffeStyle() {
        // v = 0.9 * 1 - 0.1 * (2 + 0.5 * 4) = 0.5; w = 4 + 0.5
        Ptr w = ptr(4), g = ptr(2), v = ptr(1);
        k.sgdMomentum(1, 0.1f, 0.9f, 0.5f, false, w, g, v);
        assertClose(new float[] {0.5f}, v, "velocity");
        assertClose(new float[] {4.5f}, w, "weight");
        // nesterov: w += (1 + mu) v - mu vPrev = 1.9 * 0.5 - 0.9 * 1
        Ptr w2 = ptr(4), v2 = ptr(1);
        k.sgdMomentum(1, 0.1f, 0.9f, 0.5f, true, w2, ptr(2), v2);
        assertClose(new float[] {4f + 0.95f - 0.9f}, w2, "nesterov weight");
    }

    @Test
    void adamFirstStepMovesByLr() {
        // at step 1 the bias-corrected m/sqrt(v) is sign(g): w moves by lr (minus eps effects)
        Ptr w = ptr(1, 1), g = ptr(0.3f, -5f), m = ptr(0, 0), v = ptr(0, 0);
        k.adam(2, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1, w, g, m, v);
        assertClose(new float[] {0.99f, 1.01f}, w, "w");
        assertClose(new float[] {0.03f, -0.5f}, m, "m = (1 - b1) g");
        // 1 - 0.999f is 0.00099998713 in float arithmetic
        assertClose(new float[] {0.001f * 0.09f, 0.001f * 25f}, Buffers.read(v, 2), 1e-9, 2e-5, "v = (1 - b2) g^2");
    }
}
