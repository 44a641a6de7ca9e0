package dev.specdiff4j.cli;

import dev.specdiff4j.chat.ChatMessage;
import dev.specdiff4j.chat.ChatPrompts;
import dev.specdiff4j.chat.ChatTemplate;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** chat (multi-turn, piped stdin) and generate --chat on the bundled demo models, against replies built with the API. */
class ChatCommandTest {
    private static final int MAX_TOKENS = 8;

    /** The greedy reply to a conversation, built with ChatPrompts and plain autoregressive decoding. */
    private static String reply(Generator g, List<ChatMessage> conversation) throws Exception {
        ChatTemplate template = ChatPrompts.template(g).orElseThrow();
        GenerationConfig config = ChatPrompts.stopAtReplyEnd(template, GenerationConfig.builder().mode(Mode.AR).maxTokens(MAX_TOKENS)
                .sampling(SamplingConfig.greedy()).build());
        return g.generate(ChatPrompts.encode(template, g.tokenizer(), conversation), config, GenerationListener.NONE, new Cancellation()).text();
    }

    @Test
    void chatKeepsTheConversationAcrossTurnsAndSpeculationChangesNothing() throws Exception {
        String first;
        String second;
        try (Generator g = Generator.open(ModelSpec.of(DemoModels.target()))) {
            List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello there.")));
            first = reply(g, conversation);
            conversation.add(ChatMessage.assistant(first));
            conversation.add(ChatMessage.user("What did the jury say?"));
            second = reply(g, conversation);
        }
        byte[] stdin = "Hello there.\n\nWhat did the jury say?\n/exit\nnever read\n".getBytes(StandardCharsets.UTF_8);
        for (String mode : List.of("ar", "specdiff")) {
            CliTestSupport.Result r = CliTestSupport.runWithStdin(stdin, "chat", "--mode", mode, "--system", "Be brief.", "--max-tokens",
                    "" + MAX_TOKENS, "--threads", "2");
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).as(mode).isEqualTo(first + System.lineSeparator() + second + System.lineSeparator());
            assertThat(r.err()).contains("chat template from").contains("[" + mode + "]");
        }
        CliTestSupport.Result reset = CliTestSupport.runWithStdin("Hello there.\n/reset\nHello there.\n".getBytes(StandardCharsets.UTF_8),
                "chat", "--mode", "ar", "--system", "Be brief.", "--max-tokens", "" + MAX_TOKENS, "--threads", "2");
        assertThat(reset.out()).isEqualTo(first + System.lineSeparator() + first + System.lineSeparator());
        assertThat(reset.err()).contains("(conversation reset)");
    }

    @Test
    void generateChatRendersTheUserMessageWithTheTemplate() throws Exception {
        String expected;
        try (Generator g = Generator.open(ModelSpec.of(DemoModels.target()))) {
            expected = reply(g, List.of(ChatMessage.system("Be brief."), ChatMessage.user("Tell me about the city.")));
        }
        CliTestSupport.Result r = CliTestSupport.run("generate", "--chat", "--system", "Be brief.", "--mode", "ar", "--max-tokens",
                "" + MAX_TOKENS, "--threads", "2", "Tell me about the city.");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(expected + System.lineSeparator());
        CliTestSupport.Result noChat = CliTestSupport.run("generate", "--system", "x", "--mode", "ar", "hello");
        assertThat(noChat.exitCode()).isNotZero();
        assertThat(noChat.err()).contains("--system needs --chat");
    }

    @Test
    void aModelWithoutATemplateIsAClearError(@TempDir Path dir) throws Exception {
        Path target = TinyModels.withTokenizer("gpt2-tiny", dir);
        CliTestSupport.Result r = CliTestSupport.runWithStdin("hi\n".getBytes(StandardCharsets.UTF_8), "chat", "--mode", "ar", "--model", target.toString());
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("has no chat template").contains("use generate without --chat");
        CliTestSupport.Result g = CliTestSupport.run("generate", "--chat", "--mode", "ar", "--model", target.toString(), "hi");
        assertThat(g.exitCode()).isNotZero();
        assertThat(g.err()).contains("has no chat template");
    }
}
