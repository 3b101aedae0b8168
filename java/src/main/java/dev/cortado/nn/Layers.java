package dev.cortado.nn;

import dev.cortado.autograd.Autograd;
import dev.cortado.ops.Activations;
import dev.cortado.ops.Convolution;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Pooling;
import dev.cortado.ops.Recurrent;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.function.UnaryOperator;

/** The standard layers. Parameters start from the given initializers and seeded generator. */
public final class Layers {

    private Layers() {
    }

    /** An activation that can follow a layer (Mocha's "neuron"). */
    public enum Neuron {
        IDENTITY(x -> x), RELU(Activations::relu), SIGMOID(Activations::sigmoid), TANH(Activations::tanh);

        private final UnaryOperator<Tensor> f;

        Neuron(UnaryOperator<Tensor> f) {
            this.f = f;
        }

        public Tensor apply(Tensor x) {
            return f.apply(x);
        }
    }

    static Tensor init(Initializer init, Rng rng, int fanIn, int fanOut, int... shape) {
        return Tensor.of(init.values(shape, fanIn, fanOut, rng), shape);
    }

    /** Fully connected (Mocha's InnerProduct): y = neuron(x · Wᵀ + b), W [out, in], b [out]. */
    public static final class Linear extends Module {
        public final Tensor weight;
        public final Tensor bias;
        private final Neuron neuron;

        public Linear(int in, int out, Neuron neuron, Initializer weightInit, Initializer biasInit, Rng rng) {
            if (in < 1 || out < 1) throw new IllegalArgumentException("Linear sizes must be >= 1, got in=" + in + " out=" + out);
            weight = parameter("weight", init(weightInit, rng, in, out, out, in));
            bias = parameter("bias", init(biasInit, rng, in, out, out));
            this.neuron = neuron;
        }

        public Linear(int in, int out, Neuron neuron, Rng rng) {
            this(in, out, neuron, Initializer.xavier(), Initializer.constant(0f), rng);
        }

        @Override
        public Tensor forward(Tensor x) {
            return neuron.apply(Linalg.linear(x.dim() == 2 ? x : x.flatten(), weight, bias));
        }
    }

    /** 2-D convolution: W [filters, channels, k, k], b [filters] (none when biasInit is null); square kernel, stride, padding. */
    public static final class Conv2d extends Module {
        public final Tensor weight;
        public final Tensor bias;
        private final int stride;
        private final int pad;
        private final Neuron neuron;

        public Conv2d(int channels, int filters, int kernel, int stride, int pad, Neuron neuron,
                      Initializer weightInit, Initializer biasInit, Rng rng) {
            if (channels < 1 || filters < 1 || kernel < 1 || stride < 1 || pad < 0) {
                throw new IllegalArgumentException("bad Conv2d: channels=" + channels + " filters=" + filters + " kernel=" + kernel
                        + " stride=" + stride + " pad=" + pad);
            }
            int area = kernel * kernel;
            weight = parameter("weight", init(weightInit, rng, channels * area, filters * area, filters, channels, kernel, kernel));
            bias = biasInit == null ? null : parameter("bias", init(biasInit, rng, channels * area, filters * area, filters));
            this.stride = stride;
            this.pad = pad;
            this.neuron = neuron;
        }

        public Conv2d(int channels, int filters, int kernel, Rng rng) {
            this(channels, filters, kernel, 1, 0, Neuron.IDENTITY, Initializer.xavier(), Initializer.constant(0f), rng);
        }

        @Override
        public Tensor forward(Tensor x) {
            return neuron.apply(Convolution.conv2d(x, weight, bias, stride, pad));
        }

        /**
         * This convolution, then {@code norm} (eval mode: folded into the weights), then + z, then
         * ReLU — each optional — as one convolution ({@link Convolution#conv2dFused}); null when
         * this layer's own activation or a norm in training mode stands in the way.
         */
        Tensor forwardFused(Tensor x, BatchNorm norm, Tensor z, boolean relu) {
            if (neuron != Neuron.IDENTITY || norm != null && !norm.foldable()) return null;
            float lo = relu ? 0f : Float.NEGATIVE_INFINITY;
            if (norm == null) return Convolution.conv2dFused(x, weight, bias, z, stride, stride, pad, pad, lo, Float.POSITIVE_INFINITY);
            Tensor[] folded = norm.foldInto(weight, bias);
            try (Tensor w = folded[0]; Tensor b = folded[1]) {
                return Convolution.conv2dFused(x, w, b, z, stride, stride, pad, pad, lo, Float.POSITIVE_INFINITY);
            }
        }

        /** This layer's output shape for x [N, C, H, W]. */
        int[] outputShape(Tensor x) {
            return Convolution.outputShape(x, weight, stride, stride, pad, pad);
        }
    }

    public static final class MaxPool2d extends Module {
        private final int kernel, stride, pad;

