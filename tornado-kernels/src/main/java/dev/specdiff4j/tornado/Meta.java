package dev.specdiff4j.tornado;

/**
 * Slots of the small int array that carries a pass's varying values to the kernels. A compiled device kernel bakes
 * its scalar arguments in, so everything that changes from pass to pass (how many rows, which positions) comes
 * through this array, which is copied to the device before every pass while everything else stays there.
 */
public final class Meta {
    /** Rows (tokens) the kernel processes: the bound of its token loop. */
    public static final int ROWS = 0;
    /** Absolute position of the first row. */
    public static final int START = 1;
    /** Keys a bidirectional query sees. */
    public static final int KV_LENGTH = 2;
    /** First source row of {@link NormKernels#copyRows}. */
    public static final int ROW0 = 3;
    /** Element offset of the session's slot in the key and value caches. */
    public static final int KV_BASE = 4;
    public static final int SIZE = 5;

    private Meta() {
    }

    /**
     * A fixed loop bound, {@code n}. Kernels write {@code i < Meta.fixed(n)} for a parallel loop over a fixed size:
     * under a grid scheduler TornadoVM replaces a bound that is a bare scalar parameter by the size of the grid's
     * first dimension (and says so on standard output), while a bound computed from the parameter is compiled as the
     * constant it is, whatever the grid.
     */
    public static int fixed(int n) {
        return Math.max(n, 0);
    }

    /** Just a row count. */
    public static int[] rows(int rows) {
        return pass(rows, 0, 0, 0);
    }

    /** A pass over {@code rows} tokens at positions start.., seeing kvLength keys (bidirectional), cache slot at kvBase. */
    public static int[] pass(int rows, int start, int kvLength, int kvBase) {
        int[] meta = new int[SIZE];
        meta[ROWS] = rows;
        meta[START] = start;
        meta[KV_LENGTH] = kvLength;
        meta[KV_BASE] = kvBase;
        return meta;
    }

    /** A copy of {@code rows} rows starting at row0. */
    public static int[] copy(int rows, int row0) {
        int[] meta = rows(rows);
        meta[ROW0] = row0;
        return meta;
    }
}
