package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.autograd.GradCheck;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class ResidualTest extends PerBackend {

    static final class JavaTest extends ResidualTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends ResidualTest {
        CpuTest() {
            super("cpu");
        }
    }

    ResidualTest(String backend) {
        super(backend);
    }

    @Test
    void identityShortcutAddsTheInput() {
        Rng rng = new Rng(1);
        Layers.Linear lin = new Layers.Linear(3, 3, Layers.Neuron.TANH, rng);
        Residual res = new Residual(lin);
        assertEquals(List.of("branch.weight", "branch.bias"), List.copyOf(res.namedParameters().keySet()));
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 3).requiresGrad(true);
        float[] want = lin.forward(x).toArray(), xa = x.toArray(), got = res.forward(x).toArray();
        for (int i = 0; i < 6; i++) assertEquals(want[i] + xa[i], got[i], 1e-6f);
        GradCheck.Result r = new GradCheck().check(in -> res.forward(x), x, lin.weight, lin.bias);
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void projectionShortcutForAStridedBranch() {
        Rng rng = new Rng(2);
        // a ResNet downsampling block in small: branch 3x3 stride 2 pad 1, shortcut 1x1 stride 2
        Layers.Conv2d branch = new Layers.Conv2d(2, 4, 3, 2, 1, Layers.Neuron.RELU, Initializer.xavier(), Initializer.constant(0.1f), rng);
        Layers.Conv2d proj = new Layers.Conv2d(2, 4, 1, 2, 0, Layers.Neuron.IDENTITY, Initializer.xavier(), Initializer.constant(0f), rng);
        Residual res = new Residual(branch, proj);
        assertEquals(List.of("branch.weight", "branch.bias", "shortcut.weight", "shortcut.bias"), List.copyOf(res.namedParameters().keySet()));
        Tensor x = Tensor.uniform(rng, -1, 1, 1, 2, 5, 5).requiresGrad(true);
        Tensor y = res.forward(x);
        assertArrayEquals(new int[] {1, 4, 3, 3}, y.shape());
        float[] b = branch.forward(x).toArray(), s = proj.forward(x).toArray(), got = y.toArray();
        for (int i = 0; i < got.length; i++) assertEquals(b[i] + s[i], got[i], 1e-6f);
        GradCheck.Result r = new GradCheck().check(in -> res.forward(x), x, branch.weight, proj.weight, proj.bias);
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void mismatchedShapesAreNamed() {
        Residual res = new Residual(new Layers.Linear(3, 2, Layers.Neuron.IDENTITY, new Rng(3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> res.forward(Tensor.zeros(4, 3)));
        assertTrue(e.getMessage().contains("[4, 2]") && e.getMessage().contains("[4, 3]") && e.getMessage().contains("projection"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Residual(null));
    }
}
