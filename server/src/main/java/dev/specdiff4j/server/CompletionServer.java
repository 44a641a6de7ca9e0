package dev.specdiff4j.server;

import dev.specdiff4j.chat.ChatPrompts;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.chat.ChatTemplateException;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.batch.KvBudgetException;
import dev.specdiff4j.engine.api.GeneratorClosedException;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.decoding.FinishReason;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.Tokenizer;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code specdiff4j serve}: an OpenAI-compatible completions server (Javalin 7 on Jetty 12, a virtual
 * thread per request) around one shared {@link Generator}. POST /v1/completions and POST /v1/chat/completions
 * (with server-sent-event streaming and log-probabilities; chat through the model's chat template), POST
 * /tokenize and /detokenize (llama-server's shapes), GET /v1/models and /v1/models/{id}, GET /health
 * (= /health/live), GET /health/ready, GET /metrics.
 *
 * <p>It is built to stay up: admission control bounds running and waiting generations, the body size,
 * max_tokens and the run time are limited, slow or stalled clients are dropped by Jetty's idle timeout,
 * every malformed request gets a 400 that says what is wrong, and a client that goes away mid-stream
 * cancels its generation at once (which frees its KV cache).
 *
 * <p>It keeps no state between requests (no sessions, no cache shared across requests), so replicas behind a
 * load balancer need no affinity. Liveness ({@code /health/live}) answers as soon as the port is open;
 * readiness ({@code /health/ready}) only once the models are loaded and until a drain begins.
 */
public final class CompletionServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionServer.class);
    private static final java.util.Set<String> POST_ROUTES = java.util.Set.of("/v1/completions", "/v1/chat/completions", "/tokenize",
            "/detokenize");
    /** Request attribute: the error answer is written, so the 404 page must not replace it. */
    private static final String ANSWERED = "specdiff4j.answered";
    /** How long stopped generations get to send their last words before the connector closes. */
    private static final Duration STOPPED_GENERATIONS_WAIT = Duration.ofSeconds(5);
    /** What a 503 or 429 tells a client (or a load balancer) to wait before it retries, in seconds. */
    static final String RETRY_AFTER_SECONDS = "1";

    /** Null until the models are loaded. */
    private volatile Generator generator;
    /** Completes with the generator once loaded, or with the reason it could not be. */
    private final CompletableFuture<Generator> loaded = new CompletableFuture<>();
    /** Whether the server loaded the generator itself, and so closes it. */
    private volatile boolean ownsGenerator;
    private final ServerSettings settings;
    /** Null when the model has no usable chat template; set with the generator, before it. */
    private volatile ChatTemplate chatTemplate;
    /** Why chat is unavailable when there is no template: one sentence for the 400. */
    private volatile String noChatReason;
    private final Admission admission;
    private final Metrics metrics = new Metrics();
    private final InFlight inFlight = new InFlight();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("specdiff4j-request-timer").unstarted(r));
    private final Javalin app;
    private final long started = System.currentTimeMillis() / 1000;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private CompletionServer(ServerSettings settings) {
        this.settings = settings;
        this.admission = new Admission(settings.maxConcurrent(), settings.maxQueued(), settings.queueWait());
        RequestGuard guard = new RequestGuard(settings);
        this.app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.http.prefer405over404 = true;
            config.startup.showJavalinBanner = false;
            ConnectionPolicy.apply(config, settings);
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.routes.before(guard::check);
            config.routes.get("/health", this::health);
            config.routes.get("/health/live", this::health);
            config.routes.get("/health/ready", this::readiness);
            config.routes.get("/v1/models", this::models);
            config.routes.get("/v1/models/<id>", this::model);
            config.routes.get("/metrics", this::metricsPage);
            config.routes.post("/v1/completions", this::completions);
            config.routes.post("/v1/chat/completions", this::chatCompletions);
            config.routes.post("/tokenize", this::tokenize);
            config.routes.post("/detokenize", this::detokenize);
            if (!settings.access().corsOrigins().isEmpty()) config.routes.options("/*", ctx -> { }); // answered by the guard
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e));
            config.routes.exception(HttpResponseException.class, (e, ctx) ->
                    error(ctx, new ApiError(e.getStatus(), e.getStatus() == 413 ? "invalid_request_error" : "http_error", null, null,
                            e.getStatus() == 413 ? "the request body is larger than " + settings.maxBodyBytes() + " bytes" : e.getMessage())));
            config.routes.exception(Exception.class, this::unexpected);
            config.routes.error(404, "*", ctx -> {
                if (ctx.attribute(ANSWERED) == null) error(ctx, new ApiError(404, "invalid_request_error", null, null, "no route " + ctx.method() + " " + ctx.path()));
            });
            config.routes.error(405, "*", ctx -> {
                ctx.header("Allow", POST_ROUTES.contains(ctx.path()) ? "POST" : "GET");
                error(ctx, new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                        ctx.method() + " is not allowed on " + ctx.path() + "; use " + ctx.res().getHeader("Allow")));
            });
        });
    }

    /**
     * Starts a server; the generator stays the caller's to close.
     *
     * @throws IllegalArgumentException when the settings do not suit the models or the address cannot be bound,
     *                                  with one sentence that says which
     */
    public static CompletionServer start(Generator generator, ServerSettings settings) {
        Chat chat = Chat.of(generator, settings);
        return start(generator, settings, chat.template(), chat.noChatReason());
    }

    /**
     * Starts a server that renders chat with the given template (null: /v1/chat/completions answers 400 with
     * {@code noChatReason}); the generator stays the caller's to close.
     */
    public static CompletionServer start(Generator generator, ServerSettings settings, ChatTemplate chatTemplate, String noChatReason) {
        checkAgainstModels(generator, settings);
        CompletionServer server = listen(settings);
        server.chatTemplate = chatTemplate;
        server.noChatReason = noChatReason != null ? noChatReason
                : "the model '" + settings.modelName() + "' has no chat template; use /v1/completions with a prompt";
        server.generator = generator;
        server.loaded.complete(generator);
        return server;
    }

    /** The chat template of the models, or why chat is unavailable. */
    private record Chat(ChatTemplate template, String noChatReason) {
        static Chat of(Generator generator, ServerSettings settings) {
            try {
                return new Chat(ChatPrompts.template(generator).orElse(null), "the model '" + settings.modelName()
                        + "' has no chat template (no tokenizer.chat_template in its GGUF file, no chat_template in its tokenizer_config.json); "
                        + "use /v1/completions with a prompt");
            } catch (IOException | ChatTemplateException e) {
                String reason = "the model's chat template cannot be used: " + e.getMessage();
                LOG.warn("chat is unavailable: {}", reason);
                return new Chat(null, reason);
            }
        }
    }

    /**
     * Starts listening at once and loads the models in the background, so that a replica is alive (and says it is
     * not ready yet) while a large model loads: /health/live answers 200, /health/ready and the API 503 with
     * Retry-After until then. The server closes the generator it loaded. {@link #awaitLoaded()} says when it is
     * ready or why it cannot be.
     *
     * @throws IllegalArgumentException when the address cannot be bound, with one sentence that says why
     */
    public static CompletionServer startLoading(ServerSettings settings, Callable<Generator> loader) {
        CompletionServer server = listen(settings);
        Thread.ofPlatform().daemon().name("specdiff4j-model-loader").start(() -> {
            Generator g = null;
            try {
                g = loader.call();
                checkAgainstModels(g, settings);
                Chat chat = Chat.of(g, settings);
                synchronized (server.loaded) {
                    if (server.stopped.get()) throw new IllegalStateException("the server was closed while the models loaded");
                    server.ownsGenerator = true;
                    server.chatTemplate = chat.template();
                    server.noChatReason = chat.noChatReason();
                    server.generator = g; // last: a handler that sees it sees the chat template too
                }
                server.loaded.complete(g);
            } catch (Throwable e) {
                if (g != null) g.close();
                server.loaded.completeExceptionally(e);
            }
        });
        return server;
    }

    /**
     * Waits until the models are loaded.
     *
     * @throws Exception what loading them threw (a settings check against the models is an IllegalArgumentException)
     */
    public Generator awaitLoaded() throws Exception {
        try {
            return loaded.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) throw cause;
            if (e.getCause() instanceof Error error) throw error;
            throw e;
        }
    }

    private static CompletionServer listen(ServerSettings settings) {
        InetAddress address = resolve(settings.host());
        CompletionServer server = new CompletionServer(settings);
        try {
            server.app.start();
        } catch (RuntimeException e) {
            server.timer.shutdownNow();
            throw new IllegalArgumentException("cannot listen on " + address.getHostAddress() + " port " + settings.port() + ": "
                    + bindProblem(e), e);
        }
        return server;
    }

    /** The loaded generator, or a 503 while the models are still loading. */
    private Generator generator() {
        Generator g = generator;
        if (g == null) throw new ApiError(503, "server_busy", null, "loading", "the server is still loading its models; retry shortly");
        return g;
    }

    private static void checkAgainstModels(Generator generator, ServerSettings settings) {
        if (settings.defaultMode() == Mode.SPECDIFF && !generator.hasDiffusionDrafter()) {
            throw new IllegalArgumentException("the default mode specdiff needs a diffusion drafter, and none is loaded");
        }
        if (settings.defaultMode() == Mode.SD && !generator.hasArDrafter()) {
            throw new IllegalArgumentException("the default mode sd needs an autoregressive drafter, and none is loaded");
        }
        int context = generator.contextLength();
        if (settings.maxGamma() >= context) {
            throw new IllegalArgumentException("the largest gamma (" + settings.maxGamma() + ") must be smaller than the context of "
                    + context + " tokens");
        }
    }

    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the host '" + host + "' cannot be resolved to an address to listen on");
        }
    }

    private static String bindProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException && t.getMessage() != null) return t.getMessage().toLowerCase(Locale.ROOT);
        }
        return "the address cannot be bound";
    }

    public int port() {
        return app.port();
    }

    private void error(Context ctx, ApiError e) {
        ctx.attribute(ANSWERED, Boolean.TRUE); // a 404 of our own (an unknown model) is not a missing route
        if (e.status == 429 || e.status == 503) {
            metrics.rejected.incrementAndGet();
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
        } else if (e.status >= 400 && e.status < 500) {
            metrics.badRequests.incrementAndGet();
        }
        ctx.status(e.status).contentType("application/json").result(Json.write(e.body()));
    }

    private void unexpected(Exception e, Context ctx) {
        if (e instanceof GeneratorClosedException) {
            // the embedding application closed the generator under a running request
            error(ctx, shutDownMidway());
            return;
        }
        if (e instanceof KvBudgetException kv) {
            // the request's KV cache exceeds the batch scheduler's whole memory budget: it could never run
            error(ctx, new ApiError(400, "invalid_request_error", "max_tokens", "kv_budget_exceeded", kv.getMessage()));
            return;
        }
        if (e instanceof IOException) {
            // the client went away or stalled while its request was read or its answer written
            metrics.clientAborts.incrementAndGet();
            LOG.debug("client connection lost on {} {}", ctx.method(), ctx.path(), e);
            ctx.status(400).contentType("application/json").result(Json.write(
                    new ApiError(400, "invalid_request_error", null, null, "the request could not be read to its end").body()));
            return;
        }
        metrics.failures.incrementAndGet();
        LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
        ctx.status(500).contentType("application/json").result(Json.write(
                new ApiError(500, "server_error", null, null, "the server failed to process the request; see its log").body()));
    }

    /** Liveness: the process answers; always 200, whatever it is doing. */
    private void health(Context ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("ready", readiness().equals("ready"));
        m.put("model", settings.modelName());
        m.put("running", admission.running(settings.maxConcurrent()));
        m.put("queued", admission.queued());
        ctx.contentType("application/json").result(Json.write(m));
    }

    /** Readiness: whether a load balancer should send requests here (200) or elsewhere (503 with Retry-After). */
    private void readiness(Context ctx) {
        String state = readiness();
        if (!state.equals("ready")) ctx.status(503).header("Retry-After", RETRY_AFTER_SECONDS);
        ctx.contentType("application/json").result(Json.write(Map.of("status", state)));
    }

    /** "ready", "loading", "draining" or "failed" (the models could not be loaded). */
    private String readiness() {
        if (inFlight.draining()) return "draining";
        if (generator != null) return "ready";
        return loaded.isCompletedExceptionally() ? "failed" : "loading";
    }

    private Map<String, Object> modelObject() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", settings.modelName());
        model.put("object", "model");
        model.put("created", started);
        model.put("owned_by", "specdiff4j");
        model.put("description", generator().describe());
        return model;
    }

    private void models(Context ctx) {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", List.of(modelObject()));
        ctx.contentType("application/json").result(Json.write(list));
    }

    private void model(Context ctx) {
        String id = ctx.pathParam("id");
        if (!id.equals(settings.modelName())) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "the model '" + id + "' does not exist; this server has '"
                    + settings.modelName() + "'");
        }
        ctx.contentType("application/json").result(Json.write(modelObject()));
    }

    /**
     * POST /tokenize, as llama-server: {"content": text, "add_special": false, "with_pieces": false, "parse_special": true}
     * → {"tokens": [...]}; add_special adds the BOS / EOS the tokenizer's files ask for, as a prompt gets them.
     */
    private void tokenize(Context ctx) throws IOException {
        Generator generator = generator();
        Map<String, Object> json = CompletionRequest.parseJson(readBody(ctx));
        if (!(json.get("content") instanceof String content)) throw ApiError.invalid("content", "'content' must be a string");
        boolean addSpecial = CompletionRequest.bool(json, "add_special", false);
        boolean pieces = CompletionRequest.bool(json, "with_pieces", false);
        boolean special = CompletionRequest.bool(json, "parse_special", true);
        Tokenizer tokenizer = generator.tokenizer();
        Tokenizer.SpecialTokens specials = special ? Tokenizer.SpecialTokens.AS_IDS : Tokenizer.SpecialTokens.AS_TEXT;
        int[] ids = addSpecial ? tokenizer.encodeForModel(content, specials) : tokenizer.encode(content, specials);
        List<Object> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (!pieces) {
                tokens.add(id);
                continue;
            }
            Map<String, Object> piece = new LinkedHashMap<>();
            piece.put("id", id);
            String text = utf8(tokenizer.tokenBytes(id));
            piece.put("piece", text != null ? text : TokenLogprobs.bytes(tokenizer, id));
            tokens.add(piece);
        }
        ctx.contentType("application/json").result(Json.write(Map.of("tokens", tokens)));
    }

    /** The bytes as text, or null when they are not whole UTF-8 characters. */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /** POST /detokenize, as llama-server: {"tokens": [...]} → {"content": text}. */
    private void detokenize(Context ctx) throws IOException {
        Generator generator = generator();
        Map<String, Object> json = CompletionRequest.parseJson(readBody(ctx));
        if (!(json.get("tokens") instanceof List<?> list)) throw ApiError.invalid("tokens", "'tokens' must be an array of token ids");
        int vocab = generator.tokenizer().vocabSize();
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!(list.get(i) instanceof Long id) || id < 0 || id >= vocab) {
                throw ApiError.invalid("tokens", "'tokens' holds " + list.get(i) + ", which is not a token id of this model's vocabulary of " + vocab);
            }
            ids[i] = (int) (long) id;
        }
        ctx.contentType("application/json").result(Json.write(Map.of("content", generator.tokenizer().decode(ids))));
    }

    private void metricsPage(Context ctx) {
        Generator g = generator;
        ctx.contentType("text/plain; version=0.0.4").result(metrics.render(admission.queued(), admission.running(settings.maxConcurrent()),
                g == null ? null : g.batchStats()));
    }

    private void completions(Context ctx) throws Exception {
        metrics.requests.incrementAndGet();
        Generator generator = generator();
        RunningGeneration generation = begin(ctx);
        CompletionRequest request = CompletionRequest.parse(readBody(ctx), settings);
        // as llama-server (add_special and parse_special on): a text prompt gets the BOS the tokenizer's files ask for and its
        // special-token text ("<|eot_id|>") becomes the token's id; token ids are taken as they are
        int[] prompt = request.promptTokens() != null ? request.promptTokens()
                : generator.tokenizer().encodeForModel(request.prompt(), Tokenizer.SpecialTokens.AS_IDS);
        checkPrompt(prompt);
        admitted(ctx, generation, () -> {
            if (request.stream()) stream(ctx, request, prompt, generation);
            else complete(ctx, request, prompt, generation);
        });
    }

    private void chatCompletions(Context ctx) throws Exception {
        metrics.requests.incrementAndGet();
        Generator generator = generator();
        RunningGeneration generation = begin(ctx);
        ChatRequest request = ChatRequest.parse(readBody(ctx), settings);
        if (chatTemplate == null) throw new ApiError(400, "invalid_request_error", "messages", "no_chat_template", noChatReason);
        String text;
        try {
            text = chatTemplate.render(request.messages(), true);
        } catch (ChatTemplateException e) {
            throw ApiError.invalid("messages", e.getMessage());
        }
        int[] prompt = generator.tokenizer().encodeForModel(text, Tokenizer.SpecialTokens.AS_IDS);
        checkPrompt(prompt);
        GenerationConfig config = ChatPrompts.stopAtReplyEnd(chatTemplate, request.config());
        admitted(ctx, generation, () -> new ChatResponder(ctx, request, config, prompt, generation).run());
    }

    /** A generation in flight until its answer has been written to its end, not just until the handler returns. */
    private RunningGeneration begin(Context ctx) {
        RunningGeneration generation = inFlight.begin();
        Request.addCompletionListener(ServletContextRequest.getServletContextRequest(ctx.req()), failure -> inFlight.end(generation));
        return generation;
    }

    private void checkPrompt(int[] prompt) {
        int vocab = generator.target().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw ApiError.invalid("prompt", "token id " + id + " is outside the target model's vocabulary of " + vocab + " tokens");
            }
        }
        int context = generator.contextLength();
        if (prompt.length >= context) {
            throw new ApiError(400, "invalid_request_error", "prompt", "context_length_exceeded", "the prompt has " + prompt.length
                    + " tokens but the model's context holds " + context + " (and at least one new token must fit)");
        }
    }

    private interface Answer {
        void write() throws IOException;
    }

    /** Runs an answer in a generation slot, under the request timeout and with the client watched. */
    private void admitted(Context ctx, RunningGeneration generation, Answer answer) throws Exception {
        try (AutoCloseable slot = admission.enter(); ClientWatch watch = ClientWatch.on(ctx, generation, timer)) {
            ScheduledFuture<?> timeout = timer.schedule(() -> generation.stop(RunningGeneration.StopReason.TIMEOUT),
                    settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                answer.write();
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

    /** Counts a generation that ended early; true when its client is gone and nothing more can be sent. */
    private boolean recordStop(RunningGeneration generation, GenerationResult r) {
        metrics.record(r.stats());
        if (generation.stoppedBy() != null || r.finishReason() == FinishReason.CANCELLED) metrics.cancelled.incrementAndGet();
        boolean gone = generation.stoppedBy(RunningGeneration.StopReason.CLIENT_GONE);
        if (gone) metrics.clientAborts.incrementAndGet();
        return gone;
    }

    private void complete(Context ctx, CompletionRequest request, int[] prompt, RunningGeneration generation) {
        List<TokenLogprobs.Entry> entries = new ArrayList<>();
        GenerationResult r;
        try (TokenLogprobs scorer = request.logprobs() >= 0 ? new TokenLogprobs(generator.target(), prompt, request.logprobs()) : null) {
            r = generator.generate(prompt, request.config(), scoring(GenerationListener.NONE, scorer, entries), generation.cancellation());
        }
        if (recordStop(generation, r)) return;
        if (generation.stoppedBy(RunningGeneration.StopReason.SHUTDOWN)) throw shutDownMidway();
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", r.text());
        choice.put("index", 0);
        choice.put("logprobs", request.logprobs() >= 0 ? completionLogprobs(entries, new int[1]) : null);
        choice.put("finish_reason", finishReason(r.finishReason()));
        Map<String, Object> body = envelope();
        body.put("choices", List.of(choice));
        body.put("usage", usage(prompt.length, r.tokens().length));
        body.put("specdiff4j", extension(r, generation));
        ctx.contentType("application/json").result(Json.write(body));
    }

    private static ApiError shutDownMidway() {
        return new ApiError(503, "server_busy", null, "shutting_down", "the server shut down before the generation finished; retry later");
    }

    private void stream(Context ctx, CompletionRequest request, int[] prompt, RunningGeneration generation) throws IOException {
        ctx.status(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        String id = "cmpl-" + UUID.randomUUID();
        List<TokenLogprobs.Entry> pending = new ArrayList<>();
        int[] offset = new int[1];
        GenerationListener listener = text -> {
            if (generation.stoppedBy(RunningGeneration.StopReason.CLIENT_GONE)) return;
            try {
                Map<String, Object> chunk = chunk(id, text, null);
                if (request.logprobs() >= 0) logprobsInto(chunk, completionLogprobs(pending, offset));
                send(out, chunk);
            } catch (IOException e) {
                generation.stop(RunningGeneration.StopReason.CLIENT_GONE); // stop generating, which frees the KV cache
            }
        };
        GenerationResult r;
        try (TokenLogprobs scorer = request.logprobs() >= 0 ? new TokenLogprobs(generator.target(), prompt, request.logprobs()) : null) {
            r = generator.generate(prompt, request.config(), scoring(listener, scorer, pending), generation.cancellation());
        } catch (GeneratorClosedException e) {
            r = null;
        }
        if (r != null && recordStop(generation, r)) return;
        try {
            if (r == null || generation.stoppedBy(RunningGeneration.StopReason.SHUTDOWN)) {
                send(out, shutDownMidway().body());
            } else {
                Map<String, Object> last = chunk(id, "", finishReason(r.finishReason()));
                if (request.logprobs() >= 0) logprobsInto(last, completionLogprobs(pending, offset));
                last.put("usage", usage(prompt.length, r.tokens().length));
                last.put("specdiff4j", extension(r, generation));
                send(out, last);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            metrics.clientAborts.incrementAndGet(); // the client left just before the end; nothing more to do
        }
    }

    /** The listener, also scoring each round's tokens into {@code entries} when log-probabilities were asked for. */
    private static GenerationListener scoring(GenerationListener listener, TokenLogprobs scorer, List<TokenLogprobs.Entry> entries) {
        if (scorer == null) return listener;
        return new GenerationListener() {
            @Override
            public void onText(String text) {
                listener.onText(text);
            }

            @Override
            public void onTokens(int[] ids) {
                entries.addAll(scorer.accept(ids));
                listener.onTokens(ids);
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static void logprobsInto(Map<String, Object> chunk, Object logprobs) {
        ((Map<String, Object>) ((List<Object>) chunk.get("choices")).get(0)).put("logprobs", logprobs);
    }

    /** The legacy completions shape of the entries (which it consumes): tokens, token_logprobs, top_logprobs, text_offset. */
    private Map<String, Object> completionLogprobs(List<TokenLogprobs.Entry> entries, int[] offset) {
        Tokenizer tokenizer = generator.tokenizer();
        List<Object> tokens = new ArrayList<>();
        List<Object> logprobs = new ArrayList<>();
        List<Object> tops = new ArrayList<>();
        List<Object> offsets = new ArrayList<>();
        for (TokenLogprobs.Entry e : entries) {
            String text = TokenLogprobs.text(tokenizer, e.id());
            tokens.add(text);
            logprobs.add(e.logprob());
            Map<String, Object> top = new LinkedHashMap<>();
            for (int i = 0; i < e.topIds().length; i++) top.putIfAbsent(TokenLogprobs.text(tokenizer, e.topIds()[i]), e.topLogprobs()[i]);
            tops.add(top);
            offsets.add(offset[0]);
            offset[0] += text.length();
        }
        entries.clear();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", tokens);
        m.put("token_logprobs", logprobs);
        m.put("top_logprobs", tops);
        m.put("text_offset", offsets);
        return m;
    }

    /** The chat shape of the entries (which it consumes): {"content": [{"token", "logprob", "bytes", "top_logprobs"}]}. */
    private Map<String, Object> chatLogprobs(List<TokenLogprobs.Entry> entries) {
        Tokenizer tokenizer = generator.tokenizer();
        List<Object> content = new ArrayList<>();
        for (TokenLogprobs.Entry e : entries) {
            Map<String, Object> item = tokenLogprob(tokenizer, e.id(), e.logprob());
            List<Object> top = new ArrayList<>();
            for (int i = 0; i < e.topIds().length; i++) top.add(tokenLogprob(tokenizer, e.topIds()[i], e.topLogprobs()[i]));
            item.put("top_logprobs", top);
            content.add(item);
        }
        entries.clear();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("content", content);
        m.put("refusal", null);
        return m;
    }

    private static Map<String, Object> tokenLogprob(Tokenizer tokenizer, int id, double logprob) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", TokenLogprobs.text(tokenizer, id));
        m.put("logprob", logprob);
        m.put("bytes", TokenLogprobs.bytes(tokenizer, id));
        return m;
    }

    /** One chat answer, whole or streamed. */
    private final class ChatResponder {
        private final Context ctx;
        private final ChatRequest request;
        private final GenerationConfig config;
        private final int[] prompt;
        private final RunningGeneration generation;
        private final String id = "chatcmpl-" + UUID.randomUUID();
        private final long created = System.currentTimeMillis() / 1000;
        private final List<TokenLogprobs.Entry> entries = new ArrayList<>();

        ChatResponder(Context ctx, ChatRequest request, GenerationConfig config, int[] prompt, RunningGeneration generation) {
            this.ctx = ctx;
            this.request = request;
            this.config = config;
            this.prompt = prompt;
            this.generation = generation;
        }

        void run() throws IOException {
            if (request.stream()) stream();
            else complete();
        }

        private TokenLogprobs scorer() {
            return request.logprobs() ? new TokenLogprobs(generator.target(), prompt, request.topLogprobs()) : null;
        }

        private Map<String, Object> envelope(String object) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("object", object);
            body.put("created", created);
            body.put("model", settings.modelName());
            return body;
        }

        private String finish(GenerationResult r) {
            return finishReason(r.finishReason());
        }

        private void complete() {
            GenerationResult r;
            try (TokenLogprobs scorer = scorer()) {
                r = generator.generate(prompt, config, scoring(GenerationListener.NONE, scorer, entries), generation.cancellation());
            }
            if (recordStop(generation, r)) return;
            if (generation.stoppedBy(RunningGeneration.StopReason.SHUTDOWN)) throw shutDownMidway();
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", r.text());
            message.put("refusal", null);
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0);
            choice.put("message", message);
            choice.put("logprobs", request.logprobs() ? chatLogprobs(entries) : null);
            choice.put("finish_reason", finish(r));
            Map<String, Object> body = envelope("chat.completion");
            body.put("choices", List.of(choice));
            body.put("usage", usage(prompt.length, r.tokens().length));
            body.put("specdiff4j", extension(r, generation));
            ctx.contentType("application/json").result(Json.write(body));
        }

        private Map<String, Object> chunk(Map<String, Object> delta, String finishReason) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0);
            choice.put("delta", delta);
            choice.put("logprobs", request.logprobs() && !entries.isEmpty() ? chatLogprobs(entries) : null);
            choice.put("finish_reason", finishReason);
            Map<String, Object> body = envelope("chat.completion.chunk");
            body.put("choices", List.of(choice));
            return body;
        }

        private void stream() throws IOException {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            Map<String, Object> role = new LinkedHashMap<>();
            role.put("role", "assistant");
            role.put("content", "");
            send(out, chunk(role, null));
            GenerationListener listener = text -> {
                if (generation.stoppedBy(RunningGeneration.StopReason.CLIENT_GONE)) return;
                try {
                    send(out, chunk(Map.of("content", text), null));
                } catch (IOException e) {
                    generation.stop(RunningGeneration.StopReason.CLIENT_GONE); // stop generating, which frees the KV cache
                }
            };
            GenerationResult r;
            try (TokenLogprobs scorer = scorer()) {
                r = generator.generate(prompt, config, scoring(listener, scorer, entries), generation.cancellation());
            } catch (GeneratorClosedException e) {
                r = null;
            }
            if (r != null && recordStop(generation, r)) return;
            try {
                if (r == null || generation.stoppedBy(RunningGeneration.StopReason.SHUTDOWN)) {
                    send(out, shutDownMidway().body());
                } else {
                    send(out, chunk(Map.of(), finish(r)));
                    Map<String, Object> last = envelope("chat.completion.chunk");
                    last.put("choices", List.of());
                    last.put("usage", usage(prompt.length, r.tokens().length));
                    last.put("specdiff4j", extension(r, generation));
                    if (request.includeUsage()) send(out, last);
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                metrics.clientAborts.incrementAndGet(); // the client left just before the end; nothing more to do
            }
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

    /** The extension object of an answer: the decoding statistics, the kernels, and why the generation ended in our own terms. */
    private static Map<String, Object> extension(GenerationResult r, RunningGeneration generation) {
        Map<String, Object> m = r.stats().toMap();
        m.put("kernels", r.kernels());
        m.put("finish_reason", generation.stoppedBy(RunningGeneration.StopReason.TIMEOUT) && r.finishReason() == FinishReason.CANCELLED
                ? "timeout" : r.finishReason().name().toLowerCase(Locale.ROOT));
        return m;
    }

    /**
     * OpenAI's finish_reason, which has no value for a timeout or a cancellation: "stop" at the end-of-text token or a stop
     * string, "length" for every other end (max_tokens, the context, the --timeout, a cancellation), as llama-server
     * reports a generation cut by its time limit. The precise reason is the extension's {@code specdiff4j.finish_reason}.
     */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case EOS, STOP -> "stop";
            case LENGTH, CONTEXT, CANCELLED -> "length";
        };
    }

    /**
     * Shuts down gracefully: from now on new completions get a 503 and /health/ready reports "draining";
     * requests in flight get up to {@code grace} to finish, then the ones still running are stopped (a stream
     * ends with an error event and [DONE], a plain request gets a 503), and the server stops.
     *
     * @return true when every request finished within the grace period
     */
    public boolean drain(Duration grace) throws InterruptedException {
        inFlight.startDraining();
        boolean finished = inFlight.awaitIdle(grace);
        if (!finished) {
            inFlight.stopAll();
            inFlight.awaitIdle(STOPPED_GENERATIONS_WAIT);
        }
        close();
        return finished;
    }

    /** Whether a drain has begun. */
    public boolean draining() {
        return inFlight.draining();
    }

    @Override
    public void close() {
        synchronized (loaded) {
            if (!stopped.compareAndSet(false, true)) return;
        }
        inFlight.startDraining();
        inFlight.stopAll();
        app.stop();
        timer.shutdownNow();
        if (ownsGenerator) generator.close();
    }
}
