package dev.cortado.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The safetensors format (readable by PyTorch, JAX, candle...): an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}} (plus "__metadata__"), then the
 * raw little-endian tensor bytes. Cortado writes and reads F32 tensors; it stores a CRC-32C of
 * each tensor in the metadata and checks it on reading (files from other writers have none).
 */
public final class Safetensors {

    /** Strict about what follows the header's object: the format allows only space padding there. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Safetensors() {
    }

    /**
     * Writes {@code tensors} (copied to the host, in map order) atomically to {@code file}, with a
     * CRC-32C of each tensor's bytes in the metadata ({@value #CHECKSUM}name), which {@link #read}
     * verifies.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        if (file == null) throw new IllegalArgumentException("safetensors: file is null");
        if (tensors == null) throw new IllegalArgumentException(file + ": tensors is null");
        long total = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' is null");
            total += 4 * e.getValue().numel();
        }
        if (total > Integer.MAX_VALUE - 1024) throw new IOException(file + ": tensors larger than 2 GiB are not supported");
        ByteBuffer data = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        if (metadata != null) metadata.forEach(meta::put);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            int begin = data.position();
            for (float v : e.getValue().toArray()) data.putFloat(v);
            meta.put(CHECKSUM + e.getKey(), crc(data.array(), begin, data.position()));
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (int d : e.getValue().shape()) shape.add(d);
            t.putArray("data_offsets").add(begin).add(data.position());
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int pad = (8 - json.length % 8) % 8; // keep the data 8-byte aligned, padded with spaces as the format allows
        ByteBuffer out = ByteBuffer.allocate((int) (8 + json.length + pad + total)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length + pad).put(json);
        for (int i = 0; i < pad; i++) out.put((byte) ' ');
        out.put(data.array());
        AtomicFiles.write(file, out.array());
    }

    /** Refuses a null path, a missing file or a directory with an exception that names the path. */
    private static void checkReadable(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("safetensors: file is null");
        if (Files.isDirectory(file)) throw new IOException(file + ": is a directory, not a safetensors file");
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such safetensors file");
    }

    /** Metadata key prefix of a tensor's checksum. */
    public static final String CHECKSUM = "cortado.crc32c.";

    private static String crc(byte[] bytes, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(bytes, from, to - from);
        return String.format("%08x", c.getValue());
    }

    /**
     * Copies the tensors of {@code file} into {@code targets} by name (as PyTorch's strict
     * {@code load_state_dict}): a target the file lacks or whose shape differs is an IOException
     * naming the file and the tensor, and then no target has changed; the file's other tensors
     * are ignored.
     */
    public static void readInto(Path file, Map<String, Tensor> targets) throws IOException {
        if (targets == null) throw new IllegalArgumentException("Safetensors.readInto: targets are null");
        Map<String, Tensor> saved = read(file);
        try {
            check(file, saved, targets);
            copy(saved, targets);
        } finally {
            saved.values().forEach(Tensor::close);
        }
    }

