package dev.cortado.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * Renders JMH JSON results (ours, and the anchors' in the same format: cuBLAS/torch.mm, PyTorch's
 * LeNet) from any number of machines into one markdown table (report.md) and a PNG bar chart per
 * task (report-gemm.png, report-lenet-train.png, report-lenet-infer.png):
 * {@code BenchReport <out-dir> <machine>=<result.json>...}. Each row is one measurement with its
 * rate — GFLOPS for GEMM (2n^3 / time), samples/s for LeNet (batch / time) — and where an anchor
 * or a CPU run of the same shape exists on the same machine, our rate over the anchor's
 * (cuBLAS, PyTorch) and the GPU's over the CPU's.
 */
public final class BenchReport {

    /** One measurement: machine, what ran (benchmark + backend), shape (n or batch), its rate and unit. */
    record Row(String machine, String bench, String backend, long size, double seconds, double rate, String unit) {
        String task() {
            return bench.contains("gemm") ? "gemm" : bench.contains("train") ? "lenet-train" : bench.contains("infer") ? "lenet-infer" : bench;
        }
    }

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: BenchReport <out-dir> <machine>=<jmh-result.json>...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("expected <machine>=<file>, got " + args[i]);
            Path file = Path.of(args[i].substring(eq + 1));
            if (Files.exists(file) && Files.size(file) > 0) rows.addAll(read(args[i].substring(0, eq), file));
        }
        Files.createDirectories(out);
        String md = markdown(rows);
        Files.writeString(out.resolve("report.md"), md);
        if (ModuleLayer.boot().findModule("java.desktop").isPresent()) {
            charts(rows, out);
        } else { // the GPU bundle's small runtime: draw the chart later from the same JSON with a full JDK
            System.err.println("report-*.png not drawn: this Java runtime has no java.desktop; run BenchReport with a full JDK"
                    + " (java -cp benchmarks/target/benchmarks.jar " + BenchReport.class.getName() + " <out-dir> <machine>=<json>...)");
        }
        System.out.print(md);
    }

    static List<Row> read(String machine, Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (JsonNode r : new ObjectMapper().readTree(file.toFile())) {
            String bench = r.path("benchmark").asText();
            JsonNode p = r.path("params");
            String backend = p.path("backend").asText("?");
            long size = p.has("n") ? p.path("n").asLong() : p.path("batch").asLong(bench.contains("LeNet") ? 64 : 0);
            double seconds = seconds(r.path("primaryMetric").path("score").asDouble(), r.path("primaryMetric").path("scoreUnit").asText());
            boolean gemm = bench.toLowerCase(Locale.ROOT).contains("gemm");
            double rate = gemm ? 2.0 * size * size * size / seconds / 1e9 : size / seconds;
            rows.add(new Row(machine, shortName(bench), backend, size, seconds, rate, gemm ? "GFLOPS" : "samples/s"));
        }
        return rows;
    }

    private static String shortName(String bench) {
        String[] parts = bench.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : bench;
    }

    /** A JMH score (time per op) in seconds. */
    private static double seconds(double score, String unit) {
        return switch (unit) {
            case "s/op" -> score;
            case "ms/op" -> score / 1e3;
            case "us/op" -> score / 1e6;
            case "ns/op" -> score / 1e9;
            default -> throw new IllegalArgumentException("unsupported JMH unit " + unit + " (use AverageTime)");
        };
    }

    /** The anchor of a row: cuBLAS/PyTorch on the same device kind, machine, task and size. */
    private static Row anchor(List<Row> rows, Row r) {
        if (r.backend().startsWith("torch")) return null;
        String want = r.backend().equals("cuda") ? "torch-cuda" : r.backend().equals("cpu") ? "torch-cpu" : null;
        return find(rows, r, want);
    }

    private static Row find(List<Row> rows, Row r, String backend) {
        if (backend == null) return null;
        for (Row o : rows) {
            if (o.machine().equals(r.machine()) && o.task().equals(r.task()) && o.size() == r.size() && o.backend().equals(backend)) return o;
        }
        return null;
    }

    static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| machine | task | backend | n / batch | time (ms) | rate | vs anchor | GPU / CPU |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            Row a = anchor(rows, r);
            Row cpu = r.backend().equals("cuda") ? find(rows, r, "cpu") : null;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.3f | %,.1f %s | %s | %s |%n", r.machine(), r.task(), r.backend(), r.size(),
                    r.seconds() * 1e3, r.rate(), r.unit(),
                    a == null ? "" : String.format(Locale.ROOT, "%.2fx %s", r.rate() / a.rate(), a.backend().equals("torch-cuda") && r.task().equals("gemm") ? "cuBLAS" : "PyTorch"),
                    cpu == null ? "" : String.format(Locale.ROOT, "%.1fx", r.rate() / cpu.rate())));
        }
        return sb.toString();
    }

    /** One bar chart per task (GEMM in GFLOPS, LeNet training and inference in samples/s): machine and size along x, a bar per backend. */
    static void charts(List<Row> rows, Path dir) throws IOException {
        Map<String, List<Row>> byTask = new LinkedHashMap<>();
        for (Row r : rows) byTask.computeIfAbsent(r.task(), t -> new ArrayList<>()).add(r);
        for (Map.Entry<String, List<Row>> task : byTask.entrySet()) {
            List<Row> rs = task.getValue();
            CategoryChart chart = new CategoryChartBuilder().width(1000).height(600).title(task.getKey())
                    .xAxisTitle("machine, n / batch").yAxisTitle(rs.get(0).unit()).build();
            chart.getStyler().setXAxisLabelRotation(30);
            List<String> categories = new ArrayList<>();
            for (Row r : rs) if (!categories.contains(r.machine() + " " + r.size())) categories.add(r.machine() + " " + r.size());
            Map<String, List<Double>> series = new LinkedHashMap<>();
            for (Row r : rs) series.computeIfAbsent(r.backend(), b -> new ArrayList<>());
            for (Map.Entry<String, List<Double>> s : series.entrySet()) {
                for (String cat : categories) {
                    double v = 0; // a backend not run at that size draws no bar
                    for (Row r : rs) if (r.backend().equals(s.getKey()) && cat.equals(r.machine() + " " + r.size())) v = r.rate();
                    s.getValue().add(v);
                }
                chart.addSeries(s.getKey(), categories, s.getValue());
            }
            BitmapEncoder.saveBitmap(chart, dir.resolve("report-" + task.getKey() + ".png").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
