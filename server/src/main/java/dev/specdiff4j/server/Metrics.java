package dev.specdiff4j.server;

import dev.specdiff4j.engine.batch.BatchStats;
import dev.specdiff4j.engine.decoding.DecodeStats;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/** Counters exposed on GET /metrics in the Prometheus text format. */
final class Metrics {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong badRequests = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong clientAborts = new AtomicLong();
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
    final AtomicLong drafted = new AtomicLong();
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong rounds = new AtomicLong();
    final DoubleAdder decodeSeconds = new DoubleAdder();

    void record(DecodeStats s) {
        completed.incrementAndGet();
        promptTokens.addAndGet(s.promptTokens());
        generatedTokens.addAndGet(s.generatedTokens());
        drafted.addAndGet(s.drafted());
        accepted.addAndGet(s.accepted());
        rounds.addAndGet(s.rounds());
        decodeSeconds.add(s.decodeNanos() / 1e9);
    }

    /** @param batch the batch scheduler's state, or null while the models load */
    String render(int queued, int running, BatchStats batch) {
        StringBuilder b = new StringBuilder();
        counter(b, "specdiff4j_requests_total", "Completion requests received.", requests.get());
        counter(b, "specdiff4j_requests_completed_total", "Completion requests answered with a generation.", completed.get());
        counter(b, "specdiff4j_requests_rejected_total", "Requests refused by admission control (429/503).", rejected.get());
        counter(b, "specdiff4j_requests_invalid_total", "Requests answered with a 4xx validation error.", badRequests.get());
        counter(b, "specdiff4j_requests_failed_total", "Requests that failed with a server error (client aborts not included).", failures.get());
        counter(b, "specdiff4j_requests_client_aborted_total", "Requests whose client went away before the answer was complete.",
                clientAborts.get());
        counter(b, "specdiff4j_requests_cancelled_total", "Generations stopped early by a client disconnect, a timeout or a shutdown.",
                cancelled.get());
        counter(b, "specdiff4j_prompt_tokens_total", "Prompt tokens processed.", promptTokens.get());
        counter(b, "specdiff4j_generated_tokens_total", "Tokens generated.", generatedTokens.get());
        counter(b, "specdiff4j_drafted_tokens_total", "Tokens proposed by drafters.", drafted.get());
        counter(b, "specdiff4j_accepted_tokens_total", "Drafted tokens accepted by the target.", accepted.get());
        counter(b, "specdiff4j_speculative_rounds_total", "Speculative rounds.", rounds.get());
        gauge(b, "specdiff4j_tokens_per_second", "Generated tokens per second of decoding, over all requests.",
                decodeSeconds.sum() == 0 ? 0 : generatedTokens.get() / decodeSeconds.sum());
        gauge(b, "specdiff4j_acceptance_rate", "Accepted / drafted tokens, over all requests.",
                drafted.get() == 0 ? 0 : (double) accepted.get() / drafted.get());
        gauge(b, "specdiff4j_queue_depth", "Requests waiting for a generation slot.", queued);
        gauge(b, "specdiff4j_running_generations", "Generations running now.", running);
        if (batch != null) {
            gauge(b, "specdiff4j_batch_running_sequences", "Plain (ar) generations in the continuous batch now.", batch.running());
            gauge(b, "specdiff4j_batch_queued_sequences", "Plain generations admitted by the server but waiting for batch room or KV memory.",
                    batch.queued());
            gauge(b, "specdiff4j_batch_size", "Sequences in the last batched pass.", batch.lastBatchSize());
            gauge(b, "specdiff4j_batch_rows", "Token rows in the last batched pass (decode tokens and prompt chunks).", batch.lastBatchRows());
            gauge(b, "specdiff4j_kv_cache_used_bytes", "KV-cache memory reserved by the batch's sequences.", batch.kvUsedBytes());
            gauge(b, "specdiff4j_kv_cache_budget_bytes", "KV-cache memory the batch may reserve.", batch.kvBudgetBytes());
            gauge(b, "specdiff4j_kv_cache_page_bytes", "Bytes of a KV page.", batch.kvPageBytes());
            gauge(b, "specdiff4j_kv_cache_pages_used", "KV pages held.", batch.kvPagesUsed());
            gauge(b, "specdiff4j_kv_cache_pages_free", "KV pages left in the budget.", batch.kvPagesFree());
            gauge(b, "specdiff4j_kv_cache_pages_allocated", "KV pages allocated.", batch.kvPagesAllocated());
            counter(b, "specdiff4j_batch_steps_total", "Batched passes run.", batch.steps());
            gauge(b, "specdiff4j_batch_tokens_per_second", "Tokens generated per second of batch work, all sequences together.",
                    batch.tokensPerSecond());
        }
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        b.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, double value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(String.format(Locale.ROOT, "%.6g", value)).append('\n');
    }
}
