package dev.cortado.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cortado.kernels.Backends;
import dev.cortado.memory.Device;
import dev.cortado.ops.Convolution;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Pooling;
import dev.cortado.ops.Recurrent;
import dev.cortado.ops.Reductions;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the public op and tensor API over the native kernels: random shapes (empty, mismatched,
 * huge), strides, paddings, labels, indices, closed tensors and tensors on another device. Every
 * call must return or throw a clean exception that names the problem (IllegalArgumentException,
 * IllegalStateException, IndexOutOfBoundsException, UnsupportedOperationException); anything else
 * — or a JVM crash — is a bug.
 *
 * <p>{@code mvn verify} runs the stored inputs under src/test/resources/dev/cortado/fuzz/ApiFuzzTestInputs
 * (seconds). To fuzz: {@code JAZZER_FUZZ=1 mvn -pl java test -Dtest=ApiFuzzTest} (up to the
 * maxDuration below; new crashing inputs are saved beside the stored ones).
 */
class ApiFuzzTest {

    private static final FuzzTally TALLY = new FuzzTally("ApiFuzzTest");

    @AfterAll
    static void report() {
        TALLY.report();
    }

    private static final String[] OPS = {"add", "sub", "mul", "matmul", "linear", "conv2d", "maxpool", "avgpool", "sigmoid",
        "relu", "tanh", "softmax", "logsoftmax", "crossentropy", "sum", "mean", "argmax", "reshape", "flatten", "to", "get",
        "set", "backward", "copyFrom", "axpy",
        // the general tensor ops
        "div", "pow", "maximum", "compare", "unary", "sumDims", "maxDim", "argminDim", "var", "logsumexp", "softmaxDim",
        "narrow", "slice", "select", "indexSelect", "gather", "concat", "stack", "permute", "transpose", "expand", "squeeze",
        "unsqueeze", "split", "pad", "conv2dOptions", "conv1d", "maxpoolCeil", "avgpoolOptions", "adaptivePool", "crossEntropyOptions",
        "nll", "lstm"};

