package dev.cortado.autograd;

import dev.cortado.tensor.Tensor;

/** The backward formula of one op: gradient of the output in, gradients of the inputs out. */
@FunctionalInterface
public interface Backward {
    Tensor[] apply(Tensor gradOutput);
}
