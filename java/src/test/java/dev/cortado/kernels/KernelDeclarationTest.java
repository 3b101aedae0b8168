package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A kernel's signature is written once, in {@link KernelSet}; these tests fail when a hand-written
 * body drifts from it: a Java implementation whose parameters are named (so ordered) differently
 * from the declaration (two swapped pointers still compile), or a native definition that spells
 * its own parameter list instead of CORTADO_KERNEL(slot), which spells the declared one.
 */
class KernelDeclarationTest {

    /** The hand-written implementations of the whole kernel set. */
    private static final List<Class<? extends KernelSet>> BODIES = List.of(JavaKernels.class);

    private static List<Method> kernels() {
        List<Method> out = new ArrayList<>();
        for (Method m : KernelSet.class.getDeclaredMethods()) {
            if (Modifier.isAbstract(m.getModifiers()) && m.getReturnType() == void.class) out.add(m);
        }
        return out;
    }

    private static List<String> names(Method m) {
        Parameter[] ps = m.getParameters();
        List<String> out = new ArrayList<>();
        for (Parameter p : ps) {
            assertTrue(p.isNamePresent(), m + ": compile with -parameters");
            out.add(p.getName());
        }
        return out;
    }

    @Test
    void javaBodiesNameTheirArgumentsAsDeclared() throws NoSuchMethodException {
        assertEquals(61, kernels().size(), "kernels declared");
        for (Class<? extends KernelSet> body : BODIES) {
            for (Method k : kernels()) {
                Method impl = body.getMethod(k.getName(), k.getParameterTypes());
                assertEquals(names(k), names(impl), body.getSimpleName() + "." + k.getName() + " drifts from KernelSet's declaration");
            }
        }
    }

    /** Every slot of the generated table, from the header the build generated. */
    private static List<String> slots() throws IOException {
        String header = Files.readString(Path.of("target/generated-sources/native/cortado_kernels.h"));
        Matcher m = Pattern.compile("#define CORTADO_KERNEL_LIST\\(X\\)(.*)").matcher(header);
        assertTrue(m.find(), "the generated header lists its slots");
        List<String> slots = new ArrayList<>();
        Matcher x = Pattern.compile("X\\((\\w+)\\)").matcher(m.group(1));
        while (x.find()) slots.add(x.group(1));
        return slots;
    }

    @Test
    void nativeBodiesAreDefinedWithTheDeclaredSignature() throws IOException {
        List<String> slots = slots();
        assertEquals(kernels().size(), slots.size(), "slots in the generated header");
        for (Path dir : List.of(Path.of("../native/cpu"))) {
            List<Path> sources;
            try (Stream<Path> s = Files.list(dir)) {
                sources = s.filter(p -> p.toString().matches(".*\\.(cpp|cu|h|cuh|inc)")).sorted().toList();
            }
            List<String> defined = new ArrayList<>();
            for (Path f : sources) {
                String text = Files.readString(f);
                for (String slot : slots) {
                    // a function named like a kernel, with its parameter list written out, is a hand-copied signature
                    Matcher own = Pattern.compile("\\bcortado_" + slot + "\\s*\\([^;{)]*\\)\\s*\\{").matcher(text);
                    assertTrue(!own.find(), f + " defines cortado_" + slot + " with a parameter list of its own; write CORTADO_KERNEL("
                            + slot + ") { ... } so the declared signature is used");
                    Matcher macro = Pattern.compile("CORTADO_KERNEL\\(" + slot + "\\)\\s*\\{").matcher(text);
                    while (macro.find()) defined.add(slot);
                }
            }
            List<String> sorted = new ArrayList<>(defined);
            sorted.sort(null);
            List<String> expected = new ArrayList<>(slots);
            expected.sort(null);
            assertEquals(expected, sorted, dir + " defines every kernel exactly once with CORTADO_KERNEL: " + Arrays.toString(slots.toArray()));
        }
    }
}
