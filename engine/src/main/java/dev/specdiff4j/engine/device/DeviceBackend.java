package dev.specdiff4j.engine.device;

import dev.specdiff4j.engine.model.CausalLanguageModel;
import dev.specdiff4j.engine.model.MaskedDiffusionLm;
import dev.specdiff4j.engine.model.transformer.TransformerSpec;
import dev.specdiff4j.engine.model.transformer.TransformerWeights;

/**
 * An accelerator backend (found with {@link java.util.ServiceLoader}; the TornadoVM one lives in the
 * optional tornado-kernels module). It takes a model loaded on the CPU and returns one whose forward
 * passes run on a device, with the weights transferred once and the activations and KV cache kept there.
 * The engine never falls back silently: asking for a backend that is absent or unusable is an error.
 */
public interface DeviceBackend {
    /** The name users pick it by, e.g. "tornado". */
    String name();

    /** Null when usable in this JVM, otherwise why not (for the error message). */
    String unavailableReason();

    /** The devices this backend can use, one line each, for listing. */
    java.util.List<String> devices();

    /**
     * A target model, given as the transformer core's spec and weights (a GPT-2's are {@code Gpt2.core()}'s), that
     * computes on {@code device} (backend-specific, e.g. "0:0"; null for the backend's default). The returned model owns
     * neither the weights nor their files; closing it frees device memory. A spec the backend cannot run (a norm,
     * attention or MLP variant its kernels lack) is an {@link IllegalArgumentException} that says which part.
     */
    CausalLanguageModel offload(TransformerSpec spec, TransformerWeights weights, String device);

    /** The denoising passes of a diffusion drafter on a device; null when the backend cannot run them. */
    default MaskedDiffusionLm.Passes offload(MaskedDiffusionLm model, String device) {
        return null;
    }
}
