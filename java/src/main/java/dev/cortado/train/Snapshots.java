package dev.cortado.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.data.DataLoader;
import dev.cortado.nn.Module;
import dev.cortado.optim.Optimizer;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshots a run into {@code dir/iter-NNNNNNNN/}: {@code model.safetensors} (the weights and
 * buffers, {@link Module#stateDict}, by PyTorch's names, readable by PyTorch), {@code optimizer.safetensors} (velocities / moments) and
 * {@code solver.json} (iteration, data-stream position). Each snapshot is written into a
 * temporary directory, synced, then renamed into place: a crash never leaves a half snapshot
 * under a final name, and {@link #latest} only sees complete ones.
 *
 * <p>A snapshot at an iteration that already has one (a second run into the same directory, a
 * resumed run passing an older run's iteration) replaces it, as Caffe's snapshots do: the old
 * directory steps aside ({@code iter-N.old-*}), the new one takes its name, then the old one is
 * deleted. A crash between the two renames leaves the old snapshot aside; the next
 * {@link #latest} (and every save and load) puts it back. Leftover temporary directories of
 * interrupted writes are deleted then too.
 */
public final class Snapshots implements CoffeeBreak {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(Snapshots.class.getName());
    private final Path dir;

    public Snapshots(Path dir) {
        if (dir == null) throw new IllegalArgumentException("snapshots: dir is null");
        this.dir = dir;
    }

    @Override
    public void onBreak(Solver s) throws IOException {
        save(dir, s.net(), s.optimizer(), s.data());
    }

    /** Writes one snapshot and returns its directory. */
    public static Path save(Path dir, Module net, Optimizer optimizer, DataLoader data) throws IOException {
        required("save", "dir", dir);
        required("save", "net", net);
        required("save", "optimizer", optimizer);
        Files.createDirectories(dir);
        tidy(dir);
        String name = String.format("iter-%08d", optimizer.iteration());
        Path target = dir.resolve(name);
        Path tmp = Files.createTempDirectory(dir, name + ".tmp-");
        Safetensors.write(tmp.resolve("model.safetensors"), net.stateDict(), Map.of("format", "pt", "writer", "cortado"));
        Map<String, Tensor> state = optimizerState(net.namedParameters(), optimizer);
        Safetensors.write(tmp.resolve("optimizer.safetensors"), state, Map.of("writer", "cortado"));
        ObjectNode solver = JSON.createObjectNode();
        solver.put("iteration", optimizer.iteration());
        solver.put("data_position", data == null ? 0 : data.position());
        if (data != null) solver.put("batch_size", data.batchSize());
        solver.put("optimizer", optimizer.getClass().getSimpleName());
        AtomicFiles.write(tmp.resolve("solver.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(solver));
        AtomicFiles.fsync(tmp);
        if (Files.exists(target)) {
            Path old = dir.resolve(tmp.getFileName().toString().replace(".tmp-", ".old-"));
            AtomicFiles.publish(target, old);
            AtomicFiles.publish(tmp, target);
            deleteTree(old);
        } else {
            AtomicFiles.publish(tmp, target);
        }
        return target;
    }

    /**
     * Repairs what a crash can leave in {@code dir}: an old snapshot set aside for a replacement
     * that never arrived goes back under its name (one whose replacement did arrive is deleted),
     * and temporary directories of interrupted writes are deleted.
     */
    private static void tidy(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(dir, "iter-*")) {
            all.forEach(entries::add);
        }
        for (Path p : entries) {
            String n = p.getFileName().toString();
            if (n.matches("iter-\\d{8}\\.old-.*")) {
                Path original = dir.resolve(n.substring(0, 13));
                if (Files.exists(original)) deleteTree(p);
                else AtomicFiles.publish(p, original);
            } else if (n.matches("iter-\\d{8}\\.tmp-.*")) {
                deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> all;
        try (var walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) Files.deleteIfExists(p);
    }

    /** The newest complete snapshot under {@code dir}, or null. */
    public static Path latest(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        tidy(dir);
        Path best = null;
        try (DirectoryStream<Path> all = Files.newDirectoryStream(dir, "iter-*")) {
            for (Path p : all) {
                if (!p.getFileName().toString().matches("iter-\\d{8}") || !Files.isRegularFile(p.resolve("solver.json"))) continue;
                if (best == null || p.getFileName().toString().compareTo(best.getFileName().toString()) > 0) best = p;
            }
        }
        return best;
    }

    /**
     * Restores weights, optimizer state, iteration and data position from {@code snapshot}
     * (one iter-* directory, or a snapshot root whose latest is taken). Mismatched names or
     * shapes are an IOException naming the file. Returns the restored iteration.
     * {@code optimizer} and {@code data} may be null: then only the weights (and the data
     * position, with data) are restored, e.g. to run a trained model.
     *
     * @throws IllegalArgumentException if snapshot or net is null
     */
    public static long load(Path snapshot, Module net, Optimizer optimizer, DataLoader data) throws IOException {
        required("load", "snapshot", snapshot);
        required("load", "net", net);
        Path from = Files.isRegularFile(snapshot.resolve("solver.json")) ? snapshot : latest(snapshot);
        if (from == null) throw new IOException(snapshot + ": no complete snapshot (iter-*/solver.json) found");
        Path solverFile = from.resolve("solver.json");
        JsonNode solver;
        try {
            solver = JSON.readTree(solverFile.toFile());
        } catch (IOException e) {
            throw new IOException(solverFile + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        long iteration = solver.path("iteration").asLong(-1), position = solver.path("data_position").asLong(-1);
        if (!solver.path("iteration").canConvertToLong() || !solver.path("data_position").canConvertToLong()) {
            throw new IOException(solverFile + ": missing iteration or data_position");
        }
        if (iteration < 0) throw new IOException(solverFile + ": iteration " + iteration + " is negative");
        if (position < 0 || position > DataLoader.MAX_POSITION) {
            throw new IOException(solverFile + ": data_position " + position + " is outside [0, 2^53]");
        }
        int batch = solver.path("batch_size").asInt(0);
        if (data != null && batch > 0 && batch != data.batchSize()) {
            LOG.log(System.Logger.Level.WARNING, solverFile + " was saved with batch size " + batch + "; resuming with "
                    + data.batchSize() + " (the data stream continues from the same sample, the learning-rate schedule from the same iteration)");
        }
        // both files are read and checked before anything is copied: a bad snapshot changes nothing
        Path modelFile = from.resolve("model.safetensors"), optFile = from.resolve("optimizer.safetensors");
        Map<String, Tensor> params = net.namedParameters(), state = optimizer == null ? Map.of() : optimizerState(params, optimizer);
        Map<String, Tensor> model = net.stateDict(); // parameters and buffers (BatchNorm's running statistics)
        Map<String, Tensor> weights = Safetensors.read(modelFile), saved = optimizer == null ? Map.of() : Safetensors.read(optFile);
        try {
            Safetensors.check(modelFile, weights, model);
            Safetensors.check(optFile, saved, state);
            Safetensors.copy(weights, model);
            Safetensors.copy(saved, state);
        } finally {
            weights.values().forEach(Tensor::close);
            saved.values().forEach(Tensor::close);
        }
        if (optimizer != null) optimizer.setIteration(iteration);
        if (data != null) data.seek(position);
        return iteration;
    }

    /** The optimizer's state tensors by the names they are saved under: the parameter's name, a dot and the slot. */
    private static Map<String, Tensor> optimizerState(Map<String, Tensor> params, Optimizer optimizer) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        List<String> names = List.copyOf(params.keySet());
        List<Tensor[]> opt = optimizer.state();
        for (int i = 0; i < opt.size(); i++) {
            for (int j = 0; j < opt.get(i).length; j++) state.put(names.get(i) + "." + j, opt.get(i)[j]);
        }
        return state;
    }

    private static void required(String op, String name, Object value) {
        if (value == null) throw new IllegalArgumentException("Snapshots." + op + ": " + name + " is null");
    }
}
