package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {

    @TempDir
    Path dir;

    @Test
    void vocabularyEncodeDecodeAndSplit() {
        TextCorpus c = TextCorpus.of("hello world\n");
        assertEquals(9, c.vocabularySize()); // \n, ' ', d, e, h, l, o, r, w: sorted by code
        assertEquals(12, c.length());
        assertEquals("\n", c.decode(0));
        assertEquals(" ", c.decode(1));
        assertEquals("hello world\n", c.decode(c.ids()));
        assertArrayEquals(new int[] {4, 3, 5, 5, 6}, c.encode("hello"));
        TextCorpus[] parts = c.split(0.75);
        assertEquals("hello wor", parts[0].decode(parts[0].ids()));
        assertEquals("ld\n", parts[1].decode(parts[1].ids()));
        assertEquals(c.vocabularySize(), parts[1].vocabularySize(), "the parts keep the whole vocabulary");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode("hex"));
        assertEquals("TextCorpus: character 'x' (U+0078) at 2 is not in the vocabulary", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.decode(9));
        assertThrows(IllegalArgumentException.class, () -> c.split(1));
        assertThrows(IllegalArgumentException.class, () -> TextCorpus.of(""));
    }

    @Test
    void batchesAreWindowsWithTheirNextCharacters() {
        TextCorpus c = TextCorpus.of("abcdefghijklmnopqrstuvwxyz");
        try (TextCorpus.Batch b = c.batch(5, 4, new Rng(3))) {
            assertArrayEquals(new int[] {5, 4}, b.x().shape());
            float[] x = b.x().toArray(), y = b.y().toArray();
            for (int r = 0; r < 5; r++) {
                for (int t = 0; t < 4; t++) {
                    assertEquals(x[r * 4 + t] + 1, y[r * 4 + t], "y is x shifted by one (consecutive letters)");
                    if (t > 0) assertEquals(x[r * 4 + t - 1] + 1, x[r * 4 + t], "a window is contiguous text");
                }
                assertTrue(y[r * 4 + 3] <= 25, "the window ends inside the text");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> c.batch(1, 26, new Rng(1)));
    }

    @Test
    void readsFilesAndNamesABadOne() throws IOException {
        Path a = Files.writeString(dir.resolve("a.txt"), "ab"), b = Files.writeString(dir.resolve("b.txt"), "ba\n");
        TextCorpus c = TextCorpus.read(List.of(a, b));
        assertEquals("abba\n", c.decode(c.ids()));
        Path bad = Files.write(dir.resolve("bad.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});
        IOException e = assertThrows(IOException.class, () -> TextCorpus.read(List.of(a, bad)));
        assertTrue(e.getMessage().startsWith(bad + ": not UTF-8 text"), e.getMessage());
        Path missing = dir.resolve("none.txt");
        assertTrue(assertThrows(IOException.class, () -> TextCorpus.read(List.of(missing))).getMessage().contains(missing.toString()));
    }
}
