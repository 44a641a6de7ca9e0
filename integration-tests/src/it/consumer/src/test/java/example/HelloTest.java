package example;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs under Surefire with the guide's argLine; -Dmodels names the models/demo folder. */
class HelloTest {
    @Test
    void speculativeTextEqualsPlainGreedyTextAndLangChain4jAnswers() throws Exception {
        Path demo = Path.of(System.getProperty("models"));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Hello.main(new String[] {demo.toString()});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);

        String greedy;
        try (Generator target = Generator.open(ModelSpec.of(demo.resolve("target")))) {
            greedy = target.generate("The jury said", GenerationConfig.builder().mode(Mode.AR).maxTokens(16).build()).text();
        }
        assertTrue(!greedy.isBlank(), "the target model generated nothing");
        assertTrue(out.startsWith("engine: " + greedy + "\n"), out);
        assertTrue(out.matches("(?s).*\nlangchain4j: \\S.*"), out);
    }
}
