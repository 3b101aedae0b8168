package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {

    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path p = dir.resolve("data.csv");
        Files.writeString(p, text);
        return p;
    }

    private void refused(String text, CsvOptions options, String... expected) throws IOException {
        Path p = file(text);
        IOException e = assertThrows(IOException.class, () -> Datasets.csv(p, options));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
    }

    @Test
    void headerLabelByNameStringClassesAndQuotedFields() throws IOException {
        Path p = file("\uFEFFlength,species,\"width, cm\"\n"
                + "1.5, virginica ,2\r\n"
                + "\n"
                + "-3,setosa,\"4e1\"\n"
                + "0.25,\"versi\"\"color\",6\n");
        LabeledDataset t = Datasets.csv(p, CsvOptions.defaults().labelColumn("species"));
        Dataset d = t.dataset();
        assertEquals(List.of("length", "width, cm"), t.featureNames());
        assertEquals(List.of("setosa", "versi\"color", "virginica"), t.classNames(), "sorted class names");
        assertArrayEquals(new float[] {1.5f, 2, -3, 40, 0.25f, 6}, d.inputs());
        assertArrayEquals(new int[] {2}, d.sampleShape());
        assertArrayEquals(new int[] {2, 0, 1}, d.intLabels());
        assertEquals("virginica", t.className(d.label(0)));
    }

    /** scikit-learn's bundled CSVs open with a line of counts and class names before the data: skipLines(1). */
    @Test
    void skipLinesBeforeTheData() throws IOException {
        refused("3,2,class_0,class_1\n1.5,2,0\n", CsvOptions.defaults().header(false), "line 1 (data row 1)", "'class_0' is not a number");
        Path p = file("3,2,class_0,class_1\n1.5,2,0\n-3,4,1\nx,6,1\n");
        IOException e = assertThrows(IOException.class, () -> Datasets.csv(p, CsvOptions.defaults().header(false).skipLines(1)));
        assertTrue(e.getMessage().contains("line 4 (data row 3)"), "lines still count from the file's start: " + e.getMessage());
        Files.writeString(p, "3,2,class_0,class_1\n1.5,2,0\n-3,4,1\n");
        Dataset d = Datasets.csv(p, CsvOptions.defaults().header(false).skipLines(1)).dataset();
        assertArrayEquals(new float[] {1.5f, 2, -3, 4}, d.inputs());
        assertArrayEquals(new int[] {0, 1}, d.intLabels());
        refused("a,b\n", CsvOptions.defaults().skipLines(5), "no rows (none after the 5 skipped)");
        assertThrows(IllegalArgumentException.class, () -> CsvOptions.defaults().skipLines(-1));
    }

    @Test
    void noHeaderIndexDelimiterAndNumericLabels() throws IOException {
        Path p = file("1;10;0.5\n2;20;1.5\n");
        LabeledDataset t = Datasets.csv(p, CsvOptions.defaults().header(false).delimiter(';').labelColumn(0));
        assertArrayEquals(new float[] {1, 2}, t.dataset().labels());
        assertArrayEquals(new float[] {10, 0.5f, 20, 1.5f}, t.dataset().inputs());
        assertEquals(List.of("1", "2"), t.featureNames());
        assertEquals(List.of(), t.classNames(), "numbers: no class names");
        // numbers as classes are ordered numerically, not as text
        LabeledDataset c = Datasets.csv(file("x,y\n1,10\n2,9\n3,10\n"), CsvOptions.defaults().labels(CsvOptions.Labels.CLASSES));
        assertEquals(List.of("9", "10"), c.classNames());
        assertArrayEquals(new int[] {1, 0, 1}, c.dataset().intLabels());
    }

    @Test
    void everyRefusalNamesFileLineRowAndColumn() throws IOException {
        CsvOptions o = CsvOptions.defaults();
        refused("a,b,label\n1,2,x\n3,,y\n", o, "line 3 (data row 2)", "column 'b' (index 1)", "missing value");
        refused("a,b,label\n1,2,x\n3,NA,y\n", o, "line 3 (data row 2)", "column 'b' (index 1)", "missing value 'NA'");
        refused("a,b,label\n1,2,x\n\n3,4,y,5\n", o, "line 4 (data row 2)", "4 fields, expected 3", "[a, b, label]");
        refused("a,b,label\n1,2\n", o, "line 2 (data row 1)", "2 fields, expected 3");
        refused("a,b,label\n1,2,x\n1,2.5.1,y\n", o, "line 3 (data row 2)", "column 'b' (index 1)", "'2.5.1' is not a number");
        refused("a,b,label\n1e39,2,x\n", o, "line 2 (data row 1)", "column 'a' (index 0)", "beyond the float range");
        refused("a,b,label\n1,2,\n", o, "line 2 (data row 1)", "column 'label' (index 2)", "missing label");
        refused("a,b,label\n1,2,x\n", o.labelColumn("species"), "no column 'species'", "[a, b, label]");
        refused("a,b,label\n1,2,x\n", o.labelColumn(5), "label column index 5 is outside the 3 columns");
        refused("1,2,x\n4,y,z\n", o.header(false).labels(CsvOptions.Labels.CLASSES), "line 2 (data row 2)", "column index 1", "'y' is not a number");
        refused("a,b,label\n1,2,3\n4,5,six\n", o.labels(CsvOptions.Labels.NUMBERS), "line 3 (data row 2)", "column 'label' (index 2)", "'six' is not a number");
        refused("a,b,label\n1,\"2,x\n", o, "line 2: a quote opened here is never closed");
        refused("a,b,label\n1,\"2\"x,y\n", o, "line 2: text after the closing quote");
        refused("a,b,label\n", o, "followed by no data rows");
        refused("", o, "no rows");
        refused("label\n1\n", o, "a dataset needs at least one feature column");
        IOException missing = assertThrows(IOException.class, () -> Datasets.csv(dir.resolve("nope.csv")));
        assertTrue(missing.getMessage().contains("nope.csv: no such file"), missing.getMessage());
        IllegalArgumentException byName = assertThrows(IllegalArgumentException.class,
                () -> Datasets.csv(file("1,2\n"), o.header(false).labelColumn("y")));
        assertTrue(byName.getMessage().contains("no header"), byName.getMessage());
    }

    @Test
    void quotedLineBreakKeepsLineNumbersRight() throws IOException {
        refused("a,label,b\n1,\"two\nlines\",3\n2,ok,\n", CsvOptions.defaults().labelColumn("label"),
                "line 4 (data row 2)", "column 'b' (index 2)", "missing value");
    }
}
