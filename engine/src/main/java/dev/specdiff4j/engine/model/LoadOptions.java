package dev.specdiff4j.engine.model;

import dev.specdiff4j.engine.kernels.Kernels;
import dev.specdiff4j.engine.tensor.DType;

/**
 * How to load a model.
 *
 * @param dtype   the dtype of the weight matrices in memory (converted at load time), or null to keep
 *                what the file holds (memory-mapped, no copy, where the layout allows)
 * @param kernels the kernels the model computes with
 */
public record LoadOptions(DType dtype, Kernels kernels) {
    public LoadOptions {
        if (kernels == null) throw new IllegalArgumentException("kernels are required");
    }
}
