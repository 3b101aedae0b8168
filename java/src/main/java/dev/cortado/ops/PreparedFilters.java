package dev.cortado.ops;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.memory.Leases;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Tensor;
import java.util.function.Consumer;

/**
 * A convolution's filters prepared once for the kernels of their device ({@link
 * KernelSet#convPrepareFilters}: on the cpu, the GEMM panels every call would otherwise pack, or
 * the filters' Winograd transforms), for
 * inference with weights that change rarely, such as an imported model's. Pass it to {@link
 * Convolution#conv2dFused(Tensor, Tensor, PreparedFilters, Tensor, Tensor, int, int, int, int, float, float)}
 * call after call: the filters are prepared at the first call, and again when the weights were
 * modified since ({@link Tensor#version()}), are another tensor, or the window or batch changed.
 * Results are the same bits as without, except where the cpu kernels take Winograd's algorithm
 * only because the transforms were made ahead (a 3x3 window over few tiles: within float
 * rounding). Holds the prepared memory until {@link #close()};
 * thread-safe.
 */
public final class PreparedFilters implements AutoCloseable {

    private Tensor weight;
    private int version;
    private Window window;
    private int batch;
    private Tensor prepared;
    private boolean closed;

    /** Runs {@code call} with the filters of {@code weight} prepared for (window, batch), held for its duration (null once closed). */
    void use(Tensor weight, Window window, int batch, Consumer<Ptr> call) {
        Ptr p;
        Leases held;
        synchronized (this) {
            if (closed) {
                p = null;
            } else {
                if (prepared == null || this.weight != weight || version != weight.version() || !window.equals(this.window) || batch != this.batch) {
                    // (owned here, not by a MemoryScope the call happens to run in)
                    Tensor next = Tensor.empty(weight.device(), Math.toIntExact(KernelSet.preparedFilters(window, weight.size(0)))).keep();
                    try {
                        weight.kernels().convPrepareFilters(window, batch, weight.size(0), weight.ptr(), next.ptr());
                    } catch (RuntimeException e) {
                        next.close();
                        throw e;
                    }
                    if (prepared != null) prepared.close(); // (a call still using it holds it until it returns)
                    prepared = next;
                    this.weight = weight;
                    version = weight.version();
                    this.window = window;
                    this.batch = batch;
                }
                p = prepared.ptr();
            }
            held = Leases.of(p);
        }
        try (held) {
            call.accept(p);
        }
    }

    /** Frees the prepared filters; later calls run without them. */
    @Override
    public synchronized void close() {
        closed = true;
        if (prepared != null) prepared.close();
        prepared = null;
        weight = null;
    }
}
