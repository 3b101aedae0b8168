package dev.cortado.onnx.importer;

import dev.cortado.ops.Activations;
import dev.cortado.ops.Arithmetic;
import dev.cortado.ops.Convolution;
import dev.cortado.ops.Normalization;
import dev.cortado.ops.Padding;
import dev.cortado.ops.Pooling;
import dev.cortado.ops.PreparedFilters;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

import java.util.Arrays;
import java.util.Set;

/** Conv, MaxPool, AveragePool, GlobalAveragePool and BatchNormalization (where it was not folded into a Conv), over 1-D or 2-D images. */
final class ConvPoolOps {

    private ConvPoolOps() {
    }

    private static final Set<String> AUTO_PADS = Set.of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID");

    /** The window of one node on one input: per spatial axis kernel, stride, dilation, and padding before and after. */
    record Geometry(int[] kernel, int[] stride, int[] dilation, int[] begin, int[] end) {

        boolean symmetric() {
            return Arrays.equals(begin, end);
        }

        boolean padded() {
            return Arrays.stream(begin).anyMatch(p -> p != 0) || Arrays.stream(end).anyMatch(p -> p != 0);
        }

        /** Padding's pad list (pairs from the last axis backwards) for padding by hand. */
        int[] torchPads() {
            int n = begin.length;
            int[] p = new int[2 * n];
            for (int i = 0; i < n; i++) {
                p[2 * i] = begin[n - 1 - i];
                p[2 * i + 1] = end[n - 1 - i];
            }
            return p;
        }
    }

    /** Attributes shared by Conv and the pools, read at load; {@link #geometry} resolves them for an input's sizes. */
    record Window(String autoPad, int[] kernel, int[] strides, int[] dilations, int[] pads) {

        static Window read(NodeContext c, boolean dilationsAllowed) {
            String autoPad = c.string("auto_pad", "NOTSET");
            c.require(AUTO_PADS.contains(autoPad), "auto_pad", autoPad);
            int[] dil = c.ints("dilations");
            if (!dilationsAllowed && dil != null) c.require(Arrays.stream(dil).allMatch(d -> d == 1), "dilations", Arrays.toString(dil));
            int[] pads = c.ints("pads");
            if (pads != null) c.require(Arrays.stream(pads).allMatch(p -> p >= 0), "pads", Arrays.toString(pads));
            int[] strides = c.ints("strides");
            if (strides != null) c.require(Arrays.stream(strides).allMatch(s -> s >= 1), "strides", Arrays.toString(strides));
            return new Window(autoPad, c.ints("kernel_shape"), strides, dil, pads);
        }

        Geometry geometry(int[] inputSizes, int[] kernelFromWeights) {
            int n = inputSizes.length;
            int[] k = kernel != null ? kernel : kernelFromWeights;
            if (k == null) throw new IllegalArgumentException("kernel_shape is required");
            if (kernelFromWeights != null && !Arrays.equals(k, kernelFromWeights)) {
                throw new IllegalArgumentException("kernel_shape " + Arrays.toString(k) + " differs from the weights' " + Arrays.toString(kernelFromWeights));
            }
            if (k.length != n) throw new IllegalArgumentException("a " + k.length + "-D kernel over " + n + " spatial axes");
            int[] s = orOnes(strides, n, "strides"), d = orOnes(dilations, n, "dilations");
            int[] b = new int[n], e = new int[n];
            for (int i = 0; i < n; i++) {
                if (autoPad.startsWith("SAME")) {
                    int out = (inputSizes[i] + s[i] - 1) / s[i];
                    int total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inputSizes[i]);
                    b[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    e[i] = total - b[i];
                } else if (autoPad.equals("NOTSET") && pads != null) {
                    if (pads.length != 2 * n) throw new IllegalArgumentException("pads " + Arrays.toString(pads) + " for " + n + " spatial axes");
                    b[i] = pads[i];
                    e[i] = pads[i + n];
                }
            }
            return new Geometry(k, s, d, b, e);
        }

