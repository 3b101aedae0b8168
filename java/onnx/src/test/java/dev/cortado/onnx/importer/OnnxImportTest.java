package dev.cortado.onnx.importer;

import dev.cortado.memory.Device;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed models of make_test_models.py run in Cortado and in ONNX Runtime Java on the same
 * random inputs: every output within 1e-4 · (1 + |expected|), on the cpu and on the sim device.
 */
class OnnxImportTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"tiny_cnn", "tiny_mlp", "tiny_transformer", "op_zoo", "conv_bn_autopad"})
    void matchesOnnxRuntimeOnCpu(String name) throws Exception {
        for (long seed = 1; seed <= 2; seed++) {
            double worst = OrtReference.compare(OrtReference.model(name), Device.CPU, seed, 0);
            assertTrue(worst <= TOLERANCE, name + " (seed " + seed + "): max |diff| / (1 + |expected|) = " + worst);
            System.out.printf("%s seed %d: max |diff| / (1 + |expected|) vs ONNX Runtime = %.2e%n", name, seed, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_cnn", "tiny_transformer", "op_zoo"})
    void matchesOnnxRuntimeOnTheSimDevice(String name) throws Exception {
        double worst = OrtReference.compare(OrtReference.model(name), Device.SIM, 3, 0);
        assertTrue(worst <= TOLERANCE, name + " on sim: max |diff| / (1 + |expected|) = " + worst);
        System.out.printf("%s on sim: max |diff| / (1 + |expected|) vs ONNX Runtime = %.2e%n", name, worst);
    }

    @Test
    void batchNormAfterConvIsFoldedAndTheOtherRuns() throws Exception {
        try (OnnxModel m = OnnxModel.load(OrtReference.model("conv_bn_autopad"))) {
            assertEquals(List.of("FusedConv", "BatchNormalization", "MaxPool", "AveragePool"), m.runtimeOpTypes()); // Conv + Relu: ConvFusion
            // the folded BatchNorm's parameters are gone; the Conv's weights and bias carry them; the other's statistics are buffers
            assertEquals(List.of("w", "b", "g2", "beta2"), List.copyOf(m.parameters().keySet()));
        }
    }

    @Test
    void torchsGeluSubgraphsBecomeOneGeluEachInTheirLinearLayersTail() throws Exception {
        // each Gemm + GELU subgraph: one Gelu (GeluFusion), then one Linear node with GELU in the GEMM's tail (LinearFusion,
        // which fuses Gelu nodes only); the last Gemm has no activation and stays
        try (OnnxModel m = OnnxModel.load(OrtReference.model("tiny_mlp"))) {
            assertEquals(List.of("Linear", "Linear", "LayerNormalization", "Gemm", "Softmax"), m.runtimeOpTypes());
        }
    }

    @Test
    void erfOnItsOwnMatchesOnnxRuntime(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // x in [-1, 1] times 3: erf over [-3, 3], by its composite of Cortado's ops (no GELU around it to fuse)
        var m = Graphs.model(17, List.of(Graphs.node("Mul", "scale", List.of("x", "three"), List.of("s")),
                        Graphs.node("Erf", "erf", List.of("s"), List.of("y"))),
                List.of(Graphs.floatInfo("x", 4, 64)), List.of(Graphs.floatInfo("y")),
                List.of(dev.cortado.onnx.proto.Onnx.TensorProto.newBuilder().setName("three").setDataType(Value.FLOAT).addFloatData(3f).build()));
        java.nio.file.Path file = Graphs.write(dir, "erf", m);
        try (OnnxModel model = OnnxModel.load(file)) {
            assertEquals(List.of("Mul", "Erf"), model.runtimeOpTypes());
        }
        double worst = OrtReference.compare(file, Device.CPU, 7, 0);
        assertTrue(worst <= 1e-6, "erf: " + worst);
    }

    @Test
    void shapeArithmeticIsFoldedAtLoad() throws Exception {
        try (OnnxModel m = OnnxModel.load(OrtReference.model("tiny_transformer"))) {
            List<String> ops = m.runtimeOpTypes();
            assertFalse(ops.contains("Shape") || ops.contains("Constant"), "plan: " + ops);
            assertTrue(ops.contains(LinearFusion.OP) && ops.contains(SelfAttentionFusion.OP) && !ops.contains("Softmax") && !ops.contains("Slice")
                    && !ops.contains("Transpose") && !ops.contains("Gemm") && !ops.contains("Add"), "plan: " + ops);
        }
        try (OnnxModel m = OnnxModel.load(OrtReference.model("op_zoo"))) {
            List<String> ops = m.runtimeOpTypes();
            assertFalse(ops.contains("Shape") || ops.contains("Constant") || ops.contains("Concat") && ops.indexOf("Concat") < ops.indexOf("Reshape"),
                    "plan: " + ops);
        }
    }

    @Test
    void severalOutputsComeBackByNameInTheModelsOrder() throws Exception {
        try (OnnxModel m = OnnxModel.load(OrtReference.model("op_zoo"))) {
            assertEquals(List.of("y", "p", "s"), m.outputNames());
            Tensor x = Tensor.uniform(new dev.cortado.tensor.Rng(6), -1, 1, m.inputShape("x"));
            java.util.Map<String, Tensor> out = m.run(java.util.Map.of("x", x));
            assertEquals(List.of("y", "p", "s"), List.copyOf(out.keySet()));
            float[] p = out.get("p").toArray();
            assertEquals(48, p.length);
            float rowSum = 0;
            for (int i = 0; i < 24; i++) rowSum += p[i];
            assertEquals(1f, rowSum, 1e-5f, "a softmax row");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.run(x));
            assertTrue(e.getMessage().contains("one input and one output"), e.getMessage());
            IllegalArgumentException shape = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.run(java.util.Map.of("x", Tensor.zeros(1, 3, 4, 5))));
            assertTrue(shape.getMessage().contains("[2, 3, 4, 5]"), shape.getMessage());
            // was: a misspelt name was reported only as the real input missing
            IllegalArgumentException name = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.run(java.util.Map.of("input", x)));
            assertTrue(name.getMessage().contains("no input 'input'") && name.getMessage().contains("[x]"), name.getMessage());
        }
    }

    @Test
    void inferenceFreesItsIntermediatesAsItGoes() throws Exception {
        // on sim (a device of its own): after a run without gradients, only the output stays allocated
        try (OnnxModel m = OnnxModel.load(OrtReference.model("tiny_transformer"), Device.SIM);
             Tensor x = Tensor.uniform(Device.SIM, new dev.cortado.tensor.Rng(8), -1, 1, m.inputShape("x"));
             dev.cortado.autograd.GradMode off = dev.cortado.autograd.GradMode.off()) {
            long before = dev.cortado.memory.Memory.stats(Device.SIM).inUse();
            for (int i = 0; i < 3; i++) {
                try (Tensor y = m.run(x)) {
                    long held = dev.cortado.memory.Memory.stats(Device.SIM).inUse() - before;
                    assertTrue(held <= 2 * 4 * y.numel() + 4096, "after run " + i + ": " + held + " bytes held beyond the output's "
                            + 4 * y.numel());
                }
            }
            assertTrue(dev.cortado.memory.Memory.stats(Device.SIM).inUse() - before <= 4096, "all freed after the output is closed");
        }
    }

    @Test
    void closeFreesEverythingTheModelHolds() throws Exception {
        // on a sim device of its own: constants, parameters and the convolutions' prepared filters
        Device sim = Device.sim(12);
        OnnxModel m = OnnxModel.load(OrtReference.model("tiny_cnn"), sim);
        try (Tensor x = Tensor.uniform(sim, new dev.cortado.tensor.Rng(8), -1, 1, m.inputShape("x"))) {
            m.run(x).close();
        }
        assertTrue(dev.cortado.memory.Memory.stats(sim).inUse() > 0);
        m.close();
        assertEquals(0, dev.cortado.memory.Memory.stats(sim).inUse(), "bytes left after close");
    }

    @Test
    void singleInputConvenienceAndRepeatedRunsAgree() throws Exception {
        try (OnnxModel m = OnnxModel.load(OrtReference.model("tiny_cnn"))) {
            assertEquals(List.of("x"), m.inputNames());
            assertEquals(List.of("y"), m.outputNames());
            Tensor x = Tensor.uniform(new dev.cortado.tensor.Rng(5), -1, 1, m.inputShape("x"));
            float[] a = m.run(x).toArray(), b = m.run(x).toArray();
            assertEquals(10, a.length);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 0f);
            assertEquals(x.shape().length, 4, "the input is left as it was");
        }
    }
}
