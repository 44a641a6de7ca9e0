package dev.specdiff4j.engine.decoding;

import java.util.Arrays;

/**
 * Logits to the probability row a token is actually drawn from: temperature, then top-k, then top-p,
 * renormalised. Speculative decoding applies exactly this to the target's and to the drafter's rows, so
 * acceptance compares the distributions that sampling really uses. Computed in double.
 */
public final class Probabilities {
    private Probabilities() {
    }

    /** The index of the largest logit (the lowest index among equals). */
    public static int argmax(float[] logits) {
        return argmax(logits, logits.length);
    }

    /** The index of the largest of the first {@code vocab} logits (the lowest index among equals). */
    public static int argmax(float[] logits, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /**
     * The sampling distribution of a logits row under {@code config} (which must not be greedy; a
     * greedy config is the one-hot row of the argmax). {@code vocab} limits the row (a drafter's
     * logits may carry extra entries such as MASK).
     */
    public static double[] of(float[] logits, int vocab, SamplingConfig config) {
        double[] p = new double[vocab];
        if (config.isGreedy()) {
            p[argmax(logits, vocab)] = 1;
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        if (Double.isInfinite(max) || Double.isNaN(max)) {
            throw new IllegalStateException("the logits hold no finite value (the model produced " + max + ")");
        }
        double t = config.temperature();
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double e = Math.exp((logits[i] - max) / t);
            p[i] = e;
            sum += e;
        }
        for (int i = 0; i < vocab; i++) p[i] /= sum;
        if (config.topK() > 0 && config.topK() < vocab) keepTopK(p, config.topK());
        if (config.topP() < 1) keepTopP(p, config.topP());
        return p;
    }

    /** Zeroes all but the k largest (ties: lower index first) and renormalises. */
    static void keepTopK(double[] p, int k) {
        // one pass with a heap of the k best so far, the worst of them at the root: O(V log k) on primitive ints,
        // where sorting all V boxed indices cost a millisecond per call at V = 8192
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] > 0)) continue;
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, p);
            } else if (ranksAbove(i, heap[0], p)) {
                heap[0] = i;
                siftDown(heap, size, p);
            }
        }
        boolean[] keep = new boolean[p.length];
        for (int j = 0; j < size; j++) keep[heap[j]] = true;
        renormalise(p, keep);
    }

    /** The order of top-k: larger probability first, then the lower index. */
    private static boolean ranksAbove(int a, int b, double[] p) {
        return p[a] != p[b] ? p[a] > p[b] : a < b;
    }

    private static void siftUp(int[] heap, int child, double[] p) {
        while (child > 0) {
            int parent = (child - 1) / 2;
            if (!ranksAbove(heap[parent], heap[child], p)) return;
            swap(heap, parent, child);
            child = parent;
        }
    }

    private static void siftDown(int[] heap, int size, double[] p) {
        int parent = 0;
        while (true) {
            int worst = parent;
            for (int child = 2 * parent + 1; child <= 2 * parent + 2 && child < size; child++) {
                if (ranksAbove(heap[worst], heap[child], p)) worst = child;
            }
            if (worst == parent) return;
            swap(heap, parent, worst);
            parent = worst;
        }
    }

    private static void swap(int[] heap, int a, int b) {
        int t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }

    /**
     * Keeps the smallest prefix of tokens, most likely first, whose mass reaches {@code top}. Only tokens
     * with p ≥ (1 − top)/(V + 1) can be in it (the rest together hold less than 1 − top), so only those
     * are sorted.
     */
    static void keepTopP(double[] p, double top) {
        Integer[] order = candidatesAtLeast(p, (1 - top) / (p.length + 1));
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        boolean[] keep = new boolean[p.length];
        double mass = 0;
        for (Integer i : order) {
            keep[i] = true;
            mass += p[i];
            if (mass >= top) break;
        }
        renormalise(p, keep);
    }

    private static Integer[] candidatesAtLeast(double[] p, double floor) {
        int n = 0;
        for (double v : p) if (v > 0 && v >= floor) n++;
        Integer[] out = new Integer[n];
        int j = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > 0 && p[i] >= floor) out[j++] = i;
        return out;
    }

    private static void renormalise(double[] p, boolean[] keep) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (!keep[i]) p[i] = 0;
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
    }

    /** Draws an index from a probability row with the uniform number {@code u} in [0, 1). */
    public static int draw(double[] p, double u) {
        double target = u;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] <= 0) continue;
            cumulative += p[i];
            last = i;
            if (target < cumulative) return i;
        }
        if (last < 0) throw new IllegalStateException("cannot sample from an all-zero distribution");
        return last; // u fell in the rounding slack at the end
    }
}
