package dev.cortado.nn;

import dev.cortado.nn.Layers.Neuron;
import dev.cortado.tensor.Rng;

/** The seed's Mocha/Caffe LeNet for 28×28 digits. */
public final class LeNet {

    private LeNet() {
    }

    /** conv 20 5×5 → max-pool 2/2 → conv 50 5×5 → max-pool 2/2 → InnerProduct 500 + ReLU → InnerProduct 10 (logits). */
    public static Module create(Rng rng) {
        Initializer xavier = Initializer.xavier(), zero = Initializer.constant(0f);
        return new Layers.Sequential(
                new Layers.Conv2d(1, 20, 5, 1, 0, Neuron.IDENTITY, xavier, zero, rng),
                new Layers.MaxPool2d(2, 2, 0),
                new Layers.Conv2d(20, 50, 5, 1, 0, Neuron.IDENTITY, xavier, zero, rng),
                new Layers.MaxPool2d(2, 2, 0),
                Layers.flatten(),
                new Layers.Linear(800, 500, Neuron.RELU, xavier, zero, rng),
                new Layers.Linear(500, 10, Neuron.IDENTITY, xavier, zero, rng));
    }
}
