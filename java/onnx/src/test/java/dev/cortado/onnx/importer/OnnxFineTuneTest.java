package dev.cortado.onnx.importer;

import dev.cortado.autograd.GradCheck;
import dev.cortado.nn.Losses;
import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.cortado.onnx.importer.Graphs.floatInfo;
import static dev.cortado.onnx.importer.Graphs.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An imported graph's initializers as trainable parameters: gradients against central differences, and SGD lowering a loss. */
class OnnxFineTuneTest {

    @TempDir
    Path dir;

    /** x [2, 2, 5, 5] -> Conv 3x3 (pad 1) -> BatchNorm (folded) -> Tanh -> Flatten -> Gemm (transB) -> LayerNorm -> Softmax. */
    private Path tinyGraph() throws Exception {
        Rng rng = new Rng(9);
        ModelProto m = Graphs.model(17, List.of(
                        node("Conv", "conv", List.of("x", "cw", "cb"), List.of("c"), Graphs.ints("pads", 1, 1, 1, 1)),
                        node("BatchNormalization", "bn", List.of("c", "g", "beta", "mean", "var"), List.of("n")),
                        node("Tanh", "tanh", List.of("n"), List.of("t")),
                        node("Flatten", "flat", List.of("t"), List.of("f")),
                        node("Gemm", "fc", List.of("f", "fw", "fb"), List.of("z"), Graphs.integer("transB", 1)),
                        node("LayerNormalization", "ln", List.of("z", "lg", "lb"), List.of("l")),
                        node("Softmax", "sm", List.of("l"), List.of("y"))),
                List.of(floatInfo("x", 2, 2, 5, 5)), List.of(floatInfo("y")),
                List.of(Graphs.randomFloats("cw", rng, 0.4f, 3, 2, 3, 3), Graphs.randomFloats("cb", rng, 0.2f, 3),
                        Graphs.randomFloats("g", rng, 1f, 3), Graphs.randomFloats("beta", rng, 0.3f, 3),
                        Graphs.randomFloats("mean", rng, 0.3f, 3), Graphs.randomFloats("var", rng, 0.2f, 3).toBuilder()
                                .clearFloatData().addAllFloatData(List.of(0.8f, 1.1f, 1.4f)).build(),
                        Graphs.randomFloats("fw", rng, 0.2f, 4, 75), Graphs.randomFloats("fb", rng, 0.2f, 4),
                        Graphs.randomFloats("lg", rng, 1f, 4), Graphs.randomFloats("lb", rng, 0.3f, 4)));
        return Graphs.write(dir, "tiny_trainable", m);
    }

    @Test
    void gradientsMatchCentralDifferences() throws Exception {
        try (OnnxModel model = OnnxModel.load(tinyGraph())) {
            assertEquals(List.of("cw", "cb", "fw", "fb", "lg", "lb"), List.copyOf(model.parameters().keySet()));
            model.requiresGrad(true);
            Tensor x = Tensor.uniform(new Rng(4), -1, 1, 2, 2, 5, 5);
            Tensor[] params = model.parameters().values().toArray(new Tensor[0]);
            GradCheck.Result r = new GradCheck(1e-2, 1e-3, 2e-2, 60).check(ignored -> model.run(x), params);
            assertTrue(r.ok(), r.toString());
            assertTrue(r.checked() > 100, r.toString());
        }
    }

    @Test
    void scalarsMasksAndStatisticsAreNotParameters() throws Exception {
        // y = Clip(x · w + mask, 0, six) with w [4, 4], a -inf mask, six a scalar initializer
        float inf = Float.NEGATIVE_INFINITY;
        var mask = Graphs.randomFloats("mask", new Rng(2), 0f, 4, 4).toBuilder().clearFloatData()
                .addAllFloatData(List.of(0f, inf, inf, inf, 0f, 0f, inf, inf, 0f, 0f, 0f, inf, 0f, 0f, 0f, 0f)).build();
        var six = dev.cortado.onnx.proto.Onnx.TensorProto.newBuilder().setName("six").setDataType(Value.FLOAT).addFloatData(6f).build();
        var zero = dev.cortado.onnx.proto.Onnx.TensorProto.newBuilder().setName("zero").setDataType(Value.FLOAT).addFloatData(0f).build();
        ModelProto m = Graphs.model(17, List.of(node("MatMul", "mm", List.of("x", "w"), List.of("h")),
                        node("Add", "masked", List.of("h", "mask"), List.of("a")),
                        node("Clip", "relu6", List.of("a", "zero", "six"), List.of("y"))),
                List.of(floatInfo("x", 4, 4)), List.of(floatInfo("y")),
                List.of(Graphs.randomFloats("w", new Rng(3), 1f, 4, 4), mask, six, zero));
        try (OnnxModel model = OnnxModel.load(Graphs.write(dir, "masked", m))) {
            assertEquals(List.of("w"), List.copyOf(model.parameters().keySet()));
            float[] y = model.run(Tensor.uniform(new Rng(5), -1, 1, 4, 4)).toArray();
            assertEquals(0f, y[1], 0f, "masked: clipped to 0");
            for (float v : y) assertTrue(v >= 0 && v <= 6, "clipped: " + v);
        }
    }

    @Test
    void sgdStepsLowerTheLossOfAnImportedMlp() throws Exception {
        try (OnnxModel model = OnnxModel.load(OrtReference.model("tiny_mlp"))) {
            model.requiresGrad(true);
            assertEquals(8, model.parameters().size(), "3 Gemm weights and biases, the LayerNorm's scale and bias");
            Rng rng = new Rng(11);
            Tensor x = Tensor.uniform(rng, -1, 1, 4, 10);
            Tensor target = Tensor.of(new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, 4, 4);
            List<Float> losses = new ArrayList<>();
            try (Sgd sgd = new Sgd(List.copyOf(model.parameters().values()), LearningRate.fixed(0.5), Momentum.fixed(0.9), 0f, false)) {
                for (int step = 0; step < 8; step++) {
                    try (MemoryScope s = MemoryScope.open()) {
                        sgd.zeroGrad();
                        Tensor loss = Losses.mse(model.run(x), target);
                        losses.add(loss.item());
                        loss.backward();
                        sgd.step();
                    }
                }
            }
            for (float l : losses) assertTrue(Float.isFinite(l), losses.toString());
            assertTrue(losses.get(losses.size() - 1) < 0.8f * losses.get(0), "losses " + losses);
        }
    }
}
