package dev.cortado.autograd;

import dev.cortado.tensor.Tensor;

/**
 * One recorded op on the autograd tape: its name, inputs and backward formula. The backward
 * receives the gradient of the op's output and returns one gradient per input (null where the
 * input needs none); each returned tensor must be new (a fresh tensor or a view).
 */
public final class Node {

    String op;              // renamed by Autograd.named for composite ops
    Tensor[] inputs;        // the next three are dropped by release() after a backward without retainGraph
    Backward backward;
    Tensor[] saved;         // the tensors the backward formula reads
    final int[] versions;   // their versions when the op ran

    Node(String op, Tensor[] inputs, Backward backward, Tensor[] saved) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
        this.saved = saved;
        this.versions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) versions[i] = saved[i].version();
    }

    /** Whether a backward without retainGraph ran through this node and dropped what it saved. */
    boolean released() {
        return backward == null;
    }

    /** Drops the inputs, the backward formula and the tensors it captured, so that their memory can be freed. */
    void release() {
        inputs = null;
        backward = null;
        saved = null;
    }

    /** Throws if a tensor the backward reads was changed in place since the op ran. */
    void checkSaved() {
        for (int i = 0; i < saved.length; i++) {
            if (saved[i].version() != versions[i]) {
                throw new IllegalStateException("backward of " + op + ": a tensor " + java.util.Arrays.toString(saved[i].shape())
                        + " it saved was modified in place after " + op + " ran (version " + versions[i] + ", now "
                        + saved[i].version() + "); change a copy instead, or change it after backward()");
            }
        }
    }

    /** The op's name, e.g. "matmul". */
    public String op() {
        return op;
    }
}
