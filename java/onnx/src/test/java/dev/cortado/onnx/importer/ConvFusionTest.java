package dev.cortado.onnx.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Device;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.tensor.Rng;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvFusion: Conv → Add → Relu (a residual block whose shortcut is computed after the Conv),
 * Conv → Clip(0, 6) and Conv → Add of a broadcast value each become one FusedConv, and the
 * graph still matches ONNX Runtime on random inputs; a Conv whose output is read twice stays, and
 * of two Convs meeting in one Add, the first takes the Add (and the second runs before it).
 */
class ConvFusionTest {

    private static final Rng RNG = new Rng(31);

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT).addFloatData(v).build();
    }

    private static NodeProto conv(String name, String x, String w, String b, String y, long stride) {
        return Graphs.node("Conv", name, List.of(x, w, b), List.of(y), Graphs.ints("pads", 1, 1, 1, 1), Graphs.ints("strides", stride, stride));
    }

    @Test
    void residualReluAndClipBecomeFusedConvsAndMatchOnnxRuntime(@TempDir Path dir) throws Exception {
        List<NodeProto> nodes = List.of(
                conv("c1", "x", "w1", "b1", "h1", 1),
                Graphs.node("Clip", "relu6", List.of("h1", "zero", "six"), List.of("a1")),
                conv("c2", "a1", "w2", "b2", "h2", 1),
                Graphs.node("Relu", "shortcut", List.of("x"), List.of("s")), // computed after c2: the fused node goes where the Add was
                Graphs.node("Add", "add", List.of("h2", "s"), List.of("r")),
                Graphs.node("Relu", "relu", List.of("r"), List.of("a2")),
                conv("c3", "a2", "w3", "b3", "h3", 2),
                Graphs.node("Add", "bias", List.of("h3", "chan"), List.of("y")), // broadcast [1, 4, 1, 1]: the ops one by one
                conv("c4", "a2", "w4", "b4", "h4", 1),
                Graphs.node("Relu", "relu4", List.of("h4"), List.of("t")),
                Graphs.node("Add", "twice", List.of("h4", "t"), List.of("u")), // h4 read twice: stays a Conv
                conv("c5", "a2", "w5", "b5", "h5", 1),
                conv("c6", "a2", "w6", "b6", "h6", 1),
                Graphs.node("Add", "both", List.of("h5", "h6"), List.of("v")), // an Add of two Convs: the first takes it
                Graphs.node("Relu", "relu5", List.of("v"), List.of("o")));
        List<TensorProto> inits = List.of(Graphs.randomFloats("w1", RNG, 0.5f, 4, 4, 3, 3), Graphs.randomFloats("b1", RNG, 0.5f, 4),
                Graphs.randomFloats("w2", RNG, 0.5f, 4, 4, 3, 3), Graphs.randomFloats("b2", RNG, 0.5f, 4),
                Graphs.randomFloats("w3", RNG, 0.5f, 4, 4, 3, 3), Graphs.randomFloats("b3", RNG, 0.5f, 4),
                Graphs.randomFloats("w4", RNG, 0.5f, 2, 4, 3, 3), Graphs.randomFloats("b4", RNG, 0.5f, 2),
                Graphs.randomFloats("w5", RNG, 0.5f, 3, 4, 3, 3), Graphs.randomFloats("b5", RNG, 0.5f, 3),
                Graphs.randomFloats("w6", RNG, 0.5f, 3, 4, 3, 3), Graphs.randomFloats("b6", RNG, 0.5f, 3),
                Graphs.randomFloats("chan", RNG, 1f, 1, 4, 1, 1), scalar("zero", 0f), scalar("six", 6f));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("x", 2, 4, 9, 7)), List.of(Graphs.floatInfo("y"), Graphs.floatInfo("u"), Graphs.floatInfo("o")), inits);
        Path file = Graphs.write(dir, "fusions", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("FusedConv", "Relu", "FusedConv", "FusedConv", "Conv", "Relu", "Add", "Conv", "FusedConv"), model.runtimeOpTypes());
        }
        // a fused node's errors name the operators the model holds
        try (OnnxModel model = OnnxModel.load(file, Device.CPU, java.util.Map.of("x", new int[] {2, 3, 9, 7}))) {
            org.junit.jupiter.api.Assertions.fail("loaded with 3 channels for 4-channel weights");
        } catch (OnnxImportException e) {
            assertTrue(e.getMessage().startsWith("ONNX operator Conv+Clip (node 'c1'"), e.getMessage());
        }
        OrtReference.assertMatches(file);
    }
    /**
     * MobileNet's depthwise Conv (group = channels) → Clip(0, 6) becomes one FusedConv that clamps in
     * the depthwise kernel's output pass (stride 1 and 2; Relu too), matching ONNX Runtime.
     */
    @Test
    void depthwiseConvAndClipBecomeOneFusedConvAndMatchOnnxRuntime(@TempDir Path dir) throws Exception {
        List<NodeProto> nodes = List.of(
                Graphs.node("Conv", "dw1", List.of("x", "w1", "b1"), List.of("h1"), Graphs.ints("pads", 1, 1, 1, 1), Graphs.integer("group", 16)),
                Graphs.node("Clip", "relu6", List.of("h1", "zero", "six"), List.of("a1")),
                Graphs.node("Conv", "dw2", List.of("a1", "w2", "b2"), List.of("h2"), Graphs.ints("pads", 1, 1, 1, 1), Graphs.ints("strides", 2, 2),
                        Graphs.integer("group", 16)),
                Graphs.node("Relu", "relu", List.of("h2"), List.of("y")));
        List<TensorProto> inits = List.of(Graphs.randomFloats("w1", RNG, 1f, 16, 1, 3, 3), Graphs.randomFloats("b1", RNG, 1f, 16),
                Graphs.randomFloats("w2", RNG, 1f, 16, 1, 3, 3), Graphs.randomFloats("b2", RNG, 1f, 16), scalar("zero", 0f), scalar("six", 6f));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("x", 2, 16, 13, 11)), List.of(Graphs.floatInfo("y")), inits);
        Path file = Graphs.write(dir, "depthwise", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("FusedConv", "FusedConv"), model.runtimeOpTypes());
        }
        OrtReference.assertMatches(file);
    }
}
