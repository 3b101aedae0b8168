package dev.cortado.api;

import static dev.cortado.api.NetLayer.convolution;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cortado.autograd.GradMode;
import dev.cortado.ops.Convolution;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** convolution(filters, kernel, stride, padding): shapes and values as the Convolution op's. */
class ConvolutionOptionsTest {

    @Test
    void strideAndPaddingSetTheShapeAndTheValues() {
        try (NetChain net = NetChain.of(convolution(4, 3, 2, 1)).initialize(2, 7, 7); MemoryScope scope = MemoryScope.open();
             GradMode off = GradMode.off()) {
            assertArrayEquals(new int[] {4, 4, 4}, net.outputShape()); // (7 + 2 - 3) / 2 + 1
            assertEquals("convolution(4, 3, 2, 1)", net.layers().get(0).toString());
            Tensor x = Tensor.uniform(new Rng(3), -1, 1, 2, 2, 7, 7);
            Map<String, Tensor> p = net.module().namedParameters();
            assertArrayEquals(Convolution.conv2d(x, p.get("0.weight"), p.get("0.bias"), 2, 1).toArray(), net.apply(x).toArray(), 1e-6f);
        }
        try (NetChain same = NetChain.of(convolution(3, 5, 1, 2)).initialize(1, 9, 6)) {
            assertArrayEquals(new int[] {3, 9, 6}, same.outputShape());
            assertEquals("convolution(3, 5)", convolution(3, 5, 1, 0).toString());
        }
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals("convolution: stride must be >= 1, got 0", assertThrows(IllegalArgumentException.class, () -> convolution(2, 3, 0, 0)).getMessage());
        assertEquals("convolution: padding must be >= 0, got -1", assertThrows(IllegalArgumentException.class, () -> convolution(2, 3, 1, -1)).getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetChain.of(convolution(2, 7, 1, 1)).initialize(1, 4, 4));
        assertEquals("NetChain: layer 1 convolution(2, 7, 1, 1) cannot take input [1, 4, 4]: its 7x7 kernel is larger than the 4x4 image padded by 1",
                e.getMessage());
    }
}
