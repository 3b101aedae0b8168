package dev.cortado.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Samples held on the heap: {@code size} inputs of {@code sampleShape} (row-major, one after the
 * other) and one label each (class indices as floats, the Caffe convention).
 */
public record Dataset(float[] inputs, int[] sampleShape, float[] labels) {

    public Dataset {
        long per = 1;
        for (int d : sampleShape) per *= d;
        if (per == 0 || inputs.length != per * labels.length) {
            throw new IllegalArgumentException(inputs.length + " input values do not hold " + labels.length + " samples of "
                    + Arrays.toString(sampleShape));
        }
    }

    public int size() {
        return labels.length;
    }

    public int sampleSize() {
        return inputs.length / labels.length;
    }

    /**
     * MNIST in IDX format: {@code <prefix>-images-idx3-ubyte[.gz]} and
     * {@code <prefix>-labels-idx1-ubyte[.gz]} in {@code dir} (prefix "train" or "t10k").
     * Pixels are scaled to [0, 1) by 1/256, as Mocha's MNIST converter and Caffe's LeNet (scale 0.00390625) do;
     * inputs have shape [1, rows, cols].
     */
    public static Dataset mnist(Path dir, String prefix) throws IOException {
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        Idx.Data images = Idx.read(imagesFile), labels = Idx.read(labelsFile);
        if (images.dims().length != 3) throw new IOException(imagesFile + ": images need 3 dimensions, found " + Arrays.toString(images.dims()));
        if (labels.dims().length != 1) throw new IOException(labelsFile + ": labels need 1 dimension, found " + Arrays.toString(labels.dims()));
        if (images.count() != labels.count()) {
            throw new IOException(imagesFile + " holds " + images.count() + " images but " + labelsFile + " holds " + labels.count() + " labels");
        }
        float[] x = new float[images.bytes().length];
        for (int i = 0; i < x.length; i++) x[i] = (images.bytes()[i] & 0xff) / 256f;
        float[] y = new float[labels.count()];
        for (int i = 0; i < y.length; i++) {
            int v = labels.bytes()[i] & 0xff;
            if (v > 9) throw new IOException(labelsFile + ": label " + v + " at index " + i + " is not a digit 0-9");
            y[i] = v;
        }
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
