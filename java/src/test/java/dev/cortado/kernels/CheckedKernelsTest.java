package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every kernel rejects bad arguments in Java, with a message that names the problem, on each
 * backend (on cpu, an argument that slipped through would crash the JVM instead).
 */
abstract class CheckedKernelsTest {

    static final class JavaTest extends CheckedKernelsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends CheckedKernelsTest {
        CpuTest() {
            super("cpu");
        }
    }

    private final KernelSet k;
    private final Buffers.Owned owned = new Buffers.Owned();

    CheckedKernelsTest(String backend) {
        k = Backends.byName(backend);
    }

    private static void rejects(String fragment, Executable call) {
        RuntimeException e = assertThrows(RuntimeException.class, call);
        assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, "wrong type: " + e);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    /** Refused with an IllegalArgumentException (not an IllegalStateException) whose message mentions fragment. */
    private static void rejectsArgument(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @AfterEach
    void releaseAll() {
        owned.release();
    }

    private Ptr ptr(float... values) {
        return owned.ptr(values);
    }

    private Ptr buf(int n) {
        return ptr(new float[n]);
    }

    @Test
    void gemm() {
        rejects("m must be >= 0", () -> k.gemm(false, false, -1, 2, 2, 1, buf(4), 2, buf(4), 2, 0, buf(4), 2));
        rejects("A (2 x 3, ld 3) needs 6", () -> k.gemm(false, false, 2, 2, 3, 1, buf(5), 3, buf(6), 2, 0, buf(4), 2));
        rejects("leading dimension of B", () -> k.gemm(false, false, 2, 2, 3, 1, buf(6), 3, buf(6), 1, 0, buf(4), 2));
        rejects("B (2 x 3", () -> k.gemm(false, true, 2, 2, 3, 1, buf(6), 3, buf(5), 3, 0, buf(4), 2));
        rejects("leading dimension of C", () -> k.gemm(false, false, 2, 2, 3, 1, buf(6), 3, buf(6), 2, 0, buf(4), 1));
        rejects("alpha must be finite", () -> k.gemm(false, false, 1, 1, 1, Float.NaN, buf(1), 1, buf(1), 1, 0, buf(1), 1));
        rejects("A is null", () -> k.gemm(false, false, 1, 1, 1, 1, null, 1, buf(1), 1, 0, buf(1), 1));
        Ptr shared = buf(8);
        rejects("C overlaps A", () -> k.gemm(false, false, 2, 2, 2, 1, shared, 2, buf(4), 2, 0, shared.at(2), 2));
        Ptr freed = buf(4);
        freed.storage().release();
        rejects("freed", () -> k.gemm(false, false, 2, 2, 2, 1, buf(4), 2, buf(4), 2, 0, freed, 2));
    }

    @Test
    void windowGeometry() {
        rejects("kernelH must be > 0", () -> new Window(1, 4, 4, 0, 2, 1, 1, 0, 0));
        rejects("padH must be >= 0", () -> new Window(1, 4, 4, 2, 2, 1, 1, -1, 0));
        rejects("larger than the padded input", () -> Window.square(1, 2, 2, 5, 1, 1));
        rejects("strideW must be > 0", () -> new Window(1, 4, 4, 2, 2, 1, 0, 0, 0));
        // padding 1.5e9 and stride 2e9 overflowed int in the output-size arithmetic (a wrong shape, silently)
        rejects("padded input 3000000010x10 exceeds 2^31 - 1", () -> new Window(1, 10, 10, 3, 3, 2_000_000_000, 1, 1_500_000_000, 0));
        Window far = new Window(1, 10, 10, 3, 3, 2_000_000_000, 2_000_000_000, 1_000_000_000, 1_000_000_000);
        assertEquals(2, far.outH(), "(10 + 2e9 - 3) / 2e9 + 1");
        assertEquals(2, far.outW());
    }

    @Test
    void im2colCol2im() {
        Window w = Window.square(2, 4, 4, 3, 1, 1); // col 18 x 16 per image
        rejects("images needs 32", () -> k.im2col(w, 1, buf(31), buf(288)));
        rejects("images needs 96", () -> k.im2col(w, 3, buf(95), buf(864)));
        rejects("col needs 576", () -> k.im2col(w, 2, buf(64), buf(575)));
        rejects("col needs 288", () -> k.col2im(w, 1, buf(100), buf(32)));
        rejects("images needs 64", () -> k.col2im(w, 2, buf(576), buf(63)));
        rejects("batch must be >= 0", () -> k.im2col(w, -1, buf(32), buf(288)));
        rejects("window is null", () -> k.im2col(null, 1, buf(32), buf(288)));
        rejects("addresses more than 2^31", () -> k.im2col(Window.square(64, 64, 64, 5, 1, 2), 1 << 16, buf(1), buf(1)));
        Ptr shared = buf(400);
        rejects("overlaps", () -> k.im2col(w, 1, shared, shared.at(10)));
    }

    @Test
    void convolution() {
        // 2 images of 2 x 5 x 5, 3 filters of 2 x 3 x 3, stride 1, pad 1: x 100, weight 54, y 150
        Window w = Window.square(2, 5, 5, 3, 1, 1);
        rejects("x needs 100", () -> k.convForward(w, 2, 3, buf(99), buf(54), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
        rejects("weight needs 54", () -> k.convForward(w, 2, 3, buf(100), buf(53), null, buf(3), null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
        rejects("bias needs 3", () -> k.convForward(w, 2, 3, buf(100), buf(54), null, buf(2), null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
        rejects("y needs 150", () -> k.convForward(w, 2, 3, buf(100), buf(54), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(149)));
        rejects("z needs 150", () -> k.convForward(w, 2, 3, buf(100), buf(54), null, null, buf(149), 0f, Float.POSITIVE_INFINITY, buf(150)));
        rejects("clamp range [1.0, 0.0] is not lo <= hi", () -> k.convForward(w, 2, 3, buf(100), buf(54), null, null, null, 1f, 0f, buf(150)));
        // prepared filters: 16 + (3 + 63) x 18 floats of GEMM panels, or, for a 3x3 window of unit
        // strides, 16 + 16 x (3 + 63) x 2 of Winograd transforms if more
        assertEquals(1204, KernelSet.preparedFilters(Window.square(2, 5, 5, 3, 2, 1), 3));
        assertEquals(2128, KernelSet.preparedFilters(w, 3));
        rejects("prepared needs 2128", () -> k.convForward(w, 2, 3, buf(100), buf(54), buf(2127), null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
        rejects("prepared needs 2128", () -> k.convPrepareFilters(w, 2, 3, buf(54), buf(2127)));
        rejects("weight needs 54", () -> k.convPrepareFilters(w, 2, 3, buf(53), buf(2128)));
        rejects("filters must be >= 0", () -> k.convPrepareFilters(w, 2, -3, buf(54), buf(2128)));
        Ptr both = buf(2200);
        rejects("overlaps", () -> k.convPrepareFilters(w, 2, 3, both, both.at(20)));
        rejects("clamp range [NaN, Infinity]", () -> k.convForward(w, 2, 3, buf(100), buf(54), null, null, null, Float.NaN, Float.POSITIVE_INFINITY, buf(150)));
        rejects("clamp range [6.0, 0.0] is not lo <= hi", () -> k.depthwiseForward(Window.square(3, 5, 5, 3, 1, 1), 1, buf(75), buf(27), null, 6f, 0f, buf(75)));
        rejects("dy needs 150", () -> k.convBackwardData(w, 2, 3, buf(54), buf(100), buf(100)));
        rejects("dx needs 100", () -> k.convBackwardData(w, 2, 3, buf(54), buf(150), buf(50)));
        rejects("dweight needs 54", () -> k.convBackwardFilter(w, 2, 3, buf(100), buf(150), buf(20)));
        rejects("filters must be >= 0", () -> k.convBackwardFilter(w, 2, -3, buf(100), buf(150), buf(54)));
        rejects("batch must be >= 0", () -> k.convForward(w, -1, 3, buf(100), buf(54), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
        rejects("window is null", () -> k.convBackwardData(null, 2, 3, buf(54), buf(150), buf(100)));
        rejects("addresses more than 2^31", () -> k.convForward(Window.square(64, 64, 64, 5, 1, 2), 1 << 16, 8, buf(1), buf(1), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(1)));
        Ptr shared = buf(400);
        rejects("y overlaps x", () -> k.convForward(w, 2, 3, shared, buf(54), null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, shared.at(50)));
        rejects("dx overlaps dy", () -> k.convBackwardData(w, 2, 3, buf(54), shared, shared.at(149)));
        rejects("dweight overlaps x", () -> k.convBackwardFilter(w, 2, 3, shared, buf(150), shared.at(99)));
        Ptr freed = buf(54);
        freed.storage().release();
        rejects("freed", () -> k.convForward(w, 2, 3, buf(100), freed, null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, buf(150)));
    }

    @Test
    void pooling() {
        Window w = Window.square(3, 4, 4, 2, 2, 0); // out 3 x 2 x 2
        rejects("x needs 48", () -> k.maxPoolForward(w, buf(47), buf(12)));
        rejects("y needs 12", () -> k.maxPoolForward(w, buf(48), buf(11)));
        rejects("dy needs 12", () -> k.maxPoolBackward(w, buf(48), buf(2), buf(48)));
        rejects("dx needs 48", () -> k.maxPoolBackward(w, buf(48), buf(12), buf(4)));
        rejects("x needs 48", () -> k.avgPoolForward(w, buf(1), buf(12)));
        rejects("dx needs 48", () -> k.avgPoolBackward(w, buf(12), buf(40)));
        Window padTooBig = Window.square(1, 4, 4, 2, 1, 2);
        rejects("must be smaller than the kernel", () -> k.maxPoolForward(padTooBig, buf(16), buf(100)));
    }

    @Test
    void activations() {
        rejects("y needs 4", () -> k.sigmoidForward(4, buf(4), buf(3)));
        rejects("dx needs 4", () -> k.sigmoidBackward(4, buf(4), buf(4), buf(1)));
        rejects("x needs 4", () -> k.reluForward(4, buf(2), buf(4)));
        rejects("dy needs 4", () -> k.reluBackward(4, buf(4), buf(0), buf(4)));
        rejects("n must be >= 0", () -> k.tanhForward(-1, buf(4), buf(4)));
        rejects("y needs 4", () -> k.tanhBackward(4, buf(3), buf(4), buf(4)));
    }

    @Test
    void softmaxFamily() {
        rejects("y needs 6", () -> k.softmaxForward(2, 3, buf(6), buf(5)));
        rejects("dx needs 6", () -> k.softmaxBackward(2, 3, buf(6), buf(6), buf(1)));
        rejects("rows must be >= 0", () -> k.logSoftmaxForward(-2, 3, buf(6), buf(6)));
        rejects("dy needs 6", () -> k.logSoftmaxBackward(2, 3, buf(6), buf(2), buf(6)));
        rejects("label 3.0 at row 1", () -> k.softmaxCrossEntropyForward(2, 3, buf(6), ptr(0, 3), buf(6), buf(2)));
        rejects("label 0.5 at row 0", () -> k.softmaxCrossEntropyForward(2, 3, buf(6), ptr(0.5f, 1), buf(6), buf(2)));
        rejects("label -1.0", () -> k.softmaxCrossEntropyBackward(2, 3, buf(6), ptr(-1, 1), 1f, buf(6)));
        rejects("label NaN", () -> k.softmaxCrossEntropyBackward(2, 3, buf(6), ptr(Float.NaN, 1), 1f, buf(6)));
        rejects("loss needs 2", () -> k.softmaxCrossEntropyForward(2, 3, buf(6), ptr(0, 1), buf(6), buf(1)));
        rejects("scale must be finite", () -> k.softmaxCrossEntropyBackward(2, 3, buf(6), ptr(0, 1), Float.POSITIVE_INFINITY, buf(6)));
    }

    @Test
    void elementwise() {
        rejects("b needs 3", () -> k.add(3, buf(3), buf(2), buf(3)));
        rejects("y needs 3", () -> k.mul(3, buf(3), buf(3), buf(2)));
        rejects("x needs 3", () -> k.scale(3, 2f, buf(1), buf(3)));
        rejects("y needs 3", () -> k.axpy(3, 2f, buf(3), buf(0)));
        rejects("y needs 5", () -> k.fill(5, 0f, buf(4)));
        rejects("bias needs 3", () -> k.biasAdd(2, 3, 4, buf(2), buf(24)));
        rejects("y needs 24", () -> k.biasAdd(2, 3, 4, buf(3), buf(23)));
        rejects("channels must be >= 0", () -> k.biasGrad(2, -3, 4, buf(24), buf(3)));
        rejects("db needs 3", () -> k.biasGrad(2, 3, 4, buf(24), buf(2)));
    }

    @Test
    void reductions() {
        rejects("x needs 5", () -> k.sum(5, buf(4), buf(1)));
        rejects("out needs 1", () -> k.sum(1, buf(1), buf(0)));
        rejects("out needs 2", () -> k.argmax(2, 3, buf(6), buf(1)));
        rejects("argmax over rows of 0 columns", () -> k.argmax(2, 0, buf(6), buf(2)));
    }

    @Test
    void optimizers() {
        rejects("v needs 4", () -> k.sgdMomentum(4, 0.1f, 0.9f, 0f, false, buf(4), buf(4), buf(3)));
        rejects("lr must be finite", () -> k.sgdMomentum(4, Float.NaN, 0.9f, 0f, false, buf(4), buf(4), buf(4)));
        Ptr same = buf(4);
        rejects("w overlaps g", () -> k.sgdMomentum(4, 0.1f, 0.9f, 0f, false, same, same, buf(4)));
        rejects("adam step is 1-based", () -> k.adam(4, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, 0, buf(4), buf(4), buf(4), buf(4)));
        rejects("beta2 must be in [0, 1)", () -> k.adam(4, 0.1f, 0.9f, 1f, 1e-8f, 0f, 1, buf(4), buf(4), buf(4), buf(4)));
        rejects("eps must be > 0", () -> k.adam(4, 0.1f, 0.9f, 0.99f, 0f, 0f, 1, buf(4), buf(4), buf(4), buf(4)));
        rejects("m needs 4", () -> k.adam(4, 0.1f, 0.9f, 0.99f, 1e-8f, 0f, 1, buf(4), buf(4), buf(2), buf(4)));
    }

    @Test
    void tensorKernels() {
        Ptr src = ptr(new float[64]), dst = ptr(new float[64]);
        rejectsArgument("src strides [3] do not match shape [2, 3]", () -> k.copyStrided(new long[] {2, 3}, new long[] {3}, src, new long[] {3, 1}, dst));
        rejectsArgument("dst strides [1, 1] write some elements of shape [2, 3] twice",
                () -> k.copyStrided(new long[] {2, 3}, new long[] {3, 1}, src, new long[] {1, 1}, dst));
        rejectsArgument("rank 9 exceeds 8", () -> k.copyStrided(new long[9], new long[9], src, new long[9], dst));
        rejectsArgument("b strides", () -> k.binary(BinaryOp.ADD, new long[] {4}, new long[] {1}, src, new long[] {1, 1}, src, dst));
        rejectsArgument("index 5.0", () -> k.gather(1, 5, 2, 2, src, ptr(new float[] {1, 5}), 0, 1, 0, dst));
        rejectsArgument("index -1.0", () -> k.scatterAdd(1, 5, 2, 2, ptr(new float[] {-1, 0}), 0, 1, 0, src, dst));
        rejectsArgument("ARGMAX over an axis of length 0", () -> k.reduce(ReduceOp.ARGMAX, 2, 0, 3, src, dst));
        rejectsArgument("strideC 3", () -> k.gemmBatched(false, false, 2, 2, 2, 1, src, 2, 4, src, 2, 4, 0, dst, 2, 3, 2));
        rejectsArgument("clamp min 2.0 exceeds max 1.0", () -> k.unary(UnaryOp.CLAMP, 4, 2, 1, src, dst));
    }

    @Test
    void lstmCell() {
        int b = 2, h = 3; // 6 units, 24 gates
        // forward: sizes
        rejects("batch must be >= 0", () -> k.lstmCellForward(-1, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[24]),
                ptr(new float[6]), ptr(new float[6])));
        rejects("hidden must be >= 0", () -> k.lstmCellForward(b, -3, ptr(new float[24]), ptr(new float[6]), ptr(new float[24]),
                ptr(new float[6]), ptr(new float[6])));
        rejects("gates needs 24", () -> k.lstmCellForward(b, h, ptr(new float[23]), ptr(new float[6]), ptr(new float[24]),
                ptr(new float[6]), ptr(new float[6])));
        rejects("cPrev needs 6", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[5]), ptr(new float[24]),
                ptr(new float[6]), ptr(new float[6])));
        rejects("act needs 24", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[23]),
                ptr(new float[6]), ptr(new float[6])));
        rejects("c needs 6", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[24]),
                ptr(new float[5]), ptr(new float[6])));
        rejects("h needs 6", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[24]),
                ptr(new float[6]), ptr(new float[5])));
        rejects("more than 2^31 gate values", () -> k.lstmCellForward(1 << 16, 1 << 14, ptr(new float[1]), ptr(new float[1]),
                ptr(new float[1]), ptr(new float[1]), ptr(new float[1])));
        // forward: overlaps (outputs with inputs and with each other)
        Ptr big = ptr(new float[100]);
        rejects("act overlaps gates", () -> k.lstmCellForward(b, h, big, ptr(new float[6]), big.at(23), ptr(new float[6]),
                ptr(new float[6])));
        rejects("c overlaps cPrev", () -> k.lstmCellForward(b, h, ptr(new float[24]), big, ptr(new float[24]), big.at(5),
                ptr(new float[6])));
        rejects("h overlaps gates", () -> k.lstmCellForward(b, h, big, ptr(new float[6]), ptr(new float[24]), ptr(new float[6]),
                big.at(10)));
        rejects("c overlaps h", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[24]), big,
                big.at(3)));
        rejects("act overlaps c", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), big, big.at(20),
                ptr(new float[6])));
        // forward: freed memory
        Ptr freed = Buffers.ptr(new float[24]);
        freed.storage().release();
        rejects("gates was freed", () -> k.lstmCellForward(b, h, freed, ptr(new float[6]), ptr(new float[24]), ptr(new float[6]),
                ptr(new float[6])));
        rejects("act was freed", () -> k.lstmCellForward(b, h, ptr(new float[24]), ptr(new float[6]), freed, ptr(new float[6]),
                ptr(new float[6])));

        // backward: sizes
        rejects("act needs 24", () -> k.lstmCellBackward(b, h, ptr(new float[20]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), ptr(new float[24]), ptr(new float[6])));
        rejects("dh needs 6", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[1]), ptr(new float[6]), ptr(new float[24]), ptr(new float[6])));
        rejects("dc needs 6", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[0]), ptr(new float[24]), ptr(new float[6])));
        rejects("dGates needs 24", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), ptr(new float[12]), ptr(new float[6])));
        rejects("dcPrev needs 6", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), ptr(new float[24]), ptr(new float[2])));
        // backward: overlaps
        rejects("dGates overlaps act", () -> k.lstmCellBackward(b, h, big, ptr(new float[6]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), big.at(1), ptr(new float[6])));
        rejects("dGates overlaps dh", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                big.at(30), ptr(new float[6]), big.at(10), ptr(new float[6])));
        rejects("dcPrev overlaps dc", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), big, ptr(new float[24]), big.at(5)));
        rejects("dcPrev overlaps cPrev", () -> k.lstmCellBackward(b, h, ptr(new float[24]), big, ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), ptr(new float[24]), big));
        rejects("dGates overlaps dcPrev", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), big, big.at(23)));
        // backward: freed memory
        rejects("c was freed", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), freed, ptr(new float[6]),
                ptr(new float[6]), ptr(new float[24]), ptr(new float[6])));
        rejects("dGates was freed", () -> k.lstmCellBackward(b, h, ptr(new float[24]), ptr(new float[6]), ptr(new float[6]),
                ptr(new float[6]), ptr(new float[6]), freed, ptr(new float[6])));
    }

    @Test
    void backendNames() {
        rejects("unknown backend 'nope'", () -> Backends.byName("nope"));
        rejects("backend name is null", () -> Backends.byName(null));
        rejects("device index must be >= 0", () -> Device.cuda(-1));
    }
}
