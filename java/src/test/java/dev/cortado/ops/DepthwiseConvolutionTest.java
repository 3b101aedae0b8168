package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.closeToScale;
import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.leafIn;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.kernels.PerBackend;
import dev.cortado.memory.Device;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * conv2d with groups = channels = filters runs on the depthwise kernels: its output and the x, w
 * and bias gradients equal the grouped path's (one im2col and batched GEMMs, on the java kernels)
 * on random shapes (stride 1 to 3, padding up to the kernel, dilation, non-square kernels and
 * planes, channels 1 and primes, batch 1 and more, with and without bias); central-difference
 * gradient checks (stride 2 with padding; dilation); bad shapes refused naming op and shapes.
 * Per backend.
 */
abstract class DepthwiseConvolutionTest extends PerBackend {

    static final class JavaTest extends DepthwiseConvolutionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends DepthwiseConvolutionTest {
        CpuTest() {
            super("cpu");
        }
    }

    DepthwiseConvolutionTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(2_261_222);

    /** batch, channels, height, width, kernel, stride, padding, dilation. */
    private record Case(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
    }

    @Test
    void depthwiseEqualsTheGroupedPathForwardAndGradients() {
        int checked = 0;
        for (int t = 0; t < 30; t++) {
            int[] channels = {1, 2, 3, 5, 7, 13};
            int kh = 1 + rng.nextInt(4), kw = t % 3 == 0 ? 1 + rng.nextInt(5) : kh, d = t % 4 == 3 ? 2 : 1;
            Case k = new Case(t % 2 == 0 ? 1 : 1 + rng.nextInt(4), channels[rng.nextInt(channels.length)], 1 + rng.nextInt(14),
                    1 + rng.nextInt(17), kh, kw, 1 + rng.nextInt(3), 1 + rng.nextInt(3), rng.nextInt(kh), rng.nextInt(kw + 1), d, d);
            if (k.h + 2 * k.ph < (k.kh - 1) * k.dh + 1 || k.w + 2 * k.pw < (k.kw - 1) * k.dw + 1) continue;
            compare(k, t % 5 != 4);
            checked++;
        }
        assertTrue(checked >= 20, "only " + checked + " cases ran");
        compare(new Case(1, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1), true); // MobileNetV2's layers, smaller planes
        compare(new Case(2, 24, 15, 15, 3, 3, 2, 2, 1, 1, 1, 1), true);
    }

    private void compare(Case k, boolean withBias) {
        Tensor x = leaf(rng, k.n, k.c, k.h, k.w), w = leaf(rng, k.c, 1, k.kh, k.kw);
        Tensor b = withBias ? leaf(rng, k.c) : null;
        Tensor y = Convolution.conv2d(x, w, b, k.sh, k.sw, k.ph, k.pw, k.dh, k.dw, k.c);
        Tensor seed = Tensor.uniform(rng, -1, 1, y.shape());
        y.backward(seed);
        Tensor xr = x.detach().requiresGrad(true), wr = w.detach().requiresGrad(true), br = b == null ? null : b.detach().requiresGrad(true);
        try (Backends.Selection java = Backends.use("java")) {
            Tensor wd = k.dh == 1 && k.dw == 1 ? wr : Convolution.dilate(wr, k.dh, k.dw);
            Tensor ref = Convolution.grouped(xr, wd, br, k.sh, k.sw, k.ph, k.pw, k.c);
            assertArrayEquals(ref.shape(), y.shape(), k.toString());
            closeToScale(k + ": y", ref.toArray(), y.toArray());
            ref.backward(seed);
        }
        closeToScale(k + ": dx", xr.grad().toArray(), x.grad().toArray());
        closeToScale(k + ": dw", wr.grad().toArray(), w.grad().toArray());
        if (b != null) closeToScale(k + ": db", br.grad().toArray(), b.grad().toArray());
    }

    @Test
    void runsOnTheDepthwiseKernelsWithoutColumns() {
        KernelProfiler p = new KernelProfiler(Backends.of(Device.CPU));
        try (Backends.Selection s = Backends.use(p.kernels())) {
            Tensor x = leaf(rng, 2, 6, 9, 9), w = leaf(rng, 6, 1, 3, 3), b = leaf(rng, 6);
            Convolution.conv2d(x, w, b, 2, 2, 1, 1, 1, 1, 6).sum().backward();
        }
        String report = p.report(1);
        for (String kernel : new String[] {"depthwiseForward(", "depthwiseBackwardData(", "depthwiseBackwardFilter("}) {
            assertTrue(report.contains(kernel), kernel + " not called:\n" + report);
        }
        assertTrue(!report.contains("im2col(") && !report.contains("gemmBatched("), "the grouped path ran:\n" + report);
    }

