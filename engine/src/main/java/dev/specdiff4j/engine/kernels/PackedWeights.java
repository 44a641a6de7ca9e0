package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.Tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Weight rows packed for the 4-row tiles: within each block of 4 rows, the rows' vectors of L weights are interleaved
 * (row 0's first L weights, row 1's, row 2's, row 3's, then every row's next L, ...) and the rows' tail columns (past the
 * last whole vector) follow, row after row. A block then is one sequential stream of memory, where 4 rows side by side
 * are 4 streams: a 4-row tile widening F16 in registers reads it about as fast as one row alone, so every pass can use
 * 4-row tiles (docs/notes/16-kernels-round8.md). Blocks occupy the same bytes as their rows did, and the rows after the
 * last whole block are copied as they are, so row r still starts at {@code r · rowBytes}.
 *
 * <p>Element (i, c) of the block starting at byte {@code o} (i = 0..3, c < upper = cols − cols % L) lies at
 * {@code o + es·(4·(c − c % L) + L·i + c % L)}; a tile reading vector c of row i reads {@code o + 4·es·c + es·L·i}
 * ({@link MatmulTiles}, g = 4). Tail column c ≥ upper of row i lies at {@code o + es·(4·upper + i·(cols − upper) + c − upper)}.
 */
final class PackedWeights {
    private static final int L = VectorMath.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PackedWeights() {
    }

    /** Rows per block. */
    static final int BLOCK_ROWS = 4;

    /**
     * A packed copy of an F32, F16 or BF16 matrix's data, in memory freed when the copy is no longer referenced; blocks are
     * copied in parallel on {@code pool}, one vector of L weights at a time.
     */
    static MemorySegment pack(Tensor w, WorkerPool pool) {
        int rows = w.rows();
        int cols = w.cols();
        long rowBytes = w.rowBytes();
        int es = (int) (rowBytes / cols);
        int upper = cols - cols % L;
        VectorSpecies<Byte> vector = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * es * L));
        long tailBytes = (long) es * (cols - upper);
        MemorySegment src = w.data();
        MemorySegment dst = Arena.ofAuto().allocate(Math.max(1, rows * rowBytes), 64);
        int blocks = rows / BLOCK_ROWS;
        pool.parallelFor(blocks, Math.max(1, (int) (256 * 1024 / (BLOCK_ROWS * rowBytes))), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                long block = b * BLOCK_ROWS * rowBytes;
                long at = block;
                for (int c = 0; c < upper; c += L) {
                    for (int i = 0; i < BLOCK_ROWS; i++) {
                        ByteVector.fromMemorySegment(vector, src, block + i * rowBytes + (long) es * c, LE).intoMemorySegment(dst, at, LE);
                        at += (long) es * L;
                    }
                }
                for (int i = 0; i < BLOCK_ROWS; i++) {
                    MemorySegment.copy(src, block + i * rowBytes + (long) es * upper, dst, at, tailBytes);
                    at += tailBytes;
                }
            }
        });
        long plain = (long) blocks * BLOCK_ROWS * rowBytes;
        MemorySegment.copy(src, plain, dst, plain, rows * rowBytes - plain);
        return dst;
    }
}
