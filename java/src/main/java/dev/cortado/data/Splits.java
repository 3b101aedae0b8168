package dev.cortado.data;

import dev.cortado.tensor.Rng;
import java.util.Arrays;

/**
 * Seeded train/validation/test splits.
 *
 * <p>Sizes: part i gets {@code floor(fractions[i] * n)} samples, and the samples left over go one
 * each to the parts with the largest remainders {@code fractions[i] * n - floor(...)} (the earlier
 * part first on ties), so the sizes add up to n exactly. Fractions must be >= 0 and add up to 1.
 *
 * <p>Unstratified: the samples are shuffled by the seed and cut into consecutive parts.
 * Stratified: the samples of each class are shuffled by the seed and ordered by their relative
 * place within their class, then cut; each part then holds every class in its proportion, to
 * within one or two samples per class, and the part sizes are the same as unstratified.
 */
public final class Splits {

    private Splits() {
    }

    /** The parts of {@code data} in the order of {@code fractions}; the same seed gives the same parts. */
    public static Dataset[] split(Dataset data, long seed, boolean stratified, double... fractions) {
        if (data == null) throw new IllegalArgumentException("dataset is null");
        int[] sizes = sizes(data.size(), fractions);
        int[] order = stratified ? stratifiedOrder(data, seed) : shuffled(identity(data.size()), new Rng(seed));
        Dataset[] parts = new Dataset[sizes.length];
        for (int i = 0, from = 0; i < sizes.length; from += sizes[i], i++) {
            parts[i] = data.subset(Arrays.copyOfRange(order, from, from + sizes[i]));
        }
        return parts;
    }

    /** The part sizes for {@code n} samples (largest-remainder rounding, as documented above). */
    public static int[] sizes(int n, double... fractions) {
        if (n < 0) throw new IllegalArgumentException("sample count must be >= 0, got " + n);
        if (fractions == null || fractions.length == 0) throw new IllegalArgumentException("give at least one fraction, e.g. 0.8, 0.2");
        double sum = 0;
        for (int i = 0; i < fractions.length; i++) {
            if (!(fractions[i] >= 0 && fractions[i] <= 1)) throw new IllegalArgumentException("fraction " + i + " is " + fractions[i] + ", not in [0, 1]");
            sum += fractions[i];
        }
        if (Math.abs(sum - 1) > 1e-9) throw new IllegalArgumentException("fractions " + Arrays.toString(fractions) + " add up to " + sum + ", not 1");
        int[] sizes = new int[fractions.length];
        double[] rest = new double[fractions.length];
        int left = n;
        for (int i = 0; i < sizes.length; i++) {
            double exact = fractions[i] * n;
            sizes[i] = (int) Math.floor(exact);
            rest[i] = exact - sizes[i];
            left -= sizes[i];
        }
        for (; left > 0; left--) {
            int best = 0;
            for (int i = 1; i < rest.length; i++) if (rest[i] > rest[best]) best = i;
            sizes[best]++;
            rest[best] = -1;
        }
        return sizes;
    }

    private static int[] stratifiedOrder(Dataset data, long seed) {
        int[] labels = data.intLabels();
        int classes = 0;
        for (int l : labels) classes = Math.max(classes, l + 1);
        int[] count = new int[classes];
        for (int l : labels) count[l]++;
        int[][] members = new int[classes][];
        for (int c = 0; c < classes; c++) members[c] = new int[count[c]];
        int[] fill = new int[classes];
        for (int i = 0; i < labels.length; i++) members[labels[i]][fill[labels[i]]++] = i;
        Rng rng = new Rng(seed);
        Integer[] byPlace = new Integer[labels.length];
        double[] place = new double[labels.length];
        for (int c = 0; c < classes; c++) {
            shuffled(members[c], rng);
            for (int r = 0; r < members[c].length; r++) place[members[c][r]] = (r + 0.5) / members[c].length;
        }
        for (int c = 0, k = 0; c < classes; c++) for (int i : members[c]) byPlace[k++] = i;
        Arrays.sort(byPlace, (a, b) -> place[a] != place[b] ? Double.compare(place[a], place[b]) : Integer.compare(labels[a], labels[b]));
        return Arrays.stream(byPlace).mapToInt(Integer::intValue).toArray();
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        return order;
    }

    private static int[] shuffled(int[] a, Rng rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
