package dev.cortado.examples;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An input tensor read from a file, as {@code onnx-run --input} takes it:
 * <ul>
 *   <li>{@code .npy} (NumPy's {@code np.save}): C order, little-endian float32, float64, int32 or
 *       int64; the file gives the shape; values are converted to float32 (ids stay whole numbers,
 *       Cortado's convention for integer inputs);</li>
 *   <li>any other name: raw little-endian float32 in row-major order (PyTorch's
 *       {@code x.numpy().astype('<f4').tofile(path)}); the shape is the model input's.</li>
 * </ul>
 * A file that cannot be read, or does not fit, is an {@link IOException} naming it.
 */
final class InputFile {

    /** The values and, for .npy, the file's shape (null for raw files: the model's shape applies). */
    record Data(float[] values, int[] shape) {
    }

    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private InputFile() {
    }

    static boolean isNpy(Path path) {
        return path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy");
    }

    /** Reads a .npy file (its shape included) or a raw float32 file (shape null). */
    static Data read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException("no such input file: " + path);
        byte[] bytes = Files.readAllBytes(path);
        return isNpy(path) ? npy(path, bytes) : new Data(raw(path, bytes), null);
    }

    /** Raw little-endian float32 values. */
    private static float[] raw(Path path, byte[] bytes) throws IOException {
        if (bytes.length % 4 != 0) throw new IOException(path + ": " + bytes.length + " bytes is not a whole number of float32 values");
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static Data npy(Path path, byte[] bytes) throws IOException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), NPY_MAGIC)) {
            throw new IOException(path + ": not a .npy file (no \\x93NUMPY header)");
        }
        int major = bytes[6];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength, start;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new IOException(path + ": a truncated .npy header");
            headerLength = b.getInt(8);
            start = 12;
        } else {
            throw new IOException(path + ": .npy format version " + major + " is not supported (1 to 3 are)");
        }
        if (headerLength < 0 || start + headerLength > bytes.length) throw new IOException(path + ": a truncated .npy header");
        String header = new String(bytes, start, headerLength, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, path, "descr");
        if ("True".equals(group(FORTRAN, header, path, "fortran_order"))) {
            throw new IOException(path + ": a Fortran-order .npy array (save np.ascontiguousarray(x) instead)");
        }
        int[] shape = shape(group(SHAPE, header, path, "shape"), path);
        long count = 1;
        for (int d : shape) count *= d;
        int width = switch (descr) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            default -> throw new IOException(path + ": .npy dtype '" + descr + "' is not supported (<f4, <f8, <i4, <i8 are)");
        };
        int data = start + headerLength;
        if (bytes.length - data != count * width) {
            throw new IOException(path + ": the header says " + count + " values of " + width + " bytes (shape " + Arrays.toString(shape)
                    + "), but " + (bytes.length - data) + " bytes follow it");
        }
        float[] v = new float[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            int at = data + i * width;
            v[i] = switch (descr) {
                case "<f4" -> b.getFloat(at);
                case "<f8" -> (float) b.getDouble(at);
                case "<i4" -> b.getInt(at);
                default -> b.getLong(at);
            };
        }
        return new Data(v, shape);
    }

    private static String group(Pattern p, String header, Path path, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) throw new IOException(path + ": the .npy header has no '" + key + "' (" + header.strip() + ")");
        return m.group(1);
    }

    private static int[] shape(String text, Path path) throws IOException {
        String[] parts = text.split(",");
        int n = 0;
        int[] shape = new int[parts.length];
        try {
            for (String p : parts) if (!p.isBlank()) shape[n++] = Math.toIntExact(Long.parseLong(p.strip()));
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IOException(path + ": a bad .npy shape (" + text + ")");
        }
        return Arrays.copyOf(shape, n);
    }
}
