package dev.cortado.kernels.decl;

import java.util.List;
import java.util.Locale;

/** The kernel declarations as {@link KernelProcessor} reads them from the annotated interface. */
record KernelDecl(String name, String doc, String check, String leasedCheck, List<Param> params) {

    enum Type { BOOLEAN, INT, LONG, FLOAT, PTR, WINDOW, ENUM, SHAPE }

    enum Access { NONE, IN, OUT, IN_OUT }

    /** One argument: its Java name and type, and for pointers what is read or written over which extent. */
    record Param(String name, Type type, Access access, String extent, boolean optional, List<String> inPlace,
                 String label, boolean finite, boolean anyValue, String enumName) {

        boolean isOutput() {
            return access == Access.OUT || access == Access.IN_OUT;
        }

        /** The C parameter name: the Java name in snake case (transA -> trans_a). */
        String cName() {
            return snake(name);
        }
    }

    /** The C slot name: the Java name in snake case (lstmCellForward -> lstm_cell_forward). */
    String slot() {
        return snake(name);
    }

    static String snake(String javaName) {
        StringBuilder sb = new StringBuilder();
        for (char ch : javaName.toCharArray()) {
            if (Character.isUpperCase(ch)) sb.append('_').append(Character.toLowerCase(ch));
            else sb.append(ch);
        }
        return sb.toString();
    }

    /** An enum whose constants are op or status codes in the ABI: CORTADO_<PREFIX>_<CONSTANT> = ordinal. */
    record EnumDecl(String qualifiedName, String simpleName, List<String> constants) {
        /** BinaryOp -> BINARY, KernelStatus -> STATUS. */
        String prefix() {
            String s = simpleName.endsWith("Op") ? simpleName.substring(0, simpleName.length() - 2) : simpleName;
            if (s.startsWith("Kernel")) s = s.substring("Kernel".length());
            return snake(Character.toLowerCase(s.charAt(0)) + s.substring(1)).toUpperCase(Locale.ROOT);
        }
    }
}
