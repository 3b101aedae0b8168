package dev.cortado.nn;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The text of {@link Module#summary(int...)}: one row per layer (the layers of a Sequential,
 * nested ones flattened with dotted names; any other module is one row), its output shape for
 * the given input shape, and its parameter count; then the total.
 */
final class Summary {

    private record Row(String name, String type, String shape, long params) {
    }

    private final List<Row> rows = new ArrayList<>();

    private Summary() {
    }

    static String of(Module module, int[] inputShape) {
        if (module == null) throw new IllegalArgumentException("summary: module is null");
        if (inputShape == null) throw new IllegalArgumentException("summary: inputShape is null");
        Summary s = new Summary();
        if (inputShape.length == 0) {
            s.list("", module);
        } else {
            Shape.numel(inputShape); // refuses negative sizes, naming the shape
            List<Boolean> modes = new ArrayList<>();
            saveModes(module, modes);
            module.eval(); // dropout off, and its generator untouched
            try (GradMode off = GradMode.off(); MemoryScope scope = MemoryScope.open()) {
                s.forward("", module, Tensor.zeros(module.device(), inputShape));
            } finally {
                restoreModes(module, modes.iterator());
            }
        }
        return s.format(inputShape, module.parameterCount());
    }

    /** Runs m on x, one row per layer; returns m's output. */
    private Tensor forward(String name, Module m, Tensor x) {
        if (m instanceof Layers.Sequential seq) {
            Module[] layers = seq.layers();
            for (int i = 0; i < layers.length; i++) x = forward(join(name, i), layers[i], x);
            return x;
        }
        Tensor y;
        try {
            y = m.forward(x);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("summary: layer " + (name.isEmpty() ? "" : name + " ") + "(" + m.kind() + ") cannot take input "
                    + Shape.str(x.shape()) + ": " + e.getMessage(), e);
        }
        rows.add(new Row(name, m.kind(), Shape.str(y.shape()), m.parameterCount()));
        return y;
    }

    /** The rows without output shapes. */
    private void list(String name, Module m) {
        if (m instanceof Layers.Sequential seq) {
            Module[] layers = seq.layers();
            for (int i = 0; i < layers.length; i++) list(join(name, i), layers[i]);
        } else {
            rows.add(new Row(name, m.kind(), "-", m.parameterCount()));
        }
    }

    private static String join(String prefix, int i) {
        return prefix.isEmpty() ? Integer.toString(i) : prefix + "." + i;
    }

    private String format(int[] inputShape, long total) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"Layer (type)", "Output shape", "Params"});
        cells.add(new String[] {"input", inputShape.length == 0 ? "-" : Shape.str(inputShape), ""});
        for (Row r : rows) {
            String label = r.name().isEmpty() ? r.type() : r.name() + " (" + r.type() + ")";
            cells.add(new String[] {label, r.shape(), count(r.params())});
        }
        int[] width = new int[3];
        for (String[] c : cells) for (int k = 0; k < 3; k++) width[k] = Math.max(width[k], c[k].length());
        String rowFormat = "%-" + width[0] + "s  %-" + width[1] + "s  %" + width[2] + "s";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String[] c = cells.get(i);
            sb.append(String.format(Locale.ROOT, rowFormat, c[0], c[1], c[2]).stripTrailing()).append('\n');
            if (i == 0) sb.append("-".repeat(width[0] + width[1] + width[2] + 4)).append('\n');
        }
        sb.append("Total parameters: ").append(count(total)).append('\n');
        return sb.toString();
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static void saveModes(Module m, List<Boolean> modes) {
        modes.add(m.isTraining());
        for (Module c : m.childModules().values()) saveModes(c, modes);
    }

    private static void restoreModes(Module m, Iterator<Boolean> modes) {
        m.setTrainingOnly(modes.next());
        for (Module c : m.childModules().values()) restoreModes(c, modes);
    }
}
