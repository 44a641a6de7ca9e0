package dev.specdiff4j.integration;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a repository such as Maven Central refuses a release without: a name, description, URL, licence, developer and SCM
 * in the pom every module inherits (and in the BOM, which has no parent), and a -sources and a -javadoc jar beside each jar.
 */
class PublishingMetadataTest {
    private static final List<String> PUBLISHED = List.of("specdiff4j-tokenizer", "specdiff4j-engine", "specdiff4j-weights-tools",
            "specdiff4j-chat", "specdiff4j-server", "specdiff4j-langchain4j", "specdiff4j-tornado-kernels");

    @Test
    void theParentAndTheBomCarryTheMetadata() throws Exception {
        for (Path pom : List.of(Sources.ROOT.resolve("pom.xml"), Sources.ROOT.resolve("bom/pom.xml"))) {
            Element project = parse(pom).getDocumentElement();
            for (String field : List.of("name", "description", "url")) {
                assertThat(text(project, field)).as(pom + " <" + field + ">").isNotBlank();
            }
            Element license = child(child(project, "licenses"), "license");
            assertThat(text(license, "name")).as(pom + " licence").isEqualTo("Apache-2.0");
            assertThat(text(license, "url")).isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
            assertThat(text(child(child(project, "developers"), "developer"), "name")).as(pom + " developer").isNotBlank();
            Element scm = child(project, "scm");
            assertThat(text(scm, "url")).as(pom + " scm").isEqualTo(text(project, "url"));
            assertThat(text(scm, "connection")).startsWith("scm:git:");
        }
        assertThat(Files.readString(Sources.ROOT.resolve("LICENSE"))).contains("Apache License").contains("Version 2.0");
    }

    @Test
    void everyPublishedJarHasSourcesAndJavadocBesideIt() {
        String version = System.getProperty("specdiff4j.version");
        List<Path> jars = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                .filter(p -> PUBLISHED.stream().anyMatch(n -> p.getFileName().toString().equals(n + "-" + version + ".jar")))
                .filter(Files::isRegularFile).toList();
        assumeTrue(jars.size() == PUBLISHED.size(), "the class path holds build folders, not jars: run through ./mvnw verify to check the jars");
        for (Path jar : jars) {
            String base = jar.getFileName().toString().replaceFirst("\\.jar$", "");
            assertThat(jar.resolveSibling(base + "-sources.jar")).as("sources of " + jar).isRegularFile();
            // the javadoc jar is built in verify, after this module's tests when the jars come from the local repository
            Path javadoc = jar.resolveSibling(base + "-javadoc.jar");
            if (jar.getParent().getFileName().toString().equals("target")) assertThat(javadoc).as("javadoc of " + jar).isRegularFile();
        }
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(pom.toFile());
    }

    private static Element child(Element parent, String name) {
        assertThat(parent).isNotNull();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) return e;
        }
        throw new AssertionError("<" + parent.getTagName() + "> has no <" + name + ">");
    }

    private static String text(Element parent, String name) {
        return child(parent, name).getTextContent().strip();
    }
}
