package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Mathematica's NetChain: layers without input sizes, e.g.
 * {@code NetChain.of(convolution(20, 5), ramp(), pooling(2, 2), flatten(), 500, ramp(), 10, softmax())}
 * (a bare integer is a linear layer of that size). {@link #initialize} (NetInitialize), or the
 * first data the chain sees, fixes the shapes and draws the weights; a chain whose shapes
 * cannot fit says which layer and which shapes. A chain that ends in softmax is a classifier.
 * Not thread-safe.
 */
public final class NetChain implements AutoCloseable {

    private final List<NetLayer> layers;
    private int[] inputShape;
    private int[][] shapes;         // the output shape of each layer
    private Module[] modules;       // one per layer
    private Layers.Sequential module;
    private boolean closed;

    private NetChain(List<NetLayer> layers) {
        this.layers = layers;
    }

    /** The chain of these layers: {@link NetLayer}s, or integers (linear layers of that size). */
    public static NetChain of(Object... layers) {
        if (layers == null || layers.length == 0) throw new IllegalArgumentException("NetChain: no layers");
        List<NetLayer> list = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            Object l = layers[i];
            if (l instanceof NetLayer n) list.add(n);
            else if (l instanceof Integer n) list.add(NetLayer.linear(n));
            else throw new IllegalArgumentException("NetChain: layer " + (i + 1) + " is " + l + ", not a layer or a size");
        }
        return new NetChain(list);
    }

    /** NetInitialize with seed 1. */
    public NetChain initialize(int... inputShape) {
        return initialize(1, inputShape);
    }

    /** NetInitialize: fixes every layer's shapes for inputs of {@code inputShape} (one sample) and draws the weights. */
    public NetChain initialize(long seed, int... inputShape) {
        checkOpen();
        if (inputShape == null || inputShape.length == 0) throw new IllegalArgumentException("NetChain: the input shape is empty");
        for (int d : inputShape) if (d < 1) throw new IllegalArgumentException("NetChain: input shape " + Arrays.toString(inputShape) + " has an empty axis");
        int[][] out = new int[layers.size()][];
        int[] in = inputShape.clone();
        for (int i = 0; i < layers.size(); i++) {
            try {
                out[i] = layers.get(i).outputShape(in);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("NetChain: layer " + (i + 1) + " " + layers.get(i) + " cannot take input " + Arrays.toString(in)
                        + ": " + e.getMessage(), e);
            }
            in = out[i];
        }
        free();
        Rng rng = new Rng(seed);
        Module[] modules = new Module[layers.size()];
        in = inputShape.clone();
        for (int i = 0; i < layers.size(); i++) {
            modules[i] = layers.get(i).build(in, rng);
            in = out[i];
        }
        this.inputShape = inputShape.clone();
        this.shapes = out;
        this.modules = modules;
        this.module = new Layers.Sequential(modules);
        return this;
    }

    public boolean isInitialized() {
        return module != null;
    }

    /** Whether {@link #close} freed the weights (the chain can no longer be used). */
    public boolean isClosed() {
        return closed;
    }

    /** Whether the chain ends in softmax (its outputs are class probabilities). */
    public boolean isClassifier() {
        return NetLayer.isSoftmax(layers.get(layers.size() - 1));
    }

    /** The per-sample input shape fixed by {@link #initialize}. */
    public int[] inputShape() {
        checkInitialized();
        return inputShape.clone();
    }

    /** The per-sample output shape. */
    public int[] outputShape() {
        checkInitialized();
        return shapes[shapes.length - 1].clone();
    }

    /** The layers as written. */
    public List<NetLayer> layers() {
        return List.copyOf(layers);
    }

    /** The chain as a module (its parameters, train/eval, device). */
    public Module module() {
        checkInitialized();
        return module;
    }

    /**
     * net.apply: x is one sample (the input shape) or a batch ([n] + the input shape); an
     * uninitialized chain is initialized for x's shape first.
     */
    public Tensor apply(Tensor x) {
        if (x == null) throw new IllegalArgumentException("NetChain.apply: x is null");
        checkOpen();
        if (!isInitialized()) initialize(x.shape());
        int[] s = x.shape();
        boolean single = Arrays.equals(s, inputShape);
        if (!single && (s.length != inputShape.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), inputShape))) {
            throw new IllegalArgumentException("NetChain.apply: x " + Shape.str(s) + " is neither one input " + Shape.str(inputShape)
                    + " nor a batch of them");
        }
        if (!single) return module.forward(x);
        int[] batch = new int[s.length + 1];
        batch[0] = 1;
        System.arraycopy(s, 0, batch, 1, s.length);
        Tensor y = module.forward(x.reshape(batch));
        return y.reshape(outputShape());
    }

    /** The outputs for one sample given as values in row-major order of the input shape. */
    public double[] apply(double[] x) {
        checkInitialized();
        if (x == null || x.length != Shape.numel(inputShape)) {
            throw new IllegalArgumentException("NetChain.apply: " + (x == null ? "no" : x.length) + " values for an input " + Shape.str(inputShape));
        }
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return HostArrays.toDoubles(apply(Tensor.of(HostArrays.toFloats(x), inputShape)).toArray());
        }
    }

    /** A classifier chain's decision for one sample: the index of the largest probability. */
    public int classify(double[] x) {
        if (!isClassifier()) throw new IllegalStateException("NetChain.classify: the chain does not end in softmax()");
        double[] p = apply(x);
        int best = 0;
        for (int c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        return best;
    }

    /** The chain without its final softmax, on a batch: the logits a cross-entropy loss takes. */
    public Tensor logits(Tensor batch) {
        return module.forward(batch, modules.length - 1);
    }

    private void checkInitialized() {
        checkOpen();
        if (!isInitialized()) throw new IllegalStateException("NetChain: not initialized (call initialize(inputShape) or train it)");
    }

    /** IllegalStateException once the chain is closed. */
    void checkOpen() {
        if (closed) throw new IllegalStateException("NetChain: the chain was closed (close() freed its weights); build a new chain to use it again");
    }

    /** The kind a saved chain's file names. */
    static final String KIND = "NetChain";

    /**
     * Saves the chain in one safetensors file, atomically: the layers as written, the input shape
     * and the train/eval mode in the metadata ({@link ModelFile}), the weights and buffers (BatchNorm's
     * running statistics) by PyTorch's names ("0.weight", "3.running_mean"; PyTorch's
     * {@code safetensors.torch.load_file} reads them). An uninitialized chain saves its layers only.
     */
    public void save(Path file) throws IOException {
        checkOpen();
        ObjectNode arch = ModelFile.object();
        ArrayNode list = arch.putArray("layers");
        for (NetLayer l : layers) list.add(l.describe());
        if (isInitialized()) {
            ModelFile.putIntegers(arch, "input_shape", inputShape);
            arch.put("training", module.isTraining());
        }
        ModelFile.write(file, KIND, arch, isInitialized() ? module.stateDict() : Map.of(), null);
    }

    /**
     * A chain saved by {@link #save}, with its weights, buffers and mode: in a new JVM its outputs
     * are those of the saved chain, bit for bit. A missing, truncated or corrupt file, one of a newer
     * format version or of another model kind is an IOException naming the file.
     */
    public static NetChain load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture());
        }
    }

    /** The chain {@code arch} (an object of {@code f}'s architecture) describes, with {@code f}'s tensors. */
    static NetChain from(ModelFile f, JsonNode arch) throws IOException {
        JsonNode list = f.field(arch, "layers");
        if (!list.isArray() || list.isEmpty()) throw f.corrupt("has no layers", null);
        NetChain chain;
        try {
            NetLayer[] layers = new NetLayer[list.size()];
            for (int i = 0; i < layers.length; i++) layers[i] = NetLayer.parse(list.get(i));
            chain = NetChain.of((Object[]) layers);
        } catch (IllegalArgumentException e) {
            throw f.corrupt("cannot be rebuilt", e);
        }
        if (!arch.has("input_shape")) {
            if (!f.tensors().isEmpty()) throw f.corrupt("is uninitialized but the file holds tensors", null);
            return chain;
        }
        int[] shape = f.integers(arch, "input_shape");
        boolean training = f.bool(arch, "training");
        try {
            chain.initialize(shape);
        } catch (IllegalArgumentException e) {
            throw f.corrupt("cannot be rebuilt", e);
        }
        f.fill(chain, chain.module.stateDict());
        if (training) chain.module.train();
        else chain.module.eval();
        return chain;
    }

    @Override
    public String toString() {
        return "NetChain" + layers + (closed ? " (closed)" : isInitialized() ? " for input " + Arrays.toString(inputShape) : " (uninitialized)");
    }

    private void free() {
        if (module != null) module.close();
        module = null;
    }

    /** Frees the weights; the chain refuses any further use, saying it was closed. Closing twice does nothing. */
    @Override
    public void close() {
        free();
        closed = true;
    }
}
