package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.GraphProto;
import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.OperatorSetIdProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.onnx.proto.Onnx.TensorShapeProto;
import dev.cortado.onnx.proto.Onnx.TypeProto;
import dev.cortado.onnx.proto.Onnx.ValueInfoProto;
import dev.cortado.tensor.Rng;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small ONNX graphs built in Java with the generated proto builders, for refusal and training tests. */
final class Graphs {

    private Graphs() {
    }

    static NodeProto node(String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addAllOutput(outputs);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    static AttributeProto integer(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    /** A float tensor's value info; no dimensions given: no shape declared (an output whose shape the graph decides). */
    static ValueInfoProto floatInfo(String name, long... shape) {
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(Value.FLOAT);
        if (shape.length > 0) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (long d : shape) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            t.setShape(s);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }

    static TensorProto randomFloats(String name, Rng rng, float scale, long... shape) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT);
        long n = 1;
        for (long d : shape) {
            t.addDims(d);
            n *= d;
        }
        for (long i = 0; i < n; i++) t.addFloatData(scale * (2 * rng.nextFloat() - 1));
        return t.build();
    }

    static TensorProto int64s(String name, long... values) {
        return TensorProto.newBuilder().setName(name).setDataType(Value.INT64).addDims(values.length).addAllInt64Data(
                java.util.Arrays.stream(values).boxed().toList()).build();
    }

    static ModelProto model(long opset, List<NodeProto> nodes, List<ValueInfoProto> inputs, List<ValueInfoProto> outputs,
                            List<TensorProto> initializers) {
        GraphProto g = GraphProto.newBuilder().setName("test").addAllNode(nodes).addAllInput(inputs).addAllOutput(outputs)
                .addAllInitializer(initializers).build();
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g).build();
    }

    static Path write(Path dir, String name, ModelProto m) throws IOException {
        Path p = dir.resolve(name + ".onnx");
        Files.write(p, m.toByteArray());
        return p;
    }
}
