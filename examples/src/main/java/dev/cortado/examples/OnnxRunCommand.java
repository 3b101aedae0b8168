package dev.cortado.examples;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import dev.cortado.onnx.importer.OnnxModel;
import dev.cortado.onnx.proto.Onnx.GraphProto;
import dev.cortado.onnx.proto.Onnx.ModelProto;
import dev.cortado.onnx.proto.Onnx.TensorProto;
import dev.cortado.onnx.proto.Onnx.TensorShapeProto;
import dev.cortado.onnx.proto.Onnx.ValueInfoProto;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Runs an ONNX model (one exported by torch.onnx.export, by Cortado's OnnxExport, or any other
 * that {@link OnnxModel} imports): prints its inputs and outputs, runs it once on random or given
 * inputs, prints the outputs' shapes and first values, and times it.
 */
@Command(name = "onnx-run", mixinStandardHelpOptions = true,
        description = {"Loads an ONNX model with Cortado's importer (cortado-onnx), prints its inputs and outputs (names, element types, "
                + "declared shapes), its opset and node count, runs it on a random input (uniform in [0, 1), --seed) or on --input files, "
                + "prints each output's shape and first values, and times it: the first call, then the median of --repeat calls.",
                "Input files: .npy (np.save; float32/float64/int32/int64, C order; the file's shape is the input's) or raw little-endian "
                + "float32 in row-major order (any other name; the input's shape: the model's or --shape's).",
                "Shapes are fixed at load: a symbolic dimension (a dynamic batch) is 1 unless --shape or a .npy input gives it."},
        footer = {"", "Examples:",
                  "  java -jar cortado-examples.jar onnx-run model.onnx                        # a random input, 10 timed runs",
                  "  java -jar cortado-examples.jar onnx-run resnet18.onnx --shape x=8x3x224x224 --threads 2 --repeat 20",
                  "  java -jar cortado-examples.jar onnx-run model.onnx --input x.npy         # np.save('x.npy', x)",
                  "  java -jar cortado-examples.jar onnx-run model.onnx --input x=image.bin   # raw float32, the model's shape",
                  "  java -jar cortado-examples.jar onnx-run model.onnx --device sim"})
