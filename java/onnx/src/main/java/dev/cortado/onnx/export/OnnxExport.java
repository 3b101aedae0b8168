package dev.cortado.onnx.export;

import dev.cortado.api.NetChain;
import dev.cortado.nn.Module;
import dev.cortado.onnx.proto.Onnx;
import dev.cortado.tensor.Shape;
import dev.cortado.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Exports a {@link NetChain}, or a module made of Cortado's layers, as an ONNX model that ONNX
 * Runtime (or any ONNX consumer) runs: opset {@value #OPSET}, IR version {@value #IR_VERSION},
 * float32.
 *
 * <p>The graph has one input named {@value #INPUT}, [{@value #BATCH}, the sample's shape...], and
 * one output named {@value #OUTPUT}, [{@value #BATCH}, the output's shape...]; the batch axis is
 * symbolic (any batch size runs), every other axis fixed by the sample shape. A chain that starts
 * with an embedding takes its ids as float32, as Cortado does (the graph casts them to int64).
 * Weights are initializers named by their PyTorch state_dict names ("0.weight",
 * "3.running_mean", "5.branch.0.weight"), the tensors {@link Module#stateDict} holds.
 *
 * <p>The graph computes the eval-mode forward whatever the module's mode: batch normalisation by
 * its running statistics, dropout as identity. The layers it knows: Layers.Sequential, Linear
 * (with its activation), Conv2d (bias or not, stride, padding), MaxPool2d, AvgPool2d, ReLU,
 * Sigmoid, Tanh, Softmax, Flatten, SequenceLast, Dropout, Lstm (ONNX LSTM, gates reordered from
 * PyTorch's i, f, g, o to ONNX's i, o, f, c), BatchNorm (1d, 2d), LayerNorm, Embedding (Gather),
 * MultiheadAttention (MatMul/Softmax), Residual and GlobalAvgPool: every layer a NetChain builds.
 * Any other module is refused with an IllegalArgumentException naming its class and its
 * state_dict path.
 */
public final class OnnxExport {

    /** The ONNX operator set the graph uses. */
    public static final int OPSET = 17;
    /** The ONNX IR version of the model. */
    public static final int IR_VERSION = 8;
    /** The graph input's name. */
    public static final String INPUT = "input";
    /** The graph output's name. */
    public static final String OUTPUT = "output";
    /** The symbolic name of the batch axis (axis 0 of the input and of the output). */
    public static final String BATCH = "batch";

    private OnnxExport() {
    }

    /** The ONNX model of an initialized chain, for batches of its {@link NetChain#inputShape}. */
    public static Onnx.ModelProto toModel(NetChain net) {
        if (net == null) throw new IllegalArgumentException("OnnxExport: the chain is null");
        if (!net.isInitialized()) {
            throw new IllegalStateException("OnnxExport: the chain " + net + " is not initialized; initialize(inputShape) it or train it first");
        }
        return toModel(net.module(), net.inputShape());
    }

    /** The serialized ONNX model of an initialized chain. */
    public static byte[] toBytes(NetChain net) {
        return toModel(net).toByteArray();
    }

    /** Writes the chain's ONNX model to {@code file}, atomically (an interrupted write leaves the old file); an IOException names the file. */
    public static void save(NetChain net, Path file) throws IOException {
        write(toBytes(net), file);
    }

    /**
     * The ONNX model of {@code module} for batches of samples of {@code sampleShape} (no batch axis,
     * e.g. {@code 1, 28, 28}).
     *
     * @throws IllegalArgumentException naming the first layer (class and state_dict path) that cannot be exported or cannot take its input
     */
    public static Onnx.ModelProto toModel(Module module, int... sampleShape) {
        if (module == null) throw new IllegalArgumentException("OnnxExport: the module is null");
        if (sampleShape == null || sampleShape.length == 0) throw new IllegalArgumentException("OnnxExport: the sample shape is empty");
        for (int d : sampleShape) if (d < 1) throw new IllegalArgumentException("OnnxExport: sample shape " + Shape.str(sampleShape) + " has an empty axis");
        GraphBuilder g = new GraphBuilder();
        g.claim(INPUT);
        g.claim(OUTPUT);
        LayerExporters.Value y = LayerExporters.export(g, module, "", new LayerExporters.Value(INPUT, sampleShape.clone()));
        g.nodeInto("output", "Identity", List.of(y.name()), OUTPUT);
        Onnx.GraphProto graph = g.graph().setName("cortado")
                .addInput(GraphBuilder.tensorInfo(INPUT, BATCH, sampleShape))
                .addOutput(GraphBuilder.tensorInfo(OUTPUT, BATCH, y.shape()))
                .build();
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("cortado")
                .setProducerVersion(version())
                .setDocString("exported by Cortado's OnnxExport from a " + module.getClass().getName())
                .setGraph(graph)
                .build();
    }

    /** The serialized ONNX model of {@code module} for samples of {@code sampleShape}. */
    public static byte[] toBytes(Module module, int... sampleShape) {
        return toModel(module, sampleShape).toByteArray();
    }

    /** Writes {@code module}'s ONNX model for samples of {@code sampleShape} to {@code file}, atomically. */
    public static void save(Module module, Path file, int... sampleShape) throws IOException {
        write(toBytes(module, sampleShape), file);
    }

    private static void write(byte[] bytes, Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("OnnxExport: the file is null");
        AtomicFiles.write(file, bytes);
    }

    private static String version() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
