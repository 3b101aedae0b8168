package dev.cortado.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The cosine and warm-up schedules against values computed by hand. */
class LearningRateScheduleTest {

    @Test
    void cosineFallsFromBaseToMinOverThePeriod() {
        LearningRate c = LearningRate.cosine(0.1, 0.02, 100);
        assertEquals(0.1, c.at(0), 1e-15);
        assertEquals(0.06, c.at(50), 1e-15);                                         // halfway: the mean
        assertEquals(0.02 + 0.08 * (1 + Math.cos(Math.PI / 4)) / 2, c.at(25), 1e-15);
        assertEquals(0.02, c.at(100), 1e-15);
        assertEquals(0.02, c.at(1000), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LearningRate.cosine(0.1, 0, 0));
    }

    @Test
    void warmupRisesLinearlyThenHandsOver() {
        LearningRate w = LearningRate.warmup(4, LearningRate.step(0.2, 0.5, 10));
        assertEquals(0.05, w.at(0), 1e-15);
        assertEquals(0.1, w.at(1), 1e-15);
        assertEquals(0.2, w.at(3), 1e-15);
        assertEquals(0.2, w.at(4), 1e-15);  // the step schedule's iteration 0
        assertEquals(0.1, w.at(14), 1e-15); // its iteration 10
        assertThrows(IllegalArgumentException.class, () -> LearningRate.warmup(0, LearningRate.fixed(1)));
        assertThrows(IllegalArgumentException.class, () -> LearningRate.warmup(3, null));
    }
}
