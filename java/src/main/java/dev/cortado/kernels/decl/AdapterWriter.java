package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Param;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code NativeKernels}, the kernel set that calls any native library's table through its
 * {@code NativeTable} (see {@link TableWriter}) and turns a kernel's status into an exception.
 */
final class AdapterWriter {

    private AdapterWriter() {
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
                     * Binds {@code table} (a library's kernel table, through the JNI glue that library carries) and runs
                     * every call in the execution context at {@code context} (a {@code const cortado_context*}). First it
                     * compares the ABI hash the glue was compiled with, then the table's, with this build's: a
                     * library from another build is refused here, before a call could pass it the wrong arguments.
                     */
                    public NativeKernels(String name, Device.Kind kind, NativeTable table, long context) {
                        if (table == null || table.address() == 0) throw new IllegalArgumentException(name + ": kernel table address is 0");
                        if (context == 0) throw new IllegalArgumentException(name + ": execution context address is 0");
                        sameBuild(name, table, "JNI glue", table.glueAbiHash());
                        sameBuild(name, table, "kernel table", table.abi_hash());
                        this.name = name;
                        this.kind = kind;
                        this.t = table;
                        this.context = context;
                    }

                    /** Refuses a library whose glue or table was compiled from other kernel declarations than this class. */
                    private static void sameBuild(String name, NativeTable table, String part, long hash) {
                        if (hash == ABI_HASH) return;
                        String fix = table.artifact().equals("cortado-core")
                                ? table.library() + " is not the library built with these classes (a stale copy on the class path?)"
                                : table.artifact() + " and cortado-core come from different builds: use one version of both";
                        throw new IllegalStateException(String.format("%%s: the %%s of %%s (%%s%%s) was compiled from kernel declarations with ABI hash "
                                + "%%016x, this cortado-core from %%016x: %%s", name, part, table.library(), table.artifact(), loadedFrom(table), hash, ABI_HASH, fix));
                    }

                    /** ", loaded from PATH" where JavaCPP says which file it loaded the table's library from. */
                    private static String loadedFrom(NativeTable table) {
                        String file = java.io.File.separator + table.library() + ".so";
                        for (String path : org.bytedeco.javacpp.Loader.getLoadedLibraries().values()) {
                            if (path != null && path.endsWith(file)) return ", loaded from " + path;
                        }
                        return "";
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
                        for (String f : TableWriter.WINDOW) args.add(p.name() + "." + f + "()");
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
