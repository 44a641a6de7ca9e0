package dev.specdiff4j.tornado.device;

import dev.specdiff4j.engine.api.GenerationConfig;
import dev.specdiff4j.engine.api.GenerationListener;
import dev.specdiff4j.engine.api.GenerationResult;
import dev.specdiff4j.engine.api.Generator;
import dev.specdiff4j.engine.api.Cancellation;
import dev.specdiff4j.engine.api.Mode;
import dev.specdiff4j.engine.api.ModelSpec;
import dev.specdiff4j.engine.decoding.DiffusionSampler;
import dev.specdiff4j.engine.decoding.DraftingConfig;
import dev.specdiff4j.engine.decoding.SamplingConfig;
import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.kernels.VectorKernels;
import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.Gpt2;
import dev.specdiff4j.engine.model.LoadOptions;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.transformer.Transformer;
import dev.specdiff4j.engine.model.transformer.TransformerLoader;
import dev.specdiff4j.engine.tensor.DType;
import dev.specdiff4j.engine.testing.Fixtures;
import dev.specdiff4j.engine.testing.TinyModels;
import dev.specdiff4j.tornado.LoopKernels;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * End-to-end checks of the device models on a TornadoVM device: GPT-2 logits against PyTorch and the CPU, chunked
 * passes, truncation, greedy tokens identical to the CPU with tokens/s of both, MDLM passes against the CPU block
 * cache, and generation through the engine's device SPI. Arguments: [--device B:D] [--model GPT2_FOLDER
 * [--tokens N]] (a bigger model for the greedy comparison) [--only TEXT] (the checks whose name contains TEXT).
 */
public final class DeviceModelCheck {
    private static String deviceId;
    private static TornadoDevice device;

    public static void main(String[] args) throws Exception {
        Path bigModel = null;
        int bigTokens = 64;
        String only = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> deviceId = args[++i];
                case "--model" -> bigModel = Path.of(args[++i]);
                case "--tokens" -> bigTokens = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Check check = new Check(only);
        check.run("backend usable in this JVM", () -> {
            String why = new TornadoBackend().unavailableReason();
            if (why != null) throw new AssertionError(why);
            device = Devices.find(deviceId);
            return Devices.describe(device);
        });
        if (device == null) check.finish("device model checks");
        check.run("gpt2-tiny f32 logits vs PyTorch (1e-4)", DeviceModelCheck::logitsMatchPyTorch);
        for (DType dtype : new DType[] {DType.F16, DType.BF16, DType.Q8_0}) {
            check.run("gpt2-tiny " + dtype.displayName() + " logits vs the same kernels on the CPU (1e-5)", () -> agreesWithLoopKernels(dtype));
        }
        check.run("chunked passes and head-only passes give the same bits", DeviceModelCheck::chunkingIsExact);
        check.run("truncate rolls the device KV cache back", DeviceModelCheck::truncateRollsBack);
        check.run("two sessions keep separate caches", DeviceModelCheck::sessionsAreIndependent);
        check.run("gpt2-tiny greedy: device tokens == CPU tokens", () -> greedy(Fixtures.folder("gpt2-tiny"), 40));
        for (String fixture : new String[] {"qwen2-yarn", "qwen3-yarn", "llama3-scaled", "phi3-tiny"}) {
            check.run(fixture + " f32 logits vs PyTorch (1e-4), chunked passes exact", () -> familyMatchesPyTorch(fixture));
        }
        check.run("qwen3-yarn f16 vs the CPU (1e-5), greedy tokens == CPU", () -> familyConvertedAndGreedy("qwen3-yarn", DType.F16));
        check.run("llama3-scaled q8_0 vs the CPU (1e-5), greedy tokens == CPU", () -> familyConvertedAndGreedy("llama3-scaled", DType.Q8_0));
        check.run("mdlm-tiny passes vs the CPU block cache (1e-4)", DeviceModelCheck::mdlmPassesAgree);
        check.run("mdlm-tiny greedy drafts unmasked on the device == CPU drafts", DeviceModelCheck::deviceUnmaskingDrafts);
        check.run("Generator with --device tornado --drafter-device tornado", DeviceModelCheck::generatorThroughTheSpi);
        if (bigModel != null) {
            Path model = bigModel;
            int tokens = bigTokens;
            check.run(model + " greedy: device tokens == CPU tokens", () -> greedy(model, tokens));
        }
        check.finish("device model checks");
    }

    private static TornadoCausalModel onDevice(Gpt2 model, int rows, int logitRows) {
        return onDevice(model.core(), rows, logitRows);
    }

