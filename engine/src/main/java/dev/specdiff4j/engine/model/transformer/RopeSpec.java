package dev.specdiff4j.engine.model.transformer;

/**
 * Rotary position embedding in the GPT-NeoX ("rotate half") arrangement: in each head, element i and i + dimensions/2 are
 * rotated together by {@code position · inverseFrequency[i]}. Families whose checkpoints pair adjacent elements instead
 * (llama.cpp's GGUF llama layout) have their q/k rows permuted to this arrangement at load time.
 *
 * @param dimensions        rotated dimensions per head (all of them: partial rotation is not supported)
 * @param inverseFrequency  per pair i < dimensions/2: the angle per position, scaling already applied
 */
public record RopeSpec(int dimensions, double[] inverseFrequency) {
    public RopeSpec {
        if (dimensions <= 0 || dimensions % 2 != 0) throw new IllegalArgumentException("RoPE needs a positive even dimension count, not " + dimensions);
        if (inverseFrequency.length != dimensions / 2) {
            throw new IllegalArgumentException("RoPE over " + dimensions + " dimensions needs " + dimensions / 2 + " frequencies, not " + inverseFrequency.length);
        }
        inverseFrequency = inverseFrequency.clone();
    }

    @Override
    public double[] inverseFrequency() {
        return inverseFrequency.clone();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "RoPE(%d dimensions, frequencies %.3g to %.3g)", dimensions, inverseFrequency[0],
                inverseFrequency[inverseFrequency.length - 1]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeSpec r && r.dimensions == dimensions && java.util.Arrays.equals(r.inverseFrequency, inverseFrequency);
    }

    @Override
    public int hashCode() {
        return 31 * dimensions + java.util.Arrays.hashCode(inverseFrequency);
    }

    /** Plain RoPE: {@code θ^(−2i/dimensions)}. */
    public static RopeSpec of(int dimensions, double theta) {
        double[] f = new double[dimensions / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / dimensions);
        return new RopeSpec(dimensions, f);
    }

    /**
     * Llama 3's frequency scaling (HF {@code _compute_llama3_parameters}): wavelengths shorter than
     * {@code originalContext / highFreqFactor} are kept, those longer than {@code originalContext / lowFreqFactor} divided
     * by {@code factor}, and those between interpolated smoothly.
     */
    public static RopeSpec llama3(int dimensions, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                                  double originalContext) {
        double[] f = of(dimensions, theta).inverseFrequency;
        double lowFreqWavelength = originalContext / lowFreqFactor;
        double highFreqWavelength = originalContext / highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double wavelength = 2 * Math.PI / f[i];
            if (wavelength > lowFreqWavelength) {
                f[i] = f[i] / factor;
            } else if (wavelength >= highFreqWavelength) {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
            }
        }
        return new RopeSpec(dimensions, f);
    }

    /**
     * Plain RoPE whose frequencies are divided by per-pair factors (llama.cpp's {@code rope_freqs.weight}, which its
     * converter writes for Llama 3 scaling).
     */
    public static RopeSpec withFrequencyFactors(int dimensions, double theta, float[] factors) {
        double[] f = of(dimensions, theta).inverseFrequency;
        if (factors.length != f.length) {
            throw new IllegalArgumentException("rope_freqs has " + factors.length + " factors, RoPE over " + dimensions + " dimensions needs " + f.length);
        }
        for (int i = 0; i < f.length; i++) f[i] /= factors[i];
        return new RopeSpec(dimensions, f);
    }
}
