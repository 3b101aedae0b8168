package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * The shape ops, with PyTorch's semantics: narrow, slice, select, index_select, embedding,
 * gather, concat (cat), stack, split, chunk, transpose, permute, unsqueeze, squeeze, expand and
 * contiguous. Negative dims count from the end; every op checks its arguments and names itself,
 * the argument and the shape when it refuses them.
 *
 * <p>Cortado tensors are contiguous, so a result shares its input's memory (a view, as in
 * PyTorch) only where the elements it picks lie together in that memory: always for unsqueeze,
 * squeeze and contiguous; for narrow, slice with step 1, select, split and chunk when every axis
 * before {@code dim} has size 1 (e.g. any narrow along dim 0); for permute, transpose and expand
 * when they keep the element order. Every other case is one strided copy. Writing into a view
 * changes its base; writing into a copy does not.
 *
 * <p>Every op is differentiable in its tensor input; gather, index_select and embedding read
 * their index in backward (backward refuses an index changed in place since), and indices never
 * receive gradients.
 */
public final class Shapes {

    private Shapes() {
    }

    // ---- narrow, slice, select, split, chunk ----------------------------------------------------

    /** Elements {@code start .. start + length - 1} along {@code dim} (torch.narrow; a negative start counts from the end). */
    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        Checks.notNull("narrow", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("narrow", dim, s);
        int size = s[d];
        if (length < 0) throw new IllegalArgumentException("narrow: length " + length + " must be >= 0 (shape " + Shape.str(s) + ")");
        if (start < -size || start > size) {
            throw new IllegalArgumentException("narrow: start " + start + " out of range for size " + size + " of dim " + d
                    + " of shape " + Shape.str(s) + " (expected " + -size + " to " + size + ")");
        }
        int from = start < 0 ? start + size : start;
        if ((long) from + length > size) {
            throw new IllegalArgumentException("narrow: start " + start + " + length " + length + " exceeds size " + size
                    + " of dim " + d + " of shape " + Shape.str(s));
        }
        return range("narrow", x, d, from, length, 1);
    }

    /**
     * {@code x[..., start:end:step, ...]} along {@code dim}, as Python slices it: negative start
     * and end count from the end, both are then clamped to [0, size], and an end at or before
     * the start gives an empty axis. step must be >= 1.
     */
    public static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        Checks.notNull("slice", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("slice", dim, s);
        if (step < 1) throw new IllegalArgumentException("slice: step " + step + " must be >= 1 (shape " + Shape.str(s) + ")");
        int size = s[d];
        int from = clamp(start < 0 ? (long) start + size : start, size), to = clamp(end < 0 ? (long) end + size : end, size);
        int count = to > from ? (int) (((long) to - from + step - 1) / step) : 0;
        return range("slice", x, d, from, count, step);
    }

    private static int clamp(long v, int size) {
        return (int) Math.max(0, Math.min(size, v));
    }

