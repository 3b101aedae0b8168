package dev.cortado.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cortado.data.CsvOptions;
import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.data.Datasets;
import dev.cortado.data.ImageFolder;
import dev.cortado.data.Normalizer;
import dev.cortado.data.Splits;
import dev.cortado.data.Transform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the data package as a user's files and arguments reach it: CSV text (quotes, delimiters,
 * ragged rows, missing values, numbers out of range), image folders holding broken files, the
 * Dataset factories, splits, normalisers loaded from damaged files, and loaders with transforms.
 * Every call must return or throw a clean exception with a message — an IOException that names
 * the file, or an IllegalArgumentException/IllegalStateException/IndexOutOfBoundsException of the
 * API's own — and never a
 * NullPointerException, ArithmeticException, NegativeArraySizeException, ClassCastException or an
 * array index out of bounds from inside the package.
 *
 * <p>{@code mvn verify} runs the stored inputs under src/test/resources/dev/cortado/fuzz/DataFuzzTestInputs;
 * to fuzz: {@code JAZZER_FUZZ=1 mvn -pl java test -Dtest=DataFuzzTest}.
 */
class DataFuzzTest {

    private static final FuzzTally TALLY = new FuzzTally("DataFuzzTest");

    @AfterAll
    static void report() {
        TALLY.report();
    }

    @FuzzTest(maxDuration = "5m")
    void dataApi(FuzzedDataProvider in) throws IOException {
        Path dir = Files.createTempDirectory("cortado-fuzz");
        try {
            TALLY.call();
            switch (in.consumeInt(0, 4)) {
                case 0 -> csv(in, dir);
                case 1 -> imageFolder(in, dir);
                case 2 -> datasets(in);
                case 3 -> normalizerFile(in, dir);
                default -> loader(in);
            }
        } catch (IOException e) {
            String m = e.getMessage();
            if (m == null || !m.contains(dir.toString())) throw new AssertionError("an IOException that does not name the file", e);
            TALLY.clean("IOException", e);
        } catch (ArrayIndexOutOfBoundsException | StringIndexOutOfBoundsException e) {
            throw new AssertionError("an index error from inside the package", e);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException | IndexOutOfBoundsException e) {
            TALLY.clean(e);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final String CSV_CHARS = "0123456789.-+eE,;\t\"\n\r aNA?xyz";

    private static void csv(FuzzedDataProvider in, Path dir) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0, n = in.consumeInt(0, 200); i < n; i++) text.append(CSV_CHARS.charAt(in.consumeInt(0, CSV_CHARS.length() - 1)));
        Path file = dir.resolve("data.csv");
        Files.writeString(file, text);
        CsvOptions o = CsvOptions.defaults().header(in.consumeBoolean()).delimiter(in.pickValue(new Character[] {',', ';', '\t', '"'}));
        o = switch (in.consumeInt(0, 3)) {
            case 0 -> o.labelColumn(in.consumeInt(-3, 6));
            case 1 -> o.labelColumn(in.pickValue(new String[] {"x", "y", "", "label"}));
            default -> o;
        };
        o = o.labels(in.pickValue(CsvOptions.Labels.values()));
        Datasets.csv(file, o).dataset().size();
    }

