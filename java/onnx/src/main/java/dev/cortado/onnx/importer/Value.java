package dev.cortado.onnx.importer;

import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * One ONNX value while a graph is loaded or run: the tensor (Cortado tensors hold floats; ONNX
 * integers and booleans are held as exact float values), its ONNX element type, and whether it is
 * a constant known at load (an integer initializer, a Constant, or computed only from constants —
 * those are folded: computed once at load).
 */
record Value(Tensor tensor, int type, boolean constant) {

    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10, DOUBLE = 11,
            UINT32 = 12, UINT64 = 13;

    /** A computed value: constant only if the loader finds that all its inputs were. */
    static Value of(Tensor tensor, int type) {
        return new Value(tensor, type, false);
    }

    static boolean isInteger(int type) {
        return type == INT8 || type == INT16 || type == INT32 || type == INT64 || type == UINT8 || type == UINT16 || type == UINT32
                || type == UINT64 || type == BOOL;
    }

    static boolean isFloat(int type) {
        return type == FLOAT || type == DOUBLE || type == FLOAT16;
    }

    boolean isInteger() {
        return isInteger(type);
    }

    int[] shape() {
        return tensor.shape();
    }

    /** This constant's values as integers (shape arguments: Reshape's shape, Slice's starts, ...). */
    long[] longs(String what) {
        if (!constant) {
            throw new IllegalArgumentException(what + " must be known at load (static shapes only), but it depends on the graph's inputs");
        }
        float[] f = tensor.toArray();
        long[] out = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            if (f[i] != Math.rint(f[i])) throw new IllegalArgumentException(what + " must hold integers, got " + f[i]);
            out[i] = (long) f[i]; // 2^63-1 (Slice's "to the end") saturates to Long.MAX_VALUE
        }
        return out;
    }

    int[] ints(String what) {
        long[] l = longs(what);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l[i]));
        return out;
    }

    @Override
    public String toString() {
        return (constant ? "constant " : "") + "type " + type + " " + Shape.str(tensor.shape());
    }
}
