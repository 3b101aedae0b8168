package dev.cortado.onnx.importer;

import static dev.cortado.onnx.importer.Graphs.floatInfo;
import static dev.cortado.onnx.importer.Graphs.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradCheck;
import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.onnx.proto.Onnx.ValueInfoProto;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SelfAttentionFusion: torch's batch-first multi-head attention block (as torch.onnx.export
 * writes nn.MultiheadAttention: x transposed to positions first, the packed projection sliced into
 * q, k and v, each reshaped and transposed to heads, the output transposed back before and after
 * the output projection) runs as one SelfAttention node on the projection in batch order, with no
 * Transpose or Slice left, the output projection one Linear node on its [B, L, E] (with the
 * residual Add that reads the block alone), and matches ONNX Runtime on cpu and sim, causal or not, and its
 * gradients central differences; where the shapes turn out not to fit (v's slice not P's last
 * third, q's and k's slices swapped) the model loads without the fusion and still matches; where P is read elsewhere, or its
 * Shape is read for another axis, the nodes stay as they are.
 */
class SelfAttentionFusionTest {

    @TempDir
    Path dir;

    private static final int B = 2, L = 5, E = 12, H = 3, D = E / H;

    /** The output projection Gemm's alpha (1: torch's). */
    private float gemmAlpha = 1f;

    /**
     * x [B, L, E] → the block, as torch writes it. {@code dv}: v's head size (D for a fusable
     * block; another makes P [L, B, 2E + H·dv], whose slices are not thirds). {@code pOut}: P is
     * also a graph output. {@code shapeAxis}: the axis of P's Shape a Gather reads (torch: -1).
     */
    private Path block(String name, int dv, boolean causal, boolean pOut, long shapeAxis) throws Exception {
        return block(name, dv, causal, pOut, shapeAxis, false, false);
    }

    /**
     * With {@code kFirst} k's slice is P's first third and q's its second; with {@code residual}
     * the output is x + the block's (an Add reading it alone), as nn.TransformerEncoderLayer has it.
     */
    private Path block(String name, int dv, boolean causal, boolean pOut, long shapeAxis, boolean kFirst, boolean residual) throws Exception {
        Rng rng = new Rng(13);
        int w = 2 * E + H * dv;
        List<NodeProto> nodes = new ArrayList<>(List.of(
                node("Transpose", "t0", List.of("x"), List.of("xt"), Graphs.ints("perm", 1, 0, 2)),
                node("MatMul", "in_proj", List.of("xt", "w_in"), List.of("m")),
                node("Add", "in_bias", List.of("b_in", "m"), List.of("p")),
                node("Shape", "p_shape", List.of("p"), List.of("ps")),
                node("Gather", "p_width", List.of("ps", "shape_axis"), List.of("pw"), Graphs.integer("axis", 0)),
                node("Slice", "q_slice", List.of("p", "q0", "q1", "axes"), List.of("qs")),
                node("Slice", "k_slice", List.of("p", "k0", "k1", "axes"), List.of("ks")),
                node("Slice", "v_slice", List.of("p", "v0", "v1", "axes"), List.of("vs")),
                node("Reshape", "q_heads", List.of("qs", "qk_shape"), List.of("qr")),
                node("Reshape", "k_heads", List.of("ks", "qk_shape"), List.of("kr")),
                node("Reshape", "v_heads", List.of("vs", "v_shape"), List.of("vr")),
                node("Transpose", "q_t", List.of("qr"), List.of("qt"), Graphs.ints("perm", 1, 0, 2)),
                node("Transpose", "k_t", List.of("kr"), List.of("kt"), Graphs.ints("perm", 1, 2, 0)),
                node("Transpose", "v_t", List.of("vr"), List.of("vt"), Graphs.ints("perm", 1, 0, 2)),
                node("Div", "q_scale", List.of("qt", "sqrt_d"), List.of("qd")),
                node("MatMul", "scores", List.of("qd", "kt"), List.of("s"))));
        if (causal) nodes.add(node("Add", "mask", List.of("s", "causal_mask"), List.of("sm")));
        nodes.addAll(List.of(
                node("Softmax", "softmax", List.of(causal ? "sm" : "s"), List.of("a"), Graphs.integer("axis", -1)),
                node("MatMul", "attend", List.of("a", "vt"), List.of("o")),
                node("Transpose", "o_t", List.of("o"), List.of("ot"), Graphs.ints("perm", 1, 0, 2)),
                node("Reshape", "rows", List.of("ot", "rows_shape"), List.of("or")),
                node("Gemm", "out_proj", List.of("or", "w_out", "b_out"), List.of("g"), Graphs.integer("transB", 1),
                        AttributeProto.newBuilder().setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setF(gemmAlpha).build()),
                node("Reshape", "out_rows", List.of("g", "out_shape"), List.of("gr")),
                node("Transpose", "out_t", List.of("gr"), List.of(residual ? "attended" : "y"), Graphs.ints("perm", 1, 0, 2))));
        if (residual) nodes.add(node("Add", "residual", List.of("x", "attended"), List.of("y")));
        TensorProto.Builder mask = TensorProto.newBuilder().setName("causal_mask").setDataType(Value.FLOAT).addDims(L).addDims(L);
        for (int i = 0; i < L; i++) for (int j = 0; j < L; j++) mask.addFloatData(j > i ? Float.NEGATIVE_INFINITY : 0f);
        List<TensorProto> inits = List.of(Graphs.randomFloats("w_in", rng, 0.4f, E, w), Graphs.randomFloats("b_in", rng, 0.2f, w),
                Graphs.randomFloats("w_out", rng, 0.4f, E, H * dv), Graphs.randomFloats("b_out", rng, 0.2f, E),
                Graphs.int64s("shape_axis", shapeAxis), Graphs.int64s("axes", -1), Graphs.int64s("q0", kFirst ? E : 0), Graphs.int64s("q1", kFirst ? 2 * E : E),
                Graphs.int64s("k0", kFirst ? 0 : E), Graphs.int64s("k1", kFirst ? E : 2 * E), Graphs.int64s("v0", 2 * E), Graphs.int64s("v1", w),
                Graphs.int64s("qk_shape", L, B * H, D), Graphs.int64s("v_shape", L, B * H, dv), Graphs.int64s("rows_shape", L * B, H * dv),
                Graphs.int64s("out_shape", L, B, E),
                TensorProto.newBuilder().setName("sqrt_d").setDataType(Value.FLOAT).addFloatData((float) Math.sqrt(D)).build(), mask.build());
        List<ValueInfoProto> outputs = new ArrayList<>(List.of(floatInfo("y")));
        if (pOut) outputs.add(floatInfo("p"));
        return Graphs.write(dir, name, Graphs.model(17, nodes, List.of(floatInfo("x", B, L, E)), outputs, inits));
    }

