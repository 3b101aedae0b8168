package dev.cortado.api;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NetTrain's best-model checkpoint: host copies of a net's state (parameters and buffers, such as
 * a batch norm's running statistics) at its best round, optionally written to a safetensors file
 * each time they change, and copied back on request.
 */
final class BestModel {

    private final NetChain net;
    private final Path file;
    private final List<float[]> values = new ArrayList<>();

    BestModel(NetChain net, Path file) {
        this.net = net;
        this.file = file;
    }

    /** Copies the net's current state (and writes it to the file, if any) as round {@code round}'s. */
    void keep(int round) {
        values.clear();
        for (Tensor t : net.module().stateDict().values()) values.add(t.toArray());
        if (file == null) return;
        try {
            Safetensors.write(file, net.module().stateDict(), Map.of("round", Integer.toString(round)));
        } catch (IOException e) {
            throw new UncheckedIOException("NetTrain: cannot write the best-model checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** Puts the kept state back into the net (nothing if none was kept). */
    void restore() {
        if (values.isEmpty()) return;
        List<Tensor> state = new ArrayList<>(net.module().stateDict().values());
        try (GradMode off = GradMode.off()) {
            for (int i = 0; i < state.size(); i++) state.get(i).copyFrom(values.get(i));
        }
    }
}
