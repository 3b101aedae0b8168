package dev.cortado.examples;

import dev.cortado.train.Statistics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Training curves by iteration as one PNG with XChart: a chart per panel, side by side. */
final class TrainingCurve {

    /** A statistic drawn as a line: its name in the statistics and in the legend. */
    record Series(String stat, String label) {
    }

    /** A chart: its title, y-axis title, the factor on its values and the series drawn in it. */
    record Panel(String title, String yTitle, double scale, Series... series) {
    }

    private TrainingCurve() {
    }

    /** LeNet's curve: training loss, and validation (and final test) accuracy in %. */
    static void write(Statistics stats, Path png) throws IOException {
        write(stats, png, new Panel("Training loss (mean over each summary interval)", "loss", 1, new Series("loss", "loss")),
                new Panel("Validation accuracy", "accuracy (%)", 100, new Series("validation_accuracy", "validation"),
                        new Series("test_accuracy", "test (end)")));
    }

    static void write(Statistics stats, Path png, Panel... panels) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Chart> charts = new ArrayList<>();
        for (Panel p : panels) {
            XYChart chart = new XYChartBuilder().width(640).height(420).title(p.title()).xAxisTitle("iteration").yAxisTitle(p.yTitle()).build();
            for (Series line : p.series()) add(chart, line.label(), stats.series(line.stat()), p.scale());
            charts.add(chart);
        }
        String file = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), file, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void add(XYChart chart, String name, List<Statistics.Entry> series, double scale) {
        if (series.isEmpty()) return;
        double[] x = new double[series.size()], y = new double[series.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = series.get(i).iteration();
            y[i] = scale * series.get(i).value();
        }
        chart.addSeries(name, x, y);
    }
}
