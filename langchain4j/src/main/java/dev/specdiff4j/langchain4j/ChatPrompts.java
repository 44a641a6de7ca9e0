package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.engine.api.Generator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns a conversation into the prompt text the model continues. By default the chat models render it with the target
 * model's own chat template ({@link #modelTemplate(Generator)}); {@link #plain()}, the fallback when the model has no
 * template, suits base models such as GPT-2 that were never taught one. A builder's {@code chatTemplate(...)} sets another
 * template, and {@code promptFormatter(...)} any {@code Function<List<ChatMessage>, String>}, for example
 * {@code promptFormatter(ChatPrompts.plain())} to ignore the model's template.
 */
public final class ChatPrompts {
    /** Where the plain format's next user turn would begin: the chat models stop there by default. */
    public static final String PLAIN_TURN_END = "\nUser:";

    private ChatPrompts() {
    }

    /**
     * The plain transcript format: system messages first as they are, then one line per turn, and the assistant's cue:
     * <pre>
     * You are terse.
     *
     * User: Hello
     * Assistant: Hi.
     * User: What is the Brown corpus?
     * Assistant:</pre>
     * Messages other than system, user (text only) and assistant (text only) are refused with an
     * {@link UnsupportedFeatureException}.
     */
    public static Function<List<ChatMessage>, String> plain() {
        return PLAIN;
    }

    private static final Function<List<ChatMessage>, String> PLAIN = ChatPrompts::plainTranscript;

    /** The chat template of the generator's target model (GGUF {@code tokenizer.chat_template}, HF {@code tokenizer_config.json}), if it has one. */
    public static Optional<ChatTemplate> modelTemplate(Generator generator) throws IOException {
        return dev.specdiff4j.chat.ChatPrompts.template(generator);
    }

    /**
     * The conversation rendered by a chat template, ending where the assistant's reply begins. System, user (text only) and
     * assistant (text only) messages are passed on with those roles; others are refused with an {@link UnsupportedFeatureException}.
     */
    static Function<List<ChatMessage>, String> templated(ChatTemplate template) {
        return messages -> template.render(templateMessages(messages), true);
    }

    private static List<dev.specdiff4j.chat.ChatMessage> templateMessages(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("a chat request needs at least one message");
        List<dev.specdiff4j.chat.ChatMessage> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            out.add(switch (m) {
                case SystemMessage s -> dev.specdiff4j.chat.ChatMessage.system(s.text());
                case UserMessage u -> dev.specdiff4j.chat.ChatMessage.user(userText(u));
                case AiMessage a -> dev.specdiff4j.chat.ChatMessage.assistant(assistantText(a));
                default -> throw new UnsupportedFeatureException("specdiff4j's chat models have no place for a " + m.type() + " message");
            });
        }
        return out;
    }

    private static String userText(UserMessage u) {
        if (!u.hasSingleText()) throw new UnsupportedFeatureException("specdiff4j models read text only; this user message has other content");
        return u.singleText();
    }

    private static String assistantText(AiMessage a) {
        if (a.hasToolExecutionRequests()) throw new UnsupportedFeatureException("specdiff4j models do not call tools");
        return a.text() == null ? "" : a.text();
    }

    private static String plainTranscript(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("a chat request needs at least one message");
        StringBuilder system = new StringBuilder();
        StringBuilder turns = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> system.append(s.text()).append("\n\n");
                case UserMessage u -> turns.append("User: ").append(userText(u)).append('\n');
                case AiMessage a -> turns.append("Assistant: ").append(assistantText(a)).append('\n');
                default -> throw new UnsupportedFeatureException("specdiff4j's plain chat format has no place for a " + m.type() + " message");
            }
        }
        return system.append(turns).append("Assistant:").toString();
    }
}
