package dev.specdiff4j.tornado;

/** 16-bit floats from their bit patterns, in code a TornadoVM kernel can inline. */
public final class Halves {
    private Halves() {
    }

    /** IEEE half precision, subnormals, infinities and NaN included. */
    public static float f16(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        float value;
        if (exponent == 0) {
            float magnitude = mantissa * 5.9604645e-8f; // mantissa · 2^-24
            value = sign != 0 ? -magnitude : magnitude;
        } else if (exponent == 31) {
            value = Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        } else {
            value = Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
        }
        return value;
    }

    public static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
