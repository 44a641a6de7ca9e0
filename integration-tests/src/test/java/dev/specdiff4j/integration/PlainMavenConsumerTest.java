package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer project in src/it/consumer, as a user would write it from docs/embedding.md: its pom imports the BOM and names
 * specdiff4j artifacts without versions, and sets the guide's JVM flag for Surefire and exec. The maven-invoker-plugin
 * (this module's pom) builds it with Maven and runs it on the demo models in the integration-test phase.
 */
class PlainMavenConsumerTest {
    private static final Path CONSUMER = Path.of("src", "it", "consumer");

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
        List<Element> specdiff4j = dependencies(project).stream()
                .filter(d -> d.getParentNode().getParentNode() == project && "dev.specdiff4j".equals(child(d, "groupId"))).toList();
        assertThat(specdiff4j).extracting(d -> child(d, "artifactId")).contains("specdiff4j-engine", "specdiff4j-langchain4j");
        for (Element d : specdiff4j) {
            assertThat(child(d, "version")).as(child(d, "artifactId") + " takes its version from the BOM").isNull();
            assertThat(managed).contains(child(d, "artifactId"));
        }
    }

    @Test
    void thePomSetsTheGuidesJvmFlagForSurefireAndExec() throws Exception {
        String pom = Files.readString(CONSUMER.resolve("pom.xml"));
        assertThat(pom).contains("<argLine>--add-modules jdk.incubator.vector</argLine>");
        assertThat(pom).contains("<executable>java</executable>")
                .containsPattern("<argument>--add-modules</argument>\\s*<argument>jdk.incubator.vector</argument>");
    }
}
