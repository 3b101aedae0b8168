package dev.cortado.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import org.junit.jupiter.api.Test;

class AutogradTest {

    @Test
    void simpleChainRule() {
        // y = sum(x * x + 3x) -> dy/dx = 2x + 3
        Tensor x = Tensor.of(new float[] {1, -2, 0.5f}, 3).requiresGrad(true);
        Tensor y = x.mul(x).add(x.mul(3f)).sum();
        assertEquals("sum", y.gradFn());
        y.backward();
        assertArrayEquals(new float[] {5, -1, 4}, x.grad().toArray(), 1e-6f);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        x.mul(2f).sum().backward();
        x.mul(3f).sum().backward();
        assertArrayEquals(new float[] {5, 5}, x.grad().toArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void sharedSubexpressionGetsBothContributions() {
        Tensor x = Tensor.of(new float[] {2}, 1).requiresGrad(true);
        Tensor a = x.mul(x);          // x^2
        Tensor y = a.add(a).sum();    // 2 x^2 -> 4x
        y.backward();
        assertArrayEquals(new float[] {8}, x.grad().toArray());
    }

    @Test
    void leafGradientsNeverShareMemory() {
        // a + b hands both leaves the same gradient tensor; a leaf may take a gradient as its own
        // only when nothing else holds that memory
        Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true), b = Tensor.of(new float[] {3, 4}, 2).requiresGrad(true);
        a.add(b).sum().backward();
        a.grad().copyFrom(Tensor.of(new float[] {9, 9}, 2));
        assertArrayEquals(new float[] {1, 1}, b.grad().toArray());
        a.mul(b).sum().backward(); // accumulates into both: a.grad += b, b.grad += a
        assertArrayEquals(new float[] {12, 13}, a.grad().toArray());
        assertArrayEquals(new float[] {2, 3}, b.grad().toArray());
        Tensor seed = Tensor.of(new float[] {5, 6}, 2);
        a.zeroGrad();
        a.backward(seed); // the caller's seed is never taken
        a.grad().copyFrom(Tensor.of(new float[] {0, 0}, 2));
        assertArrayEquals(new float[] {5, 6}, seed.toArray());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor x = Tensor.ones(2).requiresGrad(true);
        Tensor y;
        try (GradMode off = GradMode.off()) {
            y = x.mul(2f);
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void onlyLeavesThatRequireGradGetGradients() {
        Tensor a = Tensor.ones(2).requiresGrad(true);
        Tensor b = Tensor.ones(2);
        a.mul(b).sum().backward();
        assertTrue(a.grad() != null);
        assertNull(b.grad());
        Tensor c = a.mul(2f);
        assertThrows(IllegalStateException.class, () -> c.requiresGrad(false));
    }

    @Test
    void backwardNeedsScalarOrMatchingGradient() {
        Tensor x = Tensor.ones(2, 2).requiresGrad(true);
        Tensor y = x.mul(3f);
        assertThrows(IllegalStateException.class, y::backward);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(4)));
        assertTrue(e.getMessage().contains("[4] does not match tensor shape [2, 2]"), e.getMessage());
        y.backward(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        assertArrayEquals(new float[] {3, 6, 9, 12}, x.grad().toArray());
    }

    @Test
    void stepScopeFreesIntermediatesButNotParametersOrGrads() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor hidden;
        try (MemoryScope step = MemoryScope.open()) {
            hidden = w.mul(w).sigmoid();
            hidden.sum().backward();
        }
        assertTrue(hidden.isClosed(), "intermediate freed with the step");
        assertFalse(w.isClosed());
        assertFalse(w.grad().isClosed(), "a leaf's gradient belongs to the leaf");
        float s = (float) (1 / (1 + Math.exp(-1)));
        assertArrayEquals(new float[] {2 * s * (1 - s), 2 * s * (1 - s), 2 * s * (1 - s)}, w.grad().toArray(), 1e-6f);
        w.close();
        assertTrue(w.grad() == null, "closing a parameter frees its gradient too");
    }

    @Test
    void backwardAfterScopeClosedFailsCleanly() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor loss;
        try (MemoryScope step = MemoryScope.open()) {
            loss = w.sigmoid().sum();
        }
        assertThrows(IllegalStateException.class, loss::backward);
    }

