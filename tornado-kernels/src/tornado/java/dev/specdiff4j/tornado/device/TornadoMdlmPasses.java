package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.MaskedDiffusionLm;

import java.util.Arrays;

/**
 * The denoising passes of one draft on a device: a full bidirectional pass over the sequence fills the device cache
 * slot with every position's keys and values; a refresh recomputes only a block against them. A greedy step
 * ({@link #passAndUnmask}) unmasks the block on the device and brings back only its tokens; sampled drafts need the
 * probability rows on the host for the acceptance test, so their passes bring the logits back.
 */
final class TornadoMdlmPasses implements MaskedDiffusionLm.Passes {
    private final DeviceTransformer device;
    private final int slot;
    private final String description;
    private int length = -1;
    private int deviceSteps;
    private boolean closed;

    TornadoMdlmPasses(DeviceTransformer device, String description) {
        this.device = device;
        this.description = description;
        this.slot = device.takeSlot();
        if (slot < 0) throw new IllegalStateException("all " + device.slots() + " device draft slots are in use");
    }

    @Override
    public float[][] full(int[] sequence, int firstRow, int rows) {
        startFull(sequence, firstRow, rows);
        return run(sequence, 0, firstRow, rows);
    }

    @Override
    public float[][] refresh(int start, int[] block) {
        checkRefresh(start, block);
        return run(block, start, 0, block.length);
    }

    @Override
    public int[] passAndUnmask(boolean full, int[] sequence, int blockStart, int blockLength, double stayProbability, double[] stay) {
        if (blockLength > device.maxLogitRows()) {
            // more rows than the device's logits buffer: the passes come back in chunks and the step runs here
            return MaskedDiffusionLm.Passes.super.passAndUnmask(full, sequence, blockStart, blockLength, stayProbability, stay);
        }
        int[] block = Arrays.copyOfRange(sequence, blockStart, blockStart + blockLength);
        if (full) {
            startFull(sequence, blockStart, blockLength);
        } else {
            checkRefresh(blockStart, block);
        }
        int[] ids = full ? sequence : block;
        checkIds(ids);
        synchronized (device) {
            int[] result = device.passAndUnmask(ids, full ? 0 : blockStart, length, slot, full ? blockStart : 0, block, stayProbability, stay);
            deviceSteps++;
            return result;
        }
    }

    @Override
    public String describe() {
        return description + " (TornadoVM; denoising passes and greedy unmasking on the device, blocks up to "
                + device.maxLogitRows() + ")";
    }

    /** Greedy steps run on the device so far. */
    int deviceSteps() {
        return deviceSteps;
    }

    private void startFull(int[] sequence, int firstRow, int rows) {
        if (sequence.length < 1 || sequence.length > device.maxRows()) {
            throw new IllegalArgumentException("a sequence of " + sequence.length + " positions does not fit the drafter's model length "
                    + device.maxRows());
        }
        if (firstRow < 0 || rows < 0 || firstRow + rows > sequence.length) throw new IllegalArgumentException("logit rows outside the sequence");
        length = sequence.length;
    }

    private void checkRefresh(int start, int[] block) {
        if (length < 0) throw new IllegalStateException("refresh needs a full pass first");
        if (start < 0 || start + block.length > length) throw new IllegalArgumentException("block outside the sequence");
    }

    private void checkIds(int[] ids) {
        if (closed) throw new IllegalStateException("the passes were closed");
        int vocab = device.spec().vocab();
        for (int id : ids) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the drafter's vocabulary of " + vocab);
        }
    }

    private float[][] run(int[] ids, int start, int firstRow, int rows) {
        checkIds(ids);
        int vocab = device.spec().vocab();
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
