package dev.cortado.onnx.importer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.autograd.GradMode;
import dev.cortado.memory.Device;
import dev.cortado.onnx.proto.Onnx.GraphProto;
import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.onnx.proto.Onnx.OperatorSetIdProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.onnx.proto.Onnx.TensorShapeProto;
import dev.cortado.onnx.proto.Onnx.ValueInfoProto;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * An ONNX model loaded as a runnable Cortado graph.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("resnet18.onnx"))) {
 *     Tensor logits = model.run(image);                      // one input, one output
 *     Map<String, Tensor> out = model.run(Map.of("x", image)); // any inputs and outputs, by name
 * }
 * }</pre>
 *
 * Loading reads every node through {@link OpTable} (an operator or attribute value Cortado does
 * not run is refused with an {@link OnnxImportException} naming the operator, its node and the
 * opset, before anything runs), folds each BatchNormalization that follows a Conv into it, fuses
 * torch's GELU subgraphs, Conv with its residual Add and activation, attention's MatMul,
 * scale, causal mask, Softmax and MatMul, and MatMul or Gemm with its bias Add and activation
 * into single nodes (GeluFusion, ConvFusion, AttentionFusion, LinearFusion), runs a batch-first
 * multi-head attention block on its packed projection in batch order (SelfAttentionFusion: no
 * copy of a head; where the shapes turn out not to allow it, the model is loaded again without
 * it), and then runs the
 * graph once on zeros of the inputs' declared shapes: that infers every shape, so Shape and the
 * shape arithmetic after it — and anything else that depends on no input — are computed once and
 * kept as constants. Shapes are therefore fixed at load: symbolic dimensions
 * are 1 unless {@link #load(Path, Device, Map)} fixes them. Tensors live on the device given to
 * load and every op runs through Cortado's ops, so on every device kind they run on.
 *
 * <p>The float initializers read as weights are the model's {@link #parameters()}: after {@link
 * #requiresGrad(boolean) requiresGrad(true)} a loss computed from {@link #run} back-propagates into
 * them and Cortado's optimizers train them. BatchNormalization statistics, scalars (bounds,
 * exponents) and tensors holding infinities (attention masks) stay constants.
 */
public final class OnnxModel implements AutoCloseable {

    /** One node of the runtime plan: what it reads and writes (slots), and the slots whose last reader it is. */
    private record Step(Op op, String opType, String node, int[] in, int[] out, int[] lastUse) {
    }

    private final Path source;
    private final Device device;
    private final long opset;
    private final Map<String, int[]> inputShapes;
    private final Map<String, Integer> inputTypes;
    private final Map<String, Integer> inputSlots;
    private final Map<String, Integer> outputSlots;
    private final Value[] fixed; // constants and parameters by slot; null for computed values
    private final List<Step> steps;
    private final Map<String, Tensor> parameters;
    private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<AutoCloseable> resources; // what ops keep between runs (prepared filters)
    private boolean closed;

    private OnnxModel(Path source, Device device, long opset, Map<String, int[]> inputShapes, Map<String, Integer> inputTypes,
                      Map<String, Integer> inputSlots,
                      Map<String, Integer> outputSlots, Value[] fixed, List<Step> steps, Map<String, Tensor> parameters,
                      List<AutoCloseable> resources) {
        this.source = source;
        this.device = device;
        this.opset = opset;
        this.inputShapes = inputShapes;
        this.inputTypes = inputTypes;
        this.inputSlots = inputSlots;
        this.outputSlots = outputSlots;
        this.fixed = fixed;
        this.steps = steps;
        this.parameters = parameters;
        this.resources = resources;
        for (Value v : fixed) if (v != null) owned.add(v.tensor());
    }

    /** Loads an ONNX model onto the cpu. */
    public static OnnxModel load(Path path) throws IOException {
        return load(path, Device.CPU, Map.of());
    }

    /** Loads an ONNX model onto {@code device} (cpu, sim:N, cuda:N). */
    public static OnnxModel load(Path path, Device device) throws IOException {
        return load(path, device, Map.of());
    }

