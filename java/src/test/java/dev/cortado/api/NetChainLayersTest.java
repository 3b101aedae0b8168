package dev.cortado.api;

import static dev.cortado.api.NetLayer.batchNormalization;
import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.embedding;
import static dev.cortado.api.NetLayer.globalAveragePooling;
import static dev.cortado.api.NetLayer.layerNormalization;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.residual;
import static dev.cortado.api.NetLayer.selfAttention;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.data.Dataset;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The modern layers in NetChain: residual branches, global average pooling, layer normalisation, embeddings, self-attention. */
class NetChainLayersTest {

    @Test
    void aResidualConvolutionChainInfersItsShapes() {
        try (NetChain net = NetChain.of(convolution(8, 3, 1, 1), ramp(), residual(convolution(8, 3, 1, 1), ramp(), convolution(8, 3, 1, 1)),
                globalAveragePooling(), 10, softmax()).initialize(2, 12, 12)) {
            assertArrayEquals(new int[] {10}, net.outputShape());
            // 3 convolutions (2·9·8+8, then 8·9·8+8 twice) and linear 8 -> 10
            assertEquals(2 * 9 * 8 + 8 + 2 * (8 * 9 * 8 + 8) + 8 * 10 + 10, net.module().parameterCount());
            double[] p = net.apply(new double[2 * 12 * 12]);
            assertEquals(1, java.util.Arrays.stream(p).sum(), 1e-5);
        }
    }

