package dev.cortado.nn;

import dev.cortado.ops.Linalg;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.GradMode;
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
        Tensor d = prediction.sub(target);
        return d.mul(d).mean();
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
        float[] t = targets.toArray(), both = new float[2 * n];
        for (int i = 0; i < n; i++) {
            both[2 * i] = 1 - t[i];
            both[2 * i + 1] = t[i];
        }
        // [0, x] per row = x [n,1] · [0 1]
        Tensor pairs = Linalg.matmul(logits.reshape(n, 1), Tensor.of(new float[] {0, 1}, 1, 2));
        return pairs.logSoftmax().mul(Tensor.of(both, n, 2)).sum().mul(-1f / n);
    }

    /** Fraction of rows whose largest logit is at the label. */
    public static double accuracy(Tensor logits, Tensor labels) {
        try (GradMode off = GradMode.off(); Tensor predicted = logits.argmax()) {
            float[] p = predicted.toArray(), l = labels.toArray();
            if (p.length != l.length) throw new IllegalArgumentException("accuracy: " + p.length + " predictions for " + l.length + " labels");
            int correct = 0;
            for (int i = 0; i < p.length; i++) if (p[i] == l[i]) correct++;
            return p.length == 0 ? 0 : (double) correct / p.length;
        }
    }
}