    /**
     * Loads an ONNX model onto {@code device}, fixing the shapes of the inputs named in {@code
     * inputShapes} (needed where the model declares symbolic dimensions, e.g. a dynamic batch).
     *
     * @throws IOException naming the file when it cannot be read or is not a well-formed ONNX model
     * @throws OnnxImportException when the model holds an operator, attribute value or opset Cortado does not run
     */
    public static OnnxModel load(Path path, Device device, Map<String, int[]> inputShapes) throws IOException {
        ModelProto model;
        try {
            model = ModelProto.parseFrom(Files.readAllBytes(path));
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(path + ": not a readable ONNX model (" + e.getMessage() + ")", e);
        }
        if (!model.hasGraph() || model.getIrVersion() <= 0 || model.getOpsetImportCount() == 0 || model.getGraph().getOutputCount() == 0) {
            throw new IOException(path + ": not a readable ONNX model (no graph, IR version, opset or outputs)");
        }
        try {
            return new Loader(path, model, device, inputShapes, true).load();
        } catch (SelfAttentionFusion.Declined d) {
            return new Loader(path, model, device, inputShapes, false).load(); // (its shapes are not those the fusion assumed)
        }
    }

    /** Builds the plan: checks every node, folds BatchNorms, traces shapes and constants on zeros. */
    private static final class Loader {
        private final Path path;
        private final GraphProto graph;
        private final Device device;
        private final Map<String, int[]> shapeOverrides;
        private final long opset;
        private final boolean fuseSelfAttention;
        private final Map<String, Integer> slotOf = new HashMap<>();
        private final List<Value> slotValues = new ArrayList<>();
        private final List<AutoCloseable> resources = new ArrayList<>();

        Loader(Path path, ModelProto model, Device device, Map<String, int[]> shapeOverrides, boolean fuseSelfAttention) throws IOException {
            this.path = path;
            this.fuseSelfAttention = fuseSelfAttention;
            this.graph = model.getGraph();
            this.device = device;
            this.shapeOverrides = shapeOverrides;
            long v = -1;
            for (OperatorSetIdProto o : model.getOpsetImportList()) {
                if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) v = o.getVersion();
            }
            if (v < 0) throw new IOException(path + ": the model imports no opset of the default ONNX domain");
            this.opset = v;
        }

        private int slot(String name) {
            return slotOf.computeIfAbsent(name, n -> {
                slotValues.add(null);
                return slotValues.size() - 1;
            });
        }

