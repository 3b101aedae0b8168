package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/** Softmax, log-softmax and softmax cross-entropy, over the last dimension. */
public final class Softmax {

    private Softmax() {
    }

    public static Tensor softmax(Tensor x) {
        return softmax(x, -1);
    }

    public static Tensor logSoftmax(Tensor x) {
        return logSoftmax(x, -1);
    }

    /** Softmax along dim (negative counts from the end). */
    public static Tensor softmax(Tensor x, int dim) {
        return alongAxis("softmax", x, dim, KernelSet::softmaxForward, KernelSet::softmaxBackward);
    }

    /** Log-softmax along dim. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return alongAxis("log_softmax", x, dim, KernelSet::logSoftmaxForward, KernelSet::logSoftmaxBackward);
    }

    /**
     * Mean softmax cross-entropy (Caffe's SoftmaxWithLoss, Mocha's SoftmaxLoss) of logits
     * [batch, classes] against labels [batch] holding class indices; a 0-d tensor.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        Checks.rank("cross_entropy", "logits", logits, 2);
        Checks.rank("cross_entropy", "labels", labels, 1);
        Checks.sameDevice("cross_entropy", logits, labels);
        int rows = logits.size(0), cols = logits.size(1);
        if (labels.size(0) != rows) {
            throw new IllegalArgumentException("cross_entropy: labels " + Shape.str(labels.shape()) + " do not match logits "
                    + Shape.str(logits.shape()));
        }
        if (rows == 0) throw new IllegalArgumentException("cross_entropy: empty batch");
        KernelSet k = logits.kernels();
        Tensor probs = Tensor.empty(logits.device(), rows, cols);
        Tensor out;
        try (Tensor perRow = Tensor.empty(logits.device(), rows)) {
            k.softmaxCrossEntropyForward(rows, cols, logits.ptr(), labels.ptr(), probs.ptr(), perRow.ptr());
            out = Tensor.empty(logits.device());
            k.sum(rows, perRow.ptr(), out.ptr());
            k.scale(1, 1f / rows, out.ptr(), out.ptr());
        }
        Autograd.record(out, "cross_entropy", Autograd.saves(labels), g -> {
            try (Tensor perSample = Tensor.empty(logits.device(), rows, cols)) {
                k.softmaxCrossEntropyBackward(rows, cols, probs.ptr(), labels.ptr(), 1f / rows, perSample.ptr());
                return new Tensor[] {Arithmetic.scaleBy(perSample, g), null};
            }
        }, logits, labels);
        if (!out.requiresGrad()) probs.close(); // only the backward needs the probabilities
        return out;
    }

    /**
     * PyTorch's cross_entropy(logits, labels, weight, ignore_index, label_smoothing) with mean
     * reduction, for logits [batch, classes] and labels [batch]: class weights (null for none)
     * weigh each row by its label's weight and the mean divides by their sum; rows labelled
     * {@code ignoreIndex} count for nothing; label smoothing ε mixes (1 - ε)·NLL with ε times the
     * mean over classes of -log p, as PyTorch does. NaN when every row is ignored (as PyTorch).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, Tensor weight, int ignoreIndex, float labelSmoothing) {
        checkLoss("cross_entropy", logits, labels, weight);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("cross_entropy: label_smoothing must be in [0, 1], got " + labelSmoothing);
        }
        Tensor logp = logSoftmax(logits, 1);
        Tensor[] parts = weightedPick(logp, labels, weight, ignoreIndex); // {Σ w·log p[label], Σ w, valid}
        Tensor ratio = Arithmetic.div(parts[0], parts[1]), nll = ratio.neg();
        if (labelSmoothing == 0) {
            Autograd.closeUnlessRecorded(nll, logp, parts[0], parts[1], parts[2], ratio);
            return Autograd.named(nll, "cross_entropy");
        }
        // ε/C · Σ_rows valid · Σ_c w_c · (-log p_c) / Σ w
        Tensor perClass = weight == null ? logp : Arithmetic.mul(logp, weight);
        Tensor perRow = Reductions.sum(perClass, new int[] {1}, false);
        Tensor kept = Arithmetic.mul(perRow, parts[2]);
        Tensor keptSum = Reductions.sum(kept);
        Tensor smooth = Arithmetic.div(keptSum, parts[1]);
        int classes = logits.size(1);
        Tensor hard = nll.mul(1 - labelSmoothing), soft = smooth.mul(labelSmoothing / classes);
        Tensor loss = Arithmetic.sub(hard, soft);
        Autograd.closeUnlessRecorded(loss, logp, parts[0], parts[1], parts[2], ratio, nll, perClass == logp ? null : perClass, perRow, kept,
                keptSum, smooth, hard, soft);
        return Autograd.named(loss, "cross_entropy");
    }

    /** PyTorch's nll_loss with mean reduction: -Σ w[label]·logProbs[row, label] / Σ w[label] over the rows not ignored. */
    public static Tensor nllLoss(Tensor logProbs, Tensor labels, Tensor weight, int ignoreIndex) {
        checkLoss("nll_loss", logProbs, labels, weight);
        Tensor[] parts = weightedPick(logProbs, labels, weight, ignoreIndex);
        Tensor ratio = Arithmetic.div(parts[0], parts[1]), loss = ratio.neg();
        Autograd.closeUnlessRecorded(loss, parts[0], parts[1], parts[2], ratio);
        return Autograd.named(loss, "nll_loss");
    }

