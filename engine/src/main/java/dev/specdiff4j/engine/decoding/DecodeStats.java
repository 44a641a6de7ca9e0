package dev.specdiff4j.engine.decoding;

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

    /** Time per round outside drafting and verification (acceptance, sampling, bookkeeping). */
    public long overheadNanos() {
        return Math.max(0, decodeNanos - draftNanos - verifyNanos);
    }
}
