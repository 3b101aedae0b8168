package dev.cortado.spark;

import java.io.Serializable;

/**
 * How an executor rebuilds a model from the broadcast bytes: a model file ({@code factory} null)
 * or a module built by {@code factory} with the bytes as its weights (a safetensors state_dict).
 * {@code inputShape}: the per-sample input shape, null where the model file says it (a NetChain).
 */
record ModelSource(ModuleFactory factory, int[] inputShape) implements Serializable {
}
