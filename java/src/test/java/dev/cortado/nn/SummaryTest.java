package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.tensor.Rng;
import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void leNetSummaryListsLayersShapesAndParameters() {
        try (Module net = LeNet.create(new Rng(1))) {
            assertEquals(String.join("\n",
                    "Layer (type)   Output shape      Params",
                    "---------------------------------------",
                    "input          [1, 1, 28, 28]",
                    "0 (Conv2d)     [1, 20, 24, 24]      520",
                    "1 (MaxPool2d)  [1, 20, 12, 12]        0",
                    "2 (Conv2d)     [1, 50, 8, 8]     25,050",
                    "3 (MaxPool2d)  [1, 50, 4, 4]          0",
                    "4 (Flatten)    [1, 800]               0",
                    "5 (Linear)     [1, 500]         400,500",
                    "6 (Linear)     [1, 10]            5,010",
                    "Total parameters: 431,080", ""), net.summary(1, 1, 28, 28));
            assertEquals(431_080, net.parameterCount());
        }
    }

    @Test
    void nestedLayersGetDottedNamesAndWithoutAShapeOnlyParameters() {
        Rng rng = new Rng(2);
        try (Module net = new Layers.Sequential(new Layers.Sequential(new Layers.Linear(4, 3, Neuron.RELU, rng), Layers.tanh()),
                new Layers.Dropout(0.5f, rng), new Layers.Linear(3, 2, Neuron.IDENTITY, rng))) {
            String s = net.summary(5, 4);
            assertTrue(s.contains("\n0.0 (Linear)  [5, 3]            15\n0.1 (Tanh)    [5, 3]             0\n"
                    + "1 (Dropout)   [5, 3]             0\n2 (Linear)    [5, 2]             8\n"), s);
            assertTrue(s.endsWith("Total parameters: 23\n"), s);
            assertTrue(net.isTraining(), "the training mode is restored");
            String listed = net.summary();
            assertTrue(listed.contains("\ninput         -\n0.0 (Linear)  -                 15\n"), listed);
            assertEquals(23, net.parameterCount());
        }
    }

    @Test
    void summaryFreesItsForwardAndNamesALayerThatRefusesItsInput() {
        try (Module net = LeNet.create(new Rng(3))) {
            long before = Memory.allocator(Device.CPU).stats().inUse();
            net.summary(2, 1, 28, 28);
            long after = Memory.allocator(Device.CPU).stats().inUse();
            assertTrue(after <= before, "the forward's tensors are freed: " + before + " bytes in use before, " + after + " after");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.summary(1, 1, 32, 32));
            assertTrue(e.getMessage().startsWith("summary: layer 5 (Linear) cannot take input [1, 1250]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.summary(1, -1, 28, 28));
            assertFalse(net.summary(1, 1, 28, 28).isEmpty());
        }
    }
}
