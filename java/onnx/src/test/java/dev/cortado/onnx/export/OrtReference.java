package dev.cortado.onnx.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.cortado.api.NetChain;
import dev.cortado.autograd.GradMode;
import dev.cortado.nn.Module;
import dev.cortado.onnx.proto.Onnx;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * The check every export test makes: the exported model, parsed back from its bytes, run by ONNX
 * Runtime Java on random batches of two sizes, gives Cortado's eval-mode outputs within
 * 1e-5·(1 + |expected|) (NaN never passes).
 */
final class OrtReference {

    static final double TOLERANCE = 1e-5;
    static final int[] BATCHES = {1, 3};

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private OrtReference() {
    }

    /** Uniform values in [-1, 1). */
    static IntFunction<float[]> uniform(long seed) {
        Random r = new Random(seed);
        return n -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
            return v;
        };
    }

    /** Integer ids 0 .. vocabulary - 1, as floats (Cortado's embedding input). */
    static IntFunction<float[]> ids(long seed, int vocabulary) {
        Random r = new Random(seed);
        return n -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = r.nextInt(vocabulary);
            return v;
        };
    }

    /** Exports the chain, checks it against Cortado on random uniform batches; returns the largest relative difference seen. */
    static double check(NetChain net) {
        return check(net, uniform(7));
    }

    static double check(NetChain net, IntFunction<float[]> inputs) {
        net.module().eval();
        byte[] bytes = OnnxExport.toBytes(net);
        return compare(bytes, net.module(), net.inputShape(), inputs);
    }

    static double check(Module module, int[] sampleShape, IntFunction<float[]> inputs) {
        module.eval();
        byte[] bytes = OnnxExport.toBytes(module, sampleShape);
        return compare(bytes, module, sampleShape, inputs);
    }

    private static double compare(byte[] bytes, Module module, int[] sampleShape, IntFunction<float[]> inputs) {
        Onnx.ModelProto model;
        try {
            model = Onnx.ModelProto.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("the export does not parse back: " + e, e);
        }
        assertEquals(OnnxExport.IR_VERSION, model.getIrVersion());
        assertEquals(OnnxExport.OPSET, model.getOpsetImport(0).getVersion());
        assertEquals(OnnxExport.BATCH, model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        double worst = 0;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = ENV.createSession(bytes, options)) {
                for (int batch : BATCHES) {
                    int[] shape = new int[sampleShape.length + 1];
                    shape[0] = batch;
                    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
                    float[] x = inputs.apply((int) Shape.numel(shape));
                    float[] expected;
                    int[] expectedShape;
                    try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
                        Tensor y = module.forward(Tensor.of(x, shape));
                        expected = y.toArray();
                        expectedShape = y.shape();
                    }
                    long[] longShape = Arrays.stream(shape).asLongStream().toArray();
                    try (OnnxTensor in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), longShape);
                         OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, in))) {
                        OnnxTensor out = (OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow();
                        assertArrayEquals(Arrays.stream(expectedShape).asLongStream().toArray(), out.getInfo().getShape(),
                                "output shape at batch " + batch);
                        FloatBuffer fb = out.getFloatBuffer();
                        float[] actual = new float[fb.remaining()];
                        fb.get(actual);
                        worst = Math.max(worst, compare(expected, actual, batch));
                    }
                }
            }
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime refused the export: " + e.getMessage(), e);
        }
        return worst;
    }

    /** The largest |a - e| / (1 + |e|); fails past the tolerance or on a NaN. */
    private static double compare(float[] expected, float[] actual, int batch) {
        assertEquals(expected.length, actual.length, "output size at batch " + batch);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double rel = Math.abs((double) actual[i] - expected[i]) / (1 + Math.abs((double) expected[i]));
            if (!(rel <= TOLERANCE)) {
                fail("at batch " + batch + ", output " + i + ": ONNX Runtime " + actual[i] + ", Cortado " + expected[i] + " (relative " + rel + ")");
            }
            worst = Math.max(worst, rel);
        }
        return worst;
    }
}
