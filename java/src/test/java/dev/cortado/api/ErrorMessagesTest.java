package dev.cortado.api;

import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.Dataset;
import dev.cortado.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The messages issue 20 found wanting: each names the dataset row, the real state or what to change. */
class ErrorMessagesTest {

    private static Dataset points(int n, int classes) {
        float[] x = new float[2 * n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i % classes;
            x[2 * i + 1] = (i * 7) % 5;
            y[i] = i % classes;
        }
        return new Dataset(x, new int[] {2}, y);
    }

    @Test
    void aBadLabelIsNamedByItsDatasetRowNotItsPlaceInTheBatch() {
        Dataset data = points(64, 3);
        data.labels()[59] = 7;
        try (NetChain net = NetChain.of(3, softmax())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetTrain.train(net, data, NetTrain.options()));
            assertTrue(e.getMessage().contains("dataset row 59 is 7.0"), e.getMessage());
        }
    }

    @Test
    void aClosedChainSaysItWasClosed() {
        NetChain net = NetChain.of(3, softmax()).initialize(2);
        net.close();
        for (Runnable use : new Runnable[] {net::outputShape, () -> net.apply(new double[] {1, 2}), () -> net.apply(Tensor.of(new float[] {1, 2}, 2)),
                () -> NetTrain.train(net, points(9, 3), NetTrain.options()), () -> net.initialize(2)}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
            assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        }
        assertTrue(net.isClosed());
        net.close(); // twice: nothing
    }

    @Test
    void anEmptyValidationSetIsNamed() {
        Dataset empty = new Dataset(new float[0], new int[] {2}, new float[0]);
        try (NetChain net = NetChain.of(3, softmax())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetTrain.train(net, points(9, 3), NetTrain.options().validationSet(empty)));
            assertTrue(e.getMessage().contains("the validation set is empty"), e.getMessage());
        }
    }

    @Test
    void predictRefusesATargetBeyondFloatNamingTheExample() {
        List<Example<Double>> examples = new ArrayList<>();
        for (int i = 0; i < 10; i++) examples.add(new Example<>(new double[] {i}, i == 6 ? 1e300 : (double) i));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predict.train(examples));
        assertTrue(e.getMessage().startsWith("Predict: the target of example 6 is 1.0E300, beyond the float range"), e.getMessage());
        examples.set(6, new Example<>(new double[] {-1e300}, 6.0));
        e = assertThrows(IllegalArgumentException.class, () -> Predict.train(examples));
        assertTrue(e.getMessage().startsWith("Predict: feature 0 of example 6 is -1.0E300, beyond the float range"), e.getMessage());
    }

    @Test
    void annClassifierRefusesAMillionClassesUpFront() {
        int n = 1_000_000;
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {i % 7};
            y[i] = i;
        }
        try (AnnClassifier ann = new AnnClassifier(20)) {
            IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(IllegalArgumentException.class, () -> ann.fit(x, y)));
            assertTrue(e.getMessage().startsWith("AnnClassifier.fit: 1000000 rows x 1 features x 1000000 classes with 20 hidden units and 5 epochs"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("too many classes: 1000000 distinct labels for 1000000 rows"), e.getMessage());
        }
    }

    @Test
    void classifySaysThereAreTooManyClasses() {
        List<Example<Integer>> examples = new ArrayList<>();
        for (int i = 0; i < 1_000_000; i++) examples.add(new Example<>(new double[] {i % 7}, i));
        IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IllegalArgumentException.class, () -> Classify.train(examples)));
        assertTrue(e.getMessage().startsWith("Classify: too many classes: 1000000 distinct labels among 1000000 examples"), e.getMessage());
        assertTrue(e.getMessage().contains("Group the labels into fewer classes"), e.getMessage());
    }
}
