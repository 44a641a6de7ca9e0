package dev.specdiff4j.engine.batch;

import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.Drafter;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.decoding.SpeculativeSettings;
import dev.specdiff4j.engine.decoding.TokenSink;

import java.util.function.BooleanSupplier;

/**
 * Decoding through a {@link BatchScheduler}: plain autoregressive decoding with the same contract and the same tokens as
 * {@link dev.specdiff4j.engine.decoding.AutoregressiveDecoder}, and speculative decoding with those of
 * {@link dev.specdiff4j.engine.decoding.SpeculativeDecoder}, with the passes shared with whatever else the scheduler runs.
 * The sink is called on the caller's thread; {@code cancelled} is asked there before each token as well as by the scheduler.
 */
public final class BatchedDecoder {
    private final BatchScheduler scheduler;

    public BatchedDecoder(BatchScheduler scheduler) {
        this.scheduler = scheduler;
    }

    public DecodeStats decode(int[] prompt, int maxTokens, SamplingConfig sampling, int eosId, TokenSink sink, BooleanSupplier cancelled) {
        return read(scheduler.submit(prompt, maxTokens, sampling, eosId, cancelled), prompt, sink, cancelled);
    }

    /** Speculative decoding in the batch ({@link BatchScheduler#submitSpeculative}). */
    public DecodeStats decode(int[] prompt, int maxTokens, SpeculativeSettings settings, Drafter drafter, int eosId, TokenSink sink,
                              BooleanSupplier cancelled) {
        return read(scheduler.submitSpeculative(prompt, maxTokens, settings, drafter, eosId, cancelled), prompt, sink, cancelled);
    }

    private static DecodeStats read(BatchSequence s, int[] prompt, TokenSink sink, BooleanSupplier cancelled) {
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
        boolean ended = s.finishReason() != null; // the counts are the scheduler's; read them only once it has let go
        return new DecodeStats(prompt.length, generated, s.prefillNanos(), s.decodeNanos(), ended ? s.rounds() : 0,
                ended ? s.drafted() : 0, ended ? s.accepted() : 0, ended ? s.draftNanos() : 0, ended ? s.verifyNanos() : 0, 0, reason);
    }
}
