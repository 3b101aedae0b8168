package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * BackpropNeuralNet.jl's three calls (init_network, train, net_eval), a port of Ruby ai4r's
 * Backpropagation: a fully connected net of logistic units with a bias unit on every layer but
 * the last, trained online, one backprop step per {@link #train} call.
 *
 * <pre>{@code
 * BackpropNet net = BackpropNet.init(2, 3, 2);
 * double err = net.train(new double[] {0.15, 0.7}, new double[] {0.1, 0.9});
 * double[] out = net.eval(new double[] {0.15, 0.7});
 * }</pre>
 *
 * The defaults are that package's: learning rate 0.25, momentum 0.1, weights uniform in
 * [-1, 1). Its update, kept here: with {@code change = -dE/dw} for E = ½ Σ (out - expected)²,
 * {@code w += rate · change + momentum · previous change}. Gradients come from the autograd
 * tape. Not thread-safe: one thread trains a net at a time.
 */
public final class BackpropNet implements AutoCloseable {

    private final int[] structure;
    private final Tensor[] weights;     // layer i: [structure[i] + 1 (the bias unit), structure[i + 1]]
    private final Tensor[] lastChanges;
    private double learningRate = 0.25;
    private double momentum = 0.1;

    private BackpropNet(int[] structure, Rng rng) {
        this.structure = structure.clone();
        weights = new Tensor[structure.length - 1];
        lastChanges = new Tensor[structure.length - 1];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = Tensor.uniform(rng, -1f, 1f, structure[i] + 1, structure[i + 1]).keep().requiresGrad(true);
            lastChanges[i] = Tensor.zeros(structure[i] + 1, structure[i + 1]).keep();
        }
    }

    /** A net with these layer sizes (inputs first, outputs last), weights drawn from a fixed seed. */
    public static BackpropNet init(int... structure) {
        return init(new Rng(1), structure);
    }

    /** A net with these layer sizes, weights drawn from {@code rng}. */
    public static BackpropNet init(Rng rng, int... structure) {
        if (rng == null) throw new IllegalArgumentException("BackpropNet: rng is null");
        if (structure == null || structure.length < 2) {
            throw new IllegalArgumentException("BackpropNet: needs at least an input and an output layer, got "
                    + Arrays.toString(structure));
        }
        for (int n : structure) {
            if (n < 1) throw new IllegalArgumentException("BackpropNet: every layer needs at least one unit, got " + Arrays.toString(structure));
        }
        return new BackpropNet(structure, rng);
    }

    public double learningRate() {
        return learningRate;
    }

    public BackpropNet learningRate(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("BackpropNet: learning rate must be > 0, got " + rate);
        learningRate = rate;
        return this;
    }

    public double momentum() {
        return momentum;
    }

    public BackpropNet momentum(double value) {
        if (!(value >= 0 && value < 1)) throw new IllegalArgumentException("BackpropNet: momentum must be in [0, 1), got " + value);
        momentum = value;
        return this;
    }

    /** The layer sizes, inputs first. */
    public int[] structure() {
        return structure.clone();
    }

    /** The outputs for one input vector (net_eval). */
    public double[] eval(double[] input) {
        checkLength("input", input, structure[0]);
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return HostArrays.toDoubles(forward(input).toArray());
        }
    }

    /** One online backprop step towards {@code expected} (train); returns ½ Σ (out - expected)² before the step. */
    public double train(double[] input, double[] expected) {
        checkLength("input", input, structure[0]);
        checkLength("expected output", expected, structure[structure.length - 1]);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor out = forward(input);
            Tensor target = Tensor.of(HostArrays.toFloats(expected), 1, expected.length);
            Tensor error = out.sub(target).square().sum().mul(0.5f);
            double before = error.item();
            for (Tensor w : weights) w.zeroGrad();
            error.backward();
            try (GradMode off = GradMode.off()) {
                for (int i = 0; i < weights.length; i++) {
                    Tensor change = weights[i].grad().neg(); // -dE/dw
                    weights[i].axpyInPlace((float) learningRate, change).axpyInPlace((float) momentum, lastChanges[i]);
                    lastChanges[i].copyFrom(change);
                }
            }
            return before;
        }
    }

    /** The weights of layer i ([units of layer i + 1 bias, units of layer i + 1]), row-major, a copy. */
    public double[] weights(int layer) {
        if (layer < 0 || layer >= weights.length) {
            throw new IllegalArgumentException("BackpropNet: layer " + layer + " out of range [0, " + weights.length + ")");
        }
        return HostArrays.toDoubles(weights[layer].toArray());
    }

    /** Logistic units layer by layer, each layer's activations extended by the bias unit 1. */
    private Tensor forward(double[] input) {
        Tensor a = Tensor.of(HostArrays.toFloats(input), 1, input.length);
        for (Tensor w : weights) {
            Tensor withBias = Tensor.concat(1, a, Tensor.ones(1, 1));
            a = withBias.matmul(w).sigmoid();
        }
        return a;
    }

    private static void checkLength(String what, double[] v, int n) {
        if (v == null) throw new IllegalArgumentException("BackpropNet: " + what + " is null");
        if (v.length != n) throw new IllegalArgumentException("BackpropNet: " + what + " has " + v.length + " values, the net expects " + n);
        for (double d : v) if (!Double.isFinite(d)) throw new IllegalArgumentException("BackpropNet: " + what + " holds " + d);
    }

    static final String KIND = "BackpropNet";

    /**
     * Saves the net in one safetensors file, atomically: its structure, learning rate and momentum in
     * the metadata ({@link ModelFile}), the weights ("weights.i", [units of layer i + 1 bias, units of
     * layer i + 1]) and the last changes the momentum term uses ("last_changes.i"), so that a loaded
     * net evaluates and trains on exactly as this one.
     */
    public void save(Path file) throws IOException {
        ObjectNode arch = ModelFile.object();
        ModelFile.putIntegers(arch, "structure", structure);
        ModelFile.putNumber(arch, "learning_rate", learningRate);
        ModelFile.putNumber(arch, "momentum", momentum);
        ModelFile.write(file, KIND, arch, tensors(), null);
    }

    /** A net saved by {@link #save}; a missing, corrupt, newer or other-kind file is an IOException naming it. */
    public static BackpropNet load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture());
        }
    }

    static BackpropNet from(ModelFile f, JsonNode arch) throws IOException {
        BackpropNet net;
        try {
            net = init(f.integers(arch, "structure")).learningRate(f.number(arch, "learning_rate")).momentum(f.number(arch, "momentum"));
        } catch (IllegalArgumentException e) {
            throw f.corrupt("cannot be rebuilt", e);
        }
        return f.fill(net, net.tensors());
    }

    private Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < weights.length; i++) m.put("weights." + i, weights[i]);
        for (int i = 0; i < weights.length; i++) m.put("last_changes." + i, lastChanges[i]);
        return m;
    }

    /** Frees the weights. */
    @Override
    public void close() {
        for (Tensor t : weights) t.close();
        for (Tensor t : lastChanges) t.close();
    }
}
