package dev.cortado.nn;

import dev.cortado.memory.Device;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a network: named parameters and buffers (owned by the module and freed when it
 * closes), child modules, and train/eval mode. Subclasses register parameters with
 * {@link #parameter}, buffers (state that is saved but not trained, as BatchNorm's running
 * statistics) with {@link #buffer} and children with {@link #child}.
 */
public abstract class Module implements AutoCloseable {

    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    public abstract Tensor forward(Tensor x);

    /** Registers a parameter: a leaf that requires grad, owned by this module. */
    protected final Tensor parameter(String name, Tensor value) {
        if (parameters.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name '" + name + "'");
        parameters.put(name, value.keep().requiresGrad(true));
        return value;
    }

    /** Registers a buffer, PyTorch's register_buffer: state owned by this module, saved with the weights, never trained. */
    protected final Tensor buffer(String name, Tensor value) {
        if (parameters.containsKey(name) || buffers.containsKey(name)) throw new IllegalArgumentException("duplicate buffer name '" + name + "'");
        buffers.put(name, value.keep());
        return value;
    }

    protected final <M extends Module> M child(String name, M module) {
        if (children.containsKey(name)) throw new IllegalArgumentException("duplicate child name '" + name + "'");
        children.put(name, module);
        return module;
    }

    /** Every parameter in this module and its children, by dotted name ("0.weight"), in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>(parameters);
        children.forEach((prefix, c) -> c.namedParameters().forEach((n, t) -> all.put(prefix + "." + n, t)));
        return Collections.unmodifiableMap(all);
    }

    /** Every buffer in this module and its children, by dotted name ("1.running_mean"), in registration order. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> all = new LinkedHashMap<>(buffers);
        children.forEach((prefix, c) -> c.namedBuffers().forEach((n, t) -> all.put(prefix + "." + n, t)));
        return Collections.unmodifiableMap(all);
    }

    /** Parameters and buffers by dotted name, in PyTorch's state_dict order (each module's parameters, its buffers, then its children's). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> all = new LinkedHashMap<>(parameters);
        all.putAll(buffers);
        children.forEach((prefix, c) -> c.stateDict().forEach((n, t) -> all.put(prefix + "." + n, t)));
        return Collections.unmodifiableMap(all);
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final Module train() {
        return mode(true);
    }

    public final Module eval() {
        return mode(false);
    }

    private Module mode(boolean train) {
        training = train;
        children.values().forEach(c -> c.mode(train));
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    /** Sets this module's mode alone (not its children's), to restore saved modes. */
    final void setTrainingOnly(boolean train) {
        training = train;
    }

    /** The direct children, by name, in registration order. */
    final Map<String, Module> childModules() {
        return Collections.unmodifiableMap(children);
    }

    /** How many numbers the parameters of this module and its children hold. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) n += p.numel();
        return n;
    }

    /** The name of this layer's kind in {@link #summary}: the class's simple name unless a layer says better. */
    protected String kind() {
        return getClass().getSimpleName();
    }

    /**
     * A table of the layers (a Sequential's, nested ones with dotted names), each one's output
     * shape for an input of {@code inputShape} (e.g. {@code 1, 1, 28, 28}) and its parameter
     * count, and the total, as Keras' {@code model.summary()}. The shapes come from one forward
     * of zeros without autograd, in eval mode (the modes are restored after), whose memory is
     * freed before this returns. Without a shape the table lists layers and parameters only.
     *
     * @throws IllegalArgumentException naming the layer that cannot take its input
     */
    public final String summary(int... inputShape) {
        return Summary.of(this, inputShape);
    }

    /**
     * Writes the parameters and buffers ({@link #stateDict}) to a safetensors file with PyTorch's names (a state_dict, which
     * {@code safetensors.torch.load_file} reads), atomically: an interrupted save leaves the old file.
     */
    public final void saveWeights(Path file) throws IOException {
        Safetensors.write(file, stateDict(), Map.of("format", "pt", "writer", "cortado"));
    }

    /**
     * Reads parameters and buffers saved by {@link #saveWeights} (or by PyTorch for a model of the same
     * layers) into this module; a missing name or another shape is an IOException naming the file.
     */
    public final void loadWeights(Path file) throws IOException {
        Safetensors.readInto(file, stateDict());
    }

    public final void zeroGrad() {
        for (Tensor p : parameters()) p.zeroGrad();
    }

    /**
     * Moves every parameter (and its gradient) and buffer to {@code device} in place, as PyTorch's
     * {@code module.to()}: the layers' parameter fields keep pointing at the same tensors.
     * An optimizer's state follows its parameters at the next step.
     */
    public final Module to(Device device) {
        for (Tensor p : parameters()) p.moveTo(device);
        for (Tensor b : namedBuffers().values()) b.moveTo(device);
        return this;
    }

    /** The device of the first parameter (CPU for a module without parameters). */
    public final Device device() {
        List<Tensor> p = parameters();
        return p.isEmpty() ? Device.CPU : p.get(0).device();
    }

    /** Frees every parameter (and gradient) and buffer of this module and its children. */
    @Override
    public void close() {
        parameters.values().forEach(Tensor::close);
        buffers.values().forEach(Tensor::close);
        children.values().forEach(Module::close);
    }
}
