package dev.cortado.onnx.importer;

/**
 * One ONNX node made runnable: its attributes were parsed and checked when it was created (by
 * its {@link OpTable} entry), so running it only computes. Inputs an op needs at load (a shape,
 * Slice's bounds) it reads from constant {@link Value}s; an absent optional input is null.
 */
@FunctionalInterface
interface Op {

    Value[] apply(Value[] inputs);

    /** An op made by a table entry with the element type of its output given by its first input. */
    static Value[] one(Value v) {
        return new Value[] {v};
    }
}
