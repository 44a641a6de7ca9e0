package dev.specdiff4j.cli;

import java.io.FileNotFoundException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the bundled demo models ({@code models/demo} in the repository). {@code bin/specdiff4j} passes
 * the repository root as {@code specdiff4j.home}; otherwise the folder is looked for above the jar.
 */
public final class DemoModels {
    private DemoModels() {
    }

    public static Path folder() throws FileNotFoundException {
        String home = System.getProperty("specdiff4j.home");
        if (home != null) {
            Path p = Path.of(home, "models", "demo");
            if (Files.isDirectory(p)) return p;
        }
        try {
            Path jar = Path.of(DemoModels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
                Path p = dir.resolve("models").resolve("demo");
                if (Files.isDirectory(p)) return p;
            }
        } catch (URISyntaxException | SecurityException ignored) {
            // fall through to the error below
        }
        throw new FileNotFoundException("the bundled demo models (models/demo) were not found; "
                + "run bin/specdiff4j from the repository, or name a model or tokenizer explicitly");
    }

    public static Path target() throws FileNotFoundException {
        return existing(folder().resolve("target"), "demo target");
    }

    public static Path drafter() throws FileNotFoundException {
        return existing(folder().resolve("drafter"), "demo diffusion drafter");
    }

    /**
     * The main job's drafter among the bundled models: the block drafter, the faster one on the tuning prompts
     * (docs/notes/17-defaults-round2.md), where it can run (it reads the bundled target's hidden states on the CPU and cannot
     * draft ahead), else the MDLM.
     *
     * @param bundledTarget the target is the bundled one
     * @param overlap       overlapped drafting was asked for
     * @param onCpu         target and drafter compute on the CPU
     */
    public static Path mainJobDrafter(boolean bundledTarget, boolean overlap, boolean onCpu) throws FileNotFoundException {
        Path block = folder().resolve("block-drafter");
        if (bundledTarget && !overlap && onCpu && Files.isDirectory(block)) return block;
        return drafter();
    }

    /** {@link #mainJobDrafter}, or null when the demo models are absent. */
    public static Path mainJobDrafterIfPresent(boolean bundledTarget) {
        try {
            return mainJobDrafter(bundledTarget, false, true);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    public static Path arDrafter() throws FileNotFoundException {
        return existing(folder().resolve("ar-drafter"), "demo autoregressive drafter");
    }

    /** The bundled diffusion drafter, or null when the demo models are absent. */
    public static Path drafterIfPresent() {
        try {
            return drafter();
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    public static Path arDrafterIfPresent() {
        try {
            return arDrafter();
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private static Path existing(Path p, String what) throws FileNotFoundException {
        if (!Files.exists(p)) throw new FileNotFoundException("the bundled " + what + " " + p + " is missing");
        return p;
    }

    public static Path tokenizer() throws FileNotFoundException {
        Path p = folder().resolve("tokenizer.json");
        if (!Files.isRegularFile(p)) throw new FileNotFoundException("the bundled demo tokenizer " + p + " is missing");
        return p;
    }
}
