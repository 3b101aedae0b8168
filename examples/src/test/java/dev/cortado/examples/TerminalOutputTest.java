package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What stays on screen: the examples run as a user runs them, in a pseudo-terminal (util-linux
 * {@code script}) and in a pipe, and their output replayed as a terminal shows it. Was: the bar's
 * redraws (cursor up, then the bar) erased the log lines printed below it, and in a pipe the bar's
 * carriage returns joined the log lines ("? it/siter 100 loss 0.51161").
 */
class TerminalOutputTest {

    @TempDir
    Path dir;

    @Test
    void logLinesPrintAboveTheBarOnATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Console console = new Console(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 60);
        try (Console.Progress bar = console.progress("job", 3, " it")) {
            for (int i = 1; i <= 3; i++) {
                console.log().println("line " + i);
                bar.step();
            }
        }
        console.log().println("after");
        List<String> screen = ScreenReplay.lines(bytes.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("line 1", "line 2", "line 3"), screen.subList(0, 3), String.join("\n", screen));
        assertTrue(screen.get(3).startsWith("job 100%") && screen.get(3).length() < 60, "the bar's last state: " + screen);
        assertEquals("after", screen.get(4), String.join("\n", screen));
        assertEquals(5, screen.size(), String.join("\n", screen));
    }

    @Test
    void withoutATerminalThereIsNoBar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Console console = new Console(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 80);
        try (Console.Progress bar = console.progress("job", 2, " it")) {
            console.log().print("one ");
            console.log().println("line");
            bar.step();
            console.log().printf("two%n");
            bar.step();
        }
        assertEquals("one line\ntwo\n", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void lenetInAPseudoTerminalKeepsEveryLogLine() throws Exception {
        assumeTrue(new File("/usr/bin/script").canExecute() || onPath("script"), "util-linux script is not installed");
        String raw = run(true, lenet());
        assertTrue(raw.contains("LeNet") && raw.contains("%") && raw.contains("\r"), "a bar was drawn: " + raw);
        List<String> screen = ScreenReplay.lines(raw);
        assertLenetLog(screen, String.join("\n", screen));
        assertTrue(screen.stream().anyMatch(l -> l.startsWith("LeNet 100%")),
                "the bar's last state stays: " + String.join("\n", screen));
    }

    @Test
    void lenetInAPipePrintsPlainLines() throws Exception {
        String out = run(false, lenet());
        assertFalse(out.contains("\r") || out.contains("\033"), "no bar, no carriage return, no escape: " + out);
        assertLenetLog(out.lines().toList(), out);
    }

    @Test
    void lstmMnistsResultStaysOnATerminal() throws Exception {
        assumeTrue(new File("/usr/bin/script").canExecute() || onPath("script"), "util-linux script is not installed");
        String raw = run(true, List.of("lstm-mnist", "--iterations", "1"));
        assertTrue(raw.contains("lstm-mnist 100%"), "a bar was drawn: " + raw);
        List<String> screen = ScreenReplay.lines(raw);
        assertTrue(screen.stream().anyMatch(l -> l.startsWith("round 1/1: loss ")), String.join("\n", screen)); // NetTrain's own line
        assertTrue(screen.get(screen.size() - 1).matches("lstm-mnist: 125 iterations .* test accuracy [0-9.]+ % on 2000 digits"),
                String.join("\n", screen));
    }

    private List<String> lenet() {
        return List.of("lenet", "--iterations", "40", "--validate-every", "10", "--batch", "16", "--stats", dir.resolve("s.csv").toString(),
                "--snapshot-dir", dir.resolve("snapshots").toString(), "--plot", dir.resolve("curve.png").toString());
    }

    /** Four validation lines, the final line; each log line whole on its own line. */
    private static void assertLenetLog(List<String> lines, String all) {
        for (int it = 10; it <= 40; it += 10) {
            String prefix = String.format("iter %6d  validation accuracy ", it);
            assertEquals(1, lines.stream().filter(l -> l.startsWith(prefix) && l.endsWith("%")).count(), prefix + " in:\n" + all);
        }
        assertEquals(1, lines.stream().filter(l -> l.matches("trained iterations 0\\.\\.40 in .* test accuracy [0-9.]+% on 2000 images")).count(), all);
        assertTrue(lines.get(0).startsWith("Cortado kernels: "), all);
    }

    /** The examples' main in a fresh JVM on this test's classpath; stdout (and stderr) as bytes, as a terminal would get them. */
    private String run(boolean pty, List<String> args) throws IOException, InterruptedException {
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        java.addAll(args);
        List<String> command;
        if (pty) {
            StringBuilder line = new StringBuilder();
            for (String a : java) line.append(line.length() == 0 ? "" : " ").append("'").append(a.replace("'", "'\\''")).append("'");
            command = List.of("script", "-qec", line.toString(), "/dev/null");
        } else {
            command = java;
        }
        Path out = dir.resolve(pty ? "pty.out" : "pipe.out");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "finished within 180 s");
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(d, program).canExecute()) return true;
        }
        return false;
    }
}