    @FuzzTest(maxDuration = "5m")
    void publicApi(FuzzedDataProvider in) {
        Device device = in.consumeInt(0, 9) == 0 ? Device.SIM : Device.CPU;
        try (Backends.Selection cpu = Backends.use("cpu"); MemoryScope scope = MemoryScope.open()) {
            List<Tensor> pool = new ArrayList<>();
            Rng rng = new Rng(in.consumeLong());
            for (int i = 0, n = in.consumeInt(1, 4); i < n; i++) pool.add(tensor(in, rng, device));
            for (int step = 0, steps = in.consumeInt(1, 6); step < steps; step++) {
                try {
                    TALLY.call();
                    Tensor out = call(in, pool, rng);
                    if (out != null) pool.add(out);
                } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException | UnsupportedOperationException e) {
                    TALLY.clean(e);
                } catch (OutOfMemoryError e) {
                    // an allocator's own refusal of a request too large for the device is a clean answer
                    if (e.getMessage() == null || !e.getMessage().startsWith("out of memory on ")) throw e;
                    TALLY.clean("OutOfMemoryError (allocator)", e);
                }
            }
        }
    }

    private static int dim(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 19)) {
            case 0 -> 0;
            case 1 -> in.consumeInt(Integer.MIN_VALUE, -1);
            case 2 -> in.consumeInt(1 << 16, Integer.MAX_VALUE); // huge: must be refused, not allocated
            default -> in.consumeInt(1, 7);
        };
    }

    private static int[] shape(FuzzedDataProvider in) {
        int[] s = new int[in.consumeInt(0, 4)];
        for (int i = 0; i < s.length; i++) s[i] = dim(in);
        return s;
    }

    private static Tensor tensor(FuzzedDataProvider in, Rng rng, Device device) {
        int[] s = shape(in);
        long n = 1;
        for (int d : s) n *= Math.max(0, d);
        if (n > 1 << 16) s = new int[] {in.consumeInt(1, 7), in.consumeInt(1, 7)}; // keep memory small
        try {
            Tensor t = in.consumeInt(0, 5) == 0
                    ? Tensor.full(device, new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, 1e38f}[in.consumeInt(0, 3)], s)
                    : Tensor.uniform(device, rng, -2, 2, s);
            if (in.consumeBoolean()) t.requiresGrad(true);
            if (in.consumeInt(0, 9) == 0) t.close();
            return t;
        } catch (IllegalArgumentException e) {
            return Tensor.zeros(device, 2, 3);
        }
    }

    /** An axis argument: usually in range for small ranks, sometimes far out. */
    private static int axis(FuzzedDataProvider in) {
        return in.consumeInt(0, 9) == 0 ? param(in) : in.consumeInt(-5, 4);
    }

    /** t, often refilled (when the host may write it) with index-like values: in range, negative, fractional or huge. */
    private static Tensor indices(FuzzedDataProvider in, Tensor t) {
        if (in.consumeBoolean() && !t.isClosed() && t.device().isCpu() && !t.requiresGrad()) {
            float[] v = new float[(int) Math.min(t.numel(), 64)];
            if (v.length == t.numel()) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = switch (in.consumeInt(0, 9)) {
                        case 0 -> -1;
                        case 1 -> 0.5f;
                        case 2 -> 1e9f;
                        case 3 -> Float.NaN;
                        default -> in.consumeInt(0, 6);
                    };
                }
                t.copyFrom(v);
            }
        }
        return t;
    }

    private static Tensor pick(FuzzedDataProvider in, List<Tensor> pool) {
        return pool.get(in.consumeInt(0, pool.size() - 1));
    }

    /** A stride, padding or kernel size: small, or extreme (which must be refused; mid-sized ones would only allocate gigabytes). */
    private static int param(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 15)) {
            case 0 -> in.consumeInt(Integer.MIN_VALUE, -2);
            case 1 -> in.consumeInt(1 << 30, Integer.MAX_VALUE);
            default -> in.consumeInt(-1, 5);
        };
    }

    private static Tensor call(FuzzedDataProvider in, List<Tensor> pool, Rng rng) {
        Tensor a = pick(in, pool), b = pick(in, pool);
        return switch (OPS[in.consumeInt(0, OPS.length - 1)]) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "matmul" -> Linalg.matmul(a, in.consumeBoolean(), b, in.consumeBoolean());
            case "linear" -> Linalg.linear(a, b, in.consumeBoolean() ? pick(in, pool) : null);
            case "conv2d" -> Convolution.conv2d(a, b, in.consumeBoolean() ? pick(in, pool) : null, param(in), param(in), param(in), param(in));
            case "maxpool" -> Pooling.maxPool2d(a, param(in), param(in), param(in), param(in), param(in), param(in));
            case "avgpool" -> Pooling.avgPool2d(a, param(in), param(in), param(in), param(in), param(in), param(in));
            case "sigmoid" -> a.sigmoid();
            case "relu" -> a.relu();
            case "tanh" -> a.tanh();
            case "softmax" -> a.softmax();
            case "logsoftmax" -> a.logSoftmax();
            case "crossentropy" -> {
                if (in.consumeBoolean() && b.dim() == 1 && !b.isClosed() && b.device().isCpu()) {
                    float[] labels = new float[(int) b.numel()];
                    for (int i = 0; i < labels.length; i++) labels[i] = in.consumeInt(-2, 12) + (in.consumeInt(0, 9) == 0 ? 0.5f : 0f);
                    if (!b.requiresGrad()) b.copyFrom(labels);
                }
                yield Softmax.crossEntropy(a, b);
            }
            case "sum" -> a.sum();
            case "mean" -> a.mean();
            case "argmax" -> a.argmax();
            case "reshape" -> a.reshape(shape(in));
            case "flatten" -> a.flatten();
            case "to" -> a.to(in.consumeBoolean() ? Device.SIM : Device.CPU);
            case "get" -> {
                a.get(new int[] {param(in), param(in)}.length == a.dim() ? new int[] {param(in), param(in)} : new int[a.dim()]);
                yield null;
            }
            case "set" -> {
                a.set(in.consumeFloat(), new int[] {param(in)});
                yield null;
            }
            case "backward" -> {
                if (in.consumeBoolean()) a.backward();
                else a.backward(b);
                yield null;
            }
            case "copyFrom" -> a.copyFrom(b);
            case "axpy" -> a.axpyInPlace(in.consumeFloat(), b);
            case "div" -> a.div(b);
            case "pow" -> in.consumeBoolean() ? a.pow(b) : a.pow(in.consumeFloat());
            case "maximum" -> in.consumeBoolean() ? a.maximum(b) : a.minimum(in.consumeFloat());
            case "compare" -> in.consumeBoolean() ? a.lt(b) : a.ge(in.consumeFloat());
            case "unary" -> switch (in.consumeInt(0, 5)) {
                case 0 -> a.exp();
                case 1 -> a.log();
                case 2 -> a.rsqrt();
                case 3 -> a.clamp(in.consumeFloat(), in.consumeFloat());
                case 4 -> a.softplus(in.consumeFloat(), in.consumeFloat());
                default -> a.gelu();
            };
            case "sumDims" -> a.sum(new int[] {axis(in), axis(in)}, in.consumeBoolean());
            case "maxDim" -> a.max(axis(in), in.consumeBoolean());
            case "argminDim" -> a.argmin(axis(in), in.consumeBoolean());
            case "var" -> Reductions.var(a, new int[] {axis(in)}, in.consumeInt(-1, 3), in.consumeBoolean());
            case "logsumexp" -> a.logsumexp(axis(in), in.consumeBoolean());
            case "softmaxDim" -> in.consumeBoolean() ? a.softmax(axis(in)) : a.logSoftmax(axis(in));
            case "narrow" -> a.narrow(axis(in), param(in), param(in));
            case "slice" -> a.slice(axis(in), param(in), param(in), param(in));
            case "select" -> a.select(axis(in), param(in));
            case "indexSelect" -> a.indexSelect(axis(in), indices(in, b));
            case "gather" -> a.gather(axis(in), indices(in, b));
            case "concat" -> Tensor.concat(axis(in), a, b);
            case "stack" -> Tensor.stack(axis(in), a, b);
            case "permute" -> a.permute(in.consumeInts(in.consumeInt(0, 5)));
            case "transpose" -> a.transpose(axis(in), axis(in));
            case "expand" -> a.expand(shape(in));
            case "squeeze" -> in.consumeBoolean() ? a.squeeze() : a.squeeze(axis(in));
            case "unsqueeze" -> a.unsqueeze(axis(in));
            case "split" -> {
                Tensor[] parts = in.consumeBoolean() ? a.split(axis(in), param(in)) : a.chunk(axis(in), param(in));
                yield parts.length == 0 ? null : parts[0];
            }
            case "pad" -> a.pad(new int[] {param(in), param(in)}, in.consumeFloat());
            case "conv2dOptions" -> Convolution.conv2d(a, b, null, param(in), param(in), param(in), param(in), param(in), param(in), param(in));
            case "conv1d" -> Convolution.conv1d(a, b, null, param(in), param(in), param(in), param(in));
            case "maxpoolCeil" -> Pooling.maxPool2d(a, param(in), param(in), param(in), param(in), param(in), param(in), true);
            case "avgpoolOptions" -> Pooling.avgPool2d(a, param(in), param(in), param(in), param(in), param(in), param(in),
                    in.consumeBoolean(), in.consumeBoolean());
            case "adaptivePool" -> Pooling.adaptiveAvgPool2d(a, param(in), param(in));
            case "crossEntropyOptions" -> Softmax.crossEntropy(a, indices(in, b), in.consumeBoolean() ? pick(in, pool) : null,
                    in.consumeInt(-101, 3), in.consumeFloat());
            case "nll" -> Softmax.nllLoss(a, indices(in, b), null, in.consumeInt(-101, 3));
            case "lstm" -> Recurrent.lstm(a, b, pick(in, pool), in.consumeBoolean() ? pick(in, pool) : null);
            default -> throw new AssertionError("unknown op");
        };
    }
}
