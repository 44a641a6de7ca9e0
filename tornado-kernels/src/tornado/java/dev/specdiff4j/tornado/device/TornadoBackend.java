package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.device.DeviceBackend;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.tornado.Parallel;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.stream.Stream;

/**
 * The "tornado" device backend: targets of every decoder family the core runs, and MDLM drafters, computed on a TornadoVM
 * device. Usable only in a JVM started with TornadoVM's argfile and
 * {@code -Dtornado.load.annotation.parallel=dev.specdiff4j.tornado.Parallel}. Tuning (system properties):
 * {@code specdiff4j.tornado.rows} tokens per device pass (default 32; longer prompts go in chunks),
 * {@code specdiff4j.tornado.logitRows} logits rows per target pass (default 16), {@code specdiff4j.tornado.sessions}
 * concurrent target sessions (default 2; each holds a key/value cache on the device), {@code specdiff4j.tornado.context}
 * the most positions a target session holds (default 4096, at most the model's context), {@code specdiff4j.tornado.draftRows} the longest block a drafter unmasks on the device (default 16, at most its model
 * length; a longer block brings its logits back in chunks and unmasks on the host), {@code specdiff4j.tornado.draftSlots}
 * concurrent drafts (default 2).
 */
public final class TornadoBackend implements DeviceBackend {
    static final String PARALLEL = Parallel.class.getName();
    private static final Map<MaskedDiffusionLm, Map<String, DrafterOnDevice>> DRAFTERS = new WeakHashMap<>();

    static {
        // Defaults TornadoVM reads once, when its runtime starts (explicit -D flags win): room for the bytecode of a
        // whole-model graph (the default 4 KB holds a few dozen tasks), and an error instead of silently running the
        // kernels as sequential Java when a kernel cannot be compiled for the device.
        System.getProperties().putIfAbsent("tornado.tvm.maxbytecodesize", "1048576");
        System.getProperties().putIfAbsent("tornado.recover.bailout", "False");
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public String unavailableReason() {
        if (System.getProperty("tornado.load.api.implementation") == null) {
            return "the JVM was not started with TornadoVM's argfile (java @$TORNADOVM_HOME/tornado-argfile"
                    + " -Dtornado.load.annotation.parallel=" + PARALLEL + " ...)";
        }
        if (!PARALLEL.equals(System.getProperty("tornado.load.annotation.parallel"))) {
            return "-Dtornado.load.annotation.parallel=" + PARALLEL + " is missing after the argfile (without it TornadoVM"
                    + " silently runs every kernel on one thread)";
        }
        String chaining = signalChainingReason();
        if (chaining != null) return chaining;
        try {
            if (Devices.list().isEmpty()) return "TornadoVM found no device";
        } catch (RuntimeException | LinkageError e) {
            return "TornadoVM did not start: " + e;
        }
        return null;
    }

    /**
     * OpenCL drivers may install their own SIGSEGV/SIGBUS/SIGFPE handlers in place of the JVM's (PoCL's LLVM does
     * while it compiles a kernel); the JVM's next deliberate fault, an implicit null check or a safepoint poll, then
     * kills the process without an error report. The JDK's libjsig, preloaded, keeps the JVM's handlers in place. Null
     * when it is loaded (or on a system without /proc/self/maps, where this cannot be seen), else why the backend refuses.
     */
    static String signalChainingReason() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return null;
        try (Stream<String> lines = Files.lines(maps)) {
            if (lines.anyMatch(line -> line.endsWith("/libjsig.so"))) return null;
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
        return "the JVM was started without the JDK's signal-chaining library: OpenCL drivers can then take over the JVM's"
                + " SIGSEGV handler and crash it at random; start it with LD_PRELOAD=" + System.getProperty("java.home")
                + "/lib/libjsig.so (bin/specdiff4j does)";
    }

    @Override
    public List<String> devices() {
        return Devices.list();
    }

    @Override
    public CausalLanguageModel offload(dev.specdiff4j.engine.model.transformer.TransformerSpec spec, TransformerWeights weights,
                                       String device) {
        String unsupported = TransformerSpec.unsupported(spec, weights);
        if (unsupported != null) {
            throw new IllegalArgumentException("the TornadoVM backend cannot run this " + spec.family() + " model: " + unsupported);
        }
        TornadoDevice d = Devices.find(device);
        return new TornadoCausalModel(spec, weights, d, "tornado:" + (device == null ? "0:0" : device) + " " + Devices.describe(d),
                property("specdiff4j.tornado.rows", 32), property("specdiff4j.tornado.logitRows", 16), property("specdiff4j.tornado.sessions", 2),
                property("specdiff4j.tornado.context", 4096));
    }

    /** A drafter's device model on one device, and that device's description. */
    private record DrafterOnDevice(DeviceTransformer transformer, String description) {
    }

    /**
     * Passes of one draft (called for every draft); the device model of each drafter and device is built, and the device
     * looked up, once and kept while the drafter lives.
     */
    @Override
    public MaskedDiffusionLm.Passes offload(MaskedDiffusionLm model, String device) {
        String key = device == null ? "0:0" : device;
        DrafterOnDevice onDevice;
        synchronized (DRAFTERS) {
            onDevice = DRAFTERS.computeIfAbsent(model, m -> new java.util.HashMap<>()).computeIfAbsent(key, k -> {
                TornadoDevice d = Devices.find(device);
                int length = model.config().modelLength();
                DeviceTransformer transformer = new DeviceTransformer(TransformerSpec.of(model), d, length,
                        Math.min(length, property("specdiff4j.tornado.draftRows", 16)), length, property("specdiff4j.tornado.draftSlots", 2));
                return new DrafterOnDevice(transformer, "tornado:" + key + " " + Devices.describe(d));
            });
        }
        return new TornadoMdlmPasses(onDevice.transformer(), onDevice.description());
    }

    static int property(String name, int fallback) {
        String value = System.getProperty(name);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value.trim());
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a positive integer, got '" + value + "'");
        }
    }
}
