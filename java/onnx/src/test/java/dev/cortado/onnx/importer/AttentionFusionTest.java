package dev.cortado.onnx.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Device;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AttentionFusion: torch's attention subgraph — MatMul(q / c, Transpose(k)), scaled, plus a causal
 * mask (also one read through an Identity node), Softmax, MatMul with v — becomes one fused attention node (with the Transpose that gives k
 * where k is not the Transpose's input itself) and still matches ONNX Runtime on the cpu and the
 * sim device, and back-propagates as the nodes did; a mask that is not causal, a Softmax whose
 * output is read elsewhere and a Softmax over another axis leave the nodes as they were; a mask
 * that no longer fits the shapes is refused by name at load.
 */
class AttentionFusionTest {

    private static final Rng RNG = new Rng(41);

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT).addFloatData(v).build();
    }

    /** [1, 1, l, s] (or [l, s]): 0 on and below the diagonal, -inf above; {@code notCausalAt} >= 0 puts -inf on that diagonal entry. */
    private static TensorProto mask(String name, int l, int s, boolean rank4, int notCausalAt) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT);
        if (rank4) t.addDims(1).addDims(1);
        t.addDims(l).addDims(s);
        for (int i = 0; i < l; i++) for (int j = 0; j < s; j++) t.addFloatData(j > i || i == notCausalAt && j == i ? Float.NEGATIVE_INFINITY : 0f);
        return t.build();
    }

    /**
     * q [2, 3, 5, 4] / 2; k0 [6, 2, 3, 4] → Transpose(1, 2, 3, 0) = kᵀ; scores · 1.5 + mask; Softmax;
     * · v [2, 3, 6, 7]. {@code softmaxAxis} and {@code softmaxOut} (also a graph output) vary it.
     */
    private static Path causalGraph(Path dir, String name, TensorProto mask, long softmaxAxis, boolean softmaxOut) throws Exception {
        return causalGraph(dir, name, mask, softmaxAxis, softmaxOut, false);
    }

    /** With {@code throughIdentity} the Add reads the mask through an Identity node, as torch names a shared initializer anew. */
    private static Path causalGraph(Path dir, String name, TensorProto mask, long softmaxAxis, boolean softmaxOut, boolean throughIdentity)
            throws Exception {
        List<NodeProto> nodes = new ArrayList<>();
        if (throughIdentity) nodes.add(Graphs.node("Identity", "shared_mask", List.of("m"), List.of("m_again")));
        nodes.addAll(List.of(
                Graphs.node("Div", "q_scale", List.of("q", "two"), List.of("qs")),
                Graphs.node("Transpose", "k_t", List.of("k0"), List.of("kt"), Graphs.ints("perm", 1, 2, 3, 0)),
                Graphs.node("MatMul", "scores", List.of("qs", "kt"), List.of("s")),
                Graphs.node("Mul", "scale", List.of("s", "one_half"), List.of("s2")),
                Graphs.node("Add", "mask", List.of("s2", throughIdentity ? "m_again" : "m"), List.of("sm")),
                Graphs.node("Softmax", "softmax", List.of("sm"), List.of("p"), Graphs.integer("axis", softmaxAxis)),
                Graphs.node("MatMul", "out", List.of("p", "v"), List.of("y"))));
        List<TensorProto> inits = List.of(scalar("two", 2f), scalar("one_half", 1.5f), mask);
        List<dev.cortado.onnx.proto.Onnx.ValueInfoProto> outputs = new ArrayList<>(List.of(Graphs.floatInfo("y")));
        if (softmaxOut) outputs.add(Graphs.floatInfo("p"));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("q", 2, 3, 5, 4), Graphs.floatInfo("k0", 6, 2, 3, 4),
                Graphs.floatInfo("v", 2, 3, 6, 7)), outputs, inits);
        return Graphs.write(dir, name, m);
    }

    @Test
    void causalAttentionBecomesOneNodeAndMatchesOnnxRuntime(@TempDir Path dir) throws Exception {
        for (boolean rank4 : new boolean[] {false, true}) {
            Path file = causalGraph(dir, "causal" + rank4, mask("m", 5, 6, rank4, -1), -1, false);
            try (OnnxModel model = OnnxModel.load(file)) {
                assertEquals(List.of("Transpose", AttentionFusion.OP), model.runtimeOpTypes()); // k = k0 under (1, 2, 0, 3)
            }
            OrtReference.assertMatches(file);
        }
        Path shared = causalGraph(dir, "through_identity", mask("m", 5, 6, true, -1), -1, false, true);
        try (OnnxModel model = OnnxModel.load(shared)) {
            assertTrue(model.runtimeOpTypes().contains(AttentionFusion.OP), model.runtimeOpTypes().toString());
        }
        OrtReference.assertMatches(shared);
    }

    @Test
    void scalesOnBothOperandsFoldAndAnIdentityTransposeGoes(@TempDir Path dir) throws Exception {
        // q · 0.5, kᵀ = Transpose(k, 0, 1, 3, 2) / 3, no mask, scores / 0.25: one node, k read as it is
        List<NodeProto> nodes = List.of(
                Graphs.node("Mul", "q_scale", List.of("half", "q"), List.of("qs")),
                Graphs.node("Transpose", "k_t", List.of("k"), List.of("kt"), Graphs.ints("perm", 0, 1, 3, 2)),
                Graphs.node("Div", "k_scale", List.of("kt", "three"), List.of("kts")),
                Graphs.node("MatMul", "scores", List.of("qs", "kts"), List.of("s")),
                Graphs.node("Div", "scale", List.of("s", "quarter"), List.of("s2")),
                Graphs.node("Softmax", "softmax", List.of("s2"), List.of("p")),
                Graphs.node("MatMul", "out", List.of("p", "v"), List.of("y")));
        var m = Graphs.model(17, nodes, List.of(Graphs.floatInfo("q", 2, 3, 7, 5), Graphs.floatInfo("k", 2, 3, 4, 5),
                Graphs.floatInfo("v", 2, 3, 4, 2)), List.of(Graphs.floatInfo("y")), List.of(scalar("half", 0.5f), scalar("three", 3f),
                scalar("quarter", 0.25f)));
        Path file = Graphs.write(dir, "plain", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of(AttentionFusion.OP), model.runtimeOpTypes());
        }
        OrtReference.assertMatches(file);
    }

    @Test
    void anythingElseStaysAsItWas(@TempDir Path dir) throws Exception {
        List<String> unfused = List.of("Div", "Transpose", "MatMul", "Mul", "Add", "Softmax", "MatMul");
        Path[] files = {
            causalGraph(dir, "not_causal", mask("m", 5, 6, false, 2), -1, false), // -inf on one diagonal entry
            causalGraph(dir, "random_mask", Graphs.randomFloats("m", RNG, 1f, 5, 6), -1, false),
            causalGraph(dir, "read_twice", mask("m", 5, 6, false, -1), -1, true), // the weights are a graph output too
            causalGraph(dir, "other_axis", mask("m", 5, 6, false, -1), 2, false)};
        for (Path file : files) {
            try (OnnxModel model = OnnxModel.load(file)) {
                assertEquals(unfused, model.runtimeOpTypes(), file.getFileName().toString());
            }
        }
        OrtReference.assertMatches(files[0]);
        OrtReference.assertMatches(files[2]);
        // q divided by a one-element constant of rank 5 broadcasts q to rank 5: not a scale to fold, the Div stays before the fused node
        var rank5 = TensorProto.newBuilder().setName("c5").setDataType(Value.FLOAT).addDims(1).addDims(1).addDims(1).addDims(1).addDims(1)
                .addFloatData(2f).build();
        var m = Graphs.model(17, List.of(Graphs.node("Div", "q_scale", List.of("q", "c5"), List.of("qs")),
                        Graphs.node("Transpose", "k_t", List.of("k"), List.of("kt"), Graphs.ints("perm", 0, 1, 3, 2)),
                        Graphs.node("MatMul", "scores", List.of("qs", "kt"), List.of("s")),
                        Graphs.node("Softmax", "softmax", List.of("s"), List.of("p")),
                        Graphs.node("MatMul", "out", List.of("p", "v"), List.of("y"))),
                List.of(Graphs.floatInfo("q", 2, 3, 5, 4), Graphs.floatInfo("k", 2, 3, 6, 4), Graphs.floatInfo("v", 2, 3, 6, 7)),
                List.of(Graphs.floatInfo("y")), List.of(rank5));
        Path file = Graphs.write(dir, "rank5_scale", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("Div", AttentionFusion.OP), model.runtimeOpTypes());
            assertEquals(5, model.run(Map.of("q", Tensor.zeros(2, 3, 5, 4), "k", Tensor.zeros(2, 3, 6, 4), "v", Tensor.zeros(2, 3, 6, 7)))
                    .get("y").dim());
        }
        OrtReference.assertMatches(file);
    }

    /** The fused node back-propagates as the nodes it replaced: the same graph with its mask a graph input (so not fused) gives the same gradients. */
    @Test
    void gradientsFlowThroughTheFusedNodeAsThroughTheNodes(@TempDir Path dir) throws Exception {
        TensorProto mask = mask("m", 5, 6, false, -1);
        Path fusedFile = causalGraph(dir, "fused", mask, -1, false);
        try (OnnxModel fused = OnnxModel.load(fusedFile)) {
            assertEquals(List.of("Transpose", AttentionFusion.OP), fused.runtimeOpTypes());
        }
        var unfused = Graphs.model(17, dev.cortado.onnx.proto.Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(fusedFile)).getGraph()
                .getNodeList(), List.of(Graphs.floatInfo("q", 2, 3, 5, 4), Graphs.floatInfo("k0", 6, 2, 3, 4), Graphs.floatInfo("v", 2, 3, 6, 7),
                Graphs.floatInfo("m", 5, 6)), List.of(Graphs.floatInfo("y")), List.of(scalar("two", 2f), scalar("one_half", 1.5f)));
        Path unfusedFile = Graphs.write(dir, "unfused", unfused);
        Rng rng = new Rng(5);
        Tensor q = Tensor.uniform(rng, -1, 1, 2, 3, 5, 4), k0 = Tensor.uniform(rng, -1, 1, 6, 2, 3, 4), v = Tensor.uniform(rng, -1, 1, 2, 3, 6, 7);
        Tensor g = Tensor.uniform(rng, -1, 1, 2, 3, 5, 7);
        float[][] grads = new float[6][];
        Path[] files = {fusedFile, unfusedFile};
        for (int f = 0; f < 2; f++) {
            try (OnnxModel model = OnnxModel.load(files[f])) {
                if (f == 1) assertTrue(model.runtimeOpTypes().contains("Softmax"), model.runtimeOpTypes().toString());
                Tensor[] in = {q.detach().requiresGrad(true), k0.detach().requiresGrad(true), v.detach().requiresGrad(true)};
                Map<String, Tensor> feed = new java.util.HashMap<>(Map.of("q", in[0], "k0", in[1], "v", in[2]));
                if (f == 1) feed.put("m", Tensor.of(TensorData.values(mask), 5, 6));
                model.run(feed).get("y").backward(g);
                for (int i = 0; i < 3; i++) grads[3 * f + i] = in[i].grad().toArray();
            }
        }
        String[] names = {"dq", "dk0", "dv"};
        for (int i = 0; i < 3; i++) {
            double scale = 1;
            for (float x : grads[3 + i]) scale = Math.max(scale, Math.abs(x));
            for (int j = 0; j < grads[i].length; j++) {
                assertTrue(Math.abs(grads[i][j] - grads[3 + i][j]) <= 1e-5 * scale, names[i] + "[" + j + "]: " + grads[i][j] + " vs " + grads[3 + i][j]);
            }
        }
    }

    @Test
    void aMaskThatNoLongerFitsIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = causalGraph(dir, "causal", mask("m", 5, 6, false, -1), -1, false);
        OnnxImportException e = assertThrows(OnnxImportException.class,
                () -> OnnxModel.load(file, Device.CPU, Map.of("q", new int[] {2, 3, 4, 4})).close());
        assertTrue(e.getMessage().startsWith("ONNX operator Div+Transpose+MatMul+Mul+Add+Softmax+MatMul (node 'out'"), e.getMessage());
        assertTrue(e.getMessage().contains("causal mask [5, 6] does not fit q [2, 3, 4, 4]"), e.getMessage());
    }
}
