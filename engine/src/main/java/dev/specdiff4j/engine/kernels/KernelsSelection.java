package dev.specdiff4j.engine.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds kernel implementations and creates the one asked for (or the best available). */
public final class KernelsSelection {
    private KernelsSelection() {
    }

    public static List<KernelsFactory> factories() {
        List<KernelsFactory> all = new ArrayList<>();
        ServiceLoader.load(KernelsFactory.class).forEach(all::add);
        all.sort(Comparator.comparingInt(KernelsFactory::priority).reversed());
        return all;
    }

    /**
     * Kernels by name ("vector", "reference", ...) or, for null / "auto", the available one of
     * highest priority. A named implementation that is unknown or unavailable is an error.
     */
    public static Kernels create(String name, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        List<KernelsFactory> all = factories();
        if (name == null || name.equals("auto")) {
            for (KernelsFactory f : all) {
                if (f.unavailableReason() == null && !f.name().equals("reference")) return f.create(threads);
            }
            String reasons = all.stream().filter(f -> f.unavailableReason() != null)
                    .map(f -> f.name() + ": " + f.unavailableReason()).collect(Collectors.joining("; "));
            throw new IllegalStateException("no fast kernels are available (" + reasons
                    + "); ask for the slow scalar ones explicitly with --kernels reference");
        }
        for (KernelsFactory f : all) {
            if (f.name().equals(name)) {
                if (f.unavailableReason() != null) {
                    throw new IllegalStateException("the " + name + " kernels are not available: " + f.unavailableReason());
                }
                return f.create(threads);
            }
        }
        throw new IllegalArgumentException("unknown kernels '" + name + "' (available: "
                + all.stream().map(KernelsFactory::name).collect(Collectors.joining(", ")) + ")");
    }

    /** The vector kernels' factory. */
    public static final class VectorFactory implements KernelsFactory {
        @Override
        public String name() {
            return "vector";
        }

        @Override
        public int priority() {
            return 10;
        }

        @Override
        public String unavailableReason() {
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? null
                    : "the JVM was started without --add-modules jdk.incubator.vector";
        }

        @Override
        public Kernels create(int threads) {
            return new VectorKernels(threads);
        }
    }

    /** The scalar reference kernels' factory (never chosen automatically). */
    public static final class ReferenceFactory implements KernelsFactory {
        @Override
        public String name() {
            return "reference";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public String unavailableReason() {
            return null;
        }

        @Override
        public Kernels create(int threads) {
            return new ReferenceKernels();
        }
    }
}
