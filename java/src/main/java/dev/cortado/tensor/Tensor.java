package dev.cortado.tensor;

import dev.cortado.autograd.Autograd;
import dev.cortado.autograd.GradMode;
import dev.cortado.autograd.Node;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Device;
import dev.cortado.memory.Leases;
import dev.cortado.memory.Memory;
import dev.cortado.memory.Ptr;
import dev.cortado.memory.Storage;
import dev.cortado.ops.Activations;
import dev.cortado.ops.Arithmetic;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Padding;
import dev.cortado.ops.Shapes;
import dev.cortado.ops.Reductions;
import dev.cortado.ops.Softmax;
import dev.cortado.ops.UnaryMath;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float32 N-d tensor: a shape, a device, and contiguous row-major storage (off-heap on the
 * CPU). Tensors are AutoCloseable: close frees the memory now (views share it until the last
 * one closes); tensors made inside a {@link MemoryScope} are closed with it.
 *
 * <p>Autograd: {@link #requiresGrad(boolean)} marks a leaf; ops on such tensors record a tape,
 * and {@link #backward()} accumulates gradients into each leaf's {@link #grad()}, then frees the
 * tape it ran through ({@link #backward(boolean)} keeps it for another backward).
 */
public final class Tensor implements AutoCloseable {

    private final int[] shape;
    private final long numel;
    private Storage storage; // replaced only by moveTo
    private Ptr ptr;
    private MemoryScope scope;
    private boolean closed;

    private final Version version; // shared by every view of the same memory
    private boolean requiresGrad;
    private Node node;
    private String closedGradFn; // the op that made this tensor, once it is closed (for error messages)
    private Tensor grad;

    /** How many times a tensor's memory was changed in place; views share their base's counter. */
    private static final class Version {
        volatile int value;
    }

    private Tensor(Storage storage, long offset, int[] shape) {
        this(storage, offset, shape, new Version());
    }

    private Tensor(Storage storage, long offset, int[] shape, Version version) {
        this.version = version;
        this.shape = shape;
        this.numel = Shape.numel(shape);
        this.storage = storage;
        this.ptr = new Ptr(storage, offset);
        if (numel > ptr.remaining()) throw new IllegalArgumentException("shape " + Shape.str(shape) + " exceeds its storage");
        this.scope = MemoryScope.current();
        if (scope != null) scope.adopt(this);
    }

    // ---- creation ------------------------------------------------------------------------------
    // Values are made on the host and copied to the device through its allocator, so a seeded
    // tensor has the same values on every device.

    /** Uninitialised memory: for outputs that a kernel overwrites completely. */
    public static Tensor empty(Device device, int... shape) {
        long n = Shape.numel(shape);
        return new Tensor(Storage.allocate(device, n), 0, shape.clone());
    }

    public static Tensor full(Device device, float value, int... shape) {
        Tensor t = empty(device, shape);
        t.kernels().fill(t.numel, value, t.ptr);
        return t;
    }

    public static Tensor full(float value, int... shape) {
        return full(Device.CPU, value, shape);
    }

    public static Tensor zeros(Device device, int... shape) {
        return full(device, 0f, shape);
    }

    public static Tensor zeros(int... shape) {
        return full(Device.CPU, 0f, shape);
    }

    public static Tensor ones(Device device, int... shape) {
        return full(device, 1f, shape);
    }

    public static Tensor ones(int... shape) {
        return full(Device.CPU, 1f, shape);
    }

    /** A tensor on {@code device} holding a copy of {@code data}, which must have exactly numel(shape) values. */
    public static Tensor of(Device device, float[] data, int... shape) {
        if (data == null) throw new IllegalArgumentException("data is null");
        long n = Shape.numel(shape);
        if (data.length != n) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " holds " + n + " values but data has " + data.length);
        }
        Tensor t = empty(device, shape);
        t.copyIn(FloatBuffer.wrap(data), 0, n);
        return t;
    }

    /** A CPU tensor holding a copy of {@code data}, which must have exactly numel(shape) values. */
    public static Tensor of(float[] data, int... shape) {
        return of(Device.CPU, data, shape);
    }

    /**
     * A 1-D CPU tensor holding a copy of {@code values}, as {@code torch.tensor([1., 2., 3.])}:
     * {@code Tensor.of(1f, 2f, 3f)} or {@code Tensor.of(array)} without a shape gives a vector
     * (use {@link #scalar(float)} for a 0-d tensor, {@link #of(float[], int...)} for other shapes).
     */
    public static Tensor of(float... values) {
        if (values == null) throw new IllegalArgumentException("values is null");
        return of(Device.CPU, values, values.length);
    }

    /** A 2-D CPU tensor from rows of equal length. */
    public static Tensor of(float[][] rows) {
        if (rows == null || rows.length == 0) throw new IllegalArgumentException("rows must be non-empty");
        int cols = rows[0].length;
        float[] flat = new float[rows.length * cols];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != cols) {
                throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[r], 0, flat, r * cols, cols);
        }
        return of(flat, rows.length, cols);
    }

    /** A 0-dimensional CPU tensor holding one value. */
    public static Tensor scalar(float value) {
        return scalar(Device.CPU, value);
    }

    /** A 0-dimensional tensor on {@code device} holding one value. */
    public static Tensor scalar(Device device, float value) {
        return of(device, new float[] {value});
    }

    /** Uniform in [lo, hi) on the CPU, drawn from {@code rng} in row-major order. */
    public static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        return uniform(Device.CPU, rng, lo, hi, shape);
    }

    /** Uniform in [lo, hi) on {@code device}, drawn from {@code rng} in row-major order (the same values on every device). */
    public static Tensor uniform(Device device, Rng rng, float lo, float hi, int... shape) {
        if (!(hi >= lo)) throw new IllegalArgumentException("uniform range [" + lo + ", " + hi + ") is empty");
        float[] v = new float[(int) Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return of(device, v, shape);
    }

    /** Uniform in [0, 1) on the CPU. */
    public static Tensor rand(Rng rng, int... shape) {
        return uniform(Device.CPU, rng, 0f, 1f, shape);
    }

    /** Uniform in [0, 1) on {@code device}. */
    public static Tensor rand(Device device, Rng rng, int... shape) {
        return uniform(device, rng, 0f, 1f, shape);
    }

    /** Normal with the given mean and standard deviation, on the CPU. */
    public static Tensor normal(Rng rng, float mean, float std, int... shape) {
        return normal(Device.CPU, rng, mean, std, shape);
    }

    /** Normal with the given mean and standard deviation, on {@code device} (the same values on every device). */
    public static Tensor normal(Device device, Rng rng, float mean, float std, int... shape) {
        if (!(std >= 0)) throw new IllegalArgumentException("std must be >= 0, got " + std);
        float[] v = new float[(int) Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rng.nextGaussian());
        return of(device, v, shape);
    }

    // ---- shape and data ------------------------------------------------------------------------

    public int[] shape() {
        return shape.clone();
    }

    public int dim() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative d counts from the end. */
    public int size(int d) {
        int i = d < 0 ? shape.length + d : d;
        if (i < 0 || i >= shape.length) throw new IllegalArgumentException("dimension " + d + " out of range for shape " + Shape.str(shape));
        return shape[i];
    }

    public long numel() {
        return numel;
    }

    public Device device() {
        return storage.device();
    }

    /** The kernel set for this tensor's device. */
    public KernelSet kernels() {
        return Backends.of(device());
    }

    /** Pointer to this tensor's first element, for kernel calls. */
    public Ptr ptr() {
        checkOpen();
        return ptr;
    }

    public boolean isClosed() {
        return closed;
    }

    // Reading and writing values from the host: explicit copies through the device's allocator.
    // On a device other than the CPU each is a synchronisation point (it waits for the device).

    /** A copy of the values, row-major, on the host. */
    public float[] toArray() {
        checkOpen();
        float[] out = new float[(int) numel];
        copyOut(0, FloatBuffer.wrap(out), numel);
        return out;
    }

    /** The value at a multi-index (a host copy of one element). */
    public float get(int... index) {
        checkOpen();
        float[] v = new float[1];
        copyOut(flatIndex(index), FloatBuffer.wrap(v), 1);
        return v[0];
    }

    /** Writes one value from the host (not recorded by autograd). */
    public void set(float value, int... index) {
        checkMutable();
        copyIn(FloatBuffer.wrap(new float[] {value}), flatIndex(index), 1);
        markModified();
    }

    /** The single value of a one-element tensor (a host copy). */
    public float item() {
        if (numel != 1) throw new IllegalStateException("item() needs one element, shape is " + Shape.str(shape));
        return get(new int[shape.length]);
    }

    /** Copies host values into this tensor (same number of elements), not recorded by autograd. */
    public Tensor copyFrom(float[] values) {
        checkMutable();
        if (values == null || values.length != numel) {
            throw new IllegalArgumentException("copyFrom: " + (values == null ? "null" : values.length + " values") + " for a tensor of "
                    + numel + " elements " + Shape.str(shape));
        }
        copyIn(FloatBuffer.wrap(values), 0, numel);
        return markModified();
    }

    /** Copies n floats from element {@code at} to the host, holding the memory for the copy. */
    private void copyOut(long at, FloatBuffer dst, long n) {
        try (Leases l = Leases.of(ptr)) {
            storage.allocator().copyToHost(ptr.at(at), dst, n);
        }
    }

    /** Copies n floats from the host to element {@code at}, holding the memory for the copy. */
    private void copyIn(FloatBuffer src, long at, long n) {
        try (Leases l = Leases.of(ptr)) {
            storage.allocator().copyFromHost(src, ptr.at(at), n);
        }
    }

    private long flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " coordinates, shape " + Shape.str(shape) + " has " + shape.length);
        }
        long flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape " + Shape.str(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    /** A view with a new shape over the same storage (one dimension may be -1). Differentiable. */
    public Tensor reshape(int... newShape) {
        checkOpen();
        int[] s = Shape.infer(numel, newShape);
        Tensor out = new Tensor(storage.share(), ptr.offset(), s, version);
        return Autograd.record(out, "reshape", g -> new Tensor[] {g.reshape(shape)}, this);
    }

    /**
     * A view of numel(shape) consecutive elements of this tensor, starting {@code offset}
     * elements after its first: the memory-sharing case of PyTorch's as_strided, which narrow,
     * select and split use where the elements they pick lie together. Differentiable: the
     * gradient lands in that window of a zero gradient of this tensor's shape.
     */
    public Tensor view(long offset, int... shape) {
        checkOpen();
        long n = Shape.numel(shape);
        if (offset < 0 || offset + n > numel) {
            throw new IllegalArgumentException("view: " + n + " elements " + Shape.str(shape) + " at offset " + offset
                    + " do not fit in a tensor of " + numel + " elements " + Shape.str(this.shape));
        }
        Tensor out = new Tensor(storage.share(), ptr.offset() + offset, shape.clone(), version);
        int[] from = this.shape;
        return Autograd.record(out, "view", g -> {
            Tensor dx = zeros(g.device(), from);
            if (n > 0) g.kernels().axpy(n, 1f, g.ptr(), dx.ptr().at(offset));
            return new Tensor[] {dx};
        }, this);
    }

    /**
     * This tensor's values on {@code device}: a copy through the allocators (differentiable; the
     * gradient flows back to this device), or a view of this tensor when it is already there.
     * Reading a device's memory into the host is a synchronisation point.
     */
    public Tensor to(Device device) {
        checkOpen();
        if (device == null) throw new IllegalArgumentException("to: device is null");
        if (device.equals(device())) return reshape(shape);
        Tensor out = empty(device, shape);
        Memory.copy(ptr, out.ptr, numel);
        Device from = device();
        return Autograd.record(out, "to", g -> new Tensor[] {g.to(from)}, this);
    }

    /** This tensor's values on the CPU ({@link #to}). */
    public Tensor cpu() {
        return to(Device.CPU);
    }

    /**
     * Moves this tensor's memory (and its gradient's) to {@code device} in place: the same Tensor
     * object then lives there. This is what {@code Module.to} does to parameters and optimizers to
     * their state, as PyTorch's {@code module.to()} does; views made earlier keep the old memory.
     * Only for leaves outside autograd's tape.
     */
    public Tensor moveTo(Device device) {
        checkOpen();
        if (device == null) throw new IllegalArgumentException("moveTo: device is null");
        if (node != null) throw new IllegalStateException("moveTo: only leaf tensors can move (this one was made by " + node.op() + ")");
        if (grad != null) grad.moveTo(device);
        if (device.equals(device())) return this;
        Storage moved = Storage.allocate(device, numel);
        Ptr to = new Ptr(moved, 0);
        Memory.copy(ptr, to, numel);
        storage.release();
        storage = moved;
        ptr = to;
        return markModified();
    }

    /** Keeps the first dimension and flattens the rest: [N, ...] to [N, rest]. */
    public Tensor flatten() {
        if (shape.length == 0) throw new IllegalStateException("flatten() of a 0-d tensor");
        return reshape(shape[0], -1);
    }

    /** A new tensor with the same values (differentiable). */
    public Tensor copy() {
        return Arithmetic.scale("copy", this, 1f);
    }

    /** A view of the same memory outside the autograd graph. */
    public Tensor detach() {
        checkOpen();
        return new Tensor(storage.share(), ptr.offset(), shape.clone(), version);
    }

    /** Another owner of the same memory, same graph position (used by autograd for pass-through gradients). */
    Tensor alias() {
        Tensor t = detach();
        t.requiresGrad = requiresGrad;
        t.node = node;
        return t;
    }

    // ---- in-place updates (not recorded) ------------------------------------------------------

    /** this += other, elementwise, same shape. For updates outside autograd (e.g. the delta rule). */
    public Tensor addInPlace(Tensor other) {
        return axpyInPlace(1f, other);
    }

    /** this += alpha * other, elementwise, same shape. */
    public Tensor axpyInPlace(float alpha, Tensor other) {
        checkMutable();
        Checks.sameShape("axpyInPlace", this, other);
        kernels().axpy(numel, alpha, other.ptr(), ptr);
        return markModified();
    }

    /** Copies {@code other}'s values into this tensor (same shape, any device), bit for bit. */
    public Tensor copyFrom(Tensor other) {
        checkMutable();
        Checks.notNull("copyFrom", "source", other);
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("copyFrom: shapes differ: " + Shape.str(shape) + " vs " + Shape.str(other.shape));
        }
        Memory.copy(other.ptr, ptr, numel);
        return markModified();
    }

    /** Sets every element to {@code value}. */
    public Tensor fill(float value) {
        checkMutable();
        kernels().fill(numel, value, ptr);
        return markModified();
    }

    /**
     * How many times this tensor's memory (shared with its views) was changed in place. Autograd
     * records it for the tensors a backward formula reads, and backward refuses to run on
     * tensors changed since (PyTorch's version counter).
     */
    public int version() {
        return version.value;
    }

    /**
     * Records an in-place change made to this tensor's memory without its methods, e.g. by an
     * optimizer's update kernel; the in-place methods here call it themselves.
     */
    public Tensor markModified() {
        version.value++;
        return this;
    }

    private void checkMutable() {
        checkOpen();
        if (requiresGrad && GradMode.isEnabled()) {
            throw new IllegalStateException("in-place change of a tensor that requires grad; do it inside GradMode.off()");
        }
    }

    // ---- ops (declared in dev.cortado.ops; these delegate) ------------------------------------

    public Tensor add(Tensor other) {
        return Arithmetic.add(this, other);
    }

    public Tensor sub(Tensor other) {
        return Arithmetic.sub(this, other);
    }

    public Tensor mul(Tensor other) {
        return Arithmetic.mul(this, other);
    }

    public Tensor mul(float alpha) {
        return Arithmetic.scale("mul", this, alpha);
    }

    public Tensor add(float c) {
        return Arithmetic.addScalar("add", this, c);
    }

    /** c - this. */
    public Tensor rsub(float c) {
        Tensor negated = Arithmetic.scale("rsub", this, -1f), y = Arithmetic.addScalar("rsub", negated, c);
        Autograd.closeUnlessRecorded(y, negated);
        return y;
    }

    public Tensor sub(float c) {
        return Arithmetic.addScalar("sub", this, -c);
    }

    public Tensor div(Tensor other) {
        return Arithmetic.div(this, other);
    }

    public Tensor div(float c) {
        return Arithmetic.withScalar("div", Arithmetic::div, this, c, false);
    }

    /** c / this. */
    public Tensor rdiv(float c) {
        return Arithmetic.withScalar("rdiv", Arithmetic::div, this, c, true);
    }

    public Tensor pow(Tensor exponent) {
        return Arithmetic.pow(this, exponent);
    }

    public Tensor pow(float exponent) {
        return Arithmetic.withScalar("pow", Arithmetic::pow, this, exponent, false);
    }

    /** c to the power this. */
    public Tensor rpow(float c) {
        return Arithmetic.withScalar("rpow", Arithmetic::pow, this, c, true);
    }

    public Tensor maximum(Tensor other) {
        return Arithmetic.maximum(this, other);
    }

    public Tensor maximum(float c) {
        return Arithmetic.withScalar("maximum", Arithmetic::maximum, this, c, false);
    }

    public Tensor minimum(Tensor other) {
        return Arithmetic.minimum(this, other);
    }

    public Tensor minimum(float c) {
        return Arithmetic.withScalar("minimum", Arithmetic::minimum, this, c, false);
    }

    public Tensor eq(Tensor other) {
        return Arithmetic.eq(this, other);
    }

    public Tensor eq(float c) {
        return Arithmetic.withScalar("eq", Arithmetic::eq, this, c, false);
    }

    public Tensor ne(Tensor other) {
        return Arithmetic.ne(this, other);
    }

    public Tensor ne(float c) {
        return Arithmetic.withScalar("ne", Arithmetic::ne, this, c, false);
    }

    public Tensor lt(Tensor other) {
        return Arithmetic.lt(this, other);
    }

    public Tensor lt(float c) {
        return Arithmetic.withScalar("lt", Arithmetic::lt, this, c, false);
    }

    public Tensor le(Tensor other) {
        return Arithmetic.le(this, other);
    }

    public Tensor le(float c) {
        return Arithmetic.withScalar("le", Arithmetic::le, this, c, false);
    }

    public Tensor gt(Tensor other) {
        return Arithmetic.gt(this, other);
    }

    public Tensor gt(float c) {
        return Arithmetic.withScalar("gt", Arithmetic::gt, this, c, false);
    }

    public Tensor ge(Tensor other) {
        return Arithmetic.ge(this, other);
    }

    public Tensor ge(float c) {
        return Arithmetic.withScalar("ge", Arithmetic::ge, this, c, false);
    }

    public Tensor exp() {
        return UnaryMath.exp(this);
    }

    public Tensor log() {
        return UnaryMath.log(this);
    }

    public Tensor sqrt() {
        return UnaryMath.sqrt(this);
    }

    public Tensor rsqrt() {
        return UnaryMath.rsqrt(this);
    }

    public Tensor abs() {
        return UnaryMath.abs(this);
    }

    public Tensor neg() {
        return UnaryMath.neg(this);
    }

    public Tensor square() {
        return UnaryMath.square(this);
    }

    public Tensor clamp(float min, float max) {
        return UnaryMath.clamp(this, min, max);
    }

    public Tensor softplus(float beta, float threshold) {
        return UnaryMath.softplus(this, beta, threshold);
    }

    public Tensor leakyRelu(float slope) {
        return UnaryMath.leakyRelu(this, slope);
    }

    public Tensor elu(float alpha) {
        return UnaryMath.elu(this, alpha);
    }

    /** GELU, exact (erf) form: PyTorch's default. */
    public Tensor gelu() {
        return UnaryMath.gelu(this);
    }

    /** GELU, tanh form when approximateTanh (PyTorch's approximate='tanh'), else exact. */
    public Tensor gelu(boolean approximateTanh) {
        return UnaryMath.gelu(this, approximateTanh);
    }

    /** GELU by PyTorch's approximate argument: "none" or "tanh". */
    public Tensor gelu(String approximate) {
        return UnaryMath.gelu(this, approximate);
    }

    // shapes (dev.cortado.ops.Shapes): views where the elements lie together, else one strided copy

    public Tensor narrow(int dim, int start, int length) {
        return Shapes.narrow(this, dim, start, length);
    }

    public Tensor slice(int dim, int start, int end, int step) {
        return Shapes.slice(this, dim, start, end, step);
    }

    public Tensor select(int dim, int index) {
        return Shapes.select(this, dim, index);
    }

    public Tensor indexSelect(int dim, Tensor index) {
        return Shapes.indexSelect(this, dim, index);
    }

    public Tensor gather(int dim, Tensor index) {
        return Shapes.gather(this, dim, index);
    }

    public Tensor[] split(int dim, int size) {
        return Shapes.split(this, dim, size);
    }

    public Tensor[] chunk(int dim, int n) {
        return Shapes.chunk(this, dim, n);
    }

    public Tensor transpose(int d0, int d1) {
        return Shapes.transpose(this, d0, d1);
    }

    /** The transpose of a 2-D tensor (PyTorch's {@code t()}); other ranks are refused (use {@link #mT()} or {@link #transpose}). */
    public Tensor t() {
        return Shapes.t(this);
    }

    /** This tensor with its last two axes swapped (PyTorch's {@code mT}): a batch of transposed matrices. */
    public Tensor mT() {
        return Shapes.mT(this);
    }

    public Tensor permute(int... dims) {
        return Shapes.permute(this, dims);
    }

    public Tensor unsqueeze(int dim) {
        return Shapes.unsqueeze(this, dim);
    }

    public Tensor squeeze() {
        return Shapes.squeeze(this);
    }

    public Tensor squeeze(int dim) {
        return Shapes.squeeze(this, dim);
    }

    public Tensor expand(int... sizes) {
        return Shapes.expand(this, sizes);
    }

    /** Every Cortado tensor is contiguous: a view of the same memory. */
    public Tensor contiguous() {
        return Shapes.contiguous(this);
    }

    /** Constant padding (PyTorch's F.pad): pads holds (before, after) pairs from the last axis back. */
    public Tensor pad(int[] pads, float value) {
        return Padding.pad(this, pads, value);
    }

    /** Reflect or replicate padding (F.pad's mode='reflect' / 'replicate'), pads as above. */
    public Tensor pad(int[] pads, Padding.Mode mode) {
        return Padding.pad(this, pads, mode);
    }

    /** The tensors joined along an existing axis (torch.cat). */
    public static Tensor concat(int dim, Tensor... tensors) {
        return Shapes.concat(dim, tensors);
    }

    /** The tensors joined along a new axis (torch.stack). */
    public static Tensor stack(int dim, Tensor... tensors) {
        return Shapes.stack(dim, tensors);
    }

    public Tensor matmul(Tensor other) {
        return Linalg.matmul(this, other);
    }

    public Tensor sigmoid() {
        return Activations.sigmoid(this);
    }

    public Tensor relu() {
        return Activations.relu(this);
    }

    public Tensor tanh() {
        return Activations.tanh(this);
    }

    public Tensor softmax() {
        return Softmax.softmax(this);
    }

    public Tensor logSoftmax() {
        return Softmax.logSoftmax(this);
    }

    public Tensor sum() {
        return Reductions.sum(this);
    }

    public Tensor mean() {
        return Reductions.mean(this);
    }

    public Tensor argmax() {
        return Reductions.argmax(this);
    }

    // Axis reductions without keepdim drop the reduced axes, as PyTorch's default keepdim=False.

    /** Sum along dim, which is dropped from the shape. */
    public Tensor sum(int dim) {
        return sum(dim, false);
    }

    /** Sum over dims, which are dropped from the shape. */
    public Tensor sum(int[] dims) {
        return sum(dims, false);
    }

    /** Mean along dim, which is dropped from the shape. */
    public Tensor mean(int dim) {
        return mean(dim, false);
    }

    /** Mean over dims, which are dropped from the shape. */
    public Tensor mean(int[] dims) {
        return mean(dims, false);
    }

    /** Index of the first maximum along dim (as floats); dim is dropped from the shape. */
    public Tensor argmax(int dim) {
        return argmax(dim, false);
    }

    /** Index of the first minimum along dim (as floats); dim is dropped from the shape. */
    public Tensor argmin(int dim) {
        return argmin(dim, false);
    }

    /** The maxima along dim and their first positions, dim dropped ({@code torch.max(x, dim)}); the values are differentiable. */
    public ValuesIndices max(int dim) {
        return Reductions.maxWithIndices(this, dim);
    }

    /** The minima along dim and their first positions, dim dropped ({@code torch.min(x, dim)}). */
    public ValuesIndices min(int dim) {
        return Reductions.minWithIndices(this, dim);
    }

    /** Variance along dim with Bessel's correction; dim is dropped from the shape. */
    public Tensor var(int dim) {
        return var(dim, false);
    }

    /** Standard deviation along dim with Bessel's correction; dim is dropped from the shape. */
    public Tensor std(int dim) {
        return std(dim, false);
    }

    /** log Σ e^x along dim, which is dropped from the shape. */
    public Tensor logsumexp(int dim) {
        return logsumexp(dim, false);
    }

    public Tensor sum(int dim, boolean keepdim) {
        return Reductions.sum(this, new int[] {dim}, keepdim);
    }

    public Tensor sum(int[] dims, boolean keepdim) {
        return Reductions.sum(this, dims, keepdim);
    }

    public Tensor mean(int dim, boolean keepdim) {
        return Reductions.mean(this, new int[] {dim}, keepdim);
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        return Reductions.mean(this, dims, keepdim);
    }

    /** The largest element, as a 0-d tensor (NaN if there is one). */
    public Tensor max() {
        return Reductions.max(reshape(-1), 0, false);
    }

    public Tensor max(int dim, boolean keepdim) {
        return Reductions.max(this, dim, keepdim);
    }

    /** The smallest element, as a 0-d tensor. */
    public Tensor min() {
        return Reductions.min(reshape(-1), 0, false);
    }

    public Tensor min(int dim, boolean keepdim) {
        return Reductions.min(this, dim, keepdim);
    }

    public Tensor argmax(int dim, boolean keepdim) {
        return Reductions.argmax(this, dim, keepdim);
    }

    public Tensor argmin(int dim, boolean keepdim) {
        return Reductions.argmin(this, dim, keepdim);
    }

    /** Variance along dim with Bessel's correction (count - 1), as PyTorch's default. */
    public Tensor var(int dim, boolean keepdim) {
        return Reductions.var(this, new int[] {dim}, 1, keepdim);
    }

    /** Standard deviation along dim with Bessel's correction. */
    public Tensor std(int dim, boolean keepdim) {
        return Reductions.std(this, new int[] {dim}, 1, keepdim);
    }

    public Tensor logsumexp(int dim, boolean keepdim) {
        return Reductions.logsumexp(this, dim, keepdim);
    }

    public Tensor softmax(int dim) {
        return Softmax.softmax(this, dim);
    }

    public Tensor logSoftmax(int dim) {
        return Softmax.logSoftmax(this, dim);
    }

    // ---- autograd ------------------------------------------------------------------------------

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor whose gradient {@link #backward()} should compute. */
    public Tensor requiresGrad(boolean value) {
        if (node != null) throw new IllegalStateException("requiresGrad can only be set on leaf tensors (this one was made by " + node.op() + ")");
        requiresGrad = value;
        return this;
    }

    /** Accumulated gradient of a leaf, or null before any backward. Owned by this tensor. */
    public Tensor grad() {
        return grad;
    }

    /** Frees and clears the accumulated gradient. */
    public void zeroGrad() {
        if (grad != null) grad.close();
        grad = null;
    }

    /** Name of the op that made this tensor, after it was closed (null for a leaf or an open tensor). */
    public String closedGradFn() {
        return closedGradFn;
    }

    /** Name of the op that made this tensor on the tape, or null for a leaf. */
    public String gradFn() {
        return node == null ? null : node.op();
    }

    /**
     * Back-propagates from this one-element tensor (the loss), then frees the graph: a second
     * backward through it throws (see {@link #backward(boolean)}).
     */
    public void backward() {
        backward(false);
    }

    /**
     * Back-propagates from this one-element tensor; {@code retainGraph} keeps the graph (its
     * saved tensors) for another backward, as PyTorch's {@code retain_graph=True}.
     */
    public void backward(boolean retainGraph) {
        if (numel != 1) throw new IllegalStateException("backward() without a gradient needs a one-element tensor, shape is " + Shape.str(shape));
        try (Tensor seed = full(device(), 1f, shape)) {
            backward(seed, retainGraph);
        }
    }

    /** Back-propagates {@code gradient}, the gradient of some objective with respect to this tensor, then frees the graph. */
    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    /** {@link #backward(Tensor)}, keeping the graph for another backward when {@code retainGraph}. */
    public void backward(Tensor gradient, boolean retainGraph) {
        checkOpen();
        if (gradient == null) throw new IllegalArgumentException("backward: gradient is null");
        gradient.checkOpen();
        Autograd.backward(this, gradient, retainGraph);
    }

    static {
        Autograd.install(new Autograd.TensorHooks() {
            @Override
            public Node node(Tensor t) {
                return t.node;
            }

            @Override
            public void attach(Tensor t, Node n) {
                t.node = n;
                t.requiresGrad = true;
            }

            @Override
            public boolean accumulateGrad(Tensor leaf, Tensor g) {
                return leaf.accumulateGrad(g);
            }

            @Override
            public Tensor alias(Tensor t) {
                return t.alias();
            }
        });
    }

    /**
     * Adds {@code g} into this leaf's gradient. The first gradient of a step is taken as it is
     * when nothing else shares its memory (no copy); returns whether {@code g} was taken, in
     * which case the caller must not close it.
     */
    boolean accumulateGrad(Tensor g) {
        if (grad != null) {
            grad.kernels().axpy(numel, 1f, g.ptr(), grad.ptr());
            return false;
        }
        if (g.storage.isExclusive() && g.ptr.offset() == 0 && g.storage.length() == g.numel && g.node == null && !g.requiresGrad) {
            grad = g.keep();
            return true;
        }
        grad = g.detach().copy().keep();
        return false;
    }

    // ---- ownership -----------------------------------------------------------------------------

    /** Takes this tensor out of its {@link MemoryScope}: the caller now owns it and closes it. */
    public Tensor keep() {
        if (scope != null) scope.release(this);
        scope = null;
        return this;
    }

    /** Frees this tensor's reference to its memory (and its gradient). Idempotent. */
    @Override
    public void close() {
        if (scope != null) scope.release(this);
        closeFromScope();
    }

    void closeFromScope() {
        if (closed) return;
        closed = true;
        scope = null;
        if (node != null) closedGradFn = node.op();
        node = null;
        storage.release();
        if (grad != null) grad.close();
        grad = null;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("tensor " + Shape.str(shape) + " was closed");
    }

    // ---- printing ------------------------------------------------------------------------------

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        if (closed) {
            sb.append("<closed>");
        } else {
            float[] v = toArray();
            appendDims(sb, v, 0, 0, "       ");
        }
        sb.append(", shape=").append(Shape.str(shape)).append(", ").append(device());
        if (node != null) sb.append(", grad_fn=").append(node.op());
        else if (requiresGrad) sb.append(", requires_grad");
        return sb.append(')').toString();
    }

    private static final int EDGE = 3;

    private void appendDims(StringBuilder sb, float[] v, int dim, int base, String indent) {
        if (dim == shape.length) {
            sb.append(fmt(v[base]));
            return;
        }
        int n = shape[dim];
        long stride = Shape.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        boolean summarize = numel > 1000 && n > 2 * EDGE;
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (summarize && i == EDGE) {
                sb.append(dim == shape.length - 1 ? "..., " : "...,\n" + indent + " ".repeat(dim + 1));
                i = n - EDGE;
            }
            appendDims(sb, v, dim + 1, (int) (base + i * stride), indent);
            if (i < n - 1) sb.append(dim == shape.length - 1 ? ", " : ",\n" + indent + " ".repeat(dim + 1));
        }
        sb.append(']');
    }

    private static String fmt(float f) {
        return String.format(java.util.Locale.ROOT, "%.4f", f);
    }
}
