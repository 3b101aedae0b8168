package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Access;
import dev.cortado.kernels.decl.KernelDecl.Param;
import dev.cortado.kernels.decl.KernelDecl.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code CheckedKernels}: per kernel, the mechanical argument checks its declaration
 * implies, in this order — counts and strides >= 0, floats marked finite, windows, ops and shapes
 * present; pointers present (unless optional), not freed, on the kernels' device; the kernel's own
 * {@code @Check}; every pointer holds its extent; no output overlaps an input (unless declared in
 * place of it) or another output — then the call under a lease on every pointer.
 */
final class ChecksWriter {

    private ChecksWriter() {
    }

    static String checked(String pkg, String iface, List<KernelDecl> kernels) {
        StringBuilder s = new StringBuilder();
        s.append("package ").append(pkg).append(";\n\n");
        s.append("import static ").append(pkg).append(".ArgChecks.*;\n");
        s.append("import static ").append(pkg).append(".KernelChecks.*;\n\n");
        s.append(JavaText.imports(pkg, kernels, "dev.cortado.memory.Leases"));
        s.append("""

                /**
                 * Validates every argument of every kernel in Java, then delegates, holding a lease on every
                 * operand's memory while the kernel runs (a close on another thread takes effect when the call is
                 * done). A bad index or freed memory in native code is a SIGSEGV that kills the user's JVM; here it
                 * is an exception that names the argument. Every kernel set is reached through this wrapper
                 * ({@link Backends}). GENERATED from the declarations in %1$s (their @In/@Out/@InOut extents
                 * and @Check statements) by KernelProcessor: do not edit.
                 */
                """.formatted(iface));
        s.append(JavaText.GENERATED).append('\n');
        s.append("""
                public final class CheckedKernels implements %1$s {

                    private final %1$s impl;

                    public CheckedKernels(%1$s impl) {
                        if (impl == null) throw new IllegalArgumentException("kernel set is null");
                        this.impl = impl;
                    }

                    /** The unchecked implementation, for benchmarks that measure the kernel alone. */
                    public %1$s unchecked() {
                        return impl;
                    }

                    @Override
                    public String name() {
                        return impl.name();
                    }

                    @Override
                    public Device.Kind deviceKind() {
                        return impl.deviceKind();
                    }
                """.formatted(iface));
        for (KernelDecl k : kernels) s.append(kernel(k));
        s.append("}\n");
        return s.toString();
    }

    private static String kernel(KernelDecl k) {
        StringBuilder b = new StringBuilder();
        b.append("\n    @Override\n    public void ").append(k.name()).append('(').append(JavaText.params(k)).append(") {\n");
        String shape = null;
        for (Param p : k.params()) {
            String n = p.name();
            switch (p.type()) {
                case INT, LONG -> {
                    if (!p.anyValue()) line(b, "nonNegative(\"" + n + "\", " + n + ");");
                }
                case FLOAT -> {
                    if (p.finite()) line(b, "finite(\"" + n + "\", " + n + ");");
                }
                case WINDOW -> line(b, "present(\"window\", " + n + ");");
                case ENUM -> line(b, "present(\"" + KernelDecl.snake(JavaText.javaType(p)).replace("_op", "").replace("_", " ").strip() + " op\", " + n + ");");
                case SHAPE -> {
                    if (shape == null) {
                        shape = n;
                        line(b, "shape(" + n + ");");
                    } else {
                        line(b, "strides(\"" + label(n) + "\", " + n + ", " + shape + ");");
                    }
                }
                default -> { }
            }
        }
        List<Param> ptrs = new ArrayList<>();
        for (Param p : k.params()) if (p.type() == Type.PTR) ptrs.add(p);
        for (Param p : ptrs) {
            String call = "live(\"" + p.label() + "\", " + p.name() + ", impl);";
            line(b, p.optional() ? "if (" + p.name() + " != null) " + call : call);
        }
        if (!k.check().isEmpty()) line(b, k.check().strip().endsWith(";") ? k.check().strip() : k.check().strip() + ";");
        for (Param p : ptrs) {
            String len = len(p);
            line(b, "long " + len + " = " + (p.optional() ? p.name() + " == null ? 0 : " : "") + "(" + p.extent() + ");");
            String call = "extent(\"" + p.label() + "\", " + p.name() + ", " + len + ");";
            line(b, p.optional() ? "if (" + p.name() + " != null) " + call : call);
        }
        for (int i = 0; i < ptrs.size(); i++) {
            Param out = ptrs.get(i);
            if (!out.isOutput()) continue;
            for (Param in : ptrs) {
                if (in.access() != Access.IN) continue;
                String how = out.inPlace().contains(in.name()) ? "inPlaceOrApart" : "apart";
                line(b, how + "(\"" + out.label() + "\", " + out.name() + ", " + len(out) + ", \"" + in.label() + "\", " + in.name() + ", " + len(in) + ");");
            }
            for (int j = i + 1; j < ptrs.size(); j++) {
                Param other = ptrs.get(j);
                if (!other.isOutput()) continue;
                line(b, "apart(\"" + out.label() + "\", " + out.name() + ", " + len(out) + ", \"" + other.label() + "\", " + other.name() + ", " + len(other) + ");");
            }
        }
        List<String> names = new ArrayList<>();
        for (Param p : ptrs) names.add(p.name());
        line(b, "try (Leases l = Leases.of(" + String.join(", ", names) + ")) {");
        if (!k.leasedCheck().isEmpty()) {
            line(b, "    " + (k.leasedCheck().strip().endsWith(";") ? k.leasedCheck().strip() : k.leasedCheck().strip() + ";"));
        }
        line(b, "    impl." + k.name() + "(" + JavaText.args(k) + ");");
        line(b, "}");
        return b.append("    }\n").toString();
    }

    /** srcStrides -> "src strides". */
    private static String label(String name) {
        return name.endsWith("Strides") ? name.substring(0, name.length() - "Strides".length()) + " strides" : name;
    }

    private static String len(Param p) {
        return "n$" + p.name();
    }

    private static void line(StringBuilder b, String text) {
        b.append("        ").append(text).append('\n');
    }
}