    @Test
    void reshapeAndDetach() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
        x.reshape(2, 2).mul(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)).sum().backward();
        assertArrayEquals(new float[] {1, 2, 3, 4}, x.grad().toArray());
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        assertArrayEquals(x.toArray(), d.toArray());
    }

    @Test
    void longChainsDoNotOverflowTheStack() {
        Tensor x = Tensor.ones(1).requiresGrad(true);
        Tensor y = x;
        try (MemoryScope scope = MemoryScope.open()) {
            for (int i = 0; i < 20000; i++) y = y.mul(1f);
            y.sum().backward();
        }
        assertArrayEquals(new float[] {1}, x.grad().toArray());
    }

    @Test
    void backwardThroughAClosedTensorThrowsNamingTheOp() {
        // was: y.close() dropped y's place in the graph; backward threw nothing and x.grad() stayed null
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor y = x.sigmoid();
        Tensor z = y.sum();
        y.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, z::backward);
        assertTrue(e.getMessage().contains("input [3] of sum (the output of sigmoid) was closed"), e.getMessage());
        assertNull(x.grad());

        // a closed leaf would have received (and leaked) a gradient
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor loss = w.mul(w).sum();
        w.close();
        e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("of mul (a leaf that requires grad) was closed"), e.getMessage());
        assertNull(w.grad());

        // a closed input that a formula reads, though it needs no gradient: the error names the op
        Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor c = Tensor.of(new float[] {3, 4}, 2);
        Tensor prod = a.mul(c).sum();
        c.close();
        e = assertThrows(IllegalStateException.class, prod::backward);
        assertTrue(e.getMessage().startsWith("backward of mul: "), e.getMessage());
    }

    // ---- in-place changes of tensors a backward reads (version counters) ------------------------

    @Test
    void backwardRefusesAnInputChangedInPlaceAfterTheOpSavedIt() {
        // Before the version counters this gave gw = [100, 2, 3] instead of [1, 2, 3], silently.
        Tensor w = Tensor.of(new float[] {4, 5, 6}, 3).requiresGrad(true);
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor loss = w.mul(x).sum();
        x.set(100, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("backward of mul") && e.getMessage().contains("modified in place"), e.getMessage());
        assertNull(w.grad());
    }

    @Test
    void aChangeThroughAViewCountsForItsBase() {
        Tensor w = Tensor.of(new float[] {4, 5, 6, 7}, 2, 2).requiresGrad(true);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor loss = w.matmul(x).sum();
        x.reshape(4).fill(0f);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("backward of matmul"), e.getMessage());
    }

    @Test
    void opsWhoseBackwardDoesNotReadAnInputAllowChangingIt() {
        Tensor w = Tensor.of(new float[] {4, 5, 6}, 3).requiresGrad(true);
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor loss = w.add(x).mul(2f).sum();
        x.fill(7f);
        loss.backward();
        assertArrayEquals(new float[] {2, 2, 2}, w.grad().toArray());
    }

    @Test
    void backwardRefusesAChangedOutputThatItsOpSaved() {
        Tensor x = Tensor.of(new float[] {0, 1}, 2).requiresGrad(true);
        Tensor y = x.sigmoid();
        Tensor loss = y.sum();
        try (GradMode off = GradMode.off()) {
            y.fill(0.5f);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("backward of sigmoid"), e.getMessage());
    }

    @Test
    void anOptimizerStepInvalidatesGraphsThatSavedTheParameter() {
        Tensor p = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor loss = p.mul(p).sum();
        loss.backward(true); // the graph is kept, so what stops the second backward is the changed parameter
        int before = p.version();
        new dev.cortado.optim.Sgd(java.util.List.of(p), dev.cortado.optim.LearningRate.fixed(0.1), dev.cortado.optim.Momentum.fixed(0), 0f, false).step();
        assertEquals(before + 1, p.version());
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("modified in place"), e.getMessage());
    }

    // ---- a second backward through the same graph (PyTorch's retain_graph) ---------------------

    @Test
    void aSecondBackwardThroughTheSameGraphThrowsNamingTheOp() {
        Tensor w = Tensor.of(new float[] {1, 1, 1}, 3).requiresGrad(true), x = Tensor.of(new float[] {2, 2, 2}, 3);
        Tensor loss = w.mul(x).sum();
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("second time") && e.getMessage().contains("sum") && e.getMessage().contains("backward(true)"),
                e.getMessage());
        assertArrayEquals(new float[] {2, 2, 2}, w.grad().toArray(), "the refused backward added nothing");
    }

    @Test
    void aGraphSharedWithAnEarlierBackwardIsFreedToo() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = w.mul(w);
        y.sum().backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.mul(3f).sum().backward());
        assertTrue(e.getMessage().contains("saved by mul"), e.getMessage());
        assertEquals("mul", y.gradFn(), "the graph's structure stays readable");
        assertArrayEquals(new float[] {1, 4}, y.toArray(), "forward values stay readable");
    }

    @Test
    void retainGraphAllowsAnotherBackwardThatThenFreesIt() {
        Tensor w = Tensor.of(new float[] {1, 1, 1}, 3).requiresGrad(true), x = Tensor.of(new float[] {2, 2, 2}, 3);
        Tensor loss = w.mul(x).sum();
        loss.backward(true);
        loss.backward();
        assertArrayEquals(new float[] {4, 4, 4}, w.grad().toArray());
        assertThrows(IllegalStateException.class, loss::backward);
        Tensor out = w.mul(x);
        try (Tensor seed = Tensor.ones(3)) {
            out.backward(seed, true);
            out.backward(seed);
        }
        assertArrayEquals(new float[] {8, 8, 8}, w.grad().toArray());
    }

    @Test
    void aBackwardReleasesTheTensorsTheGraphHeld() throws InterruptedException {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor[] out = new Tensor[1];
        java.lang.ref.WeakReference<Tensor> held = lossHoldingATemporary(w, out);
        out[0].backward();
        for (int i = 0; i < 100 && held.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(held.get(), "the temporary that only the graph referenced became unreachable");
        assertArrayEquals(new float[] {3, 3}, w.grad().toArray());
    }

    /** loss = sum(w * t) for a temporary t that nothing but the graph references; returns a weak reference to t. */
    private static java.lang.ref.WeakReference<Tensor> lossHoldingATemporary(Tensor w, Tensor[] loss) {
        Tensor t = Tensor.of(new float[] {3, 3}, 2);
        loss[0] = w.mul(t).sum();
        return new java.lang.ref.WeakReference<>(t);
    }

    // ---- op names as the user called them -------------------------------------------------------

    @Test
    void opsAreNamedAsTheUserCalledThem() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        assertEquals("mul", x.mul(2f).gradFn());
        assertEquals("add", x.add(1f).gradFn());
        assertEquals("sub", x.sub(1f).gradFn());
        assertEquals("rsub", x.rsub(1f).gradFn());
        assertEquals("copy", x.copy().gradFn());
        assertEquals("rdiv", x.rdiv(1f).gradFn());
        assertEquals("maximum", x.maximum(0f).gradFn());
        assertEquals("mean", x.mean().gradFn());
        assertEquals("var", x.var(0).gradFn());
        assertEquals("std", x.std(0).gradFn());
        assertEquals("mse", dev.cortado.nn.Losses.mse(x, Tensor.zeros(2, 2)).gradFn());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(2f).requiresGrad(false));
        assertTrue(e.getMessage().contains("made by mul"), e.getMessage());
        Tensor closed = Tensor.ones(2);
        closed.close();
        IllegalStateException c = assertThrows(IllegalStateException.class, () -> closed.mul(2f));
        assertTrue(c.getMessage().startsWith("mul:"), c.getMessage());
        c = assertThrows(IllegalStateException.class, () -> closed.sub(2f));
        assertTrue(c.getMessage().startsWith("sub:"), c.getMessage());
        c = assertThrows(IllegalStateException.class, () -> closed.rdiv(2f));
        assertTrue(c.getMessage().startsWith("rdiv:"), c.getMessage());
    }
}
