package dev.cortado.onnx.importer;

import dev.cortado.memory.Device;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** An ONNX TensorProto (an initializer or a Constant) read into a Cortado tensor. */
final class TensorData {

    private TensorData() {
    }

    static int[] shape(TensorProto t) {
        int[] shape = new int[t.getDimsCount()];
        for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(t.getDims(i));
        return shape;
    }

    /** The value of a one-element float tensor (a scalar constant in a graph), or null for any other tensor. */
    static Float scalar(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) n *= d;
        return n == 1 && Value.isFloat(t.getDataType()) ? values(t)[0] : null;
    }

    /** The values as floats (integers exactly up to 2^24; 2^63 - 1, Slice's "to the end", saturates back when read). */
    static float[] values(TensorProto t) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException("tensor '" + t.getName() + "' keeps its data in an external file, which is not supported");
        }
        int count = Math.toIntExact(count(t));
        float[] out = new float[count];
        int type = t.getDataType();
        boolean raw = !t.getRawData().isEmpty();
        ByteBuffer b = raw ? t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN) : null;
        int width = switch (type) {
            case Value.FLOAT, Value.INT32, Value.UINT32 -> 4;
            case Value.INT64, Value.UINT64, Value.DOUBLE -> 8;
            case Value.INT16, Value.UINT16, Value.FLOAT16 -> 2;
            case Value.INT8, Value.UINT8, Value.BOOL -> 1;
            default -> throw new IllegalArgumentException("tensor '" + t.getName() + "' has ONNX element type " + type + ", not supported");
        };
        if (raw && b.remaining() != (long) count * width) {
            throw new IllegalArgumentException("tensor '" + t.getName() + "' holds " + b.remaining() + " bytes, its shape needs " + (long) count * width);
        }
        if (!raw) {
            int have = switch (type) {
                case Value.FLOAT -> t.getFloatDataCount();
                case Value.DOUBLE -> t.getDoubleDataCount();
                case Value.INT64 -> t.getInt64DataCount();
                case Value.UINT32, Value.UINT64 -> t.getUint64DataCount();
                default -> t.getInt32DataCount();
            };
            if (have != count) throw new IllegalArgumentException("tensor '" + t.getName() + "' holds " + have + " values, its shape needs " + count);
        }
        for (int i = 0; i < count; i++) {
            out[i] = raw ? switch (type) {
                case Value.FLOAT -> b.getFloat();
                case Value.DOUBLE -> (float) b.getDouble();
                case Value.INT64, Value.UINT64 -> (float) b.getLong();
                case Value.INT32 -> b.getInt();
                case Value.UINT32 -> b.getInt() & 0xffffffffL;
                case Value.INT16 -> b.getShort();
                case Value.UINT16 -> b.getShort() & 0xffff;
                case Value.FLOAT16 -> halfToFloat(b.getShort());
                case Value.INT8 -> b.get();
                default -> b.get() & 0xff;
            } : switch (type) {
                case Value.FLOAT -> t.getFloatData(i);
                case Value.DOUBLE -> (float) t.getDoubleData(i);
                case Value.INT64 -> (float) t.getInt64Data(i);
                case Value.UINT32, Value.UINT64 -> (float) t.getUint64Data(i);
                case Value.FLOAT16 -> halfToFloat((short) t.getInt32Data(i));
                default -> t.getInt32Data(i);
            };
        }
        return out;
    }

    /** How many elements the tensor's shape holds. */
    private static long count(TensorProto t) {
        long n = 1;
        for (int d : shape(t)) n *= d;
        return n;
    }

    /** An INT64 tensor's values, exactly. */
    static long[] longs(TensorProto t) {
        if (t.getDataType() != Value.INT64) throw new IllegalArgumentException("tensor '" + t.getName() + "' is not int64");
        long n = count(t);
        if (t.getRawData().isEmpty()) {
            if (t.getInt64DataCount() != n) throw new IllegalArgumentException("tensor '" + t.getName() + "' holds " + t.getInt64DataCount() + " values, its shape needs " + n);
            return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
        }
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != n * 8) throw new IllegalArgumentException("tensor '" + t.getName() + "' holds " + b.remaining() + " bytes, its shape needs " + n * 8);
        long[] v = new long[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = b.getLong();
        return v;
    }

    /** IEEE 754 binary16 to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff, sign = (bits & 0x8000) << 16, exp = (bits >>> 10) & 0x1f, mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero)
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The element type Cortado computes a tensor of this ONNX type as: FLOAT for the floating types, else its own. */
    static int valueType(int onnxType) {
        return Value.isFloat(onnxType) ? Value.FLOAT : onnxType;
    }

    static Tensor tensor(TensorProto t, Device device) {
        return Tensor.of(device, values(t), shape(t));
    }
}