        private static int[] orOnes(int[] a, int n, String name) {
            if (a == null) {
                int[] ones = new int[n];
                Arrays.fill(ones, 1);
                return ones;
            }
            if (a.length != n) throw new IllegalArgumentException(name + " " + Arrays.toString(a) + " for " + n + " spatial axes");
            return a;
        }
    }

    private static int[] spatial(int[] shape) {
        return Arrays.copyOfRange(shape, 2, shape.length);
    }

    /** x [N, C, ...] with 1 or 2 spatial axes as [N, C, H, W] (1-D: H = 1). */
    private static Tensor as2d(Tensor x, String what) {
        if (x.dim() == 4) return x;
        if (x.dim() == 3) return x.unsqueeze(2);
        throw new IllegalArgumentException(what + " must have 1 or 2 spatial axes, got shape " + Shape.str(x.shape()));
    }

    private static Tensor back(Tensor y, int rank) {
        return rank == 3 ? y.squeeze(2) : y;
    }

    /** Per-axis values as (H, W) pairs: 1-D windows get H = 1 (and padding 0). */
    private static int[] hw(int[] v, int fill) {
        return v.length == 2 ? v : new int[] {fill, v[0]};
    }

    static Op conv(NodeContext c) {
        return conv(c, Float.NaN, Float.NaN);
    }

    /**
     * ONNX Runtime's contrib FusedConv (domain com.microsoft, what {@link ConvFusion} makes of
     * Conv → Add → Relu or Clip): {@code activation(Conv(X, W, B) + Z)}, Z optional, activation
     * Relu or Clip (activation_params min, max) or none; one convolution with its tail where
     * {@link Convolution#conv2dFused} takes the shapes, else the ops one by one.
     */
    static Op fusedConv(NodeContext c) {
        float[] bounds = c.activationBounds();
        return conv(c, bounds[0], bounds[1]);
    }

    /** Conv, or (lo and hi not NaN) FusedConv clamping to [lo, hi] after adding its optional 4th input. */
    private static Op conv(NodeContext c, float lo, float hi) {
        Window win = Window.read(c, true);
        int group = Math.toIntExact(c.integer("group", 1));
        c.require(group >= 1, "group", group);
        boolean fused = !Float.isNaN(lo);
        PreparedFilters prepared = c.own(new PreparedFilters()); // the weights' panels, packed at load (the trace's run)
        return in -> {
            Tensor x = in[0].tensor(), w = in[1].tensor(), b = in.length > 2 && in[2] != null ? in[2].tensor() : null;
            Tensor z = fused && in.length > 3 && in[3] != null ? in[3].tensor() : null;
            if (w.dim() != x.dim()) throw new IllegalArgumentException("weights " + Shape.str(w.shape()) + " for input " + Shape.str(x.shape()));
            Geometry g = win.geometry(spatial(x.shape()), spatial(w.shape()));
            int rank = x.dim();
            Tensor x2 = as2d(x, "Conv input"), w2 = as2d(w, "Conv weights");
            int[] s = hw(g.stride(), 1), d = hw(g.dilation(), 1);
            int[] pad = hw(g.begin(), 0);
            if (!g.symmetric()) {
                x2 = Padding.pad(x2, g.torchPads(), 0f);
                pad = new int[] {0, 0};
            }
            if (rank == 4 && group == 1 && d[0] == 1 && d[1] == 1
                    && (z == null || Arrays.equals(z.shape(), Convolution.outputShape(x2, w2, s[0], s[1], pad[0], pad[1])))) {
                float low = fused ? lo : Float.NEGATIVE_INFINITY, high = fused ? hi : Float.POSITIVE_INFINITY;
                return Op.one(Value.of(Convolution.conv2dFused(x2, w2, prepared, b, z, s[0], s[1], pad[0], pad[1], low, high), in[0].type()));
            }
            if (!fused) return Op.one(Value.of(back(Convolution.conv2d(x2, w2, b, s[0], s[1], pad[0], pad[1], d[0], d[1], group), rank), in[0].type()));
            if (rank == 4 && z == null && group > 1 && group == x2.size(1) && group == w2.size(0) && w2.size(1) == 1 && d[0] == 1 && d[1] == 1) {
                return Op.one(Value.of(Convolution.depthwiseFused(x2, w2, b, s[0], s[1], pad[0], pad[1], lo, hi), in[0].type())); // MobileNet's
            }
            Tensor y = back(Convolution.conv2d(x2, w2, b, s[0], s[1], pad[0], pad[1], d[0], d[1], group), rank);
            if (z != null) y = Arithmetic.add(y, z);
            return Op.one(Value.of(Activations.clampActivation(y, lo, hi), in[0].type()));
        };
    }

