package dev.cortado.spark;

import dev.cortado.tensor.Tensor;
import java.io.Serializable;

/** (network output, labels) → the scalar mean loss of a batch, e.g. {@code Losses::softmaxCrossEntropy}. */
@FunctionalInterface
public interface LossFunction extends Serializable {
    Tensor loss(Tensor output, Tensor labels);
}
