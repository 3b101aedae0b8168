package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.closeToScale;
import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Grouped and depthwise conv2d (one im2col and batched GEMMs over the groups) against the
 * per-group formulation it replaced: each group's channels convolved with its filters by the
 * groups = 1 convolution, the results concatenated; forward and the x, w and bias gradients, on
 * random shapes; and central-difference gradient checks. Per backend.
 */
abstract class GroupedConvolutionTest extends PerBackend {

    static final class JavaTest extends GroupedConvolutionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends GroupedConvolutionTest {
        CpuTest() {
            super("cpu");
        }
    }

    GroupedConvolutionTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(22);

    /** One convolution's settings: batch, channels, height, width, filters per group, kernel, stride, padding, dilation, groups. */
    private record Case(int n, int c, int h, int w, int fg, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        @Override
        public String toString() {
            return "x [" + n + ", " + c + ", " + h + ", " + w + "], w [" + fg * groups + ", " + c / groups + ", " + kh + ", " + kw
                    + "], stride " + sh + "x" + sw + ", pad " + ph + "x" + pw + ", dilation " + dh + "x" + dw + ", groups " + groups;
        }
    }

    /** The per-group formulation: group g's channels convolved with its filters (groups = 1), concatenated along channels. */
    private static Tensor perGroup(Case k, Tensor x, Tensor w, Tensor b) {
        int cg = k.c / k.groups;
        Tensor[] parts = new Tensor[k.groups];
        for (int g = 0; g < k.groups; g++) {
            parts[g] = Convolution.conv2d(x.narrow(1, g * cg, cg), w.narrow(0, g * k.fg, k.fg), b == null ? null : b.narrow(0, g * k.fg, k.fg),
                    k.sh, k.sw, k.ph, k.pw, k.dh, k.dw, 1);
        }
        return Tensor.concat(1, parts);
    }

    private static Tensor grouped(Case k, Tensor x, Tensor w, Tensor b) {
        return Convolution.conv2d(x, w, b, k.sh, k.sw, k.ph, k.pw, k.dh, k.dw, k.groups);
    }

    @Test
    void groupedEqualsPerGroupForwardAndGradients() {
        int[] batches = {1, 3};
        int checked = 0;
        for (int t = 0; t < 24; t++) {
            int cg = 1 + rng.nextInt(3), groupsChoice = t % 4;
            int groups = switch (groupsChoice) {
                case 0 -> 1;
                case 1 -> 2;
                case 2 -> 3;
                default -> 2 + rng.nextInt(5); // depthwise: groups = C
            };
            if (groupsChoice == 3) cg = 1;
            int fg = groupsChoice == 3 ? 1 + rng.nextInt(2) : 1 + rng.nextInt(3);
            int kh = 1 + rng.nextInt(3), kw = 1 + rng.nextInt(3);
            int s = 1 + (t / 4) % 2, d = t % 3 == 2 ? 2 : 1;
            int ph = rng.nextInt(2), pw = rng.nextInt(3);
            int h = (kh - 1) * d + 1 + rng.nextInt(6), w = (kw - 1) * d + 2 + rng.nextInt(7); // non-square
            Case k = new Case(batches[(t / 8) % 2], cg * groups, h, w, fg, kh, kw, s, 1 + (t / 2) % 2, ph, pw, d, t % 5 == 4 ? 2 : 1, groups);
            if ((k.w + 2 * k.pw) < (k.kw - 1) * k.dw + 1) continue;
            compare(k, t % 6 != 5);
            checked++;
        }
        assertTrue(checked >= 20, "only " + checked + " cases ran");
        // MobileNetV2's depthwise layers: 3x3, pad 1, stride 1 and 2, many channels
        compare(new Case(1, 32, 12, 12, 1, 3, 3, 1, 1, 1, 1, 1, 1, 32), true);
        compare(new Case(3, 24, 9, 11, 1, 3, 3, 2, 2, 1, 1, 1, 1, 24), true);
    }

    private void compare(Case k, boolean withBias) {
        Tensor x = leaf(rng, k.n, k.c, k.h, k.w), w = leaf(rng, k.fg * k.groups, k.c / k.groups, k.kh, k.kw);
        Tensor b = withBias ? leaf(rng, k.fg * k.groups) : null;
        Tensor xr = x.detach().requiresGrad(true), wr = w.detach().requiresGrad(true), br = b == null ? null : b.detach().requiresGrad(true);
        Tensor y = grouped(k, x, w, b), ref = perGroup(k, xr, wr, br);
        assertArrayEquals(ref.shape(), y.shape(), k.toString());
        closeToScale(k + ": y", ref.toArray(), y.toArray());
        Tensor seed = Tensor.uniform(rng, -1, 1, y.shape());
        y.backward(seed);
        ref.backward(seed);
        closeToScale(k + ": dx", xr.grad().toArray(), x.grad().toArray());
        closeToScale(k + ": dw", wr.grad().toArray(), w.grad().toArray());
        if (b != null) closeToScale(k + ": db", br.grad().toArray(), b.grad().toArray());
    }

    @Test
    void depthwiseGradientsMatchCentralDifferences() {
        // groups = C = 4, two filters each, stride 2, padding, batch 3, non-square
        gradOk("depthwise", t -> Convolution.conv2d(t[0], t[1], t[2], 2, 2, 1, 1, 1, 1, 4),
                leaf(rng, 3, 4, 5, 7), leaf(rng, 8, 1, 3, 3), leaf(rng, 8));
        // depthwise with dilation 2 and a 3x2 kernel
        gradOk("dilated depthwise", t -> Convolution.conv2d(t[0], t[1], t[2], 1, 2, 2, 1, 2, 2, 3),
                leaf(rng, 2, 3, 6, 5), leaf(rng, 3, 1, 3, 2), leaf(rng, 3));
    }

    @Test
    void twoGroupGradientsMatchCentralDifferences() {
        gradOk("groups 2", t -> Convolution.conv2d(t[0], t[1], t[2], 1, 2, 1, 0, 1, 1, 2),
                leaf(rng, 3, 4, 6, 5), leaf(rng, 6, 2, 3, 2), leaf(rng, 6));
        gradOk("groups 2, dilation 2, no bias", t -> Convolution.conv2d(t[0], t[1], null, 2, 1, 2, 1, 2, 1, 2),
                leaf(rng, 1, 4, 7, 6), leaf(rng, 2, 2, 2, 3));
    }

    @Test
    void emptyBatchGivesEmptyOutputAndZeroWeightGradient() {
        Tensor x = leaf(rng, 0, 4, 5, 5), w = leaf(rng, 4, 1, 3, 3), b = leaf(rng, 4);
        Tensor y = Convolution.conv2d(x, w, b, 1, 1, 1, 1, 1, 1, 4);
        assertArrayEquals(new int[] {0, 4, 5, 5}, y.shape());
        y.sum().backward();
        assertArrayEquals(new float[36], w.grad().toArray());
        assertArrayEquals(new float[4], b.grad().toArray());
        assertEquals(0, x.grad().numel(), Shape.str(x.grad().shape()));
    }

    @Test
    void groupedConvolutionNeedsNoGradWhenNothingRequiresIt() {
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 6, 4, 4), w = Tensor.uniform(rng, -1, 1, 6, 2, 3, 3);
        Tensor y = Convolution.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 3);
        assertEquals(null, y.gradFn());
        assertTrue(Arrays.equals(new int[] {2, 6, 4, 4}, y.shape()));
    }
}
