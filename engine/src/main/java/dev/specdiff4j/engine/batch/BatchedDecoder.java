package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.TokenSink;

import java.util.function.BooleanSupplier;

/**
 * Plain autoregressive decoding through a {@link BatchScheduler}: the same contract and the same tokens as
 * {@link dev.specdiff4j.engine.decoding.AutoregressiveDecoder}, with the passes shared with whatever else the scheduler runs.
 * The sink is called on the caller's thread; {@code cancelled} is asked there before each token as well as by the scheduler.
 */
public final class BatchedDecoder {
    private final BatchScheduler scheduler;

    public BatchedDecoder(BatchScheduler scheduler) {
        this.scheduler = scheduler;
    }

    public DecodeStats decode(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, TokenSink sink, BooleanSupplier cancelled) {
        BatchSequence s = scheduler.submit(prompt, maxTokens, sampling, eosId, cancelled);
        int generated = 0;
        FinishReason reason = null;
        try {
            int token;
            while ((token = s.next()) >= 0) {
                if (cancelled.getAsBoolean()) { // the scheduler may have run ahead of this reader: stop at the next token all the same
                    reason = FinishReason.CANCELLED;
                    break;
                }
                generated++;
                if (!sink.accept(new int[] {token})) {
                    reason = FinishReason.STOP;
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = FinishReason.CANCELLED;
        } finally {
            s.abandon();
        }
        if (reason == null) reason = s.finishReason();
        return new DecodeStats(prompt.length, generated, s.prefillNanos(), s.decodeNanos(), 0, 0, 0, 0, 0, 0, reason);
    }
}
