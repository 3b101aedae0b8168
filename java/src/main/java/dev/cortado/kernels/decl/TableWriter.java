package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the JNI binding of {@code struct cortado_kernels}: the interface {@code NativeTable} (one
 * method per kernel, beside the kernel set) that {@code NativeKernels} calls through, and for each
 * kernel library the class that implements it with JavaCPP natives ({@link KernelTableBinding}),
 * whose JNI glue only that library carries.
 */
final class TableWriter {

    static final String INTERFACE = "NativeTable";

    static final String[] WINDOW = {"channels", "height", "width", "kernelH", "kernelW", "strideH", "strideW", "padH", "padW"};

    private TableWriter() {
    }

    /** The interface, in the kernel set's package. */
    static String tableInterface(String pkg, List<KernelDecl> kernels) {
        StringBuilder s = new StringBuilder("package " + pkg + ";\n\n");
        s.append("""
                import org.bytedeco.javacpp.BytePointer;

                /**
                 * {@code struct cortado_kernels} of the generated cortado_kernels.h, as {@link NativeKernels} calls it:
                 * each kernel method calls the function-pointer member of the same name. Each kernel library
                 * implements it with a JavaCPP class of its own (generated for its {@code @KernelTableBinding}), whose
                 * JNI glue that library alone exports. GENERATED from KernelSet by KernelProcessor: do not edit.
                 */
                """);
        s.append(JavaText.GENERATED).append('\n');
        s.append("""
                public interface NativeTable {

                    /** The address of the library's table. */
                    long address();

                    /** The library whose JNI glue binds this table, e.g. "libjnicortado_cuda_emu". */
                    String library();

                    /** The jar that ships the library, e.g. "cortado-cuda". */
                    String artifact();

                    /** CORTADO_KERNELS_ABI_HASH of the header the library's JNI glue for this class was compiled with. */
                    long glueAbiHash();

                    /** The table's own abi_hash member: the header its kernels were compiled with. */
                    long abi_hash();

                    /** The message of the last call on this thread that failed on the device. */
                    BytePointer last_error();
                """);
        for (KernelDecl k : kernels) {
            s.append("\n    int ").append(k.slot()).append('(').append(String.join(", ", params(k, false))).append(");\n");
        }
        return s.append("}\n").toString();
    }

    /** The class {@code name} in {@code pkg}, bound to the library {@code library} of {@code artifact}. */
    static String tableClass(String pkg, String name, String kernelsPkg, String library, String artifact, List<KernelDecl> kernels) {
        StringBuilder s = new StringBuilder("package " + pkg + ";\n\n");
        if (!pkg.equals(kernelsPkg)) s.append("import ").append(kernelsPkg).append('.').append(INTERFACE).append(";\n");
        s.append("""
                import org.bytedeco.javacpp.BytePointer;
                import org.bytedeco.javacpp.Pointer;
                import org.bytedeco.javacpp.annotation.Cast;
                import org.bytedeco.javacpp.annotation.Function;
                import org.bytedeco.javacpp.annotation.MemberGetter;
                import org.bytedeco.javacpp.annotation.Name;
                import org.bytedeco.javacpp.annotation.Namespace;
                import org.bytedeco.javacpp.annotation.Platform;

                /**
                 * The kernel table of lib%2$s (%3$s): {@code struct cortado_kernels} of the generated
                 * cortado_kernels.h as a {@link NativeTable}. Its JNI glue is compiled into lib%2$s alone (the
                 * library's javacpp build lists this class), so no other library's glue can serve it. GENERATED
                 * from KernelSet by KernelProcessor for a {@code @KernelTableBinding}: do not edit.
                 */
                """.formatted(name, library, artifact));
        s.append(JavaText.GENERATED).append('\n');
        s.append("""
                @Platform(include = "cortado_kernels.h")
                @Name("cortado_kernels")
                final class %1$s extends Pointer implements NativeTable {

                    %1$s(long address) {
                        this.address = address;
                    }

                    @Override
                    public String library() {
                        return "lib%2$s";
                    }

                    @Override
                    public String artifact() {
                        return "%3$s";
                    }

                    @Override
                    public long glueAbiHash() {
                        return glue_abi_hash();
                    }

                    /** CORTADO_KERNELS_ABI_HASH as this class's JNI glue was compiled: a constant of the glue, not of the table. */
                    @MemberGetter
                    @Namespace
                    @Name("CORTADO_KERNELS_ABI_HASH")
                    @Cast("int64_t")
                    private static native long glue_abi_hash();

                    @Override
                    @MemberGetter
                    @Cast("int64_t")
                    public native long abi_hash();

                    @Override
                    @Function
                    @Cast("const char*")
                    public native BytePointer last_error();
                """.formatted(name, library, artifact));
        for (KernelDecl k : kernels) {
            s.append("\n    @Override\n    @Function\n    public native int ").append(k.slot()).append('(')
                    .append(String.join(", ", params(k, true))).append(");\n");
        }
        return s.append("}\n").toString();
    }

    /** The Java parameters of a kernel's table method, with JavaCPP's C casts where {@code casts}. */
    private static List<String> params(KernelDecl k, boolean casts) {
        List<String> params = new ArrayList<>();
        params.add(cast(casts, "const cortado_context*") + "long ctx");
        boolean rank = false;
        for (Param p : k.params()) {
            switch (p.type()) {
                case PTR -> params.add(cast(casts, p.isOutput() ? "float*" : "const float*") + "long " + p.name());
                case WINDOW -> {
                    for (String f : WINDOW) params.add("int " + f);
                }
                case ENUM -> params.add("int " + p.name());
                case SHAPE -> {
                    if (!rank) params.add("int rank");
                    rank = true;
                    params.add(cast(casts, "const int64_t*") + "long[] " + p.name());
                }
                default -> params.add(JavaText.javaType(p) + " " + p.name());
            }
        }
        return params;
    }

    private static String cast(boolean casts, String c) {
        return casts ? "@Cast(\"" + c + "\") " : "";
    }
}
