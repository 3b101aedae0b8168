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
 * Fuses a MatMul by a constant W [k, n] with the Add of a constant bias [n] that reads its output
 * alone, then an Add of another, non-constant value Z that reads the sum alone (a residual), then a
 * Relu, a Clip (constant bounds) or a Gelu that reads the result alone — each after the bias
 * optional — and a Gemm (transA 0, alpha and beta 1, a constant W and a bias [n] or none) with such
 * a residual and activation, into one {@value AttentionFusion#DOMAIN}.{@value #OP} node:
 * {@code Y = activation(X · op(W) + B + Z)}, inputs X, W, B (or empty), Z (when there is one),
 * attributes {@code transB} and {@code activation}, {@code activation_params} (as ConvFusion's) or,
 * for Gelu, {@code approximate}. It runs as one GEMM whose tail adds B and Z and applies the
 * activation ({@link dev.cortado.ops.Linalg#linearFused}), as ONNX Runtime fuses MatMul + Add into
 * Gemm, Gemm + activation into FusedGemm and bias + GELU into BiasGelu. Anything else stays as it was.
 */
final class LinearFusion extends Fusion {

    static final String OP = "Linear";

    LinearFusion(FusionGraph graph) {
        super(graph);
    }

    @Override
    List<NodeProto> fuse(List<NodeProto> nodes) {
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        for (NodeProto product : nodes) {
            if (!product.getDomain().isEmpty() || product.getOutputCount() != 1) continue;
            boolean gemm = product.getOpType().equals("Gemm");
            if (!gemm && !product.getOpType().equals("MatMul")) continue;
            boolean transB = gemm && attribute(product, "transB", 0) != 0;
            long n = outputs(product.getInputCount() > 1 ? product.getInput(1) : "", transB);
            if (n < 0) continue;
            List<NodeProto> after = new ArrayList<>(); // the nodes fused into the product, in order
            String bias = null;
            NodeProto next = graph.onlyReader(product.getOutput(0));
            if (gemm) {
                if (attribute(product, "transA", 0) != 0 || real(product, "alpha") != 1f || real(product, "beta") != 1f) continue;
                if (product.getInputCount() > 2 && !product.getInput(2).isEmpty()) {
                    bias = product.getInput(2);
                    if (!isVector(bias, n)) continue;
                }
            } else if (next != null && next.getDomain().isEmpty() && next.getOpType().equals("Add") && next.getInputCount() == 2) {
                String other = next.getInput(0).equals(product.getOutput(0)) ? next.getInput(1) : next.getInput(0);
                if (!isVector(other, n) || other.equals(product.getOutput(0))) continue;
                bias = other;
                after.add(next);
                next = graph.onlyReader(next.getOutput(0));
            } else {
                continue; // a MatMul alone is already one GEMM
            }
            String residual = null;
            String sum = (after.isEmpty() ? product : after.get(after.size() - 1)).getOutput(0);
            if (next != null && next.getDomain().isEmpty() && next.getOpType().equals("Add") && next.getInputCount() == 2) {
                String other = next.getInput(0).equals(sum) ? next.getInput(1) : next.getInput(0);
                if (!other.equals(sum) && !graph.constants.containsKey(other)) {
                    residual = other;
                    after.add(next);
                    next = graph.onlyReader(next.getOutput(0));
                }
            }
            float[] bounds = graph.activation(next);
            String gelu = bounds == null ? gelu(next) : null;
            if (bounds != null || gelu != null) after.add(next);
            if (after.isEmpty() || after.stream().anyMatch(x -> removed.contains(x) || replaced.containsKey(x))) continue;
            NodeProto last = after.get(after.size() - 1);
            StringBuilder from = new StringBuilder(product.getOpType());
            for (NodeProto x : after) from.append('+').append(x.getOpType());
            NodeProto.Builder fused = NodeProto.newBuilder().setOpType(OP).setDomain(AttentionFusion.DOMAIN).setName(NodeContext.displayName(product))
                    .setDocString(ConvFusion.FUSED_FROM + from).addInput(product.getInput(0)).addInput(product.getInput(1))
                    .addOutput(last.getOutput(0));
            if (bias != null || residual != null) fused.addInput(bias == null ? "" : bias);
            if (residual != null) fused.addInput(residual);
            if (transB) fused.addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1));
            FusionGraph.addActivation(fused, bounds);
            if (gelu != null) fused.addAttribute(FusionGraph.string("activation", "Gelu")).addAttribute(FusionGraph.string("approximate", gelu));
            removed.add(product);
            removed.addAll(after.subList(0, after.size() - 1));
            replaced.put(last, fused.build());
        }
        return FusionGraph.rewrite(nodes, replaced, removed);
    }

    /** A Gelu node's approximate ("none" or "tanh"; GeluFusion's nodes and opset 20's), else null. */
    private static String gelu(NodeProto n) {
        if (n == null || !n.getDomain().isEmpty() || !n.getOpType().equals("Gelu") || n.getOutputCount() != 1) return null;
        String approximate = "none";
        for (AttributeProto a : n.getAttributeList()) {
            if (!a.getName().equals("approximate")) return null;
            approximate = a.getS().toStringUtf8();
        }
        return approximate.equals("none") || approximate.equals("tanh") ? approximate : null;
    }

    /** Columns of op(W) for a constant W of rank 2, else -1. */
    private long outputs(String w, boolean transB) {
        TensorProto t = graph.constants.get(w);
        return t == null || t.getDimsCount() != 2 ? -1 : t.getDims(transB ? 0 : 1);
    }

    /** Whether {@code name} is a constant of shape [n]. */
    private boolean isVector(String name, long n) {
        TensorProto t = graph.constants.get(name);
        return t != null && t.getDimsCount() == 1 && t.getDims(0) == n;
    }
}
