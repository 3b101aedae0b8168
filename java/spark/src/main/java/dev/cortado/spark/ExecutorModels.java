package dev.cortado.spark;

import dev.cortado.api.Models;
import dev.cortado.api.NetChain;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.nn.Module;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The models an executor JVM has loaded, one per broadcast: the first partition that needs a model
 * loads it from the broadcast bytes, later partitions (and the executor's other task threads)
 * share it. A model is owned by this cache: partitions hold it between {@link #acquire} and
 * {@link #release}; it is closed when {@link #MAX_MODELS} newer models push it out while no
 * partition holds it, or when a partition releases it after it was pushed out.
 */
final class ExecutorModels {

    /** Models kept loaded per executor JVM, least recently loaded evicted first. */
    static final int MAX_MODELS = 4;

    /** A loaded model: a batch forward (eval mode, no autograd by the caller) and the per-sample input shape. */
    static final class Loaded {
        final UnaryOperator<Tensor> forward;
        final int[] inputShape;
        private final AutoCloseable owner;
        private int users;
        private boolean evicted;

        Loaded(UnaryOperator<Tensor> forward, int[] inputShape, AutoCloseable owner) {
            this.forward = forward;
            this.inputShape = inputShape;
            this.owner = owner;
        }
    }

    private static final Map<Long, Loaded> MODELS = new LinkedHashMap<>();
    private static long loads;

    private ExecutorModels() {
    }

    /** The model of broadcast {@code id}, loaded from {@code source} and {@code bytes} on first use; pair with {@link #release}. */
    static synchronized Loaded acquire(long id, ModelSource source, byte[] bytes, int threads) throws Exception {
        Loaded m = MODELS.get(id);
        if (m == null) {
            if (threads > 0 && CpuKernels.isAvailable()) CpuKernels.setThreads(threads);
            m = load(source, bytes);
            loads++;
            MODELS.put(id, m);
            evictOld();
        }
        m.users++;
        return m;
    }

    static synchronized void release(Loaded m) throws Exception {
        m.users--;
        if (m.evicted && m.users == 0) m.owner.close();
    }

    /** How many times this JVM has loaded a model (for tests: once per broadcast). */
    static synchronized long loads() {
        return loads;
    }

    private static void evictOld() throws Exception {
        Iterator<Loaded> it = MODELS.values().iterator();
        while (MODELS.size() > MAX_MODELS && it.hasNext()) {
            Loaded old = it.next();
            it.remove();
            old.evicted = true;
            if (old.users == 0) old.owner.close();
        }
    }

    private static Loaded load(ModelSource source, byte[] bytes) throws Exception {
        Path tmp = Files.createTempFile("cortado-model-", ".safetensors");
        try {
            Files.write(tmp, bytes);
            if (source.factory() != null) {
                Module net = source.factory().create();
                try {
                    net.loadWeights(tmp);
                    net.eval();
                } catch (IOException | RuntimeException e) {
                    net.close();
                    throw e;
                }
                return new Loaded(net::forward, source.inputShape(), net);
            }
            Object model = Models.load(tmp);
            if (model instanceof NetChain chain) {
                if (source.inputShape() != null && !java.util.Arrays.equals(source.inputShape(), chain.inputShape())) {
                    chain.close();
                    throw new IllegalArgumentException("the model file's NetChain takes inputs " + java.util.Arrays.toString(chain.inputShape())
                            + ", not the " + java.util.Arrays.toString(source.inputShape()) + " given to ModelScorer.inputShape");
                }
                chain.module().eval();
                return new Loaded(chain::apply, chain.inputShape(), chain);
            }
            if (model instanceof Module net) {
                net.eval();
                if (source.inputShape() == null) {
                    net.close();
                    throw new IllegalArgumentException("the model file holds a " + model.getClass().getSimpleName()
                            + ", whose input shape the file does not say: give ModelScorer.inputShape(...)");
                }
                return new Loaded(net::forward, source.inputShape(), net);
            }
            if (model instanceof AutoCloseable c) c.close();
            throw new IllegalArgumentException("ModelScorer scores a NetChain or a Module; the model file holds a " + model.getClass().getSimpleName());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