final class OnnxRunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file.")
    Path model;

    @Option(names = "--input", paramLabel = "[NAME=]FILE",
            description = "An input's values from FILE (.npy, or raw little-endian float32); NAME may be left out for a model of one input. "
                    + "Repeat for several inputs; inputs not given are random.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--shape", paramLabel = "[NAME=]DIMS",
            description = "Fix an input's shape at load, e.g. x=1x3x224x224 (needed for symbolic dimensions other than 1); NAME may be left "
                    + "out for a model of one input. Repeatable.")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--threads", description = "Native kernel threads (default and most: the available cores).")
    Integer threads;

    @Option(names = "--repeat", defaultValue = "10", description = "Timed calls after the first (default ${DEFAULT-VALUE}; 0: the first only).")
    int repeat;

    @Option(names = "--device", defaultValue = "cpu", converter = LeNetCommand.DeviceName.class,
            description = "Device to run on: cpu (default), sim (the host-sealed test device) or cuda (with a GPU).")
    Device device = Device.CPU;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--show", defaultValue = "8", description = "Values printed per output (default ${DEFAULT-VALUE}).")
    int show;

    @Option(names = "--profile", description = "Time every kernel call of the timed calls and print where a call's time went (cpu only).")
    boolean profile;

    private KernelProfiler profiler;

    @Spec
    CommandSpec spec;

    /** What the file declares, for the summary (OnnxModel keeps the shapes it runs, not the declared ones). */
    private record Declared(String name, String type, String shape, boolean integer) {
    }

    @Override
    public Integer call() throws Exception {
        if (repeat < 0 || show < 0) throw new CommandLine.ParameterException(spec.commandLine(), "--repeat and --show must be >= 0");
        if (profile && (repeat == 0 || !device.equals(Device.CPU))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--profile times the --repeat calls on the cpu device: give --repeat > 0 and --device cpu");
        }
        int before = threads == null ? 0 : CpuKernels.threads();
        if (threads != null) CpuKernels.setThreads(threads);
        try {
            Profiled.run(profile, p -> {
                profiler = p;
                run(spec.commandLine().getOut());
            });
        } finally {
            if (threads != null) CpuKernels.setThreads(before); // an in-process caller keeps its thread count
        }
        return 0;
    }

    private void run(PrintWriter out) throws IOException {
        ModelProto proto = readProto(model);
        GraphProto graph = proto.getGraph();
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : graph.getInitializerList()) initializers.add(t.getName());
        List<Declared> declaredInputs = new ArrayList<>(), declaredOutputs = new ArrayList<>();
        for (ValueInfoProto v : graph.getInputList()) if (!initializers.contains(v.getName())) declaredInputs.add(declared(v));
        for (ValueInfoProto v : graph.getOutputList()) declaredOutputs.add(declared(v));
        List<String> inputNames = declaredInputs.stream().map(Declared::name).toList();

        Map<String, int[]> fixed = new LinkedHashMap<>();
        for (String s : shapes) {
            String[] nv = named(s, inputNames, "--shape");
            fixed.put(nv[0], dims(nv[1]));
        }
        Map<String, InputFile.Data> files = new LinkedHashMap<>();
        Map<String, Path> fileNames = new LinkedHashMap<>();
        for (String s : inputs) {
            String[] nv = named(s, inputNames, "--input");
            Path file = Path.of(nv[1]);
            InputFile.Data data = InputFile.read(file);
            if (data.shape() != null) {
                int[] given = fixed.get(nv[0]);
                if (given != null && !Arrays.equals(given, data.shape())) {
                    throw new IOException(file + ": its shape " + Shape.str(data.shape()) + " is not --shape's " + Shape.str(given));
                }
                fixed.put(nv[0], data.shape());
            }
            files.put(nv[0], data);
            fileNames.put(nv[0], file);
        }

        out.printf(Locale.ROOT, "model %s: opset %d, IR version %d, producer %s; %d nodes%n", model, opsetOf(proto), proto.getIrVersion(),
                proto.getProducerName().isEmpty() ? "unknown" : (proto.getProducerName() + " " + proto.getProducerVersion()).strip(),
                graph.getNodeCount());
        long t0 = System.nanoTime();
        try (OnnxModel onnx = OnnxModel.load(model, device, fixed); GradMode off = GradMode.off()) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            out.printf(Locale.ROOT, "loaded on %s in %.1f ms: %d nodes run per call (after folding), %d parameters; kernels %s%n", device,
                    loadMs, onnx.runtimeNodeCount(), onnx.parameters().size(), Backends.describe(device));
            Rng rng = new Rng(seed);
            Map<String, Tensor> feed = new LinkedHashMap<>();
            try {
                for (Declared in : declaredInputs) {
                    int[] shape = onnx.inputShape(in.name());
                    String source;
                    Tensor t;
                    if (files.containsKey(in.name())) {
                        float[] v = files.get(in.name()).values();
                        Path file = fileNames.get(in.name());
                        if (v.length != Shape.numel(shape)) {
                            throw new IOException(file + ": " + v.length + " float32 values, but input '" + in.name() + "' " + Shape.str(shape)
                                    + " takes " + Shape.numel(shape) + " (give its shape with --shape, or use a .npy file)");
                        }
                        t = Tensor.of(device, v, shape);
                        source = "from " + file;
                    } else if (in.integer()) {
                        t = Tensor.zeros(device, shape);
                        source = "zeros (an integer input; give ids with --input)";
                    } else {
                        t = Tensor.rand(device, rng, shape);
                        source = "uniform random in [0, 1), seed " + seed;
                    }
                    feed.put(in.name(), t);
                    out.printf(Locale.ROOT, "input  %s: %s %s, runs as %s, %s%n", in.name(), in.type(), in.shape(), Shape.str(shape), source);
                }
                for (Declared o : declaredOutputs) out.printf(Locale.ROOT, "output %s: %s %s%n", o.name(), o.type(), o.shape());
                out.flush();
                time(onnx, feed, out);
            } finally {
                for (Tensor t : feed.values()) t.close();
            }
        }
    }

    /** The first call (its outputs printed), then the median of {@code repeat} calls. */
    private void time(OnnxModel onnx, Map<String, Tensor> feed, PrintWriter out) {
        long start = System.nanoTime();
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> result = onnx.run(feed);
            List<String> lines = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : result.entrySet()) lines.add(describe(e.getKey(), e.getValue()));
            double firstMs = (System.nanoTime() - start) / 1e6;
            out.printf(Locale.ROOT, "first call: %.2f ms%n", firstMs);
            for (String line : lines) out.println(line);
        }
        if (repeat == 0) return;
        if (profiler != null) profiler.reset(); // loading and the first call are not what --profile reports
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t = System.nanoTime();
            try (MemoryScope scope = MemoryScope.open()) {
                for (Tensor r : onnx.run(feed).values()) r.toArray(); // waits for the device to finish
            }
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        double median = repeat % 2 == 1 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
        out.printf(Locale.ROOT, "median of %d calls: %.2f ms (min %.2f, max %.2f)%n", repeat, median, ms[0], ms[repeat - 1]);
        if (profiler != null) out.printf(Locale.ROOT, "kernel time per call (ms/step = per call):%n%s", profiler.report(repeat));
    }

    /** "  name [shape]: v0 v1 ... (k of n values)", and the count of NaN or infinite values if there are any. */
    private String describe(String name, Tensor t) {
        float[] v = t.toArray();
        StringBuilder b = new StringBuilder("  ").append(name).append(' ').append(Shape.str(t.shape())).append(':');
        int k = Math.min(show, v.length);
        for (int i = 0; i < k; i++) b.append(' ').append(String.format(Locale.ROOT, "%.6g", v[i]));
        b.append(k < v.length ? " ... (" + k + " of " + v.length + " values)" : "");
        long bad = 0;
        for (float x : v) if (!Float.isFinite(x)) bad++;
        if (bad > 0) b.append("; ").append(bad).append(" NaN or infinite values");
        return b.toString();
    }

    /** The model's protobuf, for the summary; an unreadable file is an IOException naming it (as OnnxModel.load's). */
    private static ModelProto readProto(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException("no such model file: " + path);
        try {
            return ModelProto.parseFrom(Files.readAllBytes(path));
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(path + ": not a readable ONNX model (" + e.getMessage() + ")", e);
        }
    }

    private static long opsetOf(ModelProto proto) {
        return proto.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(o -> o.getVersion()).findFirst().orElse(-1);
    }

    private static Declared declared(ValueInfoProto v) {
        if (!v.getType().hasTensorType()) return new Declared(v.getName(), "?", "(not a tensor)", false);
        var t = v.getType().getTensorType();
        TensorProto.DataType type = TensorProto.DataType.forNumber(t.getElemType());
        String typeName = type == null ? "type " + t.getElemType() : type.name().toLowerCase(Locale.ROOT);
        boolean integer = type != null && type.name().contains("INT");
        if (!t.hasShape()) return new Declared(v.getName(), typeName, "(shape not declared)", integer);
        List<String> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
            dims.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?");
        }
        return new Declared(v.getName(), typeName, "[" + String.join(", ", dims) + "]", integer);
    }

    /** {name, value} of "name=value", or of "value" where the model has one input. */
    private String[] named(String arg, List<String> inputNames, String option) {
        int eq = arg.indexOf('=');
        if (eq > 0 && inputNames.contains(arg.substring(0, eq))) return new String[] {arg.substring(0, eq), arg.substring(eq + 1)};
        if (eq > 0 && option.equals("--shape")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--shape " + arg + ": the model has no input '" + arg.substring(0, eq) + "' (inputs: " + inputNames + ")");
        }
        if (inputNames.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + " " + arg + ": the model has inputs " + inputNames + ", say which one (" + option + " NAME=...)");
        }
        return new String[] {inputNames.get(0), arg};
    }

    /** "1x3x224x224" as {1, 3, 224, 224}. */
    private int[] dims(String text) {
        String[] parts = text.split("[x,]", -1);
        int[] d = new int[parts.length];
        try {
            for (int i = 0; i < d.length; i++) {
                d[i] = Integer.parseInt(parts[i].strip());
                if (d[i] < 1) throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shape " + text + ": not dimensions such as 1x3x224x224");
        }
        return d;
    }
}
