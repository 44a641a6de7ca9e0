package dev.specdiff4j.cli;

import dev.specdiff4j.tokenizer.Tokenizer;
import dev.specdiff4j.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text to token ids (space-separated, one line), or decode ids with --decode.",
            "The text (or the ids) comes from the argument, or from standard input when it is absent."})
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "A tokenizer.json, a .tiktoken file, or a folder holding a supported format. "
                    + "Default: the bundled demo tokenizer.")
    Path tokenizerPath;

    @Option(names = "--decode", description = "Turn ids back into text.")
    boolean decode;

    @Option(names = "--special", description = "Encode special-token text such as <|endoftext|> as the special id "
            + "(default: as ordinary text).")
    boolean special;

    @Option(names = "--count", description = "Print only the number of tokens.")
    boolean count;

    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "Text to encode, or ids to decode.")
    String text;

    @Override
    public Integer call() throws Exception {
        Path path = tokenizerPath != null ? tokenizerPath : DemoModels.tokenizer();
        Tokenizer tokenizer = Tokenizers.loadAny(path);
        String input = text != null ? text : Stdin.readAll(spec.commandLine().getErr());
        var out = spec.commandLine().getOut();
        if (decode) {
            String[] parts = input.trim().isEmpty() ? new String[0] : input.trim().split("[\\s,]+");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    ids[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + parts[i] + "' is not a token id");
                }
            }
            out.print(tokenizer.decode(ids));
            out.println();
        } else {
            int[] ids = tokenizer.encode(input, special ? Tokenizer.SpecialTokens.AS_IDS : Tokenizer.SpecialTokens.AS_TEXT);
            if (count) {
                out.println(ids.length);
            } else {
                StringBuilder line = new StringBuilder(ids.length * 6);
                for (int i = 0; i < ids.length; i++) line.append(i == 0 ? "" : " ").append(ids[i]);
                out.println(line);
            }
        }
        out.flush();
        return 0;
    }

}
