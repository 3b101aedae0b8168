package dev.cortado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradCheck;
import dev.cortado.data.Blobs;
import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.Buffers;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.memory.SimAllocator;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.ops.Convolution;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Pooling;
import dev.cortado.optim.Adam;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Optimizer;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Snapshots;
import dev.cortado.train.Solver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything above the kernel set on the host-sealed sim device: every op with its backward,
 * autograd, every layer, loss and optimizer, the Solver with snapshots and exact resume, and
 * LeNet training. Each scenario runs once on the CPU with the java reference kernels and once
 * on sim (the same kernels behind the wall) and must give bit-identical numbers; a host read of
 * device memory anywhere above the kernels would throw on sim and fail here. An engine's module
 * runs the same scenarios on its device ({@code -Dcortado.test.device=cuda:0}): there the numbers
 * must agree with java's within {@link #TOLERANCE} (other kernels sum in other orders), and a
 * resumed run must still equal the uninterrupted one exactly.
 */
class SimDeviceTest {

    /** The device under test: sim, or the device an engine's module names. */
    private static final Device DUT = Device.parse(System.getProperty("cortado.test.device", "sim"));
    /** Whether it is sim: the java kernels (numbers equal java's on the CPU bit for bit) behind a wall that counts host reads. */
    private static final boolean ON_SIM = DUT.kind() == Device.Kind.SIM;
    /** |device - java| <= TOLERANCE · max(1, |java|) off sim (exact on sim). */
    private static final double TOLERANCE = 2e-3;

    @TempDir
    Path dir;

    /** Runs {@code scenario} on java-on-CPU and on sim; the results must agree bit for bit and be real numbers. */
    private static void sameOnSim(String what, Function<Device, List<float[]>> scenario) {
        List<float[]> cpu;
        try (Backends.Selection java = Backends.use("java"); MemoryScope scope = MemoryScope.open()) {
            cpu = scenario.apply(Device.CPU);
        }
        List<float[]> sim;
        try (Backends.Selection java = Backends.use("java"); MemoryScope scope = MemoryScope.open()) { // CPU work inside runs java too
            sim = scenario.apply(DUT);
        }
        int finite = 0;
        for (float[] part : cpu) for (float v : part) if (Float.isFinite(v)) finite++;
        assertTrue(finite > 0, what + ": no finite result");
        assertParts(cpu, sim, ON_SIM, what + ": " + DUT + " differs from java on the CPU");
    }

    /** Device-to-host copies made on sim so far (counted on sim only: 0 elsewhere). */
    private static long hostReads() {
        return ON_SIM ? ((SimAllocator) Memory.allocator(DUT)).hostReads() : 0;
    }

