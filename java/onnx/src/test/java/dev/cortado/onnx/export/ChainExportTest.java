package dev.cortado.onnx.export;

import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.elementwise;
import static dev.cortado.api.NetLayer.embedding;
import static dev.cortado.api.NetLayer.flatten;
import static dev.cortado.api.NetLayer.layerNormalization;
import static dev.cortado.api.NetLayer.pooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.residual;
import static dev.cortado.api.NetLayer.selfAttention;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;
import static dev.cortado.onnx.export.OrtReference.check;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.api.NetModels;
import org.junit.jupiter.api.Test;

/** Whole networks exported and run by ONNX Runtime on batches of 1 and 3, against Cortado in eval mode. */
class ChainExportTest {

    @Test
    void lenet() {
        check(NetChain.of(convolution(6, 5), ramp(), pooling(2, 2), convolution(16, 5), ramp(), pooling(2, 2), flatten(),
                120, ramp(), 84, ramp(), 10, softmax()).initialize(1L, 1, 28, 28));
    }

    @Test
    void cifar_resnet_8() {
        NetChain resnet = NetModels.cifarResNet(8, 10).initialize(2L, 3, 16, 16);
        LayerExportTest.warmStatistics(resnet.module(), resnet.inputShape(), OrtReference.uniform(21));
        check(resnet);
    }

    @Test
    void mlp() {
        check(NetChain.of(32, ramp(), 16, elementwise(NetLayer.Function.TANH), 8, elementwise(NetLayer.Function.LOGISTIC_SIGMOID), 3, softmax())
                .initialize(4L, 10));
    }

    @Test
    void small_transformer() {
        NetChain net = NetChain.of(embedding(16, 30),
                residual(layerNormalization(), selfAttention(4, true)),
                residual(layerNormalization(), selfAttention(4, true)),
                layerNormalization(), sequenceLast(), 30, softmax()).initialize(5L, 8);
        check(net, OrtReference.ids(22, 30));
    }
}
