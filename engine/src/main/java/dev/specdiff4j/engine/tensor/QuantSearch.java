package dev.specdiff4j.engine.tensor;

/**
 * The scale searches of llama.cpp's k-quant reference quantizers (ggml-quants.c: nearest_int,
 * make_qx_quants with rmse_type 1, make_qkx2_quants), written from their definitions in the same float
 * operations in the same order, so the chosen levels and scales, and therefore the bytes, are identical.
 * Java float arithmetic is IEEE single precision without contraction, as the reference build's is.
 */
final class QuantSearch {
    /** Below this, a group counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantSearch() {
    }

    /**
     * Round to nearest, ties to even, by adding 1.5·2^23 and reading the mantissa: exact for |x| < 2^22,
     * and the same (meaningless but deterministic) bits as the C code outside that range.
     */
    static int nearestInt(float x) {
        float v = x + 12582912f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /**
     * Symmetric levels in [-nmax, nmax) for {@code n} values (weights x², i.e. rmse_type 1 with no importance
     * matrix): starts from the largest-magnitude value mapped to -nmax, tries 18 nearby scales and keeps the one
     * with the best weighted least-squares fit. Writes level + nmax into {@code levels} and returns the scale.
     */
    static float symmetric(int n, int nmax, float[] x, int xo, byte[] levels, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
            levels[lo + i] = (byte) (l + nmax);
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    levels[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Levels in [0, nmax] with a scale and a non-positive offset (x ≈ scale·l − min) for {@code n} values and
     * weights: starts from the min–max fit, then tries nstep + 1 scales (rmin + rdelta·is + nmax levels over the
     * range), solving the weighted least-squares scale and offset for each level assignment and keeping the one
     * with the smallest weighted squared error. Returns the scale; {@code minOut[0]} receives the (positive)
     * offset to subtract.
     */
    static float withOffset(int n, int nmax, float[] x, int xo, float[] weights, byte[] levels, int lo, byte[] aux, float rmin,
                            float rdelta, int nstep, float[] minOut) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) min = v;
            if (v > max) max = v;
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            l = Math.max(0, Math.min(nmax, l));
            levels[lo + i] = (byte) l;
            float diff = scale * l + min - x[xo + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                aux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * (aux[i] & 0xFF) + thisMin - x[xo + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    for (int i = 0; i < n; i++) levels[lo + i] = aux[i];
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }
}
