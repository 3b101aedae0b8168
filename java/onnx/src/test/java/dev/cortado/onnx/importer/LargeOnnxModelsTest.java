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
 * repository root); a model whose file is absent is skipped.
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
                assertTrue(ops.contains("Gelu") && !ops.contains("Tanh"), "the tanh GELU subgraphs fused: " + ops);
                assertTrue(m.parameters().containsKey("wte.weight") && !m.parameters().containsKey("onnx::Add_521"),
                        "the causal mask (-inf above the diagonal) is no parameter: " + m.parameters().keySet());
            }
        }
        long t0 = System.nanoTime();
        double worst = OrtReference.compare(file, Device.CPU, 1, name.equals("gpt") ? 96 : 0);
        System.out.printf("%s: max |diff| / (1 + |expected|) vs ONNX Runtime = %.2e (%.1f s with ORT)%n", name, worst, (System.nanoTime() - t0) / 1e9);
        assertTrue(worst <= 1e-4, name + ": " + worst);
    }
}
