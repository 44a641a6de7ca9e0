package dev.specdiff4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled demo models, the batch job's defaults when it is started by {@code bin/specdiff4j} (which sets {@code specdiff4j.home}). */
final class DemoModels {
    private DemoModels() {
    }

    static String path(String name) {
        String home = System.getProperty("specdiff4j.home");
        Path p = home == null ? null : Path.of(home, "models", "demo", name);
        if (p == null || !Files.exists(p)) {
            throw new IllegalArgumentException("no model was named and the bundled demo models were not found: give --model"
                    + (name.equals("target") ? "" : " and --" + (name.equals("drafter") ? "drafter" : "ar-drafter")));
        }
        return p.toString();
    }
}
