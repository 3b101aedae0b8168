package dev.cortado.data;

import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Standardisation fitted on training data: x' = (x - mean) / std, with the mean and the
 * (population) standard deviation per feature ({@link #fit}) or per channel of [C, ...] samples
 * ({@link #fitPerChannel}, for images). A feature whose std is 0 is only shifted (divided by 1,
 * as scikit-learn's StandardScaler does), never turned into NaN. Save it with the model:
 * {@link #save}/{@link #load} (its own safetensors file) or {@link #toTensors}/{@link #fromTensors}
 * (beside the weights in one file).
 */
public final class Normalizer {

    /** The names of its tensors in {@link #toTensors}: mean, std and the sample shape. */
    public static final String MEAN = "normalizer.mean", STD = "normalizer.std", SHAPE = "normalizer.sample_shape";

    private final int[] sampleShape;
    private final float[] mean, std;
    private final int group; // consecutive values sharing one statistic: 1 per feature, H*W per channel

    private Normalizer(int[] sampleShape, float[] mean, float[] std) {
        this.sampleShape = sampleShape.clone();
        this.mean = mean;
        this.std = std;
        int per = 1;
        for (int d : sampleShape) per *= d;
        this.group = per / mean.length;
    }

    /** Mean and std of each of the {@link Dataset#sampleSize()} values of a sample. */
    public static Normalizer fit(Dataset train) {
        return fit(train, 1);
    }

    /** Mean and std of each channel (the first dimension of the sample shape, e.g. C of [C, H, W]). */
    public static Normalizer fitPerChannel(Dataset train) {
        if (train == null) throw new IllegalArgumentException("dataset is null");
        if (train.sampleShape().length == 0) throw new IllegalArgumentException("per-channel statistics need samples [C, ...]; these samples are scalars (shape [])");
        return fit(train, train.sampleSize() / train.sampleShape()[0]);
    }

    private static Normalizer fit(Dataset train, int group) {
        if (train == null) throw new IllegalArgumentException("dataset is null");
        train.requireNonEmpty("the dataset to fit a Normalizer on");
        int per = train.sampleSize(), stats = per / group;
        double[] sum = new double[stats], sq = new double[stats];
        float[] x = train.inputs();
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("cannot fit a Normalizer: dataset row " + i / per + ", value " + i % per + " is " + x[i]);
            }
            sum[i % per / group] += x[i];
        }
        double count = (double) train.size() * group;
        float[] mean = new float[stats], std = new float[stats];
        for (int k = 0; k < stats; k++) mean[k] = (float) (sum[k] / count);
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - (sum[i % per / group] / count);
            sq[i % per / group] += d * d;
        }
        for (int k = 0; k < stats; k++) std[k] = (float) Math.sqrt(sq[k] / count);
        return new Normalizer(train.sampleShape(), mean, std);
    }

    /** The sample shape it was fitted on. */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** The means (one per feature, or per channel). */
    public float[] mean() {
        return mean.clone();
    }

    /** The standard deviations (0 where the feature was constant; it is then divided by 1). */
    public float[] std() {
        return std.clone();
    }

    /** A new dataset with normalised inputs and the same labels. */
    public Dataset apply(Dataset data) {
        if (data == null) throw new IllegalArgumentException("dataset is null");
        if (!Arrays.equals(data.sampleShape(), sampleShape)) {
            throw new IllegalArgumentException("this Normalizer was fitted on samples of " + Arrays.toString(sampleShape)
                    + ", the dataset has samples of " + Arrays.toString(data.sampleShape()));
        }
        return new Dataset(apply(data.inputs()), sampleShape.clone(), data.labels().clone());
    }

    /** Normalised copies of one or more samples laid out one after the other (e.g. inputs to predict). */
    public float[] apply(float[] samples) {
        if (samples == null) throw new IllegalArgumentException("samples are null");
        int per = group * mean.length;
        if (samples.length % per != 0) {
            throw new IllegalArgumentException(samples.length + " values are not whole samples of " + Arrays.toString(sampleShape) + " (" + per + " values each)");
        }
        float[] out = new float[samples.length];
        for (int i = 0; i < out.length; i++) {
            int k = i % per / group;
            out[i] = (samples[i] - mean[k]) / (std[k] == 0 ? 1f : std[k]);
        }
        return out;
    }

    /** As {@link #apply(float[])} for double values. */
    public float[] apply(double[] samples) {
        return apply(Floats.of(samples, "samples"));
    }

    /** Its state as new CPU tensors ({@link #MEAN}, {@link #STD}, {@link #SHAPE}); the caller closes them. */
    public Map<String, Tensor> toTensors() {
        float[] shape = new float[sampleShape.length];
        for (int i = 0; i < shape.length; i++) shape[i] = sampleShape[i];
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(MEAN, Tensor.of(mean, mean.length).keep());
        out.put(STD, Tensor.of(std, std.length).keep());
        out.put(SHAPE, Tensor.of(shape, shape.length).keep());
        return out;
    }

    /**
     * The Normalizer stored by {@link #toTensors} in {@code tensors} (other entries, e.g. model
     * weights, are ignored); an IllegalArgumentException says what is missing or inconsistent.
     */
    public static Normalizer fromTensors(Map<String, Tensor> tensors) {
        if (tensors == null) throw new IllegalArgumentException("tensors are null");
        float[] mean = values(tensors, MEAN), std = values(tensors, STD), shape = values(tensors, SHAPE);
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("'" + MEAN + "' has " + mean.length + " values and '" + STD + "' " + std.length + "; they must match and be non-empty");
        }
        int[] s = new int[shape.length];
        long per = 1;
        for (int i = 0; i < s.length; i++) {
            if (!(shape[i] >= 1 && shape[i] == Math.rint(shape[i]) && shape[i] <= 1 << 24)) {
                throw new IllegalArgumentException("'" + SHAPE + "' " + Arrays.toString(shape) + " is not a sample shape");
            }
            s[i] = (int) shape[i];
            per *= s[i];
        }
        if (per > Integer.MAX_VALUE || per % mean.length != 0 || mean.length != per && (s.length == 0 || mean.length != s[0])) {
            throw new IllegalArgumentException(mean.length + " means fit neither each value nor each channel of samples " + Arrays.toString(s));
        }
        for (int k = 0; k < mean.length; k++) {
            if (!Float.isFinite(mean[k]) || !(std[k] >= 0) || Float.isInfinite(std[k])) {
                throw new IllegalArgumentException("statistic " + k + " is not usable: mean " + mean[k] + ", std " + std[k]);
            }
        }
        return new Normalizer(s, mean, std);
    }

    /** Writes it atomically to a safetensors file of its own. */
    public void save(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        Map<String, Tensor> t = toTensors();
        try {
            Safetensors.write(file, t, Map.of("cortado.kind", "Normalizer"));
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    /** Reads a file written by {@link #save}; a missing, corrupt or inconsistent file is an IOException naming it. */
    public static Normalizer load(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (!java.nio.file.Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        Map<String, Tensor> t;
        try {
            t = Safetensors.read(file);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a readable safetensors file (" + e + ")", e);
        }
        try {
            return fromTensors(t);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a saved Normalizer: " + e.getMessage(), e);
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    private static float[] values(Map<String, Tensor> tensors, String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' (the tensors hold " + tensors.keySet() + ")");
        return t.toArray();
    }

    @Override
    public String toString() {
        return "Normalizer" + Arrays.toString(sampleShape) + "(mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + ")";
    }
}
