package dev.specdiff4j.engine.decoding;

/**
 * How a token is chosen from a logits row.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topK        keep only the k most likely tokens (0 = all)
 * @param topP        keep the smallest set of most likely tokens whose probability reaches p (1 = all)
 * @param seed        seed of the random stream, so that runs are reproducible
 */
public record SamplingConfig(double temperature, int topK, double topP, long seed) {
    public SamplingConfig {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = no limit), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }

    public static SamplingConfig greedy() {
        return new SamplingConfig(0, 0, 1, 0);
    }

    public static SamplingConfig sampling(double temperature, long seed) {
        return new SamplingConfig(temperature, 0, 1, seed);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
