package dev.cortado.spark;

import dev.cortado.train.CoffeeBreak;
import java.io.Serializable;

/**
 * Builds a coffee break on a worker ({@link CoffeeBreak}s hold streams and datasets, which do not
 * travel; the factory does), e.g. {@code worker -> new TrainingSummary(System.out)}. {@code worker}
 * is the worker's index (0 to workers - 1); return null for no break on that worker.
 */
@FunctionalInterface
public interface BreakFactory extends Serializable {
    CoffeeBreak create(int worker) throws Exception;
}
