package dev.cortado.onnx.importer;

import dev.cortado.kernels.UnaryOp;
import dev.cortado.ops.Arithmetic;
import dev.cortado.ops.Attention;
import dev.cortado.ops.LayerNormalization;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Shapes;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

import java.util.Arrays;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/** Elementwise maths with ONNX (numpy) broadcasting, matrix products, softmax, layer normalisation, reductions, Where and Cast. */
final class MathOps {

    private MathOps() {
    }

    static OpTable.Factory unary(UnaryOperator<Tensor> f) {
        return c -> in -> Op.one(Value.of(f.apply(in[0].tensor()), in[0].type()));
    }

    /**
     * A broadcasting binary op. Integer Div (shape arithmetic, ids) rounds toward zero as ONNX's
     * does, through the host; integer Add, Sub and Mul are exact in floats up to 2^24.
     */
    static OpTable.Factory binary(BinaryOperator<Tensor> f) {
        return c -> {
            boolean div = c.node.getOpType().equals("Div");
            return in -> {
                Tensor y = f.apply(in[0].tensor(), in[1].tensor());
                if (div && in[0].isInteger() && in[1].isInteger()) y = truncated(y);
                return Op.one(Value.of(y, in[0].type()));
            };
        };
    }

    private static Tensor truncated(Tensor y) {
        float[] v = y.toArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] < 0 ? Math.ceil(v[i]) : Math.floor(v[i]));
        return Tensor.of(y.device(), v, y.shape());
    }

    static OpTable.Factory comparison(BinaryOperator<Tensor> f) {
        return c -> in -> Op.one(Value.of(f.apply(in[0].tensor(), in[1].tensor()), Value.BOOL));
    }

    /** x^y; a constant scalar exponent takes Tensor.pow(float) (x², √x without a broadcast tensor). */
    static Op pow(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor(), e = in[1].tensor();
            Tensor y = in[1].constant() && e.numel() == 1 && e.dim() <= x.dim() ? x.pow(e.toArray()[0]) : Arithmetic.pow(x, e);
            return Op.one(Value.of(y, in[0].type()));
        };
    }

    /**
     * erf(x), by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7) composed of
     * differentiable ops: sign(x) · (1 - t·P(t)·exp(-x²)), t = 1 / (1 + 0.3275911·|x|).
     */
    static Tensor erf(Tensor x) {
        Tensor a = x.abs();
        Tensor t = a.mul(0.3275911f).add(1f).rdiv(1f);
        Tensor p = t.mul(1.061405429f).add(-1.453152027f).mul(t).add(1.421413741f).mul(t).add(-0.284496736f).mul(t).add(0.254829592f).mul(t);
        Tensor y = p.mul(x.square().neg().exp()).rsub(1f);
        Tensor sign = x.ge(0f).mul(2f).sub(1f);
        return y.mul(sign);
    }

    /** Clip (ReLU6 in MobileNetV2): min and max optional inputs; constant bounds take one clamp. */
    static Op clip(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            Value lo = in.length > 1 ? in[1] : null, hi = in.length > 2 ? in[2] : null;
            if ((lo == null || lo.constant()) && (hi == null || hi.constant())) {
                float a = lo == null ? Float.NEGATIVE_INFINITY : lo.tensor().toArray()[0];
                float b = hi == null ? Float.POSITIVE_INFINITY : hi.tensor().toArray()[0];
                if (lo != null && hi != null) return Op.one(Value.of(x.clamp(a, b), in[0].type()));
                return Op.one(Value.of(lo != null ? x.maximum(a) : hi != null ? x.minimum(b) : x.reshape(x.shape()), in[0].type()));
            }
            Tensor y = lo == null ? x : x.maximum(lo.tensor());
            if (hi != null) y = y.minimum(hi.tensor());
            return Op.one(Value.of(y, in[0].type()));
        };
    }

    static Op gelu(NodeContext c) {
        String approximate = approximate(c);
        return in -> Op.one(Value.of(in[0].tensor().gelu(approximate), in[0].type()));
    }

    /** A GELU's form: attribute {@code approximate}, "none" (the default) or "tanh". */
    private static String approximate(NodeContext c) {
        String approximate = c.string("approximate", "none");
        c.require(approximate.equals("none") || approximate.equals("tanh"), "approximate", approximate);
        return approximate;
    }

    static Op gemm(NodeContext c) {
        float alpha = c.real("alpha", 1f), beta = c.real("beta", 1f);
        boolean ta = c.integer("transA", 0) != 0, tb = c.integer("transB", 0) != 0;
        return in -> {
            Tensor a = in[0].tensor(), b = in[1].tensor(), bias = in.length > 2 && in[2] != null ? in[2].tensor() : null;
            Tensor y;
            if (!ta && alpha == 1f && beta == 1f && a.dim() == 2 && b.dim() == 2
                    && (bias == null || bias.dim() == 1 && bias.size(0) == b.size(tb ? 0 : 1))) {
                y = Linalg.linearFused(a, b, tb, bias, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY); // (torch's Linear: x · wᵀ + b)
            } else {
                y = Linalg.matmul(a, ta, b, tb);
                if (alpha != 1f) y = y.mul(alpha);
                if (bias != null && beta != 0f) y = y.add(beta == 1f ? bias : bias.mul(beta));
            }
            return Op.one(Value.of(y, in[0].type()));
        };
    }

    /**
     * What {@link LinearFusion} makes of MatMul + Add (+ Add of a residual) (+ Relu, Clip or Gelu)
     * and Gemm with them: one GEMM with its tail. A residual that does not have the product's shape
     * (one that broadcasts) is added, and the activation applied, after the GEMM instead.
     */
    static Op linear(NodeContext c) {
        boolean transB = c.integer("transB", 0) != 0;
        boolean gelu = c.string("activation", "").equals("Gelu");
        String approximate = gelu ? approximate(c) : null;
        float[] bounds = gelu ? new float[] {0f, 0f} : c.activationBounds();
        UnaryOp act = !gelu ? UnaryOp.CLAMP : approximate.equals("tanh") ? UnaryOp.GELU : UnaryOp.GELU_ERF;
        return in -> {
            Tensor x = in[0].tensor(), w = in[1].tensor();
            Tensor bias = in.length > 2 && in[2] != null ? in[2].tensor() : null;
            Tensor z = in.length > 3 && in[3] != null ? in[3].tensor() : null;
            int[] shape = x.shape().clone();
            if (shape.length > 0 && w.dim() == 2) shape[shape.length - 1] = w.size(transB ? 0 : 1);
            if (z == null || Arrays.equals(z.shape(), shape)) {
                return Op.one(Value.of(Linalg.linearFused(x, w, transB, bias, z, act, bounds[0], bounds[1]), in[0].type()));
            }
            Tensor s = Arithmetic.add(Linalg.linearFused(x, w, transB, bias, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY), z);
            Tensor y = gelu ? s.gelu(approximate) : bounds[0] == Float.NEGATIVE_INFINITY && bounds[1] == Float.POSITIVE_INFINITY ? s
                    : s.clamp(bounds[0], bounds[1]);
            return Op.one(Value.of(y, in[0].type()));
        };
    }

    static Op matMul(NodeContext c) {
        return in -> Op.one(Value.of(Linalg.matmul(in[0].tensor(), in[1].tensor()), in[0].type()));
    }

    /**
     * What {@link AttentionFusion} makes of torch's attention subgraph: the fused attention with
     * the subgraph's scale, and with its causal mask when it had one (whose [L, S] q and k must have).
     */
    static Op attention(NodeContext c) {
        AttentionAttributes a = AttentionAttributes.of(c);
        int[] mask = a.mask();
        return in -> {
            Tensor q = in[0].tensor(), k = in[1].tensor(), v = in[2].tensor();
            if (mask != null && (q.dim() < 2 || k.dim() < 2 || q.size(-2) != mask[0] || k.size(-2) != mask[1])) {
                throw new IllegalArgumentException("the causal mask " + Shape.str(mask) + " does not fit q " + Shape.str(q.shape())
                        + " and k " + Shape.str(k.shape()));
            }
            return Op.one(Value.of(Attention.scaledDotProductAttention(q, k, v, a.causal(), 0f, null, a.scale()), in[0].type()));
        };
    }

    /**
     * What {@link SelfAttentionFusion} makes of torch's batch-first multi-head attention block:
     * {@link Attention#selfAttention(Tensor, int, boolean, float)} on the packed projection P [B, L, 3E]
     * (inputs: P and the three slices' starts and ends), giving [B, L, E]. Checks what the fusion
     * assumed of the shapes (attributes head_shapes, rows_shape, out_shape: the Reshapes' targets)
     * and throws {@link SelfAttentionFusion.Declined} where it does not hold.
     */
    static Op selfAttention(NodeContext c) {
        AttentionAttributes a = AttentionAttributes.of(c);
        int[] mask = a.mask(), heads = c.ints("head_shapes"), rows = c.ints("rows_shape"), out = c.ints("out_shape");
        if (heads == null || heads.length != 9 || rows == null || rows.length != 2 || out == null || out.length != 3) {
            throw c.refuse("attributes head_shapes (9), rows_shape (2) and out_shape (3) are required");
        }
        return in -> {
            Tensor p = in[0].tensor();
            if (p.dim() != 3 || p.size(2) % 3 != 0) throw new SelfAttentionFusion.Declined("P " + Shape.str(p.shape()) + " is not [B, L, 3E]");
            int b = p.size(0), l = p.size(1), e = p.size(2) / 3, d = heads[2];
            for (int i = 0; i < 3; i++) {
                long from = sliceBound(in[1 + 2 * i].longs("starts"), 3L * e), to = sliceBound(in[2 + 2 * i].longs("ends"), 3L * e);
                if (from != (long) i * e || to != (long) (i + 1) * e) throw new SelfAttentionFusion.Declined("slice " + i + " is not a third of P");
                if (heads[3 * i] != l || heads[3 * i + 2] != d || d == 0 || e % d != 0 || heads[3 * i + 1] != (long) b * (e / d)) {
                    throw new SelfAttentionFusion.Declined("heads " + Arrays.toString(Arrays.copyOfRange(heads, 3 * i, 3 * i + 3)) + " for P "
                            + Shape.str(p.shape()));
                }
            }
            if (rows[0] != (long) l * b || rows[1] != e || out[0] != l || out[1] != b || a.causal() && (mask[0] != l || mask[1] != l)) {
                throw new SelfAttentionFusion.Declined("rows " + Arrays.toString(rows) + ", out " + Arrays.toString(out) + " for P " + Shape.str(p.shape()));
            }
            return Op.one(Value.of(Attention.selfAttention(p, e / d, a.causal(), a.scale()), in[0].type()));
        };
    }

    /** A fused attention node's scale, causal and (with causal) mask_shape [L, S]. */
    private record AttentionAttributes(float scale, boolean causal, int[] mask) {
        static AttentionAttributes of(NodeContext c) {
            float scale = c.real("scale", Float.NaN);
            boolean causal = c.integer("causal", 0) != 0;
            int[] mask = c.ints("mask_shape");
            if (!Float.isFinite(scale)) throw c.refuse("attribute scale is missing or not finite");
            if (causal != (mask != null && mask.length == 2)) throw c.refuse("a causal attention needs its mask_shape [L, S], and only it");
            return new AttentionAttributes(scale, causal, mask);
        }
    }

    /** A one-axis Slice's start or end as ONNX reads it on an axis of n (negative from the end, clamped to [0, n]). */
    private static long sliceBound(long[] v, long n) {
        if (v.length != 1) return -1;
        long x = v[0] < 0 ? v[0] + n : v[0];
        return Math.max(0, Math.min(n, x));
    }

    static OpTable.Factory softmax(boolean log) {
        return c -> {
            int axis = Math.toIntExact(c.integer("axis", -1));
            return in -> {
                Tensor x = in[0].tensor();
                return Op.one(Value.of(log ? Softmax.logSoftmax(x, axis) : Softmax.softmax(x, axis), in[0].type()));
            };
        };
    }

    static Op layerNormalization(NodeContext c) {
        int axis = Math.toIntExact(c.integer("axis", -1));
        float eps = c.real("epsilon", 1e-5f);
        long stash = c.integer("stash_type", 1);
        c.require(stash == 1, "stash_type", stash);
        c.atMostOutputs(1);
        return in -> {
            Tensor x = in[0].tensor();
            int a = axis < 0 ? axis + x.dim() : axis;
            if (a < 0 || a >= x.dim()) throw new IllegalArgumentException("axis " + axis + " for shape " + Shape.str(x.shape()));
            int[] normalized = Arrays.copyOfRange(x.shape(), a, x.dim());
            Tensor w = in[1].tensor(), b = in.length > 2 && in[2] != null ? in[2].tensor() : null;
            return Op.one(Value.of(LayerNormalization.layerNorm(x, normalized, fit(w, normalized), b == null ? null : fit(b, normalized), eps),
                    in[0].type()));
        };
    }

    /** A scale or bias broadcastable to the normalised shape, as that shape. */
    private static Tensor fit(Tensor t, int[] shape) {
        if (Arrays.equals(t.shape(), shape)) return t;
        return t.expand(shape).contiguous();
    }

    /** ReduceMean/ReduceSum: axes from the attribute (ReduceMean to opset 17) or the second input (ReduceSum from opset 13). */
    static OpTable.Factory reduce(boolean mean, boolean axesAsInput) {
        return c -> {
            boolean keep = c.integer("keepdims", 1) != 0;
            boolean noopEmpty = axesAsInput && c.integer("noop_with_empty_axes", 0) != 0;
            int[] attrAxes = axesAsInput ? null : c.ints("axes");
            return in -> {
                Tensor x = in[0].tensor();
                int[] axes = axesAsInput ? (in.length > 1 && in[1] != null ? in[1].ints("axes") : null) : attrAxes;
                if (axes == null || axes.length == 0) {
                    if (noopEmpty) return Op.one(Value.of(x.reshape(x.shape()), in[0].type()));
                    axes = new int[x.dim()];
                    for (int i = 0; i < axes.length; i++) axes[i] = i;
                }
                Tensor y = mean ? x.mean(axes, keep) : x.sum(axes, keep);
                return Op.one(Value.of(y, in[0].type()));
            };
        };
    }

    /**
     * where(c, x, y) exactly (infinities included): x and y stacked on a new last axis as [y, x]
     * and the condition (0 or 1) gathering from it; differentiable in x and y.
     */
    static Op where(NodeContext c) {
        return in -> {
            Tensor cond = in[0].tensor(), x = in[1].tensor(), y = in[2].tensor();
            int[] shape = ShapeOps.broadcast(ShapeOps.broadcast(cond.shape(), x.shape()), y.shape());
            int[] indexShape = Arrays.copyOf(shape, shape.length + 1);
            indexShape[shape.length] = 1;
            Tensor pick = cond.ne(0f).expand(shape).contiguous().reshape(indexShape);
            Tensor both = Shapes.stack(shape.length, y.expand(shape), x.expand(shape));
            return Op.one(Value.of(Shapes.gather(both, shape.length, pick).reshape(shape), in[1].type()));
        };
    }

    /**
     * Cast: to a floating type leaves Cortado's float values as they are; to an integer type
     * rounds toward zero (through the host: meant for ids and shape arithmetic) and to bool
     * compares with 0.
     */
    static Op cast(NodeContext c) {
        int to = Math.toIntExact(c.integer("to", 0));
        c.require(Value.isFloat(to) || Value.isInteger(to), "to", to);
        return in -> {
            Value v = in[0];
            if (Value.isFloat(to) || v.type() == to || v.isInteger() && to != Value.BOOL) return Op.one(Value.of(v.tensor(), TensorData.valueType(to)));
            if (to == Value.BOOL) return Op.one(Value.of(v.tensor().ne(0f), Value.BOOL));
            return Op.one(Value.of(truncated(v.tensor()), to)); // ids: read back, rounded toward zero on the host, not differentiable
        };
    }
}
