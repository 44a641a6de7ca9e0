package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
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
 *
 * <p>Quantized rows are whole blocks: the unit interleaved is a block, so block b of row i lies at
 * {@code o + blockBytes·(4b + i)} ({@link Q8Tiles} with rowStride = blockBytes, blockStride = 4·blockBytes).
 */
final class PackedWeights {
    private static final int L = VectorMath.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PackedWeights() {
    }

    /** Rows per block. */
    static final int BLOCK_ROWS = 4;

    /**
     * Quantized dtypes whose matrices are packed: Q8_0 where its blocks dequantize in registers for every pass
     * ({@link Q8Tiles}, 16-float vectors). Q4_0 and Q4_K were tried: no faster for one token (those tiles are bound by
     * their unpacking instructions, not by memory), slower for longer passes (docs/notes/16-kernels-round9.md).
     */
    static boolean packsQuantized(DType dtype) {
        return L == 16 && dtype == DType.Q8_0;
    }

    /**
     * Bytes of one packing unit of a row: L weights of a float dtype, one block (Q8_0, Q4_0: 32 weights) or super-block
     * (k-quants: 256) of a quantized one. Within a 4-row block, unit u of row i lies at {@code o + unit·(4u + i)}.
     */
    static int unitBytes(Tensor w) {
        DType dtype = w.dtype();
        return dtype.isQuantized() ? dtype.blockBytes() : (int) (w.rowBytes() / w.cols()) * L;
    }

    /**
     * A packed copy of an F32, F16 or BF16 matrix's data (vectors of L weights interleaved), or of a quantized one (blocks
     * interleaved: block b of row i of a 4-row block at {@code o + blockBytes·(4b + i)}, one sequential stream where the 4
     * rows are 4), in memory freed when the copy is no longer referenced; blocks are copied in parallel on {@code pool},
     * one unit at a time.
     */
    static MemorySegment pack(Tensor w, WorkerPool pool) {
        int rows = w.rows();
        long rowBytes = w.rowBytes();
        int unit = unitBytes(w);
        long units = rowBytes / unit;
        long tailBytes = rowBytes - units * unit;
        // a vector of L float weights is copied with one vector load and store; a quantized block with a copy
        VectorSpecies<Byte> vector = w.dtype().isQuantized() ? null : VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * unit));
        MemorySegment src = w.data();
        MemorySegment dst = Arena.ofAuto().allocate(Math.max(1, rows * rowBytes), 64);
        int blocks = rows / BLOCK_ROWS;
        pool.parallelFor(blocks, Math.max(1, (int) (256 * 1024 / (BLOCK_ROWS * rowBytes))), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                long block = b * BLOCK_ROWS * rowBytes;
                long at = block;
                for (long u = 0; u < units; u++) {
                    for (int i = 0; i < BLOCK_ROWS; i++) {
                        if (vector != null) {
                            ByteVector.fromMemorySegment(vector, src, block + i * rowBytes + u * unit, LE).intoMemorySegment(dst, at, LE);
                        } else {
                            MemorySegment.copy(src, block + i * rowBytes + u * unit, dst, at, unit);
                        }
                        at += unit;
                    }
                }
                for (int i = 0; i < BLOCK_ROWS; i++) {
                    MemorySegment.copy(src, block + i * rowBytes + units * unit, dst, at, tailBytes);
                    at += tailBytes;
                }
            }
        });
        long plain = (long) blocks * BLOCK_ROWS * rowBytes;
        MemorySegment.copy(src, plain, dst, plain, rows * rowBytes - plain);
        return dst;
    }
}
