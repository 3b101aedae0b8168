package dev.cortado.onnx.export;

import static dev.cortado.api.NetLayer.batchNormalization;
import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.lstm;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.selfAttention;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.onnx.proto.Onnx;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file: written atomically, parsed back by protobuf, accepted by onnx's checker, weights under their state_dict names. */
class ExportFileTest {

    @TempDir
    Path dir;

    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void saved_file_parses_back_with_the_graph_contract() throws IOException {
        NetChain net = NetModels.cifarResNet(8, 10).initialize(1L, 3, 8, 8);
        Path file = dir.resolve("resnet8.onnx");
        OnnxExport.save(net, file);
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
        assertEquals(8, m.getIrVersion());
        assertEquals("", m.getOpsetImport(0).getDomain());
        assertEquals(17, m.getOpsetImport(0).getVersion());
        Onnx.GraphProto g = m.getGraph();
        assertEquals(1, g.getInputCount());
        assertEquals(1, g.getOutputCount());
        assertEquals(List.of("batch", "3", "8", "8"), dims(g.getInput(0)));
        assertEquals("input", g.getInput(0).getName());
        assertEquals(List.of("batch", "10"), dims(g.getOutput(0)));
        assertEquals("output", g.getOutput(0).getName());
        assertEquals(Onnx.TensorProto.DataType.FLOAT.getNumber(), g.getInput(0).getType().getTensorType().getElemType());
        assertArrayEquals(OnnxExport.toBytes(net), Files.readAllBytes(file));
    }

    private static List<String> dims(Onnx.ValueInfoProto v) {
        return v.getType().getTensorType().getShape().getDimList().stream()
                .map(d -> d.hasDimParam() ? d.getDimParam() : Long.toString(d.getDimValue())).toList();
    }

    @Test
    void initializers_are_the_state_dict_by_pytorch_names() {
        NetChain net = NetChain.of(convolution(3, 3, 1, 1, false), batchNormalization(), ramp(),
                dev.cortado.api.NetLayer.residual(convolution(3, 3, 1, 1), ramp()), dev.cortado.api.NetLayer.flatten(), 4, softmax())
                .initialize(1L, 2, 5, 5);
        LayerExportTest.warmStatistics(net.module(), net.inputShape(), OrtReference.uniform(3));
        Map<String, Onnx.TensorProto> init = new HashMap<>();
        for (Onnx.TensorProto t : OnnxExport.toModel(net).getGraph().getInitializerList()) init.put(t.getName(), t);
        Map<String, Tensor> state = net.module().stateDict();
        assertTrue(state.containsKey("1.running_mean") && state.containsKey("3.branch.0.weight"), state.keySet().toString());
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Onnx.TensorProto t = init.get(e.getKey());
            assertNotNull(t, "no initializer " + e.getKey() + " among " + init.keySet());
            assertEquals(Onnx.TensorProto.DataType.FLOAT.getNumber(), t.getDataType());
            assertEquals(java.util.Arrays.stream(e.getValue().shape()).asLongStream().boxed().toList(), t.getDimsList());
            float[] values = new float[e.getValue().numel() > Integer.MAX_VALUE ? 0 : (int) e.getValue().numel()];
            ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            assertArrayEquals(e.getValue().toArray(), values, e.getKey());
        }
        assertEquals(state.size(), init.size(), "initializers beyond the state_dict: " + init.keySet());
    }

    @Test
    void recurrent_and_attention_weights_keep_pytorch_layout_and_names() {
        // the gate reordering and the transposes are nodes on the state_dict tensors, not renamed copies
        NetChain net = NetChain.of(dev.cortado.api.NetLayer.embedding(6, 11), lstm(6), selfAttention(2, false)).initialize(1L, 4);
        Map<String, Onnx.TensorProto> init = new HashMap<>();
        for (Onnx.TensorProto t : OnnxExport.toModel(net).getGraph().getInitializerList()) init.put(t.getName(), t);
        Map<String, Tensor> state = net.module().stateDict();
        assertEquals(List.of("0.weight", "1.weight_ih", "1.weight_hh", "1.bias", "2.in_proj_weight", "2.in_proj_bias", "2.out_proj.weight",
                "2.out_proj.bias"), List.copyOf(state.keySet()));
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Onnx.TensorProto t = init.get(e.getKey());
            assertNotNull(t, "no initializer " + e.getKey() + " among " + init.keySet());
            float[] values = new float[(int) e.getValue().numel()];
            ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            assertArrayEquals(e.getValue().toArray(), values, e.getKey());
        }
    }

    @Test
    void a_model_on_another_device_exports_the_same_file() {
        NetChain net = NetChain.of(convolution(2, 3), batchNormalization(), ramp(), dev.cortado.api.NetLayer.flatten(), 3).initialize(1L, 1, 5, 5);
        byte[] onCpu = OnnxExport.toBytes(net);
        net.module().to(dev.cortado.memory.Device.sim(2));
        assertArrayEquals(onCpu, OnnxExport.toBytes(net));
    }

    @Test
    void onnx_checker_accepts_the_exports() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is absent");
        assumeTrue(run(PYTHON, "-c", "import onnx").exit == 0, "python's onnx package is absent");
        Path resnet = dir.resolve("resnet.onnx"), recurrent = dir.resolve("lstm.onnx"), attention = dir.resolve("attention.onnx");
        OnnxExport.save(NetModels.cifarResNet(8, 10).initialize(1L, 3, 8, 8), resnet);
        OnnxExport.save(NetChain.of(lstm(4), sequenceLast(), 3, softmax()).initialize(1L, 5, 2), recurrent);
        OnnxExport.save(NetChain.of(selfAttention(2, true), dev.cortado.api.NetLayer.layerNormalization()).initialize(1L, 4, 6), attention);
        for (Path p : List.of(resnet, recurrent, attention)) {
            Result r = run(PYTHON, "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True);"
                    + " print(m.opset_import[0].version, m.ir_version)", p.toString());
            assertEquals(0, r.exit, p + ": onnx.checker says " + r.output);
            assertEquals("17 8", r.output.strip());
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    @Test
    void save_replaces_a_file_atomically_and_leaves_no_temporary() throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "an older file");
        NetChain net = NetChain.of(3, softmax()).initialize(1L, 4);
        OnnxExport.save(net, file);
        assertArrayEquals(OnnxExport.toBytes(net), Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void the_file_gets_the_permissions_of_any_new_file() throws IOException {
        // was: written through Files.createTempFile, the export was owner-only (rw-------) where a
        // model file saved by NetChain.save was rw-r--r--
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("model.onnx"), plain = dir.resolve("plain.bin");
        OnnxExport.save(NetChain.of(3).initialize(1L, 4), file);
        Files.write(plain, new byte[] {1});
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
    }

    @Test
    void an_unwritable_file_is_an_io_exception_naming_it() {
        Path file = dir.resolve("no such folder").resolve("model.onnx");
        IOException e = assertThrows(IOException.class, () -> OnnxExport.save(NetChain.of(3).initialize(1L, 4), file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
