package dev.specdiff4j.integration;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Compiles Java source text with javax.tools against this test's class path (the specdiff4j jars and their dependencies). */
final class Sources {
    /** The repository's root: the tests run in integration-tests/. */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private Sources() {
    }

    record Unit(String className, String code) {
    }

    /** Compiles the units into {@code out}; returns javac's errors, one per line (empty: it compiled). */
    static String compile(List<Unit> units, Path out) throws IOException {
        Files.createDirectories(out);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> files = new ArrayList<>();
        for (Unit u : units) {
            files.add(new SimpleJavaFileObject(URI.create("string:///" + u.className().replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return u.code();
                }
            });
        }
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path"), "-proc:none",
                    "-Xlint:none");
            javac.getTask(null, fm, diagnostics, options, null, files).call();
        }
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(d -> (d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ") + d.getMessage(Locale.ROOT))
                .collect(Collectors.joining("\n"));
    }
}
