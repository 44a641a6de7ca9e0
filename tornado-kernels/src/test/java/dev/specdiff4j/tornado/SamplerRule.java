package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.decoding.Probabilities;
import dev.specdiff4j.engine.decoding.SamplingConfig;

/** DiffusionSampler's unmasking rule for one step, written out plainly with the engine's Probabilities. */
public final class SamplerRule {
    private SamplerRule() {
    }

    /**
     * A masked position stays masked when its stay uniform is below s/t, else takes the argmax (greedy) or the
     * inverse-CDF draw of its row; other positions keep their token. MASK is the last id, so the target
     * vocabulary is the ids below it.
     */
    public static int[] step(float[][] logits, int[] tokens, int mask, double stayProbability, double[] stay, double[] draw,
                             SamplingConfig sampling) {
        int[] next = tokens.clone();
        for (int j = 0; j < tokens.length; j++) {
            if (tokens[j] != mask) continue;
            if (stay[j] < stayProbability) continue;
            next[j] = sampling.isGreedy() ? Probabilities.argmax(logits[j], mask)
                    : Probabilities.draw(Probabilities.of(logits[j], mask, sampling), draw[j]);
        }
        return next;
    }
}
