package dev.cortado.onnx.importer;

import dev.cortado.memory.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 22's real models (benchmarks/onnx/make_models.py: ResNet-18, MobileNetV2, a 2-layer 4-head
 * 128-wide encoder, the GPT) in Cortado and ONNX Runtime Java on the same random inputs, within
 * 1e-4 · (1 + |expected|). Not in CI (the files are tens of MB and made by torch): run with
 * {@code -Dtest=LargeOnnxModelsTest -Dcortado.onnx.models=benchmarks/onnx/models} (relative to the
 * repository root); a model whose file is absent is skipped. {@code -Dcortado.onnx.time=true} adds a
 * rough timing of each (median of 5 runs, ONNX Runtime's intra-op threads set to Cortado's).
 */
class LargeOnnxModelsTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "encoder", "gpt", "resnet18_b32"})
    void matchesOnnxRuntime(String name) throws Exception {
        String dir = System.getProperty("cortado.onnx.models");
        assumeTrue(dir != null, "-Dcortado.onnx.models not given");
        Path d = Path.of(dir);
        Path file = (d.isAbsolute() ? d : Path.of("..", "..").resolve(d)).resolve(name + ".onnx");
        assumeTrue(Files.isRegularFile(file), file + " absent (make it with benchmarks/onnx/make_models.py)");
        if (name.equals("gpt")) {
            try (OnnxModel m = OnnxModel.load(file)) {
                List<String> ops = m.runtimeOpTypes();
                // the tanh GELU subgraphs fused (GeluFusion), then into the MLP's first Linear node each (LinearFusion)
                assertTrue(!ops.contains("Gelu") && !ops.contains("Tanh") && ops.stream().filter("Linear"::equals).count() >= 12,
                        "the tanh GELU subgraphs fused: " + ops);
                assertTrue(m.parameters().containsKey("wte.weight") && !m.parameters().containsKey("onnx::Add_521"),
                        "the causal mask (-inf above the diagonal) is no parameter: " + m.parameters().keySet());
            }
        }
        long t0 = System.nanoTime();
        double worst = OrtReference.compare(file, Device.CPU, 1, name.equals("gpt") ? 96 : 0);
        System.out.printf("%s: max |diff| / (1 + |expected|) vs ONNX Runtime = %.2e (%.1f s with ORT)%n", name, worst, (System.nanoTime() - t0) / 1e9);
        assertTrue(worst <= 1e-4, name + ": " + worst);
        if (Boolean.getBoolean("cortado.onnx.time")) time(file, name);
    }

    /** A rough look (not the JMH benchmark): median of 5 runs after 2 warm-ups, Cortado and ONNX Runtime at the same thread count. */
    private static void time(Path file, String name) throws Exception {
        int threads = dev.cortado.kernels.cpu.CpuKernels.threads();
        double cortado, ort;
        try (OnnxModel m = OnnxModel.load(file); dev.cortado.autograd.GradMode off = dev.cortado.autograd.GradMode.off()) {
            var in = OrtReference.randomInputs(m, 1, name.equals("gpt") ? 96 : 0);
            java.util.Map<String, dev.cortado.tensor.Tensor> feeds = new java.util.HashMap<>();
            for (var e : in.entrySet()) feeds.put(e.getKey(), dev.cortado.tensor.Tensor.of(e.getValue(), m.inputShape(e.getKey())));
            cortado = median(() -> m.run(feeds).values().forEach(dev.cortado.tensor.Tensor::close));
        }
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (var opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            try (var session = env.createSession(file.toString(), opts); OnnxModel m = OnnxModel.load(file)) {
                var in = OrtReference.randomInputs(m, 1, name.equals("gpt") ? 96 : 0);
                java.util.Map<String, ai.onnxruntime.OnnxTensor> feeds = new java.util.HashMap<>();
                for (var e : in.entrySet()) {
                    long[] shape = java.util.Arrays.stream(m.inputShape(e.getKey())).asLongStream().toArray();
                    if (name.equals("gpt")) {
                        long[] ids = new long[e.getValue().length];
                        for (int i = 0; i < ids.length; i++) ids[i] = (long) e.getValue()[i];
                        feeds.put(e.getKey(), ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), shape));
                    } else {
                        feeds.put(e.getKey(), ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(e.getValue()), shape));
                    }
                }
                ort = median(() -> {
                    try (var r = session.run(feeds)) {
                        r.size();
                    } catch (ai.onnxruntime.OrtException e) {
                        throw new IllegalStateException(e);
                    }
                });
                for (var t : feeds.values()) t.close();
            }
        }
        System.out.printf("%s at %d threads: Cortado %.2f ms, ONNX Runtime %.2f ms (median of 5)%n", name, threads, cortado, ort);
    }

    private static double median(Runnable r) {
        double[] ms = new double[7];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] timed = java.util.Arrays.copyOfRange(ms, 2, 7);
        java.util.Arrays.sort(timed);
        return timed[2];
    }
}
