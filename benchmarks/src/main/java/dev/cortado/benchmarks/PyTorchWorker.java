package dev.cortado.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * PyTorch in the same JMH run: benchmarks/torch_worker.py, started once per trial, runs one step
 * of a workload each time {@link #step} asks (a line over a pipe) and answers with its value. The
 * worker runs Debian's PyTorch (/usr/bin/python3, or -Dcortado.python=...) with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment, so the anchor's OpenBLAS
 * picks its best kernels; its threads are torch.set_num_threads(threads). The script is found in
 * ./benchmarks (run from the repository root) or -Dcortado.benchmarks=DIR.
 */
final class PyTorchWorker implements AnchorEngine {

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    PyTorchWorker(String workload, int threads) throws IOException {
        Path script = Path.of(System.getProperty("cortado.benchmarks", "benchmarks"), "torch_worker.py");
        if (!Files.isRegularFile(script)) {
            throw new IOException(script.toAbsolutePath() + ": no such file (run from the repository root or set -Dcortado.benchmarks=DIR)");
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(System.getProperty("cortado.python", "/usr/bin/python3"), script.toString(), workload,
                "--threads", Integer.toString(threads)));
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        process = pb.start();
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String ready = out.readLine();
        if (ready == null || !ready.startsWith("ready")) {
            close();
            throw new IOException(script + " " + workload + " did not start (is python3-torch installed? apt-get install python3-torch): " + ready);
        }
        System.out.println("# PyTorch worker: " + ready);
    }

    /** One step in PyTorch; its loss or first output. */
    @Override
    public double step() throws IOException {
        in.println("step");
        String line = out.readLine();
        if (line == null || !line.startsWith("ok ")) throw new IOException("torch_worker.py stopped: " + line);
        return Double.parseDouble(line.substring(3));
    }

    @Override
    public void close() {
        in.close();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
