package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NormalizerTest {

    @TempDir
    Path dir;

    private static final Dataset TRAIN = Dataset.of(new double[][] {{1, 5, 10}, {3, 5, 20}, {5, 5, 30}}, new int[] {0, 1, 0});

    @Test
    void fitsPerFeatureAndHandlesAConstantFeature() {
        Normalizer n = Normalizer.fit(TRAIN);
        assertArrayEquals(new float[] {3, 5, 20}, n.mean());
        assertEquals((float) Math.sqrt(8 / 3.0), n.std()[0], 1e-6f);
        assertEquals(0f, n.std()[1]);
        Dataset out = n.apply(TRAIN);
        float a = (float) (2 / Math.sqrt(8 / 3.0));
        assertArrayEquals(new float[] {-a, 0, -a, 0, 0, 0, a, 0, a}, out.inputs(), 1e-5f); // feature 2: (10 - 20) / sqrt(200 / 3) = -a
        for (float v : out.inputs()) assertFalse(Float.isNaN(v));
        assertArrayEquals(TRAIN.labels(), out.labels());
        assertArrayEquals(new float[] {0, 3, 0}, n.apply(new double[] {3, 8, 20}), 1e-6f, "a constant feature is only shifted");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> n.apply(Dataset.of(new float[][] {{1, 2}}, new int[] {0})));
        assertTrue(e.getMessage().contains("fitted on samples of [3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Normalizer.fit(new Dataset(new float[0], new int[] {3}, new float[0])));
        assertTrue(e.getMessage().contains("the dataset to fit a Normalizer on is empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Normalizer.fit(Dataset.of(new float[][] {{1, 2}, {3, Float.NaN}}, new int[] {0, 0})));
        assertTrue(e.getMessage().contains("dataset row 1, value 1 is NaN"), e.getMessage());
    }

    @Test
    void fitsPerChannelForImages() {
        // two [2, 1, 2] images: channel 0 values 0, 2, 4, 6; channel 1 all 7
        Dataset img = Dataset.of(new float[] {0, 2, 7, 7, 4, 6, 7, 7}, new int[] {2, 1, 2}, new int[] {0, 1});
        Normalizer n = Normalizer.fitPerChannel(img);
        assertArrayEquals(new float[] {3, 7}, n.mean());
        assertArrayEquals(new float[] {(float) Math.sqrt(5), 0}, n.std(), 1e-6f);
        float s = (float) Math.sqrt(5);
        assertArrayEquals(new float[] {-3 / s, -1 / s, 0, 0, 1 / s, 3 / s, 0, 0}, n.apply(img).inputs(), 1e-6f);
    }

    @Test
    void savesLoadsAndTravelsBesideWeights() throws IOException {
        Normalizer n = Normalizer.fitPerChannel(Dataset.of(new float[] {0, 2, 7, 7, 4, 6, 7, 9}, new int[] {2, 1, 2}, new int[] {0, 1}));
        Path f = dir.resolve("norm.safetensors");
        n.save(f);
        Normalizer back = Normalizer.load(f);
        assertArrayEquals(n.mean(), back.mean());
        assertArrayEquals(n.std(), back.std());
        assertArrayEquals(new int[] {2, 1, 2}, back.sampleShape());
        assertFalse(Files.exists(dir.resolve("norm.safetensors.tmp")), "written through a temporary");

        Map<String, Tensor> all = new LinkedHashMap<>(n.toTensors());
        try (Tensor w = Tensor.of(new float[] {1, 2}, 2).keep()) {
            all.put("fc.weight", w);
            Normalizer same = Normalizer.fromTensors(all);
            assertArrayEquals(n.mean(), same.mean());
            all.remove(Normalizer.STD).close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalizer.fromTensors(all));
            assertTrue(e.getMessage().contains("no tensor 'normalizer.std'"), e.getMessage());
        } finally {
            all.values().forEach(Tensor::close);
        }
    }

    @Test
    void corruptOrForeignFilesAreNamed() throws IOException {
        Path f = dir.resolve("n.safetensors");
        Normalizer.fit(TRAIN).save(f);
        byte[] b = Files.readAllBytes(f);
        b[b.length - 1] ^= 0x55;
        Files.write(f, b);
        IOException e = assertThrows(IOException.class, () -> Normalizer.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        Files.write(f, new byte[] {1, 2, 3});
        e = assertThrows(IOException.class, () -> Normalizer.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        Path weights = dir.resolve("w.safetensors");
        try (Tensor w = Tensor.of(new float[] {1}, 1).keep()) {
            dev.cortado.train.Safetensors.write(weights, Map.of("w", w), null);
        }
        e = assertThrows(IOException.class, () -> Normalizer.load(weights));
        assertTrue(e.getMessage().contains(weights + ": not a saved Normalizer: no tensor 'normalizer.mean'"), e.getMessage());
        e = assertThrows(IOException.class, () -> Normalizer.load(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("absent: no such file"), e.getMessage());
    }
}
