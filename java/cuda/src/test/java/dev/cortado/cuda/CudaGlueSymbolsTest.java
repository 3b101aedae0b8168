package dev.cortado.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.cpu.CpuKernels;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JNI symbols the built kernel libraries export (read from their ELF dynamic symbol tables):
 * a JNI method binds to the first loaded library that exports its symbol, in an order the JVM
 * does not define, so a symbol exported by cortado-core's cpu library and by a cuda library let a
 * stale cortado-cuda jar's glue serve cortado-core's classes (a JVM crash). Each kernel library
 * carries the kernel table glue of a class of its own, and libraries of different jars share no
 * JNI symbol of Cortado's classes. (libjnicortado_cuda and libjnicortado_cuda_emu, one jar and one build, share
 * the glue of CudaRuntime, which calls through a struct both build from the same header.)
 */
class CudaGlueSymbolsTest {

    /**
     * The JNI symbols of Cortado's classes. Every JavaCPP library also carries the glue of JavaCPP's
     * own classes (Java_org_bytedeco_javacpp_*, JavaCPP's design, as in every JavaCPP preset): it is
     * compiled from the JavaCPP version alone, which Maven resolves to one for the application.
     */
    private static final String CORTADO_JNI = "Java_dev_cortado_";

    @TempDir
    Path dir;

    /** A built library and the jar it ships in. */
    record Library(String name, String jar, Set<String> jniSymbols) {
    }

    @Test
    void librariesOfDifferentJarsShareNoJniSymbolOfCortado() throws IOException {
        List<Library> libraries = libraries();
        for (Library a : libraries) {
            for (Library b : libraries) {
                if (a.jar().compareTo(b.jar()) >= 0) continue;
                Set<String> shared = new TreeSet<>(a.jniSymbols());
                shared.retainAll(b.jniSymbols());
                assertTrue(shared.isEmpty(), () -> a.name() + " (" + a.jar() + ") and " + b.name() + " (" + b.jar() + ") both export "
                        + shared.size() + " JNI symbols, e.g. " + shared.stream().limit(5).collect(Collectors.toList()));
            }
        }
    }

    @Test
    void eachLibraryCarriesTheKernelTableGlueOfAClassOfItsOwn() throws IOException {
        Set<String> slots = new TreeSet<>();
        for (Method m : KernelSet.class.getMethods()) {
            if (Modifier.isAbstract(m.getModifiers()) && m.getReturnType() == void.class) slots.add(jniName(snake(m.getName())));
        }
        Map<String, String> tableClassOf = new TreeMap<>();
        for (Library lib : libraries()) {
            Map<String, Set<String>> methodsByClass = new TreeMap<>();
            for (String symbol : lib.jniSymbols()) {
                int split = methodStart(symbol);
                methodsByClass.computeIfAbsent(symbol.substring(5, split - 1), c -> new TreeSet<>()).add(symbol.substring(split));
            }
            List<String> tables = methodsByClass.entrySet().stream().filter(e -> e.getValue().containsAll(slots)).map(Map.Entry::getKey).toList();
            assertEquals(1, tables.size(), lib.name() + ": one class's glue should call every kernel, found " + tables);
            String table = tables.get(0);
            assertTrue(methodsByClass.get(table).contains(jniName("glue_abi_hash")),
                    lib.name() + ": " + table + " has no glue_abi_hash, the ABI hash its glue was compiled from");
            String other = tableClassOf.put(table, lib.name());
            if (other != null) fail(lib.name() + " and " + other + " both carry the kernel glue of " + table);
        }
    }

    /** cortado-core's cpu library and this module's emulated one, and the nvcc-built one where nvcc built it. */
    private List<Library> libraries() throws IOException {
        List<Library> out = new ArrayList<>();
        out.add(library(CpuKernels.class, "jnicortado_cpu", "cortado-core", true));
        out.add(library(CudaEngine.class, "jnicortado_cuda_emu", "cortado-cuda", true));
        Library real = library(CudaEngine.class, "jnicortado_cuda", "cortado-cuda", false);
        if (real != null) out.add(real);
        return out;
    }

    private Library library(Class<?> owner, String name, String jar, boolean required) throws IOException {
        String file = "lib" + name + ".so";
        URL url = owner.getResource(Loader.getPlatform() + "/" + file);
        if (url == null) {
            if (required) fail(file + " is not beside " + owner.getName() + " on the class path");
            return null;
        }
        Path copy = dir.resolve(file);
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        Set<String> jni = ElfSymbols.exported(copy).stream().filter(s -> s.startsWith(CORTADO_JNI)).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(!jni.isEmpty(), file + " exports no JNI symbol of Cortado's classes");
        return new Library(file, jar, jni);
    }

    /** Where the method part of a JNI symbol starts: after the last '_' that is not an escape (_0 .. _3). */
    private static int methodStart(String symbol) {
        for (int i = symbol.length() - 2; i > 5; i--) {
            if (symbol.charAt(i) == '_' && (symbol.charAt(i + 1) < '0' || symbol.charAt(i + 1) > '3')) return i + 1;
        }
        throw new IllegalArgumentException("not a JNI method symbol: " + symbol);
    }

    /** A Java identifier as JNI spells it in a symbol ('_' becomes "_1"). */
    private static String jniName(String identifier) {
        return identifier.replace("_", "_1");
    }

    private static String snake(String javaName) {
        return javaName.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
    }
}
