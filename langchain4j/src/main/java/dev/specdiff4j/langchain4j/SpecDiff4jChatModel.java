package dev.specdiff4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A LangChain4j {@link ChatModel}. The messages become a prompt through the target model's own chat template, and the reply
 * stops where the template ends one; a model without a template gets the {@link ChatPrompts#plain()} transcript, stopped at
 * the next user turn (the builder's {@code chatTemplate} or {@code promptFormatter} choose otherwise). Request parameters
 * (max output tokens, temperature, top-k, top-p, stop sequences) override the builder's defaults; tools, JSON mode and penalties are refused with an {@code UnsupportedFeatureException}.
 */
public final class SpecDiff4jChatModel extends SpecDiff4jModel implements ChatModel {
    private SpecDiff4jChatModel(Core core) {
        super(core);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return core.chatResponse(core.generate(request, text -> { }));
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatParameters.of(core);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    public static final class Builder extends SpecDiff4jModelBuilder<Builder, SpecDiff4jChatModel> {
        @Override
        public SpecDiff4jChatModel build() {
            return new SpecDiff4jChatModel(core(true));
        }
    }
}
