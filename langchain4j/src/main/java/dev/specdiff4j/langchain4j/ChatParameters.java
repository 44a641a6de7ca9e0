package dev.specdiff4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.specdiff4j.engine.api.GenerationConfig;

/** The model's defaults in LangChain4j's terms, so that LangChain4j merges a request's parameters over them. */
final class ChatParameters {
    private ChatParameters() {
    }

    static ChatRequestParameters of(Core core) {
        GenerationConfig c = core.defaults;
        return ChatRequestParameters.builder()
                .modelName(core.modelName)
                .temperature(c.sampling().temperature())
                .topP(c.sampling().topP())
                .topK(c.sampling().topK() > 0 ? c.sampling().topK() : null)
                .maxOutputTokens(c.maxTokens())
                .stopSequences(c.stop())
                .build();
    }
}
