package dev.cortado.nn;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * The inference fusions a {@link Layers.Sequential} applies under {@link GradMode#off}, as ONNX
 * Runtime and TensorRT apply them at load: a convolution, the eval-mode batch norm after it
 * (folded into its weights) and the ReLU after that run as one convolution; a residual block
 * followed by a ReLU runs its add and the ReLU in its branch's last convolution. Each is the
 * same function as the layers one by one (up to float rounding: the folded weights are rounded
 * once more), with one pass over the output instead of three or four.
 */
final class Fusion {

    private Fusion() {
    }

    /** layers[0, count) applied to x in order. */
    static Tensor run(Module[] layers, int count, Tensor x) {
        boolean fuse = !GradMode.isEnabled();
        Tensor y = x;
        for (int i = 0; i < count;) {
            Tensor fused = null;
            int used = 1;
            if (fuse && layers[i] instanceof Layers.Conv2d conv) {
                BatchNorm norm = i + 1 < count && layers[i + 1] instanceof BatchNorm b ? b : null;
                int next = norm == null ? i + 1 : i + 2;
                boolean relu = next < count && isRelu(layers[next]);
                fused = conv.forwardFused(y, norm, null, relu);
                used = next - i + (relu ? 1 : 0);
            } else if (fuse && layers[i] instanceof Residual block && i + 1 < count && isRelu(layers[i + 1])) {
                fused = block.forwardThenRelu(y);
                used = 2;
            }
            y = fused != null ? fused : layers[i].forward(y);
            i += fused != null ? used : 1;
        }
        return y;
    }

    /**
     * relu(layers(x) + z) (without the ReLU unless asked) with the add and the ReLU in the last
     * convolution, or null (nothing run) when the layers do not end in a convolution (and batch
     * norm) that can take them, or their output is not z's shape.
     */
    static Tensor runInto(Module[] layers, Tensor x, Tensor z, boolean relu) {
        if (GradMode.isEnabled() || layers.length == 0) return null;
        int last = layers.length - 1;
        BatchNorm norm = last >= 1 && layers[last] instanceof BatchNorm b && layers[last - 1] instanceof Layers.Conv2d ? b : null;
        int at = norm == null ? last : last - 1;
        if (!(layers[at] instanceof Layers.Conv2d conv) || norm != null && !norm.foldable()) return null;
        Tensor h = run(layers, at, x);
        if (h.dim() != 4 || !Arrays.equals(conv.outputShape(h), z.shape())) return null;
        return conv.forwardFused(h, norm, z, relu);
    }

    static boolean isRelu(Module m) {
        return m instanceof Layers.Function f && f.isRelu();
    }
}
