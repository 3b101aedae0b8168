package dev.cortado.benchmarks;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * benchmarks/resnet20.py's ResNet20 in libtorch's C++ API: a 3x3 stem of 16 (convolution without
 * bias, BatchNorm, ReLU), three stages of three basic blocks at 16/32/64 channels with strides 1/2/2,
 * BatchNorm after every convolution, 1x1 projection shortcuts where the shape changes, global average
 * pooling and a linear layer. {@link #root} holds every submodule (parameters, train/eval).
 */
final class LibTorchResNet20 {

    final Module root = new Module("ResNet20");
    private final Conv2dImpl stemConv;
    private final BatchNorm2dImpl stemBn;
    private final List<Basic> blocks = new ArrayList<>();
    private final LinearImpl fc;

    LibTorchResNet20(int classes) {
        stemConv = root.register_module("stem_conv", conv(1, 16, 3, 1, 1));
        stemBn = root.register_module("stem_bn", new BatchNorm2dImpl(new BatchNormOptions(16)));
        int cin = 16;
        for (int[] stage : new int[][] {{16, 1}, {32, 2}, {64, 2}}) {
            for (int i = 0; i < 3; i++) {
                blocks.add(new Basic(root, "block" + blocks.size(), cin, stage[0], i == 0 ? stage[1] : 1));
                cin = stage[0];
            }
        }
        fc = root.register_module("fc", new LinearImpl(64, classes));
    }

    Tensor forward(Tensor x) {
        Tensor h = stemBn.forward(stemConv.forward(x)).relu();
        for (Basic b : blocks) h = b.forward(h);
        return fc.forward(torch.adaptive_avg_pool2d(h, 1, 1).flatten(1, -1));
    }

    /** A k x k convolution without bias, as resnet20.py's. */
    static Conv2dImpl conv(long cin, long cout, long k, long stride, long padding) {
        Conv2dOptions o = new Conv2dOptions(cin, cout, new LongPointer(k, k));
        o.stride().put(0, stride).put(1, stride);
        o.padding().put(new LongPointer(padding, padding));
        o.bias().put(false);
        return new Conv2dImpl(o);
    }

    /** resnet20.py's Basic: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
    private static final class Basic {
        private final Conv2dImpl conv1, conv2, shortcutConv;
        private final BatchNorm2dImpl bn1, bn2, shortcutBn;

        Basic(Module parent, String name, int cin, int cout, int stride) {
            Module m = parent.register_module(name, new Module(name));
            conv1 = m.register_module("conv1", conv(cin, cout, 3, stride, 1));
            bn1 = m.register_module("bn1", new BatchNorm2dImpl(new BatchNormOptions(cout)));
            conv2 = m.register_module("conv2", conv(cout, cout, 3, 1, 1));
            bn2 = m.register_module("bn2", new BatchNorm2dImpl(new BatchNormOptions(cout)));
            boolean project = stride != 1 || cin != cout;
            shortcutConv = project ? m.register_module("shortcut_conv", conv(cin, cout, 1, stride, 0)) : null;
            shortcutBn = project ? m.register_module("shortcut_bn", new BatchNorm2dImpl(new BatchNormOptions(cout))) : null;
        }

        Tensor forward(Tensor x) {
            Tensor y = bn1.forward(conv1.forward(x)).relu();
            y = bn2.forward(conv2.forward(y));
            return y.add(shortcutConv == null ? x : shortcutBn.forward(shortcutConv.forward(x))).relu();
        }
    }
}
