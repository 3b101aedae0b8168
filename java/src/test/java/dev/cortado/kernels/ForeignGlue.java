package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.tools.Builder;

/**
 * A kernel library as a build from other kernel declarations leaves it: this build's native
 * archive linked with the JNI glue of its library class and table class, but compiled against a
 * cortado_kernels.h whose CORTADO_KERNELS_ABI_HASH is {@link #FOREIGN_HASH} (the glue of a
 * library built from another KernelSet carries another hash). Tests put it first on a child JVM's
 * class path, where JavaCPP loads it instead of the library of this build, and ask for the kernel
 * set there ({@link GlueProbe}): a JVM that crashes takes only the child with it.
 */
public final class ForeignGlue {

    /** The ABI hash the foreign glue is compiled with. */
    public static final long FOREIGN_HASH = NativeKernels.ABI_HASH ^ 0x0f0f_0000_0000_f0f0L;

    private ForeignGlue() {
    }

    /**
     * Builds lib{@code outputName}.so into {@code dir}/classes/{@code owner's package}/{platform}/
     * and returns {@code dir}/classes, the class path entry that shadows the real library.
     *
     * @param header   the cortado_kernels.h of this build
     * @param archive  the library's native archive (linked whole)
     * @param includes the native sources' include directories
     * @param owner    the library's JavaCPP class (@Platform(library = outputName))
     * @param classes  the classes whose glue the library carries, the owner's among them
     */
    public static Path build(Path dir, Path header, Path archive, List<Path> includes, Class<?> owner, String outputName, String... classes)
            throws Exception {
        assertTrue(Files.isRegularFile(header), header + " is missing: the build generates it");
        assertTrue(Files.isRegularFile(archive), archive + " is missing: the build makes it");
        Path include = Files.createDirectories(dir.resolve("include"));
        Matcher m = Pattern.compile("#define CORTADO_KERNELS_ABI_HASH (0x[0-9a-f]{16})ULL").matcher(Files.readString(header));
        assertTrue(m.find(), header + " defines no CORTADO_KERNELS_ABI_HASH");
        assertEquals(NativeKernels.ABI_HASH, Long.parseUnsignedLong(m.group(1).substring(2), 16), header + " is not this build's");
        Files.writeString(include.resolve("cortado_kernels.h"), Files.readString(header).replace(m.group(1), String.format("0x%016x", FOREIGN_HASH)));
        Path root = dir.resolve("classes");
        Path out = Files.createDirectories(root.resolve(owner.getPackageName().replace('.', '/')).resolve(Loader.getPlatform()));
        List<String> includePath = new ArrayList<>(List.of(include.toString()));
        for (Path p : includes) includePath.add(p.toAbsolutePath().toString());
        File[] built = new Builder().classPaths(location(owner), location(NativeKernels.class)).outputDirectory(out.toFile()).outputName(outputName)
                .addProperty("platform.includepath", includePath.toArray(new String[0]))
                .compilerOptions("-pthread", "-Wl,--no-undefined", "-Wl,--whole-archive", archive.toAbsolutePath().toString(), "-Wl,--no-whole-archive")
                .classesOrPackages(classes).build();
        assertTrue(built != null && built.length == 1 && built[0].isFile(), "javacpp did not build lib" + outputName + ".so");
        return root;
    }

    /**
     * The build directory (target/) of the module whose classes hold {@code c}: the parent of its
     * classes directory, or of its jar where the jar lies in a build directory beside classes/ (a
     * reactor build from the package phase on); null for a jar from a repository. A foreign
     * library is built from that module's native outputs.
     */
    public static Path buildDirectory(Class<?> c) {
        Path from = Path.of(location(c)), parent = from.getParent();
        if (Files.isDirectory(from)) return from.getFileName().toString().equals("classes") ? parent : null;
        return Files.isDirectory(parent.resolve("classes")) ? parent : null;
    }

    /** The class path entry (directory or jar) a class was loaded from. */
    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs {@link GlueProbe} for kernel set {@code kernels} in a child JVM with {@code first} before
     * this JVM's class path and the given system properties; returns what it printed, after checking
     * that it exited normally (a crash is a failure with the child's output, not this JVM's death).
     */
    public static String probe(Path first, String kernels, String... properties) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        for (String p : properties) command.add("-D" + p);
        command.addAll(List.of("-cp", first + File.pathSeparator + System.getProperty("java.class.path"), GlueProbe.class.getName(), kernels));
        Path log = Files.createTempFile(first.getParent(), "probe", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertFalse(!p.waitFor(120, TimeUnit.SECONDS) && p.destroyForcibly() != null, "the child JVM did not finish in 2 minutes");
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), () -> "the child JVM did not exit normally (exit " + p.exitValue() + "):\n" + output);
        return output;
    }
}
