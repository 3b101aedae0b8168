package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.nn.Layers.Neuron;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Module.saveWeights/loadWeights: a state_dict in a safetensors file, strict and all-or-nothing. */
class WeightsFileTest {

    @TempDir
    Path dir;

    private static Module mlp(long seed, int hidden) {
        Rng rng = new Rng(seed);
        return new Layers.Sequential(new Layers.Linear(3, hidden, Neuron.RELU, rng), new Layers.Linear(hidden, 2, Neuron.IDENTITY, rng));
    }

    @Test
    void weightsRoundTripIntoAFreshModelWithIdenticalOutputs() throws IOException {
        Path file = dir.resolve("mlp.safetensors");
        Tensor x = Tensor.uniform(new Rng(9), -1, 1, 5, 3);
        try (Module a = mlp(1, 4); Module b = mlp(2, 4)) {
            a.saveWeights(file);
            b.loadWeights(file);
            assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
            assertTrue(Safetensors.read(file).keySet().containsAll(Map.of("0.weight", 1, "1.bias", 1).keySet()), "PyTorch's names");
        }
    }

    @Test
    void aMismatchNamesTheFileAndTensorAndChangesNothing() throws IOException {
        Path file = dir.resolve("wide.safetensors");
        try (Module wide = mlp(1, 8); Module narrow = mlp(2, 4)) {
            wide.saveWeights(file);
            float[] before = narrow.namedParameters().get("0.weight").toArray();
            IOException e = assertThrows(IOException.class, () -> narrow.loadWeights(file));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'0.weight' has shape [8, 3]"), e.getMessage());
            assertArrayEquals(before, narrow.namedParameters().get("0.weight").toArray());
            Path missing = dir.resolve("none.safetensors");
            IOException m = assertThrows(IOException.class, () -> narrow.loadWeights(missing));
            assertTrue(m.getMessage().contains(missing.toString()), m.getMessage());
            Files.writeString(missing, "not a safetensors file at all");
            IOException c = assertThrows(IOException.class, () -> narrow.loadWeights(missing));
            assertTrue(c.getMessage().contains(missing.toString()), c.getMessage());
        }
    }
}
