package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.EnumDecl;
import dev.cortado.kernels.decl.KernelDecl.Param;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes native/include's cortado_kernels.h, the C side of the kernel ABI, from the declarations. */
final class HeaderWriter {

    static final String HASH_PLACEHOLDER = "@ABI_HASH@";

    private HeaderWriter() {
    }

    /** The C parameter list of a kernel: the execution context first, then its arguments. */
    static List<String> cParams(KernelDecl k) {
        List<String> out = new ArrayList<>();
        out.add("const cortado_context* ctx");
        boolean rank = false;
        for (Param p : k.params()) {
            switch (p.type()) {
                case BOOLEAN -> out.add("bool " + p.cName());
                case INT, ENUM -> out.add("int " + p.cName());
                case LONG -> out.add("int64_t " + p.cName());
                case FLOAT -> out.add("float " + p.cName());
                case PTR -> out.add((p.isOutput() ? "float* " : "const float* ") + p.cName());
                case WINDOW -> out.add("CORTADO_WINDOW");
                case SHAPE -> {
                    if (!rank) out.add("int rank");
                    rank = true;
                    out.add("const int64_t* " + p.cName());
                }
            }
        }
        return out;
    }

    static String header(List<KernelDecl> kernels, List<EnumDecl> enums, boolean docs) {
        StringBuilder h = new StringBuilder();
        h.append("""
                /* Cortado's kernel ABI. GENERATED at build time from java/src/main/java/dev/cortado/kernels/KernelSet.java
                 * by dev.cortado.kernels.decl.KernelProcessor: do not edit, change the declaration there.
                 *
                 * Every native kernel library (native/cpu, native/cuda) exports one struct cortado_kernels, a function
                 * pointer per kernel. A library defines each kernel with CORTADO_KERNEL(slot) { body }, which spells the
                 * declared signature, so a definition cannot drift from it. Arrays are float pointers into the library's
                 * device memory; counts are floats. Arguments are validated in Java (CheckedKernels) before a kernel runs:
                 * kernels trust their input, except for what only the device can see (index values), which they report
                 * as a status. */
                #ifndef CORTADO_KERNELS_H
                #define CORTADO_KERNELS_H

                #include <stddef.h>
                #include <stdint.h>
                #ifndef __cplusplus
                #include <stdbool.h>
                #endif

                /* A hash of this header's declarations: a library and the Java build agree on the ABI when theirs match. */
                #define CORTADO_KERNELS_ABI_HASH @ABI_HASH@

                /* A conv/pool window: `channels` planes of height x width, a kh x kw kernel, strides sh/sw, zero padding
                 * ph/pw (dev.cortado.kernels.Window). */
                #define CORTADO_WINDOW int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw

                /* The most axes a strided kernel takes (KernelSet.MAX_RANK); shape and strides hold `rank` values each. */
                #define CORTADO_MAX_RANK 8

                """);
        for (EnumDecl e : enums) {
            h.append("/* ").append(e.simpleName()).append(" (").append(e.qualifiedName()).append("): the ordinals. */\n");
            for (int i = 0; i < e.constants().size(); i++) {
                h.append("#define CORTADO_").append(e.prefix()).append('_').append(e.constants().get(i)).append(' ').append(i).append('\n');
            }
            h.append('\n');
        }
        h.append("""
                #ifdef __cplusplus
                extern "C" {
                #endif

                /* What every kernel call runs in. On a device that runs asynchronously (CUDA) the call is queued on
                 * `stream` and returns; work on one stream runs in order. Scratch memory comes from `workspace` (NULL
                 * when none can be had: return CORTADO_STATUS_NO_WORKSPACE) and goes back with `release` before the
                 * kernel returns; on a stream the block is reused only by work queued after this call. */
                typedef struct cortado_context cortado_context;
                struct cortado_context {
                    void* stream;
                    void* (*workspace)(const cortado_context* ctx, size_t bytes);
                    void (*release)(const cortado_context* ctx, void* block);
                    void* owner; /* the allocator behind workspace and release */
                };

                """);
        for (KernelDecl k : kernels) {
            if (docs) h.append(comment(k.doc()));
            h.append("typedef int cortado_").append(k.slot()).append("_fn(").append(String.join(", ", cParams(k))).append(");\n");
            h.append("#define CORTADO_SIGNATURE_").append(k.slot()).append("(fn) int fn(").append(String.join(", ", cParams(k))).append(")\n\n");
        }
        h.append("/* Defines the kernel `slot` as cortado_<slot> with its declared signature: CORTADO_KERNEL(gemm) { ... } */\n");
        h.append("#define CORTADO_KERNEL(slot) CORTADO_SIGNATURE_##slot(cortado_##slot)\n\n");
        h.append("/* Every slot, in table order: X(gemm) X(im2col) ... */\n#define CORTADO_KERNEL_LIST(X)");
        for (KernelDecl k : kernels) h.append(" X(").append(k.slot()).append(')');
        h.append("\n\n");
        h.append("struct cortado_kernels {\n");
        h.append("    uint64_t abi_hash; /* CORTADO_KERNELS_ABI_HASH */\n");
        h.append("    /* The message of the last call on this thread that returned CORTADO_STATUS_DEVICE_ERROR (\"\" if none). */\n");
        h.append("    const char* (*last_error)(void);\n");
        for (KernelDecl k : kernels) h.append("    cortado_").append(k.slot()).append("_fn* ").append(k.slot()).append(";\n");
        h.append("""
                };

                /* The one entry point of a kernel library: its table (static, never null). */
                const struct cortado_kernels* cortado_kernel_table(void);

                #ifdef __cplusplus
                }
                #endif

                #endif
                """);
        return h.toString();
    }

    /** The declaration's javadoc as a C comment. */
    private static String comment(String doc) {
        if (doc.isEmpty()) return "";
        String text = doc.replace("*/", "* /").replaceAll("\\{@(?:code|link) #?([^}]*)}", "$1");
        StringBuilder c = new StringBuilder("/*");
        for (String line : text.split("\n")) c.append(line.isBlank() ? "\n *" : "\n * " + line.strip());
        return c.append(" */\n").toString();
    }

    /** FNV-1a (64 bits) of the header text without comments: the declarations alone. */
    static long abiHash(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