    /** Checks that {@code saved} (read from {@code file}) holds every target by name and shape. */
    static void check(Path file, Map<String, Tensor> saved, Map<String, Tensor> targets) throws IOException {
        for (Map.Entry<String, Tensor> e : targets.entrySet()) {
            Tensor t = saved.get(e.getKey());
            if (t == null) throw new IOException(file + ": no tensor '" + e.getKey() + "'");
            if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new IOException(file + ": tensor '" + e.getKey() + "' has shape " + Shape.str(t.shape()) + ", the model has "
                        + Shape.str(e.getValue().shape()));
            }
        }
    }

    /** Copies each target's saved tensor into it (after {@link #check}). */
    static void copy(Map<String, Tensor> saved, Map<String, Tensor> targets) {
        try (GradMode off = GradMode.off()) {
            targets.forEach((name, target) -> target.copyFrom(saved.get(name)));
        }
    }

    /** Reads every tensor of {@code file}; any inconsistency is an IOException naming the file. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return readAll(file, false).tensors();
    }

    /** A file's metadata and tensors (new CPU tensors, which {@link Contents#close} frees). */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) implements AutoCloseable {
        @Override
        public void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    /**
     * The metadata and every tensor of {@code file}; any inconsistency is an IOException naming the
     * file, and then no tensor is left allocated.
     *
     * @param requireChecksums whether a tensor without its {@value #CHECKSUM} entry is refused (files Cortado wrote have one for every tensor)
     */
    public static Contents readAll(Path file, boolean requireChecksums) throws IOException {
        checkReadable(file);
        long size = Files.size(file);
        if (size < 8) throw new IOException(file + ": too short for a safetensors header (" + size + " bytes)");
        ByteBuffer all;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (size > Integer.MAX_VALUE) throw new IOException(file + ": larger than 2 GiB is not supported");
            all = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (all.hasRemaining() && ch.read(all) >= 0) { }
            all.flip();
        }
        long headerLength = all.getLong();
        if (headerLength < 2 || headerLength > size - 8) throw new IOException(file + ": not a safetensors file, or a truncated one (its header length "
                    + headerLength + " does not fit a file of " + size + " bytes)");
        byte[] json = new byte[(int) headerLength];
        all.get(json);
        JsonNode header;
        try {
            header = JSON.readTree(new String(json, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new IOException(file + ": header is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (header == null || !header.isObject()) throw new IOException(file + ": header is not a JSON object");
        long dataStart = 8 + headerLength, dataLength = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = header.path("__metadata__");
        if (!meta.isMissingNode() && !meta.isObject()) throw new IOException(file + ": __metadata__ is not a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) throw new IOException(file + ": metadata '" + e.getKey() + "' is not a string");
            metadata.put(e.getKey(), e.getValue().asText());
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            readTensors(file, header, metadata, all, dataStart, dataLength, requireChecksums, out);
        } catch (IOException | RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return new Contents(metadata, out);
    }

    private static void readTensors(Path file, JsonNode header, Map<String, String> metadata, ByteBuffer all, long dataStart, long dataLength,
                                    boolean requireChecksums, Map<String, Tensor> out) throws IOException {
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            String name = e.getKey();
            if (!"F32".equals(t.path("dtype").asText())) throw new IOException(file + ": tensor '" + name + "' has dtype " + t.path("dtype") + ", only F32 is supported");
            List<Integer> dims = new ArrayList<>();
            long count = 1;
            for (JsonNode d : t.path("shape")) {
                if (!d.canConvertToInt() || d.asInt() < 0) throw new IOException(file + ": tensor '" + name + "' has a bad shape " + t.path("shape"));
                dims.add(d.asInt());
                count *= d.asInt();
            }
            JsonNode off = t.path("data_offsets");
            if (off.size() != 2) throw new IOException(file + ": tensor '" + name + "' lacks data_offsets");
            long begin = off.get(0).asLong(-1), end = off.get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLength) {
                throw new IOException(file + ": tensor '" + name + "' data [" + begin + ", " + end + ") lies outside the " + dataLength + " data bytes (truncated?)");
            }
            if (end - begin != 4 * count) throw new IOException(file + ": tensor '" + name + "' has " + (end - begin) + " bytes for shape " + dims);
            String sum = metadata.get(CHECKSUM + name);
            if (sum == null && requireChecksums) throw new IOException(file + ": tensor '" + name + "' has no checksum (the header is corrupt)");
            if (sum != null && !sum.equals(crc(all.array(), (int) (dataStart + begin), (int) (dataStart + end)))) {
                throw new IOException(file + ": tensor '" + name + "' does not match its checksum (its data bytes are corrupt)");
            }
            float[] v = new float[(int) count];
            all.position((int) (dataStart + begin));
            all.asFloatBuffer().get(v);
            out.put(name, Tensor.of(v, dims.stream().mapToInt(Integer::intValue).toArray()).keep());
        }
    }

    /** The "__metadata__" strings of {@code file}. */
    public static Map<String, String> metadata(Path file) throws IOException {
        checkReadable(file);
        Map<String, String> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) { }
            len.flip();
            long n = len.remaining() == 8 ? len.getLong() : -1;
            if (n < 2 || n > ch.size() - 8) throw new IOException(file + ": bad safetensors header length " + n);
            ByteBuffer h = ByteBuffer.allocate((int) n);
            while (h.hasRemaining() && ch.read(h) >= 0) { }
            JsonNode header;
            try {
                header = JSON.readTree(new String(h.array(), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new IOException(file + ": header is not valid JSON (" + e.getMessage() + ")", e);
            }
            if (header == null || !header.isObject()) throw new IOException(file + ": header is not a JSON object");
            header.path("__metadata__").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