    /** ResNet's basic block in NetChain terms: conv-BN-ReLU-conv-BN added to its input; BN's statistics move only in training. */
    @Test
    void batchNormalizationInAResidualBlock() {
        try (NetChain net = NetChain.of(convolution(4, 3, 1, 1), batchNormalization(), ramp(),
                residual(convolution(4, 3, 1, 1), batchNormalization(), ramp(), convolution(4, 3, 1, 1), batchNormalization()), ramp(),
                globalAveragePooling(), 3, softmax()).initialize(1, 6, 6)) {
            Map<String, Tensor> state = net.module().stateDict();
            assertTrue(state.containsKey("1.running_mean") && state.containsKey("3.branch.1.running_var"), state.keySet().toString());
            float[] before = state.get("1.running_mean").toArray();
            net.apply(new double[36]); // evaluation: running statistics untouched
            assertArrayEquals(before, state.get("1.running_mean").toArray());
            float[] x = new float[12 * 36], y = new float[12];
            Rng rng = new Rng(2);
            for (int i = 0; i < x.length; i++) x[i] = 3 + rng.nextFloat();
            for (int i = 0; i < y.length; i++) y[i] = i % 3;
            NetTrain.train(net, new Dataset(x, new int[] {1, 6, 6}, y), NetTrain.options().quiet().maxTrainingRounds(1).batchSize(12));
            float[] after = state.get("1.running_mean").toArray();
            assertTrue(!java.util.Arrays.equals(before, after), "training moved the running mean");
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetChain.of(NetLayer.embedding(4, 3), batchNormalization()).initialize(5))
                .getMessage().contains("it takes a vector [n] or an image [channels, height, width], not [5, 4]"));
    }

    @Test
    void aResidualWithAZeroBranchIsTheIdentity() {
        try (NetChain net = NetChain.of(residual(convolution(2, 3, 1, 1), ramp())).initialize(2, 5, 5)) {
            try (GradMode off = GradMode.off()) {
                for (Tensor w : net.module().parameters()) w.copyFrom(new float[(int) w.numel()]);
            }
            Tensor x = Tensor.uniform(new Rng(3), -1, 1, 4, 2, 5, 5);
            assertArrayEquals(x.toArray(), net.apply(x).toArray());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetChain.of(residual(convolution(4, 3))).initialize(2, 5, 5));
        assertTrue(e.getMessage().contains("its branch turns [2, 5, 5] into [4, 3, 3], which cannot be added to it"), e.getMessage());
    }

    @Test
    void aSequenceChainWithEmbeddingAttentionAndNormalisation() {
        try (NetChain net = NetChain.of(embedding(16, 11), residual(layerNormalization(), selfAttention(4, true)), layerNormalization(),
                sequenceLast(), 11, softmax()).initialize(9)) {
            assertArrayEquals(new int[] {11}, net.outputShape());
            Map<String, Tensor> p = net.module().namedParameters();
            assertArrayEquals(new int[] {11, 16}, p.get("0.weight").shape(), "embedding table: " + p.keySet());
            assertArrayEquals(new int[] {48, 16}, p.get("1.branch.1.in_proj_weight").shape(), "attention's PyTorch layout: " + p.keySet());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetChain.of(embedding(16, 11), selfAttention(3, false)).initialize(9))
                .getMessage().contains("its 3 heads do not divide the 16 features"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetChain.of(embedding(4, 3)).initialize(2, 5))
                .getMessage().contains("it takes a sequence of ids [time], not [2, 5]"));
    }

    /** NetTrain fits the sequence chain: the class of a sequence is the id after its last (a cycle of 7). */
    @Test
    void netTrainLearnsTheNextIdWithAttention() {
        int vocab = 7, time = 6, n = 280;
        Rng rng = new Rng(5);
        float[] x = new float[n * time], y = new float[n];
        for (int i = 0; i < n; i++) {
            int start = rng.nextInt(vocab);
            for (int t = 0; t < time; t++) x[i * time + t] = (start + t) % vocab;
            y[i] = (start + time) % vocab;
        }
        Dataset data = new Dataset(x, new int[] {time}, y);
        try (NetChain net = NetChain.of(embedding(16, vocab), residual(layerNormalization(), selfAttention(2, true)), layerNormalization(),
                sequenceLast(), vocab, softmax())) {
            NetTrain.Results r = NetTrain.train(net, data, NetTrain.options().quiet().maxTrainingRounds(15).batchSize(20).learningRate(1e-2));
            NetTrain.Round last = r.rounds().get(r.rounds().size() - 1);
            assertTrue(last.error() < 0.05, "training error after 15 rounds: " + last.error());
        }
    }

    @Test
    void resNet20HasPyTorchsParameterCount() {
        try (NetChain net = NetModels.cifarResNet(20, 10).initialize(1, 28, 28)) {
            assertArrayEquals(new int[] {10}, net.outputShape());
            assertEquals(272_186, net.module().parameterCount()); // benchmarks/resnet20.py prints 272,186 for PyTorch's model
        }
        assertEquals(466_906, NetModels.cifarResNet(32, 10).initialize(3, 32, 32).module().parameterCount()); // PyTorch, the same blocks (n = 5, RGB)
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetModels.cifarResNet(21, 10)).getMessage().contains("6n + 2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetChain.of(NetLayer.residual(
                new NetLayer[] {convolution(8, 3, 2, 1)}, new NetLayer[] {convolution(8, 1, 1, 0)})).initialize(4, 8, 8));
        assertTrue(e.getMessage().contains("its branch gives [8, 4, 4] but its shortcut [8, 8, 8]"), e.getMessage());
    }

    /** A downsampling block trains with NetTrain's Nesterov SGD: the loss falls. */
    @Test
    void aDownsamplingBlockTrainsWithNesterov() {
        Rng rng = new Rng(4);
        int n = 48;
        float[] x = new float[n * 2 * 6 * 6], y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int j = 0; j < 72; j++) x[i * 72 + j] = (float) (rng.nextGaussian() + (j < 36 ? 1.5 * y[i] : 0));
        }
        try (NetChain net = NetChain.of(NetLayer.residual(new NetLayer[] {convolution(4, 3, 2, 1), batchNormalization(), ramp(), convolution(4, 3, 1, 1)},
                new NetLayer[] {convolution(4, 1, 2, 0)}), ramp(), globalAveragePooling(), 2, softmax())) {
            NetTrain.Results r = NetTrain.train(net, new Dataset(x, new int[] {2, 6, 6}, y), NetTrain.options().quiet().maxTrainingRounds(20)
                    .batchSize(16).method(NetTrain.Method.SGD_NESTEROV).learningRate(0.05).weightDecay(5e-4));
            double first = r.rounds().get(0).loss(), last = r.rounds().get(19).loss();
            assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
        }
    }

    /** was: the best round's parameters came back with the last round's running statistics */
    @Test
    void bestModelKeepsTheRunningStatistics() {
        try (NetChain net = NetChain.of(4, batchNormalization(), ramp(), 2, softmax()).initialize(3)) {
            BestModel best = new BestModel(net, null);
            best.keep(1);
            Map<String, Tensor> state = net.module().stateDict();
            String mean = state.keySet().stream().filter(n -> n.endsWith("running_mean")).findFirst().orElseThrow();
            float[] kept = state.get(mean).toArray();
            net.module().train().forward(Tensor.uniform(new Rng(5), 1f, 3f, 8, 3)); // a training step's forward moves the statistics
            assertTrue(!java.util.Arrays.equals(kept, state.get(mean).toArray()), "the forward moved the running mean");
            best.restore();
            assertArrayEquals(kept, state.get(mean).toArray(), 0f);
        }
    }
}
