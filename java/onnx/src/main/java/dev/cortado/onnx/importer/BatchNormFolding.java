package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.AttributeProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds each inference-mode BatchNormalization that follows a Conv (whose output nothing else
 * reads) into that Conv at load: W'[f] = W[f]·s[f] and b'[f] = (b[f] - mean[f])·s[f] + beta[f]
 * with s = gamma / sqrt(var + eps), computed in double. The Conv then writes the BatchNormalization's
 * output; its folded weights are the trainable parameters.
 */
final class BatchNormFolding {

    private BatchNormFolding() {
    }

    /** The nodes with the folds applied; {@code initializers} gets the folded weights and biases. */
    static List<NodeProto> fold(List<NodeProto> nodes, Map<String, TensorProto> initializers, Set<String> graphOutputs) {
        FusionGraph graph = new FusionGraph(nodes, Map.of(), graphOutputs);
        Set<NodeProto> dropped = new HashSet<>();
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        for (NodeProto bn : nodes) {
            if (!bn.getOpType().equals("BatchNormalization") || bn.getInputCount() != 5 || !bn.getDomain().isEmpty()) continue;
            if (bn.getOutputCount() > 1 && bn.getOutputList().subList(1, bn.getOutputCount()).stream().anyMatch(s -> !s.isEmpty())) continue;
            NodeProto conv = graph.internal(bn.getInput(0), "Conv");
            if (conv == null || replaced.containsKey(conv)) continue;
            float eps = 1e-5f;
            boolean training = false;
            for (AttributeProto a : bn.getAttributeList()) {
                if (a.getName().equals("epsilon")) eps = a.getF();
                if (a.getName().equals("training_mode")) training = a.getI() != 0;
            }
            if (training) continue;
            TensorProto w = initializers.get(conv.getInput(1));
            TensorProto b = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty() ? initializers.get(conv.getInput(2)) : null;
            if (w == null || conv.getInputCount() > 2 && !conv.getInput(2).isEmpty() && b == null) continue;
            TensorProto[] p = new TensorProto[4];
            boolean all = true;
            for (int i = 0; i < 4; i++) {
                p[i] = initializers.get(bn.getInput(i + 1));
                all &= p[i] != null;
            }
            if (!all || !graph.readOnce(conv.getInput(1)) || b != null && !graph.readOnce(conv.getInput(2))) continue;
            float[] wv = TensorData.values(w), gamma = TensorData.values(p[0]), beta = TensorData.values(p[1]);
            float[] mean = TensorData.values(p[2]), var = TensorData.values(p[3]);
            int filters = (int) w.getDims(0), per = wv.length / filters;
            if (gamma.length != filters || beta.length != filters || mean.length != filters || var.length != filters) continue;
            float[] bv = b == null ? new float[filters] : TensorData.values(b);
            float[] w2 = new float[wv.length], b2 = new float[filters];
            for (int f = 0; f < filters; f++) {
                double s = gamma[f] / Math.sqrt((double) var[f] + eps);
                for (int i = 0; i < per; i++) w2[f * per + i] = (float) (wv[f * per + i] * s);
                b2[f] = (float) ((bv[f] - (double) mean[f]) * s + beta[f]);
            }
            String wName = conv.getInput(1), bName = b != null ? conv.getInput(2) : bn.getInput(2) + "_folded_conv_bias";
            initializers.put(wName, floats(wName, w2, TensorData.shape(w)));
            initializers.put(bName, floats(bName, b2, new int[] {filters}));
            NodeProto.Builder nb = conv.toBuilder().setOutput(0, bn.getOutput(0));
            if (conv.getInputCount() > 2) nb.setInput(2, bName);
            else nb.addInput(bName);
            replaced.put(conv, nb.build());
            dropped.add(bn);
        }
        return FusionGraph.rewrite(nodes, replaced, dropped);
    }

    private static TensorProto floats(String name, float[] v, int[] shape) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(Value.FLOAT);
        for (int d : shape) t.addDims(d);
        for (float f : v) t.addFloatData(f);
        return t.build();
    }
}
