package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model saved here and loaded by {@link Models#load} in a new JVM gives the same outputs, bit for
 * bit, on many inputs: every kind of model file, each loaded by {@link ModelProbe} in a child
 * process started with this JVM's class path and Cortado settings.
 */
class ModelFilesNewJvmTest {

    @TempDir
    Path dir;

    static List<ModelSamples.Sample> samples() {
        return ModelSamples.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void aNewJvmGivesTheSameOutputsBitForBit(ModelSamples.Sample sample) throws Exception {
        Object model = sample.model().get();
        try {
            Path file = dir.resolve("model.safetensors"), in = dir.resolve("in.bin"), out = dir.resolve("out.bin");
            double[] inputs = ModelSamples.inputs(model, 40, 21);
            double[] expected = ModelProbe.outputs(model, inputs);
            Models.save(model, file);
            ModelProbe.write(in, inputs);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("cortado.")).sorted()
                    .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), ModelProbe.class.getName(), file.toString(), in.toString(), out.toString()));
            Path log = dir.resolve("child.log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertFalse(!p.waitFor(120, TimeUnit.SECONDS) && p.destroyForcibly() != null, "the child JVM did not finish in 2 minutes");
            assertEquals(0, p.exitValue(), () -> "the child JVM failed:\n" + read(log));
            double[] actual = ModelProbe.read(out);
            assertEquals(expected.length, actual.length, sample + ": output count");
            for (int i = 0; i < expected.length; i++) {
                if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                    throw new AssertionError(sample + ": output " + i + " is " + actual[i] + " in the new JVM, " + expected[i] + " here; first outputs "
                            + Arrays.toString(Arrays.copyOf(actual, Math.min(8, actual.length))));
                }
            }
        } finally {
            ModelSamples.close(model);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
