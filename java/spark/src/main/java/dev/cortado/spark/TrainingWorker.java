package dev.cortado.spark;

import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.nn.Module;
import dev.cortado.optim.Optimizer;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.CoffeeBreak;
import dev.cortado.train.Safetensors;
import dev.cortado.train.Snapshots;
import dev.cortado.train.Solver;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/** One barrier task of {@link DataParallelTrainer#fit}: a worker's whole training run. */
final class TrainingWorker extends AbstractFunction1<Iterator<Sample>, Iterator<WorkerReport>> implements Serializable {

    private final DataParallelTrainer plan;

    TrainingWorker(DataParallelTrainer plan) {
        this.plan = plan;
    }

    @Override
    public Iterator<WorkerReport> apply(Iterator<Sample> rows) {
        try {
            return CollectionConverters.asScala(List.of(train(CollectionConverters.asJava(rows))).iterator());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("worker " + BarrierTaskContext.get().partitionId() + ": " + e.getMessage(), e);
        }
    }

    /** The local batch of worker {@code w}: the global batch split as evenly as it goes, the first ones one more. */
    static int localBatch(int globalBatch, int workers, int w) {
        return globalBatch / workers + (w < globalBatch % workers ? 1 : 0);
    }

    private WorkerReport train(java.util.Iterator<Sample> rows) throws Exception {
        BarrierTaskContext context = BarrierTaskContext.get();
        int me = context.partitionId(), n = context.numPartitions();
        Dataset shard = shard(rows, me);
        float[] shares = new float[n];
        for (int w = 0; w < n; w++) shares[w] = (float) localBatch(plan.globalBatch, n, w) / plan.globalBatch;
        int batch = localBatch(plan.globalBatch, n, me);
        if (plan.threads > 0 && CpuKernels.isAvailable()) CpuKernels.setThreads(plan.threads);
        try (Module net = plan.model.create();
             Optimizer optimizer = plan.optimizer.create(net);
             DataLoader loader = new DataLoader(shard, batch, plan.shuffle, plan.seed + me, false)) {
            List<Tensor> params = net.parameters();
            agree(context, "initial weights", FlatVector.checksum(FlatVector.of(params)),
                    "the model factory built different weights on different workers: seed its Rng");
            long resumedFrom = resume(context, net, optimizer, loader, batch);
            AllReduce reduce = new AllReduce(context, shares);
            Solver solver = new Solver(net, optimizer, loader, plan.loss::loss, plan.iterations, null);
            if (plan.averageEvery == 0) {
                solver.beforeEachStep(s -> FlatVector.copyInto(reduce.sum(FlatVector.of(gradients(net))), gradients(net)));
            } else {
                solver.addCoffeeBreak(s -> average(reduce, net, optimizer), plan.averageEvery);
            }
            if (plan.checkpointDir != null && me == 0) solver.addCoffeeBreak(new Snapshots(Path.of(plan.checkpointDir)), plan.checkpointEvery);
            for (DataParallelTrainer.Break b : plan.breaks) {
                CoffeeBreak cb = b.factory().create(me);
                if (cb != null) solver.addCoffeeBreak(cb, b.every());
            }
            long start = optimizer.iteration(), t0 = System.nanoTime();
            solver.run();
            if (plan.averageEvery > 0 && optimizer.iteration() % plan.averageEvery != 0) average(reduce, net, optimizer);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long checksum = FlatVector.checksum(FlatVector.of(state(net, optimizer)));
            agree(context, "final weights", checksum, "the workers' weights drifted apart");
            byte[] weights = me == 0 ? stateDictBytes(net) : null;
            return new WorkerReport(me, context.stageAttemptNumber(), resumedFrom, optimizer.iteration(), seconds, optimizer.iteration() - start,
                    reduce.bytesSent(), checksum, weights);
        }
    }

    /** This worker's rows, in dataset order, as a Cortado dataset. */
    private Dataset shard(java.util.Iterator<Sample> rows, int me) {
        List<Sample> mine = new ArrayList<>();
        rows.forEachRemaining(mine::add);
        if (mine.isEmpty()) {
            throw new IllegalArgumentException("worker " + me + " got no rows: the dataset has fewer rows than the " + plan.workers + " workers");
        }
        mine.sort(Comparator.comparingLong(Sample::index));
        int per = mine.get(0).input().length;
        float[] x = new float[mine.size() * per], y = new float[mine.size()];
        for (int i = 0; i < mine.size(); i++) {
            System.arraycopy(mine.get(i).input(), 0, x, i * per, per);
            y[i] = mine.get(i).label();
        }
        return new Dataset(x, plan.sampleShape, y);
    }

    /** Every worker's {@code value} is the same, or an IllegalStateException saying {@code problem}. */
    private static void agree(BarrierTaskContext context, String what, long value, String problem) {
        String[] all = Gather.all(context, Long.toString(value));
        for (int w = 1; w < all.length; w++) {
            if (!all[w].equals(all[0])) throw new IllegalStateException(what + " of workers 0 and " + w + " differ: " + problem);
        }
    }

    /**
     * Restores the newest snapshot of the checkpoint directory, the one worker 0 names, so that all
     * workers resume from the same one; returns its iteration, or -1 when there is none.
     */
    private long resume(BarrierTaskContext context, Module net, Optimizer optimizer, DataLoader loader, int batch) throws Exception {
        if (plan.checkpointDir == null) return -1;
        Path dir = Path.of(plan.checkpointDir);
        String mine = "";
        if (context.partitionId() == 0) {
            Path latest = Snapshots.latest(dir);
            if (latest != null) mine = latest.getFileName().toString();
        }
        String chosen = Gather.all(context, mine)[0];
        if (chosen.isEmpty()) return -1;
        long iteration = Snapshots.load(dir.resolve(chosen), net, optimizer, null);
        loader.seek(iteration * batch);
        return iteration;
    }

    private static List<Tensor> gradients(Module net) {
        List<Tensor> grads = new ArrayList<>();
        for (Map.Entry<String, Tensor> p : net.namedParameters().entrySet()) {
            Tensor g = p.getValue().grad();
            if (g == null) {
                throw new IllegalStateException("parameter '" + p.getKey() + "' got no gradient: data-parallel training needs every parameter in every step");
            }
            grads.add(g);
        }
        return grads;
    }

    /** The parameters, then the optimizer's state tensors. */
    private static List<Tensor> state(Module net, Optimizer optimizer) {
        List<Tensor> all = new ArrayList<>(net.parameters());
        for (Tensor[] s : optimizer.state()) all.addAll(List.of(s));
        return all;
    }

    private static void average(AllReduce reduce, Module net, Optimizer optimizer) {
        List<Tensor> all = state(net, optimizer);
        FlatVector.copyInto(reduce.sum(FlatVector.of(all)), all);
    }

    private static byte[] stateDictBytes(Module net) throws java.io.IOException {
        Path tmp = Files.createTempFile("cortado-trained-", ".safetensors");
        try {
            Safetensors.write(tmp, net.stateDict(), Map.of("format", "pt", "writer", "cortado"));
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
