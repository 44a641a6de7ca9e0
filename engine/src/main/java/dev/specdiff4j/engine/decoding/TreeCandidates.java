package dev.specdiff4j.engine.decoding;

/**
 * What a drafter offers a token tree: for each of γ positions after the committed sequence, a few candidate tokens, best
 * first, with the drafter's probability of each. The diffusion drafter gives its per-position marginals of one denoising
 * pass; the autoregressive drafter the top-k of each step along its own greedy continuation. The tree treats the positions
 * as independent (docs/ALGORITHM.md, "Token trees").
 *
 * @param tokens        [γ][≤ width] distinct candidate tokens per position, most probable first
 * @param probabilities [γ][≤ width] the drafter's probability of each
 * @param passes        drafter model passes used
 */
public record TreeCandidates(int[][] tokens, double[][] probabilities, int passes) {
    public TreeCandidates {
        if (tokens.length != probabilities.length) throw new IllegalArgumentException("one probability row per position is needed");
        for (int j = 0; j < tokens.length; j++) {
            if (tokens[j].length == 0 || tokens[j].length != probabilities[j].length) {
                throw new IllegalArgumentException("position " + j + " needs at least one candidate and one probability per candidate");
            }
        }
    }

    public int depth() {
        return tokens.length;
    }

    /**
     * These candidates without the ids a target of {@code vocab} rows has none for (it would never accept them, and cannot
     * read them), cut before the first position left with none.
     */
    TreeCandidates within(int vocab) {
        int[][] keptTokens = new int[tokens.length][];
        double[][] keptProbabilities = new double[tokens.length][];
        int depth = 0;
        for (; depth < tokens.length; depth++) {
            int n = 0;
            for (int t : tokens[depth]) if (t < vocab) n++;
            if (n == 0) break;
            keptTokens[depth] = new int[n];
            keptProbabilities[depth] = new double[n];
            n = 0;
            for (int i = 0; i < tokens[depth].length; i++) {
                if (tokens[depth][i] >= vocab) continue;
                keptTokens[depth][n] = tokens[depth][i];
                keptProbabilities[depth][n++] = probabilities[depth][i];
            }
        }
        return new TreeCandidates(java.util.Arrays.copyOf(keptTokens, depth), java.util.Arrays.copyOf(keptProbabilities, depth), passes);
    }

    /** The {@code width} most probable tokens of a probability row, best first (ties: lower id first). */
    static int[] top(double[] p, int width) {
        int w = Math.min(width, p.length);
        int[] best = new int[w];
        int size = 0;
        for (int v = 0; v < p.length; v++) {
            if (size == w && !(p[v] > p[best[w - 1]])) continue;
            int i = size < w ? size++ : w - 1;
            while (i > 0 && p[v] > p[best[i - 1]]) {
                best[i] = best[i - 1];
                i--;
            }
            best[i] = v;
        }
        return best;
    }

    /** Candidates from probability rows: the top {@code width} of each. */
    static TreeCandidates fromRows(double[][] rows, int width, int passes) {
        int[][] tokens = new int[rows.length][];
        double[][] probabilities = new double[rows.length][];
        for (int j = 0; j < rows.length; j++) {
            tokens[j] = top(rows[j], width);
            probabilities[j] = new double[tokens[j].length];
            for (int i = 0; i < tokens[j].length; i++) probabilities[j][i] = rows[j][tokens[j][i]];
        }
        return new TreeCandidates(tokens, probabilities, passes);
    }

    /** Softmax at temperature 1 over the first {@code vocab} logits (the drafter's own belief, before any sampling settings). */
    static double[] softmax(float[] logits, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += p[i] = Math.exp(logits[i] - max);
        for (int i = 0; i < vocab; i++) p[i] /= sum;
        return p;
    }
}
