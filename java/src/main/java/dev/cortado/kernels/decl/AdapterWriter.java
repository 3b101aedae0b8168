package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the Java side of the native ABI: {@code NativeTable}, the JavaCPP binding of
 * {@code struct cortado_kernels}, and {@code NativeKernels}, the kernel set that calls any
 * native library's table through it and turns a kernel's status into an exception.
 */
final class AdapterWriter {

    private static final String[] WINDOW = {"channels", "height", "width", "kernelH", "kernelW", "strideH", "strideW", "padH", "padW"};

    private AdapterWriter() {
    }

    static String table(String pkg, List<KernelDecl> kernels) {
        StringBuilder s = new StringBuilder();
        s.append("package ").append(pkg).append(";\n\n");
        s.append("""
                import org.bytedeco.javacpp.BytePointer;
                import org.bytedeco.javacpp.Pointer;
                import org.bytedeco.javacpp.annotation.Cast;
                import org.bytedeco.javacpp.annotation.Function;
                import org.bytedeco.javacpp.annotation.MemberGetter;
                import org.bytedeco.javacpp.annotation.Name;
                import org.bytedeco.javacpp.annotation.Platform;

                /**
                 * {@code struct cortado_kernels} of the generated cortado_kernels.h: each method calls the
                 * function-pointer member of the same name. GENERATED from KernelSet by KernelProcessor: do not
                 * edit. A kernel library's javacpp build compiles this class's JNI glue with it (the glue only
                 * calls through the table, so any library's copy serves any table).
                 */
                """);
        s.append(JavaText.GENERATED).append('\n');
        s.append("""
                @Platform(include = "cortado_kernels.h")
                @Name("cortado_kernels")
                final class NativeTable extends Pointer {

                    NativeTable(long address) {
                        this.address = address;
                    }

                    @MemberGetter
                    @Cast("int64_t")
                    native long abi_hash();

                    @Function
                    @Cast("const char*")
                    native BytePointer last_error();
                """);
        for (KernelDecl k : kernels) {
            List<String> params = new ArrayList<>();
            params.add("@Cast(\"const cortado_context*\") long ctx");
            boolean rank = false;
            for (Param p : k.params()) {
                switch (p.type()) {
                    case PTR -> params.add("@Cast(\"" + (p.isOutput() ? "float*" : "const float*") + "\") long " + p.name());
                    case WINDOW -> {
                        for (String f : WINDOW) params.add("int " + f);
                    }
                    case ENUM -> params.add("int " + p.name());
                    case SHAPE -> {
                        if (!rank) params.add("int rank");
                        rank = true;
                        params.add("@Cast(\"const int64_t*\") long[] " + p.name());
                    }
                    default -> params.add(JavaText.javaType(p) + " " + p.name());
                }
            }
            s.append("\n    @Function\n    native int ").append(k.slot()).append('(').append(String.join(", ", params)).append(");\n");
        }
        s.append("}\n");
        return s.toString();
    }

    static String adapter(String pkg, String iface, List<KernelDecl> kernels, long hash) {
        StringBuilder s = new StringBuilder();
        s.append("package ").append(pkg).append(";\n\n");
        s.append(JavaText.imports(pkg, kernels));
        s.append("""

                /**
                 * Any native kernel library as a {@link %1$s}: it binds the kernel table the library exports
                 * ({@code struct cortado_kernels} of the generated cortado_kernels.h) and each kernel is one JNI
                 * call through it, with the library's execution context; a kernel's status other than OK becomes
                 * an exception naming the kernel ({@link KernelStatus}). Pointers travel as addresses: callers
                 * (behind {@link CheckedKernels}) have validated every argument. GENERATED from %1$s by
                 * KernelProcessor: do not edit.
                 */
                """.formatted(iface));
        s.append(JavaText.GENERATED).append('\n');
        s.append("""
                public class NativeKernels implements %1$s {

                    /** The hash of the declarations this class was generated from: CORTADO_KERNELS_ABI_HASH in the header. */
                    public static final long ABI_HASH = %2$dL;

                    private final String name;
                    private final Device.Kind kind;
                    private final NativeTable t;
                    private final long context;

                    /**
                     * Binds the table at {@code table} (as returned by the library's cortado_kernel_table()) and runs
                     * every call in the execution context at {@code context} (a {@code const cortado_context*}).
                     */
                    public NativeKernels(String name, Device.Kind kind, long table, long context) {
                        if (table == 0) throw new IllegalArgumentException(name + ": kernel table address is 0");
                        if (context == 0) throw new IllegalArgumentException(name + ": execution context address is 0");
                        this.name = name;
                        this.kind = kind;
                        this.t = new NativeTable(table);
                        this.context = context;
                        if (t.abi_hash() != ABI_HASH) {
                            throw new IllegalStateException(name + ": native kernel table has ABI hash " + Long.toHexString(t.abi_hash())
                                    + ", this build expects " + Long.toHexString(ABI_HASH) + " (library and jar from different builds)");
                        }
                    }

                    @Override
                    public String name() {
                        return name;
                    }

                    @Override
                    public Device.Kind deviceKind() {
                        return kind;
                    }

                    private void status(String kernel, int status) {
                        if (status == 0) return;
                        org.bytedeco.javacpp.BytePointer detail = t.last_error();
                        KernelStatus.raise(name, kernel, status, detail == null || detail.isNull() ? "" : detail.getString());
                    }
                """.formatted(iface, hash));
        for (KernelDecl k : kernels) {
            List<String> args = new ArrayList<>();
            args.add("context");
            boolean rank = false;
            for (Param p : k.params()) {
                switch (p.type()) {
                    case PTR -> args.add(p.optional() ? p.name() + " == null ? 0 : " + p.name() + ".address()" : p.name() + ".address()");
                    case WINDOW -> {
                        for (String f : WINDOW) args.add(p.name() + "." + f + "()");
                    }
                    case ENUM -> args.add(p.name() + ".ordinal()");
                    case SHAPE -> {
                        if (!rank) args.add(p.name() + ".length");
                        rank = true;
                        args.add(p.name());
                    }
                    default -> args.add(p.name());
                }
            }
            s.append("\n    @Override\n    public void ").append(k.name()).append('(').append(JavaText.params(k)).append(") {\n");
            s.append("        status(\"").append(k.name()).append("\", t.").append(k.slot()).append('(').append(String.join(", ", args)).append("));\n    }\n");
        }
        s.append("}\n");
        return s.toString();
    }
}