        public MaxPool2d(int kernel, int stride, int pad) {
            this.kernel = kernel;
            this.stride = stride;
            this.pad = pad;
        }

        @Override
        public Tensor forward(Tensor x) {
            return Pooling.maxPool2d(x, kernel, kernel, stride, stride, pad, pad);
        }
    }

    public static final class AvgPool2d extends Module {
        private final int kernel, stride, pad;

        public AvgPool2d(int kernel, int stride, int pad) {
            this.kernel = kernel;
            this.stride = stride;
            this.pad = pad;
        }

        @Override
        public Tensor forward(Tensor x) {
            return Pooling.avgPool2d(x, kernel, kernel, stride, stride, pad, pad);
        }
    }

    /** An elementwise function as a layer: ReLU, Sigmoid, Tanh, Softmax, Flatten. */
    public static final class Function extends Module {
        private final String name;
        private final UnaryOperator<Tensor> f;

        private Function(String name, UnaryOperator<Tensor> f) {
            this.name = name;
            this.f = f;
        }

        @Override
        public Tensor forward(Tensor x) {
            return f.apply(x);
        }

        @Override
        protected String kind() {
            return name;
        }

        boolean isRelu() {
            return f == RELU;
        }
    }

    private static final UnaryOperator<Tensor> RELU = Activations::relu;

    public static Module relu() {
        return new Function("ReLU", RELU);
    }

    public static Module sigmoid() {
        return new Function("Sigmoid", Activations::sigmoid);
    }

    public static Module tanh() {
        return new Function("Tanh", Activations::tanh);
    }

    public static Module softmax() {
        return new Function("Softmax", Tensor::softmax);
    }

    public static Module flatten() {
        return new Function("Flatten", Tensor::flatten);
    }

    /** Keeps the last step of a sequence [batch, time, features]: [batch, features] (Mathematica's SequenceLastLayer). */
    public static Module sequenceLast() {
        return new Function("SequenceLast", x -> x.select(1, -1));
    }

    /**
     * A one-layer LSTM over sequences [batch, time, features] to every step's h [batch, time,
     * hidden] ({@link Recurrent#lstm}); weights uniform in ±1/sqrt(hidden) as PyTorch draws them,
     * one bias (PyTorch's b_ih + b_hh).
     */
    public static final class Lstm extends Module {
        public final Tensor weightIh;
        public final Tensor weightHh;
        public final Tensor bias;

        public Lstm(int features, int hidden, Rng rng) {
            if (features < 1 || hidden < 1) throw new IllegalArgumentException("Lstm sizes must be >= 1, got features=" + features + " hidden=" + hidden);
            float bound = (float) (1 / Math.sqrt(hidden));
            weightIh = parameter("weight_ih", Tensor.uniform(rng, -bound, bound, 4 * hidden, features));
            weightHh = parameter("weight_hh", Tensor.uniform(rng, -bound, bound, 4 * hidden, hidden));
            bias = parameter("bias", Tensor.uniform(rng, -bound, bound, 4 * hidden));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Recurrent.lstm(x, weightIh, weightHh, bias);
        }

        /** From the state (h0, c0) [batch, hidden] (null: zeros), with the final state: a sequence continued step by step. */
        public Recurrent.LstmResult forward(Tensor x, Tensor h0, Tensor c0) {
            return Recurrent.lstm(x, weightIh, weightHh, bias, h0, c0);
        }
    }

    /** Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1-p). */
    public static final class Dropout extends Module {
        private final float p;
        private final Rng rng;

        public Dropout(float p, Rng rng) {
            if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
            this.p = p;
            this.rng = rng;
        }

        @Override
        public Tensor forward(Tensor x) {
            return isTraining() ? dev.cortado.ops.Dropout.dropout(x, p, rng) : x;
        }
    }

    /** Layers applied in order (NetChain). Children are named "0", "1", ... */
    public static final class Sequential extends Module {
        private final Module[] layers;

        public Sequential(Module... layers) {
            this.layers = layers.clone();
            for (int i = 0; i < layers.length; i++) child(Integer.toString(i), layers[i]);
        }

        @Override
        public Tensor forward(Tensor x) {
            return forward(x, layers.length);
        }

        /**
         * The first {@code count} layers. Under {@link dev.cortado.autograd.GradMode#off} (inference)
         * a convolution, the eval-mode batch norm after it, the ReLU after that, and the add and ReLU
         * ending a residual block run as one convolution ({@link Fusion}).
         */
        public Tensor forward(Tensor x, int count) {
            if (count < 0 || count > layers.length) {
                throw new IllegalArgumentException("Sequential: " + count + " of its " + layers.length + " layers asked for");
            }
            return Fusion.run(layers, count, x);
        }

        /** The layers in order. */
        Module[] layers() {
            return layers.clone();
        }
    }
}
