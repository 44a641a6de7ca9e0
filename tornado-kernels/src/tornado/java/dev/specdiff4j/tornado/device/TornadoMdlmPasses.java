package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;

import java.util.Arrays;

/**
 * The denoising passes of one draft on a device: a full bidirectional pass over the sequence fills the device cache
 * slot with every position's keys and values; a refresh recomputes only a block against them.
 */
final class TornadoMdlmPasses implements MaskedDiffusionLm.Passes {
    private final DeviceTransformer device;
    private final int slot;
    private int length = -1;
    private boolean closed;

    TornadoMdlmPasses(DeviceTransformer device) {
        this.device = device;
        this.slot = device.takeSlot();
        if (slot < 0) throw new IllegalStateException("all " + device.slots() + " device draft slots are in use");
    }

    @Override
    public float[][] full(int[] sequence, int firstRow, int rows) {
        if (sequence.length < 1 || sequence.length > device.maxRows()) {
            throw new IllegalArgumentException("a sequence of " + sequence.length + " positions does not fit the drafter's model length "
                    + device.maxRows());
        }
        if (firstRow < 0 || rows < 0 || firstRow + rows > sequence.length) throw new IllegalArgumentException("logit rows outside the sequence");
        length = sequence.length;
        return run(sequence, 0, firstRow, rows);
    }

    @Override
    public float[][] refresh(int start, int[] block) {
        if (length < 0) throw new IllegalStateException("refresh needs a full pass first");
        if (start < 0 || start + block.length > length) throw new IllegalArgumentException("block outside the sequence");
        return run(block, start, 0, block.length);
    }

    private float[][] run(int[] ids, int start, int firstRow, int rows) {
        if (closed) throw new IllegalStateException("the passes were closed");
        int vocab = device.spec().vocab();
        for (int id : ids) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the drafter's vocabulary of " + vocab);
        }
        float[][] out = new float[rows][];
        synchronized (device) {
            int done = 0;
            do {
                int count = Math.min(rows - done, device.maxLogitRows());
                float[] logits = device.pass(done == 0 ? ids : new int[0], start, length, slot, firstRow + done, count);
                for (int r = 0; r < count; r++) out[done + r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                done += count;
            } while (done < rows);
        }
        return out;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.releaseSlot(slot);
    }
}
