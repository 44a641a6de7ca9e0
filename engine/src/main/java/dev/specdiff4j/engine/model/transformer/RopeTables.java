package dev.specdiff4j.engine.model.transformer;

/**
 * The cosine and sine tables [position][dimensions/2] of a {@link RopeSpec}, in the layout {@code Kernels.rope} reads,
 * grown on demand (a 128k-token context would otherwise cost hundreds of megabytes before the first token). Thread-safe:
 * sessions of one model share it, and a table once handed out is never written again.
 */
public final class RopeTables {
    /** The tables for positions [0, positions). */
    public record Tables(int positions, float[] cos, float[] sin) {
    }

    private final RopeSpec spec;
    private final int maxPositions;
    private volatile Tables current = new Tables(0, new float[0], new float[0]);

    public RopeTables(RopeSpec spec, int maxPositions) {
        this.spec = spec;
        this.maxPositions = maxPositions;
    }

    /** Tables covering at least {@code positions} positions. */
    public Tables covering(int positions) {
        Tables t = current;
        if (t.positions() >= positions) return t;
        synchronized (this) {
            t = current;
            if (t.positions() >= positions) return t;
            int grown = Math.min(maxPositions, Math.max(positions, Math.max(64, t.positions() * 2)));
            double[] frequency = spec.inverseFrequency();
            int half = frequency.length;
            double scale = spec.attentionFactor();
            float[] cos = new float[grown * half];
            float[] sin = new float[grown * half];
            for (int p = 0; p < grown; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = spec.float32Angles() ? (float) p * (float) frequency[i] : p * frequency[i];
                    cos[p * half + i] = (float) (Math.cos(angle) * scale);
                    sin[p * half + i] = (float) (Math.sin(angle) * scale);
                }
            }
            current = t = new Tables(grown, cos, sin);
            return t;
        }
    }
}
