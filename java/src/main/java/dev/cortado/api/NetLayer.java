package dev.cortado.api;

import dev.cortado.nn.Initializer;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
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
        if (filters < 1 || kernel < 1) throw new IllegalArgumentException("convolution: filters and kernel must be >= 1, got " + filters + ", " + kernel);
        if (stride < 1) throw new IllegalArgumentException("convolution: stride must be >= 1, got " + stride);
        if (padding < 0) throw new IllegalArgumentException("convolution: padding must be >= 0, got " + padding);
        String name = stride == 1 && padding == 0 ? "convolution(" + filters + ", " + kernel + ")"
                : "convolution(" + filters + ", " + kernel + ", " + stride + ", " + padding + ")";
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
                        Initializer.constant(0f), rng);
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

    static boolean isSoftmax(NetLayer layer) {
        return layer.name.equals("softmax()");
    }

    private static void image(int[] in) {
        if (in.length != 3) throw new IllegalArgumentException("it takes an image [channels, height, width], not " + Arrays.toString(in));
    }
}
