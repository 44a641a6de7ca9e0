package dev.specdiff4j.server;

import dev.specdiff4j.chat.ChatMessage;
import dev.specdiff4j.engine.api.GenerationConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.specdiff4j.server.CompletionRequest.bool;
import static dev.specdiff4j.server.CompletionRequest.integer;

/**
 * A parsed, validated POST /v1/chat/completions body: the messages, and the settings it shares with
 * /v1/completions (see {@link CompletionRequest}). A message's content is a string, or an array of
 * {@code {"type": "text", "text": ...}} parts (joined); other part types (images, audio) and tool calls are
 * refused with a 400 that says so. Unknown fields are ignored, known ones checked.
 *
 * @param logprobs     whether to return each token's log-probability
 * @param topLogprobs  how many alternatives to list per token (0..20)
 * @param includeUsage stream_options.include_usage: a stream ends with a chunk that holds the usage
 */
record ChatRequest(List<ChatMessage> messages, boolean stream, boolean includeUsage, GenerationConfig config, boolean logprobs,
                   int topLogprobs) {
    static final int MAX_TOP_LOGPROBS = 20;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    static ChatRequest parse(byte[] body, ServerSettings settings) {
        Map<String, Object> json = CompletionRequest.parseJson(body);
        List<ChatMessage> messages = messages(json.get("messages"));
        if (json.get("max_tokens") != null && json.get("max_completion_tokens") != null) {
            throw ApiError.invalid("max_completion_tokens", "give 'max_completion_tokens' or 'max_tokens' (its old name), not both");
        }
        String limitField = json.get("max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
        // no limit given: as many as the server allows (the context and the reply's end stop it sooner)
        int maxTokens = integer(json, limitField, settings.maxTokensLimit(), 1, settings.maxTokensLimit());
        boolean logprobs = bool(json, "logprobs", false);
        int top = integer(json, "top_logprobs", 0, 0, MAX_TOP_LOGPROBS);
        if (top > 0 && !logprobs) throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        if (json.get("tools") instanceof List<?> tools && !tools.isEmpty()) {
            throw ApiError.invalid("tools", "tool calling is not supported");
        } else if (json.get("tools") != null && !(json.get("tools") instanceof List<?>)) {
            throw ApiError.invalid("tools", "'tools' must be an array");
        }
        Object toolChoice = json.get("tool_choice");
        if (toolChoice != null && !"none".equals(toolChoice) && !"auto".equals(toolChoice)) {
            throw ApiError.invalid("tool_choice", "tool calling is not supported");
        }
        if (json.get("response_format") != null) {
            if (!(json.get("response_format") instanceof Map<?, ?> format) || !"text".equals(format.get("type"))) {
                throw ApiError.invalid("response_format", "only 'response_format' {\"type\": \"text\"} is supported");
            }
        }
        boolean stream = bool(json, "stream", false);
        boolean includeUsage = CompletionRequest.includeUsage(json);
        GenerationConfig config = CompletionRequest.config(json, settings, maxTokens);
        return new ChatRequest(messages, stream, includeUsage, config, logprobs, top);
    }

    private static List<ChatMessage> messages(Object value) {
        if (value == null) throw ApiError.invalid("messages", "'messages' is required");
        if (!(value instanceof List<?> list)) throw ApiError.invalid("messages", "'messages' must be an array of messages");
        if (list.isEmpty()) throw ApiError.invalid("messages", "'messages' is empty; a conversation needs at least one message");
        List<ChatMessage> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String at = "messages[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) throw ApiError.invalid(at, "'" + at + "' must be an object with 'role' and 'content'");
            if (!(m.get("role") instanceof String role)) throw ApiError.invalid(at + ".role", "'" + at + ".role' must be a string");
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(at + ".role", "'" + at + ".role' must be one of system, developer, user, assistant or tool, not '" + role + "'");
            }
            if (m.get("tool_calls") instanceof List<?> calls && !calls.isEmpty()) {
                throw ApiError.invalid(at + ".tool_calls", "tool calling is not supported");
            }
            messages.add(new ChatMessage(role.equals("developer") ? "system" : role, content(m.get("content"), at + ".content")));
        }
        return messages;
    }

    private static String content(Object value, String field) {
        if (value instanceof String s) return s;
        if (value == null) return "";
        if (value instanceof List<?> parts) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < parts.size(); i++) {
                String at = field + "[" + i + "]";
                if (!(parts.get(i) instanceof Map<?, ?> part)) throw ApiError.invalid(at, "'" + at + "' must be an object");
                if (!"text".equals(part.get("type"))) {
                    throw ApiError.invalid(at + ".type", "only text content is supported, not '" + part.get("type") + "'");
                }
                if (!(part.get("text") instanceof String s)) throw ApiError.invalid(at + ".text", "'" + at + ".text' must be a string");
                text.append(s);
            }
            return text.toString();
        }
        throw ApiError.invalid(field, "'" + field + "' must be a string or an array of text parts");
    }
}
