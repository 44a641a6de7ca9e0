package dev.specdiff4j.integration;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer project in src/test/resources/consumer, as a user would write it from docs/embedding.md: its pom imports the
 * BOM and names specdiff4j artifacts without versions; its sources compile against the jars and its main program runs
 * (in-process, in a class loader of its own) on the demo models, through the engine and through LangChain4j.
 */
class PlainMavenConsumerTest {
    private static final Path CONSUMER = Path.of("src", "test", "resources", "consumer");

    static Document xml(Path p) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(p.toFile());
    }

    static String child(Element e, String name) {
        NodeList l = e.getElementsByTagName(name);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }

    static List<Element> dependencies(Element parent) {
        List<Element> out = new ArrayList<>();
        NodeList deps = parent.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) out.add((Element) deps.item(i));
        return out;
    }

    @Test
    void thePomImportsTheBomAndLeavesTheVersionsToIt() throws Exception {
        Document pom = xml(CONSUMER.resolve("pom.xml"));
        Element management = (Element) pom.getElementsByTagName("dependencyManagement").item(0);
        Element bom = dependencies(management).getFirst();
        assertThat(child(bom, "artifactId")).isEqualTo("specdiff4j-bom");
        assertThat(child(bom, "version")).isEqualTo(System.getProperty("specdiff4j.version"));
        assertThat(child(bom, "scope")).isEqualTo("import");

        Set<String> managed = BomTest.bomArtifacts();
        Element project = pom.getDocumentElement();
        List<Element> used = dependencies(project).stream().filter(d -> d.getParentNode().getParentNode() == project).toList();
        assertThat(used).isNotEmpty();
        for (Element d : used) {
            assertThat(child(d, "version")).as(child(d, "artifactId") + " takes its version from the BOM").isNull();
            assertThat(managed).contains(child(d, "artifactId"));
        }
        assertThat(Files.readString(CONSUMER.resolve("pom.xml"))).contains("<argLine>--add-modules jdk.incubator.vector</argLine>");
    }

    @Test
    void theProjectCompilesAndRunsAgainstTheJars() throws Exception {
        List<Sources.Unit> units;
        try (Stream<Path> files = Files.walk(CONSUMER.resolve("src/main/java"))) {
            units = files.filter(p -> p.toString().endsWith(".java")).map(p -> {
                try {
                    String name = CONSUMER.resolve("src/main/java").relativize(p).toString().replace('/', '.').replaceAll("\\.java$", "");
                    return new Sources.Unit(name, Files.readString(p));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.toList());
        }
        Path classes = Path.of("target", "consumer-classes");
        assertThat(Sources.compile(units, classes)).isEmpty();

        Path demo = Sources.ROOT.resolve("models/demo");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            loader.loadClass("example.Hello").getMethod("main", String[].class).invoke(null, (Object) new String[] {demo.toString()});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);

        String expected;
        try (Generator g = Generator.open(ModelSpec.of(demo.resolve("target")))) {
            expected = g.generate("The jury said", GenerationConfig.builder().mode(Mode.AR).maxTokens(16).build()).text();
        }
        assertThat(out).startsWith("engine: " + expected + "\n");
        assertThat(out).containsPattern("\nlangchain4j: \\S");
    }
}
