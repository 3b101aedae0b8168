package dev.cortado.tensor;

/**
 * One recorded op on the autograd tape: its name, inputs and backward formula. The backward
 * receives the gradient of the op's output and returns one gradient per input (null where the
 * input needs none); each returned tensor must be new (a fresh tensor or a view).
 */
final class Node {

    final String op;
    final Tensor[] inputs;
    final Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }
}
