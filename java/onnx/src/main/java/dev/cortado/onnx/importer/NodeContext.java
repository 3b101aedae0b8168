package dev.cortado.onnx.importer;

import dev.cortado.memory.Device;
import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node as its {@link OpTable} entry sees it while making its {@link Op}: typed attribute reads
 * (each read marks the attribute understood; an attribute no entry read is refused afterwards, so
 * no attribute is silently ignored) and {@link #refuse} for an attribute value Cortado does not run.
 */
final class NodeContext {

    final NodeProto node;
    final long opset;
    /** Where the model's tensors live (constants are made there). */
    final Device device;
    private final Map<String, AttributeProto> attributes = new LinkedHashMap<>();
    private final Set<String> read = new HashSet<>();
    private final List<AutoCloseable> resources;

    /** resources: where {@link #own} puts what the node's op holds, closed with the model. */
    NodeContext(NodeProto node, long opset, Device device, List<AutoCloseable> resources) {
        this.node = node;
        this.opset = opset;
        this.device = device;
        this.resources = resources;
        for (AttributeProto a : node.getAttributeList()) attributes.put(a.getName(), a);
    }

    /** Something the node's op keeps from call to call (prepared filters), closed with the model; returns it. */
    <T extends AutoCloseable> T own(T resource) {
        resources.add(resource);
        return resource;
    }

    String name() {
        return displayName(node);
    }

    static String displayName(NodeProto node) {
        if (!node.getName().isEmpty()) return node.getName();
        return node.getOutputCount() > 0 ? node.getOutput(0) : "?";
    }

    /**
     * The operator as the model holds it, for messages: a node fused at load names the nodes it
     * replaced ("Conv+Add+Relu"), not its internal op type.
     */
    static String displayOp(NodeProto node) {
        String doc = node.getDocString();
        return doc.startsWith(ConvFusion.FUSED_FROM) ? doc.substring(ConvFusion.FUSED_FROM.length()) : node.getOpType();
    }

    OnnxImportException refuse(String problem) {
        return new OnnxImportException(displayOp(node), name(), opset, problem);
    }

    int outputs() {
        return node.getOutputCount();
    }

    /** Refuses outputs past the first {@code n} that the model uses (optional outputs such as MaxPool's indices). */
    void atMostOutputs(int n) {
        for (int i = n; i < node.getOutputCount(); i++) {
            if (!node.getOutput(i).isEmpty()) throw refuse("its output " + i + " ('" + node.getOutput(i) + "') is not supported");
        }
    }

    boolean has(String name) {
        return attributes.containsKey(name);
    }

    private AttributeProto get(String name, AttributeProto.AttributeType type) {
        AttributeProto a = attributes.get(name);
        read.add(name);
        if (a == null) return null;
        if (a.getType() != type && a.getType() != AttributeProto.AttributeType.UNDEFINED) {
            throw refuse("attribute " + name + " has type " + a.getType() + ", expected " + type);
        }
        return a;
    }

    long integer(String name, long fallback) {
        AttributeProto a = get(name, AttributeProto.AttributeType.INT);
        return a == null ? fallback : a.getI();
    }

    float real(String name, float fallback) {
        AttributeProto a = get(name, AttributeProto.AttributeType.FLOAT);
        return a == null ? fallback : a.getF();
    }

    String string(String name, String fallback) {
        AttributeProto a = get(name, AttributeProto.AttributeType.STRING);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    /** An INTS attribute, or null when absent. */
    int[] ints(String name) {
        AttributeProto a = get(name, AttributeProto.AttributeType.INTS);
        if (a == null) return null;
        List<Long> l = a.getIntsList();
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(l.get(i));
        return out;
    }

    float[] floats(String name) {
        AttributeProto a = get(name, AttributeProto.AttributeType.FLOATS);
        if (a == null) return null;
        float[] out = new float[a.getFloatsCount()];
        for (int i = 0; i < out.length; i++) out[i] = a.getFloats(i);
        return out;
    }

    TensorProto tensor(String name) {
        AttributeProto a = get(name, AttributeProto.AttributeType.TENSOR);
        return a == null ? null : a.getT();
    }

    /**
     * A fused node's activation (attributes {@code activation} and {@code activation_params}, as
     * ONNX Runtime's FusedConv and FusedGemm) as the clamp {lo, hi}: Relu [0, inf), Clip [params],
     * none (-inf, inf) ({@link FusionGraph#activation} writes them).
     */
    float[] activationBounds() {
        String activation = string("activation", "");
        float[] params = floats("activation_params");
        if (activation.equals("Relu")) return new float[] {0f, Float.POSITIVE_INFINITY};
        if (activation.equals("Clip")) {
            require(params != null && params.length == 2 && params[0] <= params[1], "activation_params", Arrays.toString(params));
            return params;
        }
        require(activation.isEmpty(), "activation", activation);
        return new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
    }

    /** Refuses an attribute that the node's table entry did not read. */
    void checkAllRead() {
        for (String name : attributes.keySet()) {
            if (!read.contains(name)) throw refuse("attribute '" + name + "' is not supported");
        }
    }

    /** Refuses {@code value} of attribute {@code name} unless {@code ok}. */
    void require(boolean ok, String name, Object value) {
        if (!ok) throw refuse("attribute " + name + " = " + value + " is not supported");
    }
}
