package dev.cortado.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Counts of (actual class, predicted class) pairs over {@code classes} classes, with per-class
 * precision, recall and F1 and their macro averages (unweighted means over the classes, as
 * scikit-learn's average="macro"; a class never predicted has precision 0, one never present
 * recall 0, and F1 is 0 where precision and recall are both 0). {@link #toString} prints the
 * table, rows actual, columns predicted.
 */
public final class ConfusionMatrix {

    private final long[][] counts;
    private final List<String> names;

    private ConfusionMatrix(long[][] counts, List<String> names) {
        this.counts = counts;
        this.names = names;
    }

    /** The matrix of these pairs, classes named 0..classes-1. */
    public static ConfusionMatrix of(int classes, int[] actual, int[] predicted) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) names.add(Integer.toString(c));
        return of(names, actual, predicted);
    }

    /** The matrix of these pairs (class indices into {@code names}), printed with the names. */
    public static ConfusionMatrix of(List<String> names, int[] actual, int[] predicted) {
        if (names == null || names.isEmpty()) throw new IllegalArgumentException("ConfusionMatrix: no classes");
        for (int c = 0; c < names.size(); c++) if (names.get(c) == null) throw new IllegalArgumentException("ConfusionMatrix: class " + c + " has no name");
        if (actual == null || predicted == null) throw new IllegalArgumentException("ConfusionMatrix: actual or predicted classes are null");
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("ConfusionMatrix: " + actual.length + " actual classes but " + predicted.length + " predicted");
        }
        int k = names.size();
        long[][] counts = new long[k][k];
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] < 0 || actual[i] >= k || predicted[i] < 0 || predicted[i] >= k) {
                throw new IllegalArgumentException("ConfusionMatrix: row " + i + " has actual class " + actual[i] + " and predicted class " + predicted[i]
                        + ", not both in 0.." + (k - 1));
            }
            counts[actual[i]][predicted[i]]++;
        }
        return new ConfusionMatrix(counts, List.copyOf(names));
    }

    public int classes() {
        return counts.length;
    }

    /** The class names, in index order. */
    public List<String> names() {
        return names;
    }

    /** How many rows of class {@code actual} were predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        checkClass(actual);
        checkClass(predicted);
        return counts[actual][predicted];
    }

    /** All rows counted. */
    public long total() {
        long n = 0;
        for (long[] row : counts) for (long v : row) n += v;
        return n;
    }

    /** The fraction of rows predicted as their class (NaN with no rows). */
    public double accuracy() {
        long right = 0;
        for (int c = 0; c < counts.length; c++) right += counts[c][c];
        long n = total();
        return n == 0 ? Double.NaN : (double) right / n;
    }

    /** Of the rows predicted as class c, the fraction that are c (0 if none were). */
    public double precision(int c) {
        checkClass(c);
        long predicted = 0;
        for (long[] row : counts) predicted += row[c];
        return predicted == 0 ? 0 : (double) counts[c][c] / predicted;
    }

    /** Of the rows of class c, the fraction predicted as c (0 if there were none). */
    public double recall(int c) {
        checkClass(c);
        long actual = Arrays.stream(counts[c]).sum();
        return actual == 0 ? 0 : (double) counts[c][c] / actual;
    }

    /** The harmonic mean of precision and recall of class c (0 when both are 0). */
    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) s += precision(c);
        return s / counts.length;
    }

    public double macroRecall() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) s += recall(c);
        return s / counts.length;
    }

    public double macroF1() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) s += f1(c);
        return s / counts.length;
    }

    /** The counts table (rows actual, columns predicted). */
    @Override
    public String toString() {
        int width = "actual\\predicted".length();
        for (String n : names) width = Math.max(width, n.length());
        for (long[] row : counts) for (long v : row) width = Math.max(width, Long.toString(v).length());
        StringBuilder b = new StringBuilder(pad("actual\\predicted", width));
        for (String n : names) b.append(' ').append(pad(n, width));
        for (int a = 0; a < counts.length; a++) {
            b.append('\n').append(pad(names.get(a), width));
            for (long v : counts[a]) b.append(' ').append(pad(Long.toString(v), width));
        }
        return b.toString();
    }

    /** Per-class precision, recall, F1 and support, then the macro averages. */
    public String perClassTable() {
        int width = "macro avg".length();
        for (String n : names) width = Math.max(width, n.length());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %9s %9s %9s %9s", pad("class", width), "precision", "recall", "f1", "support"));
        for (int c = 0; c < counts.length; c++) {
            b.append(String.format(Locale.ROOT, "%n%s %9.4f %9.4f %9.4f %9d", pad(names.get(c), width), precision(c), recall(c), f1(c),
                    Arrays.stream(counts[c]).sum()));
        }
        b.append(String.format(Locale.ROOT, "%n%s %9.4f %9.4f %9.4f %9d", pad("macro avg", width), macroPrecision(), macroRecall(), macroF1(), total()));
        return b.toString();
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    private void checkClass(int c) {
        if (c < 0 || c >= counts.length) throw new IndexOutOfBoundsException("ConfusionMatrix: class " + c + " is not in 0.." + (counts.length - 1));
    }
}
