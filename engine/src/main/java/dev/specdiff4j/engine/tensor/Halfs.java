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

    /**
     * {@link #f16ToFloat} of every 16-bit pattern, indexed by the pattern ({@code table[bits & 0xFFFF]}): for kernels
     * that can index an array but cannot call the conversion (TornadoVM's OpenCL backend compiles no
     * {@code Float.intBitsToFloat}). A new array on every call.
     */
    public static float[] f16Table() {
        return table(Halfs::f16ToFloat);
    }

    /** {@link #bf16ToFloat} of every 16-bit pattern, as {@link #f16Table()}. */
    public static float[] bf16Table() {
        return table(Halfs::bf16ToFloat);
    }

    private static float[] table(Decoder decoder) {
        float[] table = new float[1 << 16];
        for (int bits = 0; bits < table.length; bits++) table[bits] = decoder.decode((short) bits);
        return table;
    }

    private interface Decoder {
        float decode(short bits);
    }
}
