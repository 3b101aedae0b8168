package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Scaled dot-product attention (PyTorch's {@code F.scaled_dot_product_attention}). Without
 * dropout it is one fused kernel each way ({@code attentionForward}: scores, softmax and the
 * product with v per batch item, keeping only each row's log-sum-exp; {@code attentionBackward}:
 * FlashAttention's gradients from it); with dropout it is composed of the batched GEMM, softmax
 * and dropout, so its gradient is theirs.
 */
public final class Attention {

    private Attention() {
    }

    /**
     * {@code softmax(q·kᵀ / sqrt(E) + mask)·v} for q [..., L, E], k [..., S, E], v [..., S, Ev]
     * (batch axes broadcast as matmul's do): a result [..., L, Ev]. With {@code causal} position
     * i attends to positions {@code j <= i} only (PyTorch's is_causal: the upper triangle above the
     * diagonal, aligned at the top left, is -inf before the softmax). With {@code dropoutP > 0}
     * each attention weight is zeroed with that probability and the rest scaled by 1/(1-p),
     * drawn from {@code rng}, as PyTorch does whenever dropout_p is set (a layer passes 0 in eval).
     * Without dropout the scores above the causal diagonal are never computed, so a NaN or inf in
     * a position a row does not attend to does not reach that row (PyTorch's masked_fill of the
     * mask; adding -inf to a NaN score, as the composition with dropout does, would give NaN).
     * A row with no key (S = 0) is 0.
     *
     * @throws IllegalArgumentException naming the argument and the shapes that do not fit
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, float dropoutP, Rng rng) {
        check(q, k, v);
        return attend(q, k, v, causal, dropoutP, rng, defaultScale(q));
    }

    /**
     * As {@link #scaledDotProductAttention(Tensor, Tensor, Tensor, boolean, float, Rng)} with the
     * scores multiplied by {@code scale} instead of {@code 1/sqrt(E)} (PyTorch's {@code scale}
     * argument).
     *
     * @throws IllegalArgumentException naming the argument when the shapes do not fit or the scale is not finite
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, float dropoutP, Rng rng, float scale) {
        check(q, k, v);
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("scaled_dot_product_attention: scale must be finite, got " + scale);
        return attend(q, k, v, causal, dropoutP, rng, scale);
    }

    /**
     * Multi-head self-attention over a packed projection, as PyTorch's nn.MultiheadAttention
     * computes it: qkv [batch, L, 3·E] holds each position's q, k and v, each the E = heads·D
     * features of its heads (laid out [batch, L, 3, heads, D]); the result is the heads' attended
     * values side by side, [batch, L, E], ready for the output projection. The fused kernels read
     * q, k and v where they lie and write the result in place: no head is copied out or back (the
     * reshape and transpose of PyTorch's formulation). Scale 1/sqrt(D); causal as
     * {@link #scaledDotProductAttention}; no dropout. Differentiable in qkv.
     *
     * @throws IllegalArgumentException naming qkv's shape when it is not [batch, L, 3·heads·D], D >= 1
     */
    public static Tensor selfAttention(Tensor qkv, int heads, boolean causal) {
        return selfAttention(qkv, heads, causal, (float) (1 / Math.sqrt(headSize(qkv, heads))));
    }

    /**
     * As {@link #selfAttention(Tensor, int, boolean)} with the scores multiplied by {@code scale}
     * instead of {@code 1/sqrt(D)}.
     *
     * @throws IllegalArgumentException naming qkv's shape when it does not fit, or the scale when it is not finite
     */
    public static Tensor selfAttention(Tensor qkv, int heads, boolean causal, float scale) {
        String op = "self_attention";
        int d = headSize(qkv, heads);
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
        int b = qkv.size(0), l = qkv.size(1), width = qkv.size(2), embed = width / 3;
        KernelSet kernels = qkv.kernels();
        Tensor out = Tensor.empty(qkv.device(), b, l, embed);
        Tensor lse = Tensor.empty(qkv.device(), b, heads, l);
        Ptr q = qkv.ptr(), k = q.at(embed), v = q.at(2L * embed);
        kernels.attentionForward(b, heads, l, l, d, d, scale, causal, q, k, width, v, width, out.ptr(), embed, lse.ptr());
        if (!Autograd.needsGrad(qkv)) {
            lse.close();
            return out;
        }
        return Autograd.record(out, op, Autograd.saves(qkv, out), g -> {
            Tensor dq = Tensor.empty(qkv.device(), b, heads, l, d), dk = Tensor.empty(qkv.device(), b, heads, l, d);
            Tensor dv = Tensor.empty(qkv.device(), b, heads, l, d);
            Ptr p = qkv.ptr();
            kernels.attentionBackward(b, heads, l, l, d, d, scale, causal, p, p.at(embed), width, p.at(2L * embed), width, out.ptr(), g.ptr(),
                    embed, lse.ptr(), dq.ptr(), dk.ptr(), dv.ptr());
            Tensor dqkv = Tensor.empty(qkv.device(), b, l, width);
            long[] heads4 = {(long) l * width, d, width, 1}; // [batch, heads, L, D] into [batch, L, 3, heads, D]
            try (dq; dk; dv) {
                Strides.copyInto(dq, dqkv, heads4, 0);
                Strides.copyInto(dk, dqkv, heads4, embed);
                Strides.copyInto(dv, dqkv, heads4, 2L * embed);
            }
            return new Tensor[] {dqkv};
        }, qkv);
    }

    /** D of a packed projection qkv [batch, L, 3·heads·D], D >= 1. */
    private static int headSize(Tensor qkv, int heads) {
        String op = "self_attention";
        Checks.notNull(op, "qkv", qkv);
        if (heads < 1) throw new IllegalArgumentException(op + ": heads must be >= 1, got " + heads);
        if (qkv.dim() != 3 || qkv.size(2) == 0 || qkv.size(2) % (3 * heads) != 0) {
            throw new IllegalArgumentException(op + ": qkv must be [batch, L, 3 x heads x D] with " + heads + " heads, got "
                    + Shape.str(qkv.shape()));
        }
        return qkv.size(2) / (3 * heads);
    }

    private static float defaultScale(Tensor q) {
        return (float) (1 / Math.sqrt(q.size(-1)));
    }

    private static Tensor attend(Tensor q, Tensor k, Tensor v, boolean causal, float dropoutP, Rng rng, float scale) {
        if (!(dropoutP >= 0 && dropoutP < 1)) {
            throw new IllegalArgumentException("scaled_dot_product_attention: dropoutP must be in [0, 1), got " + dropoutP);
        }
        if (dropoutP > 0 && rng == null) {
            throw new IllegalArgumentException("scaled_dot_product_attention: dropoutP " + dropoutP + " needs a random generator, got null");
        }
        if (dropoutP == 0) return fused(q, k, v, causal, scale);
        Tensor weights = weights(q, k, causal, scale);
        Tensor dropped = Dropout.dropout(weights, dropoutP, rng);
        Tensor out = Linalg.matmul(dropped, false, v, false);
        Autograd.closeUnlessRecorded(out, weights, dropped);
        return Autograd.named(out, "scaled_dot_product_attention");
    }

    /**
     * The attention weights {@code softmax(q·kᵀ / sqrt(E) + mask)} [..., L, S] (each row sums to
     * 1), before any dropout: what {@link #scaledDotProductAttention} multiplies v by.
     */
    public static Tensor attentionWeights(Tensor q, Tensor k, boolean causal) {
        checkQk("attention_weights", q, k);
        return weights(q, k, causal, defaultScale(q));
    }

    private static Tensor weights(Tensor q, Tensor k, boolean causal, float scale) {
        int l = q.size(-2), s = k.size(-2);
        Tensor scores = Linalg.matmul(q, false, k, true);
        Tensor scaled = scores.mul(scale);
        Tensor mask = causal ? causalMask(q, l, s) : null;
        Tensor masked = mask == null ? scaled : Arithmetic.add(scaled, mask);
        Tensor weights = Softmax.softmax(masked, -1);
        Autograd.closeUnlessRecorded(weights, scores, scaled, mask, masked == scaled ? null : masked);
        return Autograd.named(weights, "attention_weights");
    }

    /**
     * The fused kernels on q, k and v repeated to their common batch axes (flattened to one):
     * the forward keeps each row's log-sum-exp [B, L] for the backward, which recomputes the
     * attention weights from it.
     */
    private static Tensor fused(Tensor q, Tensor k, Tensor v, boolean causal, float scale) {
        String op = "scaled_dot_product_attention";
        int[] batch = Strides.broadcast(op, batchAxes(q), Strides.broadcast(op, batchAxes(k), batchAxes(v)));
        Tensor qb = toBatch(q, batch), kb = toBatch(k, batch), vb = toBatch(v, batch);
        int items = (int) Shape.numel(batch), l = q.size(-2), s = k.size(-2), e = q.size(-1), ev = v.size(-1);
        KernelSet kernels = q.kernels();
        Tensor out = Tensor.empty(q.device(), withMatrix(batch, l, ev));
        Tensor lse = Tensor.empty(q.device(), items * l);
        kernels.attentionForward(items, 1, l, s, e, ev, scale, causal, qb.ptr(), kb.ptr(), e, vb.ptr(), ev, out.ptr(), ev, lse.ptr());
        if (!Autograd.needsGrad(qb, kb, vb)) {
            lse.close();
            for (Tensor t : new Tensor[] {qb, kb, vb}) if (t != q && t != k && t != v) t.close();
            return out;
        }
        return Autograd.record(out, op, Autograd.saves(qb, kb, vb, out), g -> {
            Tensor dq = Tensor.empty(q.device(), qb.shape()), dk = Tensor.empty(q.device(), kb.shape());
            Tensor dv = Tensor.empty(q.device(), vb.shape());
            kernels.attentionBackward(items, 1, l, s, e, ev, scale, causal, qb.ptr(), kb.ptr(), e, vb.ptr(), ev, out.ptr(), g.ptr(), ev,
                    lse.ptr(), dq.ptr(), dk.ptr(), dv.ptr());
            return new Tensor[] {keepIf(qb, dq), keepIf(kb, dk), keepIf(vb, dv)};
        }, qb, kb, vb);
    }

    private static int[] batchAxes(Tensor x) {
        return Arrays.copyOf(x.shape(), x.dim() - 2);
    }

    private static int[] withMatrix(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }

    /** x itself when its batch axes are {@code batch}, else x repeated to them (a copy whose gradient sums back). */
    private static Tensor toBatch(Tensor x, int[] batch) {
        if (Arrays.equals(batchAxes(x), batch)) return x;
        return x.expand(withMatrix(batch, x.size(-2), x.size(-1)));
    }

    /** The gradient if its input takes one, else null (the buffer closed). */
    private static Tensor keepIf(Tensor input, Tensor grad) {
        if (input.requiresGrad()) return grad;
        grad.close();
        return null;
    }

    /** [L, S]: 0 where {@code j <= i}, -inf above the diagonal. */
    private static Tensor causalMask(Tensor like, int l, int s) {
        float[] m = new float[l * s];
        for (int i = 0; i < l; i++) for (int j = i + 1; j < s; j++) m[i * s + j] = Float.NEGATIVE_INFINITY;
        return Tensor.of(like.device(), m, l, s);
    }

    private static void check(Tensor q, Tensor k, Tensor v) {
        String op = "scaled_dot_product_attention";
        checkQk(op, q, k);
        Checks.notNull(op, "v", v);
        Checks.sameDevice(op, q, v);
        if (v.dim() < 2) throw new IllegalArgumentException(op + ": v needs at least 2 dimensions [..., S, Ev], got " + Shape.str(v.shape()));
        if (v.size(-2) != k.size(-2)) {
            throw new IllegalArgumentException(op + ": v " + Shape.str(v.shape()) + " has " + v.size(-2) + " positions but k "
                    + Shape.str(k.shape()) + " has " + k.size(-2));
        }
    }

    private static void checkQk(String op, Tensor q, Tensor k) {
        Checks.notNull(op, "q", q);
        Checks.notNull(op, "k", k);
        Checks.sameDevice(op, q, k);
        if (q.dim() < 2) throw new IllegalArgumentException(op + ": q needs at least 2 dimensions [..., L, E], got " + Shape.str(q.shape()));
        if (k.dim() < 2) throw new IllegalArgumentException(op + ": k needs at least 2 dimensions [..., S, E], got " + Shape.str(k.shape()));
        if (q.size(-1) != k.size(-1)) {
            throw new IllegalArgumentException(op + ": q " + Shape.str(q.shape()) + " and k " + Shape.str(k.shape())
                    + " differ in the embedding size E (last axis)");
        }
        if (q.size(-1) == 0) throw new IllegalArgumentException(op + ": q " + Shape.str(q.shape()) + " has embedding size 0");
    }
}
