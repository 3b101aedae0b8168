package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One layer of a {@link NetChain}, as Mathematica names them, without input sizes: the chain
 * infers each layer's input shape (per sample, no batch axis) from the one before. Each layer has
 * a {@link #description} (its kind and every argument, as JSON) that {@link #fromDescription}
 * reads back; one table holds every kind with its arguments and factory, and a saved chain's file
 * holds its layers so.
 */
public abstract class NetLayer {

    /** Mathematica's elementwise functions. */
    public enum Function {
        RAMP, TANH, LOGISTIC_SIGMOID
    }

    private final String name;
    private final Kind kind;
    private final Object[] arguments; // in the order of kind.parameters

    private NetLayer(String name, Kind kind, Object... arguments) {
        this.name = name;
        this.kind = kind;
        this.arguments = arguments;
        if (arguments.length != kind.parameters.size()) throw new IllegalStateException(kind.name + ": " + arguments.length + " arguments");
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
        return new NetLayer("linear(" + n + ")", LINEAR, n) {
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
        return new NetLayer(f == Function.RAMP ? "ramp()" : "elementwise(" + f + ")", ELEMENTWISE, f) {
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
        return new NetLayer(name, CONVOLUTION, filters, kernel, stride, padding, biases) {
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
        return new NetLayer("pooling(" + kernel + ", " + stride + ")", POOLING, kernel, stride) {
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
        return new NetLayer("lstm(" + n + ")", LSTM, n) {
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
        return new NetLayer("sequenceLast()", SEQUENCE_LAST) {
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
        return new NetLayer("flatten()", FLATTEN) {
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
        return new NetLayer("softmax()", SOFTMAX) {
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
        return new NetLayer("batchNormalization()", BATCH_NORMALIZATION) {
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
        return new NetLayer("layerNormalization()", LAYER_NORMALIZATION) {
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
        return new NetLayer("embedding(" + dim + ", " + vocabulary + ")", EMBEDDING, dim, vocabulary) {
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
        return new NetLayer("selfAttention(" + heads + (causal ? ", causal" : "") + ")", SELF_ATTENTION, heads, causal) {
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
        return new NetLayer("globalAveragePooling()", GLOBAL_AVERAGE_POOLING) {
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
        return new NetLayer(name, RESIDUAL, main, side) {
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

    // ---- The layer table: every kind's name in files, its arguments, and how to make it from them ----

    /** The type of a layer argument in a description. */
    private enum Type {
        INT, BOOLEAN, FUNCTION, LAYERS
    }

    private record Parameter(String name, Type type) {
    }

    /** A layer kind: its name in a description, its parameters in order, and the factory that makes the layer from arguments in that order. */
    private record Kind(String name, List<Parameter> parameters, java.util.function.Function<Object[], NetLayer> make) {
    }

    private static Kind kind(String name, java.util.function.Function<Object[], NetLayer> make, Object... parameters) {
        List<Parameter> list = new ArrayList<>();
        for (int i = 0; i < parameters.length; i += 2) list.add(new Parameter((String) parameters[i], (Type) parameters[i + 1]));
        return new Kind(name, List.copyOf(list), make);
    }

    private static final Kind LINEAR = kind("linear", a -> linear((Integer) a[0]), "size", Type.INT);
    private static final Kind ELEMENTWISE = kind("elementwise", a -> elementwise((Function) a[0]), "function", Type.FUNCTION);
    private static final Kind CONVOLUTION = kind("convolution", a -> convolution((Integer) a[0], (Integer) a[1], (Integer) a[2], (Integer) a[3], (Boolean) a[4]),
            "filters", Type.INT, "kernel", Type.INT, "stride", Type.INT, "padding", Type.INT, "biases", Type.BOOLEAN);
    private static final Kind POOLING = kind("pooling", a -> pooling((Integer) a[0], (Integer) a[1]), "kernel", Type.INT, "stride", Type.INT);
    private static final Kind LSTM = kind("lstm", a -> lstm((Integer) a[0]), "size", Type.INT);
    private static final Kind SEQUENCE_LAST = kind("sequenceLast", a -> sequenceLast());
    private static final Kind FLATTEN = kind("flatten", a -> flatten());
    private static final Kind SOFTMAX = kind("softmax", a -> softmax());
    private static final Kind BATCH_NORMALIZATION = kind("batchNormalization", a -> batchNormalization());
    private static final Kind LAYER_NORMALIZATION = kind("layerNormalization", a -> layerNormalization());
    private static final Kind EMBEDDING = kind("embedding", a -> embedding((Integer) a[0], (Integer) a[1]), "dim", Type.INT, "vocabulary", Type.INT);
    private static final Kind SELF_ATTENTION = kind("selfAttention", a -> selfAttention((Integer) a[0], (Boolean) a[1]), "heads", Type.INT, "causal", Type.BOOLEAN);
    private static final Kind GLOBAL_AVERAGE_POOLING = kind("globalAveragePooling", a -> globalAveragePooling());
    private static final Kind RESIDUAL = kind("residual", a -> residual((NetLayer[]) a[0], (NetLayer[]) a[1]), "branch", Type.LAYERS, "shortcut", Type.LAYERS);

    /**
     * Every layer kind by its name in a description. A new kind, or a new argument of one, is a
     * new {@link dev.cortado.train.ModelFile#FORMAT_VERSION}: older code then refuses the file by its version.
     */
    private static final Map<String, Kind> KINDS = table(LINEAR, ELEMENTWISE, CONVOLUTION, POOLING, LSTM, SEQUENCE_LAST, FLATTEN, SOFTMAX,
            BATCH_NORMALIZATION, LAYER_NORMALIZATION, EMBEDDING, SELF_ATTENTION, GLOBAL_AVERAGE_POOLING, RESIDUAL);

    private static Map<String, Kind> table(Kind... kinds) {
        Map<String, Kind> m = new LinkedHashMap<>();
        for (Kind k : kinds) if (m.put(k.name, k) != null) throw new IllegalStateException("NetLayer: kind " + k.name + " twice");
        return Collections.unmodifiableMap(m);
    }

    /** The names of the layer kinds a description can hold. */
    public static Set<String> kinds() {
        return KINDS.keySet();
    }

    /** The layer's kind in a description, e.g. "convolution". */
    public String kind() {
        return kind.name;
    }

    /**
     * The layer's description as JSON: its kind and every argument by name, defaults included, e.g.
     * {@code {"layer":"convolution","filters":20,"kernel":5,"stride":1,"padding":0,"biases":true}}
     * ({@link #fromDescription} reads it back; a {@link NetChain}'s saved file holds one per layer).
     */
    public String description() {
        return describe().toString();
    }

    /** The layer a {@link #description} describes; IllegalArgumentException saying what is wrong with it. */
    public static NetLayer fromDescription(String json) {
        if (json == null) throw new IllegalArgumentException("NetLayer.fromDescription: null");
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("NetLayer.fromDescription: not JSON (" + e.getMessage() + ")", e);
        }
        return parse(node);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    ObjectNode describe() {
        ObjectNode o = JSON.createObjectNode();
        o.put("layer", kind.name);
        for (int i = 0; i < arguments.length; i++) {
            String p = kind.parameters.get(i).name;
            Object a = arguments[i];
            switch (kind.parameters.get(i).type) {
                case INT -> o.put(p, (Integer) a);
                case BOOLEAN -> o.put(p, (Boolean) a);
                case FUNCTION -> o.put(p, ((Function) a).name());
                case LAYERS -> {
                    ArrayNode list = o.putArray(p);
                    for (NetLayer l : (NetLayer[]) a) list.add(l.describe());
                }
            }
        }
        return o;
    }

    static NetLayer parse(JsonNode node) {
        if (node == null || !node.isObject()) throw new IllegalArgumentException("a layer description must be a JSON object, not " + node);
        JsonNode name = node.get("layer");
        if (name == null || !name.isTextual()) throw new IllegalArgumentException("layer description " + node + " has no \"layer\" kind");
        Kind kind = KINDS.get(name.textValue());
        if (kind == null) throw new IllegalArgumentException("unknown layer kind '" + name.textValue() + "' (known: " + String.join(", ", KINDS.keySet()) + ")");
        Set<String> expected = new LinkedHashSet<>(List.of("layer"));
        Object[] args = new Object[kind.parameters.size()];
        for (int i = 0; i < args.length; i++) {
            Parameter p = kind.parameters.get(i);
            expected.add(p.name);
            JsonNode v = node.get(p.name);
            if (v == null) throw new IllegalArgumentException(kind.name + " layer " + node + " lacks its argument '" + p.name + "'");
            args[i] = switch (p.type) {
                case INT -> {
                    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw badArgument(kind, p, v);
                    yield v.intValue();
                }
                case BOOLEAN -> {
                    if (!v.isBoolean()) throw badArgument(kind, p, v);
                    yield v.booleanValue();
                }
                case FUNCTION -> {
                    if (!v.isTextual() || Arrays.stream(Function.values()).noneMatch(f -> f.name().equals(v.textValue()))) throw badArgument(kind, p, v);
                    yield Function.valueOf(v.textValue());
                }
                case LAYERS -> {
                    if (!v.isArray()) throw badArgument(kind, p, v);
                    NetLayer[] layers = new NetLayer[v.size()];
                    for (int j = 0; j < layers.length; j++) layers[j] = parse(v.get(j));
                    yield layers;
                }
            };
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!expected.contains(f)) throw new IllegalArgumentException(kind.name + " layer " + node + " has an unknown argument '" + f + "'");
        }
        return kind.make.apply(args);
    }

    private static IllegalArgumentException badArgument(Kind kind, Parameter p, JsonNode v) {
        String want = switch (p.type) {
            case INT -> "an integer";
            case BOOLEAN -> "true or false";
            case FUNCTION -> "one of " + Arrays.toString(Function.values());
            case LAYERS -> "an array of layers";
        };
        return new IllegalArgumentException(kind.name + " layer: argument '" + p.name + "' is " + v + ", not " + want);
    }
}
