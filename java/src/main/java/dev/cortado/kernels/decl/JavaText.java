package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Java text shared by the generated classes: parameter lists, argument lists, imports. */
final class JavaText {

    static final String GENERATED = "@javax.annotation.processing.Generated(\"dev.cortado.kernels.decl.KernelProcessor\")";

    private JavaText() {
    }

    static String javaType(Param p) {
        return switch (p.type()) {
            case BOOLEAN -> "boolean";
            case INT -> "int";
            case LONG -> "long";
            case FLOAT -> "float";
            case PTR -> "Ptr";
            case WINDOW -> "Window";
            case SHAPE -> "long[]";
            case ENUM -> p.enumName().substring(p.enumName().lastIndexOf('.') + 1);
        };
    }

    /** "boolean transA, boolean transB, ..." */
    static String params(KernelDecl k) {
        List<String> out = new ArrayList<>();
        for (Param p : k.params()) out.add(javaType(p) + " " + p.name());
        return String.join(", ", out);
    }

    /** "transA, transB, ..." */
    static String args(KernelDecl k) {
        List<String> out = new ArrayList<>();
        for (Param p : k.params()) out.add(p.name());
        return String.join(", ", out);
    }

    /** Import lines for the enums (outside pkg) the kernels take, and the memory classes. */
    static String imports(String pkg, List<KernelDecl> kernels, String... more) {
        TreeSet<String> imports = new TreeSet<>(List.of(more));
        imports.add("dev.cortado.memory.Device");
        imports.add("dev.cortado.memory.Ptr");
        for (KernelDecl k : kernels) {
            for (Param p : k.params()) {
                if (p.enumName() != null && !p.enumName().startsWith(pkg + ".")) imports.add(p.enumName());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String i : imports) sb.append("import ").append(i).append(";\n");
        return sb.toString();
    }
}
