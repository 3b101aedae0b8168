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
 * Fuses the scaled dot-product attention torch.onnx.export writes into one node that Cortado's
 * fused attention kernels run ({@link dev.cortado.ops.Attention#scaledDotProductAttention(
 * dev.cortado.tensor.Tensor, dev.cortado.tensor.Tensor, dev.cortado.tensor.Tensor, boolean, float,
 * dev.cortado.tensor.Rng, float)}), so the [..., L, S] scores and weights are never stored:
 * <pre>
 *   MatMul(q', Transpose(k0)) → [Mul|Div by constants]* → [Add causal mask] → Softmax(axis -1) → MatMul(·, v)
 * </pre>
 * where q' is q under any number of Mul or Div by scalar constants (folded into the scale, as are
 * those of the scores and of Transpose(k0)), and the mask a constant [L, S] (leading axes of 1
 * allowed, L and S above 1; read directly or through Identity nodes) holding 0 on and below the
 * diagonal and -inf above it — PyTorch's causal mask; any other mask leaves the nodes as they are.
 * k0's Transpose becomes the one that gives k [..., S, E] (none when that is k0 itself). Every
 * intermediate must be read only inside the pattern. The fused node ({@value #DOMAIN}.{@value #OP}: inputs q, k, v; attributes scale,
 * causal and mask_shape) takes the place of the last MatMul.
 *
 * <p>Where q, k or v hold inf or NaN the results agree with the nodes' except in rows the causal
 * mask shields: the fused kernels never compute masked scores, as PyTorch's masked_fill does not
 * read them, where the graph's Add of -inf to a NaN score gives NaN.
 */
final class AttentionFusion extends Fusion {

    /** Cortado's own domain for the nodes its load-time fusions make that no standard operator expresses. */
    static final String DOMAIN = "dev.cortado";
    static final String OP = "ScaledDotProductAttention";

    AttentionFusion(FusionGraph graph) {
        super(graph);
    }

    /** What one match found: the inputs of the fused node and the nodes it replaces. */
    private static final class Match {
        final List<NodeProto> nodes = new ArrayList<>();
        double scale = 1;
        int[] mask; // [L, S] of a causal mask, or null
        String q;
        NodeProto transpose;
        int[] kPerm;
    }

    @Override
    List<NodeProto> fuse(List<NodeProto> nodes) {
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        Set<NodeProto> removed = new HashSet<>();
        for (NodeProto last : nodes) {
            if (!is(last, "MatMul") || removed.contains(last) || replaced.containsKey(last)) continue;
            Match m = match(last);
            if (m == null || m.nodes.stream().anyMatch(removed::contains) || removed.contains(m.transpose)
                    || replaced.containsKey(m.transpose)) {
                continue; // (a node another match took)
            }
            removed.addAll(m.nodes);
            String k;
            if (isIdentity(m.kPerm)) {
                k = m.transpose.getInput(0);
                removed.add(m.transpose);
            } else {
                k = m.transpose.getOutput(0); // the same value name, now holding k itself (it had no other reader)
                replaced.put(m.transpose, m.transpose.toBuilder().clearAttribute().addAttribute(ints("perm", m.kPerm)).build());
            }
            StringBuilder from = new StringBuilder();
            for (NodeProto n : nodes) {
                if (m.nodes.contains(n) || n == m.transpose || n == last) from.append(from.length() == 0 ? "" : "+").append(n.getOpType());
            }
            NodeProto.Builder fused = NodeProto.newBuilder().setOpType(OP).setDomain(DOMAIN).setName(NodeContext.displayName(last))
                    .setDocString(ConvFusion.FUSED_FROM + from).addInput(m.q).addInput(k).addInput(last.getInput(1))
                    .addOutput(last.getOutput(0))
                    .addAttribute(AttributeProto.newBuilder().setName("scale").setType(AttributeProto.AttributeType.FLOAT)
                            .setF((float) m.scale))
                    .addAttribute(AttributeProto.newBuilder().setName("causal").setType(AttributeProto.AttributeType.INT)
                            .setI(m.mask != null ? 1 : 0));
            if (m.mask != null) fused.addAttribute(ints("mask_shape", m.mask));
            replaced.put(last, fused.build());
        }
        return FusionGraph.rewrite(nodes, replaced, removed);
    }

    /** The pattern ending at {@code last} = MatMul(weights, v), or null. */
    private Match match(NodeProto last) {
        Match m = new Match();
        if (last.getInputCount() != 2) return null; // (a malformed node: OpTable refuses it by name)
        NodeProto softmax = graph.internal(last.getInput(0), "Softmax");
        if (softmax == null || softmax.getInputCount() != 1 || !lastAxis(softmax)) return null;
        m.nodes.add(softmax);
        String s = softmax.getInput(0);
        NodeProto add = graph.internal(s, "Add");
        if (add != null && add.getInputCount() == 2) {
            for (int side = 0; side < 2 && m.mask == null; side++) {
                m.mask = causalMask(add.getInput(1 - side));
                if (m.mask != null) s = add.getInput(side);
            }
            if (m.mask != null) m.nodes.add(add);
        }
        s = scaled(s, m);
        NodeProto scores = graph.internal(s, "MatMul");
        if (scores == null || scores.getInputCount() != 2) return null;
        m.nodes.add(scores);
        m.q = scaled(scores.getInput(0), m);
        NodeProto t = graph.internal(scaled(scores.getInput(1), m), "Transpose");
        if (t == null || t.getInputCount() != 1 || t.getAttributeCount() != 1 || !t.getAttribute(0).getName().equals("perm")) return null;
        int[] perm = t.getAttribute(0).getIntsList().stream().mapToInt(Long::intValue).toArray();
        if (perm.length < 2) return null;
        m.transpose = t;
        m.kPerm = perm.clone(); // kᵀ = k0 under perm, so k = k0 under perm with its last two entries swapped
        m.kPerm[perm.length - 1] = perm[perm.length - 2];
        m.kPerm[perm.length - 2] = perm[perm.length - 1];
        return m;
    }

    /** Follows Mul and Div by scalar constants back from {@code value}, folding them into the scale. */
    private String scaled(String value, Match m) {
        while (true) {
            NodeProto n = graph.internal(value, null);
            if (n == null || n.getInputCount() != 2 || m.nodes.contains(n)) return value; // (a cycle: a malformed graph)
            Float c0 = graph.scalars.get(n.getInput(0)), c1 = graph.scalars.get(n.getInput(1));
            if (is(n, "Mul") && (c0 != null || c1 != null)) {
                m.scale *= c1 != null ? c1 : c0;
                value = c1 != null ? n.getInput(0) : n.getInput(1);
            } else if (is(n, "Div") && c1 != null && c1 != 0) {
                m.scale /= c1;
                value = n.getInput(0);
            } else {
                return value;
            }
            m.nodes.add(n);
        }
    }

    /** [L, S] when {@code value} is a constant causal mask (0 for j <= i, -inf above; L, S > 1), else null. */
    private int[] causalMask(String value) {
        NodeProto n = graph.producer(value);
        for (int hops = 0; n != null && is(n, "Identity") && n.getInputCount() == 1 && hops < 64; hops++, n = graph.producer(value)) {
            value = n.getInput(0); // torch.onnx.export names a shared initializer anew through Identity nodes
        }
        TensorProto t = graph.constants.get(value);
        if (t == null || t.getDataType() != Value.FLOAT || t.getDimsCount() < 2) return null;
        float[] v;
        int[] dims;
        try {
            dims = TensorData.shape(t);
            v = TensorData.values(t);
        } catch (RuntimeException e) {
            return null; // a malformed tensor: loading it reports it, naming the file
        }
        for (int i = 0; i < dims.length - 2; i++) if (dims[i] != 1) return null;
        int l = dims[dims.length - 2], s = dims[dims.length - 1];
        if (l < 2 || s < 2 || v.length != (long) l * s) return null;
        for (int i = 0; i < l; i++) {
            for (int j = 0; j < s; j++) {
                float want = j <= i ? 0f : Float.NEGATIVE_INFINITY;
                if (Float.compare(v[i * s + j], want) != 0 && !(want == 0f && v[i * s + j] == 0f)) return null;
            }
        }
        return new int[] {l, s};
    }

    private static boolean lastAxis(NodeProto softmax) {
        for (AttributeProto a : softmax.getAttributeList()) {
            if (!a.getName().equals("axis") || a.getI() != -1) return false;
        }
        return true;
    }

    private static boolean is(NodeProto n, String op) {
        return n.getDomain().isEmpty() && n.getOpType().equals(op);
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    private static AttributeProto ints(String name, int[] v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (int x : v) a.addInts(x);
        return a.build();
    }
}
