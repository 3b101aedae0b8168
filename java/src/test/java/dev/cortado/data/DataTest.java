package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {

    @TempDir
    Path dir;

    private static byte[] idx(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(payload);
        return b.array();
    }

    private Path write(String name, byte[] bytes, boolean gzip) throws IOException {
        Path p = dir.resolve(name);
        if (gzip) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (OutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(bytes);
            }
            bytes = bos.toByteArray();
        }
        Files.write(p, bytes);
        return p;
    }

    private static void failsNaming(Path file, String what, org.junit.jupiter.api.function.Executable call) {
        IOException e = assertThrows(IOException.class, call);
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(what), e.getMessage());
    }

    @Test
    void readsRawAndGzip() throws IOException {
        byte[] pixels = {0, 1, 2, 3, 4, 5, (byte) 255, 7, 8, 9, 10, 11};
        for (boolean gz : new boolean[] {false, true}) {
            Idx.Data d = Idx.read(write("img" + gz, idx(8, new int[] {3, 2, 2}, pixels), gz));
            assertArrayEquals(new int[] {3, 2, 2}, d.dims());
            assertArrayEquals(pixels, d.bytes());
        }
    }

    @Test
    void corruptFilesNameTheFileAndTheProblem() throws IOException {
        Path truncated = write("truncated", Arrays.copyOf(idx(8, new int[] {3, 2, 2}, new byte[12]), 20), false);
        failsNaming(truncated, "truncated", () -> Idx.read(truncated));
        Path extra = write("extra", idx(8, new int[] {2}, new byte[5]), false);
        failsNaming(extra, "3 bytes after the data", () -> Idx.read(extra));
        Path magic = write("magic", new byte[] {1, 2, 8, 1, 0, 0, 0, 0}, false);
        failsNaming(magic, "not an IDX file", () -> Idx.read(magic));
        Path type = write("type", idx(0x0D, new int[] {1}, new byte[4]), false);
        failsNaming(type, "element type 0xd", () -> Idx.read(type));
        Path shortHeader = write("short", new byte[] {0, 0, 8, 3, 0, 0}, false);
        failsNaming(shortHeader, "truncated header", () -> Idx.read(shortHeader));
        byte[] gz = Files.readAllBytes(write("gz", idx(8, new int[] {100}, new byte[100]), true));
        Path badGzip = write("bad.gz", Arrays.copyOf(gz, gz.length / 2), false);
        failsNaming(badGzip, "corrupt gzip", () -> Idx.read(badGzip));
        Path missing = dir.resolve("missing");
        failsNaming(missing, "no such file", () -> Idx.read(missing));
    }

    @Test
    void mnistPairsImagesWithLabelsAndChecksThem() throws IOException {
        write("train-images-idx3-ubyte.gz", idx(8, new int[] {2, 2, 2}, new byte[] {0, (byte) 255, 51, 0, 1, 2, 3, 4}), true);
        write("train-labels-idx1-ubyte", idx(8, new int[] {2}, new byte[] {7, 3}), false);
        Dataset d = Dataset.mnist(dir, "train");
        assertEquals(2, d.size());
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertArrayEquals(new float[] {0, 255 / 256f, 51 / 256f, 0, 1 / 256f, 2 / 256f, 3 / 256f, 4 / 256f}, d.inputs(), 0f);
        assertArrayEquals(new float[] {7, 3}, d.labels());

        write("t10k-images-idx3-ubyte", idx(8, new int[] {2, 2, 2}, new byte[8]), false);
        Path labels = write("t10k-labels-idx1-ubyte", idx(8, new int[] {3}, new byte[3]), false);
        failsNaming(labels, "holds 3 labels", () -> Dataset.mnist(dir, "t10k"));
        write("bad-images-idx3-ubyte", idx(8, new int[] {1, 1, 1}, new byte[1]), false);
        Path badLabel = write("bad-labels-idx1-ubyte", idx(8, new int[] {1}, new byte[] {12}), false);
        failsNaming(badLabel, "label 12", () -> Dataset.mnist(dir, "bad"));
    }

    @Test
    void idxPairScaledBy255WritesAnImageFolderExactly() throws IOException {
        Path images = write("fashion-images", idx(8, new int[] {3, 2, 2}, new byte[] {0, (byte) 255, 51, 1, 2, 3, 4, 5, 6, 7, 8, (byte) 128}), true);
        Path labels = write("fashion-labels", idx(8, new int[] {3}, new byte[] {9, 0, 9}), false);
        Dataset d = Dataset.idx(images, labels);
        assertArrayEquals(new float[] {0, 1, 51 / 255f, 1 / 255f}, d.sample(0), 0f);
        assertArrayEquals(new int[] {9, 0, 9}, d.intLabels());
        String[] names = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
        Path root = dir.resolve("png");
        ImageFolder.write(d, root, names);
        LabeledDataset back = ImageFolder.read(root, 2, 2, ImageFolder.Color.GRAY);
        assertEquals(java.util.List.of("Ankle boot", "T-shirt"), back.classNames());
        // by class: Ankle boot holds rows 0 and 2, T-shirt row 1
        assertArrayEquals(d.sample(0), back.dataset().sample(0), 0f, "every byte value survives, 255 included");
        assertArrayEquals(d.sample(2), back.dataset().sample(1), 0f, "and 128");
        assertArrayEquals(d.sample(1), back.dataset().sample(2), 0f);
        failsNaming(labels, "holds 3 labels", () -> Dataset.idx(write("four", idx(8, new int[] {4, 1, 1}, new byte[4]), false), labels));
    }

    private static Dataset counting(int n) {
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) x[i] = y[i] = i;
        return new Dataset(x, new int[] {1}, y);
    }

    @Test
    void loaderShufflesEachEpochAndResumesExactly() {
        Dataset d = counting(10);
        try (DataLoader a = new DataLoader(d, 4, true, 7, false); DataLoader b = new DataLoader(d, 4, true, 7, true)) {
            float[][] seq = new float[8][];
            for (int i = 0; i < 8; i++) {
                seq[i] = a.next().labels();
                assertArrayEquals(seq[i], b.next().labels(), "prefetch gives the same stream");
            }
            // each epoch (10 samples) is a permutation
            float[] flat = new float[32];
            for (int i = 0; i < 8; i++) System.arraycopy(seq[i], 0, flat, 4 * i, 4);
            for (int e = 0; e < 3; e++) {
                Set<Float> seen = new HashSet<>();
                for (int i = 0; i < 10; i++) seen.add(flat[10 * e + i]);
                assertEquals(10, seen.size(), "epoch " + e + " visits every sample once");
            }
            assertNotEquals(Arrays.toString(Arrays.copyOfRange(flat, 0, 10)), Arrays.toString(Arrays.copyOfRange(flat, 10, 20)));
            try (DataLoader c = new DataLoader(d, 4, true, 7, true)) {
                c.seek(12); // after 3 batches
                for (int i = 3; i < 8; i++) assertArrayEquals(seq[i], c.next().labels(), "resumed batch " + i);
            }
        }
        try (DataLoader ordered = new DataLoader(d, 4, false, 0, false)) {
            assertArrayEquals(new float[] {0, 1, 2, 3}, ordered.next().labels());
            ordered.next();
            assertArrayEquals(new float[] {8, 9, 0, 1}, ordered.next().labels(), "a batch runs on into the next epoch");
        }
    }

    @Test
    void hdf5ListFileInMochaConvention() throws IOException {
        float[][][][] x1 = new float[3][1][2][2], x2 = new float[2][1][2][2];
        for (int n = 0; n < 3; n++) x1[n][0][1][1] = n + 1;
        for (int n = 0; n < 2; n++) x2[n][0][0][0] = -n - 1;
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(dir.resolve("a.h5"))) {
            f.putDataset("data", x1);
            f.putDataset("label", new float[] {0, 1, 2});
        }
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(dir.resolve("b.h5"))) {
            f.putDataset("data", x2);
            f.putDataset("label", new double[][] {{4}, {5}});
        }
        Path list = write("train.txt", "a.h5\n# a comment\n\nb.h5\n".getBytes(), false);
        Dataset d = Hdf5Source.load(list);
        assertEquals(5, d.size());
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertArrayEquals(new float[] {0, 1, 2, 4, 5}, d.labels());
        assertEquals(3f, d.inputs()[2 * 4 + 3]);
        assertEquals(-2f, d.inputs()[4 * 4]);

        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(dir.resolve("nolabel.h5"))) {
            f.putDataset("data", x1);
        }
        Path noLabel = dir.resolve("nolabel.h5");
        failsNaming(noLabel, "no dataset 'label'", () -> Hdf5Source.load(write("l1.txt", "nolabel.h5\n".getBytes(), false)));
        try (io.jhdf.WritableHdfFile f = io.jhdf.HdfFile.write(dir.resolve("short.h5"))) {
            f.putDataset("data", x1);
            f.putDataset("label", new float[] {0, 1});
        }
        Path shortLabels = dir.resolve("short.h5");
        failsNaming(shortLabels, "does not match 'data'", () -> Hdf5Source.load(write("l2.txt", "short.h5\n".getBytes(), false)));
        Path notHdf5 = write("junk.h5", new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, false);
        failsNaming(notHdf5, "HDF5", () -> Hdf5Source.load(write("l3.txt", "junk.h5\n".getBytes(), false)));
        Path missing = dir.resolve("missing.h5");
        failsNaming(missing, "no such file", () -> Hdf5Source.load(write("l4.txt", "missing.h5\n".getBytes(), false)));
    }
}
