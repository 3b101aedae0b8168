package dev.cortado.spark;

import java.io.Serializable;

/**
 * What a training worker sends back to the driver: its index, the stage attempt it ran in, the
 * iteration it resumed from (-1: from the start), the iteration it ended at, the seconds and steps
 * of its training loop, the characters it sent through allGather, a checksum of its final weights
 * and optimizer state, and (worker 0 only, else null) the final state_dict as safetensors bytes.
 */
record WorkerReport(int worker, int stageAttempt, long resumedFrom, long iteration, double seconds, long steps, long bytesSent,
                    long checksum, byte[] weights) implements Serializable {
}
