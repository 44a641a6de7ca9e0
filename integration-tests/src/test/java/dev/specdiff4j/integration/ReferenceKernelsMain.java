package dev.specdiff4j.integration;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.kernels.KernelsSelection;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Run in a child JVM by ReferenceKernelsWithoutVectorModuleTest: greedy tokens on the reference kernels, and what auto says. */
public final class ReferenceKernelsMain {
    static final String PROMPT = "The jury said";
    static final int TOKENS = 8;

    private ReferenceKernelsMain() {
    }

    static int[] generate(Path target) throws Exception {
        try (Generator g = Generator.open(ModelSpec.of(target).withKernels("reference", 1, 0))) {
            return g.generate(PROMPT, GenerationConfig.builder().mode(Mode.AR).maxTokens(TOKENS).stopAtEos(false).build()).tokens();
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("vector module: " + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "present" : "absent"));
        System.out.println("tokens: " + Arrays.stream(generate(Path.of(args[0]))).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        try {
            KernelsSelection.create(null, 1).close();
            System.out.println("auto: chose fast kernels");
        } catch (IllegalStateException e) {
            System.out.println("auto: " + e.getMessage());
        }
    }
}
