package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;

import java.util.List;
import java.util.function.Function;

/**
 * Turns a conversation into the prompt text the model continues. The chat models take any
 * {@code Function<List<ChatMessage>, String>} as their {@code promptFormatter}: this is the seam where a model's own chat
 * template plugs in (for example {@code promptFormatter(messages -> template.render(messages))}). The default,
 * {@link #plain()}, suits base models such as GPT-2 that were never taught a template.
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

    private static String plainTranscript(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("a chat request needs at least one message");
        StringBuilder system = new StringBuilder();
        StringBuilder turns = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> system.append(s.text()).append("\n\n");
                case UserMessage u -> {
                    if (!u.hasSingleText()) throw new UnsupportedFeatureException("specdiff4j models read text only; this user message has other content");
                    turns.append("User: ").append(u.singleText()).append('\n');
                }
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) throw new UnsupportedFeatureException("specdiff4j models do not call tools");
                    turns.append("Assistant: ").append(a.text() == null ? "" : a.text()).append('\n');
                }
                default -> throw new UnsupportedFeatureException("specdiff4j's plain chat format has no place for a " + m.type() + " message");
            }
        }
        return system.append(turns).append("Assistant:").toString();
    }
}
