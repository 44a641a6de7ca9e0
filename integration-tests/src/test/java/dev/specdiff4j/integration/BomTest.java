package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The BOM lists every published module, at the build's version, and nothing that does not exist. */
class BomTest {
    /** Built and tested here, never published: not in the BOM. */
    private static final Set<String> UNPUBLISHED = Set.of("benchmarks", "bom", "integration-tests");

    static Set<String> bomArtifacts() throws Exception {
        Document bom = PlainMavenConsumerTest.xml(Sources.ROOT.resolve("bom/pom.xml"));
        Set<String> out = new LinkedHashSet<>();
        for (Element d : PlainMavenConsumerTest.dependencies(bom.getDocumentElement())) out.add(PlainMavenConsumerTest.child(d, "artifactId"));
        return out;
    }

    @Test
    void everyPublishedModuleIsInTheBomAtTheBuildsVersion() throws Exception {
        Document parent = PlainMavenConsumerTest.xml(Sources.ROOT.resolve("pom.xml"));
        NodeList modules = parent.getElementsByTagName("module");
        Set<String> published = new LinkedHashSet<>();
        for (int i = 0; i < modules.getLength(); i++) {
            String module = modules.item(i).getTextContent().trim();
            if (UNPUBLISHED.contains(module)) continue;
            Document pom = PlainMavenConsumerTest.xml(Sources.ROOT.resolve(module).resolve("pom.xml"));
            published.add(direct(pom.getDocumentElement(), "artifactId"));
        }
        assertThat(published).hasSizeGreaterThanOrEqualTo(7);
        assertThat(bomArtifacts()).containsExactlyInAnyOrderElementsOf(published);

        Document bom = PlainMavenConsumerTest.xml(Sources.ROOT.resolve("bom/pom.xml"));
        String version = System.getProperty("specdiff4j.version");
        assertThat(direct(bom.getDocumentElement(), "version")).isEqualTo(version);
        assertThat(Files.readString(Sources.ROOT.resolve("bom/pom.xml"))).contains("<specdiff4j.version>" + version + "</specdiff4j.version>");
        assertThat(bom.getElementsByTagName("parent").getLength()).as("the BOM has no parent, so importing it brings nothing else").isZero();
    }

    private static String direct(Element e, String name) {
        NodeList children = e.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element c && c.getTagName().equals(name)) return c.getTextContent().trim();
        }
        return null;
    }
}
