package dev.cortado.onnx.importer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.cortado.memory.Device;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs an ONNX file in ONNX Runtime Java and in Cortado on the same seeded random inputs and compares every output. */
final class OrtReference {

    private OrtReference() {
    }

    static Path model(String name) {
        return Path.of("src/test/resources/onnx", name + ".onnx");
    }

    /** Random inputs for every input of the model: floats uniform in [-1, 1]; integer inputs (token ids) in [0, intBound). */
    static Map<String, float[]> randomInputs(OnnxModel model, long seed, int intBound) {
        Rng rng = new Rng(seed);
        Map<String, float[]> in = new LinkedHashMap<>();
        for (String name : model.inputNames()) {
            int n = 1;
            for (int d : model.inputShape(name)) n *= d;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = intBound > 0 ? rng.nextInt(intBound) : 2 * rng.nextFloat() - 1;
            in.put(name, v);
        }
        return in;
    }

    /** ONNX Runtime's outputs (flattened floats) on these inputs. */
    static Map<String, float[]> ort(Path file, OnnxModel model, Map<String, float[]> inputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(file.toString(), opts)) {
                Map<String, OnnxTensor> feeds = new HashMap<>();
                try {
                    for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
                        String name = e.getKey();
                        int[] s = model.inputShape(name);
                        long[] shape = new long[s.length];
                        for (int i = 0; i < s.length; i++) shape[i] = s[i];
                        float[] v = inputs.get(name);
                        TensorInfo info = (TensorInfo) e.getValue().getInfo();
                        if (info.type == ai.onnxruntime.OnnxJavaType.INT64) {
                            long[] l = new long[v.length];
                            for (int i = 0; i < v.length; i++) l[i] = (long) v[i];
                            feeds.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape));
                        } else {
                            feeds.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
                        }
                    }
                    Map<String, float[]> out = new LinkedHashMap<>();
                    try (OrtSession.Result r = session.run(feeds)) {
                        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                            FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                            float[] v = new float[fb.remaining()];
                            fb.get(v);
                            out.put(e.getKey(), v);
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : feeds.values()) t.close();
                }
            }
        }
    }

    /** Cortado's outputs on these inputs, read back to the host. */
    static Map<String, float[]> cortado(OnnxModel model, Map<String, float[]> inputs) {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : inputs.entrySet()) {
            feeds.put(e.getKey(), Tensor.of(model.device(), e.getValue(), model.inputShape(e.getKey())));
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.run(feeds).entrySet()) out.put(e.getKey(), e.getValue().toArray());
        return out;
    }

    /** max |diff| / (1 + |expected|) over every output; fails on any NaN, a size mismatch, or outputs all about 0. */
    static double worstRelative(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet(), "outputs");
        double worst = 0, largest = 0;
        for (float[] e : expected.values()) for (float v : e) largest = Math.max(largest, Math.abs(v));
        assertTrue(largest > 1e-3, "the outputs are all about 0 (largest |value| " + largest + "): the comparison would say nothing");
        for (String name : expected.keySet()) {
            float[] e = expected.get(name), a = actual.get(name);
            assertEquals(e.length, a.length, "size of output " + name);
            assertTrue(e.length > 0, "output " + name + " is empty");
            for (int i = 0; i < e.length; i++) {
                assertTrue(Float.isFinite(e[i]) && !Float.isNaN(a[i]), name + "[" + i + "]: ORT " + e[i] + ", Cortado " + a[i]);
                worst = Math.max(worst, Math.abs(a[i] - e[i]) / (1 + Math.abs(e[i])));
            }
        }
        return worst;
    }

    /** {@code file} within 1e-5 (relative to 1 + |expected|) of ORT on cpu (two seeds) and on sim. */
    static void assertMatches(Path file) throws Exception {
        for (long seed = 1; seed <= 2; seed++) {
            double worst = compare(file, Device.CPU, seed, 0);
            assertTrue(worst <= 1e-5, file.getFileName() + " seed " + seed + ": max |diff| / (1 + |expected|) = " + worst);
        }
        double sim = compare(file, Device.SIM, 3, 0);
        assertTrue(sim <= 1e-5, file.getFileName() + " sim: " + sim);
    }

    /** Loads {@code file} on {@code device}, runs it and ORT on seeded random inputs, returns the worst relative difference. */
    static double compare(Path file, Device device, long seed, int intBound) throws Exception {
        try (OnnxModel model = OnnxModel.load(file, device)) {
            Map<String, float[]> in = randomInputs(model, seed, intBound);
            return worstRelative(ort(file, model, in), cortado(model, in));
        }
    }
}
