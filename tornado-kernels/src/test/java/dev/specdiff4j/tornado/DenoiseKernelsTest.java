package dev.specdiff4j.tornado;

import dev.specdiff4j.engine.decoding.SamplingConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The unmasking kernel against a plain reimplementation of DiffusionSampler's step, with the same uniforms. */
class DenoiseKernelsTest {

    @Test
    void agreesWithTheSamplersRuleGreedyAndSampled() {
        Random rnd = new Random(11);
        int agreements = 0;
        for (int vocab : new int[] {2, 17, 301}) {
            int mask = vocab - 1;
            for (double temperature : new double[] {0, 0.7, 1, 1.5}) {
                for (int trial = 0; trial < 20; trial++) {
                    int rows = 1 + rnd.nextInt(9);
                    float[] logits = Agreement.random(rnd, rows * vocab, 3);
                    float[][] rowsOf = new float[rows][];
                    for (int j = 0; j < rows; j++) rowsOf[j] = Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab);
                    int[] tokens = new int[rows];
                    for (int j = 0; j < rows; j++) tokens[j] = rnd.nextInt(3) == 0 ? rnd.nextInt(vocab - 1) : mask;
                    double stayProbability = rnd.nextDouble();
                    double[] stay = new double[rows];
                    double[] draw = new double[rows];
                    for (int j = 0; j < rows; j++) {
                        stay[j] = rnd.nextDouble();
                        draw[j] = rnd.nextDouble();
                    }
                    int[] expected = SamplerRule.step(rowsOf, tokens, mask, stayProbability, stay, draw,
                            new SamplingConfig(temperature, 0, 1, 0));
                    int[] actual = tokens.clone();
                    int[] changed = new int[rows];
                    Arrays.fill(changed, 7);
                    DenoiseKernels.unmask(logits, actual, new double[] {stayProbability, temperature}, stay, draw, changed, rows, vocab, mask);
                    assertThat(actual).as("vocab %d temperature %s trial %d", vocab, temperature, trial).containsExactly(expected);
                    for (int j = 0; j < rows; j++) {
                        assertThat(changed[j]).isEqualTo(expected[j] != tokens[j] ? 1 : 0);
                    }
                    agreements += rows;
                }
            }
        }
        assertThat(agreements).isGreaterThan(300);
    }

    @Test
    void theChunkedGreedyStepAgreesWithTheSamplersRule() {
        Random rnd = new Random(5);
        int positions = 0;
        // vocabularies around chunk boundaries: MASK alone in the last chunk (257, 513), a single chunk, 197 chunks
        for (int vocab : new int[] {2, 17, 256, 257, 258, 513, 700, 50258}) {
            int mask = vocab - 1;
            for (int trial = 0; trial < (vocab > 1000 ? 3 : 15); trial++) {
                int rows = 1 + rnd.nextInt(9);
                float[] logits = Agreement.random(rnd, rows * vocab, 3);
                if (trial % 3 == 1) {
                    // ties: a few equal maxima in different chunks; the lowest index must win
                    for (int j = 0; j < rows; j++) {
                        for (int k = 0; k < 3; k++) logits[j * vocab + rnd.nextInt(vocab)] = 100f;
                    }
                }
                float[][] rowsOf = new float[rows][];
                for (int j = 0; j < rows; j++) rowsOf[j] = Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab);
                int[] tokens = new int[rows];
                for (int j = 0; j < rows; j++) tokens[j] = rnd.nextInt(3) == 0 ? rnd.nextInt(Math.max(1, vocab - 1)) : mask;
                double stayProbability = rnd.nextDouble();
                double[] stay = new double[rows];
                for (int j = 0; j < rows; j++) stay[j] = rnd.nextDouble();
                int[] expected = SamplerRule.step(rowsOf, tokens, mask, stayProbability, stay, new double[rows], SamplingConfig.greedy());
                int[] actual = tokens.clone();
                int[] partial = new int[rows * DenoiseKernels.chunks(vocab)];
                int[] changed = new int[rows];
                DenoiseKernels.argmaxChunks(logits, actual, partial, rows, vocab, mask);
                DenoiseKernels.unmaskGreedy(logits, partial, actual, new double[] {stayProbability, 0}, stay, changed, rows, vocab, mask);
                assertThat(actual).as("vocab %d trial %d", vocab, trial).containsExactly(expected);
                for (int j = 0; j < rows; j++) assertThat(changed[j]).isEqualTo(expected[j] != tokens[j] ? 1 : 0);
                positions += rows;
            }
        }
        assertThat(positions).isGreaterThan(300);
    }

    @Test
    void theMaskLogitIsNeverChosenAndUnmaskedPositionsAreKept() {
        int vocab = 5;
        int mask = 4;
        float[] logits = {0, 1, 0, 0, 50, 0, 0, 3, 0, 50};
        int[] tokens = {mask, 2};
        int[] changed = new int[2];
        DenoiseKernels.unmask(logits, tokens, new double[] {0.5, 0}, new double[] {0.9, 0.9}, new double[] {0.5, 0.5}, changed, 2, vocab, mask);
        assertThat(tokens).containsExactly(1, 2);
        assertThat(changed).containsExactly(1, 0);
        tokens = new int[] {mask, mask};
        DenoiseKernels.unmask(logits, tokens, new double[] {0.5, 1}, new double[] {0.1, 0.6}, new double[] {0.999999, 0.999999}, changed, 2, vocab, mask);
        assertThat(tokens[0]).isEqualTo(mask); // stayed: 0.1 < s/t
        assertThat(tokens[1]).isEqualTo(3); // the last non-mask id takes the top of the CDF
        assertThat(changed).containsExactly(0, 1);
    }
}
