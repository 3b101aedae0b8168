package dev.cortado.api;

import dev.cortado.nn.BatchNorm;
import dev.cortado.nn.Embedding;
import dev.cortado.nn.GlobalAvgPool;
import dev.cortado.nn.Initializer;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.nn.MultiheadAttention;
import dev.cortado.nn.Residual;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import java.util.Arrays;

/**
 * One layer of a {@link NetChain}, as Mathematica names them, without input sizes: the chain
 * infers each layer's input shape (per sample, no batch axis) from the one before.
 */
public abstract class NetLayer {

    /** Mathematica's elementwise functions. */
    public enum Function {
        RAMP, TANH, LOGISTIC_SIGMOID
    }

    private final String name;

    private NetLayer(String name) {
        this.name = name;
    }

    /** The layer as written, e.g. "convolution(20, 5)". */
    @Override
    public final String toString() {
        return name;
    }

    /** The output shape for this input shape; IllegalArgumentException with the reason when it cannot take it. */
    abstract int[] outputShape(int[] in);

    /** The layer for this input shape, its weights drawn from rng. */
    abstract Module build(int[] in, Rng rng);

    /** LinearLayer[n]: a fully connected layer of n outputs (on the flattened input). */
    public static NetLayer linear(int n) {
        if (n < 1) throw new IllegalArgumentException("linear: size must be >= 1, got " + n);
        return new NetLayer("linear(" + n + ")") {
            int[] outputShape(int[] in) {
                return new int[] {n};
            }

            Module build(int[] in, Rng rng) {
                return new Layers.Linear((int) Shape.numel(in), n, Layers.Neuron.IDENTITY, rng);
            }
        };
    }

    /** Ramp: ReLU. */
    public static NetLayer ramp() {
        return elementwise(Function.RAMP);
    }

    /** ElementwiseLayer[f]. */
    public static NetLayer elementwise(Function f) {
        if (f == null) throw new IllegalArgumentException("elementwise: function is null");
        return new NetLayer(f == Function.RAMP ? "ramp()" : "elementwise(" + f + ")") {
            int[] outputShape(int[] in) {
                return in.clone();
            }

            Module build(int[] in, Rng rng) {
                return switch (f) {
                    case RAMP -> Layers.relu();
                    case TANH -> Layers.tanh();
                    case LOGISTIC_SIGMOID -> Layers.sigmoid();
                };
            }
        };
    }

    /** ConvolutionLayer[filters, kernel]: stride 1, no padding, on [channels, height, width]. */
    public static NetLayer convolution(int filters, int kernel) {
        return convolution(filters, kernel, 1, 0);
    }

    /**
     * ConvolutionLayer[filters, kernel, "Stride" -> stride, "PaddingSize" -> padding] on
     * [channels, height, width]: {@code padding} zeros on each side of both spatial axes, output
     * size ⌊(size + 2·padding − kernel) / stride⌋ + 1 (padding (kernel − 1) / 2 with stride 1
     * keeps an odd kernel's "same" size).
     */
    public static NetLayer convolution(int filters, int kernel, int stride, int padding) {
        return convolution(filters, kernel, stride, padding, true);
    }

    /**
     * The same with {@code biases} false: no bias per filter ("Biases" -> None; PyTorch's
     * {@code bias=False}), as before a batch normalisation, whose shift makes a bias redundant.
     */
    public static NetLayer convolution(int filters, int kernel, int stride, int padding, boolean biases) {
        if (filters < 1 || kernel < 1) throw new IllegalArgumentException("convolution: filters and kernel must be >= 1, got " + filters + ", " + kernel);
        if (stride < 1) throw new IllegalArgumentException("convolution: stride must be >= 1, got " + stride);
        if (padding < 0) throw new IllegalArgumentException("convolution: padding must be >= 0, got " + padding);
        String name = "convolution(" + filters + ", " + kernel + (stride == 1 && padding == 0 && biases ? "" : ", " + stride + ", " + padding)
                + (biases ? ")" : ", no biases)");
        return new NetLayer(name) {
            int[] outputShape(int[] in) {
                image(in);
                int h = in[1] + 2 * padding, w = in[2] + 2 * padding;
                if (h < kernel || w < kernel) {
                    throw new IllegalArgumentException("its " + kernel + "x" + kernel + " kernel is larger than the " + in[1] + "x" + in[2] + " image"
                            + (padding > 0 ? " padded by " + padding : ""));
                }
                return new int[] {filters, (h - kernel) / stride + 1, (w - kernel) / stride + 1};
            }

            Module build(int[] in, Rng rng) {
                return new Layers.Conv2d(in[0], filters, kernel, stride, padding, Layers.Neuron.IDENTITY, Initializer.xavier(),
                        biases ? Initializer.constant(0f) : null, rng);
            }
        };
    }

