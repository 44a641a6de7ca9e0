package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.chat.ChatTemplateException;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * How a chat model turns a conversation into prompt tokens, and the stop strings that end its replies unless the builder
 * sets others. A chat template's special tokens ({@code <|im_start|>}...) become their ids, as in the server's chat endpoint;
 * a plain or custom prompt is read as text. The prompt starts with the BOS the tokenizer's files ask for, once.
 */
record ChatFormat(Function<List<ChatMessage>, String> render, Tokenizer.SpecialTokens specialTokens, List<String> replyEnds) {
    ChatFormat {
        replyEnds = List.copyOf(replyEnds);
    }

    int[] encode(List<ChatMessage> messages, Tokenizer tokenizer) {
        return tokenizer.encodeForModel(render.apply(messages), specialTokens);
    }

    static ChatFormat plain() {
        return new ChatFormat(ChatPrompts.plain(), Tokenizer.SpecialTokens.AS_TEXT, List.of(ChatPrompts.PLAIN_TURN_END));
    }

    static ChatFormat custom(Function<List<ChatMessage>, String> formatter) {
        return new ChatFormat(formatter, Tokenizer.SpecialTokens.AS_TEXT, List.of());
    }

    static ChatFormat template(ChatTemplate template) {
        String end = template.replyEnd();
        return new ChatFormat(ChatPrompts.templated(template), Tokenizer.SpecialTokens.AS_IDS, end.isEmpty() ? List.of() : List.of(end));
    }

    /** The target model's own chat template, or the plain transcript when it has none. */
    static ChatFormat ofModel(Generator generator) {
        try {
            return ChatPrompts.modelTemplate(generator).map(ChatFormat::template).orElseGet(ChatFormat::plain);
        } catch (IOException | ChatTemplateException e) {
            throw new IllegalStateException("the model's chat template cannot be used (" + e.getMessage()
                    + "); set promptFormatter(ChatPrompts.plain()) to chat in the plain transcript format instead", e);
        }
    }
}
