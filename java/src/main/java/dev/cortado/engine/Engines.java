package dev.cortado.engine;

import dev.cortado.memory.Device;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** The engines on the class path, one per device kind, loaded once by ServiceLoader. */
public final class Engines {

    private static final Map<Device.Kind, Engine> BY_KIND = new EnumMap<>(Device.Kind.class);
    /** Providers that failed to load, with why (a missing native library, a bad jar). */
    private static final List<String> FAILURES = new ArrayList<>();

    static {
        var it = ServiceLoader.load(Engine.class, Engines.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                Engine e = it.next();
                Engine before = BY_KIND.putIfAbsent(e.kind(), e);
                if (before != null) {
                    FAILURES.add(e.getClass().getName() + " ignored: " + before.getClass().getName() + " already runs " + name(e.kind()));
                }
            } catch (ServiceConfigurationError | LinkageError err) {
                FAILURES.add(String.valueOf(err.getMessage()));
            }
        }
    }

    private Engines() {
    }

    /** The engine of {@code kind}; throws naming the kind and the reason when there is none or it cannot run here. */
    public static Engine forKind(Device.Kind kind) {
        Engine e = BY_KIND.get(kind);
        if (e == null) {
            throw new UnsupportedOperationException("no engine for " + name(kind) + ": none on the class path provides it"
                    + " (add " + kind.engineArtifact() + ")"
                    + (FAILURES.isEmpty() ? "" : "; failed to load: " + String.join("; ", FAILURES)));
        }
        String why = e.unavailable();
        if (why != null) throw new UnsupportedOperationException(name(kind) + " unavailable: " + why);
        return e;
    }

    /** Every engine found, available here or not. */
    public static List<Engine> all() {
        return List.copyOf(BY_KIND.values());
    }

    private static String name(Device.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
