package dev.cortado.spark;

import java.io.Serializable;

/** One training row on its way to its worker: its index in the dataset, its input values and its label. */
record Sample(long index, float[] input, float label) implements Serializable {
}
