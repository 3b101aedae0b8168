package dev.cortado.api;

import static dev.cortado.api.NetLayer.batchNormalization;
import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.elementwise;
import static dev.cortado.api.NetLayer.embedding;
import static dev.cortado.api.NetLayer.flatten;
import static dev.cortado.api.NetLayer.layerNormalization;
import static dev.cortado.api.NetLayer.lstm;
import static dev.cortado.api.NetLayer.pooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.residual;
import static dev.cortado.api.NetLayer.selfAttention;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;

import dev.cortado.autograd.GradMode;
import dev.cortado.models.Gpt;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One trained (or at least moved-from-its-start) model of every kind a file holds, and inputs for
 * it. Each is built from seeds other than the ones a load starts from, so a load that kept its
 * start weights would give other outputs.
 */
final class ModelSamples {

    private ModelSamples() {
    }

    /** A named sample: its model is made on demand. */
    record Sample(String name, Supplier<Object> model) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Sample> all() {
        return List.of(new Sample("NetChain (convolutions, batch norm, residual)", ModelSamples::convChain),
                new Sample("NetChain (embedding, attention, LSTM)", ModelSamples::sequenceChain),
                new Sample("BackpropNet", ModelSamples::backpropNet),
                new Sample("AnnClassifier", ModelSamples::ann),
                new Sample("Classifier<String>", ModelSamples::classifier),
                new Sample("Predictor", ModelSamples::predictor),
                new Sample("Gpt", ModelSamples::gpt));
    }

    /** Convolutions with and without biases, BatchNorm 2d and 1d, a projection residual, pooling, tanh; its running statistics moved by batches in training mode. */
    static NetChain convChain() {
        NetChain net = NetChain.of(convolution(4, 3, 1, 1, false), batchNormalization(), ramp(),
                residual(new NetLayer[] {convolution(6, 3, 2, 1, false), batchNormalization(), ramp(), convolution(6, 3, 1, 1)},
                        new NetLayer[] {convolution(6, 1, 2, 0, false), batchNormalization()}),
                pooling(2, 1), flatten(), 12, elementwise(NetLayer.Function.TANH), batchNormalization(), 5, softmax()).initialize(7L, 3, 8, 8);
        net.module().train();
        Rng rng = new Rng(11);
        try (GradMode off = GradMode.off()) {
            for (int i = 0; i < 3; i++) {
                try (MemoryScope s = MemoryScope.open()) {
                    net.apply(Tensor.uniform(rng, -1f, 3f, 6, 3, 8, 8));
                }
            }
        }
        net.module().eval();
        return net;
    }

    static NetChain sequenceChain() {
        return NetChain.of(embedding(8, 20), selfAttention(2, true), layerNormalization(), lstm(6), sequenceLast(), 4, softmax()).initialize(5L, 7);
    }

    static BackpropNet backpropNet() {
        BackpropNet net = BackpropNet.init(new Rng(3), 3, 5, 2).learningRate(0.3).momentum(0.2);
        Rng rng = new Rng(4);
        for (int i = 0; i < 20; i++) net.train(new double[] {rng.nextFloat(), rng.nextFloat(), rng.nextFloat()}, new double[] {0.2, 0.8});
        return net;
    }

    /** Three blobs of 4 features labelled 5, 7 and 9. */
    static double[][] blobs(int n, long seed) {
        Rng rng = new Rng(seed);
        double[][] x = new double[n][4];
        for (int i = 0; i < n; i++) for (int j = 0; j < 4; j++) x[i][j] = 3 * (i % 3) * (j % 2 == 0 ? 1 : -1) + rng.nextFloat();
        return x;
    }

    static AnnClassifier ann() {
        double[][] x = blobs(60, 1);
        int[] y = new int[x.length];
        for (int i = 0; i < y.length; i++) y[i] = 5 + 2 * (i % 3);
        return new AnnClassifier(6).epochs(3).learningRate(0.2).l2(1e-4).seed(9).fit(x, y);
    }

    static Classifier<String> classifier() {
        double[][] x = blobs(60, 2);
        List<Example<String>> examples = new ArrayList<>();
        for (int i = 0; i < x.length; i++) examples.add(new Example<>(x[i], new String[] {"cat", "dog", "émeu"}[i % 3]));
        return Classify.train(examples);
    }

    static Predictor predictor() {
        double[][] x = blobs(50, 3);
        List<Example<Double>> examples = new ArrayList<>();
        for (double[] r : x) examples.add(new Example<>(r, 100 + 3 * r[0] - r[1] * r[2]));
        return Predict.train(examples);
    }

    static Gpt gpt() {
        Gpt gpt = new Gpt(new Gpt.Config(11, 8, 16, 2, 2, 0f), new Rng(5));
        gpt.eval();
        return gpt;
    }

    /** {@code n} samples of inputs for {@code model}: ids below the vocabulary for sequences, values in [-2, 4) otherwise. */
    static double[] inputs(Object model, int n, long seed) {
        Rng rng = new Rng(seed);
        int per = ModelProbe.sampleSize(model);
        int ids = model instanceof Gpt g ? g.config().vocab()
                : model instanceof NetChain c && c.layers().get(0).kind().equals("embedding") ? 20 : 0;
        double[] v = new double[n * per];
        for (int i = 0; i < v.length; i++) v[i] = ids > 0 ? rng.nextInt(ids) : -2 + 6 * rng.nextFloat();
        return v;
    }

    static void close(Object model) {
        if (model instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
