package dev.specdiff4j.engine.kernels;

import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Q4_0's in-register tiles give exactly the bits of the F32 tiles on the decoded rows (the buffered path that rows
 * outside whole 4-row groups take), for 4×1 and 4×4 tiles, with and without bias, on random Q4_0 bytes.
 */
class Q4TilesTest {
    @Test
    void inRegisterTilesEqualTheBufferedPathBitForBit() {
        assumeTrue(Q4Tiles.SUPPORTED, "Q4_0 tiles need 16-float vectors");
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {32, 96, 768}) {
                int rows = 8;
                long bytes = DType.Q4_0.bytesFor((long) rows * cols);
                byte[] raw = new byte[(int) bytes];
                rnd.nextBytes(raw);
                for (int b = 0; b < bytes / 18; b++) { // finite scales between 2^-6 and 2^2, either sign
                    raw[b * 18] = (byte) rnd.nextInt(256);
                    raw[b * 18 + 1] = (byte) ((rnd.nextBoolean() ? 0x80 : 0) | (0x24 + rnd.nextInt(0x18)));
                }
                MemorySegment data = arena.allocate(bytes, 64);
                MemorySegment.copy(raw, 0, data, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, raw.length);
                Tensor w = new Tensor("w", DType.Q4_0, new long[] {rows, cols}, data);
                MemorySegment decoded = arena.allocate(4L * 4 * cols, 64);
                float[] x = new float[4 * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] bias = new float[rows];
                for (int i = 0; i < rows; i++) bias[i] = (float) rnd.nextGaussian();
                float[] lanes = new float[16 * VectorMath.L];
                for (float[] b : new float[][] {null, bias}) {
                    for (int r = 0; r < rows; r += 4) {
                        RowDecoder.decode(w, r, 4, decoded);
                        float[] tiles = new float[4 * rows];
                        float[] buffered = new float[4 * rows];
                        Q4Tiles.tile4x4(data, r * w.rowBytes(), w.rowBytes(), cols, x, 0, b, r, rows, tiles, lanes);
                        MatmulTiles.tile4x4(decoded, 0, 4L * cols, cols, x, 0, b, r, rows, buffered, lanes);
                        assertThat(tiles).as("4x4 cols=%d rows %d..", cols, r).containsExactly(buffered);
                        float[] tile1 = new float[4 * rows];
                        float[] buffered1 = new float[4 * rows];
                        Q4Tiles.tile4x1(data, r * w.rowBytes(), w.rowBytes(), cols, x, 2, b, r, rows, tile1, lanes);
                        MatmulTiles.tile4x1(decoded, 0, 4L * cols, cols, x, 2, b, r, rows, buffered1, lanes);
                        assertThat(tile1).as("4x1 cols=%d rows %d..", cols, r).containsExactly(buffered1);
                        assertThat(tile1).as("something was computed").isNotEqualTo(new float[4 * rows]);
                    }
                }
            }
        }
    }
}
