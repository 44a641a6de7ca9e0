package dev.specdiff4j.chat;

import org.junit.jupiter.api.Test;

import java.time.Year;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Hugging Face conventions, one by one, with expected texts written out by hand. */
class ChatTemplateTest {
    private static final String CHATML = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static String render(String template, List<ChatMessage> messages) {
        return ChatTemplate.of(template, "<s>", "</s>").render(messages, true);
    }

    private static String render(String template) {
        return render(template, List.of(ChatMessage.user("hi")));
    }

    @Test
    void rendersMessagesAndTheGenerationPrompt() {
        ChatTemplate t = ChatTemplate.of(CHATML, "", "<|im_end|>");
        List<ChatMessage> conversation = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
        assertThat(t.render(conversation, true))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.render(conversation, false)).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
    }

    @Test
    void messageTextIsNeverInterpretedAsATemplate() {
        assertThat(render(CHATML, List.of(ChatMessage.user("{{ 7 * 7 }} {% if true %}x{% endif %}"))))
                .isEqualTo("<|im_start|>user\n{{ 7 * 7 }} {% if true %}x{% endif %}<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void specialTokensAndExtraVariablesAreVisible() {
        assertThat(render("{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}")).isEqualTo("<s>|</s>|true");
        assertThat(ChatTemplate.of("{{ enable_thinking is defined and enable_thinking is false }}", "", "")
                .render(List.of(ChatMessage.user("x")), true, Map.of("enable_thinking", false))).isEqualTo("true");
    }

    @Test
    void trimBlocksAndLstripBlocksAsTransformersSetsThem() {
        assertThat(render("{% if true %}\n    a\n{% endif %}\n  {% if true %}\nb\n  {% endif %}\nc")).isEqualTo("    a\nb\nc");
    }

    @Test
    void raiseExceptionRefusesTheConversationWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.of("{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with the user') }}"
                + "{% endif %}{{ messages[0].content }}", "", "");
        assertThat(t.render(List.of(ChatMessage.user("ok")), true)).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.assistant("no")), true)).isInstanceOf(ChatTemplateException.class)
                .hasMessage("the chat template refused the conversation: Conversation must start with the user");
    }

    @Test
    void aBrokenTemplateIsRefusedWhenItIsLoaded() {
        assertThatThrownBy(() -> new ChatTemplate("{% for m in messages %}{{ m.content }}", "", "", "broken.json (chat_template)"))
                .isInstanceOf(ChatTemplateException.class).hasMessageStartingWith("broken.json (chat_template) does not parse: ");
        assertThatThrownBy(() -> ChatTemplate.of("  ", "", "")).isInstanceOf(ChatTemplateException.class).hasMessage("the chat template is empty");
    }

    @Test
    void pythonStringMethodsHavePythonsMeaning() {
        assertThat(render("{{ 'a</t>b</t>'.split('</t>') | length }}|{{ 'a.b'.split('.')[-1] }}|{{ ' a  b '.split() | join(',') }}"))
                .isEqualTo("3|b|a,b");
        assertThat(render("[{{ '\\n\\nx\\n '.strip('\\n') }}]|[{{ 'xxaxx'.lstrip('x') }}]|[{{ 'xxaxx'.rstrip('x') }}]|[{{ '  y '.strip() }}]"))
                .isEqualTo("[x\n ]|[axx]|[xxa]|[y]");
        assertThat(render("{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith('x') }} {{ 'ab'.upper() }} {{ 'hello world'.title() }}"))
                .isEqualTo("true false AB Hello World");
        assertThat(render("{{ \"it's '.split('x')\" }}")).as("string literals are not rewritten").isEqualTo("it's '.split('x')");
    }

    @Test
    void reversingSlicesNamespacesAndLoopControls() {
        List<ChatMessage> three = List.of(ChatMessage.user("1"), ChatMessage.assistant("2"), ChatMessage.user("3"));
        assertThat(render("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}", three)).isEqualTo("321");
        assertThat(render("{% set ns = namespace(last=messages|length - 1, n=0) %}{% for m in messages %}{% if m.role == 'user' %}"
                + "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.last }}/{{ ns.n }}", three)).isEqualTo("2/2");
        assertThat(render("{% for m in messages %}{% if loop.index0 == 1 %}{% continue %}{% endif %}{% if m.content == '3' %}{% break %}"
                + "{% endif %}{{ m.content }}{% endfor %}", List.of(ChatMessage.user("1"), ChatMessage.user("2"), ChatMessage.user("3"),
                ChatMessage.user("4")))).isEqualTo("1");
    }

    @Test
    void tojsonWritesPythonsJsonDumpsLayout() {
        ChatTemplate t = ChatTemplate.of("{{ tool | tojson }}|{{ tool | tojson(indent=2) }}", "", "");
        Map<String, Object> tool = new java.util.LinkedHashMap<>();
        tool.put("name", "météo");
        tool.put("args", List.of(1, "x\"y", true));
        assertThat(t.render(List.of(ChatMessage.user("x")), true, Map.of("tool", tool)))
                .isEqualTo("{\"name\": \"météo\", \"args\": [1, \"x\\\"y\", true]}|{\n  \"name\": \"météo\",\n  \"args\": [\n    1,\n    \"x\\\"y\",\n    true\n  ]\n}");
    }

    @Test
    void strftimeNowGivesTheCurrentDate() {
        assertThat(render("{{ strftime_now('%Y') }}")).isEqualTo(Integer.toString(Year.now().getValue()));
    }

    @Test
    void theEndOfAReplyIsFoundFromTheTemplate() {
        assertThat(ChatTemplate.of(CHATML, "", "").replyEnd()).isEqualTo("<|im_end|>");
        assertThat(ChatTemplate.of("{% for m in messages %}{{ m.role }}: {{ m.content }}{{ '\\n\\n' }}{% endfor %}", "", "").replyEnd())
                .isEqualTo("\n\n");
        assertThat(ChatTemplate.of("{{ messages[-1].content }}", "", "").replyEnd()).isEmpty();
    }
}
