package dev.cortado.onnx.export;

import static dev.cortado.api.NetLayer.batchNormalization;
import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.elementwise;
import static dev.cortado.api.NetLayer.embedding;
import static dev.cortado.api.NetLayer.flatten;
import static dev.cortado.api.NetLayer.globalAveragePooling;
import static dev.cortado.api.NetLayer.layerNormalization;
import static dev.cortado.api.NetLayer.lstm;
import static dev.cortado.api.NetLayer.pooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.residual;
import static dev.cortado.api.NetLayer.selfAttention;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;
import static dev.cortado.onnx.export.OrtReference.check;
import static dev.cortado.onnx.export.OrtReference.ids;
import static dev.cortado.onnx.export.OrtReference.uniform;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.autograd.GradMode;
import dev.cortado.nn.BatchNorm;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Each layer kind alone (as a chain, or as a module where a module has settings a chain does not use), against ONNX Runtime. */
class LayerExportTest {

    private static NetChain chain(int[] in, Object... layers) {
        return NetChain.of(layers).initialize(3, in);
    }

    /** Moves BatchNorm's running statistics away from 0 and 1: a few train-mode forwards on shifted, scaled inputs. */
    static void warmStatistics(Module m, int[] sampleShape, IntFunction<float[]> inputs) {
        m.train();
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = 8;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        for (int round = 0; round < 5; round++) {
            float[] x = inputs.apply((int) Shape.numel(shape));
            for (int i = 0; i < x.length; i++) x[i] = 3 * x[i] + 0.5f;
            try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
                m.forward(Tensor.of(x, shape));
            }
        }
        m.eval();
    }

    @Test
    void linear() {
        check(chain(new int[] {7}, 5));
        check(chain(new int[] {2, 3, 2}, 4)); // a linear layer flattens its input
        check(new Layers.Linear(6, 4, Layers.Neuron.RELU, new Rng(1)), new int[] {6}, uniform(1));
    }

    @Test
    void convolution_with_and_without_bias_padding_and_strides() {
        check(chain(new int[] {2, 6, 5}, convolution(3, 3)));
        check(chain(new int[] {2, 7, 7}, convolution(4, 3, 2, 1, false)));
        check(chain(new int[] {3, 9, 8}, convolution(2, 5, 3, 2)));
        check(new Layers.Conv2d(2, 3, 3, 2, 1, Layers.Neuron.TANH, dev.cortado.nn.Initializer.xavier(),
                dev.cortado.nn.Initializer.uniform(-0.5f, 0.5f), new Rng(2)), new int[] {2, 6, 6}, uniform(2));
    }

    @Test
    void max_and_average_pooling() {
        check(chain(new int[] {2, 6, 6}, pooling(2, 2)));
        check(chain(new int[] {2, 7, 7}, pooling(3, 2)));
        check(new Layers.MaxPool2d(3, 2, 1), new int[] {2, 7, 7}, uniform(3));
        check(new Layers.AvgPool2d(3, 2, 1), new int[] {2, 7, 7}, uniform(4));
        check(new Layers.AvgPool2d(2, 2, 0), new int[] {1, 4, 6}, uniform(5));
    }

    @Test
    void elementwise_functions() {
        check(chain(new int[] {3, 4}, ramp()));
        check(chain(new int[] {5}, elementwise(NetLayer.Function.TANH)));
        check(chain(new int[] {2, 2, 3}, elementwise(NetLayer.Function.LOGISTIC_SIGMOID)));
        check(new Layers.Linear(4, 3, Layers.Neuron.SIGMOID, new Rng(4)), new int[] {4}, uniform(6));
    }

    @Test
    void softmax_and_flatten() {
        check(chain(new int[] {6}, softmax()));
        check(chain(new int[] {2, 3, 4}, flatten()));
        check(chain(new int[] {2, 3, 4}, flatten(), softmax()));
    }

    @Test
    void batch_normalization_uses_the_running_statistics() {
        NetChain image = chain(new int[] {3, 4, 4}, batchNormalization());
        warmStatistics(image.module(), image.inputShape(), uniform(8));
        check(image);
        NetChain vector = chain(new int[] {5}, batchNormalization());
        warmStatistics(vector.module(), vector.inputShape(), uniform(9));
        check(vector);
        BatchNorm plain = BatchNorm.of2d(2, 1e-3f, 0.3f, false, true);   // no scale or shift: the export supplies ones and zeros
        warmStatistics(plain, new int[] {2, 3, 3}, uniform(10));
        check(plain, new int[] {2, 3, 3}, uniform(11));
    }

    @Test
    void layer_normalization() {
        check(chain(new int[] {5, 8}, layerNormalization()));
        check(chain(new int[] {6}, 6, layerNormalization()));
        check(new LayerNorm(new int[] {3, 4}, 1e-3f, true, false), new int[] {2, 3, 4}, uniform(12));
        check(new LayerNorm(new int[] {4}, 1e-5f, false, false), new int[] {4}, uniform(13));
    }

    @Test
    void dropout_is_the_identity() {
        check(new Layers.Sequential(new Layers.Linear(5, 4, Layers.Neuron.IDENTITY, new Rng(5)), new Layers.Dropout(0.5f, new Rng(6))),
                new int[] {5}, uniform(14));
    }

    @Test
    void residual_with_identity_and_projection_shortcuts() {
        check(chain(new int[] {2, 5, 5}, residual(convolution(2, 3, 1, 1), ramp())));
        NetChain projected = chain(new int[] {2, 6, 6}, NetLayer.residual(
                new NetLayer[] {convolution(4, 3, 2, 1, false), batchNormalization(), ramp()},
                new NetLayer[] {convolution(4, 1, 2, 0, false), batchNormalization()}));
        warmStatistics(projected.module(), projected.inputShape(), uniform(15));
        check(projected);
    }

    @Test
    void global_average_pooling() {
        check(chain(new int[] {3, 5, 4}, globalAveragePooling()));
    }

    @Test
    void embedding_gathers_rows_by_id() {
        check(chain(new int[] {6}, embedding(8, 20)), ids(16, 20));
    }

    @Test
    void lstm_with_pytorch_gate_order() {
        check(chain(new int[] {5, 3}, lstm(6)));
        check(chain(new int[] {4, 2}, lstm(3), sequenceLast()));
    }

    @Test
    void self_attention() {
        check(chain(new int[] {5, 8}, selfAttention(2, false)));
        check(chain(new int[] {6, 12}, selfAttention(3, true)));
    }
}
