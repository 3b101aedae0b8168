package dev.cortado.spark;

import dev.cortado.nn.Module;
import java.io.Serializable;

/**
 * Builds a network on an executor, e.g. {@code () -> LeNet.create(new Rng(1))}. Serializable: it
 * travels to the executors, so it must capture only serializable values (numbers, strings), not a
 * built network. For training it must build the same initial weights every time (seed its Rng):
 * the workers check that they start equal.
 */
@FunctionalInterface
public interface ModuleFactory extends Serializable {
    Module create() throws Exception;
}
