package dev.cortado.data;

/** double[] to float[] for the data package: a finite double beyond the float range is refused, not turned into infinity. */
final class Floats {

    private Floats() {
    }

    /** {@code values} as floats; {@code what} names the array in the message (e.g. "row 3"). */
    static float[] of(double[] values, String what) {
        if (values == null) throw new IllegalArgumentException(what + " is null");
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
            if (Float.isInfinite(out[i]) && !Double.isInfinite(values[i])) {
                throw new IllegalArgumentException(what + ", value " + i + ": " + values[i] + " is beyond the float range (+-3.4e38)");
            }
        }
        return out;
    }
}
