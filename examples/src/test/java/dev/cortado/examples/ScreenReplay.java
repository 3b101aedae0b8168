package dev.cortado.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal shows after a program's output: replays printable characters, carriage return,
 * newline (as a terminal's onlcr: to the next line's start), backspace, and the CSI sequences a
 * progress bar uses (cursor up/down/column, erase in line); other escape sequences are ignored.
 * Lines are unbounded (no wrapping).
 */
final class ScreenReplay {

    private ScreenReplay() {
    }

    /** The screen's lines, trailing blanks stripped, trailing empty lines dropped. */
    static List<String> lines(String output) {
        List<StringBuilder> screen = new ArrayList<>();
        screen.add(new StringBuilder());
        int row = 0, col = 0;
        for (int i = 0; i < output.length(); i++) {
            char c = output.charAt(i);
            if (c == '\033' && i + 1 < output.length() && output.charAt(i + 1) == '[') {
                int j = i + 2;
                while (j < output.length() && (Character.isDigit(output.charAt(j)) || output.charAt(j) == ';' || output.charAt(j) == '?')) j++;
                if (j == output.length()) break;
                String arg = output.substring(i + 2, j);
                int n = arg.isEmpty() || !arg.chars().allMatch(Character::isDigit) ? -1 : Integer.parseInt(arg);
                StringBuilder line = screen.get(row);
                switch (output.charAt(j)) {
                    case 'A' -> row = Math.max(0, row - Math.max(1, n));
                    case 'B' -> row += Math.max(1, n);
                    case 'G' -> col = Math.max(0, Math.max(1, n) - 1);
                    case 'K' -> {
                        if (n <= 0) line.setLength(Math.min(col, line.length()));
                        else if (n == 1) for (int k = 0; k < Math.min(col + 1, line.length()); k++) line.setCharAt(k, ' ');
                        else line.setLength(0);
                    }
                    default -> { } // colours, cursor visibility, ...
                }
                while (screen.size() <= row) screen.add(new StringBuilder());
                i = j;
            } else if (c == '\r') {
                col = 0;
            } else if (c == '\n') {
                row++;
                col = 0;
                while (screen.size() <= row) screen.add(new StringBuilder());
            } else if (c == '\b') {
                col = Math.max(0, col - 1);
            } else if (c >= ' ' || c == '\t') {
                StringBuilder line = screen.get(row);
                while (line.length() < col) line.append(' ');
                if (col < line.length()) line.setCharAt(col, c);
                else line.append(c);
                col++;
            }
        }
        List<String> lines = new ArrayList<>();
        for (StringBuilder line : screen) lines.add(line.toString().stripTrailing());
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        return lines;
    }
}
