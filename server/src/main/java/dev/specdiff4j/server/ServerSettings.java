package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Mode;

import java.time.Duration;
import java.util.Set;

/**
 * The server's limits and defaults. Every setting is checked here, so that a bad {@code serve} option is
 * refused at start-up instead of turning every request into an error.
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
 * @param modelName         the id /v1/models reports (the CLI's --alias)
 * @param connections       how long and how slowly a client may hold a connection, and how many it may hold
 * @param access            who may call the API
 * @param shutdownGrace     how long a shutdown waits for running requests before it stops them
 */
public record ServerSettings(String host, int port, int maxConcurrent, int maxQueued, Duration queueWait, long maxBodyBytes,
                             int maxTokensLimit, Duration requestTimeout, Mode defaultMode, int defaultGamma, int maxGamma,
                             int defaultSteps, int maxSteps, String modelName, Connections connections, Access access,
                             Duration shutdownGrace) {
    /** The engine's own bounds on a draft length and a number of denoising steps. */
    static final int ENGINE_MAX_GAMMA = 256;
    static final int ENGINE_MAX_STEPS = 1024;

    /**
     * @param idleTimeout           a connection with no traffic for this long is closed
     * @param requestHeaderDeadline a connection whose first request headers are not complete by then is closed
     * @param minRequestBytesPerSecond a request body arriving slower than this is refused
     * @param maxConnections        connections held at once; beyond that the server stops accepting until one closes
     */
    public record Connections(Duration idleTimeout, Duration requestHeaderDeadline, long minRequestBytesPerSecond, int maxConnections) {
        public Connections {
            positive(idleTimeout, "the idle timeout");
            positive(requestHeaderDeadline, "the request header deadline");
            if (minRequestBytesPerSecond < 0) throw new IllegalArgumentException("the minimum request data rate cannot be negative");
            if (maxConnections < 1) throw new IllegalArgumentException("the connection limit must be at least 1, got " + maxConnections);
        }

        public static Connections defaults() {
            return new Connections(Duration.ofSeconds(10), Duration.ofSeconds(10), 1024, 256);
        }
    }

    /**
     * @param apiKey       when not null, /v1/*, /tokenize and /detokenize require "Authorization: Bearer apiKey"
     * @param allowedHosts Host header names accepted besides the bound address and the loopback names
     * @param corsOrigins  origins (such as "https://app.example.org", or "*" for any) whose web pages may call the API
     *                     from a browser; empty (the default): no CORS headers, so browsers keep other sites' pages out
     */
    public record Access(String apiKey, Set<String> allowedHosts, Set<String> corsOrigins) {
        public Access {
            if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key must not be empty");
            allowedHosts = allowedHosts == null ? Set.of() : Set.copyOf(allowedHosts);
            corsOrigins = corsOrigins == null ? Set.of() : Set.copyOf(corsOrigins);
            for (String origin : corsOrigins) {
                if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
                    throw new IllegalArgumentException("a CORS origin is '*' or a scheme and host such as https://app.example.org, not '" + origin + "'");
                }
            }
        }

        /** No CORS: what the server did before CORS could be configured. */
        public Access(String apiKey, Set<String> allowedHosts) {
            this(apiKey, allowedHosts, Set.of());
        }

        public static Access open() {
            return new Access(null, Set.of());
        }
    }

    public ServerSettings {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("the host to bind must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("the port must be between 0 and 65535, got " + port);
        if (maxConcurrent < 1) throw new IllegalArgumentException("max concurrent generations must be at least 1");
        if (maxQueued < 0) throw new IllegalArgumentException("the queue length cannot be negative");
        if (queueWait.isNegative()) throw new IllegalArgumentException("the queue wait cannot be negative, got " + queueWait.toSeconds() + " s");
        if (maxTokensLimit < 1) throw new IllegalArgumentException("the max_tokens limit must be at least 1");
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("the body limit must be at least 1 KiB");
        positive(requestTimeout, "the generation timeout");
        if (maxGamma < 1 || maxGamma > ENGINE_MAX_GAMMA) {
            throw new IllegalArgumentException("the largest gamma must be between 1 and " + ENGINE_MAX_GAMMA + ", got " + maxGamma);
        }
        if (defaultGamma < 1 || defaultGamma > maxGamma) {
            throw new IllegalArgumentException("the default gamma must be between 1 and " + maxGamma + " (the largest a request may ask for), got "
                    + defaultGamma);
        }
        if (maxSteps < 1 || maxSteps > ENGINE_MAX_STEPS) {
            throw new IllegalArgumentException("the largest number of steps must be between 1 and " + ENGINE_MAX_STEPS + ", got " + maxSteps);
        }
        if (defaultSteps < 1 || defaultSteps > maxSteps) {
            throw new IllegalArgumentException("the default steps must be between 1 and " + maxSteps + " (the most a request may ask for), got "
                    + defaultSteps);
        }
        if (connections == null) connections = Connections.defaults();
        if (access == null) access = Access.open();
        if (shutdownGrace.isNegative()) throw new IllegalArgumentException("the shutdown grace period cannot be negative");
    }

    private static void positive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) throw new IllegalArgumentException(what + " must be positive");
    }

    public static ServerSettings defaults(String modelName) {
        return new ServerSettings("127.0.0.1", 8080, 2, 32, Duration.ofSeconds(30), 1 << 20, 1024, Duration.ofSeconds(120),
                Mode.SPECDIFF, 8, 32, 2, 16, modelName, Connections.defaults(), Access.open(), Duration.ofSeconds(10));
    }

    public ServerSettings withAddress(String h, int p) {
        return new ServerSettings(h, p, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, connections, access, shutdownGrace);
    }

    public ServerSettings withCapacity(int concurrent, int queued, Duration wait) {
        return new ServerSettings(host, port, concurrent, queued, wait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, connections, access, shutdownGrace);
    }

    public ServerSettings withLimits(long bodyBytes, int tokens, Duration timeout) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, bodyBytes, tokens, timeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, connections, access, shutdownGrace);
    }

    public ServerSettings withDefaults(Mode mode, int gamma, int steps) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                mode, gamma, maxGamma, steps, maxSteps, modelName, connections, access, shutdownGrace);
    }

    public ServerSettings withConnections(Connections c) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, c, access, shutdownGrace);
    }

    public ServerSettings withAccess(Access a) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, connections, a, shutdownGrace);
    }

    /** The model id the API reports (OpenAI's "model"; llama-server's --alias). */
    public ServerSettings withModelName(String name) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("the model name (--alias) must not be empty");
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, name, connections, access, shutdownGrace);
    }

    public ServerSettings withShutdownGrace(Duration grace) {
        return new ServerSettings(host, port, maxConcurrent, maxQueued, queueWait, maxBodyBytes, maxTokensLimit, requestTimeout,
                defaultMode, defaultGamma, maxGamma, defaultSteps, maxSteps, modelName, connections, access, grace);
    }
}
