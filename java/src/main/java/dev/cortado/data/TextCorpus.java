package dev.cortado.data;

import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A text as a sequence of character ids, for character-level language models (nanoGPT's
 * shakespeare-char preparation): the vocabulary is the text's distinct characters in code order,
 * {@link #encode}/{@link #decode} map between text and ids, {@link #split} cuts the sequence at a
 * fraction (train first, as nanoGPT does), and {@link #batch} draws random windows of
 * {@code context} ids with their next-character targets.
 */
public final class TextCorpus {

    private final char[] vocabulary;
    private final int[] index = new int[Character.MAX_VALUE + 1];
    private final int[] ids;

    private TextCorpus(char[] vocabulary, int[] ids) {
        this.vocabulary = vocabulary;
        Arrays.fill(index, -1);
        for (int i = 0; i < vocabulary.length; i++) index[vocabulary[i]] = i;
        this.ids = ids;
    }

    /** The corpus of {@code text}, its vocabulary the text's own characters. */
    public static TextCorpus of(String text) {
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("TextCorpus: the text is " + (text == null ? "null" : "empty"));
        TreeSet<Character> chars = new TreeSet<>();
        for (int i = 0; i < text.length(); i++) chars.add(text.charAt(i));
        char[] vocabulary = new char[chars.size()];
        int k = 0;
        for (char c : chars) vocabulary[k++] = c;
        TextCorpus corpus = new TextCorpus(vocabulary, new int[0]);
        return new TextCorpus(vocabulary, corpus.encode(text));
    }

    /** The files' text, one after the other (UTF-8; an invalid file is an IOException naming it). */
    public static TextCorpus read(List<Path> files) throws IOException {
        if (files == null || files.isEmpty()) throw new IllegalArgumentException("TextCorpus.read: no files");
        StringBuilder text = new StringBuilder();
        for (Path f : files) {
            if (f == null) throw new IllegalArgumentException("TextCorpus.read: a file is null");
            if (!Files.isRegularFile(f)) throw new IOException(f + ": no such file");
            try {
                text.append(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))));
            } catch (CharacterCodingException e) {
                throw new IOException(f + ": not UTF-8 text (" + e + ")", e);
            }
        }
        if (text.length() == 0) throw new IOException(files + ": the files hold no text");
        return of(text.toString());
    }

    /** The ids of {@code text}; a character outside the vocabulary is refused by name. */
    public int[] encode(String text) {
        int[] out = new int[text.length()];
        for (int i = 0; i < out.length; i++) {
            char c = text.charAt(i);
            out[i] = index[c];
            if (out[i] < 0) throw new IllegalArgumentException("TextCorpus: character " + describe(c) + " at " + i + " is not in the vocabulary");
        }
        return out;
    }

    public String decode(int... ids) {
        StringBuilder b = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= vocabulary.length) throw new IllegalArgumentException("TextCorpus: id " + id + " is outside the vocabulary of " + vocabulary.length);
            b.append(vocabulary[id]);
        }
        return b.toString();
    }

    public int vocabularySize() {
        return vocabulary.length;
    }

    /** Number of characters. */
    public int length() {
        return ids.length;
    }

    /** The corpus's ids (a copy). */
    public int[] ids() {
        return ids.clone();
    }

    /** The first {@code fraction} of the text and the rest, both with this vocabulary. */
    public TextCorpus[] split(double fraction) {
        if (!(fraction > 0 && fraction < 1)) throw new IllegalArgumentException("TextCorpus.split: fraction must be in (0, 1), got " + fraction);
        int cut = (int) (ids.length * fraction);
        if (cut == 0 || cut == ids.length) throw new IllegalArgumentException("TextCorpus.split: " + ids.length + " characters cut at " + fraction + " leave a part empty");
        return new TextCorpus[] {new TextCorpus(vocabulary, Arrays.copyOfRange(ids, 0, cut)), new TextCorpus(vocabulary, Arrays.copyOfRange(ids, cut, ids.length))};
    }

    /** {@code batch} windows of {@code context} ids (x) and the ids one further on (y), each [batch, context]. */
    public record Batch(Tensor x, Tensor y) implements AutoCloseable {
        @Override
        public void close() {
            x.close();
            y.close();
        }
    }

    /** Windows starting at uniformly random positions, drawn from {@code rng}; ids as floats (Cortado's one dtype). */
    public Batch batch(int batch, int context, Rng rng) {
        if (batch < 1 || context < 1) throw new IllegalArgumentException("TextCorpus.batch: batch and context must be >= 1, got " + batch + ", " + context);
        if (context >= ids.length) {
            throw new IllegalArgumentException("TextCorpus.batch: a context of " + context + " needs more than " + ids.length + " characters");
        }
        float[] x = new float[batch * context], y = new float[batch * context];
        for (int b = 0; b < batch; b++) {
            int start = rng.nextInt(ids.length - context);
            for (int t = 0; t < context; t++) {
                x[b * context + t] = ids[start + t];
                y[b * context + t] = ids[start + t + 1];
            }
        }
        return new Batch(Tensor.of(x, batch, context), Tensor.of(y, batch, context));
    }

    private static String describe(char c) {
        return Character.isISOControl(c) ? String.format("U+%04X", (int) c) : "'" + c + "' (U+" + String.format("%04X", (int) c) + ")";
    }
}
