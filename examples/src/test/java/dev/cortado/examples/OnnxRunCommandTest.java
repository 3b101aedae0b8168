package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.memory.Device;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.onnx.export.OnnxExport;
import dev.cortado.onnx.importer.OnnxModel;
import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * onnx-run on the small models cortado-onnx's tests hold (made by PyTorch) and on one exported
 * here: what it prints (inputs, outputs, opset, node count, every output value) against
 * OnnxModel run directly on the same inputs, the input files, --shape, and its one-line errors.
 */
class OnnxRunCommandTest {

    /** cortado-onnx's committed test models; the tests run in examples/ (surefire's working directory is the module's). */
    private static final Path MODELS = Path.of("..", "java", "onnx", "src", "test", "resources", "onnx");

    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private static Path model(String name) {
        Path p = MODELS.resolve(name);
        assertTrue(Files.isRegularFile(p), "no test model " + p.toAbsolutePath());
        return p;
    }

    /** The printed values of each output ("  name [shape]: v v v"), by name, with their shapes. */
    private static Map<String, double[]> printedOutputs(String out, Map<String, String> shapes) {
        Map<String, double[]> values = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^  (\\S+) (\\[[\\d, ]*\\]):((?: \\S+)*)$").matcher(out);
        while (m.find()) {
            shapes.put(m.group(1), m.group(2));
            values.put(m.group(1), Arrays.stream(m.group(3).strip().split(" ")).mapToDouble(Double::parseDouble).toArray());
        }
        return values;
    }

