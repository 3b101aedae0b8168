package dev.cortado.onnx.export;

import static dev.cortado.onnx.export.GraphBuilder.floatAttr;
import static dev.cortado.onnx.export.GraphBuilder.intAttr;
import static dev.cortado.onnx.export.GraphBuilder.intsAttr;

import dev.cortado.nn.BatchNorm;
import dev.cortado.nn.Embedding;
import dev.cortado.nn.GlobalAvgPool;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.nn.MultiheadAttention;
import dev.cortado.nn.Residual;
import dev.cortado.onnx.proto.Onnx;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one table of the export: each Cortado layer class (and each of {@link Layers}' functions by
 * name) to the ONNX nodes that compute its eval-mode forward. Every exporter takes the layer's
 * input (a value name and its per-sample shape: the batch axis is implicit) and returns its output.
 */
final class LayerExporters {

    private LayerExporters() {
    }

    /** A value of the graph: its name and its shape without the batch axis. */
    record Value(String name, int[] shape) {
    }

    /** The layer being exported: the graph, the module, and its state_dict path ("3.branch.0"; "" for the root). */
    record Layer(GraphBuilder g, Module module, String path) {

        /** The state_dict name of the layer's tensor {@code local} ("3.branch.0.weight"). */
        String name(String local) {
            return path.isEmpty() ? local : path + "." + local;
        }

        /** The prefix of the layer's node names. */
        String scope() {
            return path.isEmpty() ? module.getClass().getSimpleName() : path;
        }

        String node(String op, List<String> inputs, Onnx.AttributeProto... attributes) {
            return g.node(scope(), op, inputs, attributes);
        }

        String weight(String local, Tensor t) {
            return g.weight(name(local), t);
        }

        String longs(String hint, long... values) {
            return g.longConstant(scope() + "/" + hint, values, values.length);
        }

        /** A refusal naming this layer. */
        IllegalArgumentException refuse(String why) {
            return new IllegalArgumentException("OnnxExport: layer " + where(path, module) + " " + why);
        }
    }

    static String where(String path, Module m) {
        return (path.isEmpty() ? "(the model itself)" : "'" + path + "'") + " (" + m.getClass().getName() + ")";
    }

    @FunctionalInterface
    interface Exporter {
        Value export(Layer layer, Value x);
    }

    /** The ONNX op of each elementwise activation, by {@link Layers.Neuron} name and by Layers' function name. */
    private static final Map<String, String> ACTIVATIONS = Map.of("RELU", "Relu", "SIGMOID", "Sigmoid", "TANH", "Tanh",
            "ReLU", "Relu", "Sigmoid", "Sigmoid", "Tanh", "Tanh");

    /** {@link Layers}' parameterless functions by their name. */
    private static final Map<String, Exporter> FUNCTIONS = functions();

    /** Every exportable layer class. */
    private static final Map<Class<? extends Module>, Exporter> TABLE = table();

    private static Map<String, Exporter> functions() {
        Map<String, Exporter> m = new LinkedHashMap<>();
        for (String f : List.of("ReLU", "Sigmoid", "Tanh")) m.put(f, (l, x) -> new Value(l.node(ACTIVATIONS.get(f), List.of(x.name())), x.shape()));
        m.put("Softmax", (l, x) -> new Value(l.node("Softmax", List.of(x.name()), intAttr("axis", -1)), x.shape()));
        m.put("Flatten", (l, x) -> new Value(l.node("Flatten", List.of(x.name()), intAttr("axis", 1)), new int[] {(int) Shape.numel(x.shape())}));
        m.put("SequenceLast", LayerExporters::sequenceLast);
        return Collections.unmodifiableMap(m);
    }

