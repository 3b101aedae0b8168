package dev.cortado.api;

import dev.cortado.autograd.GradMode;
import dev.cortado.models.Gpt;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's outputs on a batch of inputs, the same way in the test's JVM and in a new one:
 * {@code java ModelProbe model.safetensors inputs.bin outputs.bin} loads the model with
 * {@link Models#load} and writes its outputs for the inputs (raw little-endian doubles).
 */
public final class ModelProbe {

    private ModelProbe() {
    }

    public static void main(String[] args) throws IOException {
        Object model = Models.load(Path.of(args[0]));
        write(Path.of(args[2]), outputs(model, read(Path.of(args[1]))));
        if (model instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** How many input values one sample of {@code model} takes. */
    static int sampleSize(Object model) {
        if (model instanceof NetChain m) return (int) Shape.numel(m.inputShape());
        if (model instanceof BackpropNet m) return m.structure()[0];
        if (model instanceof AnnClassifier m) return m.features();
        if (model instanceof Classifier<?> m) return m.features();
        if (model instanceof Predictor m) return m.features();
        if (model instanceof Gpt m) return m.config().context();
        throw new IllegalArgumentException(String.valueOf(model));
    }

    /** The outputs of every sample of {@code inputs} (samples one after another), concatenated. */
    static double[] outputs(Object model, double[] inputs) {
        int per = sampleSize(model), n = inputs.length / per;
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(java.util.Arrays.copyOfRange(inputs, i * per, (i + 1) * per));
        double[][] x = rows.toArray(double[][]::new);
        List<Double> out = new ArrayList<>();
        if (model instanceof NetChain m) {
            int[] shape = new int[m.inputShape().length + 1];
            shape[0] = n;
            System.arraycopy(m.inputShape(), 0, shape, 1, shape.length - 1);
            try (MemoryScope s = MemoryScope.open(); GradMode off = GradMode.off()) {
                for (float v : m.apply(Tensor.of(HostArrays.toFloats(inputs), shape)).toArray()) out.add((double) v);
            }
        } else if (model instanceof BackpropNet m) {
            for (double[] r : x) for (double v : m.eval(r)) out.add(v);
        } else if (model instanceof AnnClassifier m) {
            for (double[] r : m.predictProba(x)) for (double v : r) out.add(v);
            for (int c : m.predict(x)) out.add((double) c);
        } else if (model instanceof Classifier<?> m) {
            for (double[] r : x) out.addAll(m.probabilities(r).values());
        } else if (model instanceof Predictor m) {
            for (double v : m.predict(x)) out.add(v);
        } else if (model instanceof Gpt m) {
            try (MemoryScope s = MemoryScope.open(); GradMode off = GradMode.off()) {
                for (float v : m.forward(Tensor.of(HostArrays.toFloats(inputs), n, per)).toArray()) out.add((double) v);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double[] read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(v);
        return v;
    }

    static void write(Path file, double[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(v);
        Files.write(file, b.array());
    }
}