    /** PoolingLayer[kernel, stride]: max pooling on [channels, height, width]. */
    public static NetLayer pooling(int kernel, int stride) {
        if (kernel < 1 || stride < 1) throw new IllegalArgumentException("pooling: kernel and stride must be >= 1, got " + kernel + ", " + stride);
        return new NetLayer("pooling(" + kernel + ", " + stride + ")") {
            int[] outputShape(int[] in) {
                image(in);
                if (in[1] < kernel || in[2] < kernel) {
                    throw new IllegalArgumentException("its " + kernel + "x" + kernel + " window is larger than the " + in[1] + "x" + in[2] + " image");
                }
                return new int[] {in[0], (in[1] - kernel) / stride + 1, (in[2] - kernel) / stride + 1};
            }

            Module build(int[] in, Rng rng) {
                return new Layers.MaxPool2d(kernel, stride, 0);
            }
        };
    }

    /** LongShortTermMemoryLayer[n]: a sequence [time, features] to every step's state [time, n]. */
    public static NetLayer lstm(int n) {
        if (n < 1) throw new IllegalArgumentException("lstm: size must be >= 1, got " + n);
        return new NetLayer("lstm(" + n + ")") {
            int[] outputShape(int[] in) {
                sequence(in);
                return new int[] {in[0], n};
            }

            Module build(int[] in, Rng rng) {
                return new Layers.Lstm(in[1], n, rng);
            }
        };
    }

    /** SequenceLastLayer[]: the last step of a sequence [time, features]. */
    public static NetLayer sequenceLast() {
        return new NetLayer("sequenceLast()") {
            int[] outputShape(int[] in) {
                sequence(in);
                return new int[] {in[1]};
            }

            Module build(int[] in, Rng rng) {
                return Layers.sequenceLast();
            }
        };
    }

    private static void sequence(int[] in) {
        if (in.length != 2) throw new IllegalArgumentException("it takes a sequence [time, features], not " + Arrays.toString(in));
    }

    /** FlattenLayer[]. */
    public static NetLayer flatten() {
        return new NetLayer("flatten()") {
            int[] outputShape(int[] in) {
                return new int[] {(int) Shape.numel(in)};
            }

            Module build(int[] in, Rng rng) {
                return Layers.flatten();
            }
        };
    }

    /** SoftmaxLayer[]: over a vector; a chain that ends in it is a classifier. */
    public static NetLayer softmax() {
        return new NetLayer("softmax()") {
            int[] outputShape(int[] in) {
                if (in.length != 1) throw new IllegalArgumentException("it takes a vector, not " + Arrays.toString(in));
                return in.clone();
            }

            Module build(int[] in, Rng rng) {
                return Layers.softmax();
            }
        };
    }

    /**
     * BatchNormalizationLayer[]: per channel of an image [channels, height, width] (BatchNorm2d) or
     * per value of a vector [n] (BatchNorm1d), over the batch in training and by the running
     * statistics when the chain is evaluated.
     */
    public static NetLayer batchNormalization() {
        return new NetLayer("batchNormalization()") {
            int[] outputShape(int[] in) {
                if (in.length != 1 && in.length != 3) {
                    throw new IllegalArgumentException("it takes a vector [n] or an image [channels, height, width], not " + Arrays.toString(in));
                }
                return in.clone();
            }

            Module build(int[] in, Rng rng) {
                return in.length == 3 ? BatchNorm.of2d(in[0]) : BatchNorm.of1d(in[0]);
            }
        };
    }

    /** LayerNormalizationLayer[]: normalises over the last axis (a vector's values, a sequence's features), with a learned scale and shift. */
    public static NetLayer layerNormalization() {
        return new NetLayer("layerNormalization()") {
            int[] outputShape(int[] in) {
                return in.clone();
            }

            Module build(int[] in, Rng rng) {
                return new LayerNorm(in[in.length - 1]);
            }
        };
    }

    /** EmbeddingLayer[dim, vocabulary]: a sequence of ids [time] (integers 0 .. vocabulary - 1) to vectors [time, dim]. */
    public static NetLayer embedding(int dim, int vocabulary) {
        if (dim < 1 || vocabulary < 1) throw new IllegalArgumentException("embedding: dim and vocabulary must be >= 1, got " + dim + ", " + vocabulary);
        return new NetLayer("embedding(" + dim + ", " + vocabulary + ")") {
            int[] outputShape(int[] in) {
                if (in.length != 1) throw new IllegalArgumentException("it takes a sequence of ids [time], not " + Arrays.toString(in));
                return new int[] {in[0], dim};
            }

            Module build(int[] in, Rng rng) {
                return new Embedding(vocabulary, dim, rng);
            }
        };
    }

