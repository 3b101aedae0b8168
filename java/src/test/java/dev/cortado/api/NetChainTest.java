package dev.cortado.api;

import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.elementwise;
import static dev.cortado.api.NetLayer.flatten;
import static dev.cortado.api.NetLayer.linear;
import static dev.cortado.api.NetLayer.lstm;
import static dev.cortado.api.NetLayer.pooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.Dataset;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** NetChain's shape inference and apply, NetTrain on problems with a known answer, bad chains and options. */
class NetChainTest {

    private final Rng rng = new Rng(4);

    @Test
    void theSeedsMnistChainInfersItsShapes() {
        try (NetChain net = NetChain.of(convolution(20, 5), ramp(), pooling(2, 2), convolution(50, 5), ramp(), pooling(2, 2), flatten(),
                500, ramp(), 10, softmax()).initialize(1, 28, 28)) {
            assertArrayEquals(new int[] {10}, net.outputShape());
            assertTrue(net.isClassifier());
            // conv 20·1·25 + 20, conv 50·20·25 + 50, linear 500·800 + 500, linear 10·500 + 10
            long params = net.module().parameters().stream().mapToLong(Tensor::numel).sum();
            assertEquals(520 + 25050 + 400500 + 5010, params);
            Tensor batch = Tensor.uniform(rng, 0, 1, 3, 1, 28, 28);
            Tensor p = net.apply(batch);
            assertArrayEquals(new int[] {3, 10}, p.shape());
            for (float s : p.sum(1, false).toArray()) assertEquals(1f, s, 1e-5f);
            assertArrayEquals(new int[] {10}, net.apply(Tensor.uniform(rng, 0, 1, 1, 28, 28)).shape()); // one sample
        }
    }

    @Test
    void theSeedsSmallChains() {
        try (NetChain a = NetChain.of(linear(5)); NetChain b = NetChain.of(ramp()); NetChain c = NetChain.of(elementwise(NetLayer.Function.TANH));
             NetChain d = NetChain.of(elementwise(NetLayer.Function.LOGISTIC_SIGMOID))) {
            assertEquals(5, a.apply(Tensor.of(new float[] {1, 2, 3}, 3)).numel()); // initialized by the first data
            assertArrayEquals(new double[] {0, 2}, b.initialize(2).apply(new double[] {-1, 2}), 0);
            assertArrayEquals(new double[] {Math.tanh(1), Math.tanh(-2)}, c.initialize(2).apply(new double[] {1, -2}), 1e-6);
            assertArrayEquals(new double[] {1 / (1 + Math.exp(-1))}, d.initialize(1).apply(new double[] {1}), 1e-6);
        }
    }

