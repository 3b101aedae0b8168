package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import dev.cortado.train.Snapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The BatchNorm1d/2d layers: PyTorch's names and defaults, buffers saved and loaded, train/eval, bad shapes. */
class BatchNormTest {

    @TempDir
    Path dir;

    private final Rng rng = new Rng(5);

    @Test
    void pytorchsNamesAndDefaults() {
        try (BatchNorm bn = BatchNorm.of2d(3)) {
            assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
            assertEquals(List.of("running_mean", "running_var"), List.copyOf(bn.namedBuffers().keySet()));
            assertEquals(List.of("weight", "bias", "running_mean", "running_var"), List.copyOf(bn.stateDict().keySet()));
            assertArrayEquals(new float[] {1, 1, 1}, bn.weight.toArray());
            assertArrayEquals(new float[] {0, 0, 0}, bn.bias.toArray());
            assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean.toArray());
            assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar.toArray());
            assertEquals(6, bn.parameterCount(), "buffers are not parameters");
        }
        try (Layers.Sequential net = new Layers.Sequential(new Layers.Conv2d(1, 2, 3, rng), BatchNorm.of2d(2))) {
            assertTrue(net.stateDict().keySet().containsAll(List.of("0.weight", "1.weight", "1.running_mean", "1.running_var")));
            assertTrue(net.summary(1, 1, 5, 5).contains("BatchNorm2d"), net.summary(1, 1, 5, 5));
        }
        try (BatchNorm bare = BatchNorm.of1d(4, 1e-3f, 0.2f, false, false)) {
            assertNull(bare.weight);
            assertNull(bare.runningMean);
            assertTrue(bare.stateDict().isEmpty());
        }
    }

    @Test
    void trainUpdatesTheRunningStatisticsAndEvalUsesThem() {
        try (BatchNorm bn = BatchNorm.of1d(2)) {
            Tensor x = Tensor.of(new float[] {1, 10, 3, 30}, 2, 2); // channel 0: 1, 3; channel 1: 10, 30
            Tensor y = bn.forward(x);
            assertArrayEquals(new float[] {-1, -1, 1, 1}, y.toArray(), 1e-4f);
            assertArrayEquals(new float[] {0.2f, 2f}, bn.runningMean.toArray(), 1e-6f);
            assertArrayEquals(new float[] {0.9f + 0.1f * 2f, 0.9f + 0.1f * 200f}, bn.runningVar.toArray(), 1e-5f); // unbiased
            bn.eval();
            Tensor z = bn.forward(x);
            assertEquals((1 - 0.2) / Math.sqrt(1.1 + 1e-5), z.toArray()[0], 1e-5);
            assertArrayEquals(new float[] {0.2f, 2f}, bn.runningMean.toArray(), 1e-6f, "eval leaves them");
            bn.train();
            bn.forward(Tensor.uniform(rng, -1, 1, 3, 2, 5)); // [N, C, L]
        }
    }

    @Test
    void buffersAreSavedAndLoaded() throws IOException {
        Path file = dir.resolve("bn.safetensors");
        try (BatchNorm a = BatchNorm.of2d(3); BatchNorm b = BatchNorm.of2d(3)) {
            a.forward(Tensor.uniform(rng, -2, 5, 4, 3, 2, 2));
            a.saveWeights(file);
            assertTrue(Safetensors.read(file).containsKey("running_var"));
            b.loadWeights(file);
            assertArrayEquals(a.runningMean.toArray(), b.runningMean.toArray());
            assertArrayEquals(a.runningVar.toArray(), b.runningVar.toArray());
            a.eval();
            b.eval();
            Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 2, 2);
            assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
        }
    }

    @Test
    void snapshotsKeepTheRunningStatistics() throws IOException {
        try (BatchNorm a = BatchNorm.of2d(2); BatchNorm b = BatchNorm.of2d(2)) {
            a.forward(Tensor.uniform(rng, 1, 4, 3, 2, 3, 3));
            Sgd sgd = new Sgd(a.parameters(), LearningRate.fixed(0.1), Momentum.fixed(0.9), 0f, false);
            Path snapshot = Snapshots.save(dir.resolve("snaps"), a, sgd, null);
            Snapshots.load(snapshot, b, new Sgd(b.parameters(), LearningRate.fixed(0.1), Momentum.fixed(0.9), 0f, false), null);
            assertArrayEquals(a.runningMean.toArray(), b.runningMean.toArray());
            assertArrayEquals(a.runningVar.toArray(), b.runningVar.toArray());
        }
    }

    @Test
    void badShapesAndSettings() {
        try (BatchNorm bn2 = BatchNorm.of2d(3); BatchNorm bn1 = BatchNorm.of1d(3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bn2.forward(Tensor.ones(2, 3, 4)));
            assertTrue(e.getMessage().contains("BatchNorm2d: expected x [N, C, H, W], got [2, 3, 4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.ones(2, 4)));
            assertTrue(e.getMessage().contains("BatchNorm1d: x [2, 4] has 4 channels, the layer 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.ones(1, 3)));
            assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> BatchNorm.of2d(0));
        assertThrows(IllegalArgumentException.class, () -> BatchNorm.of1d(3, 1e-5f, 1.5f, true, true));
    }
}
