package dev.specdiff4j.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template (the Jinja source Hugging Face keeps in {@code tokenizer_config.json} and llama.cpp
 * in the GGUF key {@code tokenizer.chat_template}), rendered with Jinjava under the conventions of
 * {@code transformers}' {@code apply_chat_template}: the variables {@code messages},
 * {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}, the functions
 * {@code raise_exception} and {@code strftime_now}, {@code trim_blocks} and {@code lstrip_blocks}, loop
 * controls, namespaces and the Python string methods templates call ({@code startswith}, {@code split},
 * {@code strip}...). Checked against {@code @huggingface/jinja} on real templates (ChatTemplateOracleTest).
 *
 * <p>Immutable and safe to share between threads.
 */
public final class ChatTemplate {
    /** A rendered prompt larger than this is refused (a runaway template, not a conversation). */
    private static final long MAX_OUTPUT_CHARS = 16L << 20;

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final String origin;
    private final String prepared;
    private final Jinjava jinjava;
    private final String replyEnd;

    /**
     * @param source   the Jinja template
     * @param bosToken the text of the start token ({@code bos_token}), "" when the model has none
     * @param eosToken the text of the end token ({@code eos_token}), "" when the model has none
     * @param origin   where the template came from, for messages
     * @throws ChatTemplateException when the template does not parse
     */
    public ChatTemplate(String source, String bosToken, String eosToken, String origin) {
        this.source = Objects.requireNonNull(source, "source");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.origin = origin == null ? "the chat template" : origin;
        if (source.isBlank()) throw new ChatTemplateException(this.origin + " is empty");
        this.prepared = PythonMethods.rewrite(source);
        this.jinjava = newJinjava();
        // parse once now, so that a broken template is reported when the model loads, not at the first request
        render(List.of(ChatMessage.user("")), true, Map.of(), true);
        this.replyEnd = findReplyEnd();
    }

    /** What the template writes after an assistant's message, found by rendering a marked one. */
    private String findReplyEnd() {
        String mark = "specdiff4jReplyMark7f3a"; // letters only: templates may trim or escape the content
        try {
            String text = render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant(mark)), false, Map.of(), false);
            int at = text.lastIndexOf(mark);
            return at < 0 ? "" : text.substring(at + mark.length());
        } catch (ChatTemplateException e) {
            return "";
        }
    }

    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, bosToken, eosToken, null);
    }

    private static Jinjava newJinjava() {
        LegacyOverrides overrides = LegacyOverrides.newBuilder()
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .withHandleBackslashInQuotesOnly(true)
                .withEvaluateMapKeys(true)
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withNestedInterpretationEnabled(false) // a message holding "{{ x }}" is text, never a template
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withLegacyOverrides(overrides)
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        PythonMethods.register(j);
        j.getGlobalContext().registerFilter(new JsonFilter());
        return j;
    }

    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /**
     * The text that ends an assistant's reply in this template ({@code <|eot_id|>} for Llama 3,
     * {@code <|im_end|>} for Qwen, without trailing white space; the bare white space when that is all
     * there is), so that a reply can be stopped there; empty when the template shows none.
     */
    public String replyEnd() {
        String trimmed = replyEnd.strip();
        return trimmed.isEmpty() ? replyEnd : trimmed;
    }

    /** Where the template came from (a file and key), for messages. */
    public String origin() {
        return origin;
    }

    /** The conversation as the model expects to read it; with {@code addGenerationPrompt}, ending where the assistant's reply begins. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #render(List, boolean)}, with more variables for the template (for example
     * {@code enable_thinking} for Qwen 3, {@code date_string} for Llama 3.1).
     *
     * @throws ChatTemplateException when the template refuses the conversation or fails to render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        if (messages.isEmpty()) throw new IllegalArgumentException("a conversation needs at least one message");
        return render(messages, addGenerationPrompt, variables, false);
    }

    private String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables, boolean parseOnly) {
        Map<String, Object> context = new LinkedHashMap<>(variables);
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(prepared, context);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            ChatTemplateException raised = raisedBy(e);
            if (raised != null) throw raised;
            throw new ChatTemplateException(origin + " failed to render: " + e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getException() != null) {
                ChatTemplateException raised = raisedBy(error.getException());
                if (raised != null) {
                    if (parseOnly) continue; // the probe conversation may be one the template refuses; that is not a syntax error
                    throw raised;
                }
            }
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(origin + " " + (parseOnly ? "does not parse" : "failed to render") + ": "
                        + error.getMessage() + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""));
            }
        }
        return result.getOutput();
    }

    private static ChatTemplateException raisedBy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException c) return c;
        }
        return null;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + origin + "]";
    }
}
