package dev.cortado.data;

import io.jhdf.HdfFile;
import io.jhdf.api.Node;
import io.jhdf.exceptions.HdfException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mocha/Caffe's HDF5 data source: a text file listing .h5 files (one per line, relative to the
 * list file; blank lines and # comments skipped), each holding a dataset {@code data}
 * [N, ...sample shape] and a dataset {@code label} [N] or [N, 1]. All files must share the
 * sample shape. Read with jhdf (pure Java); any inconsistency is an IOException naming the file.
 */
public final class Hdf5Source {

    private Hdf5Source() {
    }

    public static Dataset load(Path listFile) throws IOException {
        if (!Files.isRegularFile(listFile)) throw new IOException(listFile + ": no such file");
        List<Path> files = new ArrayList<>();
        for (String line : Files.readAllLines(listFile, StandardCharsets.UTF_8)) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            Path p = Path.of(s);
            files.add(p.isAbsolute() ? p : listFile.toAbsolutePath().getParent().resolve(p));
        }
        if (files.isEmpty()) throw new IOException(listFile + ": lists no .h5 files");
        List<float[]> inputs = new ArrayList<>(), labels = new ArrayList<>();
        int[] sampleShape = null;
        for (Path f : files) {
            float[][] xy = new float[2][];
            int[] shape = read(f, xy);
            if (sampleShape == null) sampleShape = shape;
            else if (!Arrays.equals(sampleShape, shape)) {
                throw new IOException(f + ": samples of shape " + Arrays.toString(shape) + " differ from " + Arrays.toString(sampleShape)
                        + " in " + files.get(0));
            }
            inputs.add(xy[0]);
            labels.add(xy[1]);
        }
        return new Dataset(concat(inputs), sampleShape, concat(labels));
    }

    /** Reads one file into xy[0] (inputs) and xy[1] (labels); returns the sample shape. */
    private static int[] read(Path f, float[][] xy) throws IOException {
        if (!Files.isRegularFile(f)) throw new IOException(f + ": no such file (listed in the HDF5 list file)");
        try (HdfFile h = new HdfFile(f)) {
            io.jhdf.api.Dataset data = dataset(h, f, "data"), label = dataset(h, f, "label");
            int[] dd = data.getDimensions(), ld = label.getDimensions();
            if (dd.length < 2) throw new IOException(f + ": 'data' needs [N, ...] dimensions, has " + Arrays.toString(dd));
            if (!(ld.length == 1 || (ld.length == 2 && ld[1] == 1)) || ld[0] != dd[0]) {
                throw new IOException(f + ": 'label' " + Arrays.toString(ld) + " does not match 'data' " + Arrays.toString(dd) + " (need [N] or [N, 1])");
            }
            xy[0] = floats(f, "data", data.getDataFlat());
            xy[1] = floats(f, "label", label.getDataFlat());
            return Arrays.copyOfRange(dd, 1, dd.length);
        } catch (HdfException e) {
            throw new IOException(f + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    private static io.jhdf.api.Dataset dataset(HdfFile h, Path f, String name) throws IOException {
        Node n = h.getChildren().get(name);
        if (!(n instanceof io.jhdf.api.Dataset d)) throw new IOException(f + ": no dataset '" + name + "'");
        return d;
    }

    private static float[] floats(Path f, String name, Object flat) throws IOException {
        if (flat instanceof float[] v) return v;
        if (flat instanceof double[] v) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
            return out;
        }
        if (flat instanceof int[] v) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) out[i] = v[i];
            return out;
        }
        if (flat instanceof long[] v) {
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) out[i] = v[i];
            return out;
        }
        throw new IOException(f + ": dataset '" + name + "' has element type " + (flat == null ? "null" : flat.getClass().getSimpleName())
                + "; need float, double, int or long");
    }

    private static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
