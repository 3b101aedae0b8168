package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A load-time rewrite of a graph's nodes (GeluFusion, ConvFusion, AttentionFusion,
 * SelfAttentionFusion, LinearFusion), reading the graph they make ({@link FusionGraph}).
 */
abstract class Fusion {

    final FusionGraph graph;

    Fusion(FusionGraph graph) {
        this.graph = graph;
    }

    /** The nodes rewritten, in order. */
    abstract List<NodeProto> fuse(List<NodeProto> nodes);

    /** A node's integer attribute, or {@code fallback}. */
    static long attribute(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) if (a.getName().equals(name)) return a.getI();
        return fallback;
    }

    /** A node's float attribute, or 1 (Gemm's alpha and beta). */
    static float real(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) if (a.getName().equals(name)) return a.getF();
        return 1f;
    }

    /** The nodes after each fusion in turn, each reading the graph the one before it left. */
    static List<NodeProto> applyAll(List<NodeProto> nodes, Map<String, TensorProto> initializers, Set<String> graphOutputs,
                                    List<Function<FusionGraph, Fusion>> fusions) {
        for (Function<FusionGraph, Fusion> f : fusions) nodes = f.apply(new FusionGraph(nodes, initializers, graphOutputs)).fuse(nodes);
        return nodes;
    }
}
