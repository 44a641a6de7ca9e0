package dev.specdiff4j.chat;

import java.util.Locale;
import java.util.Objects;

/**
 * One message of a conversation, as chat templates see it: {@code {"role": ..., "content": ...}}.
 *
 * @param role    "system", "user", "assistant" (or any role the model's template knows, such as "tool")
 * @param content the text
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) throw new IllegalArgumentException("a message's role must not be empty");
        role = role.toLowerCase(Locale.ROOT);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
