package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the load-time rewrites (BatchNormFolding and each {@link Fusion}) read of a
 * graph — each value's producer and readers, the graph's outputs, its constants — and the rewrite
 * they end with.
 */
final class FusionGraph {

    private final Map<String, NodeProto> producer = new HashMap<>();
    private final Map<String, List<NodeProto>> readers = new HashMap<>();
    private final Set<String> graphOutputs;
    /**
     * Scalar float constants by name: one-element initializers and Constant nodes' outputs of rank
     * 0 or 1 (a one-element constant of higher rank can raise a product's rank by broadcasting).
     */
    final Map<String, Float> scalars = new HashMap<>();
    /** Constant tensors by name: initializers, Constant nodes' values and Identity nodes' copies of them. */
    final Map<String, TensorProto> constants = new HashMap<>();

    FusionGraph(List<NodeProto> nodes, Map<String, TensorProto> initializers, Set<String> graphOutputs) {
        this.graphOutputs = graphOutputs;
        for (NodeProto n : nodes) {
            for (String o : n.getOutputList()) producer.put(o, n);
            for (String i : n.getInputList()) readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            if (n.getOpType().equals("Constant") && n.getAttributeCount() == 1 && n.getAttribute(0).getName().equals("value")) {
                constants.put(n.getOutput(0), n.getAttribute(0).getT());
            }
        }
        constants.putAll(initializers);
        for (NodeProto n : nodes) { // (torch.onnx.export shares a repeated weight through Identity nodes)
            if (n.getOpType().equals("Identity") && n.getDomain().isEmpty() && n.getInputCount() == 1 && constants.containsKey(n.getInput(0))) {
                constants.put(n.getOutput(0), constants.get(n.getInput(0)));
            }
        }
        for (Map.Entry<String, TensorProto> c : constants.entrySet()) {
            if (c.getValue().getDimsCount() > 1) continue;
            Float v;
            try {
                v = TensorData.scalar(c.getValue());
            } catch (RuntimeException e) {
                continue; // a malformed tensor is no scalar here; loading it reports it, naming the file
            }
            if (v != null) scalars.put(c.getKey(), v);
        }
    }

    NodeProto producer(String value) {
        return producer.get(value);
    }

    /** The nodes reading {@code value} (each once per input it reads it at). */
    List<NodeProto> readers(String value) {
        return readers.getOrDefault(value, List.of());
    }

    boolean isGraphOutput(String value) {
        return graphOutputs.contains(value);
    }

    /** The one node reading {@code value} (read once, and not a graph output), else null. */
    NodeProto onlyReader(String value) {
        List<NodeProto> r = readers.get(value);
        return r == null || r.size() != 1 || graphOutputs.contains(value) ? null : r.get(0);
    }

    /** Whether {@code value} is read exactly once and is not a graph output: a pattern may absorb it. */
    boolean readOnce(String value) {
        return onlyReader(value) != null;
    }

    /**
     * The producer of {@code value} when it is an op of type {@code op} (any if null) of the default
     * domain with one output, read once and not a graph output; else null.
     */
    NodeProto internal(String value, String op) {
        NodeProto n = producer.get(value);
        if (n == null || !n.getDomain().isEmpty() || op != null && !n.getOpType().equals(op) || n.getOutputCount() != 1) return null;
        return readOnce(value) ? n : null;
    }

    /** Relu: {} ; Clip with constant (or absent) bounds: {min, max}; anything else (or no node): null. */
    float[] activation(NodeProto n) {
        if (n == null || !n.getDomain().isEmpty() || n.getOutputCount() != 1) return null;
        if (n.getOpType().equals("Relu")) return new float[0];
        if (!n.getOpType().equals("Clip") || n.getAttributeCount() > 0) return null;
        float[] b = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i < n.getInputCount(); i++) {
            String name = n.getInput(i);
            if (name.isEmpty()) continue;
            Float v = scalars.get(name);
            if (v == null) return null;
            b[i - 1] = v;
        }
        return b[0] <= b[1] ? b : null;
    }

    /** The attributes of {@link #activation}'s bounds on a fused node, as ONNX Runtime's FusedConv has them (none when null). */
    static void addActivation(NodeProto.Builder fused, float[] bounds) {
        if (bounds == null) return;
        fused.addAttribute(string("activation", bounds.length == 0 ? "Relu" : "Clip"));
        if (bounds.length > 0) {
            fused.addAttribute(AttributeProto.newBuilder().setName("activation_params").setType(AttributeProto.AttributeType.FLOATS)
                    .addFloats(bounds[0]).addFloats(bounds[1]));
        }
    }

    /** A string attribute of a fused node. */
    static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    /** The nodes in order, each in {@code replaced} swapped for its replacement, those in {@code removed} left out. */
    static List<NodeProto> rewrite(List<NodeProto> nodes, Map<NodeProto, NodeProto> replaced, Set<NodeProto> removed) {
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : nodes) {
            if (replaced.containsKey(n)) out.add(replaced.get(n));
            else if (!removed.contains(n)) out.add(n);
        }
        return out;
    }
}
