package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.models.Gpt;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Module;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import dev.cortado.train.Safetensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole models in one file: every kind loads into fresh objects with the same outputs, state and
 * settings; the file is safetensors by PyTorch's names; truncated, corrupt, newer or other-kind
 * files are IOExceptions naming the file; writes are atomic; other modules are refused by name.
 */
class ModelFilesTest {

    @TempDir
    Path dir;

    static List<ModelSamples.Sample> samples() {
        return ModelSamples.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyKindLoadsWithTheSameOutputsOnManyInputs(ModelSamples.Sample sample) throws IOException {
        Object model = sample.model().get();
        Path file = dir.resolve("model.safetensors");
        try {
            Models.save(model, file);
            Object loaded = Models.load(file);
            try {
                assertEquals(model.getClass(), loaded.getClass());
                double[] inputs = ModelSamples.inputs(model, 64, 8);
                assertArrayEquals(ModelProbe.outputs(model, inputs), ModelProbe.outputs(loaded, inputs), sample + ": outputs, bit for bit");
                assertEquals(Models.kindOf(file), ModelFile.read(file, null).kind());
            } finally {
                ModelSamples.close(loaded);
            }
        } finally {
            ModelSamples.close(model);
        }
    }

    @Test
    void aChainKeepsItsLayersWeightsRunningStatisticsAndMode() throws IOException {
        Path file = dir.resolve("chain.safetensors");
        try (NetChain net = ModelSamples.convChain(); NetChain fresh = NetChain.of(net.layers().toArray()).initialize(net.inputShape())) {
            net.save(file);
            Map<String, Tensor> saved = net.module().stateDict(), start = fresh.module().stateDict();
            assertTrue(saved.containsKey("1.running_mean") && saved.containsKey("3.shortcut.1.running_var") && saved.containsKey("8.running_mean"),
                    saved.keySet().toString());
            assertFalse(java.util.Arrays.equals(saved.get("1.running_mean").toArray(), start.get("1.running_mean").toArray()),
                    "the sample's running statistics moved from their start");
            try (NetChain back = NetChain.load(file)) {
                assertEquals(net.layers().toString(), back.layers().toString());
                assertArrayEquals(net.inputShape(), back.inputShape());
                assertFalse(back.module().isTraining(), "saved in eval mode");
                Map<String, Tensor> loaded = back.module().stateDict();
                assertEquals(saved.keySet(), loaded.keySet());
                saved.forEach((name, t) -> assertArrayEquals(t.toArray(), loaded.get(name).toArray(), name));
            }
            net.module().train();
            net.save(file);
            try (NetChain back = NetChain.load(file)) {
                assertTrue(back.module().isTraining(), "saved in training mode");
            }
        }
        try (NetChain bare = NetChain.of(NetLayer.flatten(), 3, NetLayer.softmax())) {
            bare.save(file);
            try (NetChain back = NetChain.load(file)) {
                assertFalse(back.isInitialized());
                assertEquals("[flatten(), linear(3), softmax()]", back.layers().toString());
            }
        }
    }

    @Test
    void theWeightsAreAStateDictByPyTorchsNames() throws IOException {
        Path file = dir.resolve("chain.safetensors");
        try (NetChain net = ModelSamples.convChain()) {
            net.save(file);
            Map<String, Tensor> tensors = Safetensors.read(file);
            assertEquals(net.module().stateDict().keySet(), tensors.keySet(), "the module's state_dict, nothing else");
            tensors.values().forEach(Tensor::close);
            Map<String, String> meta = Safetensors.metadata(file);
            assertEquals("pt", meta.get("format"));
            assertEquals("NetChain", meta.get(ModelFile.KIND));
            assertEquals(Integer.toString(ModelFile.FORMAT_VERSION), meta.get(ModelFile.VERSION));
            assertTrue(meta.get(ModelFile.ARCHITECTURE).startsWith("{\"layers\":[{\"layer\":\"convolution\",\"filters\":4,\"kernel\":3,\"stride\":1,"
                    + "\"padding\":1,\"biases\":false}"), meta.get(ModelFile.ARCHITECTURE));
        }
        try (AnnClassifier ann = ModelSamples.ann()) {
            ann.save(file);
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(Safetensors.read(file).keySet()));
        }
    }

    @Test
    void trainingGoesOnAsIfNeverSaved() throws IOException {
        Path file = dir.resolve("net.safetensors");
        double[] x = {0.3, -0.2, 0.9}, y = {0.9, 0.1};
        try (BackpropNet net = ModelSamples.backpropNet()) {
            net.save(file);
            try (BackpropNet back = BackpropNet.load(file)) {
                assertEquals(0.3, back.learningRate());
                assertEquals(0.2, back.momentum());
                for (int i = 0; i < 5; i++) assertEquals(net.train(x, y), back.train(x, y), "step " + i + "'s error (the momentum's last changes came back)");
                for (int l = 0; l < 2; l++) assertArrayEquals(net.weights(l), back.weights(l));
            }
        }
    }

