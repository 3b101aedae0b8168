package dev.cortado.data;

/**
 * How {@link Datasets#csv} reads a file; immutable, each setter returns a changed copy:
 * {@code CsvOptions.defaults().labelColumn("species").delimiter(';')}. Defaults: a header line,
 * comma-separated, the label in the last column, label kind {@link Labels#AUTO}.
 */
public final class CsvOptions {

    /** What the label column holds. */
    public enum Labels {
        /** Class names (any text) mapped to 0, 1, ... in sorted order (numerically if every name is a number). */
        CLASSES,
        /** Numbers, kept as they are (regression targets, or class indices already). */
        NUMBERS,
        /** NUMBERS if every label is a number, else CLASSES. */
        AUTO
    }

    private final boolean header;
    private final char delimiter;
    private final String labelName;
    private final int labelIndex;
    private final Labels labels;
    private final int skipLines;

    private CsvOptions(boolean header, char delimiter, String labelName, int labelIndex, Labels labels, int skipLines) {
        this.skipLines = skipLines;
        this.header = header;
        this.delimiter = delimiter;
        this.labelName = labelName;
        this.labelIndex = labelIndex;
        this.labels = labels;
    }

    public static CsvOptions defaults() {
        return new CsvOptions(true, ',', null, -1, Labels.AUTO, 0);
    }

    /** Whether the first line names the columns (default true). */
    public CsvOptions header(boolean hasHeader) {
        return new CsvOptions(hasHeader, delimiter, labelName, labelIndex, labels, skipLines);
    }

    /** The field separator (default ','; e.g. ';' or '\t'). */
    public CsvOptions delimiter(char c) {
        if (c == '"' || c == '\n' || c == '\r') throw new IllegalArgumentException("the delimiter cannot be a quote or a line break");
        return new CsvOptions(header, c, labelName, labelIndex, labels, skipLines);
    }

    /** The label column by its header name (needs a header). */
    public CsvOptions labelColumn(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("label column name is null or empty");
        return new CsvOptions(header, delimiter, name, -1, labels, skipLines);
    }

    /** The label column by its 0-based index; -1 is the last column (the default). */
    public CsvOptions labelColumn(int index) {
        if (index < -1) throw new IllegalArgumentException("label column index must be >= 0, or -1 for the last column; got " + index);
        return new CsvOptions(header, delimiter, null, index, labels, skipLines);
    }

    /** What the label column holds (default AUTO). */
    public CsvOptions labels(Labels kind) {
        if (kind == null) throw new IllegalArgumentException("label kind is null");
        return new CsvOptions(header, delimiter, labelName, labelIndex, kind, skipLines);
    }

    /**
     * Records to skip before the header (default 0), as pandas' {@code skiprows}: e.g. 1 for
     * scikit-learn's bundled CSVs, whose first line holds counts and class names.
     */
    public CsvOptions skipLines(int n) {
        if (n < 0) throw new IllegalArgumentException("lines to skip must be >= 0, got " + n);
        return new CsvOptions(header, delimiter, labelName, labelIndex, labels, n);
    }

    public int skipLines() {
        return skipLines;
    }

    public boolean header() {
        return header;
    }

    public char delimiter() {
        return delimiter;
    }

    /** The label column's name, or null when it is chosen by index. */
    public String labelName() {
        return labelName;
    }

    /** The label column's index (-1: last), meaningful when {@link #labelName()} is null. */
    public int labelIndex() {
        return labelIndex;
    }

    public Labels labels() {
        return labels;
    }
}
