package dev.specdiff4j.engine.decoding;

import dev.specdiff4j.engine.model.CausalLanguageModel;

import java.util.function.BooleanSupplier;

/** Plain autoregressive decoding: one target pass per token. The baseline every speedup is measured against. */
public final class AutoregressiveDecoder {
    private final CausalLanguageModel model;

    public AutoregressiveDecoder(CausalLanguageModel model) {
        this.model = model;
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, handing each to {@code sink} as it is
     * chosen; stops at {@code eosId} (not passed on), when the context is full, when the sink declines,
     * or when {@code cancelled} says so.
     */
    public DecodeStats decode(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, TokenSink sink,
                              BooleanSupplier cancelled) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        Sampler sampler = new Sampler(sampling);
        try (CausalLanguageModel.Session session = model.newSession()) {
            long start = System.nanoTime();
            float[] logits = session.forwardLast(prompt);
            long prefill = System.nanoTime() - start;
            long decodeStart = System.nanoTime();
            int generated = 0;
            FinishReason reason = FinishReason.LENGTH;
            while (generated < maxTokens) {
                if (cancelled.getAsBoolean()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                int next = sampler.next(logits, model.vocabSize());
                if (next == eosId) {
                    reason = FinishReason.EOS;
                    break;
                }
                generated++;
                if (!sink.accept(new int[] {next})) {
                    reason = FinishReason.STOP;
                    break;
                }
                if (generated == maxTokens) break;
                if (session.length() >= session.contextLength()) {
                    reason = FinishReason.CONTEXT;
                    break;
                }
                logits = session.forwardLast(new int[] {next});
            }
            return new DecodeStats(prompt.length, generated, prefill, System.nanoTime() - decodeStart, 0, 0, 0, 0, 0, 0, reason);
        }
    }
}