    private static Map<Class<? extends Module>, Exporter> table() {
        Map<Class<? extends Module>, Exporter> m = new LinkedHashMap<>();
        m.put(Layers.Sequential.class, LayerExporters::sequential);
        m.put(Layers.Linear.class, LayerExporters::linear);
        m.put(Layers.Conv2d.class, LayerExporters::conv2d);
        m.put(Layers.MaxPool2d.class, (l, x) -> pool(l, x, "MaxPool"));
        m.put(Layers.AvgPool2d.class, (l, x) -> pool(l, x, "AveragePool"));
        m.put(Layers.Function.class, LayerExporters::function);
        m.put(Layers.Dropout.class, (l, x) -> new Value(l.node("Identity", List.of(x.name())), x.shape()));
        m.put(Layers.Lstm.class, LayerExporters::lstm);
        m.put(BatchNorm.class, LayerExporters::batchNorm);
        m.put(LayerNorm.class, LayerExporters::layerNorm);
        m.put(Embedding.class, LayerExporters::embedding);
        m.put(MultiheadAttention.class, LayerExporters::attention);
        m.put(Residual.class, LayerExporters::residual);
        m.put(GlobalAvgPool.class, LayerExporters::globalAvgPool);
        return Collections.unmodifiableMap(m);
    }

    /** What the export knows, for refusals. */
    static String known() {
        List<String> names = new ArrayList<>();
        for (Class<?> c : TABLE.keySet()) names.add(c == Layers.Function.class ? "Layers." + String.join("/", FUNCTIONS.keySet()) : c.getName());
        return String.join(", ", names);
    }