    private static void imageFolder(FuzzedDataProvider in, Path dir) throws IOException {
        for (int c = 0, classes = in.consumeInt(0, 3); c < classes; c++) {
            Path folder = Files.createDirectories(dir.resolve("class" + c));
            for (int f = 0, files = in.consumeInt(0, 3); f < files; f++) {
                Path file = folder.resolve(f + (in.consumeBoolean() ? ".png" : ".jpg"));
                if (in.consumeBoolean()) {
                    BufferedImage img = new BufferedImage(in.consumeInt(1, 9), in.consumeInt(1, 9),
                            in.consumeBoolean() ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
                    img.setRGB(0, 0, in.consumeInt());
                    ImageIO.write(img, "png", file.toFile());
                } else {
                    Files.write(file, in.consumeBytes(in.consumeInt(0, 64)));
                }
            }
        }
        ImageFolder.read(dir, size(in), size(in), in.pickValue(ImageFolder.Color.values())).dataset().size();
    }

    private static int size(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 9)) {
            case 0 -> in.consumeInt(Integer.MIN_VALUE, 0);
            case 1 -> in.consumeInt(1 << 16, Integer.MAX_VALUE);
            default -> in.consumeInt(1, 12);
        };
    }

    private static float value(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 9)) {
            case 0 -> Float.NaN;
            case 1 -> Float.POSITIVE_INFINITY;
            case 2 -> 3e38f;
            default -> in.consumeInt(-3, 3);
        };
    }

    private static Dataset dataset(FuzzedDataProvider in) {
        int rows = in.consumeInt(0, 12), cols = in.consumeInt(0, 4);
        if (in.consumeBoolean()) {
            double[][] x = new double[rows][];
            for (int r = 0; r < rows; r++) {
                x[r] = new double[in.consumeInt(0, 9) == 0 ? cols + 1 : cols];
                for (int c = 0; c < x[r].length; c++) x[r][c] = in.consumeInt(0, 9) == 0 ? 1e300 : value(in);
            }
            int[] y = new int[in.consumeInt(0, 9) == 0 ? rows + 1 : rows];
            for (int r = 0; r < y.length; r++) y[r] = in.consumeInt(-1, 3);
            return Dataset.of(x, y);
        }
        float[][] x = new float[rows][cols];
        for (float[] row : x) for (int c = 0; c < cols; c++) row[c] = value(in);
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) y[r] = in.consumeInt(0, 3);
        return in.consumeBoolean() ? Dataset.of(x, y) : Dataset.regression(x, new float[rows]);
    }

    private static double[] fractions(FuzzedDataProvider in) {
        double[] f = new double[in.consumeInt(0, 4)];
        for (int i = 0; i < f.length; i++) f[i] = in.consumeInt(0, 9) == 0 ? Double.NaN : in.consumeInt(-1, 10) / 10.0;
        return f;
    }

    private static void datasets(FuzzedDataProvider in) {
        Dataset d = dataset(in);
        switch (in.consumeInt(0, 4)) {
            case 0 -> Splits.split(d, in.consumeLong(), in.consumeBoolean(), fractions(in));
            case 1 -> Normalizer.fit(d).apply(d);
            case 2 -> d.subset(new int[] {in.consumeInt(-2, 14)});
            case 3 -> d.sample(in.consumeInt(-2, 14));
            default -> d.label(in.consumeInt(-2, 14));
        }
    }

    private static void normalizerFile(FuzzedDataProvider in, Path dir) throws IOException {
        Path file = dir.resolve("normalizer.safetensors");
        if (in.consumeBoolean()) {
            Normalizer.fit(Dataset.of(new float[][] {{1, 2}, {3, 5}}, new int[] {0, 1})).save(file);
            byte[] b = Files.readAllBytes(file);
            for (int i = 0, n = in.consumeInt(0, 4); i < n && b.length > 0; i++) b[in.consumeInt(0, b.length - 1)] = in.consumeByte();
            Files.write(file, in.consumeBoolean() ? b : java.util.Arrays.copyOf(b, in.consumeInt(0, b.length)));
        } else {
            Files.write(file, in.consumeBytes(in.consumeInt(0, 128)));
        }
        Normalizer.load(file).apply(new float[] {1, 2});
    }

    private static void loader(FuzzedDataProvider in) {
        Dataset d = dataset(in);
        Transform t = switch (in.consumeInt(0, 3)) {
            case 0 -> Transform.randomCrop(in.consumeInt(-2, 5));
            case 1 -> Transform.horizontalFlip(in.consumeInt(-1, 11) / 10.0);
            default -> null;
        };
        try (DataLoader l = new DataLoader(d, in.consumeInt(-1, 20), in.consumeBoolean(), in.consumeLong(), in.consumeBoolean(), t)) {
            for (int i = 0, n = in.consumeInt(0, 3); i < n; i++) l.next();
        } catch (UncheckedIOException e) {
            throw new AssertionError("no file here", e);
        }
    }
}
