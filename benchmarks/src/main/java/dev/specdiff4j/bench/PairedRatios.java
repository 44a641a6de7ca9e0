package dev.specdiff4j.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Speedups measured as paired ratios: each repetition times the candidate and its baseline side by side (in balanced
 * order), and contributes one ratio candidate ÷ baseline. Drift of the machine between repetitions cancels within a pair.
 * Reported as the median ratio with a distribution-free confidence interval for that median: the order statistics
 * (x<sub>(k)</sub>, x<sub>(n+1−k)</sub>) with the largest k for which P(Binomial(n, ½) &lt; k) ≤ (1 − level) / 2, which covers
 * the true median with probability at least {@code level} whatever the distribution of the ratios (Conover, "Practical
 * Nonparametric Statistics", §3.2). With fewer than 6 pairs no 95 % interval exists: it is then reported as
 * undetermined rather than as a misleading min–max.
 */
public final class PairedRatios {
    /** Confidence level of the reported interval. */
    public static final double LEVEL = 0.95;

    private final Samples ratios = new Samples();

    public void add(double candidate, double baseline) {
        if (!(candidate > 0) || !(baseline > 0)) throw new IllegalArgumentException("rates must be positive: " + candidate + ", " + baseline);
        ratios.add(candidate / baseline);
    }

    public int count() {
        return ratios.count();
    }

    public double median() {
        return ratios.median();
    }

    public double[] values() {
        return ratios.values();
    }

    /** The interval's lower bound; NaN when too few pairs give one at {@link #LEVEL}. */
    public double lower() {
        int k = orderStatistic(count(), LEVEL);
        return k == 0 ? Double.NaN : sorted()[k - 1];
    }

    /** The interval's upper bound; NaN when too few pairs give one at {@link #LEVEL}. */
    public double upper() {
        int k = orderStatistic(count(), LEVEL);
        return k == 0 ? Double.NaN : sorted()[count() - k];
    }

    /** Whether the interval lies wholly above (1), wholly below (−1) or around (0) the given ratio; 0 when undetermined. */
    public int compareTo(double ratio) {
        if (Double.isNaN(lower())) return 0;
        return lower() > ratio ? 1 : upper() < ratio ? -1 : 0;
    }

    /** "1.23× [1.10–1.31]" or "1.23× [n=4: too few for a 95 % interval]". */
    public String format() {
        if (count() == 0) return "–";
        if (Double.isNaN(lower())) return String.format(Locale.ROOT, "%.2f× [n=%d, no 95%% CI]", median(), count());
        return String.format(Locale.ROOT, "%.2f× [%.2f–%.2f]", median(), lower(), upper());
    }

    /**
     * The largest k ≥ 1 with P(Binomial(n, ½) ≤ k − 1) ≤ (1 − level) / 2, or 0 when even k = 1 (min–max) does not reach
     * the level: then (x<sub>(k)</sub>, x<sub>(n+1−k)</sub>) covers the median with probability ≥ level.
     */
    static int orderStatistic(int n, double level) {
        double tail = (1 - level) / 2;
        double cumulative = 0;
        int k = 0;
        for (int j = 0; j < n; j++) {
            cumulative += binomialHalf(n, j);
            if (cumulative > tail) break;
            k = j + 1;
        }
        return Math.min(k, n / 2);
    }

    private static double binomialHalf(int n, int j) {
        // C(n, j) / 2^n computed in logs so that n in the hundreds does not overflow
        double logChoose = 0;
        for (int i = 1; i <= j; i++) logChoose += Math.log(n - j + i) - Math.log(i);
        return Math.exp(logChoose - n * Math.log(2));
    }

    private double[] sorted() {
        double[] v = values();
        Arrays.sort(v);
        return v;
    }

    @Override
    public String toString() {
        return format();
    }
}
