package dev.cortado.data;

import dev.cortado.kernels.SplitMix64;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An endless stream of batches over a dataset, epoch after epoch, like Mocha's data layers: each
 * epoch visits the samples in an order shuffled from the seed and the epoch number (or in
 * order), and a batch that runs past the end continues into the next epoch. The order depends
 * only on (seed, epoch, position), so {@link #position()} and {@link #seek} resume a run
 * exactly. With prefetch, the next batches are assembled on a background thread. An optional
 * {@link Transform} changes each sample as its batch is assembled (in the prefetch thread when
 * there is one), with randomness seeded from the seed and the sample's stream position, so a
 * run resumed by {@link #seek} sees the same augmented samples.
 */
public final class DataLoader implements AutoCloseable {

    /** One batch on the heap, and the stream position just after it. */
    public record Batch(float[] inputs, int[] inputShape, float[] labels, long positionAfter) {
        public Tensor inputsTensor() {
            return Tensor.of(inputs, inputShape);
        }

        public Tensor labelsTensor() {
            return Tensor.of(labels, labels.length);
        }

        /** The labels as class indices (see {@link Dataset#label(int)}). */
        public int[] intLabels() {
            int[] out = new int[labels.length];
            for (int i = 0; i < out.length; i++) {
                float v = labels[i];
                if (!(v >= 0 && v == Math.rint(v) && v <= Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException("label " + v + " at batch position " + i + " is not a class index (an integer >= 0)");
                }
                out[i] = (int) v;
            }
            return out;
        }
    }

    /** Positions beyond 2^53 samples are not reachable by training and would overflow the epoch arithmetic. */
    public static final long MAX_POSITION = 1L << 53;

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean prefetch;
    private final Transform transform;
    private long position;       // samples consumed by the caller, over all epochs
    private long producerPosition;
    private int[] order;
    private long orderEpoch = -1;
    private BlockingQueue<Object> queue;
    private Thread worker;

    public DataLoader(Dataset data, int batchSize, boolean shuffle, long seed, boolean prefetch) {
        this(data, batchSize, shuffle, seed, prefetch, null);
    }

    /** A loader whose samples pass through {@code transform} (null: none), e.g. {@code Transform.randomCrop(4).andThen(Transform.horizontalFlip())}. */
    public DataLoader(Dataset data, int batchSize, boolean shuffle, long seed, boolean prefetch, Transform transform) {
        if (data == null) throw new IllegalArgumentException("dataset is null");
        data.requireNonEmpty("the DataLoader's dataset");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.prefetch = prefetch;
        this.transform = transform;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Samples consumed so far (epoch = position / dataset size). */
    public long position() {
        return position;
    }

    /** Continues the stream from a position saved by {@link #position()}. */
    public synchronized void seek(long newPosition) {
        if (newPosition < 0 || newPosition > MAX_POSITION) {
            throw new IllegalArgumentException("position must be in [0, 2^53], got " + newPosition);
        }
        stopWorker();
        position = producerPosition = newPosition;
    }

    public Batch next() {
        if (!prefetch) {
            Batch b = assemble(position);
            position = b.positionAfter();
            return b;
        }
        startWorker();
        try {
            Object o = queue.take();
            if (o instanceof RuntimeException e) throw e;
            Batch b = (Batch) o;
            position = b.positionAfter();
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        }
    }

    private synchronized void startWorker() {
        if (worker != null) return;
        queue = new ArrayBlockingQueue<>(2);
        producerPosition = position;
        worker = new Thread(() -> {
            try {
                for (;;) {
                    Batch b = assemble(producerPosition);
                    producerPosition = b.positionAfter();
                    queue.put(b);
                }
            } catch (InterruptedException e) {
                // closed or seeked
            } catch (RuntimeException e) {
                queue.offer(e);
            }
        }, "cortado-prefetch");
        worker.setDaemon(true);
        worker.start();
    }

    private synchronized void stopWorker() {
        if (worker == null) return;
        worker.interrupt();
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker = null;
        queue = null;
    }

    private Batch assemble(long from) {
        int per = data.sampleSize();
        float[] x = new float[batchSize * per], y = new float[batchSize];
        long pos = from;
        for (int i = 0; i < batchSize; i++, pos++) {
            int sample = sampleAt(pos);
            System.arraycopy(data.inputs(), sample * per, x, i * per, per);
            y[i] = data.labels()[sample];
            if (transform != null) augment(x, i * per, per, pos);
        }
        int[] shape = new int[data.sampleShape().length + 1];
        shape[0] = batchSize;
        System.arraycopy(data.sampleShape(), 0, shape, 1, data.sampleShape().length);
        return new Batch(x, shape, y, pos);
    }

    /** Applies the transform to the sample at {@code x[offset, offset + per)}, drawn at stream position {@code pos}. */
    private void augment(float[] x, int offset, int per, long pos) {
        float[] sample = java.util.Arrays.copyOfRange(x, offset, offset + per);
        Rng rng = new Rng(SplitMix64.mix(seed * 0xD1B54A32D192ED03L + SplitMix64.mix(pos)));
        transform.apply(sample, data.sampleShape().clone(), rng);
        System.arraycopy(sample, 0, x, offset, per);
    }

    private int sampleAt(long pos) {
        int n = data.size();
        long epoch = pos / n;
        if (!shuffle) return (int) (pos % n);
        if (epoch != orderEpoch) {
            order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            orderEpoch = epoch;
        }
        return order[(int) (pos % n)];
    }

    @Override
    public void close() {
        stopWorker();
    }
}
