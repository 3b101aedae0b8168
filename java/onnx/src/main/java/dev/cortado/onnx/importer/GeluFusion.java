package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.NodeProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces the subgraphs torch.onnx.export writes for GELU before opset 20 with one Gelu node
 * (ONNX's Gelu of opset 20, run by Cortado's GELU kernel):
 * <ul>
 *   <li>exact: {@code 0.5 · (x · (1 + Erf(x / √2)))} — Div, Erf, Add, Mul, Mul;</li>
 *   <li>tanh: {@code 0.5 · (x · (1 + Tanh(√(2/π) · (x + 0.044715 · x·x·x))))} — Mul, Mul, Mul, Add, Mul, Tanh, Add, Mul, Mul.</li>
 * </ul>
 * Mul and Add match with their operands either way round; every intermediate must be read only
 * inside the pattern. Anything else stays as it was (Erf and Tanh run on their own).
 */
final class GeluFusion extends Fusion {

    GeluFusion(FusionGraph graph) {
        super(graph);
    }

    @Override
    List<NodeProto> fuse(List<NodeProto> nodes) {
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replaced = new HashMap<>();
        for (NodeProto last : nodes) {
            if (removed.contains(last)) continue;
            List<NodeProto> matched = new ArrayList<>();
            String[] x = new String[1];
            String approximate = match(last, matched, x);
            if (approximate == null || matched.stream().anyMatch(removed::contains)) continue;
            NodeProto gelu = NodeProto.newBuilder().setOpType("Gelu").setName(NodeContext.displayName(last)).addInput(x[0])
                    .addOutput(last.getOutput(0)).addAttribute(FusionGraph.string("approximate", approximate)).build();
            replaced.put(last, gelu);
            removed.addAll(matched);
        }
        return FusionGraph.rewrite(nodes, replaced, removed);
    }

    /** "none" or "tanh" when {@code last} ends a GELU pattern (its other nodes into {@code matched}, its input into x[0]), else null. */
    private String match(NodeProto last, List<NodeProto> matched, String[] x) {
        String inner = byConstant(last, "Mul", 0.5f, matched);           // 0.5 · (x · (1 + f))
        NodeProto times = inner == null ? null : internal(inner, "Mul", matched);
        if (times == null || times.getInputCount() != 2) return null;
        for (int side = 0; side < 2; side++) {
            String xs = times.getInput(side), onePlus = times.getInput(1 - side);
            List<NodeProto> m = new ArrayList<>(matched); // holds times
            NodeProto add = internal(onePlus, "Add", m);
            if (add == null) continue;
            String f = byConstant(add, "Add", 1f, m);
            if (f == null) continue;
            NodeProto fn = internal(f, null, m);
            if (fn == null) continue;
            if (fn.getOpType().equals("Erf")) {
                String div = byConstantDivisor(internal(fn.getInput(0), "Div", m), (float) Math.sqrt(2), m);
                if (xs.equals(div)) return done(matched, m, x, xs, "none");
            } else if (fn.getOpType().equals("Tanh")) {
                String inner2 = byConstant(internal(fn.getInput(0), "Mul", m), "Mul", (float) Math.sqrt(2 / Math.PI), m);
                NodeProto sum = inner2 == null ? null : internal(inner2, "Add", m);
                if (sum == null || sum.getInputCount() != 2) continue;
                for (int s = 0; s < 2; s++) {
                    if (!sum.getInput(s).equals(xs)) continue;
                    List<NodeProto> m2 = new ArrayList<>(m);
                    String cube = byConstant(internal(sum.getInput(1 - s), "Mul", m2), "Mul", 0.044715f, m2);
                    if (cube != null && isCube(cube, xs, m2)) return done(matched, m2, x, xs, "tanh");
                }
            }
        }
        return null;
    }

    private static String done(List<NodeProto> matched, List<NodeProto> m, String[] x, String xs, String approximate) {
        matched.clear();
        matched.addAll(m);
        x[0] = xs;
        return approximate;
    }

    /** x·x·x as Mul(x, Mul(x, x)) either way round, or Pow(x, 3). */
    private boolean isCube(String name, String x, List<NodeProto> m) {
        NodeProto n = internal(name, null, m);
        if (n == null || n.getInputCount() != 2) return false;
        if (n.getOpType().equals("Pow")) return n.getInput(0).equals(x) && near(graph.scalars.get(n.getInput(1)), 3f);
        if (!n.getOpType().equals("Mul")) return false;
        for (int s = 0; s < 2; s++) {
            if (!n.getInput(s).equals(x)) continue;
            NodeProto sq = internal(n.getInput(1 - s), "Mul", new ArrayList<>(m));
            if (sq != null && sq.getInput(0).equals(x) && sq.getInput(1).equals(x)) {
                m.add(sq);
                return true;
            }
        }
        return false;
    }

    /** {@link FusionGraph#internal}, added to m. */
    private NodeProto internal(String value, String op, List<NodeProto> m) {
        NodeProto n = graph.internal(value, op);
        if (n != null) m.add(n);
        return n;
    }

    /** For a node {@code op}(a, b) with one operand the scalar constant c: the other operand. */
    private String byConstant(NodeProto n, String op, float c, List<NodeProto> m) {
        if (n == null || !n.getOpType().equals(op) || n.getInputCount() != 2) return null;
        if (near(graph.scalars.get(n.getInput(0)), c)) return n.getInput(1);
        if (near(graph.scalars.get(n.getInput(1)), c)) return n.getInput(0);
        return null;
    }

    private String byConstantDivisor(NodeProto div, float c, List<NodeProto> m) {
        if (div == null || div.getInputCount() != 2 || !near(graph.scalars.get(div.getInput(1)), c)) return null;
        return div.getInput(0);
    }

    private static boolean near(Float v, float c) {
        return v != null && Math.abs(v - c) <= 1e-5f * Math.abs(c);
    }
}
