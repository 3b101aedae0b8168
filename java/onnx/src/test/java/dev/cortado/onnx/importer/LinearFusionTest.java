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
 * LinearFusion: MatMul by a constant weight → Add of a bias (either operand order, the weight and
 * bias shared through Identity nodes as torch.onnx.export writes them) → Relu, MatMul → Add, and
 * Gemm (transB) → Clip each become one Linear node, and the graph still matches ONNX Runtime on
 * random inputs; a MatMul whose output is read twice, a MatMul of two inputs, an Add of a bias of
 * the wrong length and a Gemm without an activation stay as they are.
 */
class LinearFusionTest {

    private static final Rng RNG = new Rng(41);

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT).addFloatData(v).build();
    }

    @Test
    void matMulAddReluAndGemmClipBecomeLinearNodesAndMatchOnnxRuntime(@TempDir Path dir) throws Exception {
        List<NodeProto> nodes = List.of(
                Graphs.node("Identity", "share_w", List.of("w1"), List.of("w1b")),
                Graphs.node("Identity", "share_b", List.of("b1"), List.of("b1b")),
                Graphs.node("MatMul", "mm1", List.of("x", "w1b"), List.of("h1")), // x [2, 5, 6] · [6, 7]
                Graphs.node("Add", "bias1", List.of("b1b", "h1"), List.of("s1")), // the bias first, as torch writes it
                Graphs.node("Relu", "relu1", List.of("s1"), List.of("a1")),
                Graphs.node("MatMul", "mm2", List.of("a1", "w2"), List.of("h2")), // [2, 5, 7] · [7, 4]
                Graphs.node("Add", "bias2", List.of("h2", "b2"), List.of("y")), // no activation after
                Graphs.node("Reshape", "flat", List.of("a1", "shape"), List.of("f")), // [10, 7]
                Graphs.node("Gemm", "fc", List.of("f", "w3", "b3"), List.of("g"), Graphs.integer("transB", 1)), // w3 [3, 7]
                Graphs.node("Clip", "clip", List.of("g", "lo", "hi"), List.of("z")),
                Graphs.node("Gemm", "plain", List.of("f", "w3", "b3"), List.of("p"), Graphs.integer("transB", 1)), // no activation: stays
                Graphs.node("MatMul", "twice", List.of("a1", "w2"), List.of("t")), // read twice: stays
                Graphs.node("Add", "t_bias", List.of("t", "b2"), List.of("t1")),
                Graphs.node("Relu", "t_relu", List.of("t"), List.of("t2")),
                Graphs.node("Add", "t_sum", List.of("t1", "t2"), List.of("u")),
                Graphs.node("MatMul", "xx", List.of("a1", "v"), List.of("q")), // v an input: stays
                Graphs.node("Add", "q_bias", List.of("q", "b4"), List.of("o")),
                Graphs.node("MatMul", "wide", List.of("a1", "w2"), List.of("r")), // a bias of [1, 4]: stays
                Graphs.node("Add", "r_bias", List.of("r", "row"), List.of("k")));
        List<TensorProto> inits = List.of(Graphs.randomFloats("w1", RNG, 0.5f, 6, 7), Graphs.randomFloats("b1", RNG, 0.5f, 7),
                Graphs.randomFloats("w2", RNG, 0.5f, 7, 4), Graphs.randomFloats("b2", RNG, 0.5f, 4),
                Graphs.randomFloats("w3", RNG, 0.5f, 3, 7), Graphs.randomFloats("b3", RNG, 0.5f, 3),
                Graphs.randomFloats("b4", RNG, 0.5f, 4), Graphs.randomFloats("row", RNG, 0.5f, 1, 4),
                Graphs.int64s("shape", 10, 7), scalar("lo", -0.25f), scalar("hi", 0.5f));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("x", 2, 5, 6), Graphs.floatInfo("v", 7, 4)),
                List.of(Graphs.floatInfo("y"), Graphs.floatInfo("z"), Graphs.floatInfo("p"), Graphs.floatInfo("u"), Graphs.floatInfo("o"),
                        Graphs.floatInfo("k")), inits);
        Path file = Graphs.write(dir, "linear", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("Identity", "Identity", "Linear", "Linear", "Reshape", "Linear", "Gemm", "MatMul", "Add", "Relu", "Add",
                    "MatMul", "Add", "MatMul", "Add"), model.runtimeOpTypes());
        }
        // a fused node's errors name the operators the model holds
        try (OnnxModel model = OnnxModel.load(file, Device.CPU, java.util.Map.of("x", new int[] {2, 5, 5}, "v", new int[] {7, 4}))) {
            org.junit.jupiter.api.Assertions.fail("loaded with 5 features for a [6, 7] weight");
        } catch (OnnxImportException e) {
            assertTrue(e.getMessage().startsWith("ONNX operator MatMul+Add+Relu (node 'mm1'"), e.getMessage());
        }
        OrtReference.assertMatches(file);
    }

    /** torch.onnx.export's GELU subgraph (before opset 20) over {@code x} into {@code y}, its nodes named after y: exact or tanh form. */
    private static List<NodeProto> gelu(String x, String y, boolean tanh) {
        if (!tanh) {
            return List.of(Graphs.node("Div", y + "_div", List.of(x, "sqrt2"), List.of(y + "_d")),
                    Graphs.node("Erf", y + "_erf", List.of(y + "_d"), List.of(y + "_e")),
                    Graphs.node("Add", y + "_add", List.of(y + "_e", "one"), List.of(y + "_a")),
                    Graphs.node("Mul", y + "_mul", List.of(x, y + "_a"), List.of(y + "_m")),
                    Graphs.node("Mul", y + "_half", List.of(y + "_m", "half"), List.of(y)));
        }
        return List.of(Graphs.node("Mul", y + "_sq", List.of(x, x), List.of(y + "_s")),
                Graphs.node("Mul", y + "_cube", List.of(x, y + "_s"), List.of(y + "_c")),
                Graphs.node("Mul", y + "_k", List.of(y + "_c", "k3"), List.of(y + "_kc")),
                Graphs.node("Add", y + "_sum", List.of(x, y + "_kc"), List.of(y + "_u")),
                Graphs.node("Mul", y + "_scale", List.of(y + "_u", "c"), List.of(y + "_v")),
                Graphs.node("Tanh", y + "_tanh", List.of(y + "_v"), List.of(y + "_t")),
                Graphs.node("Add", y + "_add", List.of(y + "_t", "one"), List.of(y + "_a")),
                Graphs.node("Mul", y + "_mul", List.of(x, y + "_a"), List.of(y + "_m")),
                Graphs.node("Mul", y + "_half", List.of(y + "_m", "half"), List.of(y)));
    }

    /**
     * A residual Add after the bias (or after a Gemm) and a GELU after either join the Linear node:
     * MatMul + Add + GELU in both forms (torch's subgraphs, fused to Gelu first), MatMul + Add + Add
     * of an input of the output's shape, Gemm + Add of a residual + Relu, and a residual of shape
     * [4] that broadcasts (fused at load, added after the GEMM at run time); all match ONNX Runtime.
     */
    @Test
    void residualAddsAndGeluJoinTheLinearNodeAndMatchOnnxRuntime(@TempDir Path dir) throws Exception {
        List<NodeProto> nodes = new java.util.ArrayList<>(List.of(
                Graphs.node("MatMul", "mm1", List.of("x", "w1"), List.of("h1")), // x [2, 5, 6] · [6, 7]
                Graphs.node("Add", "bias1", List.of("h1", "b1"), List.of("s1"))));
        nodes.addAll(gelu("s1", "a1", true));
        nodes.addAll(List.of(
                Graphs.node("MatMul", "mm2", List.of("a1", "w2"), List.of("h2")), // [2, 5, 7] · [7, 4]
                Graphs.node("Add", "bias2", List.of("b2", "h2"), List.of("s2")),
                Graphs.node("Add", "residual2", List.of("r", "s2"), List.of("y")), // r [2, 5, 4]: x + f(x)
                Graphs.node("MatMul", "mm3", List.of("x", "w1"), List.of("h3")),
                Graphs.node("Add", "bias3", List.of("h3", "b1"), List.of("s3"))));
        nodes.addAll(gelu("s3", "e", false));
        nodes.addAll(List.of(
                Graphs.node("Reshape", "flat", List.of("a1", "shape"), List.of("f")), // [10, 7]
                Graphs.node("Gemm", "fc", List.of("f", "w3", "b3"), List.of("g"), Graphs.integer("transB", 1)), // w3 [3, 7]
                Graphs.node("Add", "residual_fc", List.of("g", "q"), List.of("gq")), // q [10, 3]
                Graphs.node("Relu", "relu_fc", List.of("gq"), List.of("z")),
                Graphs.node("MatMul", "mm4", List.of("a1", "w2"), List.of("h4")),
                Graphs.node("Add", "bias4", List.of("h4", "b2"), List.of("s4")),
                Graphs.node("Add", "broadcast4", List.of("s4", "row"), List.of("k")))); // row [4], an input
        List<TensorProto> inits = List.of(Graphs.randomFloats("w1", RNG, 0.5f, 6, 7), Graphs.randomFloats("b1", RNG, 0.5f, 7),
                Graphs.randomFloats("w2", RNG, 0.5f, 7, 4), Graphs.randomFloats("b2", RNG, 0.5f, 4),
                Graphs.randomFloats("w3", RNG, 0.5f, 3, 7), Graphs.randomFloats("b3", RNG, 0.5f, 3), Graphs.int64s("shape", 10, 7),
                scalar("sqrt2", (float) Math.sqrt(2)), scalar("one", 1f), scalar("half", 0.5f), scalar("k3", 0.044715f),
                scalar("c", (float) Math.sqrt(2 / Math.PI)));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("x", 2, 5, 6), Graphs.floatInfo("r", 2, 5, 4), Graphs.floatInfo("q", 10, 3),
                Graphs.floatInfo("row", 4)), List.of(Graphs.floatInfo("y"), Graphs.floatInfo("e"), Graphs.floatInfo("z"), Graphs.floatInfo("k")),
                inits);
        Path file = Graphs.write(dir, "linear_residual", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("Linear", "Linear", "Linear", "Reshape", "Linear", "Linear"), model.runtimeOpTypes());
        }
        OrtReference.assertMatches(file);
    }
}