    static Op maxPool(NodeContext c) {
        Window win = Window.read(c, false);
        boolean ceil = c.integer("ceil_mode", 0) != 0;
        long storage = c.integer("storage_order", 0);
        c.require(storage == 0, "storage_order", storage);
        c.atMostOutputs(1);
        return in -> {
            Tensor x = in[0].tensor();
            Geometry g = win.geometry(spatial(x.shape()), null);
            int rank = x.dim();
            Tensor x2 = as2d(x, "MaxPool input");
            int[] k = hw(g.kernel(), 1), s = hw(g.stride(), 1), pad = hw(g.begin(), 0);
            if (!g.symmetric() || pad[0] > k[0] / 2 || pad[1] > k[1] / 2) {
                if (ceil) throw new IllegalArgumentException("ceil_mode with asymmetric padding is not supported");
                x2 = Padding.pad(x2, g.torchPads(), Float.NEGATIVE_INFINITY);
                pad = new int[] {0, 0};
            }
            Tensor y = Pooling.maxPool2d(x2, k[0], k[1], s[0], s[1], pad[0], pad[1], ceil);
            return Op.one(Value.of(back(y, rank), in[0].type()));
        };
    }

    static Op averagePool(NodeContext c) {
        Window win = Window.read(c, false);
        boolean ceil = c.integer("ceil_mode", 0) != 0;
        boolean countPad = c.integer("count_include_pad", 0) != 0;
        return in -> {
            Tensor x = in[0].tensor();
            Geometry g = win.geometry(spatial(x.shape()), null);
            int rank = x.dim();
            Tensor x2 = as2d(x, "AveragePool input");
            int[] k = hw(g.kernel(), 1), s = hw(g.stride(), 1), pad = hw(g.begin(), 0);
            if (!g.symmetric() || pad[0] > k[0] / 2 || pad[1] > k[1] / 2) {
                if (ceil || !countPad) {
                    throw new IllegalArgumentException("asymmetric padding is supported with count_include_pad = 1 and ceil_mode = 0 only");
                }
                x2 = Padding.pad(x2, g.torchPads(), 0f);
                pad = new int[] {0, 0};
            }
            Tensor y = Pooling.avgPool2d(x2, k[0], k[1], s[0], s[1], pad[0], pad[1], ceil, countPad);
            return Op.one(Value.of(back(y, rank), in[0].type()));
        };
    }

    static Op globalAveragePool(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            if (x.dim() == 4) return Op.one(Value.of(Pooling.adaptiveAvgPool2d(x, 1, 1), in[0].type()));
            if (x.dim() < 3) throw new IllegalArgumentException("input must be [N, C, spatial...], got " + Shape.str(x.shape()));
            int[] axes = new int[x.dim() - 2];
            for (int i = 0; i < axes.length; i++) axes[i] = i + 2;
            return Op.one(Value.of(x.mean(axes, true), in[0].type()));
        };
    }

    /** Inference-mode batch normalisation (one following a Conv is folded into it at load: {@link BatchNormFolding}). */
    static Op batchNormalization(NodeContext c) {
        float eps = c.real("epsilon", 1e-5f);
        c.real("momentum", 0.9f); // only training updates running statistics
        long training = c.integer("training_mode", 0);
        c.require(training == 0, "training_mode", training);
        c.atMostOutputs(1);
        return in -> Op.one(Value.of(Normalization.batchNorm(in[0].tensor(), in[3].tensor(), in[4].tensor(), in[1].tensor(), in[2].tensor(),
                false, 0.1f, eps), in[0].type()));
    }
}
