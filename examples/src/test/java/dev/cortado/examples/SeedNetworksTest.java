package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The seed's first two networks converge, and hand-written backprop equals autograd. */
class SeedNetworksTest {

    private static void assertConverged(float[] target, float[] output, String what) {
        assertEquals(target.length, output.length);
        for (int i = 0; i < target.length; i++) {
            assertTrue(Math.abs(output[i] - target[i]) < 0.05,
                    what + ": row " + i + " output " + output[i] + " is not within 0.05 of " + target[i]);
        }
    }

    @Test
    void perceptronLearnsTheFirstInput() {
        Perceptron.Result r = Perceptron.train(1, 10_000);
        assertConverged(Perceptron.Y, r.output(), "perceptron");
        assertTrue(r.weights()[0] > 5, "the first input's weight dominates: " + r.weights()[0]);
    }

    @Test
    void perceptronBarelyMovesWithoutTraining() {
        // guards against a test that passes for any output: untrained, the rows do not converge
        float[] out = Perceptron.train(1, 0).output();
        boolean anyFar = false;
        for (int i = 0; i < 4; i++) anyFar |= Math.abs(out[i] - Perceptron.Y[i]) >= 0.05;
        assertTrue(anyFar);
    }

    @Test
    void twoLayerNetLearnsBothTargetsAndMatchesAutograd() {
        for (float[] target : new float[][] {TwoLayerNet.FIRST_INPUT, TwoLayerNet.XOR}) {
            TwoLayerNet.Result hand = TwoLayerNet.trainByHand(1, 10_000, target);
            TwoLayerNet.Result auto = TwoLayerNet.trainWithAutograd(1, 10_000, target);
            String name = target == TwoLayerNet.XOR ? "XOR" : "first input";
            assertConverged(target, hand.output(), "hand-written, " + name);
            assertConverged(target, auto.output(), "autograd, " + name);
            assertArrayEquals(hand.w1(), auto.w1(), 1e-4f, "w1, " + name);
            assertArrayEquals(hand.w2(), auto.w2(), 1e-4f, "w2, " + name);
            assertArrayEquals(hand.output(), auto.output(), 1e-5f, "output, " + name);
        }
    }

    @Test
    void sameSeedSameWeights() {
        assertArrayEquals(TwoLayerNet.trainByHand(7, 50, TwoLayerNet.XOR).w1(), TwoLayerNet.trainByHand(7, 50, TwoLayerNet.XOR).w1());
    }
}
