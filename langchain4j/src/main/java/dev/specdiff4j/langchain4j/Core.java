package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.decoding.AcceptancePolicy;
import dev.specdiff4j.engine.decoding.SamplingConfig;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** What the four models share: the generator, the default settings, request settings on top of them, and the answers' shapes. */
final class Core {
    final Generator generator;
    final boolean ownsGenerator;
    final GenerationConfig defaults;
    final String modelName;
    final Executor executor;
    /** Null for the language models, which take their prompt as it is. */
    final ChatFormat chatFormat;

    Core(Generator generator, boolean ownsGenerator, GenerationConfig defaults, String modelName, Executor executor, ChatFormat chatFormat) {
        this.generator = generator;
        this.ownsGenerator = ownsGenerator;
        this.defaults = defaults;
        this.modelName = modelName != null ? modelName : generator.spec().target().getFileName().toString();
        this.executor = executor == null ? Runnable::run : executor;
        this.chatFormat = chatFormat;
    }

    /** The request's settings over the model's defaults; what specdiff4j cannot do (tools, JSON mode, penalties) is refused. */
    GenerationConfig configFor(ChatRequestParameters p) {
        if (p == null) return defaults;
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("specdiff4j models do not call tools");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("specdiff4j models have no JSON mode");
        }
        if (nonZero(p.frequencyPenalty()) || nonZero(p.presencePenalty())) {
            throw new UnsupportedFeatureException("specdiff4j has no frequency or presence penalties");
        }
        GenerationConfig.Builder b = defaults.toBuilder();
        if (p.maxOutputTokens() != null) b.maxTokens(p.maxOutputTokens());
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) b.stop(p.stopSequences());
        SamplingConfig s = defaults.sampling();
        SamplingConfig sampling = new SamplingConfig(p.temperature() != null ? p.temperature() : s.temperature(),
                p.topK() != null ? p.topK() : s.topK(), p.topP() != null ? p.topP() : s.topP(), s.seed());
        b.sampling(sampling);
        // a request that samples from a greedy model gets the sampling policy that keeps the target's distribution
        if (!sampling.isGreedy() && defaults.verify() == AcceptancePolicy.GREEDY) b.verify(AcceptancePolicy.STRICT);
        return b.build();
    }

    private static boolean nonZero(Double d) {
        return d != null && d != 0;
    }

    /** Runs a chat request: its parameters over the builder's defaults, its messages through the chat format. */
    GenerationResult generate(ChatRequest request, Consumer<String> onText) {
        GenerationConfig config = configFor(request.parameters());
        return generate(chatFormat.encode(request.messages(), generator.tokenizer()), config, onText);
    }

    /** Generates; {@code onText} receives the text as it is committed, leading white space of the answer left out. */
    GenerationResult generate(String prompt, GenerationConfig config, Consumer<String> onText) {
        return generate(generator.tokenizer().encodeForModel(prompt), config, onText);
    }

    private GenerationResult generate(int[] prompt, GenerationConfig config, Consumer<String> onText) {
        return generator.generate(prompt, config, new LeadingSpaceTrimmer(onText), new Cancellation());
    }

    /** The answer text: without the space the model puts after "Assistant:" (or any prompt ending in a word). */
    static String text(GenerationResult r) {
        return r.text().stripLeading();
    }

    static FinishReason finishReason(GenerationResult r) {
        return switch (r.finishReason()) {
            case LENGTH, CONTEXT -> FinishReason.LENGTH;
            case EOS, STOP -> FinishReason.STOP;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    static TokenUsage usage(GenerationResult r) {
        return new TokenUsage(r.promptTokens().length, r.tokens().length);
    }

    Response<String> response(GenerationResult r) {
        return Response.from(text(r), usage(r), finishReason(r));
    }

    ChatResponse chatResponse(GenerationResult r) {
        return ChatResponse.builder().aiMessage(AiMessage.from(text(r))).modelName(modelName).tokenUsage(usage(r))
                .finishReason(finishReason(r)).build();
    }

    void close() {
        if (ownsGenerator) generator.close();
    }

    /** Passes text on once the first non-white-space character has come, so that the stream and the final text agree. */
    private static final class LeadingSpaceTrimmer implements GenerationListener {
        private final Consumer<String> onText;
        private boolean started;

        LeadingSpaceTrimmer(Consumer<String> onText) {
            this.onText = onText;
        }

        @Override
        public void onText(String text) {
            if (!started) {
                text = text.stripLeading();
                if (text.isEmpty()) return;
                started = true;
            }
            onText.accept(text);
        }
    }
}
