package dev.cortado.api;

/**
 * NetTrain's loss became NaN or infinite: training stopped. Names the round and the batch (both
 * 1-based) whose loss was first not finite; the usual causes are NaN or infinite values in the
 * inputs or labels, or a learning rate that makes the weights diverge.
 */
public final class NonFiniteLossException extends IllegalStateException {

    private final int round, batch;
    private final double loss;

    public NonFiniteLossException(int round, int batch, int batches, double loss) {
        super("NetTrain: the loss of round " + round + ", batch " + batch + " of " + batches + " is " + loss
                + "; training stopped (look for NaN or infinite values in the inputs or labels, or lower the learning rate)");
        this.round = round;
        this.batch = batch;
        this.loss = loss;
    }

    /** The round (1-based) whose batch gave the non-finite loss. */
    public int round() {
        return round;
    }

    /** The batch (1-based, within its round). */
    public int batch() {
        return batch;
    }

    /** The loss of that batch (NaN or ±infinity). */
    public double loss() {
        return loss;
    }
}