    private static List<String> plan(Path file) throws Exception {
        try (OnnxModel model = OnnxModel.load(file)) {
            return model.runtimeOpTypes();
        }
    }

    @Test
    void theBlockRunsOnThePackedProjectionAndMatchesOnnxRuntime() throws Exception {
        for (boolean causal : new boolean[] {false, true}) {
            for (boolean residual : new boolean[] {false, true}) {
                Path file = block("block" + causal + residual, D, causal, false, -1, false, residual);
                // the input projection, the attention, the output projection (adding the residual)
                assertEquals(List.of(LinearFusion.OP, SelfAttentionFusion.OP, LinearFusion.OP), plan(file), "causal " + causal + " residual " + residual);
                OrtReference.assertMatches(file);
            }
        }
    }

    @Test
    void anOutputProjectionThatIsNoLinearLayerStaysAGemm() throws Exception {
        gemmAlpha = 0.5f; // Gemm's alpha: the block still runs in batch order, its Gemm between Reshapes
        Path file = block("alpha", D, false, false, -1, false, true);
        assertEquals(List.of(LinearFusion.OP, SelfAttentionFusion.OP, "Reshape", "Gemm", "Reshape", "Add"), plan(file));
        OrtReference.assertMatches(file);
    }

    @Test
    void shapesThatDoNotFitLoadWithoutTheFusion() throws Exception {
        // P [L, B, 2E + 6]: v's slice is not its last third; q and k in each other's thirds
        for (Path file : new Path[] {block("v_not_a_third", 2, true, false, -1), block("k_first", D, false, false, -1, true, false)}) {
            List<String> ops = plan(file);
            assertTrue(ops.contains(AttentionFusion.OP) && !ops.contains(SelfAttentionFusion.OP) && ops.contains("Slice"), file + " plan: " + ops);
            OrtReference.assertMatches(file);
        }
    }

    @Test
    void aProjectionReadElsewhereLeavesTheNodes() throws Exception {
        for (Path file : new Path[] {block("p_out", D, false, true, -1), block("p_first_axis", D, false, false, 0)}) {
            List<String> ops = plan(file);
            assertFalse(ops.contains(SelfAttentionFusion.OP), file + " plan: " + ops);
            assertTrue(ops.contains(AttentionFusion.OP) && ops.contains("Transpose"), file + " plan: " + ops);
            OrtReference.assertMatches(file);
        }
    }

    @Test
    void gradientsThroughTheFusedBlockMatchCentralDifferences() throws Exception {
        try (OnnxModel model = OnnxModel.load(block("trainable", D, true, false, -1, false, true))) {
            assertTrue(model.runtimeOpTypes().contains(SelfAttentionFusion.OP));
            model.requiresGrad(true);
            Tensor x = Tensor.uniform(new Rng(4), -1, 1, B, L, E);
            Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
            assertEquals(4, params.length);
            GradCheck.Result r = new GradCheck(1e-2, 1e-3, 2e-2, 60).check(ignored -> model.run(x), params);
            assertTrue(r.ok(), r.toString());
            assertTrue(r.checked() > 100, r.toString());
        }
    }
}