    /** Element {@code index} along {@code dim}, dropping that axis (a negative index counts from the end). */
    public static Tensor select(Tensor x, int dim, int index) {
        Checks.notNull("select", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("select", dim, s);
        int size = s[d];
        if (index < -size || index >= size) {
            throw new IllegalArgumentException("select: index " + index + " out of range for size " + size + " of dim " + d
                    + " of shape " + Shape.str(s) + (size == 0 ? " (the axis is empty)" : " (expected " + -size + " to " + (size - 1) + ")"));
        }
        long[] cs = Strides.contiguous(s);
        long offset = (index < 0 ? index + size : index) * cs[d];
        return strided("select", x, drop(s, d), drop(cs, d), offset);
    }

    /**
     * Pieces of {@code size} along {@code dim}, the last one smaller when size does not divide
     * the axis (torch.split). size 0 is allowed only for an empty axis, which gives one piece.
     */
    public static Tensor[] split(Tensor x, int dim, int size) {
        Checks.notNull("split", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("split", dim, s);
        int n = s[d];
        if (size < 0 || size == 0 && n > 0) {
            throw new IllegalArgumentException("split: size " + size + " must be > 0" + (size == 0 ? " for the non-empty dim " + d : "")
                    + " of shape " + Shape.str(s));
        }
        int count = size == 0 ? 1 : Math.max(1, (int) (((long) n + size - 1) / size));
        int[] lengths = new int[pieceCount("split", count, s, d)];
        for (int i = 0; i < count; i++) lengths[i] = (int) Math.min(size, n - (long) i * size);
        return pieces("split", x, d, lengths);
    }

    /**
     * {@code n} pieces along {@code dim} by torch.chunk's rule: pieces of ceil(size / n), the
     * last smaller, so there may be fewer than n; an empty axis gives n empty pieces.
     */
    public static Tensor[] chunk(Tensor x, int dim, int n) {
        Checks.notNull("chunk", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("chunk", dim, s);
        if (n < 1) throw new IllegalArgumentException("chunk: n " + n + " must be >= 1 (shape " + Shape.str(s) + ")");
        int size = s[d];
        if (size == 0) return pieces("chunk", x, d, new int[pieceCount("chunk", n, s, d)]);
        int piece = (int) (((long) size + n - 1) / n);
        int count = (int) (((long) size + piece - 1) / piece);
        int[] lengths = new int[pieceCount("chunk", count, s, d)];
        for (int i = 0; i < count; i++) lengths[i] = Math.min(piece, size - i * piece);
        return pieces("chunk", x, d, lengths);
    }

    /** The most pieces split and chunk make: each is a tensor object (more would only run the Java heap out). */
    static final int MAX_PIECES = 1 << 20;

    private static int pieceCount(String op, int count, int[] s, int d) {
        if (count > MAX_PIECES) {
            throw new IllegalArgumentException(op + ": " + count + " pieces along dim " + d + " of shape " + Shape.str(s) + " (at most "
                    + MAX_PIECES + ")");
        }
        return count;
    }

    /**
     * Pieces of the given lengths along axis d, all of lengths[0] but the last. Where they are
     * not windows of x (an axis before d is longer than 1), one strided copy lays the equal
     * pieces out one after another and each is a view of that copy: one allocation and one
     * kernel call instead of one per piece.
     */
    private static Tensor[] pieces(String op, Tensor x, int d, int[] lengths) {
        Tensor[] out = new Tensor[lengths.length];
        int[] s = x.shape();
        int size = lengths.length == 0 ? 0 : lengths[0];
        int equal = lengths.length > 0 && lengths[lengths.length - 1] == size ? lengths.length : lengths.length - 1;
        long outer = Strides.prod(s, 0, d), inner = Strides.prod(s, d + 1, s.length);
        if (equal < 2 || outer < 2 || size == 0 || inner == 0) return rangePieces(op, x, d, lengths, out, 0);
        // x as [outer, equal, size, inner], read as [equal, outer, size, inner]
        long[] strides = {size * inner, s[d] * inner, inner, 1};
        Tensor laidOut = strided(op, x, new int[] {equal, (int) outer, size, (int) inner}, strides, 0);
        int[] shape = s.clone();
        shape[d] = size;
        long step = outer * size * inner;
        for (int i = 0; i < equal; i++) out[i] = Autograd.named(laidOut.view(i * step, shape), op);
        Autograd.closeUnlessRecorded(out[0], laidOut);
        return rangePieces(op, x, d, lengths, out, equal);
    }

    /** Pieces from index {@code first} on, each a window or a strided copy of x. */
    private static Tensor[] rangePieces(String op, Tensor x, int d, int[] lengths, Tensor[] out, int first) {
        int start = 0;
        for (int i = 0; i < first; i++) start += lengths[i];
        for (int i = first; i < lengths.length; i++) {
            out[i] = range(op, x, d, start, lengths[i], 1);
            start += lengths[i];
        }
        return out;
    }

    /** {@code count} elements along axis d from {@code start}, {@code step} apart (arguments checked). */
    private static Tensor range(String op, Tensor x, int d, int start, int count, int step) {
        int[] s = x.shape(), shape = s.clone();
        long[] cs = Strides.contiguous(s), strides = cs.clone();
        shape[d] = count;
        strides[d] = cs[d] * step;
        return strided(op, x, shape, strides, start * cs[d]);
    }

    // ---- index_select, embedding, gather -------------------------------------------------------

    /**
     * The elements at {@code index} along {@code dim} (torch.index_select): index is a 1-D
     * tensor of integer positions stored as floats; repeats are allowed and their gradients add up.
     */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Checks.notNull("indexSelect", "x", x);
        Checks.notNull("indexSelect", "index", index);
        Checks.sameDevice("indexSelect", x, index);
        int[] s = x.shape();
        int d = Strides.axis("indexSelect", dim, s);
        if (index.dim() != 1) {
            throw new IllegalArgumentException("indexSelect: index must be 1-D, got shape " + Shape.str(index.shape())
                    + " (x shape " + Shape.str(s) + ")");
        }
        int[] shape = s.clone();
        shape[d] = index.size(0);
        return gathered("indexSelect", "index_select", x, d, index, shape, shape[d], 0, 1, 0);
    }

    /**
     * Rows of {@code weight} [num, dim] at {@code ids} (integer row numbers as floats, any
     * shape): a result of shape ids.shape + [dim], the embedding lookup
     * ({@code indexSelect(weight, 0, ids)} for any ids shape). Repeated ids' gradients add up.
     */
    public static Tensor embedding(Tensor weight, Tensor ids) {
        Checks.rank("embedding", "weight", weight, 2);
        Checks.notNull("embedding", "ids", ids);
        Checks.sameDevice("embedding", weight, ids);
        int[] is = ids.shape(), shape = Arrays.copyOf(is, is.length + 1);
        shape[is.length] = weight.size(1);
        return gathered("embedding", "embedding", weight, 0, ids, shape, ids.numel(), 0, 1, 0);
    }

    /**
     * torch.gather: {@code y[i...] = x[i with i_dim replaced by index[i...]]}. index has x's rank
     * and x's sizes on every axis but {@code dim}; the result has index's shape. Repeated
     * positions' gradients add up.
     */
    public static Tensor gather(Tensor x, int dim, Tensor index) {
        Checks.notNull("gather", "x", x);
        Checks.notNull("gather", "index", index);
        Checks.sameDevice("gather", x, index);
        int[] s = x.shape(), is = index.shape();
        int d = Strides.axis("gather", dim, s);
        if (is.length != s.length) {
            throw new IllegalArgumentException("gather: index shape " + Shape.str(is) + " must have the rank of x shape " + Shape.str(s));
        }
        for (int k = 0; k < s.length; k++) {
            if (k != d && is[k] != s[k]) {
                throw new IllegalArgumentException("gather: index shape " + Shape.str(is) + " and x shape " + Shape.str(s)
                        + " differ at dim " + k + " (only dim " + d + ", the one gathered along, may differ)");
            }
        }
        long inner = Strides.prod(s, d + 1, s.length);
        return gathered("gather", "gather", x, d, index, is, is[d], is[d] * inner, inner, 1);
    }

    /**
     * y [outer, count, inner] from x [outer, len, inner] (len = x's size along d) through the
     * gather kernel with the given index strides, recorded with a scatter-add backward that reads
     * the index.
     */
    private static Tensor gathered(String op, String name, Tensor x, int d, Tensor index, int[] shape, long count,
                                   long is0, long is1, long is2) {
        int[] s = x.shape();
        long outer = Strides.prod(s, 0, d), len = s[d], inner = Strides.prod(s, d + 1, s.length);
        Tensor y = Tensor.empty(x.device(), shape);
        if (y.numel() > 0) {
            try {
                x.kernels().gather(outer, len, inner, count, x.ptr(), index.ptr(), is0, is1, is2, y.ptr());
            } catch (IllegalArgumentException e) {
                y.close();
                throw badIndex(op, index, len, d, s, e);
            }
        }
        return Autograd.record(y, name, Autograd.saves(index), g -> {
            Tensor dx = Tensor.zeros(g.device(), s);
            if (g.numel() > 0) g.kernels().scatterAdd(outer, len, inner, count, index.ptr(), is0, is1, is2, g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    /** The kernel refused an index: name the first bad one by its place in the index tensor (a host read, on the error path only). */
    private static IllegalArgumentException badIndex(String op, Tensor index, long len, int d, int[] s, IllegalArgumentException e) {
        float[] v = index.toArray();
        int[] is = index.shape();
        for (int k = 0; k < v.length; k++) {
            if (!(v[k] >= 0 && v[k] < len) || v[k] != Math.rint(v[k])) {
                return new IllegalArgumentException(op + ": index " + v[k] + " at " + Arrays.toString(unflatten(is, k))
                        + " is not an integer in [0, " + len + ") (size " + len + " of dim " + d + " of shape " + Shape.str(s) + ")", e);
            }
        }
        return e;
    }

    private static int[] unflatten(int[] shape, int flat) {
        int[] at = new int[shape.length];
        for (int k = shape.length - 1; k >= 0; k--) {
            at[k] = flat % shape[k];
            flat /= shape[k];
        }
        return at;
    }

    // ---- concat, stack -------------------------------------------------------------------------

    /** The tensors joined along {@code dim} (torch.cat): equal ranks, equal sizes except along dim. */
    public static Tensor concat(int dim, Tensor... tensors) {
        Tensor[] ts = operands("concat", tensors);
        int[] s0 = ts[0].shape();
        int d = Strides.axis("concat", dim, s0);
        long total = 0;
        for (int i = 0; i < ts.length; i++) {
            int[] si = ts[i].shape();
            if (si.length != s0.length) {
                throw new IllegalArgumentException("concat: shapes " + Shape.str(s0) + " (tensors[0]) and " + Shape.str(si) + " (tensors[" + i
                        + "]) differ in rank");
            }
            for (int k = 0; k < s0.length; k++) {
                if (k != d && si[k] != s0[k]) {
                    throw new IllegalArgumentException("concat: shapes " + Shape.str(s0) + " (tensors[0]) and " + Shape.str(si) + " (tensors["
                            + i + "]) differ at dim " + k + " (only dim " + d + ", the one joined along, may differ)");
                }
            }
            total += si[d];
        }
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("concat: " + total + " elements along dim " + d + " are too many");
        int[] shape = s0.clone();
        shape[d] = (int) total;
        long[] cs = Strides.contiguous(shape);
        long[][] strides = new long[ts.length][];
        long[] offsets = new long[ts.length];
        long start = 0;
        for (int i = 0; i < ts.length; i++) {
            strides[i] = cs;
            offsets[i] = start * cs[d];
            start += ts[i].size(d);
        }
        return join("concat", ts, shape, strides, offsets);
    }

    /** The tensors (all of one shape) stacked along a new axis {@code dim} of the result (torch.stack). */
    public static Tensor stack(int dim, Tensor... tensors) {
        Tensor[] ts = operands("stack", tensors);
        int[] s0 = ts[0].shape();
        for (int i = 1; i < ts.length; i++) {
            if (!Arrays.equals(ts[i].shape(), s0)) {
                throw new IllegalArgumentException("stack: shapes " + Shape.str(s0) + " (tensors[0]) and " + Shape.str(ts[i].shape())
                        + " (tensors[" + i + "]) differ (stack needs equal shapes)");
            }
        }
        int d = Strides.axis("stack", dim, s0, s0.length + 1);
        int[] shape = insert(s0, d, ts.length);
        long[] cs = Strides.contiguous(shape), each = drop(cs, d);
        long[][] strides = new long[ts.length][];
        long[] offsets = new long[ts.length];
        for (int i = 0; i < ts.length; i++) {
            strides[i] = each;
            offsets[i] = i * cs[d];
        }
        return join("stack", ts, shape, strides, offsets);
    }

    /** A non-empty copy of the operand array, every tensor open and on the first one's device. */
    private static Tensor[] operands(String op, Tensor[] tensors) {
        if (tensors == null || tensors.length == 0) throw new IllegalArgumentException(op + ": no tensors given");
        Tensor[] ts = tensors.clone();
        for (int i = 0; i < ts.length; i++) {
            Checks.notNull(op, "tensors[" + i + "]", ts[i]);
            Checks.sameDevice(op, ts[0], ts[i]);
        }
        return ts;
    }

    /**
     * A new tensor of {@code shape} whose elements {@code offsets[i] + Σ j_d·strides[i]_d} are
     * tensors[i]; every element is written by exactly one input. Backward reads each input's
     * window of the gradient back out.
     */
    private static Tensor join(String op, Tensor[] ts, int[] shape, long[][] strides, long[] offsets) {
        Tensor y = Tensor.empty(ts[0].device(), shape);
        for (int i = 0; i < ts.length; i++) Strides.copyInto(ts[i], y, strides[i], offsets[i]);
        return Autograd.record(y, op, g -> {
            Tensor[] grads = new Tensor[ts.length];
            for (int i = 0; i < ts.length; i++) grads[i] = ts[i].requiresGrad() ? read(g, ts[i].shape(), strides[i], offsets[i]) : null;
            return grads;
        }, ts);
    }

    // ---- transpose, permute, expand ------------------------------------------------------------

    /** x with axes d0 and d1 swapped. */
    public static Tensor transpose(Tensor x, int d0, int d1) {
        Checks.notNull("transpose", "x", x);
        int[] s = x.shape();
        int a = Strides.axis("transpose", d0, s), b = Strides.axis("transpose", d1, s);
        int[] perm = new int[s.length];
        Arrays.setAll(perm, k -> k);
        perm[a] = b;
        perm[b] = a;
        return permuted("transpose", x, perm);
    }

    /** The transpose of a 2-D x (torch.t); other ranks are refused, naming the shape. */
    public static Tensor t(Tensor x) {
        Checks.notNull("t", "x", x);
        if (x.dim() != 2) {
            throw new IllegalArgumentException("t: needs a 2-D tensor, got shape " + Shape.str(x.shape())
                    + "; use mT() to swap the last two axes or transpose(d0, d1)");
        }
        return permuted("t", x, new int[] {1, 0});
    }

    /** x with its last two axes swapped (torch's x.mT), for x of at least 2 dimensions. */
    public static Tensor mT(Tensor x) {
        Checks.notNull("mT", "x", x);
        int n = x.dim();
        if (n < 2) throw new IllegalArgumentException("mT: needs at least 2 dimensions, got shape " + Shape.str(x.shape()));
        int[] perm = new int[n];
        Arrays.setAll(perm, k -> k);
        perm[n - 2] = n - 1;
        perm[n - 1] = n - 2;
        return permuted("mT", x, perm);
    }

    /** x with its axes reordered: axis k of the result is axis dims[k] of x (dims is a permutation of x's axes). */
    public static Tensor permute(Tensor x, int... dims) {
        Checks.notNull("permute", "x", x);
        int[] s = x.shape();
        if (dims == null) throw new IllegalArgumentException("permute: dims is null (shape " + Shape.str(s) + ")");
        if (dims.length != s.length) {
            throw new IllegalArgumentException("permute: dims " + Arrays.toString(dims) + " name " + dims.length + " axes, shape "
                    + Shape.str(s) + " has " + s.length);
        }
        int[] perm = new int[s.length];
        boolean[] seen = new boolean[s.length];
        for (int k = 0; k < s.length; k++) {
            perm[k] = Strides.axis("permute", dims[k], s);
            if (seen[perm[k]]) {
                throw new IllegalArgumentException("permute: dims " + Arrays.toString(dims) + " are not a permutation of the axes of shape "
                        + Shape.str(s) + " (axis " + perm[k] + " appears twice)");
            }
            seen[perm[k]] = true;
        }
        return permuted("permute", x, perm);
    }

    private static Tensor permuted(String op, Tensor x, int[] perm) {
        int[] s = x.shape(), shape = new int[s.length];
        long[] cs = Strides.contiguous(s), strides = new long[s.length];
        for (int k = 0; k < s.length; k++) {
            shape[k] = s[perm[k]];
            strides[k] = cs[perm[k]];
        }
        return strided(op, x, shape, strides, 0);
    }

    /**
     * x repeated to {@code sizes} (torch.expand): sizes may add leading axes; -1 keeps an
     * existing axis's size; only axes of size 1 grow (to any size, 0 included). The gradient sums
     * over the repeats.
     */
    public static Tensor expand(Tensor x, int... sizes) {
        Checks.notNull("expand", "x", x);
        int[] s = x.shape();
        if (sizes == null) throw new IllegalArgumentException("expand: sizes is null (shape " + Shape.str(s) + ")");
        int lead = sizes.length - s.length;
        if (lead < 0) {
            throw new IllegalArgumentException("expand: sizes " + Arrays.toString(sizes) + " name " + sizes.length
                    + " axes, fewer than the " + s.length + " of shape " + Shape.str(s));
        }
        int[] shape = new int[sizes.length];
        for (int k = 0; k < sizes.length; k++) {
            int want = sizes[k];
            if (k < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: size " + want + " for the new leading dim " + k + " must be >= 0 (sizes "
                            + Arrays.toString(sizes) + ", shape " + Shape.str(s) + "; -1 keeps only existing axes)");
                }
                shape[k] = want;
                continue;
            }
            int have = s[k - lead];
            if (want == -1) want = have;
            if (want < 0) {
                throw new IllegalArgumentException("expand: size " + want + " for dim " + k + " must be >= 0 or -1 (sizes "
                        + Arrays.toString(sizes) + ", shape " + Shape.str(s) + ")");
            }
            if (want != have && have != 1) {
                throw new IllegalArgumentException("expand: size " + have + " of dim " + (k - lead) + " of shape " + Shape.str(s)
                        + " cannot become " + want + " (sizes " + Arrays.toString(sizes) + "; only axes of size 1 grow)");
            }
            shape[k] = want;
        }
        checkNumel("expand", shape);
        Tensor y = read(x, shape, Strides.broadcastStrides(s, shape), 0);
        return Autograd.record(y, "expand", g -> new Tensor[] {Strides.sumTo(g, s)}, x);
    }

    // ---- unsqueeze, squeeze, contiguous (reshapes: always views) ------------------------------

    /** x with a new axis of size 1 at {@code dim} of the result (dim in [-rank-1, rank]). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        Checks.notNull("unsqueeze", "x", x);
        int[] s = x.shape();
        return reshaped("unsqueeze", x, insert(s, Strides.axis("unsqueeze", dim, s, s.length + 1), 1));
    }

    /** x without its axes of size 1. */
    public static Tensor squeeze(Tensor x) {
        Checks.notNull("squeeze", "x", x);
        return reshaped("squeeze", x, Arrays.stream(x.shape()).filter(n -> n != 1).toArray());
    }

    /** x without axis {@code dim} if its size is 1; otherwise x's shape unchanged (as PyTorch). */
    public static Tensor squeeze(Tensor x, int dim) {
        Checks.notNull("squeeze", "x", x);
        int[] s = x.shape();
        int d = Strides.axis("squeeze", dim, s);
        return reshaped("squeeze", x, s[d] == 1 ? drop(s, d) : s);
    }

    /** x itself as a new tensor sharing its memory: every Cortado tensor is contiguous already. */
    public static Tensor contiguous(Tensor x) {
        Checks.notNull("contiguous", "x", x);
        return reshaped("contiguous", x, x.shape());
    }

    /** A reshape view of x recorded as {@code op}. */
    private static Tensor reshaped(String op, Tensor x, int[] shape) {
        int[] from = x.shape();
        Tensor y;
        try (GradMode off = GradMode.off()) {
            y = x.reshape(shape);
        }
        return Autograd.record(y, op, g -> new Tensor[] {g.reshape(from)}, x);
    }

    // ---- the one strided view ------------------------------------------------------------------

    /**
     * x read as {@code shape}: element i of the result is x's element
     * {@code offset + Σ i_d·strides_d}. A view of x when those elements are consecutive and in
     * order, else one strided copy; not recorded.
     */
    private static Tensor read(Tensor x, int[] shape, long[] strides, long offset) {
        boolean empty = Shape.numel(shape) == 0;
        if (empty || isWindow(shape, strides)) {
            try (GradMode off = GradMode.off()) {
                return x.view(empty ? 0 : offset, shape);
            }
        }
        return Strides.copy(x, shape, strides, offset);
    }

    /** Whether the strides step through consecutive elements in row-major order (axes of size 1 may have any stride). */
    private static boolean isWindow(int[] shape, long[] strides) {
        long step = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != step) return false;
            step *= shape[d];
        }
        return true;
    }

    /**
     * {@link #read} recorded as {@code op}, for layouts that pick each element of x at most once
     * (narrow, slice, select, split, chunk, transpose, permute): the gradient is g written back
     * into those positions of a zero tensor of x's shape.
     */
    private static Tensor strided(String op, Tensor x, int[] shape, long[] strides, long offset) {
        int[] from = x.shape();
        boolean covers = Shape.numel(shape) == x.numel(); // distinct positions, as many as x has: all of them
        return Autograd.record(read(x, shape, strides, offset), op, g -> {
            Tensor dx = covers ? Tensor.empty(g.device(), from) : Tensor.zeros(g.device(), from);
            Strides.copyInto(g, dx, strides, offset);
            return new Tensor[] {dx};
        }, x);
    }

    // ---- small helpers -------------------------------------------------------------------------

    private static int[] drop(int[] a, int k) {
        int[] out = new int[a.length - 1];
        System.arraycopy(a, 0, out, 0, k);
        System.arraycopy(a, k + 1, out, k, a.length - k - 1);
        return out;
    }

    private static long[] drop(long[] a, int k) {
        long[] out = new long[a.length - 1];
        System.arraycopy(a, 0, out, 0, k);
        System.arraycopy(a, k + 1, out, k, a.length - k - 1);
        return out;
    }

    private static int[] insert(int[] a, int k, int value) {
        int[] out = new int[a.length + 1];
        System.arraycopy(a, 0, out, 0, k);
        out[k] = value;
        System.arraycopy(a, k, out, k + 1, a.length - k);
        return out;
    }

    private static void checkNumel(String op, int[] shape) {
        try {
            Shape.numel(shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage(), e);
        }
    }
}