    /** f's output and the gradients of every input after a backward with a seeded output gradient. */
    private static List<float[]> forwardBackward(Device d, Function<Tensor[], Tensor> f, int[]... shapes) {
        Rng rng = new Rng(shapes.length * 31L + shapes[0].length);
        Tensor[] in = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) in[i] = Tensor.uniform(d, rng, -1, 1, shapes[i]).requiresGrad(true);
        Tensor y = f.apply(in);
        Tensor seed = Tensor.uniform(d, rng, -1, 1, y.shape());
        long reads = hostReads();
        y.backward(seed);
        assertEquals(reads, hostReads(), "a backward formula read device memory into the host");
        List<float[]> out = new ArrayList<>(List.of(y.toArray()));
        for (Tensor t : in) out.add(t.grad() == null ? new float[0] : t.grad().toArray());
        for (Tensor t : in) t.close();
        return out;
    }

    @Test
    void everyOpAndItsBackward() {
        int[] m34 = {3, 4}, m45 = {4, 5}, m43 = {4, 3}, m54 = {5, 4};
        sameOnSim("add", d -> forwardBackward(d, t -> t[0].add(t[1]), m34, m34));
        sameOnSim("sub", d -> forwardBackward(d, t -> t[0].sub(t[1]), m34, m34));
        sameOnSim("mul", d -> forwardBackward(d, t -> t[0].mul(t[1]), m34, m34));
        sameOnSim("scale, add-scalar, rsub", d -> forwardBackward(d, t -> t[0].mul(1.5f).add(0.25f).rsub(2f), m34));
        sameOnSim("matmul", d -> forwardBackward(d, t -> t[0].matmul(t[1]), m34, m45));
        sameOnSim("matmul Aᵀ", d -> forwardBackward(d, t -> Linalg.matmul(t[0], true, t[1], false), m43, m45));
        sameOnSim("matmul Bᵀ", d -> forwardBackward(d, t -> Linalg.matmul(t[0], false, t[1], true), m34, m54));
        sameOnSim("matmul AᵀBᵀ", d -> forwardBackward(d, t -> Linalg.matmul(t[0], true, t[1], true), m43, m54));
        sameOnSim("linear", d -> forwardBackward(d, t -> Linalg.linear(t[0], t[1], t[2]), m34, m54, new int[] {5}));
        sameOnSim("conv2d stride 2 pad 1", d -> forwardBackward(d, t -> Convolution.conv2d(t[0], t[1], t[2], 2, 1),
                new int[] {2, 3, 7, 6}, new int[] {4, 3, 3, 3}, new int[] {4}));
        sameOnSim("conv2d no bias", d -> forwardBackward(d, t -> Convolution.conv2d(t[0], t[1], null, 1, 0),
                new int[] {1, 2, 5, 5}, new int[] {3, 2, 2, 2}));
        sameOnSim("max pool", d -> forwardBackward(d, t -> Pooling.maxPool2d(t[0], 3, 3, 2, 2, 1, 1), new int[] {2, 3, 7, 6}));
        sameOnSim("avg pool", d -> forwardBackward(d, t -> Pooling.avgPool2d(t[0], 2, 2, 2, 2, 1, 0), new int[] {2, 3, 5, 6}));
        sameOnSim("sigmoid", d -> forwardBackward(d, t -> t[0].sigmoid(), m34));
        sameOnSim("relu", d -> forwardBackward(d, t -> t[0].relu(), m34));
        sameOnSim("tanh", d -> forwardBackward(d, t -> t[0].tanh(), m34));
        sameOnSim("softmax", d -> forwardBackward(d, t -> t[0].softmax(), m34));
        sameOnSim("log-softmax", d -> forwardBackward(d, t -> t[0].logSoftmax(), m34));
        sameOnSim("sum", d -> forwardBackward(d, t -> t[0].sum(), m34));
        sameOnSim("mean", d -> forwardBackward(d, t -> t[0].mean(), m34));
        sameOnSim("reshape, flatten, copy", d -> forwardBackward(d, t -> t[0].reshape(2, 6).copy().reshape(2, 2, 3).flatten(), m34));
        sameOnSim("to another device and back", d -> forwardBackward(d, t -> t[0].to(ON_SIM ? Device.sim(1) : Device.CPU).tanh().to(d), m34));
        sameOnSim("cross-entropy", d -> {
            try (Tensor labels = Tensor.of(d, new float[] {2, 0, 3}, 3)) {
                return forwardBackward(d, t -> Losses.softmaxCrossEntropy(t[0], labels).mul(3f), m34);
            }
        });
        sameOnSim("argmax", d -> {
            try (Tensor x = Tensor.uniform(d, new Rng(4), -1, 1, 5, 7)) {
                return List.of(x.argmax().toArray());
            }
        });
    }

    @Test
    void generalTensorOpsAndTheirBackward() {
        int[] m234 = {2, 3, 4}, v4 = {4}, c31 = {3, 1};
        sameOnSim("broadcast add/sub/mul/div", d -> forwardBackward(d,
                t -> t[0].add(t[1]).sub(t[2]).mul(t[1]).div(t[2].abs().add(0.5f)), m234, v4, c31));
        sameOnSim("pow, maximum, minimum", d -> forwardBackward(d,
                t -> t[0].abs().add(0.5f).pow(t[1]).maximum(t[2]).minimum(t[1].mul(2f)), m234, v4, c31));
        sameOnSim("comparisons, scalars on both sides", d -> forwardBackward(d,
                t -> t[0].gt(0f).mul(t[0]).add(t[0].rdiv(3f)).add(t[0].abs().rpow(2f)), m234));
        sameOnSim("unary math", d -> forwardBackward(d, t -> t[0].exp().add(t[0].abs().add(0.5f).log()).add(t[0].square().sqrt())
                .add(t[0].abs().add(1f).rsqrt()).add(t[0].neg().clamp(-0.5f, 0.5f)).add(t[0].softplus(1f, 20f))
                .add(t[0].leakyRelu(0.1f)).add(t[0].elu(1f)).add(t[0].gelu()).add(t[0].gelu(true)), m234));
        sameOnSim("axis reductions", d -> forwardBackward(d, t -> t[0].sum(1, true).add(t[0].mean(new int[] {0, 2}, true))
                .add(t[0].max(2, true)).add(t[0].min(0, true)).add(t[0].logsumexp(1, true)).add(t[0].var(2, true)), m234));
        sameOnSim("softmax and log-softmax along dim 1", d -> forwardBackward(d, t -> t[0].softmax(1).add(t[0].logSoftmax(0)), m234));
        sameOnSim("batched matmul with a broadcast batch", d -> forwardBackward(d, t -> t[0].matmul(t[1]), new int[] {2, 1, 3, 4},
                new int[] {3, 4, 2}));
    }

    @Test
    void netTrainOnATargetDevice() {
        sameOnSim("NetTrain with TargetDevice", d -> {
            Rng rng = new Rng(3);
            int n = 60;
            float[] x = new float[n * 2 * 3], y = new float[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 6; j++) x[i * 6 + j] = 2 * rng.nextFloat() - 1 + (i % 2 == 0 ? 0.5f : -0.5f);
                y[i] = i % 2;
            }
            dev.cortado.data.Dataset data = new dev.cortado.data.Dataset(x, new int[] {2, 3}, y);
            try (dev.cortado.api.NetChain net = dev.cortado.api.NetChain.of(dev.cortado.api.NetLayer.lstm(4),
                    dev.cortado.api.NetLayer.sequenceLast(), 2, dev.cortado.api.NetLayer.softmax())) {
                dev.cortado.api.NetTrain.Results r = dev.cortado.api.NetTrain.train(net, data,
                        dev.cortado.api.NetTrain.options().batchSize(16).maxTrainingRounds(3).targetDevice(d).validationSet(data));
                float[] out = new float[6];
                for (int k = 0; k < 3; k++) {
                    out[2 * k] = (float) r.rounds().get(k).loss();
                    out[2 * k + 1] = (float) r.rounds().get(k).validationLoss();
                }
                return List.of(out, net.module().parameters().get(0).cpu().toArray());
            }
        });
    }

    @Test
    void autogradGraphWithSharedInputs() {
        // x feeds three branches; the gradients meet and accumulate over two backward passes
        sameOnSim("shared inputs", d -> {
            Tensor x = Tensor.uniform(d, new Rng(8), -1, 1, 4, 4).requiresGrad(true);
            Tensor w = Tensor.uniform(d, new Rng(9), -1, 1, 4, 4).requiresGrad(true);
            for (int pass = 0; pass < 2; pass++) {
                Tensor h = x.matmul(w).tanh();
                h.mul(x).add(h.sigmoid()).sub(x.relu()).sum().backward();
            }
            List<float[]> out = List.of(x.grad().toArray(), w.grad().toArray());
            x.close();
            w.close();
            return out;
        });
    }

    @Test
    void lossesAndAccuracy() {
        sameOnSim("mse", d -> forwardBackward(d, t -> Losses.mse(t[0], t[1]), new int[] {6}, new int[] {6}));
        sameOnSim("bce with logits", d -> {
            try (Tensor targets = Tensor.of(d, new float[] {0, 1, 1, 0, 0.25f}, 5, 1)) {
                return forwardBackward(d, t -> Losses.binaryCrossEntropyWithLogits(t[0], targets), new int[] {5, 1});
            }
        });
        sameOnSim("accuracy", d -> {
            try (Tensor logits = Tensor.uniform(d, new Rng(2), -1, 1, 40, 3); Tensor labels = Tensor.uniform(d, new Rng(3), 0, 2.99f, 40)) {
                float[] l = labels.toArray();
                for (int i = 0; i < l.length; i++) l[i] = (float) Math.floor(l[i]);
                labels.copyFrom(l);
                return List.of(new float[] {(float) Losses.accuracy(logits, labels)});
            }
        });
    }

    private static Module everyLayer(Rng rng) {
        return new Layers.Sequential(
                new Layers.Conv2d(2, 4, 3, 1, 1, Neuron.RELU, dev.cortado.nn.Initializer.xavier(),
                        dev.cortado.nn.Initializer.constant(0.1f), rng),
                new Layers.MaxPool2d(2, 2, 0), new Layers.AvgPool2d(3, 1, 1), Layers.tanh(),
                new Layers.Dropout(0.3f, rng), Layers.flatten(),
                new Layers.Linear(4 * 3 * 3, 8, Neuron.SIGMOID, rng), new Layers.Linear(8, 6, Neuron.TANH, rng),
                new Layers.Linear(6, 5, Neuron.IDENTITY, rng), Layers.relu(), Layers.sigmoid(), Layers.softmax());
    }

    /** A few optimizer steps of a net that uses every layer; returns the parameters. */
    private static List<float[]> trainSteps(Device d, Function<Module, Optimizer> optimizer) {
        Rng rng = new Rng(21);
        try (Module net = everyLayer(rng).to(d); Optimizer opt = optimizer.apply(net)) {
            for (int step = 0; step < 3; step++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = Tensor.uniform(d, rng, -1, 1, 3, 2, 6, 6);
                    Tensor target = Tensor.uniform(d, rng, 0, 1, 3, 5);
                    Losses.mse(net.forward(x), target).backward();
                    opt.step();
                    opt.zeroGrad();
                }
            }
            List<float[]> out = new ArrayList<>();
            for (Tensor p : net.parameters()) out.add(p.toArray());
            for (Tensor[] state : opt.state()) for (Tensor s : state) out.add(s.toArray());
            return out;
        }
    }

    @Test
    void everyLayerAndOptimizer() {
        sameOnSim("sgd momentum", d -> trainSteps(d, n -> new Sgd(n.parameters(), LearningRate.fixed(0.5), Momentum.fixed(0.9), 0.01f, false)));
        sameOnSim("sgd nesterov", d -> trainSteps(d, n -> new Sgd(n.parameters(), LearningRate.fixed(0.5), Momentum.fixed(0.9), 0f, true)));
        sameOnSim("sgd mocha", d -> trainSteps(d, n -> Sgd.mocha(n.namedParameters(), LearningRate.fixed(0.5), Momentum.fixed(0.9), 0.001f)));
        sameOnSim("adam", d -> trainSteps(d, n -> new Adam(n.parameters(), LearningRate.fixed(0.01), 0.9f, 0.999f, 1e-8f, 0.001f)));
    }

    @Test
    void optimizerStateFollowsAModuleThatMoves() {
        // build and step on the CPU, move the net to sim, keep stepping: the same as staying on the CPU
        sameOnSim("moved mid-training", d -> {
            Rng rng = new Rng(5);
            try (Module net = new Layers.Linear(4, 3, Neuron.TANH, rng); Optimizer opt = new Adam(net.parameters(), 0.05)) {
                for (int step = 0; step < 4; step++) {
                    if (step == 2) net.to(d);
                    try (MemoryScope scope = MemoryScope.open()) {
                        Tensor x = Tensor.uniform(net.device(), rng, -1, 1, 2, 4);
                        net.forward(x).sum().backward();
                        opt.step();
                        opt.zeroGrad();
                    }
                }
                assertEquals(d, opt.state().get(0)[0].device());
                return List.of(net.parameters().get(0).toArray(), opt.state().get(0)[1].toArray());
            }
        });
    }

    @Test
    void gradCheckRunsOnSim() {
        Rng rng = new Rng(17);
        try (Tensor x = Tensor.uniform(DUT, rng, -1, 1, 2, 2, 5, 5).requiresGrad(true);
             Tensor w = Tensor.uniform(DUT, rng, -1, 1, 3, 2, 3, 3).requiresGrad(true)) {
            GradCheck.Result r = new GradCheck().check(t -> Convolution.conv2d(t[0], t[1], null, 1, 1).tanh(), x, w);
            assertTrue(r.ok(), r.toString());
            assertTrue(r.checked() > 100);
        }
    }

    /** Trains a small net to 20 iterations, snapshotting at 10; with resume, restarts from the snapshot at 10. */
    private List<float[]> solverRun(Device d, Path snapshots, boolean resume) throws Exception {
        Rng rng = new Rng(11);
        try (Module net = new Layers.Sequential(new Layers.Linear(6, 8, Neuron.TANH, rng),
                     new Layers.Linear(8, 3, Neuron.IDENTITY, rng)).to(d); // no Dropout: its generator is not in a snapshot
             Sgd sgd = new Sgd(net.parameters(), LearningRate.inv(0.05, 0.001, 0.75), Momentum.fixed(0.9), 0.0005f, true);
             DataLoader data = new DataLoader(Blobs.of(120), 16, true, 7, true)) {
            long maxIterations = 20;
            if (resume) {
                Snapshots.load(snapshots.resolve("iter-00000010"), net, sgd, data);
            } else {
                Solver first = new Solver(net, sgd, data, Losses::softmaxCrossEntropy, 10, null).addCoffeeBreak(new Snapshots(snapshots), 10);
                first.run();
            }
            Solver solver = new Solver(net, sgd, data, Losses::softmaxCrossEntropy, maxIterations, null);
            long reads = hostReads();
            solver.run();
            if (d.equals(DUT) && ON_SIM) assertEquals(reads + 1, hostReads(), "10 steps without a coffee break read the loss once, at the end");
            List<float[]> out = new ArrayList<>();
            for (Tensor p : net.parameters()) out.add(p.toArray());
            out.add(new float[] {(float) solver.lastLoss(), (float) solver.recentLoss(), solver.iteration()});
            return out;
        }
    }

    /** The same parts: bit for bit when {@code exact}, else within TOLERANCE (NaN where java has NaN). */
    private static void assertParts(List<float[]> expected, List<float[]> actual, boolean exact, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            if (exact) assertArrayEquals(expected.get(i), actual.get(i), what + ", part " + i);
            else Buffers.assertMatchesReference(expected.get(i), actual.get(i), TOLERANCE, what + ", part " + i);
        }
    }

    @Test
    void solverWithSnapshotsResumesExactly() throws Exception {
        List<List<float[]>> straight = new ArrayList<>(), resumed = new ArrayList<>();
        Device[] devices = {Device.CPU, DUT};
        for (int i = 0; i < 2; i++) {
            Device d = devices[i];
            Path snaps = dir.resolve(d.kind().name());
            try (Backends.Selection java = Backends.use("java")) {
                straight.add(solverRun(d, snaps, false));
                resumed.add(solverRun(d, snaps, true));
            }
        }
        assertParts(straight.get(0), straight.get(1), ON_SIM, DUT + " differs from java on the CPU");
        assertParts(straight.get(0), resumed.get(0), true, "resume on the CPU differs from the uninterrupted run");
        assertParts(straight.get(1), resumed.get(1), true, "resume on " + DUT + " differs from the uninterrupted run");
    }

    /** The bundled MNIST sample, found from whichever module's directory the test runs in. */
    private static Path mnistSample() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path sample = p.resolve("examples/data/mnist-sample");
            if (java.nio.file.Files.isDirectory(sample)) return sample;
        }
        throw new IllegalStateException("examples/data/mnist-sample not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void fiftyLeNetIterations() throws Exception {
        Dataset mnist = Dataset.mnist(mnistSample(), "train");
        sameOnSim("LeNet", d -> {
            try (Module net = LeNet.create(new Rng(1)).to(d);
                 Sgd sgd = Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f);
                 DataLoader data = new DataLoader(mnist, 8, true, 1, false)) {
                List<float[]> losses = new ArrayList<>();
                Solver solver = new Solver(net, sgd, data, Losses::softmaxCrossEntropy, 50, null)
                        .addCoffeeBreak(s -> losses.add(new float[] {(float) s.recentLoss()}), 10);
                solver.run();
                assertEquals(5, losses.size());
                assertTrue(losses.get(4)[0] < losses.get(0)[0], "LeNet learns on " + d + ": " + losses.get(0)[0] + " -> " + losses.get(4)[0]);
                for (Tensor p : net.parameters()) losses.add(p.toArray());
                return losses;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }
}
