package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of the command line as a user meets it (Main's commands): exit code, standard output and error. */
record CommandRun(int code, String out, String err) {

    static CommandRun of(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        assertFalse(Thread.interrupted(), "a command left this thread's interrupt flag set: " + String.join(" ", args));
        return new CommandRun(code, out.toString(), err.toString());
    }
}
