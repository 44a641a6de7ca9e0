package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Mode;

import java.time.Duration;

/**
 * The server's limits and defaults.
 *
 * @param host              where to listen (loopback unless asked otherwise)
 * @param port              0 picks a free port
 * @param maxConcurrent     generations running at once
 * @param maxQueued         requests waiting for a slot; beyond that, 429
 * @param queueWait         how long a queued request may wait for a slot before a 503
 * @param maxBodyBytes      request body limit
 * @param maxTokensLimit    the largest max_tokens accepted
 * @param requestTimeout    a generation running longer is stopped (finish_reason "timeout")
 * @param defaultMode       speculative mode when a request does not choose one
 * @param defaultGamma      draft length when a request does not choose one
 * @param maxGamma          the largest draft length a request may ask for
 * @param defaultSteps      denoising steps when a request does not choose
 * @param maxSteps          the largest number of steps a request may ask for
 * @param modelName         the id /v1/models reports
 */
public record ServerSettings(String host, int port, int maxConcurrent, int maxQueued, Duration queueWait, long maxBodyBytes,
                             int maxTokensLimit, Duration requestTimeout, Mode defaultMode, int defaultGamma, int maxGamma,
                             int defaultSteps, int maxSteps, String modelName) {
    public ServerSettings {
        if (maxConcurrent < 1) throw new IllegalArgumentException("max concurrent generations must be at least 1");
        if (maxQueued < 0) throw new IllegalArgumentException("the queue length cannot be negative");
        if (maxTokensLimit < 1) throw new IllegalArgumentException("the max_tokens limit must be at least 1");
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("the body limit must be at least 1 KiB");
    }

    public static ServerSettings defaults(String modelName) {
        return new ServerSettings("127.0.0.1", 8080, 2, 32, Duration.ofSeconds(30), 1 << 20, 1024, Duration.ofSeconds(120),
                Mode.SPECDIFF, 8, 32, 2, 16, modelName);
    }

    public ServerSettings withAddress(String h, int p) {
        return new ServerSettings(h, p, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName);
    }

    public ServerSettings withCapacity(int concurrent, int queued, Duration wait) {
        return new ServerSettings(host, port, concurrent, queued, wait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName);
    }

    public ServerSettings withLimits(long bodyBytes, int tokens, Duration timeout) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, bodyBytes, tokens, timeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName);
    }

    public ServerSettings withDefaults(Mode mode, int gamma, int steps) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                mode, gamma, maxGamma, steps, maxSteps, modelName);
    }
}
