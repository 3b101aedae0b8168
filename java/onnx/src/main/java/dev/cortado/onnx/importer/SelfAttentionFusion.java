package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the self-attention block torch.onnx.export writes for a batch-first nn.MultiheadAttention
 * (nn.TransformerEncoderLayer's) in batch order, on the packed projection, with no copy of a head
 * (after {@link AttentionFusion}, which made the attention one node):
 * <pre>
 *   x [B, L, E] → Transpose(1,0,2) → MatMul(W) [→ Add(b)] = P [L, B, 3E]
 *   P → Slice (last axis) → Reshape [L, B·H, D] → Transpose(1,0,2) = q, k, v
 *   attention(q, k, v) → Transpose(1,0,2) → Reshape [L·B, E] → Gemm → Reshape [L, B, E] → Transpose(1,0,2) = y
 *   [y → Add(z, y)]
 * </pre>
 * becomes
 * <pre>
 *   x → MatMul(W) [→ Add(b)] = P [B, L, 3E] → {@value #OP}(P) [B, L, E] → Linear(W_o, b_o [, z]) = y [B, L, E]
 * </pre>
 * The projections work row by row (constant weights; biases of one row), so rows in batch order
 * give the same rows; the output projection is one {@link LinearFusion#OP} node on [B, L, E] that
 * also adds the residual z when an Add reads y alone (where the Gemm is not one — alpha or beta
 * not 1, a C of more than one axis — it stays, between Reshapes to [L·B, E] and [B, L, E]). The nine
 * copies the nodes made per block (the Transposes and Slices) are gone. Every intermediate must be
 * read only inside the pattern, except P, which Shape nodes may also read for its last axis (the
 * slices' bounds: torch computes them from it), the same in either order.
 *
 * <p>What only the shapes tell (the slices are P's thirds, the Reshapes split E into H heads of D
 * for these B and L) is checked when the fused node first runs, while the model loads; where it
 * does not hold the node throws {@link Declined} and the model is loaded again without this fusion.
 */
final class SelfAttentionFusion extends Fusion {

    static final String OP = "SelfAttention";

    /** Thrown by the fused node where the shapes are not those the fusion assumed: load without it. */
    static final class Declined extends RuntimeException {
        Declined(String why) {
            super("self-attention fusion declined: " + why);
        }
    }

    SelfAttentionFusion(FusionGraph graph) {
        super(graph);
    }

    @Override
    List<NodeProto> fuse(List<NodeProto> nodes) {
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        Set<NodeProto> removed = new HashSet<>();
        for (NodeProto attention : nodes) {
            if (!attention.getDomain().equals(AttentionFusion.DOMAIN) || !attention.getOpType().equals(AttentionFusion.OP)) continue;
            Match m = match(attention);
            if (m == null || m.touched().stream().anyMatch(n -> removed.contains(n) || replaced.containsKey(n))) continue;
            removed.addAll(m.removed);
            replaced.put(m.inputProjection, m.inputProjection.toBuilder().setInput(0, m.x).build());
            if (linear(m.gemm)) {
                // the output projection as one Linear node on [B, L, E], with the residual Add that reads it alone
                removed.addAll(List.of(m.rows, m.gemm, m.outReshape));
                NodeProto end = m.residualAdd != null ? m.residualAdd : m.last;
                if (m.residualAdd != null) removed.add(m.last);
                NodeProto.Builder out = NodeProto.newBuilder().setOpType(LinearFusion.OP).setDomain(AttentionFusion.DOMAIN)
                        .setName(NodeContext.displayName(m.gemm)).setDocString(ConvFusion.FUSED_FROM + "Reshape+Gemm+Reshape+Transpose"
                                + (m.residualAdd != null ? "+Add" : "")).addInput(m.outTranspose.getOutput(0)).addInput(m.gemm.getInput(1))
                        .addInput(m.gemm.getInputCount() > 2 ? m.gemm.getInput(2) : "").addOutput(end.getOutput(0));
                if (m.residualAdd != null) out.addInput(m.residual);
                if (attribute(m.gemm, "transB", 0) != 0) {
                    out.addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1));
                }
                replaced.put(end, out.build());
            } else {
                String shape = m.last.getOutput(0) + "/batch_first_shape";
                replaced.put(m.outReshape, NodeProto.newBuilder().setOpType("Constant").setName(NodeContext.displayName(m.outReshape))
                        .addOutput(shape).addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                                .setT(TensorProto.newBuilder().setDataType(Value.INT64).addDims(3)
                                        .addInt64Data(m.outShape[1]).addInt64Data(m.outShape[0]).addInt64Data(m.outShape[2])))
                        .build());
                replaced.put(m.last, NodeProto.newBuilder().setOpType("Reshape").setName(NodeContext.displayName(m.last))
                        .addInput(m.outReshape.getInput(0)).addInput(shape).addOutput(m.last.getOutput(0)).build());
            }
            NodeProto.Builder fused = NodeProto.newBuilder().setOpType(OP).setDomain(AttentionFusion.DOMAIN)
                    .setName(NodeContext.displayName(attention)).setDocString(ConvFusion.FUSED_FROM + "Slice+Reshape+Transpose+"
                            + attention.getOpType() + "+Transpose").addInput(m.packed).addAllInput(m.bounds).addOutput(m.outTranspose.getOutput(0))
                    .addAllAttribute(attention.getAttributeList()).addAttribute(ints("head_shapes", m.headShapes))
                    .addAttribute(ints("rows_shape", m.rowsShape)).addAttribute(ints("out_shape", m.outShape));
            replaced.put(attention, fused.build());
        }
        return FusionGraph.rewrite(nodes, replaced, removed);
    }

    /** What one match found. */
    private static final class Match {
        final List<NodeProto> removed = new ArrayList<>();
        final List<String> bounds = new ArrayList<>(); // q's, k's and v's slice starts and ends
        final List<Long> headShapes = new ArrayList<>();
        String x, packed, residual;
        NodeProto inputProjection, outTranspose, rows, gemm, outReshape, last, residualAdd;
        List<Long> rowsShape;
        long[] outShape;

        List<NodeProto> touched() {
            List<NodeProto> all = new ArrayList<>(removed);
            all.addAll(List.of(inputProjection, rows, gemm, outReshape, last));
            if (residualAdd != null) all.add(residualAdd);
            return all;
        }
    }

    private Match match(NodeProto attention) {
        if (attention.getInputCount() != 3 || attention.getOutputCount() != 1) return null;
        Match m = new Match();
        List<NodeProto> slices = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // q, k, v: Slice → Reshape [L, B·H, D] → Transpose(1, 0, 2)
            NodeProto t = graph.internal(attention.getInput(i), "Transpose");
            if (!swapsFirstTwo(t)) return null;
            NodeProto r = graph.internal(t.getInput(0), "Reshape");
            long[] shape = r == null || r.getInputCount() != 2 ? null : positive(r.getInput(1), 3);
            if (shape == null) return null;
            NodeProto s = graph.internal(r.getInput(0), "Slice");
            if (s == null || s.getInputCount() < 4 || !lastAxis(s.getInput(3)) || s.getInputCount() > 4 && !unitStep(s.getInput(4))) return null;
            if (m.packed == null) m.packed = s.getInput(0);
            else if (!m.packed.equals(s.getInput(0))) return null;
            m.bounds.add(s.getInput(1));
            m.bounds.add(s.getInput(2));
            for (long d : shape) m.headShapes.add(d);
            slices.add(s);
            m.removed.addAll(List.of(s, r, t));
        }
        if (!packedReadByOnly(m.packed, slices)) return null;
        // P = [Add(b)] ∘ MatMul(Transpose(x), W)
        NodeProto add = graph.producer(m.packed), matMul = add;
        if (add != null && add.getDomain().isEmpty() && add.getOpType().equals("Add") && add.getInputCount() == 2) {
            int bias = rowBias(add.getInput(0)) ? 0 : rowBias(add.getInput(1)) ? 1 : -1;
            matMul = bias < 0 ? null : graph.internal(add.getInput(1 - bias), "MatMul");
        }
        if (matMul == null || !matMul.getDomain().isEmpty() || !matMul.getOpType().equals("MatMul") || matMul.getInputCount() != 2
                || !matrix(matMul.getInput(1))) {
            return null;
        }
        NodeProto t0 = graph.internal(matMul.getInput(0), "Transpose");
        if (!swapsFirstTwo(t0)) return null;
        m.x = t0.getInput(0);
        m.inputProjection = matMul;
        m.removed.add(t0);
        // attention → Transpose(1, 0, 2) → Reshape [L·B, E] → Gemm → Reshape [L, B, E] → Transpose(1, 0, 2)
        m.outTranspose = next(attention, "Transpose");
        if (!swapsFirstTwo(m.outTranspose)) return null;
        m.rows = next(m.outTranspose, "Reshape");
        long[] rowsShape = m.rows == null || m.rows.getInputCount() != 2 ? null : positive(m.rows.getInput(1), 2);
        if (rowsShape == null) return null;
        m.rowsShape = List.of(rowsShape[0], rowsShape[1]);
        m.gemm = next(m.rows, "Gemm");
        if (!rowWise(m.gemm)) return null;
        m.outReshape = next(m.gemm, "Reshape");
        m.outShape = m.outReshape == null || m.outReshape.getInputCount() != 2 ? null : positive(m.outReshape.getInput(1), 3);
        if (m.outShape == null) return null;
        m.last = next(m.outReshape, "Transpose");
        if (!swapsFirstTwo(m.last)) return null;
        m.removed.add(m.outTranspose);
        NodeProto sum = graph.onlyReader(m.last.getOutput(0)); // a residual Add reading the block's output alone
        if (sum != null && sum.getDomain().isEmpty() && sum.getOpType().equals("Add") && sum.getInputCount() == 2 && sum.getOutputCount() == 1) {
            String y = m.last.getOutput(0), z = sum.getInput(0).equals(y) ? sum.getInput(1) : sum.getInput(0);
            if (!z.equals(y) && !graph.constants.containsKey(z)) {
                m.residualAdd = sum;
                m.residual = z;
            }
        }
        return m;
    }

    /** Whether the Gemm is {@link LinearFusion#OP}'s: alpha and beta 1, its C a vector or none. */
    private boolean linear(NodeProto gemm) {
        if (real(gemm, "alpha") != 1f || real(gemm, "beta") != 1f) return false;
        if (gemm.getInputCount() < 3 || gemm.getInput(2).isEmpty()) return true;
        TensorProto c = graph.constants.get(gemm.getInput(2));
        return c != null && c.getDimsCount() == 1;
    }

    /** The one reader of n's one output when it is an op of type {@code op} reading it as its first input, else null. */
    private NodeProto next(NodeProto n, String op) {
        if (n.getOutputCount() != 1) return null;
        NodeProto r = graph.onlyReader(n.getOutput(0));
        return r != null && r.getDomain().isEmpty() && r.getOpType().equals(op) && r.getOutputCount() == 1 && r.getInputCount() > 0
                && r.getInput(0).equals(n.getOutput(0)) ? r : null;
    }

    /** Whether P is read by the three slices and otherwise only by Shape nodes whose values only Gathers of its last axis read. */
    private boolean packedReadByOnly(String packed, List<NodeProto> slices) {
        if (graph.isGraphOutput(packed)) return false;
        int sliceReads = 0;
        for (NodeProto reader : graph.readers(packed)) {
            if (slices.contains(reader)) {
                sliceReads++;
                continue;
            }
            if (!reader.getDomain().isEmpty() || !reader.getOpType().equals("Shape") || reader.getAttributeCount() > 0
                    || graph.isGraphOutput(reader.getOutput(0))) {
                return false;
            }
            for (NodeProto g : graph.readers(reader.getOutput(0))) {
                if (!g.getOpType().equals("Gather") || !g.getDomain().isEmpty() || g.getInputCount() != 2 || !g.getInput(0).equals(reader.getOutput(0))
                        || g.getAttributeList().stream().anyMatch(a -> !a.getName().equals("axis") || a.getI() != 0) || !lastAxis(g.getInput(1))) {
                    return false;
                }
            }
        }
        return sliceReads == 3;
    }

    /** Gemm(rows, W, [C]) with a constant W and a C (if any) the same for every row: its rows are the input's rows' own. */
    private boolean rowWise(NodeProto gemm) {
        if (gemm == null || gemm.getInputCount() < 2 || !matrix(gemm.getInput(1)) || gemm.getInputCount() > 2 && !rowBias(gemm.getInput(2))) {
            return false;
        }
        for (AttributeProto a : gemm.getAttributeList()) if (a.getName().equals("transA") && a.getI() != 0) return false;
        return true;
    }

    private static boolean swapsFirstTwo(NodeProto t) {
        if (t == null || t.getInputCount() != 1 || t.getAttributeCount() != 1 || !t.getAttribute(0).getName().equals("perm")) return false;
        List<Long> perm = t.getAttribute(0).getIntsList();
        return perm.equals(List.of(1L, 0L, 2L));
    }

    /** A constant int64 vector of {@code rank} positive entries (a Reshape target that neither copies nor infers an axis), else null. */
    private long[] positive(String name, int rank) {
        long[] v = longs(name);
        if (v == null || v.length != rank) return null;
        for (long d : v) if (d <= 0) return null;
        return v;
    }

    private long[] longs(String name) {
        TensorProto t = graph.constants.get(name);
        if (t == null || t.getDataType() != Value.INT64 || t.getDimsCount() > 1) return null;
        try {
            return TensorData.longs(t);
        } catch (RuntimeException e) {
            return null; // a malformed tensor: loading it reports it, naming the file
        }
    }

    /** A constant [-1] or [2] (or that scalar): a rank-3 tensor's last axis. */
    private boolean lastAxis(String name) {
        long[] v = longs(name);
        return v != null && v.length == 1 && (v[0] == -1 || v[0] == 2);
    }

    private boolean unitStep(String name) {
        if (name.isEmpty()) return true;
        long[] v = longs(name);
        return v != null && v.length == 1 && v[0] == 1;
    }

    /** A constant float matrix. */
    private boolean matrix(String name) {
        TensorProto t = graph.constants.get(name);
        return t != null && t.getDataType() == Value.FLOAT && t.getDimsCount() == 2;
    }

    /** A constant float bias every row gets alike: a vector, or a tensor whose dimensions but the last are 1. */
    private boolean rowBias(String name) {
        TensorProto t = graph.constants.get(name);
        if (t == null || t.getDataType() != Value.FLOAT) return false;
        for (int i = 0; i < t.getDimsCount() - 1; i++) if (t.getDims(i) != 1) return false;
        return true;
    }

    private static AttributeProto ints(String name, List<Long> v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS).addAllInts(v).build();
    }

    private static AttributeProto ints(String name, long[] v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }
}
