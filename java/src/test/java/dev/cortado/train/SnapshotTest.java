package dev.cortado.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.Blobs;
import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {

    @TempDir
    Path dir;

    private static Dataset data() {
        return Blobs.of(200);
    }

    private static Module net() {
        Rng rng = new Rng(11);
        return new Layers.Sequential(new Layers.Linear(6, 8, Neuron.TANH, rng), new Layers.Linear(8, 3, Neuron.IDENTITY, rng));
    }

    private static Sgd sgd(Module net) {
        return new Sgd(net.parameters(), LearningRate.inv(0.05, 0.001, 0.75), Momentum.fixed(0.9), 0.0005f, true);
    }

    private static List<float[]> weights(Module net) {
        List<float[]> out = new ArrayList<>();
        for (Tensor t : net.parameters()) out.add(t.toArray());
        return out;
    }

    @Test
    void resumedRunEqualsUninterruptedRunBitForBit() throws Exception {
        Dataset d = data();
        List<float[]> straight;
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(d, 16, true, 5, true)) {
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 60, null).run();
            straight = weights(net);
        }
        Path snaps = dir.resolve("snaps");
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(d, 16, true, 5, true)) {
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 25, null).addCoffeeBreak(new Snapshots(snaps), 25).run();
        }
        assertEquals(snaps.resolve("iter-00000025"), Snapshots.latest(snaps));
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(d, 16, true, 5, true)) {
            assertEquals(25, Snapshots.load(snaps, net, opt, dl));
            assertEquals(25 * 16, dl.position());
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 60, null).run();
            List<float[]> resumed = weights(net);
            for (int i = 0; i < straight.size(); i++) assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
        }
    }

    @Test
    void safetensorsRoundTripAndHeader() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a.weight", Tensor.of(new float[] {1, -2, 3.5f, 0}, 2, 2));
        m.put("b", Tensor.scalar(7f));
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, m, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}"), header);
        assertEquals(0, (8 + n) % 8, "data is 8-byte aligned");
        Map<String, Tensor> back = Safetensors.read(f);
        assertEquals(List.of("a.weight", "b"), List.copyOf(back.keySet()));
        assertArrayEquals(new float[] {1, -2, 3.5f, 0}, back.get("a.weight").toArray());
        assertArrayEquals(new int[] {}, back.get("b").shape());
        assertEquals("pt", Safetensors.metadata(f).get("format"));
    }

    @Test
    void corruptSnapshotsGiveIOExceptionsNamingTheFile() throws IOException {
        Map<String, Tensor> m = Map.of("w", Tensor.ones(3, 3));
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, m, null);
        byte[] good = Files.readAllBytes(f);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(good, good.length - 4));
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(truncated));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, new byte[] {1, 2, 3});
        e = assertThrows(IOException.class, () -> Safetensors.read(garbage));
        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
        Path badJson = dir.resolve("json.safetensors");
        byte[] copy = good.clone();
        copy[9] = '!';
        Files.write(badJson, copy);
        e = assertThrows(IOException.class, () -> Safetensors.read(badJson));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        // a snapshot of another model: shapes do not match
        Path snaps = dir.resolve("snaps");
        try (Module small = new Layers.Linear(2, 2, Neuron.IDENTITY, new Rng(1)); Sgd opt = sgd(small)) {
            Snapshots.save(snaps, small, opt, null);
        }
        try (Module other = new Layers.Linear(3, 2, Neuron.IDENTITY, new Rng(1)); Sgd opt = sgd(other)) {
            IOException mismatch = assertThrows(IOException.class, () -> Snapshots.load(snaps, other, opt, null));
            assertTrue(mismatch.getMessage().contains("model.safetensors") && mismatch.getMessage().contains("[2, 2]"), mismatch.getMessage());
        }
        // a leftover temporary directory (a crash mid-write) is never taken for a snapshot
        Files.createDirectories(dir.resolve("empty").resolve("iter-00000099.tmp-123"));
        assertNull(Snapshots.latest(dir.resolve("empty")));
        assertThrows(IOException.class, () -> Snapshots.load(dir.resolve("empty"), net(), sgd(net()), null));
    }

    private static float[] saveLinear(Path snaps, long seed, long iteration) throws IOException {
        try (Module m = new Layers.Linear(2, 2, Neuron.IDENTITY, new Rng(seed)); Sgd opt = sgd(m)) {
            opt.setIteration(iteration);
            assertEquals(snaps.resolve(String.format("iter-%08d", iteration)), Snapshots.save(snaps, m, opt, null));
            return m.parameters().get(0).toArray();
        }
    }

    private static float[] loadLinear(Path snapshot) throws IOException {
        try (Module m = new Layers.Linear(2, 2, Neuron.IDENTITY, new Rng(99)); Sgd opt = sgd(m)) {
            Snapshots.load(snapshot, m, opt, null);
            return m.parameters().get(0).toArray();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSecondRunReplacesTheSnapshotAtTheSameIteration() throws IOException {
        // was: the second save returned early and the first run's weights stayed under the name
        Path snaps = dir.resolve("same");
        float[] first = saveLinear(snaps, 1, 500), second = saveLinear(snaps, 2, 500);
        assertFalse(Arrays.equals(first, second));
        assertArrayEquals(second, loadLinear(snaps));
        assertEquals(List.of("iter-00000500"), names(snaps));
    }

    @Test
    void aCrashMidReplacementOrMidWriteLosesNothing() throws IOException {
        Path snaps = dir.resolve("crashed");
        float[] kept = saveLinear(snaps, 1, 7);
        // a crash between the two renames of a replacement: the old snapshot was set aside, the new one not yet in place
        Files.move(snaps.resolve("iter-00000007"), snaps.resolve("iter-00000007.old-42"));
        // and an interrupted write of a later one
        Files.createDirectories(snaps.resolve("iter-00000009.tmp-43"));
        Files.writeString(snaps.resolve("iter-00000009.tmp-43").resolve("model.safetensors"), "half");
        assertEquals(snaps.resolve("iter-00000007"), Snapshots.latest(snaps));
        assertArrayEquals(kept, loadLinear(snaps));
        assertEquals(List.of("iter-00000007"), names(snaps), "the old snapshot is back, the temporary is gone");
        // a replacement that did arrive: the set-aside copy is deleted, the new one stays
        float[] newer = saveLinear(snaps, 3, 7);
        Files.createDirectories(snaps.resolve("iter-00000007.old-44"));
        Snapshots.latest(snaps);
        assertEquals(List.of("iter-00000007"), names(snaps));
        assertArrayEquals(newer, loadLinear(snaps));
    }

    @Test
    void corruptDataBytesFailTheirChecksum() throws IOException {
        // was: a flipped bit in a tensor's data loaded silently
        Path f = dir.resolve("w.safetensors");
        Safetensors.write(f, Map.of("w", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)), null);
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 3] ^= 0x10;
        Files.write(f, bytes);
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("tensor 'w' does not match its checksum"), e.getMessage());
    }

    @Test
    void solverJsonIsValidatedAndTheBatchSizeRecorded() throws Exception {
        Path snaps = dir.resolve("json");
        Logger log = Logger.getLogger(Snapshots.class.getName());
        List<String> warnings = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(data(), 16, true, 5, false)) {
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 3, null).run();
            Path p = Snapshots.save(snaps, net, opt, dl);
            assertTrue(Files.readString(p.resolve("solver.json")).contains("\"batch_size\" : 16"));
            // resuming with another batch size: a warning naming both
            try (DataLoader other = new DataLoader(data(), 32, true, 5, false)) {
                Snapshots.load(p, net, opt, other);
            }
            assertTrue(warnings.stream().anyMatch(w -> w.contains("batch size 16; resuming with 32")), warnings.toString());
            // was: a huge data_position gave an ArrayIndexOutOfBoundsException naming nothing at the first batch
            Path json = p.resolve("solver.json");
            Files.writeString(json, Files.readString(json).replaceAll("\"data_position\" : \\d+", "\"data_position\" : 9223372036854775000"));
            IOException e = assertThrows(IOException.class, () -> Snapshots.load(p, net, opt, dl));
            assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("data_position 9223372036854775000"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dl.seek(Long.MAX_VALUE - 10));
        } finally {
            log.removeHandler(capture);
        }
    }

    @Test
    void safetensorsNameThePathOfADirectoryOrAMissingFile() throws IOException {
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("is a directory"), e.getMessage());
        e = assertThrows(IOException.class, () -> Safetensors.metadata(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        Path missing = dir.resolve("missing.safetensors");
        e = assertThrows(IOException.class, () -> Safetensors.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(null));
        assertTrue(a.getMessage().contains("file is null"), a.getMessage());
        a = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(dir.resolve("x"), null, null));
        assertTrue(a.getMessage().contains("tensors is null"), a.getMessage());
    }

    @Test
    void snapshotsLoadWeightsWithoutAnOptimizerAndNameMissingArguments() throws Exception {
        Path snaps = dir.resolve("snaps");
        List<float[]> trained;
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(data(), 16, true, 5, true)) {
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 10, null).addCoffeeBreak(new Snapshots(snaps), 10).run();
            trained = weights(net);
        }
        try (Module net = net()) {
            assertEquals(10, Snapshots.load(snaps, net, null, null)); // weights only, e.g. to run the trained model
            List<float[]> loaded = weights(net);
            for (int i = 0; i < trained.size(); i++) assertArrayEquals(trained.get(i), loaded.get(i), "parameter " + i);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Snapshots.load(snaps, null, null, null));
            assertEquals("Snapshots.load: net is null", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Snapshots.load(null, net, null, null));
            assertEquals("Snapshots.load: snapshot is null", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Snapshots.save(snaps, net, null, null));
            assertEquals("Snapshots.save: optimizer is null", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Snapshots(null));
    }

    /** A snapshot that does not fit the optimizer changes nothing: both files are checked before any copy. */
    @Test
    void aSnapshotThatDoesNotFitChangesNoWeight() throws Exception {
        Path snaps = dir.resolve("snaps");
        try (Module net = net(); Sgd opt = sgd(net); DataLoader dl = new DataLoader(data(), 16, true, 5, true)) {
            new Solver(net, opt, dl, Losses::softmaxCrossEntropy, 10, null).addCoffeeBreak(new Snapshots(snaps), 10).run();
        }
        try (Module net = net(); dev.cortado.optim.Adam adam = new dev.cortado.optim.Adam(net.parameters(), 1e-3)) {
            List<float[]> before = weights(net);
            IOException e = assertThrows(IOException.class, () -> Snapshots.load(snaps, net, adam, null)); // Adam keeps 2 tensors per parameter, SGD 1
            assertTrue(e.getMessage().contains("optimizer.safetensors: no tensor '0.weight.1'"), e.getMessage());
            List<float[]> after = weights(net);
            for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), "parameter " + i + " changed");
        }
    }
}