    /** {Σ_rows w·logp[row, label], Σ_rows w, valid[rows]} with w = weight[label] (1 without weights), 0 on ignored rows. */
    private static Tensor[] weightedPick(Tensor logp, Tensor labels, Tensor weight, int ignoreIndex) {
        Tensor valid = labels.ne(ignoreIndex);                  // 1 where the row counts
        Tensor safe = Arithmetic.mul(labels, valid);            // ignored rows read class 0 (and count 0)
        Tensor column = safe.unsqueeze(1);
        Tensor picked = Shapes.gather(logp, 1, column).squeeze(1);
        Tensor wl = weight == null ? null : Shapes.indexSelect(weight, 0, safe);
        Tensor w = wl == null ? valid : Arithmetic.mul(wl, valid);
        Tensor product = Arithmetic.mul(picked, w);
        Tensor num = Reductions.sum(product), den = Reductions.sum(w);
        Autograd.closeUnlessRecorded(num, safe, column, picked, product, wl, w == valid ? null : w);
        return new Tensor[] {num, den, valid};
    }

    private static void checkLoss(String op, Tensor input, Tensor labels, Tensor weight) {
        Checks.rank(op, "input", input, 2);
        Checks.rank(op, "labels", labels, 1);
        Checks.sameDevice(op, input, labels);
        if (labels.size(0) != input.size(0)) {
            throw new IllegalArgumentException(op + ": labels " + Shape.str(labels.shape()) + " do not match input " + Shape.str(input.shape()));
        }
        if (weight != null) {
            Checks.rank(op, "weight", weight, 1);
            Checks.sameDevice(op, input, weight);
            if (weight.size(0) != input.size(1)) {
                throw new IllegalArgumentException(op + ": weight " + Shape.str(weight.shape()) + " does not match the " + input.size(1)
                        + " classes of input " + Shape.str(input.shape()));
            }
        }
    }

    interface Forward {
        void run(KernelSet k, int rows, int cols, Ptr x, Ptr y);
    }

    interface BackwardKernel {
        void run(KernelSet k, int rows, int cols, Ptr y, Ptr dy, Ptr dx);
    }

    /**
     * A row kernel along any axis: the last axis directly; another one moved last by a strided
     * copy (x as [outer, len, inner] read as [outer, inner, len]) and moved back after.
     */
    private static Tensor alongAxis(String op, Tensor x, int dim, Forward forward, BackwardKernel backward) {
        Checks.notNull(op, "x", x);
        int[] s = x.shape();
        int d = Strides.axis(op, dim, s);
        if (d == s.length - 1) return rowwise(op, x, forward, backward);
        long outer = Strides.prod(s, 0, d), inner = Strides.prod(s, d + 1, s.length);
        int len = s[d];
        int[] moved = {(int) outer, (int) inner, len};
        long[] toLast = {len * inner, 1, inner};        // read [outer, len, inner] as [outer, inner, len]
        KernelSet k = x.kernels();
        int rows = (int) (outer * inner);
        Tensor ym;
        try (Tensor xm = Strides.copy(x, moved, toLast, 0)) {
            ym = Tensor.empty(x.device(), moved);
            forward.run(k, rows, len, xm.ptr(), ym.ptr());
        }
        Tensor y = Tensor.empty(x.device(), s);
        Strides.copyInto(ym, y, toLast, 0); // and back
        if (!x.requiresGrad()) {
            ym.close();
            return y;
        }
        return Autograd.record(y, op, Autograd.saves(y), g -> {
            try (Tensor gm = Strides.copy(g, moved, toLast, 0); Tensor dxm = Tensor.empty(x.device(), moved)) {
                backward.run(k, rows, len, ym.ptr(), gm.ptr(), dxm.ptr());
                Tensor dx = Tensor.empty(x.device(), s);
                Strides.copyInto(dxm, dx, toLast, 0);
                return new Tensor[] {dx};
            }
        }, x);
    }

    private static Tensor rowwise(String op, Tensor x, Forward forward, BackwardKernel backward) {
        int[] rc = Checks.rowsCols(op, x);
        Tensor y = Tensor.empty(x.device(), x.shape());
        forward.run(x.kernels(), rc[0], rc[1], x.ptr(), y.ptr());
        return Autograd.record(y, op, Autograd.saves(y), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            backward.run(x.kernels(), rc[0], rc[1], y.ptr(), g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }
}
