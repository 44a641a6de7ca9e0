package dev.specdiff4j.chat;

import dev.specdiff4j.engine.io.GgufWriter;
import dev.specdiff4j.engine.io.TensorWriteSource;
import dev.specdiff4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the template is found: HF folders (tokenizer_config.json, chat_template.jinja), GGUF metadata, the bundled demo. */
class ChatTemplatesTest {
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}";
    private static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    @Test
    void fromTokenizerConfigWithTokensAsStringsOrObjects(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\", \"special\": true}, "
                + "\"eos_token\": \"</s>\", \"chat_template\": \"" + TEMPLATE + "\"}");
        assertThat(ChatTemplates.find(dir).orElseThrow().render(HI, false)).isEqualTo("<s>[user] hi</s>");
        assertThat(ChatTemplates.find(dir.resolve("config.json")).orElseThrow().origin()).endsWith("tokenizer_config.json (chat_template)");
    }

    @Test
    void fromANamedTemplateListTheDefaultOne(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"}, "
                + "{\"name\": \"default\", \"template\": \"plain {{ messages[0].content }}\"}]}");
        assertThat(ChatTemplates.find(dir).orElseThrow().render(HI, true)).isEqualTo("plain hi");
    }

    @Test
    void chatTemplateJinjaWinsOverTheConfig(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"E\", \"chat_template\": \"config\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "file {{ messages[0].content }}{{ eos_token }}");
        assertThat(ChatTemplates.find(dir).orElseThrow().render(HI, true)).isEqualTo("file hiE");
    }

    @Test
    void noTemplateIsEmptyAndABadOneIsAClearError(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplates.find(dir)).isEmpty();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"E\"}");
        assertThat(ChatTemplates.find(dir)).isEmpty();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 3}");
        assertThatThrownBy(() -> ChatTemplates.find(dir)).isInstanceOf(ChatTemplateException.class)
                .hasMessageEndingWith("tokenizer_config.json (chat_template) is neither a string nor a list of named templates");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": ");
        assertThatThrownBy(() -> ChatTemplates.find(dir)).isInstanceOf(ChatTemplateException.class).hasMessageContaining("is not valid JSON");
    }

    @Test
    void fromGgufMetadataWithTheTokensNamedById(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.gguf");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "gpt2");
        meta.put("tokenizer.ggml.tokens", List.of("a", "<|begin|>", "<|end|>"));
        meta.put("tokenizer.ggml.bos_token_id", new GgufWriter.UInt32(1));
        meta.put("tokenizer.ggml.eos_token_id", new GgufWriter.UInt32(2));
        meta.put("tokenizer.chat_template", TEMPLATE);
        GgufWriter.write(file, false, meta, List.of(new TensorWriteSource("t", DType.F32, new long[] {2}, out -> out.write(new byte[8]))));
        ChatTemplate t = ChatTemplates.find(file).orElseThrow();
        assertThat(t.render(HI, false)).isEqualTo("<|begin|>[user] hi<|end|>");
        assertThat(t.origin()).endsWith("m.gguf (tokenizer.chat_template)");
    }

    @Test
    void theBundledDemoTargetHasAPlainTemplate() throws IOException {
        Path demo = Path.of(System.getProperty("user.dir")).resolveSibling("models").resolve("demo").resolve("target");
        ChatTemplate t = ChatTemplates.find(demo).orElseThrow();
        assertThat(t.render(List.of(ChatMessage.system("Be kind."), ChatMessage.user("Hello there."), ChatMessage.assistant("Hi."),
                ChatMessage.user("What now?")), true)).isEqualTo("System: Be kind.\n\nUser: Hello there.\n\nAssistant: Hi.\n\nUser: What now?\n\nAssistant:");
        assertThat(t.replyEnd()).isEqualTo("\n\n");
        assertThat(t.eosToken()).isEqualTo("<|endoftext|>");
    }
}
