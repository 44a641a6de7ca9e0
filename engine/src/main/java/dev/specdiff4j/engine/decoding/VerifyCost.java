package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The target's cost of a verification pass against the number of rows it verifies, measured on this machine once per model
 * (a few passes at the first tree generation; kept while the model is loaded) and interpolated linearly between the measured
 * sizes. A batched pass reads the weights once, so its cost grows much more slowly than its rows: that is the room a token
 * tree uses.
 */
public final class VerifyCost {
    static final int[] SIZES = {1, 2, 4, 8, 16, 32, 65};
    private static final int PREFIX = 48;
    private static final Map<CausalLanguageModel, VerifyCost> MEASURED = Collections.synchronizedMap(new WeakHashMap<>());

    private final int[] sizes;
    private final double[] nanos;

    VerifyCost(int[] sizes, double[] nanos) {
        this.sizes = sizes;
        this.nanos = nanos;
    }

    /** The curve of {@code model}, measured on first use. */
    public static VerifyCost of(CausalLanguageModel model) {
        VerifyCost c = MEASURED.get(model);
        if (c != null) return c;
        c = measure(model);
        MEASURED.put(model, c);
        return c;
    }

    /** Median of 5 timed passes per size after 2 untimed ones, each over a prefix of {@value #PREFIX} cached tokens. */
    static VerifyCost measure(CausalLanguageModel model) {
        int prefix = Math.min(PREFIX, model.contextLength() / 2);
        int[] sizes = Arrays.stream(SIZES).filter(s -> s + prefix <= model.contextLength()).toArray();
        double[] nanos = new double[sizes.length];
        try (CausalLanguageModel.Session s = model.newSession()) {
            int[] tokens = new int[prefix];
            for (int i = 0; i < prefix; i++) tokens[i] = (i * 7919) % model.vocabSize();
            s.forward(tokens, 0);
            for (int i = 0; i < sizes.length; i++) {
                int[] rows = Arrays.copyOf(tokens, sizes[i]);
                long[] t = new long[5];
                for (int rep = -2; rep < t.length; rep++) {
                    long t0 = System.nanoTime();
                    s.forward(rows);
                    long dt = System.nanoTime() - t0;
                    s.truncate(prefix);
                    if (rep >= 0) t[rep] = dt;
                }
                Arrays.sort(t);
                nanos[i] = t[t.length / 2];
            }
        }
        for (int i = 1; i < nanos.length; i++) nanos[i] = Math.max(nanos[i], nanos[i - 1]); // noise must not make more rows cheaper
        return new VerifyCost(sizes, nanos);
    }

    /** Estimated nanoseconds of a pass over {@code rows} rows. */
    public double nanos(int rows) {
        if (rows <= sizes[0]) return nanos[0];
        for (int i = 1; i < sizes.length; i++) {
            if (rows <= sizes[i]) {
                double f = (rows - sizes[i - 1]) / (double) (sizes[i] - sizes[i - 1]);
                return nanos[i - 1] + f * (nanos[i] - nanos[i - 1]);
            }
        }
        int last = sizes.length - 1;
        double slope = last == 0 ? nanos[0] : (nanos[last] - nanos[last - 1]) / (sizes[last] - sizes[last - 1]);
        return nanos[last] + slope * (rows - sizes[last]);
    }

    /**
     * The tree size (non-root nodes, at least 1) that maximises expected committed tokens per second: (1 + expected accepted
     * after b nodes) / (draft + verification of b + 1 rows).
     */
    int bestBudget(TokenTree tree, double draftNanos) {
        int best = Math.min(1, tree.budget());
        double bestRate = -1;
        for (int b = 1; b <= tree.budget(); b++) {
            double rate = (1 + tree.expected()[b]) / (draftNanos + nanos(b + 1));
            if (rate > bestRate) {
                bestRate = rate;
                best = b;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("verification cost:");
        for (int i = 0; i < sizes.length; i++) b.append(String.format(" %d rows %.2f ms;", sizes[i], nanos[i] / 1e6));
        return b.toString();
    }
}
