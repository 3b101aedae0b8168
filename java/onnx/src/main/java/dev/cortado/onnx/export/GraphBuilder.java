package dev.cortado.onnx.export;

import com.google.protobuf.ByteString;
import dev.cortado.onnx.proto.Onnx;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ONNX graph under construction: nodes in order, initializers (float32 weights by their
 * state_dict names, int64 and float constants by made-up unique names), and unique value names.
 */
final class GraphBuilder {

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private int counter;

    /** A name no value, initializer or node of this graph has yet, made from {@code hint}. */
    String fresh(String hint) {
        String base = hint.isEmpty() ? "v" : hint;
        String name = base;
        while (!names.add(name)) name = base + "_" + (++counter);
        return name;
    }

    /** Claims an exact name (a graph input or output, an initializer's state_dict name); it must be new. */
    String claim(String name) {
        if (!names.add(name)) throw new IllegalStateException("OnnxExport: the name '" + name + "' is used twice in the graph");
        return name;
    }

    /** A node with one output; returns the output's name. {@code scope} names the layer (the node is named after it). */
    String node(String scope, String opType, List<String> inputs, Onnx.AttributeProto... attributes) {
        return nodeOutputs(scope, opType, inputs, 1, attributes)[0];
    }

    /** A node with {@code outputs} outputs; returns their names. */
    String[] nodeOutputs(String scope, String opType, List<String> inputs, int outputs, Onnx.AttributeProto... attributes) {
        String prefix = scope.isEmpty() ? opType : scope + "/" + opType;
        String[] out = new String[outputs];
        for (int i = 0; i < outputs; i++) out[i] = fresh(prefix + "_out" + (outputs == 1 ? "" : Integer.toString(i)));
        graph.addNode(Onnx.NodeProto.newBuilder().setName(fresh(prefix)).setOpType(opType).addAllInput(inputs)
                .addAllOutput(Arrays.asList(out)).addAllAttribute(Arrays.asList(attributes)));
        return out;
    }

    /** A node writing to a given output name (the graph's output). */
    void nodeInto(String scope, String opType, List<String> inputs, String output) {
        String prefix = scope.isEmpty() ? opType : scope + "/" + opType;
        graph.addNode(Onnx.NodeProto.newBuilder().setName(fresh(prefix)).setOpType(opType).addAllInput(inputs).addOutput(output));
    }

    /** A float32 initializer holding {@code t}'s values, named exactly {@code name} (a state_dict name). */
    String weight(String name, Tensor t) {
        int[] shape = t.shape();
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = shape[i];
        return floats(claim(name), t.toArray(), dims);
    }

    /** A float32 constant under a fresh name made from {@code hint}. */
    String floatConstant(String hint, float[] values, long... dims) {
        return floats(fresh(hint), values, dims);
    }

    /** An int64 constant under a fresh name made from {@code hint} (shapes, axes, indices). */
    String longConstant(String hint, long[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        b.flip();
        String name = fresh(hint);
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.INT64, dims, b));
        return name;
    }

    private String floats(String name, float[] values, long[] dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.FLOAT, dims, b));
        return name;
    }

    private static Onnx.TensorProto tensor(String name, Onnx.TensorProto.DataType type, long[] dims, ByteBuffer data) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(ByteString.copyFrom(data));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    /** A float32 graph input or output [batch, shape...] with a symbolic batch axis. */
    static Onnx.ValueInfoProto tensorInfo(String name, String batch, int[] shape) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        for (int d : shape) s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        Onnx.TypeProto.Tensor.Builder t = Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(s);
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(t)).build();
    }

    Onnx.GraphProto.Builder graph() {
        return graph;
    }

    static Onnx.AttributeProto intAttr(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    static Onnx.AttributeProto intsAttr(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) a.addInts(v);
        return a.build();
    }

    static Onnx.AttributeProto floatAttr(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }
}
