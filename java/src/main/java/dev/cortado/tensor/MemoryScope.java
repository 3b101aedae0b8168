package dev.cortado.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Owns the tensors created on this thread while it is open and frees them when it closes, so a
 * training step's intermediates (activations, gradients of non-leaves, temporaries) go away
 * deterministically at the end of the step:
 *
 * <pre>{@code
 * try (MemoryScope step = MemoryScope.open()) {
 *     optimizer.zeroGrad();
 *     Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), labels);
 *     loss.backward();
 *     optimizer.step();
 * } // every tensor made inside is closed here; parameters and their .grad live on
 * }</pre>
 *
 * A scope is the fast, deterministic path. Tensors made outside any scope and never closed are
 * not lost either: their memory goes back when the GC finds them unreachable (see
 * {@link dev.cortado.memory.CachingAllocator}), later and at the cost of a collection.
 *
 * Scopes nest; a tensor belongs to the innermost open scope. {@link Tensor#keep()} takes a tensor
 * out of its scope, and the caller then owns it.
 */
public final class MemoryScope implements AutoCloseable {

    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private MemoryScope() {
    }

    public static MemoryScope open() {
        MemoryScope s = new MemoryScope();
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope on this thread, or null. */
    static MemoryScope current() {
        return STACK.get().peek();
    }

    void adopt(Tensor t) {
        owned.add(t);
    }

    void release(Tensor t) {
        owned.remove(t);
    }

    /** Number of tensors this scope will close. */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) throw new IllegalStateException("a MemoryScope must be closed on the thread that opened it");
        ArrayDeque<MemoryScope> stack = STACK.get();
        if (stack.peek() != this) throw new IllegalStateException("MemoryScopes must close innermost first");
        stack.pop();
        closed = true;
        List<Tensor> all = new ArrayList<>(owned);
        owned.clear();
        for (Tensor t : all) t.closeFromScope();
    }
}
