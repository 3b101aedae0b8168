package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: one-line errors, exit codes, help examples, the bundled sample. */
class CliTest {

    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    @Test
    void errorsAreOneLineNamingTheProblem() {
        CommandRun bad = run("lenet", "--iterationz", "5");
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().startsWith("error: Unknown options: '--iterationz'"), bad.err());

        // was: a stack trace
        Path missing = dir.resolve("no-such-dir");
        CommandRun noData = run("lenet", "--data", missing.toString(), "--iterations", "1");
        assertEquals(1, noData.code());
        assertEquals(1, noData.err().strip().lines().count(), noData.err());
        assertTrue(noData.err().startsWith("error: ") && noData.err().contains(missing.toString()), noData.err());

        CommandRun verbose = run("lenet", "--data", missing.toString(), "--iterations", "1", "--verbose");
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("\tat dev.cortado"), "--verbose adds the stack trace: " + verbose.err());
    }

    /** The README's first model, run as the README says: a line per round, then a report with a real accuracy. */
    @Test
    void firstModelTrainsAndReports() {
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        CommandRun r;
        try {
            r = run("first-model");
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, r.code(), r.err());
        assertEquals(30, text.lines().filter(l -> l.startsWith("round ")).count(), text);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("30 rows: accuracy (\\d\\.\\d+)").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Double.parseDouble(m.group(1)) >= 0.85, "iris test accuracy " + m.group(1));
    }

    @Test
    void everyCommandsHelpHasExamples() {
        for (String command : new String[] {"lenet", "first-model", "perceptron", "two-layer", "backprop", "ann", "classify", "netchain", "lstm-mnist", "gpt", "resnet", "onnx-run"}) {
            CommandRun help = run(command, "--help");
            assertEquals(0, help.code());
            assertTrue(help.out().contains("Examples:") && help.out().contains("java -jar cortado-examples.jar " + command), help.out());
        }
        assertTrue(run("--help").out().contains("Examples:"));
    }

    @Test
    void theBundledSampleIsFoundFromTheBuild() {
        // the default used to be a path relative to the working directory: from elsewhere, a stack trace
        Path sample = LeNetCommand.bundledSample();
        assertTrue(Files.isRegularFile(sample.resolve("train-images-idx3-ubyte.gz")), sample.toString());
        assertFalse(sample.toString().isEmpty());
    }
}
