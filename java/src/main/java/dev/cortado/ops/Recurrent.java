package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * The LSTM over a sequence, PyTorch's {@code nn.LSTM} (one layer, batch_first; gate order i, f,
 * g, o): x [batch, time, features], wIh [4·hidden, features], wHh [4·hidden, hidden], bias
 * [4·hidden] (PyTorch's b_ih + b_hh) give every step's h, [batch, time, hidden]. The initial state
 * (h0, c0) is zero unless given, and {@link #lstm(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)}
 * also returns the final state, so a sequence can be continued (sampled) step by step. The input
 * projection of all steps is one GEMM, each step one recurrent GEMM and one fused cell kernel;
 * the backward runs through time the same way.
 */
public final class Recurrent {

    private Recurrent() {
    }

    /**
     * The outputs of every step [batch, time, hidden] and the final state h and c [batch, hidden]
     * (PyTorch's {@code output, (h_n, c_n)} without the layer axis). Gradients reach the inputs
     * and the initial state through {@code output} and {@code h} (h is the output's last step);
     * {@code c} is the cell state's value only (no gradient flows back through it).
     */
    public record LstmResult(Tensor output, Tensor h, Tensor c) {
    }

    /** {@link #lstm(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)} from the zero state, giving the outputs only. */
    public static Tensor lstm(Tensor x, Tensor wIh, Tensor wHh, Tensor bias) {
        return run(x, wIh, wHh, bias, null, null, null);
    }

    /** The LSTM from the state (h0, c0) [batch, hidden] (either may be null: zeros), with its final state. */
    public static LstmResult lstm(Tensor x, Tensor wIh, Tensor wHh, Tensor bias, Tensor h0, Tensor c0) {
        Tensor[] cLast = new Tensor[1];
        Tensor y = run(x, wIh, wHh, bias, h0, c0, cLast);
        return new LstmResult(y, y.select(1, y.size(1) - 1), cLast[0]);
    }

    /** The LSTM; when {@code cLast} is given, its element receives a copy of the last step's c. */
    private static Tensor run(Tensor x, Tensor wIh, Tensor wHh, Tensor bias, Tensor h0, Tensor c0, Tensor[] cLast) {
        Checks.rank("lstm", "x", x, 3);
        Checks.rank("lstm", "wIh", wIh, 2);
        Checks.rank("lstm", "wHh", wHh, 2);
        Checks.sameDevice("lstm", x, wIh);
        Checks.sameDevice("lstm", x, wHh);
        int batch = x.size(0), steps = x.size(1), features = x.size(2), hidden = wHh.size(1), g4 = 4 * hidden;
        if (wHh.size(0) != g4 || wIh.size(0) != g4 || wIh.size(1) != features) {
            throw new IllegalArgumentException("lstm: x " + Shape.str(x.shape()) + ", wIh " + Shape.str(wIh.shape()) + " and wHh "
                    + Shape.str(wHh.shape()) + " do not fit (want wIh [4·hidden, " + features + "], wHh [4·hidden, hidden])");
        }
        Checks.bias("lstm", x, bias, g4, "gate rows");
        if (steps == 0 || batch == 0) throw new IllegalArgumentException("lstm: x " + Shape.str(x.shape()) + " holds no steps");
        for (Tensor s0 : new Tensor[] {h0, c0}) {
            if (s0 == null) continue;
            Checks.sameDevice("lstm", x, s0);
            if (s0.dim() != 2 || s0.size(0) != batch || s0.size(1) != hidden) {
                throw new IllegalArgumentException("lstm: initial " + (s0 == h0 ? "h0 " : "c0 ") + Shape.str(s0.shape()) + " is not [batch, hidden] = ["
                        + batch + ", " + hidden + "]");
            }
        }
        KernelSet k = x.kernels();
        int rows = batch * steps;
        // time-major input [time, batch, features]: each step's rows lie together
        Tensor xt = Strides.copy(x, new int[] {steps, batch, features}, new long[] {features, (long) steps * features, 1}, 0);
        Tensor gates = Tensor.empty(x.device(), steps, batch, g4);  // pre-activations, then kept per step
        k.gemm(false, true, rows, g4, features, 1f, xt.ptr(), features, wIh.ptr(), features, 0f, gates.ptr(), g4);
        if (bias != null) k.biasAdd(rows, g4, 1, bias.ptr(), gates.ptr());
        Tensor act = Tensor.empty(x.device(), steps, batch, g4), c = Tensor.empty(x.device(), steps, batch, hidden);
        Tensor h = Tensor.empty(x.device(), steps, batch, hidden);
        long gStep = (long) batch * g4, hStep = (long) batch * hidden;
        try (Tensor zeros = Tensor.zeros(x.device(), batch, hidden)) {
            for (int t = 0; t < steps; t++) {
                if (t > 0 || h0 != null) {
                    k.gemm(false, true, batch, g4, hidden, 1f, t > 0 ? h.ptr().at((t - 1) * hStep) : h0.ptr(), hidden, wHh.ptr(), hidden, 1f,
                            gates.ptr().at(t * gStep), g4);
                }
                k.lstmCellForward(batch, hidden, gates.ptr().at(t * gStep), t > 0 ? c.ptr().at((t - 1) * hStep) : c0 != null ? c0.ptr() : zeros.ptr(),
                        act.ptr().at(t * gStep), c.ptr().at(t * hStep), h.ptr().at(t * hStep));
            }
        }
        gates.close();
        if (cLast != null) cLast[0] = Tensor.empty(x.device(), batch, hidden).copyFrom(c.narrow(0, steps - 1, 1).reshape(batch, hidden));
        // back to batch-major [batch, time, hidden]
        Tensor y = Strides.copy(h, new int[] {batch, steps, hidden}, new long[] {hidden, hStep, 1}, 0);
        if (!Autograd.needsGrad(x, wIh, wHh, bias, h0, c0)) {
            xt.close();
            act.close();
            c.close();
            h.close();
            return y;
        }
        return Autograd.record(y, "lstm", Autograd.saves(wIh, wHh, h0, c0), g -> { // x is read from its time-major copy
            Tensor dGates = Tensor.empty(x.device(), steps, batch, g4);
            try (Tensor gt = Strides.copy(g, new int[] {steps, batch, hidden}, new long[] {hidden, (long) steps * hidden, 1}, 0);
                 Tensor dh = Tensor.empty(x.device(), batch, hidden); Tensor dc = Tensor.zeros(x.device(), batch, hidden);
                 Tensor dcPrev = Tensor.empty(x.device(), batch, hidden); Tensor zeros = Tensor.zeros(x.device(), batch, hidden)) {
                for (int t = steps - 1; t >= 0; t--) {
                    // dh = the output's gradient at t + what step t + 1 sent back through h
                    k.scale(hStep, 1f, gt.ptr().at(t * hStep), dh.ptr());
                    if (t < steps - 1) {
                        k.gemm(false, false, batch, hidden, g4, 1f, dGates.ptr().at((t + 1) * gStep), g4, wHh.ptr(), hidden, 1f, dh.ptr(), hidden);
                    }
                    k.lstmCellBackward(batch, hidden, act.ptr().at(t * gStep), t > 0 ? c.ptr().at((t - 1) * hStep) : c0 != null ? c0.ptr() : zeros.ptr(),
                            c.ptr().at(t * hStep), dh.ptr(), dc.ptr(), dGates.ptr().at(t * gStep), dcPrev.ptr());
                    k.scale(hStep, 1f, dcPrev.ptr(), dc.ptr());
                }
                Tensor dx = null, dwIh = null, dwHh = null, db = null, dh0 = null, dc0 = null;
                if (h0 != null && h0.requiresGrad()) { // step 0's recurrent GEMM read h0: dGates_0 · wHh
                    dh0 = Tensor.empty(x.device(), batch, hidden);
                    k.gemm(false, false, batch, hidden, g4, 1f, dGates.ptr(), g4, wHh.ptr(), hidden, 0f, dh0.ptr(), hidden);
                }
                if (c0 != null && c0.requiresGrad()) dc0 = Tensor.empty(x.device(), batch, hidden).copyFrom(dc); // step 0's dcPrev
                if (x.requiresGrad()) { // dGates [rows, 4H] · wIh [4H, F], back to batch-major
                    try (Tensor dxt = Tensor.empty(x.device(), steps, batch, features)) {
                        k.gemm(false, false, rows, features, g4, 1f, dGates.ptr(), g4, wIh.ptr(), features, 0f, dxt.ptr(), features);
                        dx = Strides.copy(dxt, new int[] {batch, steps, features}, new long[] {features, (long) batch * features, 1}, 0);
                    }
                }
                if (wIh.requiresGrad()) {
                    dwIh = Tensor.empty(x.device(), g4, features);
                    k.gemm(true, false, g4, features, rows, 1f, dGates.ptr(), g4, xt.ptr(), features, 0f, dwIh.ptr(), features);
                }
                if (wHh.requiresGrad()) { // Σ over t ≥ 1 of dGates_tᵀ · h_{t-1}: one GEMM over the stacked steps
                    dwHh = Tensor.zeros(x.device(), g4, hidden);
                    if (steps > 1) {
                        k.gemm(true, false, g4, hidden, (steps - 1) * batch, 1f, dGates.ptr().at(gStep), g4, h.ptr(), hidden, 0f,
                                dwHh.ptr(), hidden);
                    }
                    if (h0 != null) k.gemm(true, false, g4, hidden, batch, 1f, dGates.ptr(), g4, h0.ptr(), hidden, 1f, dwHh.ptr(), hidden);
                }
                if (bias != null && bias.requiresGrad()) db = Reductions.biasGrad(dGates, rows, g4, 1);
                return new Tensor[] {dx, dwIh, dwHh, db, dh0, dc0};
            } finally {
                dGates.close();
            }
        }, x, wIh, wHh, bias, h0, c0);
    }
}
