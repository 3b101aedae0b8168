package dev.cortado.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CSV file (RFC 4180) into records: fields separated by the delimiter, a field in
 * double quotes may hold delimiters, line breaks and doubled quotes ({@code ""}); unquoted
 * fields are stripped of surrounding blanks; blank lines are skipped; a UTF-8 BOM is ignored.
 */
final class CsvParser {

    /** One record and the 1-based line it starts on. */
    record Row(int line, List<String> fields) {
    }

    private CsvParser() {
    }

    static List<Row> parse(Path file, char delimiter) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text (" + e + ")", e);
        }
        List<Row> rows = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false, quoted = false;
        int line = 1, rowLine = 1, quoteLine = 0;
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inQuotes) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        inQuotes = false;
                    }
                } else {
                    if (c == '\n') line++;
                    cur.append(c);
                }
            } else if (c == delimiter) {
                fields.add(quoted ? cur.toString() : cur.toString().strip());
                cur.setLength(0);
                quoted = false;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
                endRow(rows, fields, cur, quoted, rowLine);
                quoted = false;
                line++;
                rowLine = line;
            } else if (c == '"' && !quoted && cur.toString().isBlank()) {
                inQuotes = quoted = true;
                quoteLine = line;
                cur.setLength(0);
            } else if (quoted) {
                if (!Character.isWhitespace(c)) {
                    throw new IOException(file + ": line " + line + ": text after the closing quote of field " + fields.size()
                            + " (quote the whole field, and double a quote inside it: \"\")");
                }
            } else {
                cur.append(c);
            }
        }
        if (inQuotes) throw new IOException(file + ": line " + quoteLine + ": a quote opened here is never closed");
        endRow(rows, fields, cur, quoted, rowLine);
        return rows;
    }

    private static void endRow(List<Row> rows, List<String> fields, StringBuilder cur, boolean quoted, int line) {
        String last = quoted ? cur.toString() : cur.toString().strip();
        cur.setLength(0);
        if (fields.isEmpty() && last.isEmpty() && !quoted) return; // blank line
        fields.add(last);
        rows.add(new Row(line, List.copyOf(fields)));
        fields.clear();
    }
}