        /** The model, or on any refusal nothing: every tensor made so far is freed. */
        OnnxModel load() throws IOException {
            try {
                return build();
            } catch (IOException | RuntimeException | Error e) {
                Set<Tensor> made = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Value v : slotValues) if (v != null) made.add(v.tensor());
                for (Tensor t : made) t.close();
                closeAll(resources);
                throw e;
            }
        }

        private OnnxModel build() throws IOException {
            Map<String, TensorProto> inits = new LinkedHashMap<>();
            for (TensorProto t : graph.getInitializerList()) inits.put(t.getName(), t);
            Set<String> outputNames = new HashSet<>();
            for (ValueInfoProto o : graph.getOutputList()) outputNames.add(o.getName());
            List<NodeProto> nodes = BatchNormFolding.fold(graph.getNodeList(), inits, outputNames);
            List<Function<FusionGraph, Fusion>> fusions = new ArrayList<>(List.of(GeluFusion::new, ConvFusion::new, AttentionFusion::new));
            if (fuseSelfAttention) fusions.add(SelfAttentionFusion::new);
            fusions.add(LinearFusion::new);
            nodes = Fusion.applyAll(nodes, inits, outputNames, fusions);

            if (opset < OpTable.MIN_OPSET || opset > OpTable.MAX_OPSET) {
                NodeProto first = nodes.isEmpty() ? NodeProto.getDefaultInstance() : nodes.get(0);
                throw new OnnxImportException(first.getOpType(), NodeContext.displayName(first), opset,
                        "opset " + opset + " is not supported (Cortado imports opsets " + OpTable.MIN_OPSET + " to " + OpTable.MAX_OPSET + ")");
            }
            // every node checked before anything runs
            List<Op> ops = new ArrayList<>();
            for (NodeProto n : nodes) ops.add(OpTable.create(new NodeContext(n, opset, device, resources)));

            // which float initializers are read at a weight position (parameters) rather than as buffers
            Set<String> weights = new HashSet<>();
            for (NodeProto n : nodes) {
                for (int i = 0; i < n.getInputCount(); i++) {
                    if (!OpTable.isBuffer(n.getOpType(), i)) weights.add(n.getInput(i));
                }
            }
            Map<String, Tensor> parameters = new LinkedHashMap<>();
            Set<String> referenced = new HashSet<>();
            for (NodeProto n : nodes) referenced.addAll(n.getInputList());
            referenced.addAll(outputNames);
            for (TensorProto t : inits.values()) {
                if (!referenced.contains(t.getName())) continue;
                Tensor tensor;
                try {
                    tensor = TensorData.tensor(t, device);
                } catch (RuntimeException e) {
                    throw new IOException(path + ": initializer '" + t.getName() + "': " + e.getMessage(), e);
                }
                int type = TensorData.valueType(t.getDataType());
                boolean parameter = type == Value.FLOAT && weights.contains(t.getName()) && trainable(tensor);
                slotValues.set(slot(t.getName()), new Value(tensor, type, !parameter));
                if (parameter) parameters.put(t.getName(), tensor);
            }
            Map<String, int[]> inputShapes = new LinkedHashMap<>();
            Map<String, Integer> inputSlots = new LinkedHashMap<>();
            for (ValueInfoProto in : graph.getInputList()) {
                if (inits.containsKey(in.getName())) continue; // an initializer listed among the inputs (IR < 4)
                int[] shape = shapeOverrides.containsKey(in.getName()) ? shapeOverrides.get(in.getName()).clone() : declaredShape(in);
                inputShapes.put(in.getName(), shape);
                inputSlots.put(in.getName(), slot(in.getName()));
            }
            for (String name : shapeOverrides.keySet()) {
                if (!inputShapes.containsKey(name)) throw new IllegalArgumentException(path + ": the model has no input '" + name + "'");
            }
            List<Step> steps = trace(nodes, ops, inputShapes, inputSlots);
            Map<String, Integer> outputSlots = new LinkedHashMap<>();
            for (ValueInfoProto o : graph.getOutputList()) {
                Integer s = slotOf.get(o.getName());
                if (s == null) throw new IOException(path + ": graph output '" + o.getName() + "' is computed by no node");
                outputSlots.put(o.getName(), s);
            }
            // only the steps the outputs need, backwards from them
            Set<Integer> keep = new HashSet<>(outputSlots.values());
            Set<Integer> needed = new HashSet<>(keep);
            List<Step> live = new ArrayList<>();
            for (int i = steps.size() - 1; i >= 0; i--) {
                Step st = steps.get(i);
                if (Arrays.stream(st.out()).noneMatch(needed::contains)) continue;
                live.add(0, st);
                for (int s : st.in()) if (s >= 0) needed.add(s);
            }
            // last readers, for freeing intermediates while running without gradients (outputs nobody reads go at once)
            Map<Integer, Integer> last = new HashMap<>();
            for (int i = 0; i < live.size(); i++) for (int s : live.get(i).in()) if (s >= 0) last.put(s, i);
            List<Step> planned = new ArrayList<>();
            for (int i = 0; i < live.size(); i++) {
                Step st = live.get(i);
                final int at = i;
                int[] lastUse = java.util.stream.IntStream.concat(Arrays.stream(st.in()), Arrays.stream(st.out())).distinct()
                        .filter(s -> s >= 0 && last.getOrDefault(s, at) == at && !keep.contains(s) && slotValues.get(s) == null
                                && !inputSlots.containsValue(s)).toArray();
                planned.add(new Step(st.op(), st.opType(), st.node(), st.in(), st.out(), lastUse));
            }
            Map<String, Integer> inputTypes = new HashMap<>();
            for (String name : inputShapes.keySet()) inputTypes.put(name, typeOf(name));
            return new OnnxModel(path, device, opset, inputShapes, inputTypes, inputSlots, outputSlots, slotValues.toArray(new Value[0]), planned, parameters,
                    resources);
        }

        /**
         * Whether a float initializer read as a weight is a parameter: not a scalar (a bound, an
         * exponent, a scale) and all finite (not an attention mask of -inf).
         */
        private static boolean trainable(Tensor t) {
            if (t.numel() <= 1) return false;
            for (float v : t.toArray()) if (!Float.isFinite(v)) return false;
            return true;
        }

        private int[] declaredShape(ValueInfoProto in) throws IOException {
            if (!in.getType().hasTensorType() || !in.getType().getTensorType().hasShape()) {
                throw new IOException(path + ": input '" + in.getName() + "' declares no tensor shape (give one to OnnxModel.load)");
            }
            List<TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape().getDimList();
            int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = dims.get(i).hasDimValue() ? Math.toIntExact(dims.get(i).getDimValue()) : 1;
            return shape;
        }

        /** Runs every node once on zeros: constants (whatever depends on no input) are kept, the rest becomes the plan. */
        private List<Step> trace(List<NodeProto> nodes, List<Op> ops, Map<String, int[]> inputShapes, Map<String, Integer> inputSlots)
                throws IOException {
            Value[] traced = new Value[slotValues.size() + 64];
            List<Tensor> temporaries = new ArrayList<>();
            List<Step> steps = new ArrayList<>();
            try (GradMode off = GradMode.off()) {
                Map<Integer, Value> values = new HashMap<>();
                for (int s = 0; s < slotValues.size(); s++) if (slotValues.get(s) != null) values.put(s, slotValues.get(s));
                for (Map.Entry<String, Integer> in : inputSlots.entrySet()) {
                    Tensor zeros = Tensor.zeros(device, inputShapes.get(in.getKey()));
                    temporaries.add(zeros);
                    values.put(in.getValue(), Value.of(zeros, typeOf(in.getKey())));
                }
                for (int k = 0; k < nodes.size(); k++) {
                    NodeProto n = nodes.get(k);
                    String name = NodeContext.displayName(n);
                    int[] inSlots = new int[n.getInputCount()];
                    Value[] args = new Value[n.getInputCount()];
                    boolean allConstant = true;
                    for (int i = 0; i < args.length; i++) {
                        String input = n.getInput(i);
                        if (input.isEmpty()) {
                            inSlots[i] = -1;
                            continue;
                        }
                        Integer s = slotOf.get(input);
                        if (s == null || !values.containsKey(s)) {
                            throw new IOException(path + ": node '" + name + "' (" + n.getOpType() + ") reads '" + input
                                    + "', which no earlier node, input or initializer defines");
                        }
                        inSlots[i] = s;
                        args[i] = values.get(s);
                        allConstant &= args[i].constant();
                    }
                    Value[] out;
                    try {
                        out = ops.get(k).apply(args);
                    } catch (OnnxImportException | SelfAttentionFusion.Declined e) {
                        throw e;
                    } catch (RuntimeException e) {
                        throw new OnnxImportException(NodeContext.displayOp(n), name, opset, e.getMessage(), e);
                    }
                    if (out.length < countNamed(n)) {
                        throw new OnnxImportException(NodeContext.displayOp(n), name, opset, n.getOutputCount() + " outputs are not supported");
                    }
                    int[] outSlots = new int[n.getOutputCount()];
                    boolean planned = false;
                    for (int o = 0; o < n.getOutputCount(); o++) {
                        if (n.getOutput(o).isEmpty()) {
                            outSlots[o] = -1;
                            continue;
                        }
                        int s = slot(n.getOutput(o));
                        outSlots[o] = s;
                        if (allConstant || out[o].constant()) {
                            Value c = new Value(out[o].tensor(), out[o].type(), true);
                            slotValues.set(s, c);
                            values.put(s, c);
                        } else {
                            values.put(s, out[o]);
                            temporaries.add(out[o].tensor());
                            planned = true;
                        }
                    }
                    if (planned) steps.add(new Step(ops.get(k), n.getOpType(), name, inSlots, outSlots, new int[0]));
                }
            } finally {
                Set<Tensor> kept = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Value v : slotValues) if (v != null) kept.add(v.tensor());
                for (Tensor t : temporaries) if (!kept.contains(t)) t.close();
            }
            return steps;
        }

        private static int countNamed(NodeProto n) {
            int c = 0;
            for (int i = 0; i < n.getOutputCount(); i++) if (!n.getOutput(i).isEmpty()) c = i + 1;
            return c;
        }

        private int typeOf(String input) {
            for (ValueInfoProto in : graph.getInputList()) {
                if (in.getName().equals(input) && in.getType().hasTensorType()) return TensorData.valueType(in.getType().getTensorType().getElemType());
            }
            return Value.FLOAT;
        }
    }

    /** The inputs' names, in the model's order. */
    public List<String> inputNames() {
        return List.copyOf(inputShapes.keySet());
    }

    /** The outputs' names, in the model's order. */
    public List<String> outputNames() {
        return List.copyOf(outputSlots.keySet());
    }

    /** The shape an input must have (fixed at load). */
    public int[] inputShape(String name) {
        int[] s = inputShapes.get(name);
        if (s == null) throw new IllegalArgumentException("the model has no input '" + name + "' (inputs: " + inputNames() + ")");
        return s.clone();
    }

    /** The model's default-domain opset. */
    public long opset() {
        return opset;
    }

    public Device device() {
        return device;
    }

    /** How many nodes run per call (after folding constants and BatchNorms). */
    public int runtimeNodeCount() {
        return steps.size();
    }

    /** The op types the plan runs per call, in order (what is left after folding), for tests and diagnostics. */
    List<String> runtimeOpTypes() {
        return steps.stream().map(Step::opType).toList();
    }

    /** The trainable parameters: the float initializers the graph reads as weights, by initializer name (the tensors the graph runs on). */
    public Map<String, Tensor> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Marks every parameter as requiring (or not) a gradient; returns this. */
    public OnnxModel requiresGrad(boolean value) {
        for (Tensor p : parameters.values()) p.requiresGrad(value);
        return this;
    }

    /** Runs a model of one input and one output. */
    public Tensor run(Tensor input) {
        if (inputShapes.size() != 1 || outputSlots.size() != 1) {
            throw new IllegalArgumentException("run(Tensor) is for models of one input and one output; this one has inputs " + inputNames()
                    + " and outputs " + outputNames());
        }
        return run(Map.of(inputNames().get(0), input)).values().iterator().next();
    }

    /**
     * Runs the model: every input by name, with the shape it was loaded for, on the model's
     * device; returns every output by name in the model's order. Differentiable when gradients
     * are on and parameters (or inputs) require them; without, intermediates are freed as soon as
     * their last reader has run.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        if (closed) throw new IllegalStateException("OnnxModel " + source + " was closed");
        for (String name : inputs.keySet()) {
            if (!inputSlots.containsKey(name)) throw new IllegalArgumentException("the model has no input '" + name + "' (inputs: " + inputNames() + ")");
        }
        Value[] slots = fixed.clone();
        for (Map.Entry<String, Integer> e : inputSlots.entrySet()) {
            Tensor t = inputs.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("missing input '" + e.getKey() + "' (inputs: " + inputNames() + ")");
            int[] want = inputShapes.get(e.getKey());
            if (!Arrays.equals(t.shape(), want)) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' has shape " + Shape.str(t.shape()) + " but the model was loaded for "
                        + Shape.str(want) + " (OnnxModel.load(path, device, Map.of(\"" + e.getKey() + "\", shape)) loads it for another)");
            }
            if (!t.device().equals(device)) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' is on " + t.device() + " but the model is on " + device);
            }
            slots[e.getValue()] = Value.of(t, inputTypes.get(e.getKey())); // integer inputs (ids) come as floats holding integers
        }
        for (String name : inputs.keySet()) {
            if (!inputSlots.containsKey(name)) throw new IllegalArgumentException("the model has no input '" + name + "' (inputs: " + inputNames() + ")");
        }
        boolean recording = GradMode.isEnabled()
                && (parameters.values().stream().anyMatch(Tensor::requiresGrad) || inputs.values().stream().anyMatch(Tensor::requiresGrad));
        IdentityHashMap<Tensor, Integer> live = new IdentityHashMap<>();
        for (Step st : steps) {
            Value[] args = new Value[st.in().length];
            for (int i = 0; i < args.length; i++) args[i] = st.in()[i] < 0 ? null : slots[st.in()[i]];
            Value[] out;
            try {
                out = st.op().apply(args);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("ONNX node '" + st.node() + "' (" + st.opType() + "): " + e.getMessage(), e);
            }
            for (int o = 0; o < st.out().length; o++) {
                if (st.out()[o] < 0) continue;
                slots[st.out()[o]] = out[o];
                live.merge(out[o].tensor(), 1, Integer::sum);
            }
            if (recording) continue;
            for (int s : st.lastUse()) {
                Tensor t = slots[s].tensor();
                slots[s] = null;
                if (live.merge(t, -1, Integer::sum) == 0 && !owned.contains(t) && !inputs.containsValue(t)) t.close();
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : outputSlots.entrySet()) {
            Value v = slots[e.getValue()];
            Tensor t = v.tensor();
            result.put(e.getKey(), owned.contains(t) || inputs.containsValue(t) ? t.reshape(t.shape()) : t);
        }
        return result;
    }

    /** Frees the model's constants and parameters. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeAll(resources);
        for (Tensor t : owned) t.close();
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + r + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "OnnxModel(" + source.getFileName() + ", opset " + opset + ", inputs " + inputNames() + ", outputs " + outputNames() + ", "
                + steps.size() + " nodes, " + parameters.size() + " parameters, " + device + ")";
    }
}
