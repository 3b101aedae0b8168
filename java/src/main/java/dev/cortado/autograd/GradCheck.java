package dev.cortado.autograd;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Checks autograd gradients against central differences. The objective is
 * {@code L = Σ r_i · y_i} with fixed random weights r, evaluated in double from the op's float
 * outputs; each input element is moved by ±eps and the quotient divides by the step that the
 * float input actually took. The analytic gradient is {@code backward(r)}.
 *
 * <p>An element passes when {@code |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)};
 * NaN never passes. Inputs must be CPU leaf tensors with requiresGrad set.
 */
public final class GradCheck {

    /** Outcome: the worst element (error relative to its tolerance; > 1 fails) and how many were checked. */
    public record Result(boolean ok, double worstRatio, String worst, int checked) {
        @Override
        public String toString() {
            return (ok ? "ok" : "FAILED") + ": " + checked + " elements, worst " + worst;
        }
    }

    private final double eps;
    private final double atol;
    private final double rtol;
    private final int maxPerInput;

    /** eps 1e-2, atol 1e-3, rtol 1e-2, at most 300 elements per input: right for float32 ops of moderate size. */
    public GradCheck() {
        this(1e-2, 1e-3, 1e-2, 300);
    }

    public GradCheck(double eps, double atol, double rtol, int maxPerInput) {
        if (!(eps > 0) || !(atol >= 0) || !(rtol >= 0) || maxPerInput < 1) {
            throw new IllegalArgumentException("bad gradient-check settings eps=" + eps + " atol=" + atol + " rtol=" + rtol
                    + " maxPerInput=" + maxPerInput);
        }
        this.eps = eps;
        this.atol = atol;
        this.rtol = rtol;
        this.maxPerInput = maxPerInput;
    }

    /** Checks every input of {@code f}; elements are sampled (seeded) when an input is larger than maxPerInput. */
    public Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad() || inputs[i].gradFn() != null) {
                throw new IllegalArgumentException("input " + i + " must be a leaf with requiresGrad(true)");
            }
            inputs[i].zeroGrad();
        }
        Rng rng = new Rng(12345);
        float[] weights;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor y = f.apply(inputs);
            weights = new float[(int) y.numel()];
            for (int i = 0; i < weights.length; i++) weights[i] = 2 * rng.nextFloat() - 1;
            y.backward(Tensor.of(y.device(), weights, y.shape()));
        }
        double worstRatio = 0;
        String worst = "none";
        int checked = 0;
        for (int in = 0; in < inputs.length; in++) {
            Tensor x = inputs[in];
            float[] analytic = x.grad() == null ? new float[(int) x.numel()] : x.grad().toArray();
            float[] values = x.toArray(); // explicit host copy; perturbed elements are written back one at a time
            for (int i : sample(rng, (int) x.numel())) {
                float orig = values[i];
                float plus = (float) (orig + eps), minus = (float) (orig - eps);
                int[] at = unflatten(x.shape(), i);
                write(x, plus, at);
                double fPlus = objective(f, inputs, weights);
                write(x, minus, at);
                double fMinus = objective(f, inputs, weights);
                write(x, orig, at);
                double numeric = (fPlus - fMinus) / ((double) plus - (double) minus);
                double a = analytic[i];
                double ratio = Math.abs(a - numeric) / (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
                if (Double.isNaN(ratio)) ratio = Double.POSITIVE_INFINITY;
                if (ratio > worstRatio || checked == 0) {
                    worstRatio = ratio;
                    worst = String.format("input %d element %d: analytic %.6g numeric %.6g (error/tolerance %.3g)", in, i, a, numeric, ratio);
                }
                checked++;
            }
        }
        return new Result(worstRatio <= 1.0, worstRatio, worst, checked);
    }

    private static void write(Tensor x, float value, int[] at) {
        try (GradMode off = GradMode.off()) {
            x.set(value, at);
        }
    }

    private static int[] unflatten(int[] shape, int flat) {
        int[] at = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = flat % shape[d];
            flat /= shape[d];
        }
        return at;
    }

    private int[] sample(Rng rng, int n) {
        if (n <= maxPerInput) {
            int[] all = new int[n];
            Arrays.setAll(all, i -> i);
            return all;
        }
        int[] picks = new int[maxPerInput];
        for (int i = 0; i < picks.length; i++) picks[i] = rng.nextInt(n);
        return picks;
    }

    private static double objective(Function<Tensor[], Tensor> f, Tensor[] inputs, float[] weights) {
        try (GradMode off = GradMode.off(); MemoryScope scope = MemoryScope.open()) {
            float[] y = f.apply(inputs).toArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += (double) weights[i] * y[i];
            return s;
        }
    }
}
