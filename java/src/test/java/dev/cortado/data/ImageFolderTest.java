package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {

    @TempDir
    Path root;

    /** A 4x4 gray PNG whose pixel (x, y) is base + 16 y + x. */
    private Path gray(String cls, String name, int base) throws IOException {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) img.getRaster().setSample(x, y, 0, base + 16 * y + x);
        return save(img, cls, name, "png");
    }

    /** A 2x2 RGB image, each pixel (r, g, b) = (10 + i, 100 + i, 200 + i) for i = 2 y + x. */
    private Path rgb(String cls, String name, String format) throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) {
            int i = 2 * y + x;
            img.setRGB(x, y, (10 + i) << 16 | (100 + i) << 8 | (200 + i));
        }
        return save(img, cls, name, format);
    }

    private Path save(BufferedImage img, String cls, String name, String format) throws IOException {
        Path dir = Files.createDirectories(root.resolve(cls));
        Path f = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, f.toFile()));
        return f;
    }

    private void refused(String expected, Path named) {
        IOException e = assertThrows(IOException.class, () -> ImageFolder.read(root, 4, 4, ImageFolder.Color.GRAY));
        assertTrue(e.getMessage().contains(named.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void grayFoldersGiveSortedClassesExactPixelsAndAResize() throws IOException {
        gray("shirt", "b.png", 100);
        gray("shirt", "a.png", 0);
        gray("coat", "x.png", 50);
        Files.writeString(root.resolve("coat").resolve("notes.txt"), "skipped");
        LabeledDataset t = ImageFolder.read(root, 4, 4, ImageFolder.Color.GRAY);
        Dataset d = t.dataset();
        assertEquals(List.of("coat", "shirt"), t.classNames());
        assertArrayEquals(new int[] {1, 4, 4}, d.sampleShape());
        assertArrayEquals(new int[] {0, 1, 1}, d.intLabels());
        assertEquals(50 / 255f, d.sample(0)[0]);
        assertEquals((100 + 16 * 3 + 2) / 255f, d.sample(2)[14], "b.png after a.png, row-major pixels");

        Dataset half = ImageFolder.read(root, 2, 2, ImageFolder.Color.GRAY).dataset();
        assertArrayEquals(new int[] {1, 2, 2}, half.sampleShape());
        // bilinear at scale 1/2 averages each 2x2 block: top-left block of a.png = (0 + 1 + 16 + 17) / 4
        assertEquals(8.5f / 255f, half.sample(1)[0], 1e-6f);
        assertEquals((34 + 35 + 50 + 51) / 4f / 255f, half.sample(1)[3], 1e-6f);
    }

    @Test
    void rgbIsChannelsFirstAndGrayIsItsLuma() throws IOException {
        rgb("a", "p.png", "png");
        LabeledDataset t = ImageFolder.read(root, 2, 2, ImageFolder.Color.RGB);
        assertArrayEquals(new int[] {3, 2, 2}, t.dataset().sampleShape());
        float[] s = t.dataset().sample(0);
        assertArrayEquals(new float[] {10 / 255f, 11 / 255f, 12 / 255f, 13 / 255f}, java.util.Arrays.copyOfRange(s, 0, 4));
        assertEquals(103 / 255f, s[7]);
        assertEquals(201 / 255f, s[9]);
        float[] g = ImageFolder.read(root, 2, 2, ImageFolder.Color.GRAY).dataset().sample(0);
        assertEquals((0.299f * 10 + 0.587f * 100 + 0.114f * 200) / 255f, g[0], 1e-5f);
        float[] up = ImageFolder.read(root, 4, 4, ImageFolder.Color.RGB).dataset().sample(0);
        assertEquals(48, up.length);
        assertEquals(10 / 255f, up[0], 1e-6f, "corner pixel kept when enlarging");
    }

    @Test
    void jpegIsRead() throws IOException {
        rgb("a", "p.jpg", "jpg");
        assertEquals(1, ImageFolder.read(root, 2, 2, ImageFolder.Color.RGB).dataset().size());
    }

    @Test
    void refusalsNameTheFileOrFolder() throws IOException {
        refused("no class folders", root);
        Path empty = Files.createDirectories(root.resolve("empty"));
        refused("holds no .png, .jpg or .jpeg images", empty);
        gray("empty", "ok.png", 0);
        Path junk = root.resolve("empty").resolve("junk.png");
        Files.write(junk, new byte[] {1, 2, 3, 4});
        refused("unreadable image", junk);
        Path none = root.resolve("none");
        IOException e = assertThrows(IOException.class, () -> ImageFolder.read(none, 4, 4, ImageFolder.Color.RGB));
        assertTrue(e.getMessage().contains(none + ": no such directory"), e.getMessage());
    }

    @Test
    void writeRoundTripsThroughRead() throws IOException {
        for (int channels : new int[] {1, 3}) {
            Path out = root.resolve("out" + channels);
            int n = 12, per = channels * 3 * 5;
            float[] x = new float[n * per];
            for (int i = 0; i < x.length; i++) x[i] = (i * 37 % 256) / 255f;
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = i % 3 == 0 ? 2 : 0; // rows in class order: 1,2,4,5,... then 0,3,6,9
            Dataset d = Dataset.of(x, new int[] {channels, 3, 5}, labels);
            ImageFolder.write(d, out, new String[] {"t-shirt", "unused", "boot"});
            assertTrue(Files.exists(out.resolve("boot").resolve("09.png")), "rows zero-padded");
            LabeledDataset back = ImageFolder.read(out, 3, 5, channels == 1 ? ImageFolder.Color.GRAY : ImageFolder.Color.RGB);
            assertEquals(List.of("boot", "t-shirt"), back.classNames(), "a class without images gets no folder");
            int[] rows = {0, 3, 6, 9, 1, 2, 4, 5, 7, 8, 10, 11};
            for (int i = 0; i < n; i++) {
                assertArrayEquals(d.sample(rows[i]), back.dataset().sample(i), "channels " + channels + " sample " + i);
            }
        }
        Dataset flat = Dataset.of(new float[][] {{1}}, new int[] {0});
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.write(flat, root, new String[] {"a"}));
        Dataset img = Dataset.of(new float[4], new int[] {1, 2, 2}, new int[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.write(img, root, new String[] {"a"}));
        assertTrue(e.getMessage().contains("label 1 of dataset row 0 has no name"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.write(img, root, new String[] {"a", "../b"}));
    }
}
