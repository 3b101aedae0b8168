package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch reads a saved NetChain: src/test/python/netchain_in_torch.py builds the chain's layers as
 * torch.nn modules from the architecture in the file's metadata, loads the weights and buffers by
 * their names with {@code load_state_dict(strict=True)} and gives Cortado's outputs within float
 * rounding. Skipped where /usr/bin/python3 has no torch (Debian's python3-torch).
 */
class TorchReadsModelFileTest {

    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    @Test
    void torchLoadsTheStateDictStrictlyAndGivesTheSameOutputs() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)) && run(PYTHON, "-c", "import torch, numpy") == 0, "no python3 with torch and numpy");
        Path file = dir.resolve("chain.safetensors"), in = dir.resolve("in.bin"), out = dir.resolve("out.bin");
        double[] expected, inputs;
        try (NetChain net = ModelSamples.convChain()) {
            net.save(file);
            inputs = ModelSamples.inputs(net, 16, 5);
            expected = ModelProbe.outputs(net, inputs);
        }
        ModelProbe.write(in, inputs);
        Path script = Path.of("src", "test", "python", "netchain_in_torch.py");
        assertEquals(0, run(PYTHON, script.toString(), file.toString(), in.toString(), out.toString()), () -> "the script failed: " + log());
        double[] actual = ModelProbe.read(out);
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(actual[i] - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])),
                    "output " + i + ": torch " + actual[i] + ", Cortado " + expected[i]);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("python.log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("python.log").toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
