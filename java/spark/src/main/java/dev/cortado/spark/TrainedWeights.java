package dev.cortado.spark;

import dev.cortado.nn.Module;
import dev.cortado.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The result of {@link DataParallelTrainer#fit}: the trained weights (the state_dict every worker
 * ended with, as safetensors bytes) and figures of the run.
 *
 * @param weights        the final parameters and buffers, a safetensors file's bytes (PyTorch's names)
 * @param iteration      the optimizer's step count at the end
 * @param resumedFrom    the checkpoint iteration the last (successful) attempt resumed from, -1 if it started afresh
 * @param stageAttempt   the barrier stage's attempt that finished (0: no task failed)
 * @param seconds        worker 0's training-loop time in that attempt
 * @param steps          the steps that attempt ran
 * @param bytesPerStep   the allGather text one worker sent per step (its gradient as Base64)
 */
public record TrainedWeights(byte[] weights, long iteration, long resumedFrom, int stageAttempt, double seconds, long steps, long bytesPerStep) {

    /** Loads the weights into {@code net} (a network of the trained architecture). */
    public void loadInto(Module net) throws IOException {
        Path tmp = Files.createTempFile("cortado-trained-", ".safetensors");
        try {
            Files.write(tmp, weights);
            net.loadWeights(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the weights as a safetensors file (atomically), readable by {@link Module#loadWeights} and PyTorch. */
    public void save(Path file) throws IOException {
        AtomicFiles.write(file, weights);
    }

    /** Training steps per second of the last attempt. */
    public double stepsPerSecond() {
        return steps / seconds;
    }
}