    /** AttentionLayer as self-attention: a sequence [time, features] attends to itself with {@code heads} heads (causal: each step to itself and earlier ones). */
    public static NetLayer selfAttention(int heads, boolean causal) {
        if (heads < 1) throw new IllegalArgumentException("selfAttention: heads must be >= 1, got " + heads);
        return new NetLayer("selfAttention(" + heads + (causal ? ", causal" : "") + ")") {
            int[] outputShape(int[] in) {
                sequence(in);
                if (in[1] % heads != 0) throw new IllegalArgumentException("its " + heads + " heads do not divide the " + in[1] + " features");
                return in.clone();
            }

            Module build(int[] in, Rng rng) {
                return new MultiheadAttention(in[1], heads, causal, 0f, rng);
            }
        };
    }

    /** AggregationLayer[Mean] over an image's plane: [channels, height, width] to [channels] (global average pooling). */
    public static NetLayer globalAveragePooling() {
        return new NetLayer("globalAveragePooling()") {
            int[] outputShape(int[] in) {
                image(in);
                return new int[] {in[0]};
            }

            Module build(int[] in, Rng rng) {
                return new GlobalAvgPool();
            }
        };
    }

    /**
     * A residual block: x + branch(x), the branch a chain of these layers that must give back the
     * shape it takes (ResNet's identity shortcut, a transformer's sublayer).
     */
    public static NetLayer residual(NetLayer... branch) {
        return residual(branch, new NetLayer[0]);
    }

    /**
     * A residual block with a projection shortcut: branch(x) + shortcut(x), both chains of layers
     * that must give the same shape (ResNet's downsampling block: a strided 1x1 convolution and
     * batch normalisation as the shortcut). An empty shortcut is the identity.
     */
    public static NetLayer residual(NetLayer[] branch, NetLayer[] shortcut) {
        if (branch == null || branch.length == 0) throw new IllegalArgumentException("residual: no branch layers");
        if (shortcut == null) throw new IllegalArgumentException("residual: the shortcut is null (an empty array is the identity)");
        for (NetLayer l : branch) if (l == null) throw new IllegalArgumentException("residual: a branch layer is null");
        for (NetLayer l : shortcut) if (l == null) throw new IllegalArgumentException("residual: a shortcut layer is null");
        NetLayer[] main = branch.clone(), side = shortcut.clone();
        String name = "residual(" + names(main) + (side.length == 0 ? "" : "; shortcut " + names(side)) + ")";
        return new NetLayer(name) {
            int[] outputShape(int[] in) {
                int[] b = chainShape("branch", main, in), s = chainShape("shortcut", side, in);
                if (!Arrays.equals(b, s)) {
                    throw new IllegalArgumentException(side.length == 0
                            ? "its branch turns " + Arrays.toString(in) + " into " + Arrays.toString(b) + ", which cannot be added to it"
                            : "its branch gives " + Arrays.toString(b) + " but its shortcut " + Arrays.toString(s));
                }
                return b;
            }

            Module build(int[] in, Rng rng) {
                Module b = chain(main, in, rng);
                return side.length == 0 ? new Residual(b) : new Residual(b, chain(side, in, rng));
            }
        };
    }

    private static String names(NetLayer[] layers) {
        return String.join(", ", Arrays.stream(layers).map(NetLayer::toString).toList());
    }

    /** The shape a chain of layers gives for {@code in}, naming the layer that cannot take its input. */
    private static int[] chainShape(String what, NetLayer[] layers, int[] in) {
        int[] s = in;
        for (int i = 0; i < layers.length; i++) {
            try {
                s = layers[i].outputShape(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " layer " + (i + 1) + " " + layers[i] + " cannot take input " + Arrays.toString(s) + ": "
                        + e.getMessage(), e);
            }
        }
        return s;
    }

    private static Module chain(NetLayer[] layers, int[] in, Rng rng) {
        Module[] built = new Module[layers.length];
        int[] s = in;
        for (int i = 0; i < layers.length; i++) {
            built[i] = layers[i].build(s, rng);
            s = layers[i].outputShape(s);
        }
        return new Layers.Sequential(built);
    }

    static boolean isSoftmax(NetLayer layer) {
        return layer.name.equals("softmax()");
    }

    private static void image(int[] in) {
        if (in.length != 3) throw new IllegalArgumentException("it takes an image [channels, height, width], not " + Arrays.toString(in));
    }
}
