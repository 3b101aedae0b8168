package dev.cortado.kernels;

/**
 * The geometry shared by im2col/col2im and pooling: {@code channels} planes of
 * {@code height x width}, a {@code kernelH x kernelW} window moved by the stride over the input
 * padded with {@code pad} zeros on each side. Output size follows Caffe/PyTorch (floor mode):
 * {@code out = (in + 2 pad - kernel) / stride + 1}. The padded input and every index into it fit
 * in an int (the constructor checks), so native kernels may compute indices in int.
 */
public record Window(int channels, int height, int width,
                     int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {

    public Window {
        positive("channels", channels);
        positive("height", height);
        positive("width", width);
        positive("kernelH", kernelH);
        positive("kernelW", kernelW);
        positive("strideH", strideH);
        positive("strideW", strideW);
        if (padH < 0) throw new IllegalArgumentException("padH must be >= 0, got " + padH);
        if (padW < 0) throw new IllegalArgumentException("padW must be >= 0, got " + padW);
        if (height + 2L * padH > Integer.MAX_VALUE || width + 2L * padW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padded input " + (height + 2L * padH) + "x" + (width + 2L * padW)
                    + " exceeds 2^31 - 1 (padding " + padH + "x" + padW + ")");
        }
        if (height + 2L * padH < kernelH || width + 2L * padW < kernelW) {
            throw new IllegalArgumentException("kernel " + kernelH + "x" + kernelW + " is larger than the padded input "
                    + (height + 2L * padH) + "x" + (width + 2L * padW));
        }
        if ((long) channels * height * width > Integer.MAX_VALUE
                || (long) channels * kernelH * kernelW * ((height + 2L * padH - kernelH) / strideH + 1)
                   * ((width + 2L * padW - kernelW) / strideW + 1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("window " + this + " addresses more than 2^31 elements");
        }
    }

    /** Square kernel, stride and padding. */
    public static Window square(int channels, int height, int width, int kernel, int stride, int pad) {
        return new Window(channels, height, width, kernel, kernel, stride, stride, pad, pad);
    }

    public int outH() {
        return (int) ((height + 2L * padH - kernelH) / strideH + 1);
    }

    public int outW() {
        return (int) ((width + 2L * padW - kernelW) / strideW + 1);
    }

    /** Floats in the input: channels x height x width. */
    public long inputSize() {
        return (long) channels * height * width;
    }

    /** Floats in a pooled output: channels x outH x outW. */
    public long outputSize() {
        return (long) channels * outH() * outW();
    }

    /** Rows of the im2col matrix: channels x kernelH x kernelW. */
    public int colRows() {
        return channels * kernelH * kernelW;
    }

    /** Columns of the im2col matrix: outH x outW. */
    public int colCols() {
        return outH() * outW();
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }
}
