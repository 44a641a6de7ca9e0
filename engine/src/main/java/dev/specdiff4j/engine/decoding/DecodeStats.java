package dev.specdiff4j.engine.decoding;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a decoding run did and where its time went. For plain autoregressive decoding the speculative
 * fields are zero.
 *
 * @param rounds      speculative rounds (draft + one verification pass)
 * @param drafted     tokens proposed by the drafter
 * @param accepted    drafted tokens the target accepted
 * @param draftNanos  time in the drafter (on the critical path; overlapped drafting counts only the wait)
 * @param verifyNanos time in the target's verification passes
 * @param draftsAhead rounds whose draft was made early, during the previous verification (overlap)
 */
public record DecodeStats(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos, int rounds,
                          int drafted, int accepted, long draftNanos, long verifyNanos, int draftsAhead, FinishReason finishReason) {

    /** α = accepted / drafted (0 when nothing was drafted). */
    public double acceptanceRate() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }

    /** Mean tokens committed per round, accepted + 1 on average (the other common "acceptance" figure). */
    public double meanTokensPerRound() {
        return rounds == 0 ? 0 : (double) generatedTokens / rounds;
    }

    /** Generated tokens per second of decoding (prefill excluded). */
    public double tokensPerSecond() {
        return decodeNanos == 0 ? 0 : generatedTokens / (decodeNanos / 1e9);
    }

    public double promptTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens / (prefillNanos / 1e9);
    }

    /**
     * The figures as JSON-ready fields (snake_case names, times in milliseconds), the one form that the command line's
     * {@code --json} and the server's {@code specdiff4j} extension both print.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens_per_second", tokensPerSecond());
        m.put("prompt_tokens_per_second", promptTokensPerSecond());
        m.put("generated_tokens", generatedTokens);
        m.put("rounds", rounds);
        m.put("drafted", drafted);
        m.put("accepted", accepted);
        m.put("mean_accepted", rounds == 0 ? 0.0 : (double) accepted / rounds);
        m.put("mean_tokens_per_round", meanTokensPerRound());
        m.put("acceptance_rate", acceptanceRate());
        m.put("prefill_ms", prefillNanos / 1e6);
        m.put("decode_ms", decodeNanos / 1e6);
        m.put("draft_ms", draftNanos / 1e6);
        m.put("verify_ms", verifyNanos / 1e6);
        m.put("overhead_ms", overheadNanos() / 1e6);
        m.put("drafts_ahead", draftsAhead);
        m.put("finish_reason", finishReason.name().toLowerCase(Locale.ROOT));
        return m;
    }

    /** Time per round outside drafting and verification (acceptance, sampling, bookkeeping). */
    public long overheadNanos() {
        return Math.max(0, decodeNanos - draftNanos - verifyNanos);
    }
}
