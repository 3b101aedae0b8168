package dev.cortado.metrics;

import java.util.Locale;

/**
 * A classifier measured on labelled rows: accuracy, top-k accuracy (the label among the k most
 * probable classes) and the confusion matrix with per-class precision, recall and F1.
 */
public record ClassificationReport(int rows, double accuracy, int k, double topKAccuracy, ConfusionMatrix confusion) implements Report {

    /** Accuracy, top-k accuracy, the per-class table and the confusion matrix. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d rows: accuracy %.4f, top-%d accuracy %.4f, macro F1 %.4f%n%s%n%s", rows, accuracy, k, topKAccuracy,
                confusion.macroF1(), confusion.perClassTable(), confusion);
    }
}
