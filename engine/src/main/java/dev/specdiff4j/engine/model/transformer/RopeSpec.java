package dev.specdiff4j.engine.model.transformer;

/**
 * Rotary position embedding in the GPT-NeoX ("rotate half") arrangement: in each head, element i and i + dimensions/2 are
 * rotated together by {@code position · inverseFrequency[i]}. Families whose checkpoints pair adjacent elements instead
 * (llama.cpp's GGUF llama layout) have their q/k rows permuted to this arrangement at load time.
 *
 * @param dimensions        rotated dimensions per head (all of them: partial rotation is not supported)
 * @param inverseFrequency  per pair i < dimensions/2: the angle per position, scaling already applied
 * @param attentionFactor   what the cosines and sines are multiplied by (YaRN's attention scaling; 1 otherwise)
 * @param float32Angles     whether an angle is the float32 product {@code (float) position · (float) inverseFrequency[i]}, as
 *                          torch computes it from a float32 {@code inv_freq} buffer (the MDLM DiT), instead of a double one
 */
public record RopeSpec(int dimensions, double[] inverseFrequency, double attentionFactor, boolean float32Angles) {
    /** RoPE without attention scaling. */
    public RopeSpec(int dimensions, double[] inverseFrequency) {
        this(dimensions, inverseFrequency, 1.0);
    }

    /** RoPE with angles in double. */
    public RopeSpec(int dimensions, double[] inverseFrequency, double attentionFactor) {
        this(dimensions, inverseFrequency, attentionFactor, false);
    }

    /** RoPE over a float32 {@code inv_freq} buffer with float32 angles, as torch computes them (no attention scaling). */
    public static RopeSpec float32(float[] inverseFrequency) {
        double[] f = new double[inverseFrequency.length];
        for (int i = 0; i < f.length; i++) f[i] = inverseFrequency[i];
        return new RopeSpec(2 * f.length, f, 1.0, true);
    }

    public RopeSpec {
        if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) throw new IllegalArgumentException("RoPE attention factor " + attentionFactor);
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
        return String.format(java.util.Locale.ROOT, "RoPE(%d dimensions, frequencies %.3g to %.3g%s%s)", dimensions, inverseFrequency[0],
                inverseFrequency[inverseFrequency.length - 1], attentionFactor == 1 ? "" : String.format(java.util.Locale.ROOT, ", attention factor %.4f", attentionFactor),
                float32Angles ? ", float32 angles" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeSpec r && r.dimensions == dimensions && java.util.Arrays.equals(r.inverseFrequency, inverseFrequency)
                && Double.compare(r.attentionFactor, attentionFactor) == 0 && r.float32Angles == float32Angles;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * dimensions + java.util.Arrays.hashCode(inverseFrequency)) + Double.hashCode(attentionFactor))
                + Boolean.hashCode(float32Angles);
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

    /**
     * YaRN (HF {@code _compute_yarn_parameters}, llama.cpp's {@code rope_yarn}): pair i keeps its frequency (extrapolation)
     * below the correction range, is divided by {@code factor} (interpolation) above it, and mixes the two linearly inside it;
     * the range spans the pairs that turn {@code betaFast} down to {@code betaSlow} times over {@code originalContext}
     * positions (floored / ceiled). Cosines and sines are scaled by {@code attentionFactor}, by default
     * {@code 0.1·ln(factor) + 1}.
     */
    public static RopeSpec yarn(int dimensions, double theta, double factor, double originalContext, double betaFast, double betaSlow,
                                double attentionFactor) {
        double[] f = of(dimensions, theta).inverseFrequency;
        double low = Math.max(Math.floor(yarnCorrectionDim(betaFast, dimensions, theta, originalContext)), 0);
        double high = Math.min(Math.ceil(yarnCorrectionDim(betaSlow, dimensions, theta, originalContext)), dimensions - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < f.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolation = 1 - ramp;
            f[i] = f[i] / factor * (1 - extrapolation) + f[i] * extrapolation;
        }
        return new RopeSpec(dimensions, f, attentionFactor);
    }

    /** YaRN's default attention factor for a scaling factor: {@code 0.1·ln(factor) + 1} (1 for factors up to 1). */
    public static double yarnAttentionFactor(double factor) {
        return factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
    }

    /** The pair index whose wavelength turns {@code rotations} times over {@code context} positions. */
    private static double yarnCorrectionDim(double rotations, int dimensions, double theta, double context) {
        return dimensions * Math.log(context / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}