    @Test
    void theSeedApisKeepTheirSettingsAndLabels() throws IOException {
        Path file = dir.resolve("m.safetensors");
        try (AnnClassifier ann = ModelSamples.ann()) {
            ann.save(file);
            try (AnnClassifier back = AnnClassifier.load(file)) {
                assertArrayEquals(new int[] {5, 7, 9}, back.classes());
                assertEquals(List.of(6, 3, 0.2, 1e-4, 9L, 4), List.of(back.hiddenUnits(), back.epochs(), back.learningRate(), back.l2(), back.seed(), back.features()));
            }
        }
        try (AnnClassifier unfitted = new AnnClassifier(3).epochs(2)) {
            unfitted.save(file);
            try (AnnClassifier back = AnnClassifier.load(file)) {
                assertEquals(2, back.epochs());
                assertThrows(IllegalStateException.class, back::classes);
            }
        }
        try (Classifier<String> c = ModelSamples.classifier()) {
            c.save(file);
            try (Classifier<String> back = Classifier.load(file, String.class)) {
                assertEquals(List.of("cat", "dog", "émeu"), back.labels());
                assertEquals(c.method(), back.method());
                assertEquals(c.heldOutAccuracy(), back.heldOutAccuracy());
                double[] x = {1, -2, 3, 0.5};
                assertEquals(c.probabilities(x), back.probabilities(x));
            }
            IOException e = assertThrows(IOException.class, () -> Classifier.load(file, Integer.class));
            assertTrue(e.getMessage().contains(file + ": its labels are String, not Integer"), e.getMessage());
        }
        List<Example<Object>> mixed = new ArrayList<>();
        List<Example<Integer>> numbers = new ArrayList<>();
        double[][] x = ModelSamples.blobs(12, 4);
        for (int i = 0; i < x.length; i++) {
            mixed.add(new Example<>(x[i], i % 2 == 0 ? "even" : (Object) 1));
            numbers.add(new Example<>(x[i], i % 3 * 10));
        }
        try (Classifier<Object> c = Classify.train(mixed)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.save(file));
            assertTrue(e.getMessage().contains("labels of two types, String and Integer"), e.getMessage());
        }
        try (Classifier<Integer> c = Classify.train(numbers)) {
            c.save(file);
            try (Classifier<Integer> back = Classifier.load(file, Integer.class)) {
                assertEquals(List.of(0, 10, 20), back.labels());
            }
        }
        try (Predictor p = ModelSamples.predictor()) {
            p.save(file);
            try (Predictor back = Predictor.load(file)) {
                assertEquals(p.method(), back.method());
                assertEquals(p.heldOutRmse(), back.heldOutRmse());
            }
        }
    }

    @Test
    void aGptKeepsItsConfigAndNotes() throws IOException {
        Path file = dir.resolve("gpt.safetensors");
        try (Gpt gpt = new Gpt(new Gpt.Config(13, 6, 8, 2, 1, 0.25f), new Rng(3))) {
            gpt.save(file, Map.of("vocabulary", "abc"));
            try (Gpt back = Gpt.load(file); ModelFile f = ModelFile.read(file, "Gpt")) {
                assertEquals(gpt.config(), back.config());
                assertTrue(back.isTraining());
                assertEquals(Map.of("vocabulary", "abc"), f.notes());
            }
            assertThrows(IllegalArgumentException.class, () -> gpt.save(file, Map.of("cortado.kind", "x")));
        }
    }

    @Test
    void aFileOfAnotherKindNamesBothKinds() throws IOException {
        Path gptFile = dir.resolve("gpt.safetensors"), chainFile = dir.resolve("chain.safetensors");
        try (Gpt gpt = ModelSamples.gpt(); NetChain chain = ModelSamples.sequenceChain()) {
            gpt.save(gptFile);
            chain.save(chainFile);
        }
        IOException e = assertThrows(IOException.class, () -> NetChain.load(gptFile));
        assertEquals(gptFile + ": holds a Gpt model, not a NetChain (load it with Gpt.load)", e.getMessage());
        e = assertThrows(IOException.class, () -> Gpt.load(chainFile));
        assertTrue(e.getMessage().startsWith(chainFile + ": holds a NetChain model, not a Gpt"), e.getMessage());
        e = assertThrows(IOException.class, () -> Predictor.load(chainFile));
        assertTrue(e.getMessage().startsWith(chainFile + ": holds a NetChain model, not a Predictor"), e.getMessage());
    }

    @Test
    void aNewerFormatVersionIsRefusedByNameAndVersion() throws IOException {
        Path file = dir.resolve("chain.safetensors");
        try (NetChain chain = ModelSamples.sequenceChain()) {
            chain.save(file);
        }
        rewriteMetadata(file, m -> m.put(ModelFile.VERSION, "2"));
        for (ThrowingLoad load : List.<ThrowingLoad>of(NetChain::load, Models::load, Models::kindOf)) {
            IOException e = assertThrows(IOException.class, () -> load.apply(file));
            assertTrue(e.getMessage().contains(file + ": written in Cortado model format version 2, newer than this Cortado's 1"), e.getMessage());
        }
        rewriteMetadata(file, m -> m.put(ModelFile.VERSION, "one"));
        assertMessage(file, "format version 'one' is not a number");
    }

    @Test
    void aWeightsOnlyFileOrAnUnknownKindIsRefused() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        try (NetChain chain = ModelSamples.sequenceChain()) {
            chain.module().saveWeights(file);
        }
        assertMessage(file, "not a Cortado model file: its metadata has no cortado.format_version (a weights-only file? load it into a model built in"
                + " code with Module.loadWeights)");
        try (NetChain chain = ModelSamples.sequenceChain()) {
            chain.save(file);
        }
        rewriteMetadata(file, m -> m.put(ModelFile.KIND, "Transformer"));
        IOException e = assertThrows(IOException.class, () -> Models.load(file));
        assertTrue(e.getMessage().startsWith(file + ": holds a model of kind 'Transformer', which this Cortado cannot rebuild"), e.getMessage());
    }

    @Test
    void anArchitectureThatCannotBeBuiltNamesTheFile() throws IOException {
        Path file = dir.resolve("chain.safetensors");
        try (NetChain chain = ModelSamples.sequenceChain()) {
            chain.save(file);
        }
        rewriteArchitecture(file, a -> a.replace("\"layer\":\"lstm\"", "\"layer\":\"gru\""));
        assertMessage(file, "the NetChain architecture cannot be rebuilt (unknown layer kind 'gru'");
        rewriteArchitecture(file, a -> a.replace("\"layer\":\"gru\",\"size\":6", "\"layer\":\"lstm\",\"size\":7"));
        assertMessage(file, "tensor '3.weight_ih' has shape [24, 8], the model has [28, 8]");
        rewriteArchitecture(file, a -> a.replace("\"input_shape\":[7]", "\"input_shape\":\"seven\""));
        assertMessage(file, "the NetChain architecture has 'input_shape' = \"seven\", not an array");
        rewriteArchitecture(file, a -> a.replace("\"input_shape\":\"seven\"", "\"input_shape\":[7]").replace("\"layer\":\"lstm\",\"size\":7",
                "\"layer\":\"lstm\",\"size\":6"));
        try (NetChain back = NetChain.load(file)) {
            assertTrue(back.isInitialized(), "the edits undone, it loads");
        }
        Map<String, String> meta = Safetensors.metadata(file);
        rewriteMetadata(file, m -> m.put(ModelFile.ARCHITECTURE, meta.get(ModelFile.ARCHITECTURE).replace("\"size\":6", "\"size\":5")));
        assertMessage(file, "the architecture does not match its checksum (the header is corrupt)");
    }

    /** Every truncation of a file, to any length, is an IOException naming the file. */
    @Test
    void aTruncatedFileNamesTheFile() throws IOException {
        Path file = dir.resolve("chain.safetensors"), cut = dir.resolve("cut.safetensors");
        try (NetChain chain = ModelSamples.convChain()) {
            chain.save(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        int header = 8 + (int) java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        for (int length = 0; length < bytes.length; length += length < header + 64 || length > bytes.length - 64 ? 1 : 41) {
            Files.write(cut, java.util.Arrays.copyOf(bytes, length));
            IOException e = assertThrows(IOException.class, () -> NetChain.load(cut), "truncated to " + length);
            assertTrue(e.getMessage().startsWith(cut.toString()), length + " bytes: " + e.getMessage());
        }
    }

    /**
     * Every byte of the header flipped (the length, the JSON, the metadata with its architecture),
     * and every 7th byte of the data: an IOException naming the file, except a flip inside
     * {@code "format":"pt"}, which the model does not depend on (then it loads as saved).
     */
    @Test
    void aFlippedByteNamesTheFile() throws IOException {
        Path file = dir.resolve("chain.safetensors"), bad = dir.resolve("bad.safetensors");
        double[] inputs;
        double[] expected;
        try (NetChain chain = ModelSamples.convChain()) {
            chain.save(file);
            inputs = ModelSamples.inputs(chain, 4, 3);
            expected = ModelProbe.outputs(chain, inputs);
        }
        byte[] bytes = Files.readAllBytes(file);
        int header = 8 + (int) java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String text = new String(bytes, 0, header, StandardCharsets.ISO_8859_1);
        int harmlessFrom = text.indexOf("\"format\":\"pt\""), harmlessTo = harmlessFrom + "\"format\":\"pt\"".length();
        assertTrue(harmlessFrom > 0);
        int detected = 0;
        for (int i = 0; i < bytes.length; i += i < header ? 1 : 7) {
            byte[] copy = bytes.clone();
            copy[i] ^= (byte) 0xff;
            Files.write(bad, copy);
            try (NetChain back = NetChain.load(bad)) {
                assertTrue(i >= harmlessFrom && i < harmlessTo, "byte " + i + " flipped (" + text.substring(Math.max(0, i - 20), Math.min(header, i + 20))
                        + ") loaded");
                assertArrayEquals(expected, ModelProbe.outputs(back, inputs));
            } catch (IOException e) {
                assertTrue(e.getMessage().startsWith(bad.toString()), "byte " + i + ": " + e.getMessage());
                detected++;
            }
        }
        assertTrue(detected > header, detected + " flips detected");
    }

    @Test
    void aMissingOrForeignFileNamesTheFile() throws IOException {
        Path missing = dir.resolve("none.safetensors"), text = dir.resolve("notes.txt");
        IOException e = assertThrows(IOException.class, () -> Models.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Files.writeString(text, "not a model at all, just some text that is long enough");
        e = assertThrows(IOException.class, () -> AnnClassifier.load(text));
        assertTrue(e.getMessage().startsWith(text.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> NetChain.load(dir));
        assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
    }

    /** A save that fails half-way (its temporary cannot be written) leaves the old file whole; a save leaves no temporary behind. */
    @Test
    void savesAreAtomic() throws IOException {
        Path file = dir.resolve("net.safetensors");
        try (BackpropNet first = BackpropNet.init(new Rng(1), 2, 3, 1); BackpropNet second = BackpropNet.init(new Rng(2), 2, 3, 1)) {
            first.save(file);
            try (var files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList());
            }
            Path tmp = dir.resolve("net.safetensors.tmp");
            Files.createDirectories(tmp.resolve("blocker"));
            assertThrows(IOException.class, () -> second.save(file));
            try (BackpropNet back = BackpropNet.load(file)) {
                assertArrayEquals(first.weights(0), back.weights(0), "the old file is intact");
            }
            Files.delete(tmp.resolve("blocker"));
            Files.delete(tmp);
            second.save(file);
            try (BackpropNet back = BackpropNet.load(file)) {
                assertArrayEquals(second.weights(0), back.weights(0));
            }
        }
    }

    @Test
    void otherModulesAreRefusedByName() {
        try (Module lenet = LeNet.create(new Rng(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.save(lenet, dir.resolve("lenet.safetensors")));
            assertTrue(e.getMessage().startsWith("Models.save: a dev.cortado.nn.Layers$Sequential cannot be rebuilt from a file; whole-model files hold"
                    + " NetChain, BackpropNet, AnnClassifier, Classifier, Predictor, Gpt. Save its weights with module.saveWeights(path)"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.save("a string", dir.resolve("s.safetensors")));
        assertTrue(e.getMessage().startsWith("Models.save: a java.lang.String cannot be rebuilt from a file"), e.getMessage());
        NetChain closed = ModelSamples.sequenceChain();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.save(dir.resolve("c.safetensors")));
    }

    interface ThrowingLoad {
        Object apply(Path file) throws IOException;
    }

    private static void assertMessage(Path file, String text) {
        IOException e = assertThrows(IOException.class, () -> ModelSamples.close(Models.load(file)));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(text), e.getMessage());
    }

    /** Rewrites a file's metadata (its tensors as they are). */
    private static void rewriteMetadata(Path file, java.util.function.Consumer<Map<String, String>> edit) throws IOException {
        try (Safetensors.Contents c = Safetensors.readAll(file, false)) {
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            edit.accept(meta);
            Safetensors.write(file, c.tensors(), meta);
        }
    }

    /** Rewrites a file's architecture with a matching checksum: an edit, not a corruption. */
    private static void rewriteArchitecture(Path file, java.util.function.UnaryOperator<String> edit) throws IOException {
        rewriteMetadata(file, m -> {
            String a = edit.apply(m.get(ModelFile.ARCHITECTURE));
            CRC32C crc = new CRC32C();
            crc.update(a.getBytes(StandardCharsets.UTF_8));
            m.put(ModelFile.ARCHITECTURE, a);
            m.put(ModelFile.ARCHITECTURE_CHECKSUM, String.format("%08x", crc.getValue()));
        });
    }
}
