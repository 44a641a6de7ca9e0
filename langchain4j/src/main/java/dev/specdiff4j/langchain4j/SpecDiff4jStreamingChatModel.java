package dev.specdiff4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.specdiff4j.engine.api.GenerationResult;

/**
 * A LangChain4j {@link StreamingChatModel}: like {@link SpecDiff4jChatModel}, with the answer streamed to
 * {@code onPartialResponse} as it is committed, then {@code onCompleteResponse}. Runs on the builder's {@code executor}
 * (default: the calling thread); every failure, bad settings included, goes to {@code onError}.
 */
public final class SpecDiff4jStreamingChatModel extends SpecDiff4jModel implements StreamingChatModel {
    private SpecDiff4jStreamingChatModel(Core core) {
        super(core);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        core.executor.execute(() -> {
            GenerationResult r;
            try {
                r = core.generate(request, handler::onPartialResponse);
            } catch (RuntimeException | Error e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(core.chatResponse(r));
        });
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatParameters.of(core);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    public static final class Builder extends SpecDiff4jModelBuilder<Builder, SpecDiff4jStreamingChatModel> {
        @Override
        public SpecDiff4jStreamingChatModel build() {
            return new SpecDiff4jStreamingChatModel(core(true));
        }
    }
}
