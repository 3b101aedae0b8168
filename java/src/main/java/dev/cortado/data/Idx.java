package dev.cortado.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format: big-endian magic 0x00 0x00 type ndims, then ndims int32
 * sizes, then the data), raw or gzip-compressed (detected by content, not name). Only unsigned
 * bytes (type 0x08) are supported, which is what MNIST uses. Any inconsistency is an IOException
 * that names the file and what is wrong.
 */
public final class Idx {

    /** The sizes and the raw unsigned bytes. */
    public record Data(int[] dims, byte[] bytes) {
        public int count() {
            return dims[0];
        }
    }

    private Idx() {
    }

    public static Data read(Path file) throws IOException {
        byte[] all;
        try (InputStream in = open(file)) {
            all = in.readAllBytes();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": corrupt gzip stream (" + e.getMessage() + ")", e);
        }
        if (all.length < 4) throw new IOException(file + ": too short for an IDX header (" + all.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(all); // big-endian
        if (all[0] != 0 || all[1] != 0) throw new IOException(file + ": not an IDX file (bad magic " + hex(all, 4) + ")");
        int type = all[2] & 0xff, ndims = all[3] & 0xff;
        if (type != 0x08) throw new IOException(file + ": IDX element type 0x" + Integer.toHexString(type) + " is not supported (only unsigned bytes, 0x08)");
        if (ndims < 1) throw new IOException(file + ": IDX file with 0 dimensions");
        if (all.length < 4 + 4 * ndims) throw new IOException(file + ": truncated header (" + ndims + " dimensions announced)");
        b.position(4);
        int[] dims = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++) {
            dims[i] = b.getInt();
            if (dims[i] < 0) throw new IOException(file + ": negative size " + dims[i] + " in dimension " + i);
            count *= dims[i];
            if (count > Integer.MAX_VALUE - 8) throw new IOException(file + ": sizes " + Arrays.toString(Arrays.copyOf(dims, i + 1)) + " are too large");
        }
        long have = all.length - b.position();
        if (have < count) throw new IOException(file + ": truncated: sizes " + Arrays.toString(dims) + " need " + count + " data bytes, found " + have);
        if (have > count) throw new IOException(file + ": " + (have - count) + " bytes after the data of sizes " + Arrays.toString(dims));
        return new Data(dims, Arrays.copyOfRange(all, b.position(), all.length));
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        InputStream in = new BufferedInputStream(Files.newInputStream(file));
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(in) : in;
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) sb.append(String.format("%02x", b[i] & 0xff));
        return sb.toString();
    }
}
