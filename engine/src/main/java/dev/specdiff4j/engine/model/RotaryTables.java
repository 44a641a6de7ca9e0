package dev.specdiff4j.engine.model;

/**
 * The cosine and sine tables, (positions, headDim/2), that {@code Kernels.rope} reads for the diffusion drafters' rotary
 * embeddings. Angles are float32 products, as torch computes them, so the tables match the PyTorch references bit for bit.
 */
record RotaryTables(float[] cos, float[] sin) {
    /** The inverse frequencies θ^(−2i/headDim), i < headDim/2, in float32 as torch's {@code 1.0 / theta ** (arange(0, dim, 2) / dim)}. */
    static float[] inverseFrequencies(double theta, int headDim) {
        float[] inverse = new float[headDim / 2];
        for (int i = 0; i < inverse.length; i++) inverse[i] = 1f / (float) Math.pow(theta, (float) (2 * i) / headDim);
        return inverse;
    }

    static RotaryTables of(float[] inverseFrequencies, int positions) {
        int half = inverseFrequencies.length;
        float[] cos = new float[positions * half];
        float[] sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * inverseFrequencies[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new RotaryTables(cos, sin);
    }
}
