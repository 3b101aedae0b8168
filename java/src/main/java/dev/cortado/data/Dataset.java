package dev.cortado.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Samples held on the heap: {@code size} inputs of {@code sampleShape} (row-major, one after the
 * other) and one label each (class indices stored as floats, the Caffe convention; regression
 * targets as they are). {@link #label(int)} gives a class label as an int; the {@code of} and
 * {@code regression} factories take rows as float[][] or double[][].
 */
public record Dataset(float[] inputs, int[] sampleShape, float[] labels) {

    public Dataset {
        if (inputs == null || sampleShape == null || labels == null) {
            throw new IllegalArgumentException("a Dataset needs inputs, sampleShape and labels; got null "
                    + (inputs == null ? "inputs" : sampleShape == null ? "sampleShape" : "labels"));
        }
        long per = 1;
        for (int d : sampleShape) {
            if (d < 1) throw new IllegalArgumentException("sample shape " + Arrays.toString(sampleShape) + " has a size < 1");
            per *= d;
        }
        if (per > Integer.MAX_VALUE || inputs.length != per * labels.length) {
            throw new IllegalArgumentException(inputs.length + " input values do not hold " + labels.length + " samples of "
                    + Arrays.toString(sampleShape));
        }
    }

    /** Classification rows (one sample of {@code rows[i].length} features each) and their class indices. */
    public static Dataset of(float[][] rows, int[] labels) {
        return new Dataset(flatten(rows, labels == null ? -1 : labels.length), new int[] {width(rows)}, classes(labels));
    }

    /** Classification rows as doubles (stored as floats) and their class indices. */
    public static Dataset of(double[][] rows, int[] labels) {
        return new Dataset(flatten(rows, labels == null ? -1 : labels.length), new int[] {width(rows)}, classes(labels));
    }

    /** Samples of {@code sampleShape} laid out one after the other (e.g. images [C, H, W]) and their class indices. */
    public static Dataset of(float[] inputs, int[] sampleShape, int[] labels) {
        return new Dataset(inputs, sampleShape, classes(labels));
    }

    /** As {@link #of(float[], int[], int[])} with double inputs (stored as floats). */
    public static Dataset of(double[] inputs, int[] sampleShape, int[] labels) {
        return new Dataset(Floats.of(inputs, "inputs"), sampleShape, classes(labels));
    }

    /** Regression rows and one target each. */
    public static Dataset regression(float[][] rows, float[] targets) {
        if (targets == null) throw new IllegalArgumentException("targets are null");
        return new Dataset(flatten(rows, targets.length), new int[] {width(rows)}, targets.clone());
    }

    /** Regression rows and targets as doubles (stored as floats; a value beyond the float range is refused). */
    public static Dataset regression(double[][] rows, double[] targets) {
        if (targets == null) throw new IllegalArgumentException("targets are null");
        return new Dataset(flatten(rows, targets.length), new int[] {width(rows)}, Floats.of(targets, "targets"));
    }

    public int size() {
        return labels.length;
    }

    public boolean isEmpty() {
        return labels.length == 0;
    }

    /** Values per sample: the product of {@link #sampleShape} (also for an empty dataset). */
    public int sampleSize() {
        int per = 1;
        for (int d : sampleShape) per *= d;
        return per;
    }

    /** The class label of {@code row}; refused if the stored label is not a non-negative integer. */
    public int label(int row) {
        checkRow(row);
        float v = labels[row];
        if (!(v >= 0 && v == Math.rint(v) && v <= Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("label " + v + " of dataset row " + row + " is not a class index (an integer >= 0)");
        }
        return (int) v;
    }

    /** Every label as a class index (see {@link #label(int)}). */
    public int[] intLabels() {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) out[i] = label(i);
        return out;
    }

    /** A copy of the inputs of sample {@code row} ({@link #sampleSize()} values). */
    public float[] sample(int row) {
        checkRow(row);
        int per = sampleSize();
        return Arrays.copyOfRange(inputs, row * per, (row + 1) * per);
    }

    /** The samples at {@code rows}, in that order (copied). */
    public Dataset subset(int[] rows) {
        if (rows == null) throw new IllegalArgumentException("rows are null");
        int per = sampleSize();
        float[] x = new float[rows.length * per], y = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            checkRow(rows[i]);
            System.arraycopy(inputs, rows[i] * per, x, i * per, per);
            y[i] = labels[rows[i]];
        }
        return new Dataset(x, sampleShape.clone(), y);
    }

    /**
     * Splits into {@code fractions.length} parts (e.g. 0.8, 0.1, 0.1 for train, validation, test),
     * shuffled by {@code seed}; see {@link Splits#split} for the exact sizes and stratification.
     */
    public Dataset[] split(long seed, boolean stratified, double... fractions) {
        return Splits.split(this, seed, stratified, fractions);
    }

    /**
     * This dataset, or an IllegalArgumentException naming {@code what} (e.g. "validation set") if
     * it holds no samples, for callers that cannot use an empty one.
     */
    public Dataset requireNonEmpty(String what) {
        if (isEmpty()) {
            throw new IllegalArgumentException(what + " is empty (0 samples of " + Arrays.toString(sampleShape)
                    + "): give it at least one sample (if it came from split, raise its fraction or use more data)");
        }
        return this;
    }

    private void checkRow(int row) {
        if (row < 0 || row >= size()) throw new IndexOutOfBoundsException("dataset row " + row + " is outside [0, " + size() + ")");
    }

    private static int width(Object[] rows) {
        return java.lang.reflect.Array.getLength(rows[0]);
    }

    private static float[] flatten(Object[] rows, int labels) {
        if (rows == null) throw new IllegalArgumentException("rows are null");
        if (labels < 0) throw new IllegalArgumentException("labels are null");
        if (rows.length == 0) throw new IllegalArgumentException("rows are empty: a dataset needs at least one row to know its features");
        if (rows.length != labels) throw new IllegalArgumentException(rows.length + " rows but " + labels + " labels");
        int cols = -1;
        float[] out = null;
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] == null) throw new IllegalArgumentException("row " + r + " is null");
            float[] row = rows[r] instanceof double[] d ? Floats.of(d, "row " + r) : (float[]) rows[r];
            if (cols < 0) {
                cols = row.length;
                if (cols == 0) throw new IllegalArgumentException("row 0 has no features");
                if ((long) cols * rows.length > Integer.MAX_VALUE) throw new IllegalArgumentException(rows.length + " rows of " + cols + " features exceed 2^31 values");
                out = new float[cols * rows.length];
            }
            if (row.length != cols) throw new IllegalArgumentException("row " + r + " has " + row.length + " features, row 0 has " + cols);
            System.arraycopy(row, 0, out, r * cols, cols);
        }
        return out;
    }

    private static float[] classes(int[] labels) {
        if (labels == null) throw new IllegalArgumentException("labels are null");
        float[] out = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is negative; class labels are 0, 1, 2, ...");
            if (labels[i] > 1 << 24) throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is above 2^24, which a float label cannot hold exactly");
            out[i] = labels[i];
        }
        return out;
    }

    /**
     * MNIST in IDX format: {@code <prefix>-images-idx3-ubyte[.gz]} and
     * {@code <prefix>-labels-idx1-ubyte[.gz]} in {@code dir} (prefix "train" or "t10k").
     * Pixels are scaled to [0, 1) by 1/256, as Mocha's MNIST converter and Caffe's LeNet (scale 0.00390625) do;
     * inputs have shape [1, rows, cols].
     */
    public static Dataset mnist(Path dir, String prefix) throws IOException {
        Dataset d = idx(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"), 256f);
        for (int i = 0; i < d.size(); i++) {
            if (d.labels[i] > 9) throw new IOException(find(dir, prefix + "-labels-idx1-ubyte") + ": label " + (int) d.labels[i] + " at index " + i + " is not a digit 0-9");
        }
        return d;
    }

    /**
     * Images and labels from an IDX pair (MNIST, Fashion-MNIST, KMNIST, raw or gzip): pixels
     * scaled to [0, 1] by 1/255 (so {@link ImageFolder#write} stores them exactly), inputs of
     * shape [1, rows, cols], labels the stored bytes 0-255.
     */
    public static Dataset idx(Path imagesFile, Path labelsFile) throws IOException {
        if (imagesFile == null || labelsFile == null) throw new IllegalArgumentException("images and labels files must not be null");
        return idx(imagesFile, labelsFile, 255f);
    }

    /**
     * The same from {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]}
     * in {@code dir}, as the MNIST family ships (e.g. Fashion-MNIST's "train" and "t10k").
     */
    public static Dataset idx(Path dir, String prefix) throws IOException {
        if (dir == null || prefix == null) throw new IllegalArgumentException("directory and prefix must not be null");
        return idx(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"), 255f);
    }

    private static Dataset idx(Path imagesFile, Path labelsFile, float scale) throws IOException {
        Idx.Data images = Idx.read(imagesFile), labels = Idx.read(labelsFile);
        if (images.dims().length != 3) throw new IOException(imagesFile + ": images need 3 dimensions, found " + Arrays.toString(images.dims()));
        if (labels.dims().length != 1) throw new IOException(labelsFile + ": labels need 1 dimension, found " + Arrays.toString(labels.dims()));
        if (images.count() != labels.count()) {
            throw new IOException(imagesFile + " holds " + images.count() + " images but " + labelsFile + " holds " + labels.count() + " labels");
        }
        if (images.dims()[1] < 1 || images.dims()[2] < 1) throw new IOException(imagesFile + ": images of " + images.dims()[1] + "x" + images.dims()[2] + " pixels");
        float[] x = new float[images.bytes().length];
        for (int i = 0; i < x.length; i++) x[i] = (images.bytes()[i] & 0xff) / scale;
        float[] y = new float[labels.count()];
        for (int i = 0; i < y.length; i++) y[i] = labels.bytes()[i] & 0xff;
        return new Dataset(x, new int[] {1, images.dims()[1], images.dims()[2]}, y);
    }

    private static Path find(Path dir, String name) throws IOException {
        for (String candidate : new String[] {name + ".gz", name}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IOException(dir.resolve(name + ".gz") + ": no such file (nor " + name + ")");
    }
}
