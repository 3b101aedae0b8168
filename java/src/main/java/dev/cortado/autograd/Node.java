package dev.cortado.autograd;

import dev.cortado.tensor.Tensor;

/**
 * One recorded op on the autograd tape: its name, inputs and backward formula. The backward
 * receives the gradient of the op's output and returns one gradient per input (null where the
 * input needs none); each returned tensor must be new (a fresh tensor or a view).
 */
public final class Node {

    final String op;
    final Tensor[] inputs;
    final Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    /** The op's name, e.g. "matmul". */
    public String op() {
        return op;
    }
}