    private static TornadoCausalModel onDevice(Transformer model, int rows, int logitRows) {
        return new TornadoCausalModel(model.spec(), model.weights(), device, Devices.describe(device), rows, logitRows, 2, 4096);
    }

    /**
     * A Llama-family fixture on the device against PyTorch's logits (F32), and its chunked passes (4-token bodies, 3 logits
     * rows at a time) bit for bit against whole ones.
     */
    private static String familyMatchesPyTorch(String fixture) throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        float[][] want = Fixtures.logits(fixture);
        try (Transformer model = TransformerLoader.load(Fixtures.folder(fixture), new LoadOptions(null, new LoopKernels()));
             TornadoCausalModel whole = onDevice(model, 32, 16); TornadoCausalModel chunked = onDevice(model, 4, 3);
             var a = whole.newSession(); var b = chunked.newSession()) {
            float[][] got = a.forward(tokens);
            double err = worst(got, want);
            if (!(err < 1e-4)) throw new AssertionError("max relative error " + err);
            float[][] inChunks = b.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                if (!Arrays.equals(got[t], inChunks[t])) throw new AssertionError("row " + t + " differs in chunks");
            }
            return String.format("max rel err %.2e over %d rows, chunks bit-identical; %s", err, tokens.length, whole.describe());
        }
    }

    /** A Llama-family fixture with converted weights against the same kernels on the CPU, and greedy tokens against the CPU's. */
    private static String familyConvertedAndGreedy(String fixture, DType dtype) throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected(fixture), "tokens");
        try (Transformer model = TransformerLoader.load(Fixtures.folder(fixture), new LoadOptions(dtype, new LoopKernels()));
             TornadoCausalModel gpu = onDevice(model, 32, 16); var cpu = model.newSession(); var dev = gpu.newSession()) {
            double err = worst(dev.forward(tokens), cpu.forward(tokens));
            if (!(err < 1e-5)) throw new AssertionError("max relative error " + err);
            int n = 32;
            int[] prompt = Arrays.copyOf(tokens, 8);
            int[] cpuTokens = decode(model, prompt, n);
            int[] gpuTokens = decode(gpu, prompt, n);
            if (!Arrays.equals(cpuTokens, gpuTokens)) {
                throw new AssertionError("tokens differ:\n cpu    " + Arrays.toString(cpuTokens) + "\n device " + Arrays.toString(gpuTokens));
            }
            return String.format("max rel err %.2e against the CPU; %d greedy tokens identical", err, n);
        }
    }

    private static Gpt2 load(Path folder, DType dtype, Kernels kernels) throws Exception {
        return Gpt2.load(folder, new LoadOptions(dtype, kernels));
    }

    private static double worst(float[][] got, float[][] want) {
        double worst = 0;
        for (int t = 0; t < want.length; t++) worst = Math.max(worst, Fixtures.relativeError(got[t], want[t]));
        return worst;
    }

    private static String logitsMatchPyTorch() throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        float[][] want = Fixtures.logits("gpt2-tiny");
        try (Gpt2 model = load(Fixtures.folder("gpt2-tiny"), null, new LoopKernels()); TornadoCausalModel gpu = onDevice(model, 32, 16);
             var session = gpu.newSession()) {
            double err = worst(session.forward(tokens), want);
            if (!(err < 1e-4)) throw new AssertionError("max relative error " + err);
            return String.format("max rel err %.2e over %d rows; %s", err, tokens.length, gpu.describe());
        }
    }

    private static String agreesWithLoopKernels(DType dtype) throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load(Fixtures.folder("gpt2-tiny"), dtype, new LoopKernels()); TornadoCausalModel gpu = onDevice(model, 32, 16);
             var cpu = model.newSession(); var dev = gpu.newSession()) {
            double err = worst(dev.forward(tokens), cpu.forward(tokens));
            if (!(err < 1e-5)) throw new AssertionError("max relative error " + err);
            return String.format("max rel err %.2e", err);
        }
    }

    private static String chunkingIsExact() throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load(Fixtures.folder("gpt2-tiny"), null, new LoopKernels()); TornadoCausalModel whole = onDevice(model, 32, 16);
             TornadoCausalModel chunked = onDevice(model, 4, 3); var a = whole.newSession(); var b = chunked.newSession()) {
            float[][] all = a.forward(tokens);
            float[][] parts = b.forward(tokens);
            for (int t = 0; t < tokens.length; t++) {
                if (!Arrays.equals(all[t], parts[t])) throw new AssertionError("row " + t + " differs");
            }
            return tokens.length + " tokens in passes of 4 with 3 logits rows each";
        }
    }

    private static String truncateRollsBack() throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load(Fixtures.folder("gpt2-tiny"), null, new LoopKernels()); TornadoCausalModel gpu = onDevice(model, 32, 16);
             var session = gpu.newSession()) {
            float[][] reference = session.forward(tokens);
            session.truncate(3);
            session.forward(new int[] {7, 8, 9, 10, 11}, 0); // a rejected draft
            session.truncate(3);
            float[][] again = session.forward(Arrays.copyOfRange(tokens, 3, tokens.length));
            for (int t = 3; t < tokens.length; t++) {
                if (!Arrays.equals(again[t - 3], reference[t])) throw new AssertionError("row " + t + " differs after truncation");
            }
            return null;
        }
    }

    private static String sessionsAreIndependent() throws Exception {
        int[] tokens = Fixtures.ints(Fixtures.expected("gpt2-tiny"), "tokens");
        try (Gpt2 model = load(Fixtures.folder("gpt2-tiny"), null, new LoopKernels()); TornadoCausalModel gpu = onDevice(model, 32, 16);
             var a = gpu.newSession(); var b = gpu.newSession()) {
            float[][] alone = a.forward(tokens);
            a.truncate(0);
            b.forward(new int[] {5, 6, 7, 8}, 0);
            float[][] interleaved = new float[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                interleaved[t] = a.forwardLast(new int[] {tokens[t]});
                b.forwardLast(new int[] {(tokens[t] + 1) % model.vocabSize()});
            }
            for (int t = 0; t < tokens.length; t++) {
                if (!Arrays.equals(alone[t], interleaved[t])) throw new AssertionError("row " + t + " differs");
            }
            try {
                gpu.newSession();
                throw new AssertionError("a third session got a slot");
            } catch (IllegalStateException expected) {
                return "third session refused: " + expected.getMessage();
            }
        }
    }

    /** Greedy decoding of n tokens after a fixed prompt, CPU (vector kernels) and device; tokens must be identical. */
    private static String greedy(Path folder, int n) throws Exception {
        try (VectorKernels vector = new VectorKernels(Runtime.getRuntime().availableProcessors());
             Gpt2 model = load(folder, null, vector); TornadoCausalModel gpu = onDevice(model, 32, 16)) {
            int[] prompt = new int[Math.min(12, model.contextLength() - n)];
            for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 11) % model.vocabSize();
            decode(gpu, prompt, 2); // compile and warm up outside the timing
            long[] cpuTime = new long[1];
            long[] gpuTime = new long[1];
            int[] cpuTokens = timedDecode(model, prompt, n, cpuTime);
            int[] gpuTokens = timedDecode(gpu, prompt, n, gpuTime);
            if (!Arrays.equals(cpuTokens, gpuTokens)) {
                throw new AssertionError("tokens differ:\n cpu    " + Arrays.toString(cpuTokens) + "\n device " + Arrays.toString(gpuTokens));
            }
            return String.format("%d tokens identical; decode %.1f tok/s on the device, %.1f tok/s on the CPU (%s)", n,
                    n / (gpuTime[0] / 1e9), n / (cpuTime[0] / 1e9), vector.describe());
        }
    }

    private static int[] decode(CausalLanguageModel model, int[] prompt, int n) {
        return timedDecode(model, prompt, n, new long[1]);
    }

    private static int[] timedDecode(CausalLanguageModel model, int[] prompt, int n, long[] decodeNanos) {
        try (var session = model.newSession()) {
            float[] logits = session.forwardLast(prompt);
            long start = System.nanoTime();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = Fixtures.argmax(logits);
                if (i + 1 < n) logits = session.forwardLast(new int[] {out[i]});
            }
            decodeNanos[0] = System.nanoTime() - start;
            return out;
        }
    }

    private static String mdlmPassesAgree() throws Exception {
        int[] ids = Fixtures.ints(Fixtures.expected("mdlm-tiny"), "tokens");
        TornadoBackend backend = new TornadoBackend();
        try (MaskedDiffusionLm model = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, new LoopKernels()))) {
            var cpu = model.new BlockCache(ids.length);
            double worst = 0;
            try (var dev = backend.offload(model, deviceId)) {
                worst = Math.max(worst, worst(dev.full(ids, 2, ids.length - 2), cpu.full(ids, 2, ids.length - 2)));
                int[] block = {1, 2, 3, model.maskId()};
                int start = ids.length - 5;
                worst = Math.max(worst, worst(dev.refresh(start, block), cpu.refresh(start, block)));
                block[0] = model.maskId();
                worst = Math.max(worst, worst(dev.refresh(start, block), cpu.refresh(start, block)));
            }
            float[][] want = Fixtures.logits("mdlm-tiny");
            try (var dev = backend.offload(model, deviceId)) {
                worst = Math.max(worst, worst(dev.full(ids, 0, ids.length), want));
            }
            if (!(worst < 1e-4)) throw new AssertionError("max relative error " + worst);
            return String.format("full, two refreshes and PyTorch's logits: max rel err %.2e", worst);
        }
    }

    private static String deviceUnmaskingDrafts() throws Exception {
        int[] context = {5, 17, 200, 3, 99, 42, 42, 7, 150, 1, 2, 3, 250, 8};
        TornadoBackend backend = new TornadoBackend();
        try (MaskedDiffusionLm cpu = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, new LoopKernels()));
             MaskedDiffusionLm onDevice = MaskedDiffusionLm.load(Fixtures.folder("mdlm-tiny"), new LoadOptions(null, new LoopKernels()))) {
            java.util.List<TornadoMdlmPasses> opened = new java.util.ArrayList<>();
            onDevice.useDevice(length -> {
                TornadoMdlmPasses passes = (TornadoMdlmPasses) backend.offload(onDevice, deviceId);
                opened.add(passes);
                return passes;
            }, "tornado");
            DiffusionSampler onHost = new DiffusionSampler(cpu, 300);
            DiffusionSampler withDevice = new DiffusionSampler(onDevice, 300);
            int passes = 0;
            int drafts = 0;
            for (DraftingConfig drafting : new DraftingConfig[] {new DraftingConfig(32, false, true), new DraftingConfig(8, false, false)}) {
                for (int seed = 0; seed < 10; seed++) {
                    int gamma = 1 + seed % 7;
                    int steps = 1 + seed % 4;
                    DiffusionSampler.Draft want = onHost.draft(context, gamma, steps, SamplingConfig.greedy(), drafting, new SplittableRandom(seed));
                    DiffusionSampler.Draft got = withDevice.draft(context, gamma, steps, SamplingConfig.greedy(), drafting, new SplittableRandom(seed));
                    if (!Arrays.equals(want.tokens(), got.tokens()) || want.passes() != got.passes()) {
                        throw new AssertionError("seed " + seed + " γ " + gamma + " T " + steps + " " + drafting + ": cpu " + Arrays.toString(want.tokens())
                                + " in " + want.passes() + " passes, device " + Arrays.toString(got.tokens()) + " in " + got.passes());
                    }
                    passes += got.passes();
                    drafts++;
                }
            }
            int deviceSteps = opened.stream().mapToInt(TornadoMdlmPasses::deviceSteps).sum();
            if (deviceSteps != passes) throw new AssertionError(deviceSteps + " device unmasking steps for " + passes + " passes");
            return drafts + " drafts identical, all " + passes + " passes unmasked on the device (only the block came back)";
        }
    }

    private static String generatorThroughTheSpi() throws Exception {
        Path dir = Files.createTempDirectory("specdiff4j-device-check"); // run-device-tests.sh points java.io.tmpdir into target/
        try {
            return generateOnCpuAndDevice(TinyModels.withTokenizer("gpt2-tiny", dir));
        } finally {
            deleteTree(dir);
        }
    }

    private static String generateOnCpuAndDevice(Path target) throws Exception {
        ModelSpec spec = ModelSpec.of(target).withDiffusionDrafter(Fixtures.folder("mdlm-tiny"));
        GenerationConfig config = GenerationConfig.builder().mode(Mode.SPECDIFF).maxTokens(24).sampling(SamplingConfig.greedy())
                .gamma(4).steps(4).stopAtEos(false).build();
        int[] prompt = {3, 14, 15, 92, 65};
        GenerationResult cpu;
        try (Generator g = Generator.open(spec)) {
            cpu = g.generate(prompt, config, GenerationListener.NONE, new Cancellation());
        }
        try (Generator g = Generator.open(spec.withDevices("tornado" + (deviceId == null ? "" : ":" + deviceId),
                "tornado" + (deviceId == null ? "" : ":" + deviceId)))) {
            GenerationResult dev = g.generate(prompt, config, GenerationListener.NONE, new Cancellation());
            if (!Arrays.equals(cpu.tokens(), dev.tokens())) {
                throw new AssertionError("tokens differ:\n cpu    " + Arrays.toString(cpu.tokens()) + "\n device " + Arrays.toString(dev.tokens()));
            }
            return String.format("specdiff greedy, %d tokens identical, %d rounds; %s", dev.tokens().length, dev.stats().rounds(), g.describe());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
        }
    }
}
