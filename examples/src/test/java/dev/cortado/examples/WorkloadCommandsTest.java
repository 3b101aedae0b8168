package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.Models;
import dev.cortado.api.NetChain;
import dev.cortado.train.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The gpt and resnet commands on small data made here: they train, save, plot and reload; bad input is named. */
class WorkloadCommandsTest {

    @TempDir
    Path dir;

    private record Run(int code, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        return new Run(cmd.execute(args), err.toString());
    }

    @Test
    void gptTrainsSavesPlotsAndSamplesFromItsSavedWeights() throws IOException {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("fox"), "the quick brown fox jumps over the lazy dog.\n".repeat(300));
        Files.writeString(corpus.resolve("fox.dat"), "\u0001\u0002 an index, not text: left out");
        Path out = dir.resolve("out");
        Run r = run("gpt", "--data", corpus.toString(), "--iterations", "4", "--eval-every", "2", "--eval-batches", "1",
                "--tokens", "10", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out.resolve("gpt-loss.png")) > 1000, "a loss curve PNG");
        Path weights = out.resolve("gpt.safetensors");
        assertEquals("\n .abcdefghijklmnopqrstuvwxyz", Safetensors.metadata(weights).get("vocabulary"), "the .dat file is not read");
        assertTrue(Safetensors.read(weights).containsKey("h3.attn.in_proj_weight"));
        assertEquals("Gpt", Models.kindOf(weights), "the whole model, not only its weights");

        assertEquals(0, run("gpt", "--data", corpus.toString(), "--load", weights.toString(), "--iterations", "0", "--tokens", "5").code());

        Files.writeString(corpus.resolve("more"), "QUICK!");
        Run other = run("gpt", "--data", corpus.toString(), "--load", weights.toString(), "--iterations", "0");
        assertEquals(1, other.code());
        assertTrue(other.err().contains(weights.toString()) && other.err().contains("vocabulary"), other.err());

        Run none = run("gpt", "--data", dir.resolve("missing").toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no corpus directory " + dir.resolve("missing")), none.err());
    }

    @Test
    void resnetTrainsAnEpochAndSavesItsWeights() throws IOException {
        Path data = Files.createDirectories(dir.resolve("fashion"));
        idx(data, "train", 300, 1);
        idx(data, "t10k", 100, 2);
        Path out = dir.resolve("out");
        Run r = run("resnet", "--data", data.toString(), "--epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Safetensors.read(out.resolve("resnet20.safetensors")).size() > 60, "every convolution and norm saved");
        try (NetChain back = NetChain.load(out.resolve("resnet20.safetensors"))) {
            assertEquals(272_186, back.module().parameterCount(), "the whole ResNet-20 comes back");
        }

        Run none = run("resnet", "--data", dir.resolve("missing").toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no Fashion-MNIST directory"), none.err());
    }

    /** Random 28x28 images and labels 0-9 as raw IDX files (Fashion-MNIST's names, uncompressed). */
    private static void idx(Path dir, String part, int n, long seed) throws IOException {
        Random rng = new Random(seed);
        ByteArrayOutputStream images = new ByteArrayOutputStream(), labels = new ByteArrayOutputStream();
        try (DataOutputStream im = new DataOutputStream(images); DataOutputStream lb = new DataOutputStream(labels)) {
            im.writeInt(0x803);
            im.writeInt(n);
            im.writeInt(28);
            im.writeInt(28);
            byte[] pixels = new byte[n * 28 * 28];
            rng.nextBytes(pixels);
            im.write(pixels);
            lb.writeInt(0x801);
            lb.writeInt(n);
            for (int i = 0; i < n; i++) lb.writeByte(i % 10);
        }
        Files.write(dir.resolve(part + "-images-idx3-ubyte"), images.toByteArray());
        Files.write(dir.resolve(part + "-labels-idx1-ubyte"), labels.toByteArray());
    }
}
