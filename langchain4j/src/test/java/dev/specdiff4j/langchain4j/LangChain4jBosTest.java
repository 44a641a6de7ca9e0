package dev.specdiff4j.langchain4j;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.json.Json;
import dev.specdiff4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The language and chat models hand the generator prompts that start with the BOS the tokenizer's files ask for: the
 * demo target with a tokenizer_config.json that asks for {@code <|endoftext|>} as BOS (the weights linked, not copied).
 */
class LangChain4jBosTest {
    private static final Path DEMO_TARGET = Path.of("..", "models", "demo", "target").toAbsolutePath().normalize();
    private static Path dir;
    private static Generator generator;

    @BeforeAll
    static void open() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "bos-test");
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.createSymbolicLink(dir.resolve(f), DEMO_TARGET.resolve(f));
        Files.copy(DEMO_TARGET.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Map<String, Object> config = new LinkedHashMap<>(Json.parseObject(Files.readString(DEMO_TARGET.resolve("tokenizer_config.json"))));
        config.put("add_bos_token", true);
        config.put("bos_token", "<|endoftext|>");
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.write(config), StandardCharsets.UTF_8);
        generator = Generator.open(ModelSpec.of(dir));
    }

    @AfterAll
    static void close() throws IOException {
        generator.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void aLanguageModelPromptStartsWithBos() {
        Tokenizer t = generator.tokenizer();
        LanguageModel model = SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.AR).maxTokens(4).build();
        Response<String> r = model.generate("The jury said");
        assertThat(t.sequenceMarks().bos()).isEqualTo(t.specialTokenId("<|endoftext|>").orElseThrow());
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(t.encode("The jury said").length + 1);
    }

    @Test
    void aChatPromptThroughTheTemplateStartsWithBos() {
        Tokenizer t = generator.tokenizer();
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).mode(Mode.AR).maxTokens(4).build();
        ChatResponse r = chat.chat(UserMessage.from("What did the jury say?"));
        String rendered = "User: What did the jury say?\n\nAssistant:";
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(t.encode(rendered).length + 1);
    }
}
