package dev.specdiff4j.spark;

import org.apache.spark.SparkFiles;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a model named in the settings lies on this machine: the path itself when it exists (a local folder, or shared
 * storage mounted on every node), else the copy Spark made of a file or archive shipped with {@code --files} /
 * {@code --archives} (looked up by name in {@link SparkFiles}).
 */
public final class ModelPaths {
    private ModelPaths() {
    }

    /** The model's local path, or an exception whose message says what is missing and how to provide it. */
    public static Path resolve(String what, String name) {
        Path direct = Path.of(name);
        if (Files.exists(direct)) return checked(what, name, direct);
        Path shipped = shipped(name);
        if (shipped != null && Files.exists(shipped)) return checked(what, name, shipped);
        throw new IllegalArgumentException("the " + what + " model " + name + " does not exist on this machine: give a path that "
                + "every executor can read (shared storage), or ship it with --archives / --files and give its name");
    }

    private static Path checked(String what, String name, Path p) {
        if (Files.isDirectory(p) && !Files.isRegularFile(p.resolve("config.json"))) {
            throw new IllegalArgumentException("the " + what + " model folder " + name + " has no config.json: "
                    + "give an HF model folder or a .gguf file");
        }
        return p;
    }

    private static Path shipped(String name) {
        try {
            return Path.of(SparkFiles.get(name));
        } catch (RuntimeException noSparkContextOrBadName) {
            return null;
        }
    }
}
