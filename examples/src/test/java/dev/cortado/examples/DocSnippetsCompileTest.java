package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java block of README.md and docs/guide.md compiles against the library as a user's project
 * sees it (this module's test classpath: cortado-core, cortado-cuda, cortado-onnx, cortado-spark with Spark, and the
 * examples' libraries).
 *
 * <p>The convention for a block fenced {@code ```java} (other fences, e.g. {@code ```text}, are not
 * compiled):
 * <ul>
 *   <li>a block that declares a top-level {@code class}, {@code record}, {@code interface} or
 *       {@code enum} is a whole source file and compiles as is (its public type names the file);</li>
 *   <li>any other block is statements: its {@code import} lines stay imports, the rest becomes the
 *       body of {@code static void run() throws Exception} in a class that also imports every public
 *       class of cortado-core whose simple name is unique in it (so {@code Module} is
 *       dev.cortado.nn.Module, not java.lang.Module) and {@code java.util.*}; a name two cortado
 *       packages share, and any name the block imports itself, is left to the block's imports.
 *       Blocks are compiled one by one, so a block uses only what it declares.</li>
 * </ul>
 */
class DocSnippetsCompileTest {

    private static final Pattern FENCE = Pattern.compile("(?m)^[ \\t]*```java[ \\t]*\\n(.*?)^[ \\t]*```[ \\t]*$", Pattern.DOTALL);
    private static final Pattern TYPE = Pattern.compile(
            "(?m)^(?:(?:public|final|abstract|sealed|non-sealed|strictfp)\\s+)*(class|record|interface|enum)\\s+(\\w+)");
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^(?:(?:final|abstract|sealed|non-sealed|strictfp)\\s+)*public\\s+(?:(?:final|abstract|sealed|non-sealed|strictfp)\\s+)*"
                    + "(?:class|record|interface|enum)\\s+(\\w+)");

    @TempDir
    Path out;

    /** A block of a document: where it starts (its first line after the fence) and its text. */
    record Block(Path doc, int line, String text) {
        @Override
        public String toString() {
            return doc.getFileName() + ":" + line;
        }
    }

    @Test
    void readmeJavaBlocksCompile() throws IOException {
        List<Block> blocks = blocks(Path.of("..", "README.md"));
        assertTrue(blocks.size() >= 3, "README.md's java blocks: " + blocks.size());
        assertCompile(blocks);
    }

    @Test
    void guideJavaBlocksCompile() throws IOException {
        Path guide = Path.of("..", "docs", "guide.md");
        assumeTrue(Files.isRegularFile(guide), "docs/guide.md is not written yet");
        assertCompile(blocks(guide));
    }

    @Test
    void aBlockThatDoesNotCompileIsReported() throws IOException {
        Block bad = new Block(Path.of("doc.md"), 7, "Tensor t = Tensor.zeros(2, 2);\nt.noSuchMethod();\n");
        String errors = compile(List.of(bad));
        assertTrue(errors.contains("doc.md:7") && errors.contains("noSuchMethod"), errors);
        Block good = new Block(Path.of("doc.md"), 1, "import dev.cortado.tensor.Tensor;\n\nclass Mine {\n    Tensor t = Tensor.zeros(2);\n}\n");
        assertTrue(compile(List.of(good)).isEmpty(), compile(List.of(good)));
    }

    static List<Block> blocks(Path doc) throws IOException {
        String text = Files.readString(doc);
        List<Block> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            int line = 1 + (int) text.substring(0, m.start(1)).chars().filter(c -> c == '\n').count();
            blocks.add(new Block(doc, line, m.group(1).stripIndent()));
        }
        return blocks;
    }

    private void assertCompile(List<Block> blocks) throws IOException {
        String errors = compile(blocks);
        assertTrue(errors.isEmpty(), errors);
    }

    /** Each block compiled alone; the errors of all, each naming its document and line, or "". */
    private String compile(List<Block> blocks) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "no system Java compiler (a JRE, not a JDK?)");
        StringBuilder errors = new StringBuilder();
        java.util.Map<String, List<String>> classes = publicClasses();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            String className, source;
            if (TYPE.matcher(b.text()).find()) {
                Matcher pub = PUBLIC_TYPE.matcher(b.text());
                className = pub.find() ? pub.group(1) : "Block" + i;
                source = b.text();
            } else {
                className = "Block" + i;
                StringBuilder head = new StringBuilder(), body = new StringBuilder("\n"), imports = new StringBuilder("import java.util.*;\n");
                for (String line : b.text().split("\n", -1)) {
                    (line.startsWith("import ") ? head : body).append(line).append('\n');
                }
                for (var e : classes.entrySet()) {
                    boolean own = Pattern.compile("(?m)^import\\s+[\\w.]+\\." + e.getKey() + "\\s*;").matcher(head).find();
                    if (e.getValue().size() == 1 && !own) imports.append("import ").append(e.getValue().get(0)).append(";\n");
                }
                source = head + imports.toString() + "class " + className + " { static void run() throws Exception {\n" + body + "}}\n";
            }
            Path dir = Files.createDirectories(out.resolve("b" + i));
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            };
            List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), "-proc:none",
                    "--release", "17");
            boolean ok = javac.getTask(null, null, diagnostics, options, null, List.of(file)).call();
            if (ok) continue;
            errors.append(b).append(" does not compile:\n");
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                errors.append("  ").append(b.doc().getFileName()).append(':').append(blockLine(b, source, d.getLineNumber()))
                        .append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
            }
        }
        return errors.toString();
    }

    /** The document line of a line of the generated source (the block's own lines keep their order). */
    private static long blockLine(Block b, String source, long sourceLine) {
        String[] lines = source.split("\n", -1);
        String[] block = b.text().split("\n", -1);
        if (sourceLine < 1 || sourceLine > lines.length) return b.line();
        String wanted = lines[(int) sourceLine - 1];
        for (int k = 0; k < block.length; k++) {
            if (block[k].equals(wanted) && !wanted.isBlank()) return b.line() + k;
        }
        return b.line();
    }

    /** cortado-core's public top-level classes: simple name to fully qualified names. */
    static java.util.Map<String, List<String>> publicClasses() {
        TreeSet<String> names = new TreeSet<>();
        try {
            Path core = Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(core)) {
                try (Stream<Path> files = Files.walk(core.resolve("dev/cortado"))) {
                    files.map(f -> core.relativize(f).toString()).forEach(names::add);
                }
            } else {
                try (JarFile jar = new JarFile(core.toFile())) {
                    jar.stream().map(e -> e.getName()).forEach(names::add);
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list cortado-core's classes: " + e.getMessage(), e);
        }
        java.util.Map<String, List<String>> classes = new java.util.TreeMap<>();
        for (String n : names) {
            if (!n.startsWith("dev/cortado/") || !n.endsWith(".class") || n.contains("$") || n.endsWith("package-info.class")) continue;
            String fqn = n.substring(0, n.length() - ".class".length()).replace('/', '.');
            try {
                Class<?> c = Class.forName(fqn, false, DocSnippetsCompileTest.class.getClassLoader());
                if (!java.lang.reflect.Modifier.isPublic(c.getModifiers())) continue;
                classes.computeIfAbsent(c.getSimpleName(), k -> new ArrayList<>()).add(fqn);
            } catch (ClassNotFoundException | LinkageError e) {
                // not loadable here: not a class a snippet can use
            }
        }
        return classes;
    }
}
