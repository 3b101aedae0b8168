package dev.cortado.onnx.importer;

import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.onnx.proto.Onnx.NodeProto;
import dev.cortado.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.cortado.onnx.importer.Graphs.floatInfo;
import static dev.cortado.onnx.importer.Graphs.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What load refuses, and how: the operator, its node and the opset named, before anything runs; unreadable files as IOExceptions naming the file. */
class OnnxRefusalTest {

    @TempDir
    Path dir;

    /** x [2, 4] -> Relu -> the given node -> y. */
    private Path afterRelu(String name, NodeProto second, long opset) throws IOException {
        ModelProto m = Graphs.model(opset, List.of(node("Relu", "relu0", List.of("x"), List.of("h")), second),
                List.of(floatInfo("x", 2, 4)), List.of(floatInfo("y")), List.of());
        return Graphs.write(dir, name, m);
    }

    private static void assertNames(OnnxImportException e, String op, String node, long opset, String... more) {
        assertEquals(op, e.opType());
        assertEquals(node, e.nodeName());
        assertEquals(opset, e.opset());
        for (String s : List.of(op, "'" + node + "'", "opset " + opset)) assertTrue(e.getMessage().contains(s), e.getMessage());
        for (String s : more) assertTrue(e.getMessage().contains(s), e.getMessage());
    }

    @Test
    void unsupportedOperatorIsNamedWithItsNodeAndOpset() throws IOException {
        Path p = afterRelu("hardmax", node("Hardmax", "the_hardmax", List.of("h"), List.of("y")), 17);
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxModel.load(p));
        assertNames(e, "Hardmax", "the_hardmax", 17, "not supported");
    }

    @Test
    void unsupportedAttributeValueIsRefused() throws IOException {
        Path p = afterRelu("lnstash", node("LayerNormalization", "ln", List.of("h", "h"), List.of("y"), Graphs.integer("stash_type", 2)), 17);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(p)), "LayerNormalization", "ln", 17, "stash_type = 2");
        Path q = afterRelu("autopad", node("MaxPool", "pool", List.of("h"), List.of("y"), Graphs.ints("kernel_shape", 2),
                Graphs.string("auto_pad", "SOMETIMES")), 17);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(q)), "MaxPool", "pool", 17, "auto_pad = SOMETIMES");
        Path r = afterRelu("indices", node("MaxPool", "pool2", List.of("h"), List.of("y", "argmax"), Graphs.ints("kernel_shape", 2)), 17);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(r)), "MaxPool", "pool2", 17, "output 1");
    }

    @Test
    void unknownAttributeIsRefusedNotIgnored() throws IOException {
        Path p = afterRelu("attr", node("Softmax", "sm", List.of("h"), List.of("y"), Graphs.integer("temperature", 3)), 17);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(p)), "Softmax", "sm", 17, "'temperature'");
    }

    @Test
    void otherDomainsAndOpsetsAreRefused() throws IOException {
        NodeProto custom = node("Relu", "custom_relu", List.of("h"), List.of("y")).toBuilder().setDomain("com.example").build();
        Path p = afterRelu("domain", custom, 17);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(p)), "Relu", "custom_relu", 17, "com.example");
        Path q = afterRelu("opset18", node("Relu", "relu1", List.of("h"), List.of("y")), 18);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(q)), "Relu", "relu0", 18, "13 to 17");
    }

    @Test
    void shapesThatDependOnInputValuesAreRefusedAtLoad() throws IOException {
        // Reshape whose target shape is a graph input: not static
        ModelProto m = Graphs.model(17, List.of(node("Reshape", "dyn_reshape", List.of("x", "s"), List.of("y"))),
                List.of(floatInfo("x", 2, 4), floatInfo("s", 2)), List.of(floatInfo("y")), List.of());
        Path p = Graphs.write(dir, "dynreshape", m);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(p)), "Reshape", "dyn_reshape", 17, "known at load");
    }

    @Test
    void shapeMismatchInTheGraphIsRefusedAtLoadNamingTheNode() throws IOException {
        ModelProto m = Graphs.model(17, List.of(node("MatMul", "mm", List.of("x", "w"), List.of("y"))),
                List.of(floatInfo("x", 2, 4)), List.of(floatInfo("y")), List.of(Graphs.randomFloats("w", new Rng(1), 1, 5, 3)));
        Path p = Graphs.write(dir, "mismatch", m);
        assertNames(assertThrows(OnnxImportException.class, () -> OnnxModel.load(p)), "MatMul", "mm", 17);
    }

    /** A malformed initializer where a load-time fusion looks (a scalar, an attention mask) is still an IOException naming it and the file. */
    @Test
    void malformedInitializersAreIOExceptionsNamingThemAndTheFile() throws IOException {
        var noData = dev.cortado.onnx.proto.Onnx.TensorProto.newBuilder().setName("two").setDataType(Value.FLOAT).addDims(1).build();
        var shortMask = dev.cortado.onnx.proto.Onnx.TensorProto.newBuilder().setName("mask").setDataType(Value.FLOAT).addDims(3).addDims(3)
                .addFloatData(0f).addFloatData(Float.NEGATIVE_INFINITY).addFloatData(0f).build();
        var m = Graphs.model(17, List.of(Graphs.node("Div", "q_scale", List.of("q", "two"), List.of("qs")),
                        Graphs.node("Transpose", "k_t", List.of("k"), List.of("kt"), Graphs.ints("perm", 0, 2, 1)),
                        Graphs.node("MatMul", "scores", List.of("qs", "kt"), List.of("s")),
                        Graphs.node("Add", "masked", List.of("s", "mask"), List.of("sm")),
                        Graphs.node("Softmax", "softmax", List.of("sm"), List.of("p")),
                        Graphs.node("MatMul", "out", List.of("p", "v"), List.of("y"))),
                List.of(Graphs.floatInfo("q", 1, 3, 2), Graphs.floatInfo("k", 1, 3, 2), Graphs.floatInfo("v", 1, 3, 2)), List.of(Graphs.floatInfo("y")),
                List.of(noData, shortMask));
        Path file = Graphs.write(dir, "malformed", m);
        IOException e = assertThrows(IOException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && (e.getMessage().contains("'two'") || e.getMessage().contains("'mask'")),
                e.getMessage());
    }

    @Test
    void corruptTruncatedOrMissingFilesAreIOExceptionsNamingTheFile() throws IOException {
        byte[] good = Files.readAllBytes(OrtReference.model("tiny_cnn"));
        Path truncated = dir.resolve("truncated.onnx");
        Files.write(truncated, Arrays.copyOf(good, good.length / 2));
        Path garbage = dir.resolve("garbage.onnx");
        byte[] junk = new byte[4096];
        new java.util.Random(3).nextBytes(junk);
        Files.write(garbage, junk);
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        Path text = dir.resolve("text.onnx");
        Files.writeString(text, "this is not an ONNX model");
        for (Path p : List.of(truncated, garbage, empty, text, dir.resolve("missing.onnx"))) {
            IOException e = assertThrows(IOException.class, () -> OnnxModel.load(p), p.toString());
            assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
        }
    }
}
