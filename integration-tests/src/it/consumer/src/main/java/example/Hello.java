package example;

import dev.langchain4j.model.chat.ChatModel;
import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.langchain4j.SpecDiff4jChatModel;

import java.nio.file.Path;

/** Generates with the engine, then chats through LangChain4j on the same Generator. Argument: the models/demo folder. */
public class Hello {
    public static void main(String[] args) throws Exception {
        Path demo = Path.of(args.length > 0 ? args[0] : "models/demo");
        try (Generator generator = Generator.open(ModelSpec.of(demo.resolve("target")).withDiffusionDrafter(demo.resolve("drafter")))) {
            GenerationResult r = generator.generate("The jury said",
                    GenerationConfig.builder().mode(Mode.SPECDIFF).maxTokens(16).build());
            System.out.println("engine: " + r.text());
            ChatModel chat = SpecDiff4jChatModel.builder().generator(generator).maxTokens(16).build();
            System.out.println("langchain4j: " + chat.chat("What did the jury say?"));
        }
    }
}
