package dev.specdiff4j.tornado;

/**
 * Slots of the small int array that carries a pass's varying values to the kernels. On a device it is copied in
 * before every pass while everything else stays there; a compiled kernel bakes its scalar arguments in, so
 * anything that changes from pass to pass must come through here.
 */
public final class Meta {
    /** Absolute position of the pass's first token. */
    public static final int START = 0;
    /** Keys a bidirectional query sees. */
    public static final int KV_LENGTH = 1;
    /** First row that {@link NormKernels#copyRows} copies. */
    public static final int ROW0 = 2;
    /** Element offset of the session's slot in the key and value caches. */
    public static final int KV_BASE = 3;
    public static final int SIZE = 4;

    private Meta() {
    }

    public static int[] of(int start, int kvLength, int row0, int kvBase) {
        int[] meta = new int[SIZE];
        meta[START] = start;
        meta[KV_LENGTH] = kvLength;
        meta[ROW0] = row0;
        meta[KV_BASE] = kvBase;
        return meta;
    }
}
