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
 * in the pom every module inherits (and in the BOM, which has no parent), and a -sources and a -javadoc jar for each jar.
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
    void everyPublishedJarHasSourcesBesideIt() {
        String version = System.getProperty("specdiff4j.version");
        List<Path> jars = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                .filter(p -> PUBLISHED.stream().anyMatch(n -> p.getFileName().toString().equals(n + "-" + version + ".jar")))
                .filter(Files::isRegularFile).toList();
        assumeTrue(jars.size() == PUBLISHED.size(), "the class path holds build folders, not jars: run through ./mvnw verify to check the jars");
        for (Path jar : jars) assertThat(jar.resolveSibling(base(jar) + "-sources.jar")).as("sources of " + jar).isRegularFile();
    }

    /** The javadoc jars are built in verify (after these tests in a module's own build), so their build is checked in the poms. */
    @Test
    void everyModuleBuildsSourcesAndJavadocJars() throws Exception {
        Element plugins = child(child(parse(Sources.ROOT.resolve("pom.xml")).getDocumentElement(), "build"), "plugins");
        assertThat(goalsOf(plugins, "maven-source-plugin")).contains("jar-no-fork");
        assertThat(goalsOf(plugins, "maven-javadoc-plugin")).contains("jar");
        for (String artifact : PUBLISHED) {
            Path pom = Sources.ROOT.resolve(artifact.substring("specdiff4j-".length())).resolve("pom.xml");
            assertThat(Files.readString(pom)).as(pom + " skips no sources or javadoc").doesNotContain("maven.javadoc.skip")
                    .doesNotContain("maven.source.skip");
        }
    }

    private static List<String> goalsOf(Element plugins, String artifactId) {
        for (Node n = plugins.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element plugin && plugin.getTagName().equals("plugin") && text(plugin, "artifactId").equals(artifactId)) {
                return List.of(goalTexts(child(plugin, "executions")));
            }
        }
        throw new AssertionError("the parent pom's build has no " + artifactId);
    }

    private static String[] goalTexts(Element executions) {
        org.w3c.dom.NodeList goals = executions.getElementsByTagName("goal");
        String[] out = new String[goals.getLength()];
        for (int i = 0; i < out.length; i++) out[i] = goals.item(i).getTextContent().strip();
        return out;
    }

    private static String base(Path jar) {
        return jar.getFileName().toString().replaceFirst("\\.jar$", "");
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
