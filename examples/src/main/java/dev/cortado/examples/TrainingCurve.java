package dev.cortado.examples;

import dev.cortado.train.Statistics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Writes the training curve (loss, and validation accuracy, by iteration) as one PNG with XChart. */
final class TrainingCurve {

    private TrainingCurve() {
    }

    static void write(Statistics stats, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart loss = chart("Training loss (mean over each summary interval)", "loss");
        add(loss, "loss", stats.series("loss"));
        XYChart accuracy = chart("Validation accuracy", "accuracy (%)");
        add(accuracy, "validation", stats.series("validation_accuracy"));
        add(accuracy, "test (end)", stats.series("test_accuracy"));
        String file = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
        List<Chart> charts = List.of(loss, accuracy);
        BitmapEncoder.saveBitmap(charts, 1, 2, file, BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(String title, String yTitle) {
        return new XYChartBuilder().width(640).height(420).title(title).xAxisTitle("iteration").yAxisTitle(yTitle).build();
    }

    private static void add(XYChart chart, String name, List<Statistics.Entry> series) {
        if (series.isEmpty()) return;
        double[] x = new double[series.size()], y = new double[series.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = series.get(i).iteration();
            y[i] = chart.getTitle().startsWith("Training") ? series.get(i).value() : 100 * series.get(i).value();
        }
        chart.addSeries(name, x, y);
    }
}
