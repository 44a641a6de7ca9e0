package dev.specdiff4j.langchain4j;

import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.specdiff4j.engine.api.GenerationResult;

/**
 * A LangChain4j {@link StreamingLanguageModel}: the continuation arrives in {@code onNext} as it is committed (several tokens
 * at once after a speculative round), then {@code onComplete} with the whole text, token usage and finish reason. Runs on the
 * builder's {@code executor} (default: the calling thread).
 */
public final class SpecDiff4jStreamingLanguageModel extends SpecDiff4jModel implements StreamingLanguageModel {
    private SpecDiff4jStreamingLanguageModel(Core core) {
        super(core);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void generate(String prompt, StreamingResponseHandler<String> handler) {
        core.executor.execute(() -> {
            GenerationResult r;
            try {
                r = core.generate(prompt, core.defaults, handler::onNext);
            } catch (RuntimeException | Error e) {
                handler.onError(e);
                return;
            }
            handler.onComplete(core.response(r));
        });
    }

    public static final class Builder extends SpecDiff4jModelBuilder<Builder, SpecDiff4jStreamingLanguageModel> {
        @Override
        public SpecDiff4jStreamingLanguageModel build() {
            return new SpecDiff4jStreamingLanguageModel(core(false));
        }
    }
}
