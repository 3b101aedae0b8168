package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Updates parameters from their accumulated gradients. Owns its state tensors (velocities,
 * moments): they are freed when it closes. {@link #iteration()} counts steps taken. Each
 * parameter may scale the learning rate and the weight decay ({@link #scale}), as Caffe's and
 * Mocha's per-layer multipliers and PyTorch's parameter groups do.
 */
public abstract class Optimizer implements AutoCloseable {

    protected final List<Tensor> params;
    protected final List<Tensor[]> state = new ArrayList<>();
    protected long iteration;
    protected final LearningRate learningRate;
    private final double[] lrScale, decayScale;

    protected Optimizer(List<Tensor> params, LearningRate learningRate, int statePerParam) {
        if (params == null || params.isEmpty()) throw new IllegalArgumentException("optimizer needs at least one parameter");
        if (learningRate == null) throw new IllegalArgumentException("learning-rate policy is null");
        this.params = List.copyOf(params);
        this.learningRate = learningRate;
        lrScale = new double[this.params.size()];
        decayScale = new double[this.params.size()];
        Arrays.fill(lrScale, 1.0);
        Arrays.fill(decayScale, 1.0);
        for (Tensor p : this.params) {
            if (!p.requiresGrad()) throw new IllegalArgumentException("parameter " + dev.cortado.tensor.Shape.str(p.shape()) + " does not require grad");
            Tensor[] s = new Tensor[statePerParam];
            for (int i = 0; i < statePerParam; i++) s[i] = Tensor.zeros(p.device(), p.shape()).keep();
            state.add(s);
        }
    }

    /** Applies one update to every parameter that has a gradient, then counts the step. */
    public final void step() {
        double lr = learningRate.at(iteration);
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            for (Tensor s : state.get(i)) s.moveTo(p.device()); // state follows its parameter (Module.to)
            if (p.grad() == null) continue;
            update(p, p.grad(), state.get(i), lr * lrScale[i], decayScale[i]);
            p.markModified(); // a graph that saved p before the step can no longer give its gradient
        }
        iteration++;
    }

    /** One parameter's update with its learning rate and its multiplier of the weight decay. */
    protected abstract void update(Tensor param, Tensor grad, Tensor[] state, double lr, double decayScale);

    /** Multiplies {@code param}'s learning rate by {@code lrScale} and its weight decay by {@code decayScale}. */
    public final Optimizer scale(Tensor param, double lrScale, double decayScale) {
        int i = -1;
        for (int j = 0; j < params.size(); j++) if (params.get(j) == param) i = j;
        if (i < 0) throw new IllegalArgumentException("not a parameter of this optimizer");
        if (!(lrScale >= 0 && decayScale >= 0) || Double.isInfinite(lrScale) || Double.isInfinite(decayScale)) {
            throw new IllegalArgumentException("scales must be finite and >= 0, got " + lrScale + " and " + decayScale);
        }
        this.lrScale[i] = lrScale;
        this.decayScale[i] = decayScale;
        return this;
    }

    public final void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    public final long iteration() {
        return iteration;
    }

    /** The learning rate the next step will use. */
    public final double currentLearningRate() {
        return learningRate.at(iteration);
    }

    public final LearningRate learningRatePolicy() {
        return learningRate;
    }

    /** State tensors per parameter (velocities, moments), for snapshots. */
    public final List<Tensor[]> state() {
        return state;
    }

    /** Restores the step count (with the state tensors' values restored by the caller). */
    public final void setIteration(long iteration) {
        if (iteration < 0) throw new IllegalArgumentException("iteration must be >= 0, got " + iteration);
        this.iteration = iteration;
    }

    @Override
    public void close() {
        for (Tensor[] s : state) for (Tensor t : s) t.close();
    }
}
