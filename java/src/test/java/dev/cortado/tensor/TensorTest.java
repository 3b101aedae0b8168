package dev.cortado.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.memory.Device;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void creation() {
        try (Tensor z = Tensor.zeros(2, 3); Tensor o = Tensor.ones(4); Tensor f = Tensor.full(2.5f, 2, 2)) {
            assertArrayEquals(new int[] {2, 3}, z.shape());
            assertEquals(6, z.numel());
            assertEquals(Device.CPU, z.device());
            assertArrayEquals(new float[6], z.toArray());
            assertArrayEquals(new float[] {1, 1, 1, 1}, o.toArray());
            assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f}, f.toArray());
        }
        Tensor m = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        assertArrayEquals(new int[] {2, 3}, m.shape());
        assertEquals(6f, m.get(1, 2));
        assertEquals(2f, m.get(0, 1));
        Tensor s = Tensor.scalar(3f);
        assertEquals(0, s.dim());
        assertEquals(3f, s.item());
    }

    @Test
    void randomTensorsAreReproducibleAndInRange() {
        float[] a = Tensor.uniform(new Rng(1), -1, 1, 1000).toArray();
        float[] b = Tensor.uniform(new Rng(1), -1, 1, 1000).toArray();
        float[] c = Tensor.uniform(new Rng(2), -1, 1, 1000).toArray();
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
        double mean = 0;
        for (float v : a) {
            assertTrue(v >= -1 && v < 1, "uniform value " + v + " out of [-1, 1)");
            mean += v / a.length;
        }
        assertEquals(0, mean, 0.1);
        float[] n = Tensor.normal(new Rng(3), 5f, 2f, 20000).toArray();
        double m = 0, var = 0;
        for (float v : n) m += v / n.length;
        for (float v : n) var += (v - m) * (v - m) / n.length;
        assertEquals(5, m, 0.05);
        assertEquals(2, Math.sqrt(var), 0.05);
    }

    @Test
    void rngStateResumesSequence() {
        Rng r = new Rng(42);
        r.nextLong();
        Rng copy = new Rng(r.state());
        assertEquals(r.nextLong(), copy.nextLong());
        assertEquals(r.nextFloat(), copy.nextFloat());
    }

    @Test
    void reshapeIsAViewAndInfersMinusOne() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor v = t.reshape(3, -1);
        assertArrayEquals(new int[] {3, 2}, v.shape());
        v.set(60f, 2, 1);
        assertEquals(60f, t.get(1, 2), "a view writes through to the same storage");
        assertArrayEquals(new int[] {2, 3}, Tensor.zeros(2, 3, 1, 1).flatten().shape());
        t.close();
        assertEquals(60f, v.get(2, 1), "the view keeps the memory alive after the base closes");
        v.close();
    }

    @Test
    void setAndGetValidateIndices() {
        Tensor t = Tensor.zeros(2, 3);
        t.set(7f, 1, 0);
        assertArrayEquals(new float[] {0, 0, 0, 7, 0, 0}, t.toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.get(1));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void badInputsNameTheProblem() {
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(len.getMessage().contains("[2, 3] holds 6 values but data has 5"), len.getMessage());
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertTrue(neg.getMessage().contains("negative dimension"), neg.getMessage());
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(new float[][] {{1, 2}, {3}}));
        assertTrue(ragged.getMessage().contains("row 1 has 1 values"), ragged.getMessage());
        IllegalArgumentException reshape = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).reshape(4, -1));
        assertTrue(reshape.getMessage().contains("cannot reshape 6 elements to [4, -1]"), reshape.getMessage());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).item());
    }

    @Test
    void useAfterCloseThrows() {
        Tensor t = Tensor.ones(3);
        t.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.add(Tensor.ones(3)));
        assertThrows(IllegalStateException.class, () -> Tensor.ones(3).add(t));
        assertThrows(IllegalStateException.class, () -> t.reshape(3, 1));
        assertEquals("tensor(<closed>, shape=[3], cpu)", t.toString());
    }

    @Test
    void toStringIsReadable() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals("tensor([[1.0000, 2.0000, 3.0000],\n"
                   + "        [4.0000, 5.0000, 6.0000]], shape=[2, 3], cpu)", t.toString());
        assertEquals("tensor(2.5000, shape=[], cpu)", Tensor.scalar(2.5f).toString());
        String big = Tensor.zeros(2000).toString();
        assertTrue(big.contains("..."), "large tensors are summarised");
        assertTrue(big.length() < 200, big);
        assertNotEquals(-1, Tensor.zeros(2).requiresGrad(true).toString().indexOf("requires_grad"));
    }

    @Test
    void memoryScopeFreesWhatItOwnsAndKeepEscapes() {
        Tensor outside = Tensor.ones(2);
        Tensor inside, kept;
        try (MemoryScope scope = MemoryScope.open()) {
            inside = outside.add(outside);
            kept = outside.mul(outside).keep();
            assertEquals(1, scope.size());
        }
        assertTrue(inside.isClosed());
        assertFalse(kept.isClosed());
        assertFalse(outside.isClosed());
        kept.close();
    }

    @Test
    void nestedScopesCloseInnermostFirst() {
        MemoryScope outer = MemoryScope.open();
        MemoryScope inner = MemoryScope.open();
        Tensor t = Tensor.ones(1);
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        assertTrue(t.isClosed());
        outer.close();
    }

    @Test
    void inPlaceUpdates() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2);
        w.addInPlace(Tensor.of(new float[] {10, 20}, 2));
        w.axpyInPlace(-2f, Tensor.ones(2));
        assertArrayEquals(new float[] {9, 20}, w.toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.addInPlace(Tensor.ones(3)));
        assertTrue(e.getMessage().contains("[2] vs [3]"), e.getMessage());
        Tensor p = Tensor.ones(2).requiresGrad(true);
        assertThrows(IllegalStateException.class, () -> p.fill(0f));
        try (GradMode off = GradMode.off()) {
            p.fill(0f);
        }
        assertArrayEquals(new float[] {0, 0}, p.toArray());
    }

    // ---- PyTorch conveniences ------------------------------------------------------------------

    @Test
    void ofFloatsMakesAVector() {
        Tensor v = Tensor.of(1f, 2f, 3f);
        assertArrayEquals(new int[] {3}, v.shape());
        assertArrayEquals(new float[] {1, 2, 3}, v.toArray());
        Tensor fromArray = Tensor.of(new float[] {4, 5}); // an array without a shape is a vector too, not a 0-d tensor
        assertArrayEquals(new int[] {2}, fromArray.shape());
        assertArrayEquals(new int[] {1, 2}, Tensor.of(new float[] {4, 5}, 1, 2).shape()); // with a shape, as before
        assertArrayEquals(new int[] {0}, Tensor.of().shape());
        assertArrayEquals(new int[] {}, Tensor.scalar(3f).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of((float[]) null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void reductionsAlongAnAxisDropItWithoutAKeepdimFlag() {
        Tensor x = Tensor.of(new float[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertArrayEquals(new int[] {2}, x.sum(1).shape());
        assertArrayEquals(new float[] {9, 12}, x.sum(1).toArray());
        assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f}, x.mean(0).toArray());
        assertArrayEquals(new float[] {21}, x.sum(new int[] {0, 1}).reshape(1).toArray());
        assertArrayEquals(new int[] {}, x.mean(new int[] {0, 1}).shape());
        assertArrayEquals(new float[] {1, 2}, x.argmax(1).toArray());
        assertArrayEquals(new float[] {0, 1}, x.argmin(1).toArray());
        assertArrayEquals(new float[] {4.5f, 4.5f, 4.5f}, x.var(0).toArray(), 1e-6f);
        assertArrayEquals(new float[] {4, 4}, x.var(1).toArray(), 1e-6f);
        assertArrayEquals(new float[] {2, 2}, x.std(1).toArray(), 1e-6f);
        assertArrayEquals(new int[] {2}, x.logsumexp(1).shape());
        assertArrayEquals(x.sum(1, false).toArray(), x.sum(1).toArray());
    }

    @Test
    void maxAndMinAlongAnAxisGiveValuesAndIndices() {
        Tensor x = Tensor.of(new float[] {1, 5, 3, 6, 2, 6}, 2, 3).requiresGrad(true);
        try (ValuesIndices max = x.max(1); ValuesIndices min = x.min(0)) {
            assertArrayEquals(new float[] {5, 6}, max.values().toArray());
            assertArrayEquals(new float[] {1, 0}, max.indices().toArray()); // the first maximum, as PyTorch
            assertArrayEquals(new float[] {1, 2, 3}, min.values().toArray());
            assertArrayEquals(new float[] {0, 1, 0}, min.indices().toArray());
            assertEquals("max", max.values().gradFn());
            assertNull(max.indices().gradFn());
            max.values().sum().backward();
            assertArrayEquals(new float[] {0, 1, 0, 1, 0, 0}, x.grad().toArray());
        }
        assertArrayEquals(new float[] {5, 6}, x.max(1, false).toArray(), "today's methods stay");
        assertThrows(IllegalArgumentException.class, () -> x.max(2));
    }

    @Test
    void tAndMTTranspose() {
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {3, 2}, m.t().shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, m.t().toArray());
        assertArrayEquals(m.t().toArray(), m.mT().toArray());
        Tensor batch = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
        assertArrayEquals(new int[] {2, 2, 2}, batch.mT().shape());
        assertArrayEquals(new float[] {1, 3, 2, 4, 5, 7, 6, 8}, batch.mT().toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, batch::t);
        assertTrue(e.getMessage().contains("t: needs a 2-D tensor, got shape [2, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(1f, 2f).mT());
        assertTrue(e.getMessage().contains("mT: needs at least 2 dimensions"), e.getMessage());
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        assertEquals("t", w.t().gradFn());
        w.t().mul(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)).sum().backward();
        assertArrayEquals(new float[] {1, 3, 2, 4}, w.grad().toArray());
    }
}
