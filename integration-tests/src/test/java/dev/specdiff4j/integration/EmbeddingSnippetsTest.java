package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fenced {@code java} block of the README and the embedding guide compiles exactly as written. A block that declares
 * a class is compiled as a file; any other block keeps its leading imports and has the rest put in a method body (so that a
 * short example must still name everything it uses).
 */
class EmbeddingSnippetsTest {
    private static final Pattern BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
    private static final Pattern PUBLIC_CLASS = Pattern.compile("(?m)^public (?:final )?class (\\w+)");

    static List<Sources.Unit> units(String document, String prefix) {
        List<Sources.Unit> units = new ArrayList<>();
        Matcher m = BLOCK.matcher(document);
        while (m.find()) {
            String code = m.group(1);
            int line = document.substring(0, m.start()).split("\n", -1).length + 1;
            Matcher c = PUBLIC_CLASS.matcher(code);
            if (c.find()) {
                units.add(new Sources.Unit(c.group(1), code));
                continue;
            }
            StringBuilder imports = new StringBuilder();
            StringBuilder body = new StringBuilder();
            for (String l : code.split("\n", -1)) {
                if (body.isEmpty() && (l.startsWith("import ") || l.isBlank())) imports.append(l).append('\n');
                else body.append(l).append('\n');
            }
            String name = prefix + "Line" + line;
            units.add(new Sources.Unit(name, imports + "public class " + name + " {\n    static void snippet() throws Exception {\n"
                    + body + "    }\n}\n"));
        }
        return units;
    }

    private static void compilesAsWritten(Path doc, String prefix, int atLeast) throws Exception {
        List<Sources.Unit> units = units(Files.readString(doc), prefix);
        assertThat(units).as("java blocks in " + doc).hasSizeGreaterThanOrEqualTo(atLeast);
        String errors = Sources.compile(units, Path.of("target", "snippets", prefix));
        assertThat(errors).as("javac errors in the java blocks of " + Sources.ROOT.relativize(doc)).isEmpty();
    }

    @Test
    void readmeSnippetsCompile() throws Exception {
        compilesAsWritten(Sources.ROOT.resolve("README.md"), "Readme", 2);
    }

    @Test
    void embeddingGuideSnippetsCompile() throws Exception {
        compilesAsWritten(Sources.ROOT.resolve("docs/embedding.md"), "Embedding", 5);
    }

    @Test
    void aSnippetWithAMissingImportIsCaught() throws Exception {
        // the README's old embedding snippet: Path and List used without their imports
        String doc = """
                ```java
                import dev.specdiff4j.engine.api.*;

                var spec = ModelSpec.of(Path.of("models/demo/target"));
                List<String> stop = List.of("\\n");
                ```
                """;
        List<Sources.Unit> units = units(doc, "Broken");
        assertThat(units).hasSize(1);
        assertThat(Sources.compile(units, Path.of("target", "snippets", "broken"))).contains("Path").contains("List");
    }
}
