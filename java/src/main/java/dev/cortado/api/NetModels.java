package dev.cortado.api;

import static dev.cortado.api.NetLayer.batchNormalization;
import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.globalAveragePooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.softmax;

import java.util.ArrayList;
import java.util.List;

/** Well-known architectures as {@link NetChain}s (Mathematica's NetModels), untrained. */
public final class NetModels {

    private NetModels() {
    }

    /**
     * The CIFAR ResNet of He et al. (2016, section 4.2) with {@code depth} = 6n + 2 layers (20, 32,
     * 44, 56, 110): a 3x3 stem of 16 filters, three stages of n basic blocks at 16, 32 and 64
     * filters with strides 1, 2, 2, batch normalisation after every convolution (convolutions
     * without biases), 1x1 projection shortcuts where the shape changes (option B), global average
     * pooling, a linear layer of {@code classes} and softmax. Takes images [channels, height, width]
     * of any size the strides fit. ResNet-20 has 272,186 parameters for 10 classes on one channel,
     * as benchmarks/resnet20.py's PyTorch model.
     */
    public static NetChain cifarResNet(int depth, int classes) {
        if (depth < 8 || (depth - 2) % 6 != 0) throw new IllegalArgumentException("cifarResNet: depth must be 6n + 2 >= 8 (20, 32, 44, 56, 110), got " + depth);
        if (classes < 2) throw new IllegalArgumentException("cifarResNet: classes must be >= 2, got " + classes);
        int blocks = (depth - 2) / 6;
        List<Object> layers = new ArrayList<>(List.of(convolution(16, 3, 1, 1, false), batchNormalization(), ramp()));
        int in = 16;
        for (int[] stage : new int[][] {{16, 1}, {32, 2}, {64, 2}}) {
            for (int b = 0; b < blocks; b++) {
                int c = stage[0], stride = b == 0 ? stage[1] : 1;
                NetLayer[] branch = {convolution(c, 3, stride, 1, false), batchNormalization(), ramp(), convolution(c, 3, 1, 1, false), batchNormalization()};
                NetLayer[] shortcut = stride != 1 || in != c ? new NetLayer[] {convolution(c, 1, stride, 0, false), batchNormalization()} : new NetLayer[0];
                layers.add(NetLayer.residual(branch, shortcut));
                layers.add(ramp());
                in = c;
            }
        }
        layers.addAll(List.of(globalAveragePooling(), classes, softmax()));
        return NetChain.of(layers.toArray());
    }
}
