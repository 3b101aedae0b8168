package dev.cortado.onnx.importer;

/**
 * An ONNX model Cortado cannot load: an operator or attribute value it does not support, or a
 * node that does not fit its inputs. The message names the operator, its node and the opset;
 * thrown by {@link OnnxModel#load} before anything runs.
 */
public final class OnnxImportException extends IllegalArgumentException {

    private final String opType;
    private final String nodeName;
    private final long opset;

    OnnxImportException(String opType, String nodeName, long opset, String problem, Throwable cause) {
        super("ONNX operator " + opType + " (node '" + nodeName + "', opset " + opset + "): " + problem, cause);
        this.opType = opType;
        this.nodeName = nodeName;
        this.opset = opset;
    }

    OnnxImportException(String opType, String nodeName, long opset, String problem) {
        this(opType, nodeName, opset, problem, null);
    }

    /** The operator type, e.g. "Conv". */
    public String opType() {
        return opType;
    }

    /** The node's name (ONNX node names may be empty: then its first output's name). */
    public String nodeName() {
        return nodeName;
    }

    /** The model's default-domain opset. */
    public long opset() {
        return opset;
    }
}
