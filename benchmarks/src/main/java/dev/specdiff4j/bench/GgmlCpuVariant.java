package dev.specdiff4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One of the CPU builds of ggml that a prebuilt llama.cpp ships side by side ({@code libggml-cpu-haswell.so},
 * {@code libggml-cpu-zen4.so}, …), with the score it gives itself on this CPU: each variant exports
 * {@code int ggml_backend_score(void)}, 0 when the CPU lacks an instruction set it was compiled for, otherwise higher for
 * the more specialised builds. The best variant is the one with the highest score, the one llama.cpp's own loader picks.
 */
public record GgmlCpuVariant(String name, Path library, int score) {
    static final String PREFIX = "libggml-cpu-";

    /** Every variant in a folder, scored on this CPU, best first. */
    public static List<GgmlCpuVariant> scored(Path folder) {
        List<Path> libraries;
        try (Stream<Path> files = Files.list(folder)) {
            libraries = files.filter(p -> p.getFileName().toString().startsWith(PREFIX) && p.getFileName().toString().endsWith(".so"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        return libraries.stream().map(GgmlCpuVariant::scoreOf).sorted(Comparator.comparingInt(GgmlCpuVariant::score).reversed()).toList();
    }

    /** The highest-scoring variant; an error when the folder has none this CPU can run. */
    public static GgmlCpuVariant best(Path folder) {
        List<GgmlCpuVariant> all = scored(folder);
        if (all.isEmpty() || all.get(0).score() <= 0) {
            throw new IllegalArgumentException(folder + " holds no " + PREFIX + "*.so that this CPU can run (found "
                    + all.stream().map(GgmlCpuVariant::name).toList() + ")");
        }
        return all.get(0);
    }

    private static GgmlCpuVariant scoreOf(Path library) {
        String file = library.getFileName().toString();
        String name = file.substring(PREFIX.length(), file.length() - ".so".length());
        // loaded only to ask for its score, then unloaded (the arena's close): llama.cpp's loader does the same
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup = SymbolLookup.libraryLookup(library, arena);
            var symbol = lookup.find("ggml_backend_score");
            if (symbol.isEmpty()) return new GgmlCpuVariant(name, library, 0);
            MethodHandle score = Linker.nativeLinker().downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            return new GgmlCpuVariant(name, library, (int) score.invokeExact());
        } catch (IllegalArgumentException e) {
            return new GgmlCpuVariant(name, library, 0); // not loadable here
        } catch (Throwable t) {
            throw new IllegalStateException("asking " + library + " for its score failed", t);
        }
    }
}
