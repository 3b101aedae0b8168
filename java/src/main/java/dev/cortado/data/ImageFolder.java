package dev.cortado.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Images in one folder per class, {@code root/<class>/*.png|jpg|jpeg} (torchvision's
 * ImageFolder): classes sorted by folder name give the labels 0, 1, ...; files are read in name
 * order through the JDK's ImageIO, resized (bilinear, half-pixel centres) to height x width and
 * stored as [1, H, W] (gray, luma 0.299 R + 0.587 G + 0.114 B) or [3, H, W] (RGB), scaled to
 * [0, 1]. Alpha is ignored. Hidden entries and files with other extensions are skipped.
 */
public final class ImageFolder {

    /** The channels of the samples. */
    public enum Color {
        /** One channel, [1, H, W]. */
        GRAY,
        /** Three channels, [3, H, W]. */
        RGB
    }

    /** The largest height or width read accepts. */
    public static final int MAX_SIDE = 16384;

    private ImageFolder() {
    }

    /** Reads {@code root}; the result's class names are the folder names. */
    public static LabeledDataset read(Path root, int height, int width, Color color) throws IOException {
        if (root == null || color == null) throw new IllegalArgumentException("root and color must not be null");
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("image size must be between 1x1 and " + MAX_SIDE + "x" + MAX_SIDE + ", got " + height + "x" + width);
        }
        if (!Files.isDirectory(root)) throw new IOException(root + ": no such directory");
        List<Path> classes = list(root, true);
        if (classes.isEmpty()) throw new IOException(root + ": no class folders (expected " + root + "/<class>/*.png or *.jpg)");
        int channels = color == Color.GRAY ? 1 : 3, per = channels * height * width;
        List<List<Path>> files = new ArrayList<>();
        long total = 0;
        for (Path dir : classes) {
            List<Path> images = list(dir, false);
            if (images.isEmpty()) throw new IOException(dir + ": class folder '" + dir.getFileName() + "' holds no .png, .jpg or .jpeg images");
            files.add(images);
            total += images.size();
        }
        if (total * per > Integer.MAX_VALUE) {
            throw new IOException(root + ": " + total + " images of " + channels + "x" + height + "x" + width + " exceed 2^31 values; use a smaller size");
        }
        float[] x;
        try {
            x = new float[(int) (total * per)];
        } catch (OutOfMemoryError e) { // one allocation failed whole: nothing else is affected, and the user can act on it
            throw new IOException(root + ": " + total + " images of " + channels + "x" + height + "x" + width + " need "
                    + (4 * total * per >> 20) + " MiB of Java heap; raise -Xmx or read a smaller size", e);
        }
        int[] labels = new int[(int) total];
        List<String> names = new ArrayList<>();
        int row = 0;
        for (int c = 0; c < classes.size(); c++) {
            for (Path f : files.get(c)) {
                System.arraycopy(resize(pixels(f, channels), height, width), 0, x, row * per, per);
                labels[row++] = c;
            }
            names.add(classes.get(c).getFileName().toString());
        }
        Dataset d = Dataset.of(x, new int[] {channels, height, width}, labels);
        return new LabeledDataset(d, List.of(), names);
    }

    /**
     * Writes each sample of {@code data} ([1, H, W] gray or [3, H, W] RGB, values in [0, 1],
     * rounded to 8 bits; values outside are clamped) as {@code root/<classNames[label]>/<row>.png},
     * rows zero-padded so that name order is row order; {@link #read} gives the same dataset
     * back (ordered by class). Each file appears whole or not at all (written to a temporary,
     * then renamed).
     */
    public static void write(Dataset data, Path root, String[] classNames) throws IOException {
        if (data == null || root == null || classNames == null) throw new IllegalArgumentException("data, root and classNames must not be null");
        int[] s = data.sampleShape();
        if (s.length != 3 || s[0] != 1 && s[0] != 3) {
            throw new IllegalArgumentException("images must have shape [1, H, W] or [3, H, W], got " + java.util.Arrays.toString(s));
        }
        for (String name : classNames) {
            if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
                throw new IllegalArgumentException("class name '" + name + "' cannot be a folder name (empty, hidden, or with a path separator)");
            }
        }
        int digits = Integer.toString(Math.max(data.size() - 1, 0)).length();
        for (int row = 0; row < data.size(); row++) {
            int label = data.label(row);
            if (label >= classNames.length) {
                throw new IllegalArgumentException("label " + label + " of dataset row " + row + " has no name: " + classNames.length + " class names given");
            }
            Path dir = Files.createDirectories(root.resolve(classNames[label]));
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image(data.sample(row), s[0], s[1], s[2]), "png", png);
            Path file = dir.resolve(String.format(Locale.ROOT, "%0" + digits + "d.png", row));
            Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
            Files.write(tmp, png.toByteArray());
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot atomically rename " + tmp + " to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private static List<Path> list(Path dir, boolean folders) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> folders ? Files.isDirectory(p) : Files.isRegularFile(p) && isImage(p))
                    .sorted()
                    .toList();
        }
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** The image as [channels][h][w] in [0, 1]. */
    private static float[][][] pixels(Path file, int channels) throws IOException {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": unreadable image (" + e.getMessage() + ")", e);
        }
        if (img == null) throw new IOException(file + ": unreadable image (no ImageIO reader recognises its content)");
        int h = img.getHeight(), w = img.getWidth();
        float[][][] out = new float[channels][h][w];
        Raster raster = img.getRaster();
        boolean gray = img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY && raster.getNumBands() <= 2;
        if (gray) { // the raw samples: getRGB would apply a gamma to a linear gray colour space
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = raster.getSample(x, y, 0) / max;
                    for (int c = 0; c < channels; c++) out[c][y][x] = v;
                }
            }
            return out;
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                float r = (rgb >> 16 & 0xff) / 255f, g = (rgb >> 8 & 0xff) / 255f, b = (rgb & 0xff) / 255f;
                if (channels == 1) {
                    out[0][y][x] = 0.299f * r + 0.587f * g + 0.114f * b;
                } else {
                    out[0][y][x] = r;
                    out[1][y][x] = g;
                    out[2][y][x] = b;
                }
            }
        }
        return out;
    }

    /** Bilinear resize with half-pixel centres (PyTorch's align_corners=False), flattened to CHW. */
    private static float[] resize(float[][][] src, int height, int width) {
        int channels = src.length, h = src[0].length, w = src[0][0].length;
        float[] out = new float[channels * height * width];
        for (int y = 0; y < height; y++) {
            float sy = Math.max(0f, (y + 0.5f) * h / height - 0.5f);
            int y0 = Math.min((int) sy, h - 1), y1 = Math.min(y0 + 1, h - 1);
            float fy = sy - y0;
            for (int x = 0; x < width; x++) {
                float sx = Math.max(0f, (x + 0.5f) * w / width - 0.5f);
                int x0 = Math.min((int) sx, w - 1), x1 = Math.min(x0 + 1, w - 1);
                float fx = sx - x0;
                for (int c = 0; c < channels; c++) {
                    float[][] p = src[c];
                    float v = h == height && w == width ? p[y][x]
                            : (1 - fy) * ((1 - fx) * p[y0][x0] + fx * p[y0][x1]) + fy * ((1 - fx) * p[y1][x0] + fx * p[y1][x1]);
                    out[(c * height + y) * width + x] = v;
                }
            }
        }
        return out;
    }

    private static BufferedImage image(float[] sample, int channels, int h, int w) {
        BufferedImage img = new BufferedImage(w, h, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (channels == 1) {
                    img.getRaster().setSample(x, y, 0, byte8(sample[y * w + x]));
                } else {
                    int r = byte8(sample[y * w + x]), g = byte8(sample[(h + y) * w + x]), b = byte8(sample[(2 * h + y) * w + x]);
                    img.setRGB(x, y, r << 16 | g << 8 | b);
                }
            }
        }
        return img;
    }

    private static int byte8(float v) {
        return Math.round(Math.max(0f, Math.min(1f, Float.isNaN(v) ? 0f : v)) * 255f);
    }
}
