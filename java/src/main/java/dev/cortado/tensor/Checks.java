package dev.cortado.tensor;

import java.util.Arrays;

/**
 * Argument checks shared by Tensor and the ops (dev.cortado.ops): each failure names the op, the
 * argument and the shapes or devices.
 */
public final class Checks {

    private Checks() {
    }

    public static void notNull(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (t.isClosed()) throw new IllegalStateException(op + ": " + name + " " + Shape.str(t.shape()) + " was closed");
    }

    public static void sameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": operands on different devices (" + a.device() + " and " + b.device() + ")");
        }
    }

    public static void sameShape(String op, Tensor a, Tensor b) {
        notNull(op, "a", a);
        notNull(op, "b", b);
        sameDevice(op, a, b);
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": shapes differ: " + Shape.str(a.shape()) + " vs " + Shape.str(b.shape()));
        }
    }

    public static void rank(String op, String name, Tensor t, int rank) {
        notNull(op, name, t);
        if (t.dim() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + rank + "-D, got shape " + Shape.str(t.shape()));
        }
    }

    /** A fused activation's clamp range: lo {@literal <=} hi, neither NaN. */
    public static void clampRange(String op, float lo, float hi) {
        if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) {
            throw new IllegalArgumentException(op + ": clamp range [" + lo + ", " + hi + "] is not lo <= hi");
        }
    }

    /** An optional bias: null, or 1-D with {@code size} elements on x's device. */
    public static void bias(String op, Tensor x, Tensor bias, int size, String what) {
        if (bias == null) return;
        rank(op, "bias", bias, 1);
        sameDevice(op, x, bias);
        if (bias.size(0) != size) {
            throw new IllegalArgumentException(op + ": bias " + Shape.str(bias.shape()) + " does not match " + size + " " + what);
        }
    }

    /** Rows (all but the last dimension) and columns (the last) of a tensor with dim >= 1. */
    public static int[] rowsCols(String op, Tensor t) {
        notNull(op, "x", t);
        if (t.dim() < 1) throw new IllegalArgumentException(op + ": needs at least 1 dimension, got a 0-d tensor");
        int cols = t.size(-1);
        return new int[] {cols == 0 ? 0 : (int) (t.numel() / cols), cols};
    }
}
