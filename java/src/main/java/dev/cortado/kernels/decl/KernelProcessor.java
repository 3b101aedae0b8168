package dev.cortado.kernels.decl;

import dev.cortado.kernels.decl.KernelDecl.Access;
import dev.cortado.kernels.decl.KernelDecl.EnumDecl;
import dev.cortado.kernels.decl.KernelDecl.Param;
import dev.cortado.kernels.decl.KernelDecl.Type;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.annotation.processing.SupportedOptions;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.MirroredTypeException;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.tools.Diagnostic;

/**
 * Reads the one declaration of the kernel set (the interface marked {@link Kernels}) and writes
 * everything that merely repeats it: the C header of the native ABI (option
 * {@code cortado.header}: its path), the interface of a kernel table ({@code NativeTable}), the
 * adapter that calls any native library through it ({@code NativeKernels}) and the argument
 * checks ({@code CheckedKernels}); and for each {@link KernelTableBinding}, in whichever module
 * it is compiled, that library's own JNI binding of the table. A kernel is every abstract void
 * method of the interface.
 */
@SupportedAnnotationTypes({"dev.cortado.kernels.decl.Kernels", "dev.cortado.kernels.decl.KernelTableBinding"})
@SupportedOptions("cortado.header")
public final class KernelProcessor extends AbstractProcessor {

