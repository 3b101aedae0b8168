package dev.cortado.onnx.importer;

import dev.cortado.ops.Arithmetic;
import dev.cortado.tensor.Tensor;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Map.entry;

/**
 * THE table of the ONNX operators Cortado imports: op type → the factory that reads and checks
 * the node's attributes (refusing values it does not run) and returns the {@link Op} that runs it
 * on Cortado's ops, so on every device kind they run on. An op type not here is refused at load.
 * Semantics are those of the default domain at opsets {@link #MIN_OPSET} to {@link #MAX_OPSET}.
 */
final class OpTable {

    static final long MIN_OPSET = 13, MAX_OPSET = 17;

    @FunctionalInterface
    interface Factory {
        Op create(NodeContext node);
    }

    private OpTable() {
    }

    private static final Map<String, Factory> OPS = Map.ofEntries(
            // convolution, pooling, normalisation
            entry("Conv", ConvPoolOps::conv),
            entry("MaxPool", ConvPoolOps::maxPool),
            entry("AveragePool", ConvPoolOps::averagePool),
            entry("GlobalAveragePool", ConvPoolOps::globalAveragePool),
            entry("BatchNormalization", ConvPoolOps::batchNormalization),
            entry("LayerNormalization", MathOps::layerNormalization),
            // activations and elementwise functions
            entry("Relu", MathOps.unary(Tensor::relu)),
            entry("Sigmoid", MathOps.unary(Tensor::sigmoid)),
            entry("Tanh", MathOps.unary(Tensor::tanh)),
            entry("Erf", MathOps.unary(MathOps::erf)),
            entry("Gelu", MathOps::gelu), // opset 20's, and what GeluFusion makes of torch's GELU subgraphs
            entry("Sqrt", MathOps.unary(Tensor::sqrt)),
            entry("Abs", MathOps.unary(Tensor::abs)),
            entry("Neg", MathOps.unary(Tensor::neg)),
            entry("Exp", MathOps.unary(Tensor::exp)),
            entry("Log", MathOps.unary(Tensor::log)),
            entry("Reciprocal", MathOps.unary(x -> x.rdiv(1f))),
            entry("Clip", MathOps::clip),
            entry("Softmax", MathOps.softmax(false)),
            entry("LogSoftmax", MathOps.softmax(true)),
            // broadcasting arithmetic and comparisons
            entry("Add", MathOps.binary(Arithmetic::add)),
            entry("Sub", MathOps.binary(Arithmetic::sub)),
            entry("Mul", MathOps.binary(Arithmetic::mul)),
            entry("Div", MathOps.binary(Arithmetic::div)),
            entry("Pow", MathOps::pow),
            entry("Equal", MathOps.comparison(Arithmetic::eq)),
            entry("Less", MathOps.comparison(Arithmetic::lt)),
            entry("Greater", MathOps.comparison(Arithmetic::gt)),
            entry("LessOrEqual", MathOps.comparison(Arithmetic::le)),
            entry("GreaterOrEqual", MathOps.comparison(Arithmetic::ge)),
            entry("Not", c -> in -> Op.one(Value.of(in[0].tensor().eq(0f), Value.BOOL))),
            entry("Where", MathOps::where),
            entry("Cast", MathOps::cast),
            // matrix products and reductions
            entry("Gemm", MathOps::gemm),
            entry("MatMul", MathOps::matMul),
            entry("ReduceMean", MathOps.reduce(true, false)),
            entry("ReduceSum", MathOps.reduce(false, true)),
            // shapes, indexing, constants
            entry("Reshape", ShapeOps::reshape),
            entry("Flatten", ShapeOps::flatten),
            entry("Transpose", ShapeOps::transpose),
            entry("Concat", ShapeOps::concat),
            entry("Split", ShapeOps::split),
            entry("Slice", ShapeOps::slice),
            entry("Squeeze", ShapeOps::squeeze),
            entry("Unsqueeze", ShapeOps::unsqueeze),
            entry("Gather", ShapeOps::gather),
            entry("Expand", ShapeOps::expand),
            entry("Pad", ShapeOps::pad),
            entry("Shape", ShapeOps::shape),
            entry("Constant", ShapeOps::constantNode),
            entry("ConstantOfShape", ShapeOps::constantOfShape),
            entry("Range", ShapeOps::range),
            entry("Identity", ShapeOps::identity),
            entry("Dropout", ShapeOps::dropout));

    /**
     * The operators of other domains Cortado runs — what its own load-time fusions make: ONNX
     * Runtime's contrib FusedConv (com.microsoft, the same semantics), its own attention and its
     * linear layer (a GEMM with its bias and activation).
     */
    private static final Map<String, Map<String, Factory>> FUSED_OPS = Map.of(
            ConvFusion.DOMAIN, Map.of("FusedConv", ConvPoolOps::fusedConv),
            AttentionFusion.DOMAIN, Map.of(AttentionFusion.OP, MathOps::attention, LinearFusion.OP, MathOps::linear,
                    SelfAttentionFusion.OP, MathOps::selfAttention));

    /** BatchNormalization's running mean and variance: buffers, never trainable parameters. */
    static boolean isBuffer(String opType, int input) {
        return opType.equals("BatchNormalization") && (input == 3 || input == 4);
    }

    /** The op type's runnable form for this node, its attributes checked; refuses what is not in the table. */
    static Op create(NodeContext c) {
        String domain = c.node.getDomain();
        boolean standard = domain.isEmpty() || domain.equals("ai.onnx");
        Map<String, Factory> table = standard ? OPS : FUSED_OPS.get(domain);
        if (table == null) throw c.refuse("operators of domain '" + domain + "' are not supported");
        Factory f = table.get(c.node.getOpType());
        if (f == null) {
            throw c.refuse("not supported (Cortado imports " + String.join(", ", supported())
                    + (standard ? "" : "; of " + domain + ": " + String.join(", ", new TreeSet<>(table.keySet()))) + ")");
        }
        Op op = f.create(c);
        c.checkAllRead();
        return op;
    }

    static Set<String> supported() {
        return new TreeSet<>(OPS.keySet());
    }
}
