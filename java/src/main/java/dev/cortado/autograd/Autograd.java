package dev.cortado.autograd;

import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reverse-mode autograd: ops record themselves here; {@link Tensor#backward()} replays the tape. */
public final class Autograd {

    /**
     * What the tape needs of a tensor beyond its public API: its node on the tape, and adding a
     * gradient into a leaf. Only {@link Tensor} provides it, once, when its class initialises
     * (the JDK's "shared secrets" pattern: the tape lives in this package without Tensor making
     * its graph public).
     */
    public interface TensorHooks {
        Node node(Tensor t);

        void attach(Tensor t, Node n);

        /** Adds g into leaf's gradient; returns whether leaf took g itself (then the caller must not close it). */
        boolean accumulateGrad(Tensor leaf, Tensor g);

        /** Another owner of t's memory at t's place in the graph (for pass-through gradients). */
        Tensor alias(Tensor t);
    }

    private static volatile TensorHooks hooks;

    private Autograd() {
    }

    /** Called once by Tensor's class initialiser. */
    public static void install(TensorHooks tensorHooks) {
        if (hooks != null) throw new IllegalStateException("autograd's tensor hooks are installed already");
        hooks = tensorHooks;
    }

    /**
     * Records that {@code output} was computed by {@code op} from {@code inputs}, when grad mode
     * is on and some input requires grad. Returns {@code output}.
     */
    public static Tensor record(Tensor output, String op, Backward backward, Tensor... inputs) {
        return record(output, op, NOTHING, backward, inputs);
    }

    private static final Tensor[] NOTHING = {};

    /**
     * {@link #record(Tensor, String, Backward, Tensor...)} for an op whose backward reads
     * {@code saved} (inputs, or the output itself): backward throws if any of them is changed in
     * place before it runs, instead of computing a wrong gradient. Nulls in saved are ignored.
     */
    public static Tensor record(Tensor output, String op, Tensor[] saved, Backward backward, Tensor... inputs) {
        if (needsGrad(inputs)) {
            Tensor[] kept = Arrays.stream(saved).filter(java.util.Objects::nonNull).toArray(Tensor[]::new);
            hooks.attach(output, new Node(op, inputs.clone(), backward, kept));
        }
        return output;
    }

    /**
     * Names the node that made {@code result}, the last step of an op composed of other ops, as
     * the user called it ({@code mean}, not the {@code scale} it ends with), for {@code gradFn}
     * and error messages. Does nothing when result is not on the tape. Returns result.
     */
    public static Tensor named(Tensor result, String op) {
        Node n = hooks.node(result);
        if (n != null) n.op = op;
        return result;
    }

    /** Whether an op on these inputs would be recorded: grad mode is on and one of them requires grad. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /**
     * Closes the intermediates of an op composed of other ops, unless its result is on the tape
     * (then the graph holds them until it is dropped).
     */
    public static void closeUnlessRecorded(Tensor result, Tensor... intermediates) {
        if (result.gradFn() != null) return;
        for (Tensor t : intermediates) if (t != null && t != result) t.close();
    }

    /** The tensors a backward formula reads, for {@link #record(Tensor, String, Tensor[], Backward, Tensor...)}. */
    public static Tensor[] saves(Tensor... tensors) {
        return tensors;
    }

    /**
     * Back-propagates {@code seed} (the gradient of {@code root}) into every leaf's {@code grad}.
     * Unless {@code retainGraph}, each node of the graph then drops its inputs, its backward
     * formula and the tensors that formula saved (so their memory can be freed), and a second
     * backward through any of them throws, as PyTorch's does.
     */
    public static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require grad (no input had requiresGrad set)");
        }
        if (!root.device().equals(seed.device())) {
            throw new IllegalArgumentException("gradient on " + seed.device() + " for a tensor on " + root.device());
        }
        if (!Arrays.equals(root.shape(), seed.shape())) {
            throw new IllegalArgumentException("gradient shape " + Arrays.toString(seed.shape())
                    + " does not match tensor shape " + Arrays.toString(root.shape()));
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        try (GradMode off = GradMode.off(); MemoryScope temps = MemoryScope.open()) {
            pending.put(root, hooks.alias(seed));
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = pending.remove(t);
                if (g == null) continue;
                Node node = hooks.node(t);
                if (node == null) {
                    if (!hooks.accumulateGrad(t, g)) g.close();
                } else {
                    propagate(node, g, pending);
                    g.close();
                    if (!retainGraph) node.release();
                }
            }
        }
        if (!retainGraph) for (Tensor t : order) if (hooks.node(t) != null) hooks.node(t).release();
    }

    /** A second backward reached a node that an earlier backward released. */
    private static IllegalStateException releasedGraph(Node node) {
        return new IllegalStateException("backward through the graph a second time: the tensors saved by " + node.op
                + " were freed by the first backward(); call backward(true) (retain the graph) the first time to go back twice,"
                + " or compute the forward again");
    }

    /** A tensor the tape needs was closed before backward: name the op that needs it and what it is. */
    private static IllegalStateException closedInput(Node consumer, Tensor in) {
        String what = in.closedGradFn() != null ? "the output of " + in.closedGradFn() : "a leaf that requires grad";
        return new IllegalStateException("backward: an input " + Shape.str(in.shape()) + " of " + consumer.op + " (" + what
                + ") was closed; keep the tensors a graph uses open until backward() returns");
    }

    private static void propagate(Node node, Tensor g, Map<Tensor, Tensor> pending) {
        node.checkSaved();
        Tensor[] grads;
        try {
            grads = node.backward.apply(g);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("backward of " + node.op + ": " + e.getMessage(), e);
        }
        if (grads.length != node.inputs.length) {
            throw new IllegalStateException(node.op + " backward returned " + grads.length + " gradients for "
                    + node.inputs.length + " inputs");
        }
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int j = 0; j < grads.length; j++) {
            Tensor in = node.inputs[j], gi = grads[j];
            if (gi == null || in == null || !in.requiresGrad()) continue;
            if (gi == g || !seen.add(gi)) gi = hooks.alias(gi); // each pending gradient is closed once
            if (!Arrays.equals(gi.shape(), in.shape())) {
                throw new IllegalStateException(node.op + " backward gave gradient " + Arrays.toString(gi.shape())
                        + " for input " + Arrays.toString(in.shape()));
            }
            Tensor prev = pending.get(in);
            if (prev == null) {
                pending.put(in, gi);
            } else {
                pending.put(in, prev.add(gi));
                prev.close();
                gi.close();
            }
        }
    }

    /** Tensors reachable from root, inputs before the ops that use them (iterative DFS). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>(); // {tensor, next input index}
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node node = hooks.node(t);
            if (node != null && node.released()) throw releasedGraph(node);
            Tensor[] inputs = node == null ? new Tensor[0] : node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in == null || !in.requiresGrad()) continue; // inputs without gradients: their formulas say if they read them
                if (in.isClosed()) throw closedInput(node, in);
                if (visited.add(in)) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
