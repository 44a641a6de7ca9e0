package dev.specdiff4j.server;

import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.decoding.DecodeStats;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.json.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.server.ServerConnector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code specdiff4j serve}: an OpenAI-compatible completions server (Javalin 7 on Jetty 12, a virtual
 * thread per request) around one shared {@link Generator}. POST /v1/completions (with server-sent-event
 * streaming), GET /v1/models, GET /health, GET /metrics.
 *
 * <p>It is built to stay up: admission control bounds running and waiting generations, the body size,
 * max_tokens and the run time are limited, slow or stalled clients are dropped by Jetty's idle timeout,
 * every malformed request gets a 400 that says what is wrong, and a client that goes away mid-stream
 * cancels its generation at once (which frees its KV cache).
 */
public final class CompletionServer implements AutoCloseable {
    private final Generator generator;
    private final ServerSettings settings;
    private final Admission admission;
    private final Metrics metrics = new Metrics();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("specdiff4j-request-timeout").unstarted(r));
    private final Javalin app;
    private final long started = System.currentTimeMillis() / 1000;

    private CompletionServer(Generator generator, ServerSettings settings) {
        this.generator = generator;
        this.settings = settings;
        this.admission = new Admission(settings.maxConcurrent(), settings.maxQueued(), settings.queueWait());
        this.app = Javalin.create(config -> {
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.startup.showJavalinBanner = false;
            config.jetty.modifyServer(server -> {
                for (var c : server.getConnectors()) {
                    if (c instanceof ServerConnector sc) sc.setIdleTimeout(10_000);
                }
            });
            config.routes.get("/health", this::health);
            config.routes.get("/v1/models", this::models);
            config.routes.get("/metrics", this::metricsPage);
            config.routes.post("/v1/completions", this::completions);
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            config.routes.exception(HttpResponseException.class, (e, ctx) ->
                    error(ctx, new ApiError(e.getStatus(), e.getStatus() == 413 ? "invalid_request_error" : "http_error", null, null,
                            e.getStatus() == 413 ? "the request body is larger than " + settings.maxBodyBytes() + " bytes" : e.getMessage())));
            config.routes.exception(Exception.class, (e, ctx) -> {
                metrics.failures.incrementAndGet();
                error(ctx, new ApiError(500, "server_error", null, null, "internal error: " + e));
            });
            config.routes.error(404, "*", ctx -> error(ctx, new ApiError(404, "invalid_request_error", null, null,
                    "no route " + ctx.method() + " " + ctx.path())));
        });
    }

    /** Starts a server; the generator stays the caller's to close. */
    public static CompletionServer start(Generator generator, ServerSettings settings) {
        CompletionServer server = new CompletionServer(generator, settings);
        server.app.start();
        return server;
    }

    public int port() {
        return app.port();
    }

    private void error(Context ctx, ApiError e) {
        if (e.status == 429 || e.status == 503) metrics.rejected.incrementAndGet();
        else if (e.status >= 400 && e.status < 500) metrics.badRequests.incrementAndGet();
        ctx.status(e.status).contentType("application/json").result(Json.write(e.body()));
    }

    private void health(Context ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("model", settings.modelName());
        m.put("running", admission.running(settings.maxConcurrent()));
        m.put("queued", admission.queued());
        ctx.contentType("application/json").result(Json.write(m));
    }

    private void models(Context ctx) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", settings.modelName());
        model.put("object", "model");
        model.put("created", started);
        model.put("owned_by", "specdiff4j");
        model.put("description", generator.describe());
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", List.of(model));
        ctx.contentType("application/json").result(Json.write(list));
    }

    private void metricsPage(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4").result(metrics.render(admission.queued(), admission.running(settings.maxConcurrent())));
    }

    private void completions(Context ctx) throws Exception {
        metrics.requests.incrementAndGet();
        CompletionRequest request = CompletionRequest.parse(readBody(ctx), settings);
        int[] prompt = request.promptTokens() != null ? request.promptTokens() : generator.tokenizer().encode(request.prompt());
        int vocab = generator.target().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) throw ApiError.invalid("prompt", "token id " + id + " is outside the vocabulary of " + vocab);
        }
        int context = generator.target().contextLength();
        if (prompt.length >= context) {
            throw new ApiError(400, "invalid_request_error", "prompt", "context_length_exceeded", "the prompt has " + prompt.length
                    + " tokens but the model's context holds " + context + " (and at least one new token must fit)");
        }
        try (AutoCloseable slot = admission.enter()) {
            Cancellation cancellation = new Cancellation();
            AtomicBoolean timedOut = new AtomicBoolean();
            ScheduledFuture<?> timeout = timer.schedule(() -> {
                timedOut.set(true);
                cancellation.cancel();
            }, settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                if (request.stream()) stream(ctx, request, prompt, cancellation, timedOut);
                else complete(ctx, request, prompt, cancellation, timedOut);
            } finally {
                timeout.cancel(false);
            }
        }
    }

    private byte[] readBody(Context ctx) throws IOException {
        long limit = settings.maxBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) throw new ApiError(413, "invalid_request_error", null, null, "the request body is larger than " + limit + " bytes");
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(256, Math.min(declared, 65536)));
        byte[] buffer = new byte[8192];
        try (InputStream in = ctx.req().getInputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + n > limit) {
                    throw new ApiError(413, "invalid_request_error", null, null, "the request body is larger than " + limit + " bytes");
                }
                out.write(buffer, 0, n);
            }
        }
        return out.toByteArray();
    }

    private void complete(Context ctx, CompletionRequest request, int[] prompt, Cancellation cancellation, AtomicBoolean timedOut) {
        GenerationResult r = generator.generate(prompt, request.config(), GenerationListener.NONE, cancellation);
        metrics.record(r.stats());
        if (r.finishReason() == FinishReason.CANCELLED) metrics.cancelled.incrementAndGet();
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", r.text());
        choice.put("index", 0);
        choice.put("logprobs", null);
        choice.put("finish_reason", finishReason(r.finishReason(), timedOut.get()));
        Map<String, Object> body = envelope();
        body.put("choices", List.of(choice));
        body.put("usage", usage(prompt.length, r.tokens().length));
        body.put("specdiff4j", stats(r.stats(), r.kernels()));
        ctx.contentType("application/json").result(Json.write(body));
    }

    private void stream(Context ctx, CompletionRequest request, int[] prompt, Cancellation cancellation, AtomicBoolean timedOut)
            throws IOException {
        ctx.status(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        AtomicBoolean gone = new AtomicBoolean();
        String id = "cmpl-" + UUID.randomUUID();
        GenerationListener listener = text -> {
            if (gone.get()) return;
            try {
                send(out, chunk(id, text, null));
            } catch (IOException e) {
                gone.set(true); // the client went away: stop generating, which frees the KV cache
                cancellation.cancel();
            }
        };
        GenerationResult r = generator.generate(prompt, request.config(), listener, cancellation);
        metrics.record(r.stats());
        if (gone.get() || r.finishReason() == FinishReason.CANCELLED) metrics.cancelled.incrementAndGet();
        if (gone.get()) return;
        try {
            Map<String, Object> last = chunk(id, "", finishReason(r.finishReason(), timedOut.get()));
            last.put("usage", usage(prompt.length, r.tokens().length));
            last.put("specdiff4j", stats(r.stats(), r.kernels()));
            send(out, last);
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the client left just before the end; nothing more to do
        }
    }

    private static void send(OutputStream out, Map<String, Object> event) throws IOException {
        out.write(("data: " + Json.write(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private Map<String, Object> chunk(String id, String text, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", text);
        choice.put("index", 0);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", "text_completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", settings.modelName());
        body.put("choices", List.of(choice));
        return body;
    }

    private Map<String, Object> envelope() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", "cmpl-" + UUID.randomUUID());
        body.put("object", "text_completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", settings.modelName());
        return body;
    }

    private static Map<String, Object> usage(int prompt, int completion) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    private static Map<String, Object> stats(DecodeStats s, String kernels) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens_per_second", s.tokensPerSecond());
        m.put("rounds", s.rounds());
        m.put("drafted", s.drafted());
        m.put("accepted", s.accepted());
        m.put("acceptance_rate", s.acceptanceRate());
        m.put("mean_tokens_per_round", s.meanTokensPerRound());
        m.put("kernels", kernels);
        return m;
    }

    private static String finishReason(FinishReason reason, boolean timedOut) {
        if (timedOut) return "timeout";
        return switch (reason) {
            case LENGTH, CONTEXT -> "length";
            case EOS, STOP -> "stop";
            case CANCELLED -> "cancelled";
        };
    }

    @Override
    public void close() {
        app.stop();
        timer.shutdownNow();
    }
}
