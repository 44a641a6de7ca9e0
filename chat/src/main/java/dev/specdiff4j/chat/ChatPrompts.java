package dev.specdiff4j.chat;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Prompts from conversations: the messages rendered by the model's chat template, ending where the
 * assistant's reply begins, and tokenized with the template's special tokens ({@code <|im_start|>},
 * {@code <|eot_id|>}...) as their ids.
 *
 * <pre>{@code
 * ChatTemplate template = ChatPrompts.template(generator).orElseThrow();
 * int[] prompt = ChatPrompts.encode(template, generator.tokenizer(), List.of(ChatMessage.user("Hello")));
 * GenerationConfig config = ChatPrompts.stopAtReplyEnd(template, GenerationConfig.builder().maxTokens(64).build());
 * String reply = generator.generate(prompt, config, GenerationListener.NONE, new Cancellation()).text();
 * }</pre>
 */
public final class ChatPrompts {
    private ChatPrompts() {
    }

    /** The chat template of the generator's target model, if it has one. */
    public static Optional<ChatTemplate> template(Generator generator) throws IOException {
        return ChatTemplates.of(generator.target().files());
    }

    /** The conversation as text, ready for the assistant's reply. */
    public static String render(ChatTemplate template, List<ChatMessage> messages) {
        return template.render(messages, true);
    }

    /**
     * The conversation as token ids, ready for the assistant's reply, with the BOS the tokenizer's files ask for (only
     * one: a template that writes BOS itself gets no second; see {@link Tokenizer#encodeForModel(String, Tokenizer.SpecialTokens)}).
     */
    public static int[] encode(ChatTemplate template, Tokenizer tokenizer, List<ChatMessage> messages) {
        return tokenizer.encodeForModel(render(template, messages), Tokenizer.SpecialTokens.AS_IDS);
    }

    /** The config with the template's end of a reply added to its stop strings (when the template has one). */
    public static GenerationConfig stopAtReplyEnd(ChatTemplate template, GenerationConfig config) {
        String end = template.replyEnd();
        if (end.isEmpty() || config.stop().contains(end)) return config;
        List<String> stops = new ArrayList<>(config.stop());
        stops.add(end);
        return config.toBuilder().stop(stops).build();
    }
}
