package dev.specdiff4j.engine.decoding;

import java.util.SplittableRandom;

/** Chooses tokens from logits rows: greedy, or sampled from a seeded stream. One per generation. */
public final class Sampler {
    private final SamplingConfig config;
    private final SplittableRandom random;

    public Sampler(SamplingConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    public SamplingConfig config() {
        return config;
    }

    /** The next token for a logits row over {@code vocab} entries. */
    public int next(float[] logits, int vocab) {
        if (config.isGreedy()) return Probabilities.argmax(logits, vocab);
        return Probabilities.draw(Probabilities.of(logits, vocab, config), random.nextDouble());
    }

    /** A uniform number in [0, 1) from this sampler's stream. */
    public double uniform() {
        return random.nextDouble();
    }

    /** A draw from an explicit probability row, from this sampler's stream. */
    public int draw(double[] probabilities) {
        return Probabilities.draw(probabilities, random.nextDouble());
    }
}
