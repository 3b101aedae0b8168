package dev.cortado.kernels;

import dev.cortado.memory.Device;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Times every kernel call of a kernel set, grouped by kernel and shape (the int, long, boolean
 * and {@link Window} arguments), so one can see where a training step spends its time:
 * <pre>{@code
 * KernelProfiler p = new KernelProfiler(Backends.of(Device.CPU));
 * try (var s = Backends.use(p.kernels())) { ...run steps... }
 * System.out.print(p.report(steps));
 * }</pre>
 * Kernels run synchronously on the calling thread, so wall time around the call is the kernel's time.
 */
public final class KernelProfiler {

    private final KernelSet kernels;
    private final Map<String, long[]> stats = new ConcurrentHashMap<>(); // key -> {calls, nanos}

    public KernelProfiler(KernelSet target) {
        if (target == null) throw new IllegalArgumentException("target kernel set is null");
        InvocationHandler timer = (proxy, method, args) -> {
            if (args == null || method.getDeclaringClass() == Object.class) return invoke(target, method, args);
            long t0 = System.nanoTime();
            Object result = invoke(target, method, args);
            long dt = System.nanoTime() - t0;
            long[] s = stats.computeIfAbsent(key(method, args), x -> new long[2]);
            synchronized (s) {
                s[0]++;
                s[1] += dt;
            }
            return result;
        };
        kernels = (KernelSet) Proxy.newProxyInstance(KernelSet.class.getClassLoader(), new Class<?>[] {KernelSet.class}, timer);
    }

    private static Object invoke(KernelSet target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static String key(Method method, Object[] args) {
        StringBuilder sb = new StringBuilder(method.getName()).append('(');
        String sep = "";
        for (Object a : args) {
            String s = a instanceof Window w
                    ? w.channels() + "x" + w.height() + "x" + w.width() + " k" + w.kernelH() + "x" + w.kernelW()
                      + " s" + w.strideH() + " p" + w.padH()
                    : a instanceof Boolean b ? (b ? "T" : "N")
                    : a instanceof Integer || a instanceof Long ? a.toString() : null;
            if (s != null) {
                sb.append(sep).append(s);
                sep = ",";
            }
        }
        return sb.append(')').toString();
    }

    /** The timing kernel set; route ops to it with {@link Backends#use(KernelSet)}. */
    public KernelSet kernels() {
        return kernels;
    }

    /** Forgets what was timed so far (e.g. after warm-up). */
    public void reset() {
        stats.clear();
    }

    /** Total nanoseconds spent in kernels so far. */
    public long totalNanos() {
        return stats.values().stream().mapToLong(s -> s[1]).sum();
    }

    /** A table of kernels by total time, in milliseconds per {@code per} (e.g. per training step). */
    public String report(int per) {
        if (per <= 0) throw new IllegalArgumentException("per must be > 0, got " + per);
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(stats.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        double total = totalNanos() / 1e6 / per;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%9s %6s %7s  %s%n", "ms/" + "step", "calls", "share", "kernel(shape)"));
        for (Map.Entry<String, long[]> r : rows) {
            double ms = r.getValue()[1] / 1e6 / per;
            sb.append(String.format(Locale.ROOT, "%9.3f %6.1f %6.1f%%  %s%n", ms, (double) r.getValue()[0] / per,
                    100 * ms / total, r.getKey()));
        }
        return sb.append(String.format(Locale.ROOT, "%9.3f          total in kernels%n", total)).toString();
    }
}
