package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.NodeProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuses a Conv with the Add and the Relu or Clip (constant bounds) that read its output alone
 * into one {@code com.microsoft} FusedConv node, as ONNX Runtime does (the same contrib op:
 * {@code Y = activation(Conv(X, W, B) + Z)}, inputs X, W, B, Z, attributes {@code activation}
 * and {@code activation_params}), which runs as one convolution whose tail adds Z and clamps
 * ({@link dev.cortado.ops.Convolution#conv2dFused}). The fused node takes the place of the last
 * node it replaces, where Z is known to be computed. Anything else stays as it was.
 */
final class ConvFusion extends Fusion {

    static final String DOMAIN = "com.microsoft";
    /** The fused node's doc string: this, then the op types it replaced ("Conv+Add+Relu"), which messages name. */
    static final String FUSED_FROM = "fused at load from ";

    ConvFusion(FusionGraph graph) {
        super(graph);
    }

    @Override
    List<NodeProto> fuse(List<NodeProto> nodes) {
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        for (NodeProto conv : nodes) {
            if (!conv.getOpType().equals("Conv") || !conv.getDomain().isEmpty() || removed.contains(conv)) continue;
            List<NodeProto> after = new ArrayList<>(); // the nodes fused into conv, in order: Add, activation, or both
            NodeProto next = graph.onlyReader(conv.getOutput(0));
            String z = null;
            if (next != null && next.getOpType().equals("Add") && next.getInputCount() == 2 && !next.getInput(0).equals(next.getInput(1))) {
                z = next.getInput(0).equals(conv.getOutput(0)) ? next.getInput(1) : next.getInput(0);
                after.add(next);
                next = graph.onlyReader(next.getOutput(0));
            }
            float[] bounds = graph.activation(next);
            if (bounds != null) after.add(next);
            // (of two Convs meeting in one Add, the first takes it)
            if (after.isEmpty() || after.stream().anyMatch(n -> removed.contains(n) || replaced.containsKey(n))) continue;
            NodeProto last = after.get(after.size() - 1);
            StringBuilder from = new StringBuilder("Conv");
            for (NodeProto n : after) from.append('+').append(n.getOpType());
            NodeProto.Builder fused = conv.toBuilder().setOpType("FusedConv").setDomain(DOMAIN).setDocString(FUSED_FROM + from)
                    .clearOutput().addOutput(last.getOutput(0));
            if (z != null) {
                while (fused.getInputCount() < 3) fused.addInput(""); // (no B)
                fused.addInput(z);
            }
            FusionGraph.addActivation(fused, bounds);
            removed.add(conv);
            removed.addAll(after.subList(0, after.size() - 1));
            replaced.put(last, fused.build());
        }
        return FusionGraph.rewrite(nodes, replaced, removed);
    }
}
