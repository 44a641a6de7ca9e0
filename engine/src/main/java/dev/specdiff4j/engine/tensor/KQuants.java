package dev.specdiff4j.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The k-quant super-block formats (256 values), exactly as llama.cpp's reference quantizers write them
 * (ggml-quants.c, quantize_row_q4_K_ref / q5_K_ref / q6_K_ref, no importance matrix):
 * <ul>
 *   <li>Q4_K, 144 bytes: F16 d, F16 dmin, 12 bytes of eight 6-bit scales and eight 6-bit mins, 128 bytes of 4-bit
 *   levels; x = d·sc·q − dmin·m per 32-value group. Each group is fitted by {@link QuantSearch#withOffset}, then the
 *   group scales and mins are quantized to 6 bits against the largest of each and the values re-quantized.</li>
 *   <li>Q5_K, 176 bytes: as Q4_K plus 32 bytes of fifth bits (before the nibbles); 5-bit levels.</li>
 *   <li>Q6_K, 210 bytes: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, sixteen signed 8-bit scales,
 *   F16 d last; x = d·sc·(q − 32) per 16-value group, each group fitted by {@link QuantSearch#symmetric}.</li>
 * </ul>
 * The 6-bit scale packing (get_scale_min_k4): groups 0-3 keep scale and min in the low 6 bits of bytes j and j + 4;
 * groups 4-7 keep their low 4 bits in byte j + 4 (scale low nibble, min high nibble) and their top 2 bits in the top
 * bits of bytes j − 4 (scale) and j (min).
 */
final class KQuants {
    static final int BLOCK = 256;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private KQuants() {
    }

    /** Scratch for one super-block, so quantizing a row allocates once. */
    static final class Scratch {
        final byte[] levels = new byte[BLOCK];
        final byte[] aux = new byte[32];
        final float[] weights = new float[32];
        final float[] scales = new float[16];
        final float[] mins = new float[16];
        final float[] min = new float[1];
        final byte[] packed = new byte[12];
    }

    // ------------------------------------------------------------------------------------ Q4_K / Q5_K

    static void quantizeQ4K(float[] x, int base, MemorySegment dst, long at, Scratch s) {
        quantizeWithMins(x, base, dst, at, s, 15, -1f, 0.1f, 20);
        byte[] l = s.levels;
        for (int j = 0; j < BLOCK; j += 64) {
            for (int i = 0; i < 32; i++) dst.set(BYTE, at + 16 + j / 2 + i, (byte) (l[j + i] | (l[j + i + 32] << 4)));
        }
    }

    static void quantizeQ5K(float[] x, int base, MemorySegment dst, long at, Scratch s) {
        quantizeWithMins(x, base, dst, at, s, 31, -0.5f, 0.1f, 15);
        byte[] l = s.levels;
        long qh = at + 16;
        long ql = at + 48;
        for (int i = 0; i < 32; i++) dst.set(BYTE, qh + i, (byte) 0);
        int m1 = 1;
        int m2 = 2;
        for (int n = 0; n < BLOCK; n += 64) {
            for (int j = 0; j < 32; j++) {
                int l1 = l[n + j];
                int high = dst.get(BYTE, qh + j) & 0xFF;
                if (l1 > 15) {
                    l1 -= 16;
                    high |= m1;
                }
                int l2 = l[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    high |= m2;
                }
                dst.set(BYTE, qh + j, (byte) high);
                dst.set(BYTE, ql + n / 2 + j, (byte) (l1 | (l2 << 4)));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    /** The shared part of Q4_K and Q5_K: group fits, 6-bit scales and mins, d and dmin, re-quantized levels in s.levels. */
    private static void quantizeWithMins(float[] x, int base, MemorySegment dst, long at, Scratch s, int nmax, float rmin, float rdelta,
                                         int nstep) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int g = base + 32 * j;
            float sumX2 = 0;
            for (int i = 0; i < 32; i++) sumX2 += x[g + i] * x[g + i];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int i = 0; i < 32; i++) s.weights[i] = avX + Math.abs(x[g + i]);
            s.scales[j] = QuantSearch.withOffset(32, nmax, x, g, s.weights, s.levels, 32 * j, s.aux, rmin, rdelta, nstep, s.min);
            s.mins[j] = s.min[0];
            if (s.scales[j] > maxScale) maxScale = s.scales[j];
            if (s.mins[j] > maxMin) maxMin = s.mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] p = s.packed;
        java.util.Arrays.fill(p, (byte) 0);
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, QuantSearch.nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, QuantSearch.nearestInt(invMin * s.mins[j]) & 0xFF);
            if (j < 4) {
                p[j] = (byte) ls;
                p[j + 4] = (byte) lm;
            } else {
                p[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                p[j - 4] |= (byte) ((ls >> 4) << 6);
                p[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dBits = Halfs.floatToF16(maxScale / 63f);
        short dminBits = Halfs.floatToF16(maxMin / 63f);
        dst.set(SHORT, at, dBits);
        dst.set(SHORT, at + 2, dminBits);
        MemorySegment.copy(p, 0, dst, BYTE, at + 4, 12);
        float d = Halfs.f16ToFloat(dBits);
        float dmin = Halfs.f16ToFloat(dminBits);
        for (int j = 0; j < 8; j++) {
            float dj = d * scale(p, j);
            if (dj == 0) continue;
            float mj = dmin * min(p, j);
            for (int i = 0; i < 32; i++) {
                int l = QuantSearch.nearestInt((x[base + 32 * j + i] + mj) / dj);
                s.levels[32 * j + i] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /** The 6-bit scale of group j (0..7) from the 12 packed bytes. */
    static int scale(byte[] p, int j) {
        return j < 4 ? p[j] & 63 : (p[j + 4] & 0xF) | (((p[j - 4] & 0xFF) >> 6) << 4);
    }

    /** The 6-bit min of group j (0..7) from the 12 packed bytes. */
    static int min(byte[] p, int j) {
        return j < 4 ? p[j + 4] & 63 : ((p[j + 4] & 0xFF) >> 4) | (((p[j] & 0xFF) >> 6) << 4);
    }

    static void dequantizeQ4K(MemorySegment src, long at, float[] dst, int o, byte[] packed) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at));
        float dmin = Halfs.f16ToFloat(src.get(SHORT, at + 2));
        MemorySegment.copy(src, BYTE, at + 4, packed, 0, 12);
        for (int j = 0; j < 4; j++) {
            float d1 = d * scale(packed, 2 * j);
            float m1 = dmin * min(packed, 2 * j);
            float d2 = d * scale(packed, 2 * j + 1);
            float m2 = dmin * min(packed, 2 * j + 1);
            for (int i = 0; i < 32; i++) {
                int b = src.get(BYTE, at + 16 + 32 * j + i) & 0xFF;
                dst[o + 64 * j + i] = d1 * (b & 0xF) - m1;
                dst[o + 64 * j + 32 + i] = d2 * (b >> 4) - m2;
            }
        }
    }

    static void dequantizeQ5K(MemorySegment src, long at, float[] dst, int o, byte[] packed) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at));
        float dmin = Halfs.f16ToFloat(src.get(SHORT, at + 2));
        MemorySegment.copy(src, BYTE, at + 4, packed, 0, 12);
        int u1 = 1;
        int u2 = 2;
        for (int j = 0; j < 4; j++) {
            float d1 = d * scale(packed, 2 * j);
            float m1 = dmin * min(packed, 2 * j);
            float d2 = d * scale(packed, 2 * j + 1);
            float m2 = dmin * min(packed, 2 * j + 1);
            for (int i = 0; i < 32; i++) {
                int b = src.get(BYTE, at + 48 + 32 * j + i) & 0xFF;
                int h = src.get(BYTE, at + 16 + i) & 0xFF;
                dst[o + 64 * j + i] = d1 * ((b & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
                dst[o + 64 * j + 32 + i] = d2 * ((b >> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
            }
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // ------------------------------------------------------------------------------------------ Q6_K

    static void quantizeQ6K(float[] x, int base, MemorySegment dst, long at, Scratch s) {
        byte[] l = s.levels;
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int g = 0; g < 16; g++) {
            float scale = QuantSearch.symmetric(16, 32, x, base + 16 * g, l, 16 * g);
            s.scales[g] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < QuantSearch.GROUP_MAX_EPS) {
            dst.asSlice(at, 210).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        short dBits = Halfs.floatToF16(1 / iscale);
        dst.set(SHORT, at + 208, dBits);
        float d = Halfs.f16ToFloat(dBits);
        for (int g = 0; g < 16; g++) {
            byte sc = (byte) Math.min(127, QuantSearch.nearestInt(iscale * s.scales[g]));
            dst.set(BYTE, at + 192 + g, sc);
            float dg = d * sc;
            if (dg == 0) continue;
            for (int i = 0; i < 16; i++) {
                int q = QuantSearch.nearestInt(x[base + 16 * g + i] / dg);
                l[16 * g + i] = (byte) (Math.max(-32, Math.min(31, q)) + 32);
            }
        }
        for (int half = 0; half < 2; half++) {
            int j = 128 * half;
            long ql = at + 64L * half;
            long qh = at + 128 + 32L * half;
            for (int i = 0; i < 32; i++) {
                int q1 = l[j + i];
                int q2 = l[j + i + 32];
                int q3 = l[j + i + 64];
                int q4 = l[j + i + 96];
                dst.set(BYTE, ql + i, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(BYTE, ql + 32 + i, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                dst.set(BYTE, qh + i, (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }

    static void dequantizeQ6K(MemorySegment src, long at, float[] dst, int o) {
        float d = Halfs.f16ToFloat(src.get(SHORT, at + 208));
        for (int half = 0; half < 2; half++) {
            long ql = at + 64L * half;
            long qh = at + 128 + 32L * half;
            long sc = at + 192 + 8L * half;
            int y = o + 128 * half;
            for (int i = 0; i < 32; i++) {
                int is = i / 16;
                int lo0 = src.get(BYTE, ql + i) & 0xFF;
                int lo1 = src.get(BYTE, ql + 32 + i) & 0xFF;
                int h = src.get(BYTE, qh + i) & 0xFF;
                int q1 = ((lo0 & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((lo1 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((lo1 >> 4) | (((h >> 6) & 3) << 4)) - 32;
                dst[y + i] = d * src.get(BYTE, sc + is) * q1;
                dst[y + 32 + i] = d * src.get(BYTE, sc + is + 2) * q2;
                dst[y + 64 + i] = d * src.get(BYTE, sc + is + 4) * q3;
                dst[y + 96 + i] = d * src.get(BYTE, sc + is + 6) * q4;
            }
        }
    }
}