    /** The status codes every kernel call returns. */
    static final String STATUS_ENUM = "dev.cortado.kernels.KernelStatus";

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (Element e : round.getElementsAnnotatedWith(Kernels.class)) run(e, "kernel generation", this::generate);
        for (Element e : round.getElementsAnnotatedWith(KernelTableBinding.class)) run(e, "kernel table generation", this::bind);
        return true;
    }

    /** What process() does with one annotated type. */
    private interface Step {
        void apply(TypeElement type) throws IOException;
    }

    /** step(e), its declaration errors and I/O failures reported as compile errors at the element. */
    private void run(Element e, String what, Step step) {
        try {
            step.apply((TypeElement) e);
        } catch (DeclarationError err) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, err.getMessage(), err.where);
        } catch (IOException io) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, what + " failed: " + io, e);
        }
    }

    /** The kernels of the interface, in declaration order; op enums they take are added to {@code enums}. */
    private List<KernelDecl> kernels(TypeElement iface, Map<String, EnumDecl> enums) {
        List<KernelDecl> kernels = new ArrayList<>();
        for (Element m : iface.getEnclosedElements()) {
            if (m.getKind() != ElementKind.METHOD || !m.getModifiers().contains(Modifier.ABSTRACT)) continue;
            ExecutableElement method = (ExecutableElement) m;
            if (method.getReturnType().getKind() != TypeKind.VOID) continue;
            kernels.add(kernel(method, enums));
        }
        return kernels;
    }

    private void generate(TypeElement iface) throws IOException {
        Map<String, EnumDecl> enums = new LinkedHashMap<>();
        enums.put(STATUS_ENUM, enumDecl(processingEnv.getElementUtils().getTypeElement(STATUS_ENUM), iface));
        List<KernelDecl> kernels = kernels(iface, enums);
        String pkg = processingEnv.getElementUtils().getPackageOf(iface).getQualifiedName().toString();
        String iname = iface.getSimpleName().toString();
        long hash = HeaderWriter.abiHash(HeaderWriter.header(kernels, List.copyOf(enums.values()), false));
        String header = HeaderWriter.header(kernels, List.copyOf(enums.values()), true).replace(HeaderWriter.HASH_PLACEHOLDER, String.format("0x%016xULL", hash));
        String headerPath = processingEnv.getOptions().get("cortado.header");
        if (headerPath == null) throw new DeclarationError("option -Acortado.header=<path> is required", iface);
        writeIfChanged(Path.of(headerPath), header);
        source(pkg, TableWriter.INTERFACE, TableWriter.tableInterface(pkg, kernels), iface);
        source(pkg, "NativeKernels", AdapterWriter.adapter(pkg, iname, kernels, hash), iface);
        source(pkg, "CheckedKernels", ChecksWriter.checked(pkg, iname, kernels), iface);
    }

    /**
     * The table class of a {@link KernelTableBinding} on {@code library}, a JavaCPP class with
     * {@code @Platform(library = ...)}. The kernel set may come from source (cortado-core) or from
     * cortado-core's classes (another module): @In, @Out and @InOut are kept in the class file.
     */
    private void bind(TypeElement library) throws IOException {
        KernelTableBinding binding = library.getAnnotation(KernelTableBinding.class);
        TypeElement iface = kernelsOf(library);
        if (iface == null || iface.getKind() != ElementKind.INTERFACE) {
            throw new DeclarationError("@KernelTableBinding(kernels = ...) must name the kernel set's interface", library);
        }
        String lib = platformLibrary(library);
        if (!binding.name().matches("[A-Z][A-Za-z0-9]*")) throw new DeclarationError("@KernelTableBinding(name = \"" + binding.name() + "\") is not a class name", library);
        List<KernelDecl> kernels = kernels(iface, new LinkedHashMap<>());
        if (kernels.isEmpty()) throw new DeclarationError(iface + " declares no kernels (abstract void methods)", library);
        String pkg = processingEnv.getElementUtils().getPackageOf(library).getQualifiedName().toString();
        String kernelsPkg = processingEnv.getElementUtils().getPackageOf(iface).getQualifiedName().toString();
        source(pkg, binding.name(), TableWriter.tableClass(pkg, binding.name(), kernelsPkg, lib, binding.artifact(), kernels), library);
    }

    /** The kernels = X.class of the binding (a Class member is a type mirror at compile time). */
    private static TypeElement kernelsOf(TypeElement library) {
        try {
            library.getAnnotation(KernelTableBinding.class).kernels();
            return null;
        } catch (MirroredTypeException e) {
            return e.getTypeMirror() instanceof DeclaredType d ? (TypeElement) d.asElement() : null;
        }
    }

    /** The library of the class's JavaCPP {@code @Platform(library = ...)}. */
    private static String platformLibrary(TypeElement library) {
        for (AnnotationMirror a : library.getAnnotationMirrors()) {
            if (!((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().contentEquals("org.bytedeco.javacpp.annotation.Platform")) continue;
            for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> v : a.getElementValues().entrySet()) {
                if (v.getKey().getSimpleName().contentEquals("library")) return v.getValue().getValue().toString();
            }
        }
        throw new DeclarationError("@KernelTableBinding is for the JavaCPP class of a library: @Platform(library = ...) is missing", library);
    }

    private KernelDecl kernel(ExecutableElement method, Map<String, EnumDecl> enums) {
        List<Param> params = new ArrayList<>();
        for (VariableElement v : method.getParameters()) params.add(param(v, enums));
        Check check = method.getAnnotation(Check.class);
        String doc = processingEnv.getElementUtils().getDocComment(method);
        KernelDecl k = new KernelDecl(method.getSimpleName().toString(), doc == null ? "" : doc.strip(),
                check == null ? "" : check.value(), check == null ? "" : check.leased(), params);
        for (Param p : params) {
            for (String target : p.inPlace()) {
                if (params.stream().noneMatch(q -> q.name().equals(target) && q.access() == Access.IN)) {
                    throw new DeclarationError(k.name() + ": " + p.name() + " may be in place of '" + target
                            + "', which is not an input of this kernel", method);
                }
            }
        }
        return k;
    }

    private Param param(VariableElement v, Map<String, EnumDecl> enums) {
        String name = v.getSimpleName().toString();
        TypeMirror t = v.asType();
        In in = v.getAnnotation(In.class);
        Out out = v.getAnnotation(Out.class);
        InOut inOut = v.getAnnotation(InOut.class);
        int marks = (in != null ? 1 : 0) + (out != null ? 1 : 0) + (inOut != null ? 1 : 0);
        boolean finite = v.getAnnotation(Finite.class) != null, any = v.getAnnotation(AnyValue.class) != null;
        Type type = type(t, v);
        if (type == Type.PTR && marks != 1) throw new DeclarationError(name + ": a pointer needs exactly one of @In, @Out, @InOut", v);
        if (type != Type.PTR && marks != 0) throw new DeclarationError(name + ": only pointers take @In, @Out or @InOut", v);
        if (finite && type != Type.FLOAT) throw new DeclarationError(name + ": @Finite is for floats", v);
        if (any && type != Type.INT && type != Type.LONG) throw new DeclarationError(name + ": @AnyValue is for ints and longs", v);
        String enumName = null;
        if (type == Type.ENUM) {
            TypeElement e = (TypeElement) ((DeclaredType) t).asElement();
            enumName = e.getQualifiedName().toString();
            enums.computeIfAbsent(enumName, q -> enumDecl(e, v));
        }
        if (type != Type.PTR) return new Param(name, type, Access.NONE, null, false, List.of(), name, finite, any, enumName);
        if (in != null) return new Param(name, type, Access.IN, in.value(), in.optional(), List.of(), label(in.as(), name), false, false, null);
        if (out != null) return new Param(name, type, Access.OUT, out.value(), false, List.of(out.inPlace()), label(out.as(), name), false, false, null);
        return new Param(name, type, Access.IN_OUT, inOut.value(), false, List.of(inOut.inPlace()), label(inOut.as(), name), false, false, null);
    }

    private static String label(String as, String name) {
        return as.isEmpty() ? name : as;
    }

    private Type type(TypeMirror t, Element where) {
        switch (t.getKind()) {
            case BOOLEAN: return Type.BOOLEAN;
            case INT: return Type.INT;
            case LONG: return Type.LONG;
            case FLOAT: return Type.FLOAT;
            case ARRAY:
                if (((ArrayType) t).getComponentType().getKind() == TypeKind.LONG) return Type.SHAPE;
                break;
            case DECLARED:
                Element e = ((DeclaredType) t).asElement();
                String q = ((TypeElement) e).getQualifiedName().toString();
                if (q.equals("dev.cortado.memory.Ptr")) return Type.PTR;
                if (q.equals("dev.cortado.kernels.Window")) return Type.WINDOW;
                if (e.getKind() == ElementKind.ENUM) return Type.ENUM;
                break;
            default:
                break;
        }
        throw new DeclarationError("kernel arguments are boolean, int, long, float, long[], Ptr, Window or an op enum; not " + t, where);
    }

    private static EnumDecl enumDecl(TypeElement e, Element where) {
        if (e == null) throw new DeclarationError("enum " + STATUS_ENUM + " not found", where);
        List<String> constants = new ArrayList<>();
        for (Element c : e.getEnclosedElements()) if (c.getKind() == ElementKind.ENUM_CONSTANT) constants.add(c.getSimpleName().toString());
        return new EnumDecl(e.getQualifiedName().toString(), e.getSimpleName().toString(), constants);
    }

    private void source(String pkg, String name, String text, Element origin) throws IOException {
        try (Writer w = processingEnv.getFiler().createSourceFile(pkg + "." + name, origin).openWriter()) {
            w.write(text);
        }
    }

    /** Leaves an unchanged header alone, so make does not rebuild every native object on each compile. */
    private static void writeIfChanged(Path path, String text) {
        try {
            if (Files.exists(path) && Files.readString(path, StandardCharsets.UTF_8).equals(text)) return;
            Files.createDirectories(path.getParent());
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private static final class DeclarationError extends RuntimeException {
        final transient Element where;

        DeclarationError(String message, Element where) {
            super(message);
            this.where = where;
        }
    }
}