    /** The nodes of {@code m} (at state_dict path {@code path}) on input {@code x}; refuses an unknown layer by its class and path. */
    static Value export(GraphBuilder g, Module m, String path, Value x) {
        if (m == null) throw new IllegalArgumentException("OnnxExport: layer " + (path.isEmpty() ? "(the model)" : "'" + path + "'") + " is null");
        Exporter e = TABLE.get(m.getClass());
        if (e == null) {
            throw new IllegalArgumentException("OnnxExport: layer " + where(path, m) + " has no ONNX export; the export knows " + known()
                    + " (a layer whose forward is code of its own cannot be exported: write the network with these layers)");
        }
        return e.export(new Layer(g, m, path), x);
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    // ---- the exporters ----

    private static Value sequential(Layer l, Value x) {
        Value y = x;
        for (Map.Entry<String, Module> c : ModuleFields.children(l.module()).entrySet()) y = export(l.g(), c.getValue(), child(l.path(), c.getKey()), y);
        return y;
    }

    private static Value function(Layer l, Value x) {
        String name = (String) ModuleFields.get(l.module(), "name");
        Exporter e = FUNCTIONS.get(name);
        if (e == null) throw l.refuse("is the function '" + name + "', which has no ONNX export (known: " + String.join(", ", FUNCTIONS.keySet()) + ")");
        return e.export(l, x);
    }

    private static Value activation(Layer l, Value x, Layers.Neuron neuron) {
        if (neuron == Layers.Neuron.IDENTITY) return x;
        String op = ACTIVATIONS.get(neuron.name());
        if (op == null) throw l.refuse("ends in the activation " + neuron + ", which has no ONNX export");
        return new Value(l.node(op, List.of(x.name())), x.shape());
    }

    private static Value linear(Layer l, Value x) {
        Layers.Linear m = (Layers.Linear) l.module();
        int out = m.weight.size(0), in = m.weight.size(1);
        if (Shape.numel(x.shape()) != in) throw l.refuse("takes " + in + " inputs, not " + Shape.str(x.shape()));
        String v = x.shape().length == 1 ? x.name() : l.node("Flatten", List.of(x.name()), intAttr("axis", 1));
        String y = l.node("Gemm", List.of(v, l.weight("weight", m.weight), l.weight("bias", m.bias)), intAttr("transB", 1));
        return activation(l, new Value(y, new int[] {out}), (Layers.Neuron) ModuleFields.get(m, "neuron"));
    }

    private static int[] image(Layer l, Value x) {
        if (x.shape().length != 3) throw l.refuse("takes images [channels, height, width], not " + Shape.str(x.shape()));
        return x.shape();
    }

    private static int outSize(Layer l, int size, int kernel, int stride, int pad) {
        if (size + 2 * pad < kernel) throw l.refuse("has a window of " + kernel + " larger than its input's " + size + " padded by " + pad);
        return (size + 2 * pad - kernel) / stride + 1;
    }

    private static Value conv2d(Layer l, Value x) {
        Layers.Conv2d m = (Layers.Conv2d) l.module();
        int[] s = image(l, x), w = m.weight.shape();
        int stride = ModuleFields.integer(m, "stride"), pad = ModuleFields.integer(m, "pad"), k = w[2];
        if (s[0] != w[1]) throw l.refuse("takes " + w[1] + " channels, not " + Shape.str(s));
        List<String> inputs = new ArrayList<>(List.of(x.name(), l.weight("weight", m.weight)));
        if (m.bias != null) inputs.add(l.weight("bias", m.bias));
        String y = l.node("Conv", inputs, intsAttr("kernel_shape", w[2], w[3]), intsAttr("strides", stride, stride),
                intsAttr("pads", pad, pad, pad, pad), intsAttr("dilations", 1, 1), intAttr("group", 1));
        int[] out = {w[0], outSize(l, s[1], k, stride, pad), outSize(l, s[2], w[3], stride, pad)};
        return activation(l, new Value(y, out), (Layers.Neuron) ModuleFields.get(m, "neuron"));
    }

    private static Value pool(Layer l, Value x, String op) {
        int[] s = image(l, x);
        int k = ModuleFields.integer(l.module(), "kernel"), stride = ModuleFields.integer(l.module(), "stride"), pad = ModuleFields.integer(l.module(), "pad");
        List<Onnx.AttributeProto> a = new ArrayList<>(List.of(intsAttr("kernel_shape", k, k), intsAttr("strides", stride, stride), intsAttr("pads", pad, pad, pad, pad)));
        if (op.equals("AveragePool")) a.add(intAttr("count_include_pad", 1)); // Cortado's average counts the padding's zeros, as PyTorch's default
        String y = l.node(op, List.of(x.name()), a.toArray(new Onnx.AttributeProto[0]));
        return new Value(y, new int[] {s[0], outSize(l, s[1], k, stride, pad), outSize(l, s[2], k, stride, pad)});
    }

    private static Value globalAvgPool(Layer l, Value x) {
        int[] s = image(l, x);
        String pooled = l.node("GlobalAveragePool", List.of(x.name()));
        return new Value(l.node("Flatten", List.of(pooled), intAttr("axis", 1)), new int[] {s[0]});
    }

    private static Value batchNorm(Layer l, Value x) {
        BatchNorm m = (BatchNorm) l.module();
        if (m.runningMean == null) throw l.refuse("keeps no running statistics (trackRunningStats false): it normalises by each batch's own, which an exported inference graph does not");
        int c = m.runningMean.size(0);
        boolean twoD = ModuleFields.bool(m, "twoD");
        int[] s = x.shape();
        if ((twoD ? s.length != 3 : s.length != 1 && s.length != 2) || s[0] != c) {
            throw l.refuse("takes " + (twoD ? "[" + c + ", height, width]" : "[" + c + "] or [" + c + ", length]") + " per sample, not " + Shape.str(s));
        }
        float[] ones = new float[c], zeros = new float[c];
        Arrays.fill(ones, 1f);
        String scale = m.weight != null ? l.weight("weight", m.weight) : l.g().floatConstant(l.scope() + "/ones", ones, c);
        String shift = m.bias != null ? l.weight("bias", m.bias) : l.g().floatConstant(l.scope() + "/zeros", zeros, c);
        String y = l.node("BatchNormalization", List.of(x.name(), scale, shift, l.weight("running_mean", m.runningMean), l.weight("running_var", m.runningVar)),
                floatAttr("epsilon", ModuleFields.real(m, "eps")));
        return new Value(y, s);
    }

    private static Value layerNorm(Layer l, Value x) {
        LayerNorm m = (LayerNorm) l.module();
        int[] norm = (int[]) ModuleFields.get(m, "normalizedShape"), s = x.shape();
        if (s.length < norm.length || !Arrays.equals(Arrays.copyOfRange(s, s.length - norm.length, s.length), norm)) {
            throw l.refuse("normalises the last axes " + Shape.str(norm) + ", which its input " + Shape.str(s) + " does not end in");
        }
        long n = Shape.numel(norm);
        long[] dims = Arrays.stream(norm).asLongStream().toArray();
        float[] ones = new float[(int) n];
        Arrays.fill(ones, 1f);
        List<String> inputs = new ArrayList<>(List.of(x.name(), m.weight != null ? l.weight("weight", m.weight) : l.g().floatConstant(l.scope() + "/ones", ones, dims)));
        if (m.bias != null) inputs.add(l.weight("bias", m.bias));
        String y = l.node("LayerNormalization", inputs, intAttr("axis", -norm.length), floatAttr("epsilon", ModuleFields.real(m, "eps")));
        return new Value(y, s);
    }

    private static Value embedding(Layer l, Value x) {
        Embedding m = (Embedding) l.module();
        // Cortado's ids are float tensors holding integers; ONNX's Gather takes int64 indices
        String ids = l.node("Cast", List.of(x.name()), intAttr("to", Onnx.TensorProto.DataType.INT64.getNumber()));
        String y = l.node("Gather", List.of(l.weight("weight", m.weight), ids), intAttr("axis", 0));
        int[] out = Arrays.copyOf(x.shape(), x.shape().length + 1);
        out[out.length - 1] = m.dim();
        return new Value(y, out);
    }

    private static Value sequenceLast(Layer l, Value x) {
        int[] s = x.shape();
        if (s.length != 2) throw l.refuse("takes a sequence [time, features], not " + Shape.str(s));
        String index = l.g().longConstant(l.scope() + "/last", new long[] {s[0] - 1});
        return new Value(l.node("Gather", List.of(x.name(), index), intAttr("axis", 1)), new int[] {s[1]});
    }

    private static Value residual(Layer l, Value x) {
        Map<String, Module> c = ModuleFields.children(l.module());
        Value b = export(l.g(), c.get("branch"), child(l.path(), "branch"), x);
        Value s = c.containsKey("shortcut") ? export(l.g(), c.get("shortcut"), child(l.path(), "shortcut"), x) : x;
        if (!Arrays.equals(b.shape(), s.shape())) {
            throw l.refuse("adds its branch's " + Shape.str(b.shape()) + " to its shortcut's " + Shape.str(s.shape()) + ", which do not fit");
        }
        return new Value(l.node("Add", List.of(b.name(), s.name())), b.shape());
    }

    /**
     * PyTorch's gate blocks (i, f, g, o) of a [4·hidden, ...] tensor in ONNX's order (i, o, f, c),
     * by Split and Concat on the state_dict tensor (ONNX Runtime folds them once, at load).
     */
    private static List<String> onnxGateOrder(Layer l, String pytorchGates) {
        String[] g = l.g().nodeOutputs(l.scope(), "Split", List.of(pytorchGates), 4, intAttr("axis", 0));
        return List.of(g[0], g[3], g[1], g[2]);
    }

    private static Value lstm(Layer l, Value x) {
        Layers.Lstm m = (Layers.Lstm) l.module();
        int[] s = x.shape();
        int hidden = m.weightHh.size(1), features = m.weightIh.size(1);
        if (s.length != 2 || s[1] != features) throw l.refuse("takes a sequence [time, " + features + "], not " + Shape.str(s));
        String axis0 = l.longs("axis0", 0);
        String w = l.node("Unsqueeze", List.of(l.node("Concat", onnxGateOrder(l, l.weight("weight_ih", m.weightIh)), intAttr("axis", 0)), axis0));
        String r = l.node("Unsqueeze", List.of(l.node("Concat", onnxGateOrder(l, l.weight("weight_hh", m.weightHh)), intAttr("axis", 0)), axis0));
        // ONNX adds Wb and Rb; Cortado's one bias is PyTorch's b_ih + b_hh, so Rb is zero
        List<String> biases = new ArrayList<>(onnxGateOrder(l, l.weight("bias", m.bias)));
        biases.add(l.g().floatConstant(l.scope() + "/recurrence_bias", new float[4 * hidden], 4 * hidden));
        String b = l.node("Unsqueeze", List.of(l.node("Concat", biases, intAttr("axis", 0)), axis0));
        String timeMajor = l.node("Transpose", List.of(x.name()), intsAttr("perm", 1, 0, 2));          // [time, batch, features]
        String y = l.node("LSTM", List.of(timeMajor, w, r, b), intAttr("hidden_size", hidden));        // [time, 1, batch, hidden]
        String squeezed = l.node("Squeeze", List.of(y, l.longs("axis1", 1)));                            // [time, batch, hidden]
        return new Value(l.node("Transpose", List.of(squeezed), intsAttr("perm", 1, 0, 2)), new int[] {s[0], hidden});
    }

    /** Multi-head self-attention as MatMul, Softmax and reshapes, in the order Cortado computes it (scale after q·kᵀ, then the causal mask). */
    private static Value attention(Layer l, Value x) {
        MultiheadAttention m = (MultiheadAttention) l.module();
        int e = m.embedDim(), heads = m.numHeads(), d = e / heads;
        int[] s = x.shape();
        if (s.length != 2 || s[1] != e) throw l.refuse("takes a sequence [time, " + e + "], not " + Shape.str(s));
        int len = s[0];
        String wIn = l.node("Transpose", List.of(l.weight("in_proj_weight", m.inProjWeight)), intsAttr("perm", 1, 0));
        String qkv = l.node("Add", List.of(l.node("MatMul", List.of(x.name(), wIn)), l.weight("in_proj_bias", m.inProjBias)));  // [B, L, 3E]
        String split = l.node("Reshape", List.of(qkv, l.longs("qkv_shape", 0, 0, 3, heads, d)));                                  // [B, L, 3, H, D]
        String perm = l.node("Transpose", List.of(split), intsAttr("perm", 2, 0, 3, 1, 4));                                       // [3, B, H, L, D]
        String[] qkvParts = new String[3];
        for (int i = 0; i < 3; i++) {
            String index = l.g().longConstant(l.scope() + "/" + "qkv".charAt(i), new long[] {i});
            qkvParts[i] = l.node("Gather", List.of(perm, index), intAttr("axis", 0));                                                // [B, H, L, D]
        }
        String kT = l.node("Transpose", List.of(qkvParts[1]), intsAttr("perm", 0, 1, 3, 2));
        String scores = l.node("MatMul", List.of(qkvParts[0], kT));                                                               // [B, H, L, L]
        String scale = l.g().floatConstant(l.scope() + "/scale", new float[] {(float) (1 / Math.sqrt(d))});
        String scaled = l.node("Mul", List.of(scores, scale));
        if (ModuleFields.bool(m, "causal")) {
            float[] mask = new float[len * len];
            for (int i = 0; i < len; i++) for (int j = i + 1; j < len; j++) mask[i * len + j] = Float.NEGATIVE_INFINITY;
            scaled = l.node("Add", List.of(scaled, l.g().floatConstant(l.scope() + "/causal_mask", mask, len, len)));
        }
        String weights = l.node("Softmax", List.of(scaled), intAttr("axis", -1));
        String attended = l.node("MatMul", List.of(weights, qkvParts[2]));                                                        // [B, H, L, D]
        String merged = l.node("Reshape", List.of(l.node("Transpose", List.of(attended), intsAttr("perm", 0, 2, 1, 3)), l.longs("merged_shape", 0, 0, e)));
        Layers.Linear out = m.outProj;
        String wOut = l.node("Transpose", List.of(l.weight("out_proj.weight", out.weight)), intsAttr("perm", 1, 0));
        String y = l.node("Add", List.of(l.node("MatMul", List.of(merged, wOut)), l.weight("out_proj.bias", out.bias)));
        return new Value(y, s.clone());
    }
}
