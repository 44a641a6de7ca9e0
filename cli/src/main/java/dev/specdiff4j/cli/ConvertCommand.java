package dev.specdiff4j.cli;

import dev.specdiff4j.weights.ConversionProgress;
import dev.specdiff4j.weights.Converter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model between HF safetensors folders and GGUF, and change its dtype (f32, f16, bf16, q8_0, q4_0,",
            "q5_0, q5_1, q4_k, q5_k, q6_k, or llama.cpp's q4_k_m mix).",
            "GPT-2: HF <-> GGUF (llama.cpp names, tokenizer in the metadata, explicit output.weight). MDLM: safetensors only.",
            "llama, mistral, qwen2, qwen3, phi3: HF or GGUF -> GGUF as llama.cpp's converter writes it (byte-level BPE tokenizers).",
            "Tensors are converted one at a time from the memory map; the output appears under its name only when complete."})
final class ConvertCommand implements Callable<Integer> {
    @Mixin
    DebugOption debug;

    @Parameters(index = "0", paramLabel = "IN", description = "An HF model folder or a .gguf file.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "A .gguf file (--to gguf) or a folder (--to safetensors).")
    Path out;

    @Option(names = "--to", required = true, paramLabel = "gguf|safetensors", description = "The output format.")
    String to;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k|q4_k_m", description = {"The dtype of the weight matrices "
        + "(default: as in IN); q4_k_m mixes Q4_K, Q5_K and Q6_K per tensor as llama-quantize does.", "Also q5_0, q5_1."})
    String dtype;

    @Option(names = "--force", description = {"Replace OUT if it exists and is what convert writes (a .gguf file, or a folder holding only",
        "config.json, model.safetensors, tokenizer.json); the old output is kept until the new one is complete."})
    boolean force;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress("MB", System.err);
        long start = System.nanoTime();
        ConversionProgress report = new ConversionProgress() {
            @Override
            public void update(long bytesDone, long bytesTotal, String tensor) {
                progress.update(bytesDone >> 20, Math.max(1, bytesTotal >> 20));
            }

            @Override
            public void note(String message) {
                System.err.println("note: " + message);
            }
        };
        Converter.convert(in, out, Converter.Options.of(Converter.Format.parse(to), dtype, force, report));
        progress.done();
        System.err.printf("wrote %s in %.1f s%n", out, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