    @Test
    void aChainThatCannotFitNamesTheLayerAndTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetChain.of(convolution(20, 5), ramp(), pooling(2, 2), convolution(50, 5)).initialize(1, 10, 10));
        assertEquals("NetChain: layer 4 convolution(50, 5) cannot take input [20, 3, 3]: its 5x5 kernel is larger than the 3x3 image", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NetChain.of(10, softmax(), convolution(2, 2)).initialize(4));
        assertEquals("NetChain: layer 3 convolution(2, 2) cannot take input [10]: it takes an image [channels, height, width], not [10]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetChain.of("five"));
        assertThrows(IllegalArgumentException.class, () -> NetChain.of());
        assertThrows(IllegalArgumentException.class, () -> linear(0));
        assertThrows(IllegalStateException.class, () -> NetChain.of(5).outputShape());
        try (NetChain net = NetChain.of(3).initialize(2)) {
            e = assertThrows(IllegalArgumentException.class, () -> net.apply(Tensor.ones(4, 3)));
            assertEquals("NetChain.apply: x [4, 3] is neither one input [2] nor a batch of them", e.getMessage());
        }
    }

    @Test
    void anLstmChainOverSequences() {
        try (NetChain net = NetChain.of(lstm(8), sequenceLast(), 3, softmax()).initialize(5, 4)) {
            assertArrayEquals(new int[] {3}, net.outputShape());
            // 4·8 gate rows over 4 inputs and 8 states, 32 biases; then linear 3·8 + 3
            assertEquals(32 * 4 + 32 * 8 + 32 + 27, net.module().parameters().stream().mapToLong(Tensor::numel).sum());
            assertArrayEquals(new int[] {2, 3}, net.apply(Tensor.uniform(rng, -1, 1, 2, 5, 4)).shape());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetChain.of(lstm(8)).initialize(1, 28, 28));
        assertEquals("NetChain: layer 1 lstm(8) cannot take input [1, 28, 28]: it takes a sequence [time, features], not [1, 28, 28]", e.getMessage());
        // a sequence task: is the sum of the first feature over 6 steps positive?
        int n = 400;
        float[] x = new float[n * 6 * 2], y = new float[n];
        for (int i = 0; i < n; i++) {
            float sum = 0;
            for (int t = 0; t < 6; t++) {
                x[(i * 6 + t) * 2] = 2 * rng.nextFloat() - 1;
                x[(i * 6 + t) * 2 + 1] = 2 * rng.nextFloat() - 1;
                sum += x[(i * 6 + t) * 2];
            }
            y[i] = sum > 0 ? 1 : 0;
        }
        try (NetChain net = NetChain.of(lstm(16), sequenceLast(), 2, softmax())) {
            NetTrain.Results r = NetTrain.train(net, new Dataset(x, new int[] {6, 2}, y), NetTrain.options().quiet().learningRate(0.01).maxTrainingRounds(25));
            assertTrue(r.errorPerRound()[24] < 0.1, "training error by round " + java.util.Arrays.toString(r.errorPerRound()));
        }
    }

    /** Three Gaussian blobs in 2-D, labels 0..2. */
    private Dataset blobs(int n) {
        float[] x = new float[2 * n], y = new float[n];
        double[][] centres = {{2, 0}, {-2, 1}, {0, -2}};
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            x[2 * i] = (float) (centres[c][0] + 0.5 * rng.nextGaussian());
            x[2 * i + 1] = (float) (centres[c][1] + 0.5 * rng.nextGaussian());
            y[i] = c;
        }
        return new Dataset(x, new int[] {2}, y);
    }

    @Test
    void netTrainClassifies() {
        Dataset train = blobs(600), test = blobs(300);
        try (NetChain net = NetChain.of(16, ramp(), 3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().quiet().maxTrainingRounds(15).learningRate(0.01).validationSet(test));
            double[] loss = r.lossPerRound();
            assertEquals(15, loss.length);
            assertTrue(loss[14] < loss[0] / 3, "loss " + java.util.Arrays.toString(loss));
            NetTrain.Round last = r.rounds().get(14);
            assertTrue(last.validationError() <= 0.05, "validation error " + last.validationError());
            assertEquals(0, net.classify(new double[] {2, 0}));
            assertEquals(2, net.classify(new double[] {0, -2}));
        }
    }

    @Test
    void netTrainRegressesWithMeanSquaredError() {
        int n = 400;
        float[] x = new float[2 * n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = 2 * rng.nextFloat() - 1;
            x[2 * i + 1] = 2 * rng.nextFloat() - 1;
            y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5f;
        }
        try (NetChain net = NetChain.of(linear(1))) {
            NetTrain.Results r = NetTrain.train(net, new Dataset(x, new int[] {2}, y),
                    NetTrain.options().quiet().method(NetTrain.Method.SGD_MOMENTUM).learningRate(0.05).maxTrainingRounds(30).batchSize(32));
            assertTrue(r.lossPerRound()[29] < 1e-4, "final MSE " + r.lossPerRound()[29]);
            assertEquals(2 * 0.5 - 0.25 + 0.5, net.apply(new double[] {0.5, 0.25})[0], 0.02);
            assertTrue(Double.isNaN(r.errorPerRound()[0]));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetTrain.train(NetChain.of(3), new Dataset(x, new int[] {2}, y), NetTrain.options().quiet()));
        assertTrue(e.getMessage().contains("must output [1], not [3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetTrain.options().quiet().batchSize(0));
    }
}
