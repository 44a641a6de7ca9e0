package dev.specdiff4j.bench;

import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** Greedy decoding of our model against llama.cpp's from the same prompt: the same tokens, or a parting only at a near-tie. */
final class GreedyAgreement {
    private GreedyAgreement() {}

    /**
     * @param lastPromptRow our logits after the prompt
     * @param step          feeds one token to our session and returns the logits after it
     * @param allowed       the largest logit difference to llama.cpp that the caller accepted; a parting is a near-tie when
     *                      our two candidates are less than twice that apart
     */
    static void assertAgrees(String label, float[] lastPromptRow, IntFunction<float[]> step, LlamaCppNative theirs, int[] prompt,
                             int steps, float allowed) {
        int[] ourTokens = new int[steps];
        float[][] ourRows = new float[steps][];
        float[] row = lastPromptRow;
        for (int i = 0; i < steps; i++) {
            ourRows[i] = row;
            ourTokens[i] = argmax(row);
            row = step.apply(ourTokens[i]);
        }
        int[] theirTokens = theirs.greedy(prompt, steps).tokens();
        int agreeing = 0;
        while (agreeing < steps && theirTokens[agreeing] == ourTokens[agreeing]) agreeing++;
        System.out.printf("%s: %d of %d greedy tokens identical%n", label, agreeing, steps);
        if (agreeing < steps) {
            float gap = ourRows[agreeing][ourTokens[agreeing]] - ourRows[agreeing][theirTokens[agreeing]];
            assertThat(gap).as("%s: greedy step %d parts from llama.cpp only at a near-tie", label, agreeing).isLessThan(2 * allowed);
        }
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
