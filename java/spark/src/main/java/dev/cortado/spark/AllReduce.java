package dev.cortado.spark;

import org.apache.spark.BarrierTaskContext;

/**
 * The weighted sum of one float vector over all workers of a barrier stage, the same bits on every
 * worker: each worker's vector goes to all through {@link BarrierTaskContext#allGather} (via the
 * driver's BarrierCoordinator), and every worker adds them up in worker order, w₀·x₀ + w₁·x₁ + …,
 * in float, so that all compute the identical sum.
 */
final class AllReduce {

    private final BarrierTaskContext context;
    private final float[] weights;
    private long bytesSent;

    /** {@code weights[w]}: the factor of worker w's vector (its share of the global batch; 1/N to average). */
    AllReduce(BarrierTaskContext context, float[] weights) {
        if (weights.length != context.numPartitions()) {
            throw new IllegalArgumentException(weights.length + " weights for " + context.numPartitions() + " workers");
        }
        this.context = context;
        this.weights = weights.clone();
    }

    /** Σ_w weights[w]·x_w over the workers, in worker order; each worker calls it with its own x of the same length. */
    float[] sum(float[] x) {
        int me = context.partitionId();
        String message = me + ":" + FlatVector.encode(x);
        bytesSent += message.length();
        String[] all = Gather.all(context, message);
        float[] sum = new float[x.length];
        for (int w = 0; w < all.length; w++) {
            int colon = all[w].indexOf(':');
            if (colon < 0 || Integer.parseInt(all[w].substring(0, colon)) != w) {
                throw new IllegalStateException("allGather returned worker " + all[w].substring(0, Math.max(0, colon)) + "'s vector at " + w);
            }
            float[] v = w == me ? x : FlatVector.decode(all[w].substring(colon + 1));
            if (v.length != x.length) throw new IllegalStateException("worker " + w + " sent " + v.length + " values, worker " + me + " " + x.length);
            float f = weights[w];
            if (w == 0) {
                for (int i = 0; i < sum.length; i++) sum[i] = f * v[i]; // not 0 + f·v: one worker's -0.0 stays -0.0, its sum is its vector
            } else {
                for (int i = 0; i < sum.length; i++) sum[i] += f * v[i];
            }
        }
        return sum;
    }

    /** Characters this worker has sent through allGather (Base64 text: bytes on the wire, before RPC framing). */
    long bytesSent() {
        return bytesSent;
    }
}
