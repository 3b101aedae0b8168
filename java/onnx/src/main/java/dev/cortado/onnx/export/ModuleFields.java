package dev.cortado.onnx.export;

import dev.cortado.nn.Module;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * The layer settings cortado-core keeps private (a convolution's stride and padding, a pooling
 * window, a normalisation's epsilon, a module's children): the exporter reads them here, and only
 * here, by reflection. The export tests build every layer kind, so a renamed field fails them.
 */
final class ModuleFields {

    private ModuleFields() {
    }

    /** The direct children of {@code m} by their state_dict names, in registration order. */
    @SuppressWarnings("unchecked")
    static Map<String, Module> children(Module m) {
        try {
            Method children = Module.class.getDeclaredMethod("childModules");
            children.setAccessible(true);
            return (Map<String, Module>) children.invoke(m);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("OnnxExport: cannot list the children of a " + m.getClass().getName()
                    + " (Module.childModules of this cortado-core): " + e, e);
        }
    }

    /** The value of {@code m}'s private field {@code name}. */
    static Object get(Module m, String name) {
        try {
            Field f = m.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(m);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("OnnxExport: cannot read " + m.getClass().getName() + "." + name + " (the exporter and this cortado-core"
                    + " disagree): " + e, e);
        }
    }

    static int integer(Module m, String name) {
        return (Integer) get(m, name);
    }

    static float real(Module m, String name) {
        return (Float) get(m, name);
    }

    static boolean bool(Module m, String name) {
        return (Boolean) get(m, name);
    }
}
