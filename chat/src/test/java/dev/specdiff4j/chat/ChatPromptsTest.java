package dev.specdiff4j.chat;

import dev.specdiff4j.tokenizer.BpeTokenizer;
import dev.specdiff4j.tokenizer.BpeTrainer;
import dev.specdiff4j.tokenizer.PreTokenizer;
import dev.specdiff4j.tokenizer.SequenceMarks;
import dev.specdiff4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A conversation's prompt starts with the BOS the tokenizer asks for, once, whether or not the template writes it. */
class ChatPromptsTest {
    private static final String BODY = "{% for m in messages %}{{ m.role }}: {{ m.content }}{{ '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";
    private static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.user("hello world"));

    /** A small trained tokenizer whose special tokens are {@code <s>} (asked for as BOS when {@code withBos}) and {@code </s>}. */
    private static Tokenizer tokenizer(boolean withBos) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 20; i++) docs.add("user: hello world " + i + "\nassistant:");
        BpeTokenizer trained = new BpeTrainer(new BpeTrainer.Options(280, List.of("<s>", "</s>"), PreTokenizer.GPT2, 2), null).train(docs);
        int bos = trained.specialTokenId("<s>").orElseThrow();
        return new BpeTokenizer(new BpeTokenizer.Spec("test", trained.tokens().toArray(byte[][]::new), trained.mergeList(),
                trained.specialTokens(), PreTokenizer.GPT2, false, false, withBos ? new SequenceMarks(bos, -1) : SequenceMarks.NONE));
    }

    @Test
    void aTemplateWithoutBosGetsTheTokenizersBos() {
        Tokenizer t = tokenizer(true);
        int bos = t.specialTokenId("<s>").orElseThrow();
        int[] rendered = t.encode("user: hello world\nassistant:");
        int[] prompt = ChatPrompts.encode(ChatTemplate.of(BODY, "<s>", "</s>"), t, CONVERSATION);
        assertThat(prompt).startsWith(bos).hasSize(rendered.length + 1);
    }

    @Test
    void aTemplateThatWritesBosGetsNoSecond() {
        Tokenizer t = tokenizer(true);
        int bos = t.specialTokenId("<s>").orElseThrow();
        int[] prompt = ChatPrompts.encode(ChatTemplate.of("{{ bos_token }}" + BODY, "<s>", "</s>"), t, CONVERSATION);
        assertThat(prompt).startsWith(bos);
        assertThat(prompt[1]).isNotEqualTo(bos);
        assertThat(prompt).hasSize(t.encode("user: hello world\nassistant:").length + 1);
    }

    @Test
    void aTokenizerThatAsksForNothingGetsTheRenderedTextAlone() {
        Tokenizer t = tokenizer(false);
        assertThat(ChatPrompts.encode(ChatTemplate.of(BODY, "<s>", "</s>"), t, CONVERSATION)).containsExactly(t.encode("user: hello world\nassistant:"));
    }
}
