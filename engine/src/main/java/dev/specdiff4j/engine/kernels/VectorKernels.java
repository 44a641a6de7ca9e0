package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Q8;
import dev.specdiff4j.engine.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The Vector API kernels, parallel over output rows (matmul) or (token, head) pairs (attention) on a
 * reusable worker pool. Deterministic: results do not depend on the batch size, the number of threads
 * or the JIT tier (see {@link VectorMath}), which is what lets speculative verification reproduce
 * plain greedy decoding bit for bit.
 */
public final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final int L = VectorMath.L;
    /** Fewest rows per parallel task of a matmul: a multiple of the 4-row tile. */
    private static final int ROWS_PER_TASK = 32;
    /**
     * A matmul task reads at least this many weight bytes (up to a quarter of a thread's share of the rows): short rows in
     * 32-row tasks made a one-token step of the demo target (384 columns, 768-byte F16 rows) hand out 14-94 tasks of 24 kB
     * per matmul, and each task costs a hand-off and a fresh memory stream. 64 kB tasks made its one-token step about 10 %
     * faster, GPT-2 small's 4-9 % (docs/notes/16-kernels-round7.md). {@code -Dspecdiff4j.taskBytes=0} goes back to 32 rows.
     */
    static final int TASK_BYTES = Integer.getInteger("specdiff4j.taskBytes", 64 * 1024);
    /**
     * F16 and BF16 passes over fewer tokens than this widen the weights in registers inside the dot products; longer
     * passes decode each 4-row block once into a small buffer and reuse it for every 4-token tile (chosen by measurement,
     * see docs/notes/16-float-kernels.md; {@code -Dspecdiff4j.halfDirectMaxTokens} overrides it for benchmarks).
     */
    static final int HALF_DIRECT_MAX_TOKENS = Integer.getInteger("specdiff4j.halfDirectMaxTokens", 4);
    /**
     * One-token passes over Q4_0, Q4_K, Q5_K and Q6_K weights unpack the bits in registers ({@link Q4Tiles}) instead of
     * decoding rows into the buffer: GPT-2 small's one-token step 1.6-1.8x faster in Q4_0 and Q4_K, the same in Q6_K
     * (docs/notes/16-kernels-round6.md). {@code -Dspecdiff4j.quantInRegisters=false} turns it off, for A/B runs; the
     * outputs are the same bits either way.
     */
    static final boolean QUANT_IN_REGISTERS = Boolean.parseBoolean(System.getProperty("specdiff4j.quantInRegisters", "true"));
    /**
     * F16 rows without infinities or NaNs that a pass decodes into the buffer (passes of {@link #F16_DIRECT_MAX_TOKENS}
     * tokens or more) go through a plain conversion loop that C2 vectorises into vcvtph2ps ({@link RowDecoder#f16FiniteRows})
     * instead of the Vector API widening: measured faster for 4- and 16-token passes (docs/notes/16-kernels-round5.md).
     * {@code -Dspecdiff4j.f16Loop=false} turns it off; the outputs are the same bits.
     */
    static final boolean F16_LOOP = Boolean.parseBoolean(System.getProperty("specdiff4j.f16Loop", "true"));
    /**
     * The tiles read the conversion loop's floats where it wrote them (a heap segment over its array) instead of a copy in
     * the off-heap row buffer; {@code -Dspecdiff4j.f16InPlace=false} copies them, for A/B runs. The same bits either way.
     */
    static final boolean F16_IN_PLACE = Boolean.parseBoolean(System.getProperty("specdiff4j.f16InPlace", "true"));
    /** F16 passes of fewer tokens than this widen in registers ({@code -Dspecdiff4j.f16DirectMaxTokens}, for A/B runs). */
    static final int F16_DIRECT_MAX_TOKENS = Integer.getInteger("specdiff4j.f16DirectMaxTokens", HALF_DIRECT_MAX_TOKENS);
    /**
     * F16 rows of at most this many weights are widened in registers only by one-token passes: 2- and 3-token passes over
     * the demo target's 384-weight rows were 12-15 % faster decoded into the buffer, while GPT-2 small's 768-weight rows
     * showed no difference (same-JVM A/B, docs/notes/16-kernels-round7.md). {@code -Dspecdiff4j.f16ShortRow=0} turns it off.
     */
    static final int F16_SHORT_ROW = Integer.getInteger("specdiff4j.f16ShortRow", 512);
    /**
     * Q8_0 passes of at most this many tokens dequantize in registers ({@link Q8Tiles}); longer ones decode each 4-row block
     * once into the buffer and reuse it for every 4-token tile. With 16-float vectors always in registers; with 8-float
     * vectors (AVX2) in registers up to 4 tokens: there a one-token step took 38 ms against 56 ms buffered, a 4-token pass
     * 67 against 77 ms, but a 16-token pass 243 against 159 ms (GPT-2 small, docs/notes/16-kernels-round5.md). The
     * outputs are the same bits either way ({@code -Dspecdiff4j.q8DirectMaxTokens} overrides it for A/B runs).
     */
    static final int Q8_DIRECT_MAX_TOKENS = Integer.getInteger("specdiff4j.q8DirectMaxTokens", L == 16 ? Integer.MAX_VALUE : 4);

    /**
     * One-token passes (decode steps) read the weights one row at a time ({@link MatmulTiles#tile1x1}) instead of four
     * rows side by side: measured on this project's 2-core AMD EPYC machine, the one-row loop streams weights from
     * memory at the machine's read bandwidth where the 4-row tile reached about half of it in F16 and two thirds in F32
     * (docs/notes/16-kernels-round6.md). The same operations per output in the same order, so the same bits;
     * {@code -Dspecdiff4j.oneRowSteps=false} goes back to the 4-row tiles of the multi-token passes (and to the buffered path
     * for the 4-bit types), for A/B runs.
     */
    static final boolean ONE_ROW_STEPS = Boolean.parseBoolean(System.getProperty("specdiff4j.oneRowSteps", "true"));

    /**
     * Two tokens left after the whole 4-token tiles (passes of 2, 6, 10, ... tokens) run a 4×2 tile instead of a 4×4 tile
     * padded with two copies: half the multiplications. On F32 rows (F32 weights, and every dtype decoded into the buffer)
     * the demo target's 2-token pass took 0.80×, its 6-token pass 0.83×; on F16 rows widened in registers GPT-2 small's
     * 2-token pass 0.95× (docs/notes/16-kernels-round7.md). The same bits.
     * {@code -Dspecdiff4j.pairTiles=false} pads them as before, for A/B runs.
     */
    static final boolean TILE_4X2 = Boolean.parseBoolean(System.getProperty("specdiff4j.pairTiles", "true"));

    /**
     * F32, F16, BF16 and (with 16-float vectors) Q8_0 matrices are read from a packed copy ({@link PackedWeights}: 4-row
     * blocks, one sequential stream each), made at their first matmul, and every pass runs 4-row tiles on it. Costs a copy
     * of those weights in memory.
     * {@code -Dspecdiff4j.packWeights=false} reads the rows where they lie, for A/B runs and tight memory; the same bits.
     */
    static final boolean PACK_WEIGHTS = Boolean.parseBoolean(System.getProperty("specdiff4j.packWeights", "true"));
    /**
     * F16 passes over packed weights with fewer tokens than this widen in registers; longer ones decode each block (BF16
     * always widens in registers: decoding it measured slower).
     */
    static final int PACKED_DIRECT_MAX_TOKENS = Integer.getInteger("specdiff4j.packedDirectMaxTokens", 5);
    /**
     * Passes of 5, 9, 13, ... tokens over F32 rows (F32 weights, and F16 blocks decoded for longer passes) finish with a 4×5
     * tile instead of a 4×4 and a 4×1, where vectors have 32 registers (16 floats per vector: AVX-512): demo target 5-token
     * pass 0.92×, 9 tokens 0.95× (docs/notes/16-kernels-round8.md). {@code -Dspecdiff4j.fiveTiles=false} turns it off; the
     * same bits.
     */
    static final boolean FIVE_TILES = L >= 16 && Boolean.parseBoolean(System.getProperty("specdiff4j.fiveTiles", "true"));

    private final WorkerPool pool;
    private final boolean packWeights;
    /**
     * Decoded weight rows live in native memory, like the weights themselves: if the vector loads of the matmul tiles ever saw
     * a heap segment as well, their type profile would turn megamorphic and every matmul in the process would lose its
     * intrinsics (measured: F16 and F32 models in one process ran 2-4x slower).
     */
    private final ThreadLocal<MemorySegment> rowBuffer = ThreadLocal.withInitial(() -> MemorySegment.NULL);
    /** F16 tensors seen by matmul → none of their values is an infinity or NaN (tensors compare by identity). */
    private final Map<Tensor, Boolean> finiteHalfs = new WeakHashMap<>();
    /**
     * Matrices seen by matmul → their packed copy, one per process whatever the number of kernels (tensors compare by
     * identity; the copy does not refer to its tensor, so it goes when the tensor does).
     */
    private static final Map<Tensor, MemorySegment> PACKED = new WeakHashMap<>();
    private final ThreadLocal<float[]> scoreBuffer = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<float[]> laneBuffer = ThreadLocal.withInitial(() -> new float[16 * L]);
    private final ThreadLocal<float[]> paddedX = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<float[]> paddedOut = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<float[]> floatScratch = ThreadLocal.withInitial(() -> new float[0]);

    /** Kernels running on {@code threads} threads (the caller plus threads − 1 workers). */
    public VectorKernels(int threads) {
        this(threads, PACK_WEIGHTS);
    }

    /** With {@code packWeights} false, matrices are read where they lie (tests compare both ways bit for bit). */
    VectorKernels(int threads, boolean packWeights) {
        if (VectorMath.WIDTH_ERROR != null) throw new IllegalArgumentException(VectorMath.WIDTH_ERROR);
        this.pool = new WorkerPool(threads, "specdiff4j-kernels");
        this.packWeights = packWeights;
    }

    /** Kernels on all available processors. */
    public VectorKernels() {
        this(Runtime.getRuntime().availableProcessors());
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String describe() {
        return "vector (Java Vector API, " + F.vectorBitSize() + "-bit" + (System.getProperty("specdiff4j.vectorBits") == null
                ? " (the widest here)" : " (-Dspecdiff4j.vectorBits)") + ", " + L + " floats per vector, " + pool.threads()
                + (pool.threads() == 1 ? " thread" : " threads") + (packWeights ? ", weights packed in 4-row blocks)" : ")");
    }

    public int threads() {
        return pool.threads();
    }

    /** Whether an F16 tensor holds no infinity or NaN, checked once per tensor (the answer decides the matmul path). */
    private boolean finiteHalfs(Tensor w) {
        synchronized (finiteHalfs) {
            return finiteHalfs.computeIfAbsent(w, t -> !RowDecoder.hasInfOrNaN(t.data(), 0, t.elementCount()));
        }
    }

    /**
     * The packed copy of {@code w}, made on first use; null when there was no memory for it (the copy is native memory, which
     * the JVM caps at -XX:MaxDirectMemorySize, by default the heap's maximum): that matrix is then read where it lies.
     */
    private MemorySegment packed(Tensor w) {
        synchronized (PACKED) {
            MemorySegment copy = PACKED.get(w);
            if (copy == null) {
                try {
                    copy = PackedWeights.pack(w, pool);
                } catch (OutOfMemoryError e) {
                    copy = MemorySegment.NULL;
                }
                PACKED.put(w, copy);
            }
            return copy == MemorySegment.NULL ? null : copy;
        }
    }

    private MemorySegment rowBuffer(int floats) {
        MemorySegment b = rowBuffer.get();
        if (b.byteSize() < 4L * floats) {
            b = Arena.ofAuto().allocate(4L * floats, 64);
            rowBuffer.set(b);
        }
        return b;
    }

    @Override
    public void matmul(float[] x, int k, Tensor w, float[] bias, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        if (x.length < k * cols || out.length < k * rows) {
            throw new IllegalArgumentException("matmul " + w + ": buffers too small for " + k + " rows");
        }
        int whole = k - k % 4; // tokens in whole 4-token tiles
        // padded once per call (the caller's scratch, read by every task; each task writes only its own rows of its output)
        int kind = MatmulTiles.kind(w.dtype(), w.dtype() == DType.F16 && finiteHalfs(w));
        MemorySegment blocks = packWeights && (kind >= 0 || PackedWeights.packsQuantized(w.dtype())) ? packed(w) : null;
        Leftover left = k - whole >= 2 ? leftover(x, whole, k - whole, cols, rows) : null;
        int grain = rowsPerTask(rows, w.rowBytes(), pool.threads());
        if (blocks != null && kind >= 0 && k == 1) {
            pool.parallelFor(rows, grain, (r0, r1) -> stepBlocks(x, w, blocks, kind, bias, out, rows, cols, r0, r1));
        } else if (blocks != null && kind >= 0) {
            pool.parallelFor(rows, grain, (r0, r1) -> matmulBlocks(x, k, whole, left, w, blocks, kind, bias, out, rows, cols, r0, r1));
        } else if (k == 1 && (ONE_ROW_STEPS || blocks != null)) {
            pool.parallelFor(rows, grain, (r0, r1) -> stepRows(x, w, blocks, kind, bias, out, rows, cols, r0, r1));
        } else {
            pool.parallelFor(rows, grain, (r0, r1) -> matmulRows(x, k, whole, left, w, blocks, kind, bias, out, rows, cols, r0, r1));
        }
    }

    /** Rows [r0, r1) of a one-token pass over packed weights: 4×1 tiles on the blocks, one row at a time after them. */
    private void stepBlocks(float[] x, Tensor w, MemorySegment blocks, int kind, float[] bias, float[] out, int rows, int cols, int r0, int r1) {
        float[] lanes = laneBuffer.get();
        long rowBytes = w.rowBytes();
        long stride = (long) L * MatmulTiles.elementBytes(kind);
        int r = r0;
        if (kind == MatmulTiles.F32) {
            for (; r + 4 <= r1; r += 4) MatmulTiles.tile4x1(blocks, kind, r * rowBytes, stride, 4, cols, x, 0, bias, r, rows, out, lanes);
            for (; r < r1; r++) MatmulTiles.tile1x1(blocks, kind, r * rowBytes, cols, x, 0, bias, r, rows, out, lanes);
        } else {
            for (; r + 4 <= r1; r += 4) MatmulTiles.tile4x1Half(blocks, kind, r * rowBytes, stride, 4, cols, x, 0, bias, r, rows, out, lanes);
            for (; r < r1; r++) MatmulTiles.tile1x1Half(blocks, kind, r * rowBytes, cols, x, 0, bias, r, rows, out, lanes);
        }
    }

    /**
     * Rows [r0, r1) of a multi-token pass over packed weights. F32 and BF16 blocks, and F16 blocks in passes of fewer than
     * {@link #PACKED_DIRECT_MAX_TOKENS} tokens, are read where they lie (16-bit weights widened in registers); longer F16
     * passes decode each block once into a buffer (floats, still packed) and run every token tile on it. Rows after the last whole
     * block are plain rows: 1-row tiles.
     */
    private void matmulBlocks(float[] x, int k, int whole, Leftover left, Tensor w, MemorySegment blocks, int kind, float[] bias, float[] out,
                              int rows, int cols, int r0, int r1) {
        float[] lanes = laneBuffer.get();
        long rowBytes = w.rowBytes();
        boolean direct = kind != MatmulTiles.F16 || k < PACKED_DIRECT_MAX_TOKENS;
        float[] floats = direct ? null : scratch(floatScratch, 4 * cols);
        MemorySegment seg = direct ? blocks : MemorySegment.ofArray(floats);
        int tileKind = direct ? kind : MatmulTiles.F32;
        long stride = (long) L * MatmulTiles.elementBytes(tileKind);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long base = direct ? r * rowBytes : 0;
            if (!direct) RowDecoder.halfsToFloats(w.dtype(), blocks, r * rowBytes, 4 * cols, floats);
            blockTiles(seg, tileKind, base, stride, 4, cols, x, k, whole, left, bias, r, rows, out, lanes);
        }
        // the rows after the last whole block lie as plain rows, read where they are
        for (; r < r1; r++) {
            long at = r * rowBytes;
            int t = 0;
            for (; t + 4 <= k; t += 4) MatmulTiles.tile1x4(blocks, kind, at, cols, x, t, bias, r, rows, out, lanes);
            for (; t < k; t++) MatmulTiles.tile1x1(blocks, kind, at, cols, x, t, bias, r, rows, out, lanes);
        }
    }

    /**
     * Rows [r0, r1) of a one-token pass (a decoding step), one row at a time. A method of its own, apart from the
     * multi-token passes' {@link #matmulRows}: the JIT compiles a method with the branch and type profile of all its
     * callers, and a decoding step compiled together with the prompt's and verification's passes ran about 20 % slower than
     * compiled alone (the demo target's 33 one-token matmuls, 1.6 against 1.35 ms; docs/notes/16-kernels-round7.md).
     */
    private void stepRows(float[] x, Tensor w, MemorySegment packed, int kind, float[] bias, float[] out, int rows, int cols, int r0, int r1) {
        float[] lanes = laneBuffer.get();
        MemorySegment data = packed != null ? packed : w.data();
        long rowBytes = w.rowBytes();
        int r = r0;
        if (kind == MatmulTiles.F32) {
            for (; r < r1; r++) MatmulTiles.tile1x1(data, kind, r * rowBytes, cols, x, 0, bias, r, rows, out, lanes);
            return;
        }
        if (kind >= 0) {
            for (; r < r1; r++) MatmulTiles.tile1x1Half(data, kind, r * rowBytes, cols, x, 0, bias, r, rows, out, lanes);
            return;
        }
        if (w.dtype() == DType.Q8_0 && Q8Tiles.SUPPORTED) {
            // packed blocks (PackedWeights: block b of row i at 4b + i): the four rows side by side, one stream
            if (packed != null) {
                for (; r + 4 <= r1; r += 4) {
                    Q8Tiles.tile4x1(data, r * rowBytes, Q8.BLOCK_BYTES, 4 * Q8.BLOCK_BYTES, cols, x, 0, bias, r, rows, out, lanes);
                }
            }
            for (; r < r1; r++) Q8Tiles.tile1x1(data, r * rowBytes, cols, x, 0, bias, r, rows, out, lanes);
            return;
        }
        if (QUANT_IN_REGISTERS && Q4Tiles.supports(w.dtype())) {
            // 4 rows per call; the leftover rows take the buffered path below
            for (; r + 4 <= r1; r += 4) {
                switch (w.dtype()) {
                    case Q4_0 -> Q4Tiles.q4_0x1(data, r * rowBytes, rowBytes, cols, x, 0, bias, r, rows, out, lanes);
                    case Q4_K -> Q4Tiles.q4Kx1(data, r * rowBytes, rowBytes, cols, x, 0, bias, r, rows, out, lanes);
                    case Q5_K -> Q4Tiles.q5Kx1(data, r * rowBytes, rowBytes, cols, x, 0, bias, r, rows, out, lanes);
                    default -> Q4Tiles.q6Kx1(data, r * rowBytes, rowBytes, cols, x, 0, bias, r, rows, out, lanes);
                }
            }
        }
        // the rest (F16 with infinities or NaNs, quantized types without an in-register path) decoded exactly, 4 rows at a time
        MemorySegment decoded = rowBuffer(4 * cols);
        for (; r < r1; r += 4) {
            int n = Math.min(4, r1 - r);
            RowDecoder.decode(w, r, n, decoded);
            for (int i = 0; i < n; i++) MatmulTiles.tile1x1(decoded, MatmulTiles.F32, 4L * i * cols, cols, x, 0, bias, r + i, rows, out, lanes);
        }
    }

    /** Rows per task: {@link #TASK_BYTES} of weights, at most a quarter of a thread's share, at least {@link #ROWS_PER_TASK}. */
    static int rowsPerTask(int rows, long rowBytes, int threads) {
        long byBytes = (TASK_BYTES + rowBytes - 1) / rowBytes;
        long quarterShare = rows / (4L * threads);
        return (int) Math.max(ROWS_PER_TASK, (Math.min(byBytes, quarterShare) + 3) / 4 * 4);
    }

    private void matmulRows(float[] x, int k, int whole, Leftover left, Tensor w, MemorySegment packed, int kind, float[] bias, float[] out,
                            int rows, int cols, int r0, int r1) {
        float[] lanes = laneBuffer.get();
        // F32 rows are read where they lie; F16 and BF16 rows too (widened in registers) unless the pass is long enough
        // that decoding each 4-row block once into a buffer beats widening it again for every 4-token tile; other dtypes
        // are decoded (exactly) into the buffer first
        boolean direct = kind == MatmulTiles.F32
                || (kind == MatmulTiles.F16 ? k < F16_DIRECT_MAX_TOKENS && (k == 1 || cols > F16_SHORT_ROW) : kind >= 0 && k < HALF_DIRECT_MAX_TOKENS);
        boolean f16Loop = !direct && kind == MatmulTiles.F16 && F16_LOOP;
        float[] floats = f16Loop ? scratch(floatScratch, 4 * cols) : null;
        int tileKind = direct ? kind : MatmulTiles.F32;
        MemorySegment decoded = direct ? null : f16Loop && F16_IN_PLACE ? MemorySegment.ofArray(floats) : rowBuffer(4 * cols);
        long stride = direct ? w.rowBytes() : 4L * cols;
        int r = r0;
        if (w.dtype() == DType.Q8_0 && Q8Tiles.SUPPORTED && k <= Q8_DIRECT_MAX_TOKENS) {
            // 4-row groups dequantize in registers (packed blocks or plain rows); the leftover rows take the buffered path below
            long rowBytes = w.rowBytes();
            MemorySegment data = packed != null ? packed : w.data();
            long rowStride = packed != null ? Q8.BLOCK_BYTES : rowBytes;
            long blockStride = packed != null ? 4 * Q8.BLOCK_BYTES : Q8.BLOCK_BYTES;
            for (; r + 4 <= r1; r += 4) {
                long row0 = r * rowBytes;
                for (int t = 0; t < whole; t += 4) Q8Tiles.tile4x4(data, row0, rowStride, blockStride, cols, x, t, bias, r, rows, out, lanes);
                if (left != null) {
                    Q8Tiles.tile4x4(data, row0, rowStride, blockStride, cols, left.x, 0, bias, r, rows, left.out, lanes);
                    left.copyOut(out, whole, r);
                } else if (whole < k) {
                    Q8Tiles.tile4x1(data, row0, rowStride, blockStride, cols, x, whole, bias, r, rows, out, lanes);
                }
            }
        }
        for (; r < r1; r += 4) {
            int n = Math.min(4, r1 - r);
            MemorySegment seg = direct ? w.data() : decoded;
            long base = direct ? r * stride : 0;
            if (f16Loop) RowDecoder.f16FiniteRows(w.data(), r * w.rowBytes(), n * cols, floats, F16_IN_PLACE ? null : decoded);
            else if (!direct) RowDecoder.decode(w, r, n, decoded);
            for (int i = 0; i < n && n < 4; i++) {
                int t = 0;
                for (; t + 4 <= k; t += 4) MatmulTiles.tile1x4(seg, tileKind, base + i * stride, cols, x, t, bias, r + i, rows, out, lanes);
                for (; t < k; t++) MatmulTiles.tile1x1(seg, tileKind, base + i * stride, cols, x, t, bias, r + i, rows, out, lanes);
            }
            if (n < 4) break;
            blockTiles(seg, tileKind, base, stride, 1, cols, x, k, whole, left, bias, r, rows, out, lanes);
        }
    }

    /**
     * The token tiles of one 4-row block (rows r..r+3 at byte {@code base} of {@code seg}, read as {@code tileKind}; plain
     * rows {@code stride} bytes apart when g = 1, a packed block when g = 4): 4×4 tiles over the whole 4-token groups, then
     * a 4×2, a padded 4×4 or a 4×1 tile for the tokens left.
     */
    private static void blockTiles(MemorySegment seg, int tileKind, long base, long stride, int g, int cols, float[] x, int k, int whole,
                                   Leftover left, float[] bias, int r, int rows, float[] out, float[] lanes) {
        if (tileKind != MatmulTiles.F32) {
            // 16-bit weights widened in registers: their own copies of the tiles (see MatmulTiles.wHalf)
            for (int t = 0; t < whole; t += 4) MatmulTiles.tile4x4Half(seg, tileKind, base, stride, g, cols, x, t, bias, r, rows, out, lanes);
            if (left != null && left.tokens() == 2 && TILE_4X2) {
                MatmulTiles.tile4x2Half(seg, tileKind, base, stride, g, cols, x, whole, bias, r, rows, out, lanes);
            } else if (left != null) {
                MatmulTiles.tile4x4Half(seg, tileKind, base, stride, g, cols, left.x, 0, bias, r, rows, left.out, lanes);
                left.copyOut(out, whole, r);
            } else if (whole < k) {
                MatmulTiles.tile4x1Half(seg, tileKind, base, stride, g, cols, x, whole, bias, r, rows, out, lanes);
            }
            return;
        }
        // one token after whole 4-token groups: the last group and it share a 4×5 tile where vectors have 32 registers
        boolean five = FIVE_TILES && k - whole == 1 && whole >= 4;
        int fours = five ? whole - 4 : whole;
        for (int t = 0; t < fours; t += 4) MatmulTiles.tile4x4(seg, tileKind, base, stride, g, cols, x, t, bias, r, rows, out, lanes);
        if (five) {
            MatmulTiles.tile4x5(seg, tileKind, base, stride, g, cols, x, fours, bias, r, rows, out, lanes);
        } else if (left != null && left.tokens() == 2 && TILE_4X2) {
            MatmulTiles.tile4x2(seg, tileKind, base, stride, g, cols, x, whole, bias, r, rows, out, lanes);
        } else if (left != null) {
            MatmulTiles.tile4x4(seg, tileKind, base, stride, g, cols, left.x, 0, bias, r, rows, left.out, lanes);
            left.copyOut(out, whole, r);
        } else if (whole < k) {
            MatmulTiles.tile4x1(seg, tileKind, base, stride, g, cols, x, whole, bias, r, rows, out, lanes);
        }
    }

    /**
     * The 2 or 3 tokens after the last whole 4-token tile, padded to 4 by repeating the first of them, with a 4-token
     * output of its own: one 4×4 tile then reads (or dequantizes) each weight row once for all of them instead of once
     * per token in 4×1 tiles. The padding columns are computed and dropped; every kept result is computed exactly as
     * in any other tile.
     */
    private record Leftover(float[] x, float[] out, int tokens, int rows) {
        void copyOut(float[] dst, int firstToken, int r) {
            for (int j = 0; j < tokens; j++) System.arraycopy(out, j * rows + r, dst, (firstToken + j) * rows + r, 4);
        }
    }

    private Leftover leftover(float[] x, int first, int tokens, int cols, int rows) {
        float[] padded = scratch(paddedX, 4 * cols);
        for (int j = 0; j < 4; j++) System.arraycopy(x, (first + (j < tokens ? j : 0)) * cols, padded, j * cols, cols);
        return new Leftover(padded, scratch(paddedOut, 4 * rows), tokens, rows);
    }

    private static float[] scratch(ThreadLocal<float[]> buffer, int floats) {
        float[] b = buffer.get();
        if (b.length < floats) {
            b = new float[floats];
            buffer.set(b);
        }
        return b;
    }

    @Override
    public void layerNorm(float[] x, int k, int dim, float[] weight, float[] bias, float eps, float[] out) {
        pool.parallelFor(k, Math.max(1, 8192 / Math.max(1, dim)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) layerNormRow(x, t * dim, dim, weight, bias, eps, out);
        });
    }

    private static void layerNormRow(float[] x, int base, int dim, float[] weight, float[] bias, float eps, float[] out) {
        int upper = dim - dim % L;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) acc = acc.add(FloatVector.fromArray(F, x, base + i));
        float sum = VectorMath.sum(acc);
        for (int i = upper; i < dim; i++) sum += x[base + i];
        float mean = sum / dim;
        FloatVector m = FloatVector.broadcast(F, mean);
        FloatVector sq = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector d = FloatVector.fromArray(F, x, base + i).sub(m);
            sq = d.fma(d, sq);
        }
        float var = VectorMath.sum(sq);
        for (int i = upper; i < dim; i++) {
            float d = x[base + i] - mean;
            var = Math.fma(d, d, var);
        }
        var /= dim;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        for (int i = 0; i < upper; i += L) {
            FloatVector n = FloatVector.fromArray(F, x, base + i).sub(m).mul(inv).mul(FloatVector.fromArray(F, weight, i));
            if (bias != null) n = n.add(FloatVector.fromArray(F, bias, i));
            n.intoArray(out, base + i);
        }
        for (int i = upper; i < dim; i++) {
            float n = (x[base + i] - mean) * inv * weight[i];
            out[base + i] = bias != null ? n + bias[i] : n;
        }
    }

    @Override
    public void geluTanh(float[] x, int n) {
        pool.parallelFor(n, 8192, (s, e) -> {
            int i = s;
            for (; i + L <= e; i += L) VectorMath.gelu(FloatVector.fromArray(F, x, i)).intoArray(x, i);
            for (; i < e; i++) x[i] = VectorMath.gelu(x[i]);
        });
    }

    @Override
    public void softmax(float[] x, int offset, int n) {
        softmaxRow(x, offset, n);
    }

    private static void softmaxRow(float[] x, int offset, int n) {
        int upper = n - n % L;
        float max = Float.NEGATIVE_INFINITY;
        if (upper > 0) {
            FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < upper; i += L) mv = mv.max(FloatVector.fromArray(F, x, offset + i));
            max = VectorMath.max(mv);
        }
        for (int i = upper; i < n; i++) max = Math.max(max, x[offset + i]);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, offset + i).sub(max));
            e.intoArray(x, offset + i);
            acc = acc.add(e);
        }
        float sum = VectorMath.sum(acc);
        for (int i = upper; i < n; i++) {
            float e = VectorMath.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < upper; i += L) FloatVector.fromArray(F, x, offset + i).mul(inv).intoArray(x, offset + i);
        for (int i = upper; i < n; i++) x[offset + i] *= inv;
    }

    @Override
    public void residualAdd(float[] x, float[] y, float[] gate, int k, int dim) {
        int upper = dim - dim % L;
        for (int t = 0; t < k; t++) {
            int base = t * dim;
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector yv = FloatVector.fromArray(F, y, base + i);
                FloatVector xv = FloatVector.fromArray(F, x, base + i);
                (gate == null ? xv.add(yv) : yv.fma(FloatVector.fromArray(F, gate, i), xv)).intoArray(x, base + i);
            }
            for (; i < dim; i++) x[base + i] = gate == null ? x[base + i] + y[base + i] : Math.fma(y[base + i], gate[i], x[base + i]);
        }
    }

    @Override
    public void attention(float[] q, int k, float[] keys, float[] values, int kvLength, int firstPosition, boolean causal,
                          int heads, int headDim, float[] out) {
        int dim = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        pool.parallelFor(k * heads, 1, (s, e) -> {
            for (int task = s; task < e; task++) {
                int t = task / heads;
                int h = task % heads;
                int visible = causal ? firstPosition + t + 1 : kvLength;
                if (visible > kvLength) throw new IllegalArgumentException("query " + t + " sees " + visible + " keys but only " + kvLength + " exist");
                attendOne(q, t * dim + h * headDim, keys, values, h * headDim, dim, visible, visible, null, headDim, scale, out);
            }
        });
    }

    @Override
    public void treeAttention(float[] q, int k, float[] keys, float[] values, int prefix, int[][] visible, int heads, int headDim,
                              float[] out) {
        int dim = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        pool.parallelFor(k * heads, 1, (s, e) -> {
            for (int task = s; task < e; task++) {
                int t = task / heads;
                int h = task % heads;
                attendOne(q, t * dim + h * headDim, keys, values, h * headDim, dim, prefix + visible[t].length, prefix, visible[t],
                        headDim, scale, out);
            }
        });
    }

    @Override
    public void pagedAttention(float[] q, int k, float[][] pages, int keyBase, int valueBase, int pageRows, int firstPosition,
                               int heads, int headDim, float[] out) {
        int dim = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        pool.parallelFor(k * heads, 1, (s, e) -> {
            for (int task = s; task < e; task++) {
                int t = task / heads;
                int h = task % heads;
                int visible = firstPosition + t + 1;
                float[][] rows = pagedRows.get(); // this head's keys and values, gathered: attendOne sums as over a contiguous cache
                if (rows[0].length < visible * headDim) {
                    rows = new float[][] {new float[visible * headDim + 512], new float[visible * headDim + 512]};
                    pagedRows.set(rows);
                }
                for (int j = 0; j < visible; j++) {
                    int from = (j % pageRows) * dim + h * headDim;
                    System.arraycopy(pages[j / pageRows], keyBase + from, rows[0], j * headDim, headDim);
                    System.arraycopy(pages[j / pageRows], valueBase + from, rows[1], j * headDim, headDim);
                }
                attendOne(q, t * dim + h * headDim, rows[0], rows[1], 0, headDim, visible, visible, null, headDim, scale, out);
            }
        });
    }

    private final ThreadLocal<float[][]> pagedRows = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    /**
     * One (query, head) pair over {@code visible} key rows: row j is j itself for j < {@code prefix} and
     * {@code prefix + tail[j - prefix]} after it (tail null: contiguous). The loops are the same either way, so a tree row
     * sums exactly like the linear path it stands for.
     */
    private void attendOne(float[] q, int qBase, float[] keys, float[] values, int headOffset, int dim, int visible, int prefix,
                           int[] tail, int headDim, float scale, float[] out) {
        float[] scores = scoreBuffer.get();
        if (scores.length < visible) {
            scores = new float[Math.max(visible, 256)];
            scoreBuffer.set(scores);
        }
        int upper = headDim - headDim % L;
        for (int j = 0; j < visible; j++) {
            int kBase = (j < prefix ? j : prefix + tail[j - prefix]) * dim + headOffset;
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < upper; i += L) {
                acc = FloatVector.fromArray(F, q, qBase + i).fma(FloatVector.fromArray(F, keys, kBase + i), acc);
            }
            float dot = VectorMath.sum(acc);
            for (int i = upper; i < headDim; i++) dot = Math.fma(q[qBase + i], keys[kBase + i], dot);
            scores[j] = dot * scale;
        }
        softmaxRow(scores, 0, visible);
        int oBase = qBase;
        int i = 0;
        // four output vectors per sweep over the rows: four independent FMA chains instead of one at a time (each
        // accumulator still adds the rows in order, so the same bits)
        for (; i + 4 * L <= upper; i += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < visible; j++) {
                int v = (j < prefix ? j : prefix + tail[j - prefix]) * dim + headOffset + i;
                FloatVector p = FloatVector.broadcast(F, scores[j]);
                a0 = FloatVector.fromArray(F, values, v).fma(p, a0);
                a1 = FloatVector.fromArray(F, values, v + L).fma(p, a1);
                a2 = FloatVector.fromArray(F, values, v + 2 * L).fma(p, a2);
                a3 = FloatVector.fromArray(F, values, v + 3 * L).fma(p, a3);
            }
            a0.intoArray(out, oBase + i);
            a1.intoArray(out, oBase + i + L);
            a2.intoArray(out, oBase + i + 2 * L);
            a3.intoArray(out, oBase + i + 3 * L);
        }
        for (; i < upper; i += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < visible; j++) {
                int row = j < prefix ? j : prefix + tail[j - prefix];
                acc = FloatVector.fromArray(F, values, row * dim + headOffset + i).fma(FloatVector.broadcast(F, scores[j]), acc);
            }
            acc.intoArray(out, oBase + i);
        }
        for (int c = upper; c < headDim; c++) {
            float acc = 0;
            for (int j = 0; j < visible; j++) {
                int row = j < prefix ? j : prefix + tail[j - prefix];
                acc = Math.fma(values[row * dim + headOffset + c], scores[j], acc);
            }
            out[oBase + c] = acc;
        }
    }

    @Override
    public void rope(float[] x, int k, int heads, int headDim, int firstPosition, float[] cos, float[] sin) {
        int half = headDim / 2;
        int upper = half - half % L;
        int dim = heads * headDim;
        for (int t = 0; t < k; t++) {
            int table = (firstPosition + t) * half;
            for (int h = 0; h < heads; h++) {
                int base = t * dim + h * headDim;
                int i = 0;
                for (; i < upper; i += L) {
                    FloatVector a = FloatVector.fromArray(F, x, base + i);
                    FloatVector b = FloatVector.fromArray(F, x, base + half + i);
                    FloatVector c = FloatVector.fromArray(F, cos, table + i);
                    FloatVector s = FloatVector.fromArray(F, sin, table + i);
                    a.mul(c).sub(b.mul(s)).intoArray(x, base + i);
                    b.mul(c).add(a.mul(s)).intoArray(x, base + half + i);
                }
                for (; i < half; i++) {
                    float a = x[base + i];
                    float b = x[base + half + i];
                    x[base + i] = a * cos[table + i] - b * sin[table + i];
                    x[base + half + i] = b * cos[table + i] + a * sin[table + i];
                }
            }
        }
    }

    @Override
    public void embedding(Tensor table, int[] ids, float[] out) {
        int dim = table.cols();
        MemorySegment row = table.dtype() == DType.F32 ? null : rowBuffer(dim);
        for (int t = 0; t < ids.length; t++) {
            ReferenceKernels.checkId(table, ids[t]);
            if (row == null) {
                MemorySegment.copy(table.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, (long) ids[t] * dim * 4, out, t * dim, dim);
            } else {
                RowDecoder.decode(table, ids[t], 1, row);
                MemorySegment.copy(row, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out, t * dim, dim);
            }
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