    @Test
    void gradientsMatchCentralDifferences() {
        // stride 2, padding 1, batch 3, non-square planes
        gradOk("depthwise stride 2", t -> Convolution.conv2d(t[0], t[1], t[2], 2, 2, 1, 1, 1, 1, 4),
                leaf(rng, 3, 4, 7, 6), leaf(rng, 4, 1, 3, 3), leaf(rng, 4));
        // stride 3 x 1, padding 2 x 0, a 5 x 2 kernel, no bias
        gradOk("depthwise stride 3x1", t -> Convolution.conv2d(t[0], t[1], null, 3, 1, 2, 0, 1, 1, 3),
                leaf(rng, 2, 3, 8, 5), leaf(rng, 3, 1, 5, 2));
        // dilation 2
        gradOk("dilated depthwise", t -> Convolution.conv2d(t[0], t[1], t[2], 1, 2, 2, 1, 2, 2, 3),
                leaf(rng, 2, 3, 6, 5), leaf(rng, 3, 1, 3, 2), leaf(rng, 3));
    }

    @Test
    void badShapesAreRefused() {
        Tensor x = Tensor.ones(1, 4, 5, 5);
        rejects("conv2d: w [4, 2, 3, 3] expects 2 channels per group but x [1, 4, 5, 5] has 4 channels in 4 groups",
                () -> Convolution.conv2d(x, Tensor.ones(4, 2, 3, 3), null, 1, 1, 0, 0, 1, 1, 4));
        rejects("conv2d: bias [3] does not match 4 filters", () -> Convolution.conv2d(x, Tensor.ones(4, 1, 3, 3), Tensor.ones(3), 1, 1, 0, 0, 1, 1, 4));
        rejects("conv2d on x [1, 4, 5, 5], w [4, 1, 7, 7]: kernel 7x7 is larger than the padded input 5x5",
                () -> Convolution.conv2d(x, Tensor.ones(4, 1, 7, 7), null, 1, 1, 0, 0, 1, 1, 4));
        rejects("conv2d: x must be 4-D, got shape [1, 4, 5]", () -> Convolution.conv2d(Tensor.ones(1, 4, 5), Tensor.ones(4, 1, 3, 3), null, 1, 1, 0, 0, 1, 1, 4));
    }
    /**
     * depthwiseFused: with no gradient needed, one depthwise kernel call whose output pass clamps
     * (ReLU6, a two-sided clamp, ReLU), equal to conv2d and then clamp; with gradients, the same
     * composition, differentiable (central differences); a bad clamp or a weight that is not one
     * filter per channel refused by name.
     */
    @Test
    void depthwiseFusedClampsInTheKernelAndEqualsTheComposition() {
        Tensor x = leaf(rng, 2, 5, 9, 8), w = leaf(rng, 5, 1, 3, 3), b = leaf(rng, 5);
        float[][] clamps = {{0f, 6f}, {-0.4f, 0.3f}, {0f, Float.POSITIVE_INFINITY}};
        for (float[] c : clamps) {
            float[] expected = Convolution.conv2d(x, w, b, 2, 1, 1, 1, 1, 1, 5).clamp(c[0], c[1]).toArray();
            KernelProfiler p = new KernelProfiler(Backends.of(Device.CPU));
            float[] got;
            try (Backends.Selection s = Backends.use(p.kernels()); dev.cortado.autograd.GradMode off = dev.cortado.autograd.GradMode.off()) {
                got = Convolution.depthwiseFused(x, w, b, 2, 1, 1, 1, c[0], c[1]).toArray();
            }
            closeToScale("depthwiseFused clamp [" + c[0] + ", " + c[1] + "]", expected, got);
            String report = p.report(1);
            assertTrue(report.contains("depthwiseForward(") && !report.contains("unary("), "one kernel, no clamp pass:\n" + report);
        }
        gradOk("depthwiseFused ReLU6", t -> Convolution.depthwiseFused(t[0], t[1], t[2], 1, 1, 1, 1, 0f, 6f),
                leafIn(rng, -2, 2, 2, 3, 5, 4), leaf(rng, 3, 1, 3, 3), leaf(rng, 3));
        rejects("depthwiseFused: clamp range [6.0, 0.0] is not lo <= hi", () -> Convolution.depthwiseFused(x, w, b, 1, 1, 1, 1, 6f, 0f));
        rejects("depthwiseFused: w [5, 2, 3, 3] is not [5, 1, kh, kw]",
                () -> Convolution.depthwiseFused(x, Tensor.ones(5, 2, 3, 3), null, 1, 1, 1, 1, 0f, 6f));
    }
}
