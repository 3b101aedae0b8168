package dev.cortado.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * A whole model in one safetensors file: the weights and buffers as tensors by PyTorch's names
 * (so {@code safetensors.torch.load_file} reads them into a state_dict), and in the
 * {@code __metadata__} string map:
 * <ul>
 *   <li>{@value #VERSION}: the format version ({@value #FORMAT_VERSION}); a newer one is refused by name;</li>
 *   <li>{@value #KIND}: the model's kind ("NetChain", "Gpt", ...); another kind than the one asked for is refused, naming both;</li>
 *   <li>{@value #ARCHITECTURE}: the architecture and settings as JSON (each kind its own object), with its CRC-32C in
 *       {@value #ARCHITECTURE_CHECKSUM};</li>
 *   <li>{@link Safetensors#CHECKSUM}name: each tensor's CRC-32C (required for every tensor);</li>
 *   <li>"format": "pt", and any notes the caller adds (keys outside "cortado.").</li>
 * </ul>
 * Written atomically; any inconsistency on reading (truncated, corrupt, of another kind or a newer
 * version) is an IOException naming the file. The version goes up when a file of the new version
 * would be misread by older code (a new layer kind, argument or model kind).
 */
public final class ModelFile implements AutoCloseable {

    /** The format version this code writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;
    /** Metadata keys. */
    public static final String VERSION = "cortado.format_version", KIND = "cortado.kind", ARCHITECTURE = "cortado.architecture",
            ARCHITECTURE_CHECKSUM = "cortado.architecture.crc32c";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String kind;
    private final int version;
    private final ObjectNode architecture;
    private final Map<String, String> notes;
    private final Safetensors.Contents contents;

    private ModelFile(Path file, String kind, int version, ObjectNode architecture, Map<String, String> notes, Safetensors.Contents contents) {
        this.file = file;
        this.kind = kind;
        this.version = version;
        this.architecture = architecture;
        this.notes = notes;
        this.contents = contents;
    }

    /** A new empty JSON object to describe an architecture in. */
    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /**
     * Writes a model of {@code kind} atomically: {@code tensors} (copied to the host) by their names,
     * the architecture and the format version in the metadata, and {@code notes} (keys outside
     * "cortado."; may be null).
     */
    public static void write(Path file, String kind, ObjectNode architecture, Map<String, Tensor> tensors, Map<String, String> notes) throws IOException {
        if (file == null) throw new IllegalArgumentException("ModelFile.write: file is null");
        if (kind == null || architecture == null || tensors == null) throw new IllegalArgumentException(file + ": kind, architecture and tensors must not be null");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        if (notes != null) {
            notes.forEach((k, v) -> {
                if (k == null || v == null || k.startsWith("cortado.")) throw new IllegalArgumentException(file + ": note '" + k + "' = " + v + " (keys starting with 'cortado.' are the format's)");
                meta.put(k, v);
            });
        }
        String json = JSON.writeValueAsString(architecture);
        meta.put(VERSION, Integer.toString(FORMAT_VERSION));
        meta.put(KIND, kind);
        meta.put(ARCHITECTURE, json);
        meta.put(ARCHITECTURE_CHECKSUM, crc(json));
        Safetensors.write(file, tensors, meta);
    }

    /** The kind of model {@code file} holds; an IOException naming the file when it holds none. */
    public static String kindOf(Path file) throws IOException {
        Map<String, String> meta = Safetensors.metadata(file);
        checkVersion(file, meta);
        return kindIn(file, meta);
    }

    /**
     * Reads a model file of {@code expectedKind} (null: any kind): its architecture and tensors
     * (which {@link #close} frees). Truncated or corrupt bytes, a newer format version or another
     * kind are an IOException naming the file.
     */
    public static ModelFile read(Path file, String expectedKind) throws IOException {
        Safetensors.Contents contents = Safetensors.readAll(file, true);
        try {
            Map<String, String> meta = contents.metadata();
            int version = checkVersion(file, meta);
            String kind = kindIn(file, meta);
            if (expectedKind != null && !expectedKind.equals(kind)) {
                throw new IOException(file + ": holds a " + kind + " model, not a " + expectedKind + " (load it with " + kind + ".load)");
            }
            String json = meta.get(ARCHITECTURE);
            if (json == null) throw new IOException(file + ": its metadata has no " + ARCHITECTURE);
            if (!crc(json).equals(meta.get(ARCHITECTURE_CHECKSUM))) throw new IOException(file + ": the architecture does not match its checksum (the header is corrupt)");
            JsonNode arch;
            try {
                arch = JSON.readTree(json);
            } catch (IOException e) {
                throw new IOException(file + ": the architecture is not valid JSON (" + e.getMessage() + ")", e);
            }
            if (arch == null || !arch.isObject()) throw new IOException(file + ": the architecture is not a JSON object");
            Map<String, String> notes = new LinkedHashMap<>();
            meta.forEach((k, v) -> {
                if (!k.startsWith("cortado.") && !k.equals("format")) notes.put(k, v);
            });
            return new ModelFile(file, kind, version, (ObjectNode) arch, notes, contents);
        } catch (IOException | RuntimeException e) {
            contents.close();
            throw e;
        }
    }

    private static int checkVersion(Path file, Map<String, String> meta) throws IOException {
        String v = meta.get(VERSION);
        if (v == null) {
            throw new IOException(file + ": not a Cortado model file: its metadata has no " + VERSION
                    + (meta.containsKey(KIND) ? "" : " (a weights-only file? load it into a model built in code with Module.loadWeights)"));
        }
        int version;
        try {
            version = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": format version '" + v + "' is not a number");
        }
        if (version > FORMAT_VERSION) {
            throw new IOException(file + ": written in Cortado model format version " + version + ", newer than this Cortado's " + FORMAT_VERSION
                    + " (" + VERSION + "); load it with a newer Cortado");
        }
        if (version < 1) throw new IOException(file + ": format version " + version + " does not exist");
        return version;
    }

    private static String kindIn(Path file, Map<String, String> meta) throws IOException {
        String kind = meta.get(KIND);
        if (kind == null) throw new IOException(file + ": not a Cortado model file: its metadata has no " + KIND);
        return kind;
    }

    public Path file() {
        return file;
    }

    public String kind() {
        return kind;
    }

    public int version() {
        return version;
    }

    /** The architecture object the writer described. */
    public ObjectNode architecture() {
        return architecture;
    }

    /** The metadata entries the writer added as notes. */
    public Map<String, String> notes() {
        return java.util.Collections.unmodifiableMap(notes);
    }

    /** The tensors by name (freed by {@link #close}). */
    public Map<String, Tensor> tensors() {
        return java.util.Collections.unmodifiableMap(contents.tensors());
    }

    /**
     * Copies the file's tensors into {@code targets}, strictly (PyTorch's strict load_state_dict):
     * the same names and shapes, none missing and none left over, or an IOException naming the
     * file and the tensor, and then no target has changed.
     */
    public void loadInto(Map<String, Tensor> targets) throws IOException {
        Safetensors.check(file, contents.tensors(), targets);
        if (!targets.keySet().containsAll(contents.tensors().keySet())) {
            TreeSet<String> extra = new TreeSet<>(contents.tensors().keySet());
            extra.removeAll(targets.keySet());
            throw new IOException(file + ": holds tensors the " + kind + " has not: " + extra);
        }
        Safetensors.copy(contents.tensors(), targets);
    }

    /**
     * Fills a model just built from the architecture with the file's tensors (as {@link #loadInto})
     * and returns it; on any failure closes that half-built model first, so that its native memory
     * is not left to the garbage collector.
     */
    public <M extends AutoCloseable> M fill(M model, Map<String, Tensor> tensors) throws IOException {
        try {
            loadInto(tensors);
            return model;
        } catch (IOException | RuntimeException e) {
            try {
                model.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** An IOException naming the file: its architecture is not one this code can build. */
    public IOException corrupt(String what, Exception cause) {
        return new IOException(file + ": the " + kind + " architecture " + what + (cause == null ? "" : " (" + cause.getMessage() + ")"), cause);
    }

    /** The architecture's field {@code name} of {@code node}, which must be there; an IOException naming the file otherwise. */
    public JsonNode field(JsonNode node, String name) throws IOException {
        JsonNode v = node.get(name);
        if (v == null) throw corrupt("lacks '" + name + "'", null);
        return v;
    }

    public int integer(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw corrupt("has '" + name + "' = " + v + ", not an integer", null);
        return v.intValue();
    }

    public long longInteger(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw corrupt("has '" + name + "' = " + v + ", not an integer", null);
        return v.longValue();
    }

    /** A number, or NaN where {@link #putNumber} wrote null. */
    public double number(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (v.isNull()) return Double.NaN;
        if (!v.isNumber()) throw corrupt("has '" + name + "' = " + v + ", not a number", null);
        return v.doubleValue();
    }

    public boolean bool(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isBoolean()) throw corrupt("has '" + name + "' = " + v + ", not true or false", null);
        return v.booleanValue();
    }

    public String text(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isTextual()) throw corrupt("has '" + name + "' = " + v + ", not a string", null);
        return v.textValue();
    }

    public int[] integers(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isArray()) throw corrupt("has '" + name + "' = " + v + ", not an array", null);
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt()) throw corrupt("has '" + name + "' = " + v + ", not integers", null);
            out[i] = v.get(i).intValue();
        }
        return out;
    }

    public double[] numbers(JsonNode node, String name) throws IOException {
        JsonNode v = field(node, name);
        if (!v.isArray()) throw corrupt("has '" + name + "' = " + v + ", not an array", null);
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) throw corrupt("has '" + name + "' = " + v + ", not numbers", null);
            out[i] = v.get(i).doubleValue();
        }
        return out;
    }

    /** Puts a double exactly (JSON numbers round-trip every finite double); NaN as null. */
    public static void putNumber(ObjectNode node, String name, double value) {
        if (Double.isNaN(value)) node.putNull(name);
        else if (Double.isInfinite(value)) throw new IllegalArgumentException("ModelFile: '" + name + "' is " + value);
        else node.put(name, value);
    }

    public static void putIntegers(ObjectNode node, String name, int[] values) {
        ArrayNode a = node.putArray(name);
        for (int v : values) a.add(v);
    }

    public static void putNumbers(ObjectNode node, String name, double[] values) {
        ArrayNode a = node.putArray(name);
        for (double v : values) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("ModelFile: '" + name + "' holds " + v);
            a.add(v);
        }
    }

    private static String crc(String s) {
        CRC32C c = new CRC32C();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }

    /** Frees the tensors read. */
    @Override
    public void close() {
        contents.close();
    }
}
