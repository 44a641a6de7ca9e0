package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.CausalSession;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.Arrays;

/**
 * A core decoder of any family (see {@link TransformerSpec#unsupported}) whose forward passes run on a TornadoVM device
 * ({@link DeviceTransformer}). Sessions share the device weights and each hold one slot of the device key/value cache; a
 * forward longer than the device batch is split into chunks, and truncating only moves the session's length back
 * (positions past it are rewritten before they are read again). The context is the model's, capped at
 * {@code maxContext} positions: each session slot holds {@code layers × 2 × context × kvDim} floats on the device.
 */
final class TornadoCausalModel implements CausalLanguageModel {
    private final dev.specdiff4j.engine.model.transformer.TransformerSpec spec;
    private final String weightType;
    private final DeviceTransformer device;
    private final String deviceName;
    private final int context;

    TornadoCausalModel(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights weights, TornadoDevice device,
                       String deviceName, int maxRows, int maxLogitRows, int slots, int maxContext) {
        this.spec = spec;
        this.weightType = weights.tokenEmbedding().dtype().displayName();
        this.deviceName = deviceName;
        this.context = Math.min(spec.contextLength(), maxContext);
        this.device = new DeviceTransformer(TransformerSpec.of(spec, weights, context), device, maxRows, maxLogitRows, context, slots);
    }

    @Override
    public int vocabSize() {
        return spec.vocabSize();
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public String describe() {
        return String.format("%s %d layers x %d (%.1f M parameters, %s weights, context %d)", spec.family(), spec.layers(), spec.dim(),
                spec.parameters() / 1e6, weightType, context) + " on " + deviceName + " (TornadoVM, " + device.slots() + " session slots, "
                + device.maxRows() + "-token passes)";
    }

    @Override
    public Session newSession() {
        int slot = device.takeSlot();
        if (slot < 0) {
            throw new IllegalStateException("all " + device.slots() + " device sessions of " + deviceName
                    + " are in use; allow more with -Dspecdiff4j.tornado.sessions=N");
        }
        return new DeviceSession(slot);
    }

    @Override
    public void close() {
        device.close();
    }

    private final class DeviceSession extends CausalSession {
        private final int slot;

        DeviceSession(int slot) {
            super(context, spec.vocabSize());
            this.slot = slot;
        }

        @Override
        protected float[][] compute(int[] tokens, int logitRows, int start) {
            synchronized (device) { // chunks and head-only passes of one forward must not interleave with another session's
                return run(tokens, logitRows, start);
            }
        }

        private float[][] run(int[] tokens, int logitRows, int length) {
            int k = tokens.length;
            int vocab = spec.vocabSize();
            float[][] rows = new float[logitRows][];
            int firstLogit = k - logitRows;
            for (int from = 0; from < k; from += device.maxRows()) {
                int to = Math.min(k, from + device.maxRows());
                int[] chunk = Arrays.copyOfRange(tokens, from, to);
                int want = Math.max(firstLogit, from);
                boolean bodyDone = false;
                do {
                    int count = Math.min(Math.max(0, to - want), device.maxLogitRows());
                    float[] logits = device.pass(bodyDone ? new int[0] : chunk, length + from, 0, slot, want - from, count);
                    for (int r = 0; r < count; r++) rows[want - firstLogit + r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                    want += count;
                    bodyDone = true;
                } while (want < to);
            }
            return rows;
        }

        @Override
        protected void release() {
            device.releaseSlot(slot);
        }
    }
}
