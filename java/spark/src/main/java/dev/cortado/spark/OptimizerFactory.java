package dev.cortado.spark;

import dev.cortado.nn.Module;
import dev.cortado.optim.Optimizer;
import java.io.Serializable;

/**
 * Builds the optimizer of a network on each worker, e.g.
 * {@code net -> Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f)}.
 */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
    Optimizer create(Module net) throws Exception;
}
