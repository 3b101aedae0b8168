package dev.cortado.onnx.importer;

import dev.cortado.ops.Padding;
import dev.cortado.ops.Shapes;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

import java.util.Arrays;

/**
 * Shape and indexing operators: Shape, Constant, ConstantOfShape, Reshape, Flatten, Transpose,
 * Concat, Split, Slice, Squeeze, Unsqueeze, Gather, Expand, Pad, Range, Identity. Shapes, axes and
 * bounds given as inputs must be constants at load (static shapes), which the shape arithmetic of
 * torch.onnx.export is once Shape's outputs are folded.
 */
final class ShapeOps {

    private ShapeOps() {
    }

    /** numpy broadcasting of two shapes. */
    static int[] broadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)], db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Shape.str(a) + " and " + Shape.str(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    static int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        return (int) a;
    }

    private static Value constant(float[] values, int type, Tensor like, int... shape) {
        return new Value(Tensor.of(like.device(), values, shape), type, true);
    }

    static Op shape(NodeContext c) {
        long start = c.integer("start", 0), end = c.integer("end", Long.MAX_VALUE);
        return in -> {
            int[] s = in[0].shape();
            int r = s.length;
            int from = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start));
            int to = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
            float[] v = new float[Math.max(0, to - from)];
            for (int i = 0; i < v.length; i++) v[i] = s[from + i];
            return Op.one(constant(v, Value.INT64, in[0].tensor(), v.length)); // known at load whatever the input
        };
    }

    static Op constantNode(NodeContext c) {
        TensorProto t = c.tensor("value");
        Float f = c.has("value_float") ? c.real("value_float", 0f) : null;
        float[] fs = c.floats("value_floats");
        Long i = c.has("value_int") ? c.integer("value_int", 0) : null;
        int[] is = c.ints("value_ints");
        if (t == null && f == null && fs == null && i == null && is == null) throw c.refuse("it holds no value Cortado reads (sparse or string)");
        float[] values;
        int[] shape;
        int type;
        if (t != null) {
            values = TensorData.values(t);
            shape = TensorData.shape(t);
            type = TensorData.valueType(t.getDataType());
        } else if (f != null) {
            values = new float[] {f};
            shape = new int[0];
            type = Value.FLOAT;
        } else if (fs != null) {
            values = fs;
            shape = new int[] {fs.length};
            type = Value.FLOAT;
        } else if (i != null) {
            values = new float[] {i};
            shape = new int[0];
            type = Value.INT64;
        } else {
            values = new float[is.length];
            for (int k = 0; k < is.length; k++) values[k] = is[k];
            shape = new int[] {is.length};
            type = Value.INT64;
        }
        return in -> Op.one(new Value(Tensor.of(c.device, values, shape), type, true));
    }

    static Op constantOfShape(NodeContext c) {
        TensorProto t = c.tensor("value");
        float value = t == null ? 0f : TensorData.values(t)[0];
        int type = t == null ? Value.FLOAT : TensorData.valueType(t.getDataType());
        return in -> Op.one(Value.of(Tensor.full(in[0].tensor().device(), value, in[0].ints("shape")), type));
    }

    static Op reshape(NodeContext c) {
        boolean allowZero = c.integer("allowzero", 0) != 0;
        return in -> {
            Tensor x = in[0].tensor();
            int[] target = in[1].ints("shape");
            for (int i = 0; i < target.length; i++) {
                if (target[i] == 0 && !allowZero) {
                    if (i >= x.dim()) throw new IllegalArgumentException("shape " + Arrays.toString(target) + " copies axis " + i + " of " + Shape.str(x.shape()));
                    target[i] = x.size(i);
                }
            }
            return Op.one(Value.of(x.reshape(target), in[0].type()));
        };
    }

    static Op flatten(NodeContext c) {
        long axis = c.integer("axis", 1);
        return in -> {
            int[] s = in[0].shape();
            int a = axis == s.length ? s.length : axis(axis, s.length);
            int rows = 1, cols = 1;
            for (int i = 0; i < s.length; i++) {
                if (i < a) rows *= s[i];
                else cols *= s[i];
            }
            return Op.one(Value.of(in[0].tensor().reshape(rows, cols), in[0].type()));
        };
    }

    static Op transpose(NodeContext c) {
        int[] perm = c.ints("perm");
        return in -> {
            int r = in[0].tensor().dim();
            int[] p = perm;
            if (p == null) {
                p = new int[r];
                for (int i = 0; i < r; i++) p[i] = r - 1 - i;
            }
            return Op.one(Value.of(in[0].tensor().permute(p), in[0].type()));
        };
    }

    static Op concat(NodeContext c) {
        long axis = c.integer("axis", 0);
        return in -> {
            Tensor[] ts = new Tensor[in.length];
            for (int i = 0; i < in.length; i++) ts[i] = in[i].tensor();
            return Op.one(Value.of(Shapes.concat(axis(axis, ts[0].dim()), ts), in[0].type()));
        };
    }

    static Op split(NodeContext c) {
        long axis = c.integer("axis", 0);
        int outputs = c.outputs();
        return in -> {
            Tensor x = in[0].tensor();
            int a = axis(axis, x.dim()), n = x.size(a);
            int[] sizes;
            if (in.length > 1 && in[1] != null) {
                sizes = in[1].ints("split");
            } else {
                sizes = new int[outputs];
                int piece = (n + outputs - 1) / outputs;
                for (int i = 0; i < outputs; i++) sizes[i] = Math.max(0, Math.min(piece, n - i * piece));
            }
            if (sizes.length != outputs || Arrays.stream(sizes).sum() != n) {
                throw new IllegalArgumentException("split " + Arrays.toString(sizes) + " into " + outputs + " outputs along axis " + a + " of " + Shape.str(x.shape()));
            }
            Value[] out = new Value[outputs];
            for (int i = 0, at = 0; i < outputs; at += sizes[i], i++) out[i] = Value.of(x.narrow(a, at, sizes[i]), in[0].type());
            return out;
        };
    }

    static Op slice(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            long[] starts = in[1].longs("starts"), ends = in[2].longs("ends");
            long[] axes = in.length > 3 && in[3] != null ? in[3].longs("axes") : null;
            long[] steps = in.length > 4 && in[4] != null ? in[4].longs("steps") : null;
            if (ends.length != starts.length || axes != null && axes.length != starts.length || steps != null && steps.length != starts.length) {
                throw new IllegalArgumentException("starts, ends, axes and steps differ in length");
            }
            Tensor y = x;
            for (int i = 0; i < starts.length; i++) {
                int a = axis(axes == null ? i : axes[i], x.dim());
                long step = steps == null ? 1 : steps[i];
                if (step <= 0) throw new IllegalArgumentException("step " + step + " is not supported (positive steps only)");
                long n = y.size(a);
                long s = starts[i] < 0 ? starts[i] + n : starts[i], e = ends[i] < 0 ? ends[i] + n : ends[i];
                s = Math.max(0, Math.min(n, s));
                e = Math.max(s, Math.min(n, e));
                if (s == 0 && e == n && step == 1) continue;
                y = y.slice(a, (int) s, (int) e, (int) step);
            }
            return Op.one(Value.of(y == x ? x.reshape(x.shape()) : y, in[0].type()));
        };
    }

    static Op squeeze(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            int[] s = x.shape();
            boolean[] drop = new boolean[s.length];
            if (in.length > 1 && in[1] != null) {
                for (long ax : in[1].longs("axes")) {
                    int a = axis(ax, s.length);
                    if (s[a] != 1) throw new IllegalArgumentException("axis " + a + " of " + Shape.str(s) + " is not 1");
                    drop[a] = true;
                }
            } else {
                for (int i = 0; i < s.length; i++) drop[i] = s[i] == 1;
            }
            int[] out = new int[s.length];
            int n = 0;
            for (int i = 0; i < s.length; i++) if (!drop[i]) out[n++] = s[i];
            return Op.one(Value.of(x.reshape(Arrays.copyOf(out, n)), in[0].type()));
        };
    }

    static Op unsqueeze(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            long[] axes = in[1].longs("axes");
            int r = x.dim() + axes.length;
            boolean[] added = new boolean[r];
            for (long ax : axes) {
                int a = axis(ax, r);
                if (added[a]) throw new IllegalArgumentException("axis " + a + " given twice");
                added[a] = true;
            }
            int[] out = new int[r];
            for (int i = 0, k = 0; i < r; i++) out[i] = added[i] ? 1 : x.size(k++);
            return Op.one(Value.of(x.reshape(out), in[0].type()));
        };
    }

    /** Gather along an axis: data.shape[:axis] + indices.shape + data.shape[axis+1:]; negative constant indices count from the end. */
    static Op gather(NodeContext c) {
        long axis = c.integer("axis", 0);
        return in -> {
            Tensor x = in[0].tensor(), idx = in[1].tensor();
            int a = axis(axis, x.dim());
            Tensor flat = idx.reshape((int) idx.numel());
            if (in[1].constant()) {
                float[] v = flat.toArray();
                boolean negative = false;
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0) {
                        v[i] += x.size(a);
                        negative = true;
                    }
                }
                if (negative) flat = Tensor.of(x.device(), v, v.length);
            }
            int[] s = x.shape(), is = idx.shape();
            int[] out = new int[s.length - 1 + is.length];
            System.arraycopy(s, 0, out, 0, a);
            System.arraycopy(is, 0, out, a, is.length);
            System.arraycopy(s, a + 1, out, a + is.length, s.length - a - 1);
            return Op.one(Value.of(x.indexSelect(a, flat).reshape(out), in[0].type()));
        };
    }

    static Op expand(NodeContext c) {
        return in -> {
            Tensor x = in[0].tensor();
            int[] shape = broadcast(x.shape(), in[1].ints("shape"));
            return Op.one(Value.of(x.expand(shape).contiguous(), in[0].type()));
        };
    }

    static Op pad(NodeContext c) {
        String mode = c.string("mode", "constant");
        c.require(mode.equals("constant") || mode.equals("reflect") || mode.equals("edge"), "mode", mode);
        return in -> {
            Tensor x = in[0].tensor();
            if (in.length > 3 && in[3] != null) throw new IllegalArgumentException("the axes input is not supported");
            int[] p = in[1].ints("pads");
            int r = x.dim();
            if (p.length != 2 * r) throw new IllegalArgumentException("pads " + Arrays.toString(p) + " for rank " + r);
            if (Arrays.stream(p).anyMatch(v -> v < 0)) throw new IllegalArgumentException("negative pads " + Arrays.toString(p));
            int[] torch = new int[2 * r];
            for (int i = 0; i < r; i++) {
                torch[2 * i] = p[r - 1 - i];
                torch[2 * i + 1] = p[2 * r - 1 - i];
            }
            float value = in.length > 2 && in[2] != null ? (float) scalar(in[2], "constant_value") : 0f;
            Tensor y = switch (mode) {
                case "reflect" -> Padding.pad(x, torch, Padding.Mode.REFLECT);
                case "edge" -> Padding.pad(x, torch, Padding.Mode.REPLICATE);
                default -> Padding.pad(x, torch, value);
            };
            return Op.one(Value.of(y, in[0].type()));
        };
    }

    /** A constant scalar input (Range's bounds, Pad's value), which must be known at load. */
    private static double scalar(Value v, String what) {
        if (!v.constant()) throw new IllegalArgumentException(what + " must be known at load, but it depends on the graph's inputs");
        float[] a = v.tensor().toArray();
        if (a.length != 1) throw new IllegalArgumentException(what + " must be a scalar, got " + a.length + " values");
        return a[0];
    }

    static Op range(NodeContext c) {
        return in -> {
            double start = scalar(in[0], "start"), limit = scalar(in[1], "limit"), delta = scalar(in[2], "delta");
            if (delta == 0) throw new IllegalArgumentException("delta 0");
            int n = (int) Math.max(0, Math.ceil((limit - start) / delta));
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (start + i * delta);
            return Op.one(Value.of(Tensor.of(in[0].tensor().device(), v, n), in[0].type()));
        };
    }

    static Op identity(NodeContext c) {
        return in -> Op.one(Value.of(in[0].tensor().reshape(in[0].shape()), in[0].type()));
    }

    /** Dropout at inference: the identity (training_mode, when given, must be a constant false). */
    static Op dropout(NodeContext c) {
        c.integer("seed", 0);
        c.atMostOutputs(1);
        return in -> {
            if (in.length > 2 && in[2] != null && in[2].longs("training_mode")[0] != 0) throw new IllegalArgumentException("training_mode is not supported");
            return Op.one(Value.of(in[0].tensor().reshape(in[0].shape()), in[0].type()));
        };
    }
}
