package dev.specdiff4j.engine.tensor;

/**
 * Conversions between float and the 16-bit formats, with round-to-nearest-even and NaN / Inf kept.
 * F16 uses the JDK's {@link Float#floatToFloat16} (IEEE rounding); BF16 is the upper half of the float
 * bits, rounded: adding 0x7FFF plus the lowest kept bit before truncating rounds ties to even.
 */
public final class Halfs {
    private Halfs() {
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((bits >>> 16) | 0x0040); // keep it a (quiet) NaN
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
