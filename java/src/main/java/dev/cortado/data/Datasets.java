package dev.cortado.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Readers that turn files into datasets; see also {@link ImageFolder}, {@link Dataset#mnist} and {@link Hdf5Source}. */
public final class Datasets {

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Set<String> MISSING = Set.of("", "na", "n/a", "nan", "null", "none", "?");

    private Datasets() {
    }

    /** {@link #csv(Path, CsvOptions)} with {@link CsvOptions#defaults()}. */
    public static LabeledDataset csv(Path file) throws IOException {
        return csv(file, CsvOptions.defaults());
    }

    /**
     * Reads a CSV file of numeric feature columns and one label column into samples of shape
     * [features] (every column but the label, in file order). A missing value (an empty field,
     * NA, N/A, NaN, null, none or ?), a field that is not a number, a number beyond the float
     * range and a row with another count of fields are refused with an IOException naming the
     * file, the line (1-based, in the file) and the data row (1-based, after the header) and the
     * column (its header name and 0-based index).
     */
    public static LabeledDataset csv(Path file, CsvOptions options) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (options == null) throw new IllegalArgumentException("options are null (use CsvOptions.defaults())");
        if (options.labelName() != null && !options.header()) {
            throw new IllegalArgumentException("label column '" + options.labelName() + "' is chosen by name, but the options say there is no header; "
                    + "choose it by index or set header(true)");
        }
        List<CsvParser.Row> rows = CsvParser.parse(file, options.delimiter());
        rows = rows.subList(Math.min(options.skipLines(), rows.size()), rows.size());
        if (rows.isEmpty()) {
            throw new IOException(file + ": no rows (" + (options.skipLines() > 0 ? "none after the " + options.skipLines() + " skipped" : "the file is empty") + ")");
        }
        List<String> names = new ArrayList<>();
        if (options.header()) {
            names.addAll(rows.get(0).fields());
        } else {
            for (int c = 0; c < rows.get(0).fields().size(); c++) names.add(Integer.toString(c));
        }
        List<CsvParser.Row> data = options.header() ? rows.subList(1, rows.size()) : rows;
        if (data.isEmpty()) throw new IOException(file + ": the header " + names + " is followed by no data rows");
        int cols = names.size();
        int label = labelColumn(file, options, names);
        if (cols < 2) throw new IOException(file + ": only the label column " + names + "; a dataset needs at least one feature column");
        int features = cols - 1;
        if ((long) features * data.size() > Integer.MAX_VALUE) throw new IOException(file + ": " + data.size() + " rows of " + features + " features exceed 2^31 values");
        float[] x = new float[features * data.size()];
        String[] labelText = new String[data.size()];
        for (int r = 0; r < data.size(); r++) {
            CsvParser.Row row = data.get(r);
            if (row.fields().size() != cols) {
                throw new IOException(where(file, row, r) + ": " + row.fields().size() + " fields, expected " + cols
                        + (options.header() ? " as in the header " + names : " as in the first row"));
            }
            for (int c = 0, f = 0; c < cols; c++) {
                String v = row.fields().get(c);
                if (c == label) {
                    if (MISSING.contains(v.toLowerCase(Locale.ROOT))) throw new IOException(where(file, row, r) + ", " + column(options, names, c) + ": missing label");
                    labelText[r] = v;
                } else {
                    x[r * features + f++] = number(file, row, r, options, names, c);
                }
            }
        }
        List<String> featureNames = new ArrayList<>(names);
        featureNames.remove(label);
        boolean numeric = options.labels() == CsvOptions.Labels.NUMBERS
                || options.labels() == CsvOptions.Labels.AUTO && Arrays.stream(labelText).allMatch(t -> NUMBER.matcher(t).matches());
        float[] y = new float[data.size()];
        List<String> classNames = List.of();
        if (numeric) {
            for (int r = 0; r < y.length; r++) y[r] = number(file, data.get(r), r, options, names, label);
        } else {
            boolean allNumbers = Arrays.stream(labelText).allMatch(t -> NUMBER.matcher(t).matches());
            Comparator<String> order = allNumbers ? Comparator.comparingDouble(Double::parseDouble) : Comparator.naturalOrder();
            TreeSet<String> distinct = new TreeSet<>(order.thenComparing(Comparator.naturalOrder()));
            for (String t : labelText) distinct.add(t);
            Map<String, Integer> index = new HashMap<>();
            for (String t : distinct) index.put(t, index.size());
            for (int r = 0; r < y.length; r++) y[r] = index.get(labelText[r]);
            classNames = List.copyOf(distinct);
        }
        return new LabeledDataset(new Dataset(x, new int[] {features}, y), featureNames, classNames);
    }

    private static int labelColumn(Path file, CsvOptions options, List<String> names) throws IOException {
        if (options.labelName() != null) {
            int i = names.indexOf(options.labelName());
            if (i < 0) throw new IOException(file + ": no column '" + options.labelName() + "' for the label; the header has " + names);
            return i;
        }
        int i = options.labelIndex() < 0 ? names.size() - 1 : options.labelIndex();
        if (i >= names.size()) {
            throw new IOException(file + ": label column index " + i + " is outside the " + names.size() + " columns " + names + " (indices are 0-based)");
        }
        return i;
    }

    private static float number(Path file, CsvParser.Row row, int r, CsvOptions options, List<String> names, int c) throws IOException {
        String v = row.fields().get(c);
        if (MISSING.contains(v.toLowerCase(Locale.ROOT))) {
            throw new IOException(where(file, row, r) + ", " + column(options, names, c) + ": missing value" + (v.isEmpty() ? "" : " '" + v + "'"));
        }
        if (!NUMBER.matcher(v).matches()) throw new IOException(where(file, row, r) + ", " + column(options, names, c) + ": '" + v + "' is not a number");
        float f = (float) Double.parseDouble(v);
        if (Float.isInfinite(f)) throw new IOException(where(file, row, r) + ", " + column(options, names, c) + ": " + v + " is beyond the float range (+-3.4e38)");
        return f;
    }

    private static String where(Path file, CsvParser.Row row, int dataRow) {
        return file + ": line " + row.line() + " (data row " + (dataRow + 1) + ")";
    }

    private static String column(CsvOptions options, List<String> names, int c) {
        return options.header() ? "column '" + names.get(c) + "' (index " + c + ")" : "column index " + c;
    }
}
