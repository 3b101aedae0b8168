package dev.cortado.examples;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.memory.Device;

/** A command's body with a KernelProfiler around the cpu kernels when asked (--profile), else as it is. */
final class Profiled {

    interface Body {
        void run(KernelProfiler profiler) throws Exception;
    }

    private Profiled() {
    }

    /** Runs body, given the profiler (null without --profile); its report is the body's to print. */
    static void run(boolean profile, Body body) throws Exception {
        KernelProfiler profiler = profile ? new KernelProfiler(Backends.of(Device.CPU)) : null;
        try (Backends.Selection profiled = profiler == null ? null : Backends.use(profiler.kernels())) {
            body.run(profiler);
        }
    }
}
