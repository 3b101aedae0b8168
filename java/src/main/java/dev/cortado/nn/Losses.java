package dev.cortado.nn;

import dev.cortado.autograd.Autograd;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Device;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/** Losses (each a 0-d tensor, mean over the batch) and the accuracy metric. */
public final class Losses {

    private Losses() {
    }

    /** Mocha's SoftmaxLoss / Caffe's SoftmaxWithLoss: logits [batch, classes], labels [batch] as class indices. */
    public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) {
        return Softmax.crossEntropy(logits, labels);
    }

    /** Mean squared error over all elements. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        Tensor d = prediction.sub(target), sq = d.mul(d), y = sq.mean();
        Autograd.closeUnlessRecorded(y, d, sq);
        return Autograd.named(y, "mse");
    }

    /**
     * Binary cross-entropy on logits x [batch, 1] (or [batch]) with targets t in [0, 1]:
     * mean of -(t log σ(x) + (1 - t) log(1 - σ(x))), computed stably as a two-class
     * log-softmax of [0, x].
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets) {
        if (logits.numel() != targets.numel()) {
            throw new IllegalArgumentException("bce: logits " + Shape.str(logits.shape()) + " and targets "
                    + Shape.str(targets.shape()) + " differ in size");
        }
        int n = (int) logits.numel();
        Device d = logits.device();
        // per row, [0, x] = x · [0 1] and the weights [1 - t, t] = t · [-1 1] + 1 · [1 0], all on the device
        Tensor pairs = Linalg.matmul(logits.reshape(n, 1), Tensor.of(d, new float[] {0, 1}, 1, 2));
        Tensor weights = Linalg.matmul(targets.reshape(n, 1), Tensor.of(d, new float[] {-1, 1}, 1, 2))
                .add(Linalg.matmul(Tensor.ones(d, n, 1), Tensor.of(d, new float[] {1, 0}, 1, 2)));
        return Autograd.named(pairs.logSoftmax().mul(weights).sum().mul(-1f / n), "binary_cross_entropy_with_logits");
    }

    /** Fraction of rows whose largest logit is at the label (reads one number from the device). */
    public static double accuracy(Tensor logits, Tensor labels) {
        try (Tensor hits = correct(logits, labels)) {
            return labels.numel() == 0 ? 0 : hits.item() / (double) labels.numel();
        }
    }

    /** How many rows' largest logit is at the label, as a 0-d tensor on the logits' device (not recorded). */
    public static Tensor correct(Tensor logits, Tensor labels) {
        try (GradMode off = GradMode.off(); Tensor predicted = logits.argmax()) {
            if (predicted.numel() != labels.numel()) {
                throw new IllegalArgumentException("accuracy: " + predicted.numel() + " predictions for " + labels.numel() + " labels");
            }
            Checks.sameDevice("accuracy", predicted, labels);
            KernelSet k = logits.kernels();
            Tensor hits = Tensor.empty(logits.device());
            try (Tensor equal = Tensor.empty(logits.device(), predicted.shape())) {
                k.equal(predicted.numel(), predicted.ptr(), labels.ptr(), equal.ptr());
                k.sum(equal.numel(), equal.ptr(), hits.ptr());
            }
            return hits;
        }
    }
}
