package dev.specdiff4j.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What one configuration did over all repetitions: tokens/s of the configuration and of the interleaved
 * autoregressive baseline per repetition, their paired ratios, the counts behind acceptance, the time split, memory,
 * and greedy mismatches.
 */
public final class ConfigResult {
    public final BenchConfig config;
    public final Samples tokensPerSecond = new Samples();
    public final Samples baselineTokensPerSecond = new Samples();
    public final PairedRatios speedups = new PairedRatios();
    long rounds;
    long drafted;
    long accepted;
    long generated;
    long draftNanos;
    long verifyNanos;
    long decodeNanos;
    long draftsAhead;
    long peakHeapBytes;
    final List<String> mismatches = new ArrayList<>();

    public ConfigResult(BenchConfig config) {
        this.config = config;
    }

    /** Adds one run's counts. */
    public void add(long rounds, long drafted, long accepted, long generated, long draftNanos, long verifyNanos, long decodeNanos, long draftsAhead) {
        this.rounds += rounds;
        this.drafted += drafted;
        this.accepted += accepted;
        this.generated += generated;
        this.draftNanos += draftNanos;
        this.verifyNanos += verifyNanos;
        this.decodeNanos += decodeNanos;
        this.draftsAhead += draftsAhead;
    }

    /** One timed repetition: the configuration's and the baseline's tokens/s, measured side by side. */
    public void addRepetition(double tokensPerSecond, double baselineTokensPerSecond) {
        this.tokensPerSecond.add(tokensPerSecond);
        this.baselineTokensPerSecond.add(baselineTokensPerSecond);
        speedups.add(tokensPerSecond, baselineTokensPerSecond);
    }

    public void mismatch(String detail) {
        mismatches.add(detail);
    }

    public void peakHeap(long bytes) {
        peakHeapBytes = Math.max(peakHeapBytes, bytes);
    }

    /** The median of the paired ratios configuration ÷ baseline, one per repetition. */
    public double speedup() {
        return speedups.median();
    }

    /**
     * The last timed repetition's tokens/s over the first's, for the configuration and for its baseline: near 1 when the
     * warm-up had compiled everything before timing started (a JIT still at work shows as a first repetition far slower).
     */
    public double[] lastOverFirst() {
        double[] b = tokensPerSecond.values();
        double[] a = baselineTokensPerSecond.values();
        return new double[] {b[b.length - 1] / b[0], a[a.length - 1] / a[0]};
    }

    /** α = accepted / drafted. */
    public double acceptance() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }

    /** Tokens committed per round (accepted + 1 on average). */
    public double tokensPerRound() {
        return rounds == 0 ? 1 : (double) generated / rounds;
    }

    /** Drafted tokens (tree nodes) verified per round: γ for a linear draft, the budget actually used by a cost-aware one. */
    public double draftedPerRound() {
        return rounds == 0 ? 0 : (double) drafted / rounds;
    }

    public double draftMsPerRound() {
        return rounds == 0 ? 0 : draftNanos / 1e6 / rounds;
    }

    public double verifyMsPerRound() {
        return rounds == 0 ? 0 : verifyNanos / 1e6 / rounds;
    }

    public double overheadMsPerRound() {
        return rounds == 0 ? 0 : Math.max(0, decodeNanos - draftNanos - verifyNanos) / 1e6 / rounds;
    }

    public long rounds() {
        return rounds;
    }

    public long generated() {
        return generated;
    }

    public long draftsAhead() {
        return draftsAhead;
    }

    public long peakHeapBytes() {
        return peakHeapBytes;
    }

    public List<String> mismatches() {
        return mismatches;
    }
}
