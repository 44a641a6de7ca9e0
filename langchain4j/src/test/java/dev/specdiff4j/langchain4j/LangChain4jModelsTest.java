package dev.specdiff4j.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.GeneratorClosedException;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The four models, driven through LangChain4j's own interfaces, on the bundled demo models. */
class LangChain4jModelsTest {
    private static final Path DEMO = Path.of("..", "models", "demo");
    private static final String PROMPT = "The jury said";
    private static Generator generator;

    @BeforeAll
    static void open() throws Exception {
        generator = Generator.open(ModelSpec.of(DEMO.resolve("target")).withDiffusionDrafter(DEMO.resolve("drafter"))
                .withArDrafter(DEMO.resolve("ar-drafter")));
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    private static GenerationResult direct(String prompt, GenerationConfig config) {
        return generator.generate(prompt, config);
    }

    @Test
    void languageModelGivesWhatTheGeneratorGivesAndSpeculationChangesNothing() {
        LanguageModel specdiff = SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.SPECDIFF).gamma(4).steps(2).maxTokens(24).build();
        LanguageModel sd = SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.SD).gamma(3).maxTokens(24).build();
        LanguageModel ar = SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.AR).maxTokens(24).build();
        Response<String> a = specdiff.generate(PROMPT);
        GenerationResult plain = direct(PROMPT, GenerationConfig.builder().mode(Mode.AR).maxTokens(24).build());
        assertThat(a.content()).isNotBlank().isEqualTo(plain.text().stripLeading());
        assertThat(sd.generate(PROMPT).content()).isEqualTo(a.content());
        assertThat(ar.generate(PROMPT).content()).isEqualTo(a.content());
        assertThat(a.tokenUsage().inputTokenCount()).isEqualTo(plain.promptTokens().length);
        assertThat(a.tokenUsage().outputTokenCount()).isEqualTo(plain.tokens().length);
        assertThat(a.finishReason()).isEqualTo(plain.finishReason() == dev.specdiff4j.engine.decoding.FinishReason.LENGTH
                ? FinishReason.LENGTH : FinishReason.STOP);
    }

    @Test
    void streamingLanguageModelStreamsTheSameText() {
        StreamingLanguageModel model = SpecDiff4jStreamingLanguageModel.builder().generator(generator).maxTokens(20).build();
        StringBuilder streamed = new StringBuilder();
        AtomicReference<Response<String>> done = new AtomicReference<>();
        model.generate(PROMPT, new StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {
                streamed.append(token);
            }

            @Override
            public void onComplete(Response<String> response) {
                done.set(response);
            }

            @Override
            public void onError(Throwable error) {
                throw new AssertionError(error);
            }
        });
        assertThat(done.get()).isNotNull();
        assertThat(streamed.toString()).isNotEmpty().isEqualTo(done.get().content());
        assertThat(done.get().content())
                .isEqualTo(SpecDiff4jLanguageModel.builder().generator(generator).maxTokens(20).build().generate(PROMPT).content());
    }

    @Test
    void chatModelRendersTheModelsOwnTemplateAndStopsWhereItEndsAReply() {
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(16).modelName("demo").build();
        ChatResponse r = chat.chat(SystemMessage.from("A conversation about the news."), UserMessage.from("What did the jury say?"));
        // the demo target's tokenizer_config.json: "Role: content" blocks with the role capitalized, then the assistant's cue
        String prompt = "System: A conversation about the news.\n\nUser: What did the jury say?\n\nAssistant:";
        GenerationResult expected = direct(prompt, GenerationConfig.builder().maxTokens(16).stop(List.of("\n\n")).build());
        assertThat(r.aiMessage().text()).isEqualTo(expected.text().stripLeading());
        assertThat(r.modelName()).isEqualTo("demo");
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(generator.tokenizer().encode(prompt).length);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(expected.tokens().length);
        assertThat(chat.defaultRequestParameters().stopSequences()).containsExactly("\n\n");
    }

    @Test
    void chatModelContinuesThePlainTranscriptWhenAskedTo() {
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(16).promptFormatter(ChatPrompts.plain()).build();
        List<ChatMessage> messages = List.of(SystemMessage.from("A conversation about the news."), UserMessage.from("What did the jury say?"));
        ChatResponse r = chat.chat(messages);
        String prompt = "A conversation about the news.\n\nUser: What did the jury say?\nAssistant:";
        GenerationResult expected = direct(prompt, GenerationConfig.builder().maxTokens(16).stop(List.of(ChatPrompts.PLAIN_TURN_END)).build());
        assertThat(r.aiMessage().text()).isEqualTo(expected.text().stripLeading()).doesNotContain("\nUser:");
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(generator.tokenizer().encode(prompt).length);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(expected.tokens().length);
        assertThat(chat.defaultRequestParameters().stopSequences()).containsExactly(ChatPrompts.PLAIN_TURN_END);
    }

    @Test
    void aModelWithoutATemplateFallsBackToThePlainTranscript() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "no-template");
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.createSymbolicLink(dir.resolve(file), DEMO.resolve("target").resolve(file).toAbsolutePath());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        try (SpecDiff4jChatModel chat = SpecDiff4jChatModel.builder().target(dir).mode(Mode.AR).kernels("reference", 1).maxTokens(8).build()) {
            assertThat(chat.defaultRequestParameters().stopSequences()).containsExactly(ChatPrompts.PLAIN_TURN_END);
            assertThat(chat.chat(UserMessage.from("Hello")).aiMessage().text()).isEqualTo(SpecDiff4jChatModel.builder().generator(generator)
                    .mode(Mode.AR).maxTokens(8).promptFormatter(ChatPrompts.plain()).build().chat(UserMessage.from("Hello")).aiMessage().text());
        }
    }

    @Test
    void aChatTemplateOfOurOwnReadsItsSpecialTokensAsIds() {
        ChatTemplate template = ChatTemplate.of("{% for m in messages %}{{ m.role }}: {{ m.content }}<|endoftext|>{% endfor %}"
                + "{% if add_generation_prompt %}assistant:{% endif %}", "", "<|endoftext|>");
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(6).chatTemplate(template).build();
        ChatResponse r = chat.chat(UserMessage.from("Hi"), AiMessage.from("Hello."), UserMessage.from("Bye"));
        String prompt = "user: Hi<|endoftext|>assistant: Hello.<|endoftext|>user: Bye<|endoftext|>assistant:";
        int[] ids = generator.tokenizer().encode(prompt, Tokenizer.SpecialTokens.AS_IDS);
        assertThat(ids).hasSizeLessThan(generator.tokenizer().encode(prompt).length).contains(generator.eosId());
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(ids.length);
        GenerationResult expected = generator.generate(ids, GenerationConfig.builder().maxTokens(6).stop(List.of("<|endoftext|>")).build(),
                GenerationListener.NONE, new Cancellation());
        assertThat(r.aiMessage().text()).isEqualTo(expected.text().stripLeading());
        assertThat(chat.defaultRequestParameters().stopSequences()).containsExactly("<|endoftext|>");
        assertThatThrownBy(() -> chat.chat(ToolExecutionResultMessage.from("1", "t", "r"))).isInstanceOf(UnsupportedFeatureException.class);
        assertThatThrownBy(() -> SpecDiff4jChatModel.builder().generator(generator).chatTemplate(template).promptFormatter(ChatPrompts.plain()).build())
                .hasMessage("set promptFormatter(...) or chatTemplate(...), not both");
    }

    @Test
    void tokenTreesAreASpeculativeSetting() {
        SpecDiff4jLanguageModel tree = SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.SD).gamma(3).tree(6).maxTokens(20).build();
        assertThat(tree.defaultConfig().tree()).isEqualTo(6);
        assertThat(tree.generate(PROMPT).content())
                .isEqualTo(SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.AR).maxTokens(20).build().generate(PROMPT).content());
        assertThat(SpecDiff4jChatModel.builder().generator(generator).tree(GenerationConfig.TREE_AUTO).build().defaultConfig().tree())
                .isEqualTo(GenerationConfig.TREE_AUTO);
        assertThatThrownBy(() -> SpecDiff4jLanguageModel.builder().generator(generator).tree(6).overlap(true).build())
                .hasMessageContaining("--tree cannot be combined with --overlap");
    }

    @Test
    void requestParametersOverrideTheDefaults() {
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(64).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Tell me a story."))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(3).temperature(0.8).build()).build());
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(1, 3);
        assertThat(chat.defaultRequestParameters().maxOutputTokens()).isEqualTo(64);
        assertThat(chat.defaultRequestParameters().stopSequences()).containsExactly("\n\n");
    }

    @Test
    void streamingChatStreamsTheAnswerAndReportsErrorsToTheHandler() {
        StreamingChatModel chat = SpecDiff4jStreamingChatModel.builder().generator(generator).maxTokens(12).build();
        StringBuilder partial = new StringBuilder();
        AtomicReference<ChatResponse> complete = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        StreamingChatResponseHandler handler = new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                complete.set(response);
            }

            @Override
            public void onError(Throwable e) {
                error.set(e);
            }
        };
        chat.chat(List.of(UserMessage.from("Hello")), handler);
        assertThat(error.get()).isNull();
        assertThat(partial.toString()).isEqualTo(complete.get().aiMessage().text());
        assertThat(complete.get().aiMessage().text())
                .isEqualTo(SpecDiff4jChatModel.builder().generator(generator).maxTokens(12).build().chat(UserMessage.from("Hello")).aiMessage().text());

        complete.set(null);
        ChatRequest withTools = ChatRequest.builder().messages(UserMessage.from("Hello"))
                .toolSpecifications(ToolSpecification.builder().name("weather").description("the weather").build()).build();
        chat.chat(withTools, handler);
        assertThat(error.get()).isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tools");
        assertThat(complete.get()).isNull();
    }

    @Test
    void thePromptFormatterIsPluggable() {
        List<List<ChatMessage>> seen = new ArrayList<>();
        ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(10)
                .promptFormatter(messages -> {
                    seen.add(messages);
                    return PROMPT;
                }).build();
        ChatResponse r = chat.chat(UserMessage.from("ignored by this formatter"));
        assertThat(seen).hasSize(1);
        assertThat(r.aiMessage().text())
                .isEqualTo(SpecDiff4jLanguageModel.builder().generator(generator).maxTokens(10).build().generate(PROMPT).content());
        assertThat(chat.defaultRequestParameters().stopSequences()).isEmpty();
    }

    @Test
    void plainFormatWritesTheTranscriptAndRefusesWhatItCannotShow() {
        String prompt = ChatPrompts.plain().apply(List.of(SystemMessage.from("Be brief."), UserMessage.from("Hi"), AiMessage.from("Hello."),
                UserMessage.from("Bye")));
        assertThat(prompt).isEqualTo("Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:");
        assertThatThrownBy(() -> ChatPrompts.plain().apply(List.of(ToolExecutionResultMessage.from("1", "t", "r"))))
                .isInstanceOf(UnsupportedFeatureException.class);
        assertThatThrownBy(() -> ChatPrompts.plain().apply(List.of())).hasMessageContaining("at least one message");
    }

    @Test
    void aModelBuiltFromPathsOwnsItsGenerator() {
        SpecDiff4jLanguageModel model = SpecDiff4jLanguageModel.builder().target(DEMO.resolve("target")).diffusionDrafter(DEMO.resolve("drafter"))
                .kernels("reference", 1).maxTokens(4).build();
        assertThat(model.generate(PROMPT).content()).isEqualTo(
                SpecDiff4jLanguageModel.builder().generator(generator).mode(Mode.AR).maxTokens(4).build().generate(PROMPT).content());
        Generator own = model.generator();
        model.close();
        assertThatThrownBy(() -> own.generate(PROMPT, GenerationConfig.builder().maxTokens(1).build())).isInstanceOf(GeneratorClosedException.class);
        SpecDiff4jLanguageModel.builder().generator(generator).build().close();
        assertThat(generator.generate(PROMPT, GenerationConfig.builder().maxTokens(1).build()).tokens()).hasSize(1);
    }

    @Test
    void badBuildersSayWhatIsMissing() {
        assertThatThrownBy(() -> SpecDiff4jChatModel.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("set either generator(...) or target(...)");
        assertThatThrownBy(() -> SpecDiff4jChatModel.builder().generator(generator).arDrafter(DEMO).build())
                .hasMessageContaining("set them with target(...)");
        assertThatThrownBy(() -> SpecDiff4jChatModel.builder().generator(generator).gamma(0).build()).hasMessageContaining("gamma");
    }
}