    /** Every output's printed shape and values equal OnnxModel's on the same inputs (to the 6 digits printed). */
    private static void assertPrintedAsRun(String out, Map<String, Tensor> expected) {
        Map<String, String> shapes = new LinkedHashMap<>();
        Map<String, double[]> printed = printedOutputs(out, shapes);
        assertEquals(expected.keySet(), printed.keySet(), out);
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            float[] want = e.getValue().toArray();
            double[] got = printed.get(e.getKey());
            assertEquals(dev.cortado.tensor.Shape.str(e.getValue().shape()), shapes.get(e.getKey()), out);
            assertEquals(want.length, got.length, "--show covers every value of " + e.getKey());
            boolean nonZero = false;
            for (int i = 0; i < want.length; i++) {
                assertTrue(Float.isFinite(want[i]), "output " + e.getKey() + "[" + i + "] = " + want[i]);
                assertTrue(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
                        e.getKey() + "[" + i + "]: printed " + got[i] + ", OnnxModel " + want[i]);
                nonZero |= want[i] != 0;
            }
            assertTrue(nonZero, e.getKey() + " is all zeros");
        }
    }

    private static Map<String, Tensor> runDirectly(Path file, Device device, Map<String, int[]> shapes, Map<String, Tensor> inputs)
            throws IOException {
        try (OnnxModel m = OnnxModel.load(file, device, shapes); GradMode off = GradMode.off()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : m.run(inputs).entrySet()) out.put(e.getKey(), Tensor.of(e.getValue().toArray(), e.getValue().shape()));
            return out;
        }
    }

    @Test
    void printsTheModelAndOutputsAsOnnxModelRunsThemOnCpuAndSim() throws IOException {
        Path file = model("tiny_cnn.onnx");
        int nodes = ModelProto.parseFrom(Files.readAllBytes(file)).getGraph().getNodeCount();
        for (Device device : new Device[] {Device.CPU, Device.sim(0)}) {
            CommandRun r = run("onnx-run", file.toString(), "--repeat", "3", "--show", "100", "--seed", "7", "--device", device.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("opset 17") && r.out().contains("; " + nodes + " nodes"), r.out());
            assertTrue(r.out().contains("loaded on " + device), r.out());
            assertTrue(r.out().contains("input  x: float [2, 3, 16, 16], runs as [2, 3, 16, 16], uniform random in [0, 1), seed 7"), r.out());
            assertTrue(r.out().contains("output y: float [2, 5]"), r.out());
            assertTrue(Pattern.compile("(?m)^first call: \\d+\\.\\d\\d ms$").matcher(r.out()).find(), r.out());
            assertTrue(Pattern.compile("(?m)^median of 3 calls: \\d+\\.\\d\\d ms \\(min ").matcher(r.out()).find(), r.out());
            Tensor x = Tensor.rand(device, new Rng(7), 2, 3, 16, 16);
            assertPrintedAsRun(r.out(), runDirectly(file, device, Map.of(), Map.of("x", x)));
            x.close();
        }
        CommandRun few = run("onnx-run", file.toString(), "--repeat", "0");
        assertEquals(0, few.code(), few.err());
        assertTrue(few.out().contains("... (8 of 10 values)") && !few.out().contains("median"), few.out());
    }

    @Test
    void takesInputsFromNpyAndRawFilesAndPrintsEveryOutput() throws IOException {
        Path file = model("op_zoo.onnx"); // three outputs: y, p, s
        Rng rng = new Rng(3);
        float[] v = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextFloat() * 4 - 2;
        Map<String, Tensor> expected = runDirectly(file, Device.CPU, Map.of(), Map.of("x", Tensor.of(v, 2, 3, 4, 5)));
        assertEquals(3, expected.size());

        Path f32 = npy(dir.resolve("x.npy"), "<f4", v, 2, 3, 4, 5);
        Path f64 = npy(dir.resolve("x64.npy"), "<f8", v, 2, 3, 4, 5);
        Path raw = dir.resolve("x.bin");
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        Files.write(raw, b.array());
        for (String input : new String[] {f32.toString(), "x=" + f64, raw.toString()}) {
            CommandRun r = run("onnx-run", file.toString(), "--input", input, "--show", "100", "--repeat", "1");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("runs as [2, 3, 4, 5], from " + input.replace("x=", "")), r.out());
            assertTrue(r.out().contains("output y: float") && r.out().contains("output p: float") && r.out().contains("output s: float"), r.out());
            assertPrintedAsRun(r.out(), expected);
        }
    }

    @Test
    void aSymbolicBatchIsFixedByShapeOrByTheNpyFile() throws IOException {
        Path file = dir.resolve("mlp.onnx"); // OnnxExport's input is [batch, 4], its batch symbolic
        OnnxExport.save(new Layers.Sequential(new Layers.Linear(4, 6, Neuron.RELU, new Rng(1)), new Layers.Linear(6, 3, Neuron.IDENTITY, new Rng(2))),
                file, 4);

        CommandRun plain = run("onnx-run", file.toString(), "--repeat", "1");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("input  input: float [batch, 4], runs as [1, 4]"), plain.out());
        assertTrue(plain.out().contains("output output: float [batch, 3]"), plain.out());

        CommandRun five = run("onnx-run", file.toString(), "--shape", "input=5x4", "--show", "15", "--repeat", "1");
        assertEquals(0, five.code(), five.err());
        assertTrue(five.out().contains("runs as [5, 4]"), five.out());
        assertPrintedAsRun(five.out(), runDirectly(file, Device.CPU, Map.of("input", new int[] {5, 4}),
                Map.of("input", Tensor.rand(new Rng(1), 5, 4))));

        float[] v = {0.5f, -1, 2, 0.25f, 1, 1, -3, 0};
        Path x = npy(dir.resolve("two.npy"), "<f4", v, 2, 4);
        CommandRun two = run("onnx-run", file.toString(), "--input", x.toString(), "--show", "6", "--repeat", "1");
        assertEquals(0, two.code(), two.err());
        assertTrue(two.out().contains("runs as [2, 4], from " + x), two.out());
        assertPrintedAsRun(two.out(), runDirectly(file, Device.CPU, Map.of("input", new int[] {2, 4}), Map.of("input", Tensor.of(v, 2, 4))));
    }

    @Test
    void badFilesAndUnsupportedOperatorsAreOneLineErrors() throws IOException {
        Path missing = dir.resolve("missing.onnx");
        assertError(run("onnx-run", missing.toString()), 1, "no such model file: " + missing);

        Path garbage = Files.write(dir.resolve("garbage.onnx"), "not a protobuf at all \u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1));
        assertError(run("onnx-run", garbage.toString()), 1, garbage + ": not a readable ONNX model");

        ModelProto cnn = ModelProto.parseFrom(Files.readAllBytes(model("tiny_cnn.onnx")));
        ModelProto.Builder b = cnn.toBuilder();
        b.getGraphBuilder().getNodeBuilder(1).setOpType("NonMaxSuppression").setName("nms_here");
        Path unsupported = Files.write(dir.resolve("nms.onnx"), b.build().toByteArray());
        assertError(run("onnx-run", unsupported.toString()), 1, "ONNX operator NonMaxSuppression (node 'nms_here', opset 17)");

        Path tiny = model("tiny_cnn.onnx");
        Path shortRaw = Files.write(dir.resolve("short.bin"), new byte[40]);
        assertError(run("onnx-run", tiny.toString(), "--input", shortRaw.toString()), 1,
                shortRaw + ": 10 float32 values, but input 'x' [2, 3, 16, 16] takes 1536");
        byte[] whole = Files.readAllBytes(npy(dir.resolve("ok.npy"), "<f4", new float[6], 2, 3));
        Path badNpy = Files.write(dir.resolve("bad.npy"), Arrays.copyOf(whole, whole.length - 4)); // the last value cut off
        assertError(run("onnx-run", tiny.toString(), "--input", badNpy.toString()), 1, badNpy + ": the header says 6 values");
        Path wrongShape = npy(dir.resolve("wrong.npy"), "<f4", new float[6], 2, 3);
        assertError(run("onnx-run", tiny.toString(), "--input", wrongShape.toString()), 1, "ONNX operator Conv");

        assertError(run("onnx-run", tiny.toString(), "--shape", "x=2x3xq"), 2, "--shape 2x3xq: not dimensions");
        assertError(run("onnx-run", tiny.toString(), "--shape", "images=1x3x16x16"), 2, "the model has no input 'images' (inputs: [x])");
        assertError(run("onnx-run", tiny.toString(), "--repeat", "-1"), 2, "--repeat and --show must be >= 0");
    }

    @Test
    void profilePrintsTheKernelsOfACall() {
        Path tiny = model("tiny_cnn.onnx");
        CommandRun r = run("onnx-run", tiny.toString(), "--repeat", "4", "--profile");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        int table = out.indexOf("kernel time per call (ms/step = per call):");
        assertTrue(table > out.indexOf("median of 4 calls"), out);
        // the model's convolution, each run once per call, and the total
        assertTrue(Pattern.compile("(?m)^ +\\d+\\.\\d{3} +1\\.0 +[\\d.]+%  convForward\\(").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^ +\\d+\\.\\d{3} +total in kernels$").matcher(out).find(), out);

        assertError(run("onnx-run", tiny.toString(), "--repeat", "0", "--profile"), 2, "--profile times the --repeat calls on the cpu device");
        assertError(run("onnx-run", tiny.toString(), "--device", "sim", "--profile"), 2, "--profile times the --repeat calls on the cpu device");
    }

    private static void assertError(CommandRun r, int code, String message) {
        assertEquals(code, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(message), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    /** A NumPy .npy file (format 1.0, C order) of {@code dtype} ("<f4" or "<f8") holding {@code v}. */
    static Path npy(Path path, String dtype, float[] v, int... shape) throws IOException {
        String dims = Arrays.stream(shape).mapToObj(Integer::toString).reduce((a, c) -> a + ", " + c).orElse("") + (shape.length == 1 ? "," : "");
        StringBuilder header = new StringBuilder("{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }");
        while ((10 + header.length() + 1) % 64 != 0) header.append(' ');
        header.append('\n');
        int width = dtype.equals("<f8") ? 8 : 4;
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + v.length * width).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        for (float f : v) {
            if (width == 8) b.putDouble(f);
            else b.putFloat(f);
        }
        return Files.write(path, b.array());
    }
}
